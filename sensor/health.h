/*
 * health — the sensor's own health alerts (可用性, doc/alerts.md "Health
 * alerts"): capture drop rate over a threshold, capture stopped, spool
 * above a threshold, Redis unreachable for too long, alerts lost.
 *
 * Each condition raises one alert when it begins and one "cleared" alert
 * when it ends (alerts lost: one alert per loss, once the path is clear).
 * They are ordinary alert lines (event_type "health") with reserved
 * signature ids, written through the same path as rule alerts: the
 * --alerts file and the Redis stream.
 *
 * health_check: one thread (main) calls it about once a second with the
 * counters of that moment.  health_format: any thread, no state.
 */
#ifndef ZW_HEALTH_H
#define ZW_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jsonw.h"
#include "log.h"

#define HEALTH_SID_MIN 9000u   /* sids 9000-9099 are reserved for these */
#define HEALTH_SID_MAX 9099u
#define HEALTH_MAX_IFACES 8    /* interfaces watched one by one */

enum health_cond {
	HEALTH_CAPTURE_DROPS,      /* sid 9001 */
	HEALTH_CAPTURE_STOPPED,    /* sid 9002 */
	HEALTH_SPOOL_HIGH,         /* sid 9003 */
	HEALTH_REDIS_DOWN,         /* sid 9004 */
	HEALTH_ALERTS_LOST,        /* sid 9005 */
	HEALTH_NCONDS
};

/* One health alert. */
struct health_event {
	const char *sensor_id;
	enum health_cond cond;
	bool cleared;              /* the condition has ended */
	uint64_t ts_us;            /* when it was noticed (unix time) */
	uint64_t since_us;         /* when the condition began */
	double value, threshold;   /* the measure and its limit, in unit (none: both 0) */
	uint64_t count;            /* packets dropped / alerts lost / ...; see doc */
	const char *detail;        /* English, one line; NULL: none */
	uint8_t part;              /* 0: the whole sensor; i + 1: its i-th interface
				    * (part of the alert id) */
};

uint32_t health_sid(enum health_cond c);
uint8_t health_severity(enum health_cond c, bool cleared);
const char *health_cond_name(enum health_cond c);

/* The alert id: the same for the same sensor, condition, start and state. */
void health_alert_id(char out[33], const struct health_event *e);

/* Append the alert object (no newline); -1 if it did not fit. */
int health_format(struct jsonw *w, const struct health_event *e, const char *id);

struct health_config {
	double drop_rate;          /* percent of packets dropped in a window; 0: off */
	uint64_t drop_min;         /* and at least this many drops */
	uint32_t drop_window_s;
	uint32_t capture_idle_s;   /* no packet for this long: stopped; 0: off */
	double spool_percent;      /* of spool.max_size; 0: off */
	uint32_t redis_down_s;     /* unreachable for this long; 0: off */
};

/* The counters at one moment (totals since start). */
struct health_sample {
	uint64_t now_us;           /* unix time */
	uint64_t mono_s;           /* monotonic clock */
	bool live;                 /* capture conditions apply to live capture only */
	uint64_t packets;          /* read from the capture */
	uint64_t kernel_drops, if_drops, queue_drops;   /* lost before the workers */
	/* several interfaces: each is watched for capture_stopped on its own
	 * (a dead span port is noticed while the others carry traffic) */
	unsigned nifaces;
	const char *iface[HEALTH_MAX_IFACES];
	uint64_t iface_packets[HEALTH_MAX_IFACES];
	bool redis;                /* a Redis output is configured */
	uint64_t redis_down_since_s;   /* unix time; 0 = reachable */
	uint64_t spool_bytes, spool_max_bytes;
};

/* Called for each health alert: the line (no newline), its sid, severity
 * and id.  Returns 0, or -1 when it could not be queued (retried next
 * check; used for nothing else). */
typedef int (*health_emit_fn)(void *ctx, const char *line, size_t len, uint32_t sid,
			      uint8_t severity, const char *id);

struct health;

/* lg (may be NULL): each alert is also logged, raised as a warning. */
struct health *health_new(const struct health_config *cfg, const char *sensor_id,
			  const struct log *lg, health_emit_fn emit, void *ctx);
void health_free(struct health *h);

void health_check(struct health *h, const struct health_sample *s);
/* The live capture ended on an error (reason: libpcap's words). */
void health_capture_failed(struct health *h, const struct health_sample *s, const char *reason);

/* count alerts were lost between first_us and last_us (output_lost_take);
 * the caller calls this only once the path is clear. */
void health_lost(struct health *h, uint64_t now_us, uint64_t count, uint64_t first_us,
		 uint64_t last_us);

/* Format e and hand it to emit; 0, or -1 (no memory, or emit refused). */
int health_emit_event(const struct health_event *e, health_emit_fn emit, void *ctx);

#endif
