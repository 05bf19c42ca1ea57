/*
 * alertq — where the workers' alerts meet: put in one order, thresholded,
 * written out.
 *
 * Alerts are released in (epoch, time, alert_id) order, and only once every
 * worker has promised (alertq_advance) that it will not produce an earlier
 * one; so the output, and what thresholds let through, are the same for any
 * number of workers.  An epoch starts when packet time goes backwards
 * (worker FLUSH).  Thresholds follow Suricata's: limit, threshold, both;
 * tracked by source, destination, address pair or rule.
 *
 * Any thread; one mutex.  Caps: pending alerts (beyond it the oldest is
 * written early, counted as order_forced) and threshold states (when full,
 * states whose window is over are dropped, counted as threshold_swept; if
 * none is, the alert is not thresholded, counted as threshold_full).
 */
#ifndef ZW_ALERTQ_H
#define ZW_ALERTQ_H

#include <stddef.h>
#include <stdint.h>

#include "rules.h"
#include "sink.h"

#define ALERTQ_MAX_PENDING     200000u
#define ALERTQ_MAX_THRESHOLDS  65536u

struct alertq_item {
	uint32_t epoch;
	uint64_t ts_us;
	char id[33];
	uint32_t sid;
	uint8_t severity;
	struct rules_threshold th;
	int ip_version;
	uint8_t src[16], dst[16];
	char *json;        /* one alert object without its closing '}' (heap; taken) */
	size_t len;
};

struct alertq_stats {
	uint64_t emitted;
	uint64_t thresholded;     /* held back by a threshold */
	uint64_t order_forced;    /* written before their turn: too many pending */
	uint64_t threshold_full;  /* not thresholded: the state table was full */
	uint64_t threshold_swept; /* states dropped when the table filled: window over */
	uint64_t dropped;         /* no memory */
};

struct alertq;

/* Called for each alert written, in order, under alertq's lock: the line
 * without its newline.  Must not block (output_push). */
typedef void (*alertq_emit_fn)(void *ctx, const char *line, size_t len,
			       const struct alertq_item *it);

/* out may be disabled (no file), emit NULL (no Redis). */
struct alertq *alertq_new(unsigned producers, struct sink *out, alertq_emit_fn emit, void *ctx);
void alertq_free(struct alertq *q);

/* Producer p hands over an alert (it->json is taken, even on failure). */
void alertq_push(struct alertq *q, unsigned p, struct alertq_item *it);
/* Producer p will not push anything earlier than (epoch, ts_us). */
void alertq_advance(struct alertq *q, unsigned p, uint32_t epoch, uint64_t ts_us);
/* Producer p is done; when all are, everything pending is written. */
void alertq_close(struct alertq *q, unsigned p);

/* A line made elsewhere (a health alert, health.h), written now in turn
 * with the alerts around it: to the file and the emit callback. */
void alertq_write_line(struct alertq *q, const char *line, size_t len, uint32_t sid,
		       uint8_t severity, const char *id);

void alertq_stats_get(struct alertq *q, struct alertq_stats *out);
/* Alerts held back by thresholds, per sid: calls cb for each sid with a
 * non-zero count, in sid order. */
void alertq_thresholded_each(struct alertq *q, void (*cb)(void *ctx, uint32_t sid, uint64_t n),
			     void *ctx);

#endif
