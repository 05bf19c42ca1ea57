/*
 * consume — the collector's side of the alert stream (doc/redis.md): a
 * consumer group on <prefix>:alerts read with XREADGROUP, entries
 * acknowledged with XACK once stored, entries another consumer left pending
 * taken over with XAUTOCLAIM, the stream trimmed to what every group has
 * acknowledged, and the sensors' heartbeats read.  Over an rlink
 * (common/rlink.h).  One struct consume per thread; a batch's strings point
 * into its reply and stay valid until the next read into that batch or
 * consume_batch_fini.
 */
#ifndef ZW_CONSUME_H
#define ZW_CONSUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rlink.h"
#include "store.h"

#define CONSUME_NAME_MAX 128u

struct consume_config {
	struct rlink_config link;
	const char *prefix;        /* "zw" */
	const char *group;         /* consumer group */
	const char *consumer;      /* this process's name in the group */
	uint32_t count;            /* entries per read, at most STORE_BATCH_MAX */
	uint32_t block_ms;         /* XREADGROUP BLOCK */
	uint64_t claim_idle_ms;    /* XAUTOCLAIM min-idle-time */
};

struct consume_entry {
	char id[STORE_STREAM_ID_MAX + 1];
	const char *const *fv;     /* names and values in turn, n_fv strings */
	const size_t *fvlen;
	size_t n_fv;
	bool gone;                 /* deleted from the stream before it was read */
	bool bad;                  /* not [id, [strings...]]: fv empty */
};

struct consume_batch {
	struct consume_entry *e;
	size_t n, cap;
	const char **fv;           /* all entries' strings */
	size_t *fvlen;
	size_t n_fv_total, cap_fv;
	struct rlink_reply *reply;
};

struct consume;

/* NULL only when out of memory; a bad config (names empty or too long,
 * count 0 or over STORE_BATCH_MAX) makes every call fail with the reason. */
struct consume *consume_new(const struct consume_config *cfg);
void consume_free(struct consume *c);
const char *consume_error(const struct consume *c);
const char *consume_stream_key(const struct consume *c);   /* "<prefix>:alerts" */

/* Connected, and the group exists (XGROUP CREATE ... 0 MKSTREAM: a new
 * group reads the stream from its start).  0 or -1. */
int consume_connect(struct consume *c);
bool consume_is_connected(const struct consume *c);
void consume_disconnect(struct consume *c);

int consume_batch_init(struct consume_batch *b, size_t cap);
void consume_batch_fini(struct consume_batch *b);

/* Entries delivered to this consumer and not yet acknowledged (after a
 * restart under the same name), after id from ("0" first, then the last
 * id returned), at most count.  0 (b->n may be 0: none left) or -1. */
int consume_read_pending(struct consume *c, const char *from, struct consume_batch *b);
/* New entries (">"), waiting up to block_ms when block (else answering at
 * once).  0 (b->n 0: none) or -1. */
int consume_read_new(struct consume *c, bool block, struct consume_batch *b);
/* Take over entries idle longer than claim_idle_ms from any consumer
 * (XAUTOCLAIM from *cursor, "0-0" to start; *cursor is set to where to
 * go on, "0-0" when the whole list was scanned).  0 or -1. */
int consume_claim(struct consume *c, char *cursor, size_t cursor_len, struct consume_batch *b);
/* XACK these ids.  0 or -1. */
int consume_ack(struct consume *c, const char *const *ids, size_t n);
/* Trim the stream to what every group acknowledged (XINFO GROUPS,
 * XPENDING, XTRIM MINID).  *trimmed: entries removed.  0 or -1. */
int consume_trim(struct consume *c, uint64_t *trimmed);

/* Heartbeats: each sensor in <prefix>:sensors (at most max) with its
 * score (unix s) and <prefix>:sensor:<id> hash (n_fv 0 when it expired).
 * cb is called once per sensor; its non-zero return stops. */
typedef int (*consume_sensor_fn)(void *ctx, const char *sensor, size_t sensor_len, int64_t hb_s,
				 const char *const *fv, const size_t *fvlen, size_t n_fv);
int consume_sensors(struct consume *c, size_t max, consume_sensor_fn cb, void *ctx);

#endif
