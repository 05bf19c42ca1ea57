/*
 * store — where the collector keeps alerts: the write side (batches of
 * alerts, quarantined stream entries, retention) behind a small table of
 * operations (store_backend.h), so that a server database can be added next
 * to the embedded default, SQLite (store_sqlite.c).
 *
 * Durability contract: when store_put_batch or store_quarantine returns 0,
 * what it wrote survives a crash of the process and of the machine, so the
 * caller may XACK the stream entries then, and not before.  Each alert is
 * stored once: a re-sent alert (the same alert_id and timestamp) is counted
 * as a duplicate and changes nothing.
 *
 * One thread per struct store.  Other threads or processes may open their
 * own struct store (or a read-only SQLite connection) on the same file and
 * read while this one writes.  Nothing returned points into the store.
 */
#ifndef ZW_STORE_H
#define ZW_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "alert_rec.h"

#define STORE_BATCH_MAX      10000u        /* records per store_put_batch */
#define STORE_RAW_MAX        (64u * 1024)  /* quarantined bytes kept per entry */
#define STORE_REASON_MAX     512u          /* bytes of a quarantine reason kept */
#define STORE_STREAM_ID_MAX  64u           /* a Redis stream id is at most 41 */

struct store;

struct store_put_result {
	uint64_t inserted;     /* new alert_ids written */
	uint64_t duplicates;   /* alert_id already stored: nothing written */
};

struct store_stats {
	uint64_t alerts;       /* stored now */
	uint64_t duplicates;   /* ever seen, over the store's life */
	uint64_t quarantined;  /* stored now */
	uint64_t purged;       /* alerts deleted by retention, ever */
	uint64_t bytes;        /* on disk (database and its log) */
};

/* "sqlite:PATH" or a plain PATH: the SQLite store in that file, created
 * (mode 0640) with its schema when missing.  NULL with a reason naming the
 * file in err: not a database, not a zonewatch store, a schema newer than
 * this program, an unknown scheme. */
struct store *store_open(const char *uri_or_path, char *err, size_t errlen);
void store_close(struct store *s);   /* NULL is fine */

/* Write recs[0..n) in one transaction, received at now_us (unix time);
 * returns 0 once it is durable, with res filled.  -1 (err says why) when nothing was written: an invalid record
 * (its index in err; the parser should have quarantined it), more than
 * STORE_BATCH_MAX records, or a database error (busy, disk full: retry). */
int store_put_batch(struct store *s, const struct alert_rec *recs, size_t n, int64_t now_us,
		    struct store_put_result *res, char *err, size_t errlen);

/* Keep a stream entry that is not a valid alert: its id, the sensor if it
 * could be read (else NULL), the first STORE_RAW_MAX bytes of raw (rawlen
 * is kept too) and why.  Durable when 0 is returned. */
int store_quarantine(struct store *s, const char *stream_id, const char *sensor_or_null,
		     const char *raw, size_t rawlen, const char *reason, int64_t now_us,
		     char *err, size_t errlen);

/* What the store knows of a sensor: its heartbeat (the <prefix>:sensor:<id>
 * hash in Redis, doc/redis.md) as last copied by a collector, and when its
 * alerts arrived.  Times unix microseconds, 0 = never; counters -1 =
 * unknown (no heartbeat yet, or the field was missing). */
#define STORE_SENSOR_ID_MAX  256u
#define STORE_SENSOR_TEXT_MAX 128u
struct store_sensor {
	char sensor[STORE_SENSOR_ID_MAX];
	int64_t last_heartbeat_us;
	char version[STORE_SENSOR_TEXT_MAX];   /* "" unknown */
	char ruleset[STORE_SENSOR_TEXT_MAX];
	int64_t uptime_s, packets, kernel_drops, queue_drops, flows, flows_active,
		alerts, alerts_dropped, spool_records, spool_bytes;
	/* filled by store_sensors only */
	int64_t first_received_us, last_received_us, last_alert_us;
	uint64_t stored;                       /* its alerts in the store now */
};

/* Record a heartbeat (hb->sensor and last_heartbeat_us must be set; a
 * heartbeat older than the one stored changes nothing).  Durable when 0. */
int store_heartbeat(struct store *s, const struct store_sensor *hb, char *err, size_t errlen);
/* n heartbeats in one transaction (one fsync): all stored, or none (-1). */
int store_heartbeats(struct store *s, const struct store_sensor *hb, size_t n, char *err, size_t errlen);

typedef int (*store_sensor_fn)(void *ctx, const struct store_sensor *sn);
/* Every sensor known (by heartbeat or by alerts), by id; cb's non-zero
 * return stops and is returned. */
int store_sensors(struct store *s, store_sensor_fn cb, void *ctx, char *err, size_t errlen);

/* Retention: delete up to max_rows rows, alerts received (store_put_batch's
 * now_us) before received_us first, then quarantined entries received
 * before it, in transactions of a few thousand rows so the write lock is
 * never held long.  By the time received, not the alert's own: a replay of
 * an old capture or a sensor with a wrong clock is not deleted on arrival.  *deleted (both
 * kinds) < max_rows means nothing older is left; call again (from a timer,
 * between batches) while it equals max_rows. */
int store_purge_before(struct store *s, int64_t received_us, uint64_t max_rows, uint64_t *deleted,
		       char *err, size_t errlen);

int store_stats_get(struct store *s, struct store_stats *out, char *err, size_t errlen);

#endif
