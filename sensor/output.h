/*
 * output — the sensor's Redis output thread: alerts from alertq go through a
 * bounded memory queue to this thread, which sends them in batches
 * (stream.c) or, while Redis is down or behind, appends them to the on-disk
 * spool (spool.c) and sends the spool first, in order, when Redis is back.
 * Capture and workers never wait for Redis: a full queue drops and counts.
 *
 * Every alert gets a sequence number, increasing across restarts; Redis
 * keeps the last one delivered (stream.h), so after an outage nothing is
 * sent twice and nothing spooled is lost.
 *
 * output_push: any thread (alertq calls it under its lock).  The rest: the
 * main thread.
 */
#ifndef ZW_OUTPUT_H
#define ZW_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "spool.h"
#include "stream.h"

#define OUTPUT_MAX_FIELDS 32

struct output_config {
	struct stream_config stream;
	struct spool_config spool;
	uint64_t queue_bytes;          /* memory queue cap */
	bool wait_when_full;           /* offline input: output_push waits for room
					* instead of dropping (capture loses nothing
					* by waiting; live capture must not wait) */
	uint64_t flows_queue_bytes;    /* flow records' queue cap; 0 = no flows stream */
	uint32_t batch;                /* entries per MULTI/EXEC */
	uint32_t retry_ms;             /* first reconnect delay; doubles to 8x */
	uint32_t heartbeat_s, heartbeat_ttl_s;
	const struct log *log;
};

struct output_stats {
	uint64_t queued, queue_dropped;   /* into the memory queue / refused: full */
	uint64_t queue_waits;             /* wait_when_full: a producer waited for room */
	uint64_t sent;                    /* entries Redis acknowledged */
	uint64_t spooled, spool_dropped;  /* appended to the spool / refused by it */
	uint64_t skipped;                 /* already in Redis after a reconnect */
	uint64_t batches, send_failures, connects, connect_failures;
	uint64_t heartbeats;
	uint64_t flows_queued, flows_sent, flows_dropped;   /* the flows stream: best effort */
	uint64_t down_since_s;            /* unix time Redis became unreachable, 0 = up */
	bool connected;
	uint64_t lost_unreported;         /* lost (dropped, corrupt in the spool), not yet
					   * taken by output_lost_take; kept across restarts */
	struct spool_stats spool;
};

/* Alerts lost since the last take: how many, first and last (unix us). */
struct output_lost {
	uint64_t count, first_us, last_us;
};

struct output;

/* Opens the spool (recovering what a previous run left) and starts the
 * thread.  NULL with a reason in err. */
struct output *output_start(const struct output_config *cfg, char *err, size_t errlen);
/* Wait until the queue and the spool are delivered, or timeout_ms. */
void output_drain(struct output *o, uint32_t timeout_ms);
/* Stop: deliver what can be delivered within timeout_ms, spool the rest,
 * stop the thread, fill final (may be NULL), free.  Losses not taken are
 * kept in the spool directory (file "lost") for the next run to report. */
void output_stop(struct output *o, uint32_t timeout_ms, struct output_stats *final);

/* Take the count of lost alerts, to report them (health.h); 0 when none.
 * The caller reports them only when the path is clear (connected, spool
 * empty), so the report itself is not lost. */
int output_lost_take(struct output *o, struct output_lost *out);

/* Queue one alert line (no newline).  When the queue is full the alert is
 * dropped and counted as lost, or, with wait_when_full, the caller waits
 * until the output thread has made room. */
void output_push(struct output *o, const char *json, size_t len, uint32_t sid, uint8_t severity,
		 const char *alert_id);

/* Turn wait_when_full on or off (capture has ended: the alerts of the
 * flows still open may wait for room). */
void output_set_wait_when_full(struct output *o, bool on);

/* Queue flow records (whole lines, each ending in '\n') for the stream
 * <prefix>:flows.  Best effort: never spooled; dropped and counted when the
 * queue is full, when a send fails, or at exit.  Never blocks. */
void output_push_flows(struct output *o, const char *lines, size_t len);

/* Heartbeat fields (name/value pairs, copied), sent at the next beat. */
void output_set_heartbeat(struct output *o, const char *const *fields, size_t npairs);

void output_stats_get(struct output *o, struct output_stats *out);

#endif
