/*
 * entry — the fields of one stream entry (untrusted: anyone who can write
 * to Redis can write them) and of a sensor's heartbeat hash, checked and
 * taken apart, before the alert line itself goes to alert_parse.  Works on
 * name/value strings as read from Redis (not NUL-terminated, any bytes), so
 * it needs no connection and can be fuzzed.  No I/O, no state.
 *
 * Stream entries (doc/redis.md): sensor, seq, sid, severity, alert_id, json;
 * only json is required (sensor and alert_id are checked against the line
 * when present).  Heartbeat hashes: version, ruleset, uptime, packets,
 * kernel_drops, queue_drops, flows, flows_active, alerts, alerts_dropped,
 * spool_records, spool_bytes; missing or bad numbers are left unknown (-1).
 */
#ifndef ZW_ENTRY_H
#define ZW_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "alert_rec.h"
#include "store.h"

#define ENTRY_FIELDS_MAX 32u     /* name/value strings of an entry, at most */

struct entry_view {
	const char *json;            /* the alert line, json_len bytes */
	size_t json_len;
	const char *sensor;          /* NULL when the entry has none */
	size_t sensor_len;
	const char *alert_id;        /* NULL when the entry has none */
	size_t alert_id_len;
};

/* n strings at fv (fvlen[i] bytes each): names and values in turn.  0, or
 * -1 with why naming the problem (odd count, too many, a repeated or
 * missing json, a json over ALERT_PARSE_MAX_LINE). */
int entry_decode(const char *const *fv, const size_t *fvlen, size_t n, struct entry_view *out,
		 char *why, size_t whylen);

/* The entry's sensor and alert_id fields, when present, must name the same
 * as the parsed line: 0, or -1 with why. */
int entry_check(const struct entry_view *v, const struct alert_rec *rec, char *why, size_t whylen);

/* A heartbeat hash (HGETALL: names and values in turn) into hb; hb->sensor
 * and last_heartbeat_us are the caller's.  Unknown names are ignored. */
void entry_heartbeat(const char *const *fv, const size_t *fvlen, size_t n, struct store_sensor *hb);

#endif
