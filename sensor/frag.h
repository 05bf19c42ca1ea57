/*
 * frag — which flow a fragmented IP datagram belongs to.
 *
 * Only the first fragment of a datagram carries the ports.  The worker notes
 * (datagram id → flow key) when a first fragment passes, and a later fragment
 * of the same datagram (same addresses, protocol, VLANs and id) finds its flow
 * here, so its packets and bytes count where they belong.  Fragments are not
 * reassembled and their payload is not inspected.
 *
 * One table per worker thread.  Bounded: at most `cap` datagrams; a datagram
 * is forgotten `timeout_s` after its first fragment (reassembly timeouts of
 * common stacks are 30-60 s), and when full the oldest is dropped (counted).
 * Time is a parameter.
 */
#ifndef ZW_FRAG_H
#define ZW_FRAG_H

#include <stdint.h>

#include "flow.h"

struct frag_table_stats {
	uint64_t noted;        /* first fragments remembered */
	uint64_t matched;      /* later fragments whose datagram was known */
	uint64_t unmatched;    /* later fragments of an unknown datagram (first one
				* missed, reordered, expired or evicted) */
	uint64_t evicted;      /* datagrams dropped because the table was full */
};

struct frag_table;

/* NULL on allocation failure. */
struct frag_table *frag_table_new(uint32_t cap, uint32_t timeout_s);
void frag_table_free(struct frag_table *t);

/* A first fragment of flow `flow` (the packet's key, oriented as the packet
 * travels, ports included) with datagram id `id`. */
void frag_table_note(struct frag_table *t, const struct flow_key *flow, uint64_t flow_hash,
		     uint32_t id, uint64_t now_us);

/* A later fragment: `pkt` is its key as decoded (ports 0).  Returns 0 and the
 * flow's key and hash if the datagram is known, -1 otherwise (counted). */
int frag_table_lookup(struct frag_table *t, const struct flow_key *pkt, uint32_t id,
		      uint64_t now_us, struct flow_key *flow, uint64_t *flow_hash);

const struct frag_table_stats *frag_table_stats_get(const struct frag_table *t);

#endif
