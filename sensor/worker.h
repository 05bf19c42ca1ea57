/*
 * worker — a thread that owns one flow table and one nDPI module, fed by
 * one or more producers (capture threads), each through its own SPSC ring:
 * the worker's input `in` (0 .. inputs-1).
 *
 * Producer side: input in's messages come from one thread at a time.
 * worker_push_tick, worker_push_flush and worker_push_policy go through
 * input 0.  The worker ends when every input has had its worker_push_end.
 * Stats: worker_stats_snapshot from any thread (a copy published about once
 * a second of packet time, and at the end).
 */
#ifndef ZW_WORKER_H
#define ZW_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classify.h"
#include "decode.h"
#include "flow_table.h"
#include "frag.h"
#include "alertq.h"
#include "geo.h"
#include "policy.h"
#include "sink.h"

#define WORKER_MAX_INPUTS 16

struct worker_config {
	unsigned id;
	unsigned inputs;                    /* producers, 1 .. WORKER_MAX_INPUTS */
	size_t queue_bytes;                 /* ring size */
	struct flow_table_config table;
	uint32_t active_timeout_s;          /* 0: no interim records */
	const char *sensor_id;              /* borrowed, outlives the worker */
	const char *const *ifaces;          /* borrowed: capture interfaces by a flow
					     * key's iface; NULL: none (replay) */
	struct sink *flows;                 /* borrowed; may be disabled */
	bool live;                          /* flush output at every tick */
	struct alertq *alerts;              /* borrowed; NULL: no alerts */
	struct policy *policy;              /* a reference the worker takes over; may be NULL */
	const struct geo_db *geo;           /* borrowed; may be NULL */
	struct classify_files ndpi_files;   /* borrowed strings, may be NULL */
};

struct worker_stats {
	uint64_t packets, bytes;            /* handled by this worker */
	uint64_t records, records_dropped;  /* flow records written / lost (too large) */
	uint64_t fragments_attributed;      /* later IP fragments counted in their flow */
	uint64_t fragments_unattributed;    /* ... whose flow was not found */
	struct flow_table_stats flows;
	struct frag_table_stats frags;
	struct classify_stats dpi;
	uint64_t memory;                    /* flow table + nDPI flow state bytes */
	uint64_t alerts;                    /* rule matches handed to alertq */
	uint64_t alerts_silenced;           /* matches silenced by suppress statements (once per flow) */
	uint64_t alerts_fired_full;         /* flows' lists of fired sids full: may repeat */
	uint64_t alerts_dropped;            /* lost: alert too large or no memory */
	uint64_t policy_reloads;            /* new policies taken in */
	struct geo_cache_stats geo;
};

struct worker;

/* Creates and starts the thread.  NULL with a reason in err. */
struct worker *worker_start(const struct worker_config *cfg, char *err, size_t errlen);

/* Producer: hand over a decoded packet.  ip/ip_len is the innermost IP
 * packet.  With wait, blocks while the ring is full (offline replay: lose
 * nothing); without (live), waits up to 50 ms for room, then returns -1
 * and the caller counts the drop; after such a drop, no more waits for this
 * worker until its ring takes a packet at once.  Returns 1 when it waited,
 * 0 when it did not. */
int worker_push_packet(struct worker *w, unsigned in, const struct decoded *d,
		       const struct flow_key *key,
		       uint64_t hash, const uint8_t *ip, uint32_t ip_len, uint32_t wire_len,
		       uint64_t ts_us, bool wait);

/* Producer: a non-first IP fragment (decode result DECODE_FRAGMENT; key with
 * ports 0).  It is counted in the flow of its datagram when the worker saw
 * the first fragment.  Waiting and return as for worker_push_packet. */
int worker_push_fragment(struct worker *w, unsigned in, const struct decoded *d,
			 const struct flow_key *key, uint32_t wire_len, uint64_t ts_us, bool wait);

/* Producer: time passes without packets (live capture): expire idle flows. */
void worker_push_tick(struct worker *w, uint64_t now_us);

/* Producer: packet time is about to go backwards (an older capture file
 * follows).  The worker expires what is idle at last_ts_us (the newest packet
 * time of the whole capture so far), reports every other flow (reason
 * time_jump) and restarts its clock. */
void worker_push_flush(struct worker *w, uint64_t last_ts_us);

/* Producer: from the next packet on, match rules of policy p (the worker
 * takes over the reference given; the old policy is released). */
void worker_push_policy(struct worker *w, struct policy *p);

/* Producer: no more input on in.  Once every input has ended, the worker
 * expires what is idle at the latest of their last_ts_us, reports every
 * other flow (reason shutdown), flushes its output and ends; worker_join
 * waits for that and frees it. */
void worker_push_end(struct worker *w, unsigned in, uint64_t last_ts_us);
void worker_join(struct worker *w, struct worker_stats *final_stats);

void worker_stats_snapshot(struct worker *w, struct worker_stats *out);

/* Pin the worker's thread to one CPU (affinity_pin); 0 or -1 with a reason. */
int worker_pin(struct worker *w, unsigned cpu, char *err, size_t errlen);

#endif
