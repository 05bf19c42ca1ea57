/*
 * flow_table — one worker's bidirectional flow table: lookup by symmetric
 * hash, a hard cap on flows, idle timeouts per timeout class kept as LRU
 * lists, and eviction of the least recently seen flow when full.
 *
 * Owned and used by a single worker thread.  Time is always a parameter
 * (packet time in microseconds), never read from a clock, so replays are
 * deterministic.  Every flow that leaves the table goes through the end
 * callback exactly once, which must release flow->dpi_state; the table frees
 * everything else.
 */
#ifndef ZW_FLOW_TABLE_H
#define ZW_FLOW_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"

enum flow_tclass {
	FLOW_TCLASS_TCP,         /* TCP, open */
	FLOW_TCLASS_TCP_CLOSED,  /* TCP after FIN both ways or RST */
	FLOW_TCLASS_UDP,
	FLOW_TCLASS_ICMP,        /* ICMP and ICMPv6 */
	FLOW_TCLASS_OTHER,       /* every other IP protocol */
	FLOW_TCLASS_COUNT
};

struct flow_table_config {
	uint32_t max_flows;                          /* hard cap, >= 1 */
	uint32_t timeout_s[FLOW_TCLASS_COUNT];       /* idle timeouts */
};

struct flow_table_stats {
	uint64_t created;
	uint64_t ended[FLOW_END_COUNT];  /* by reason (evicted included) */
	uint64_t alloc_failed;           /* packets lost to a failed allocation */
	uint64_t active, peak;           /* flows in the table now / at most */
};

typedef void (*flow_table_end_cb)(void *ctx, struct flow *flow, enum flow_end reason);

struct flow_table;

/* NULL on allocation failure. */
struct flow_table *flow_table_new(const struct flow_table_config *cfg,
				  flow_table_end_cb on_end, void *ctx);
/* Frees all flows WITHOUT calling the callback: flush first to report them. */
void flow_table_free(struct flow_table *t);

/* Find the flow of a packet or create it.  *dir is 0 for initiator→responder
 * and 1 for the other way.  Before returning it may end flows through the
 * callback: the found flow when it is idle-expired or a TCP SYN reuses a
 * closed flow's tuple, or the least recently seen flow when the table is full.
 * Returns NULL only if memory runs out (counted). */
struct flow *flow_table_get(struct flow_table *t, const struct flow_key *key, uint64_t hash,
			    uint64_t now_us, bool tcp_syn_only, int *dir, bool *created);

/* The flow of a packet if the table holds it (no creation, no expiry). */
struct flow *flow_table_find(const struct flow_table *t, const struct flow_key *key,
			     uint64_t hash, int *dir);

/* After updating a flow's counters and TCP state: move it to the LRU tail of
 * its (possibly new) timeout class. */
void flow_table_touch(struct flow_table *t, struct flow *flow, uint64_t now_us);

/* End every flow idle at now_us. */
void flow_table_expire(struct flow_table *t, uint64_t now_us);

/* End every flow with the given reason (end of input, shutdown, time jump)
 * and restart the table's clock: the next packet time may be any. */
void flow_table_flush(struct flow_table *t, enum flow_end reason);

const struct flow_table_stats *flow_table_stats_get(const struct flow_table *t);

/* Bytes held by the table itself: buckets and flow structs (not the small
 * per-flow tunnel and hostname allocations). */
size_t flow_table_memory(const struct flow_table *t);

#endif
