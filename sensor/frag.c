/*
 * frag — see frag.h.
 *
 * A chained hash table over (addresses, protocol, VLANs, id) plus a FIFO of
 * entries in arrival order.  Packet time never goes backwards in a worker, so
 * the FIFO head is always the oldest entry: expiry and eviction both take
 * from the head.  Entries live in one array allocated at creation; free
 * slots are chained through `hnext`.
 */
#include "frag.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct frag_entry {
	struct frag_entry *hnext;   /* hash chain, or free list */
	struct frag_entry *fnext;   /* FIFO, oldest first */
	uint64_t born_us;
	uint64_t dgram_hash;
	uint32_t id;
	struct flow_key flow;       /* oriented as the first fragment travelled */
	uint64_t flow_hash;
};

struct frag_table {
	struct frag_entry *slots;
	struct frag_entry **buckets;
	struct frag_entry *free, *fifo_head, *fifo_tail;
	uint64_t mask;
	uint64_t timeout_us;
	struct frag_table_stats stats;
};

struct frag_table *frag_table_new(uint32_t cap, uint32_t timeout_s)
{
	struct frag_table *t;
	uint64_t nb = 64;

	if (cap == 0)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	while (nb < cap)
		nb <<= 1;
	t->slots = calloc(cap, sizeof(*t->slots));
	t->buckets = calloc(nb, sizeof(*t->buckets));
	if (!t->slots || !t->buckets) {
		frag_table_free(t);
		return NULL;
	}
	t->mask = nb - 1;
	t->timeout_us = (uint64_t)timeout_s * 1000000u;
	for (uint32_t i = 0; i < cap; i++) {
		t->slots[i].hnext = t->free;
		t->free = &t->slots[i];
	}
	return t;
}

void frag_table_free(struct frag_table *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t->buckets);
	free(t);
}

/* The datagram is identified by its source, destination, protocol (RFC 791;
 * RFC 8200 for IPv6) and the VLANs it travels on. */
static bool frag_same_datagram(const struct flow_key *a, const struct flow_key *b)
{
	return a->proto == b->proto && a->ip_version == b->ip_version &&
	       a->vlan_count == b->vlan_count && a->vlan[0] == b->vlan[0] &&
	       a->vlan[1] == b->vlan[1] && !memcmp(a->addr, b->addr, sizeof(a->addr));
}

static uint64_t frag_hash(const struct flow_key *k, uint32_t id)
{
	struct flow_key tmp = *k;

	tmp.port[0] = (uint16_t)(id >> 16);   /* the id takes the ports' place */
	tmp.port[1] = (uint16_t)id;
	return flow_key_hash(&tmp);
}

static void frag_unlink(struct frag_table *t, struct frag_entry *e)
{
	struct frag_entry **pp = &t->buckets[e->dgram_hash & t->mask];

	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
}

/* Forget the oldest entry (always the FIFO head). */
static void frag_pop_oldest(struct frag_table *t)
{
	struct frag_entry *e = t->fifo_head;

	t->fifo_head = e->fnext;
	if (!t->fifo_head)
		t->fifo_tail = NULL;
	frag_unlink(t, e);
	e->hnext = t->free;
	t->free = e;
}

static void frag_expire(struct frag_table *t, uint64_t now_us)
{
	while (t->fifo_head && now_us - t->fifo_head->born_us > t->timeout_us)
		frag_pop_oldest(t);
}

void frag_table_note(struct frag_table *t, const struct flow_key *flow, uint64_t flow_hash,
		     uint32_t id, uint64_t now_us)
{
	struct frag_entry *e;
	struct flow_key dgram = *flow;

	dgram.port[0] = dgram.port[1] = 0;   /* later fragments have no ports */
	frag_expire(t, now_us);
	if (!t->free) {
		frag_pop_oldest(t);
		t->stats.evicted++;
	}
	e = t->free;
	t->free = e->hnext;
	e->born_us = now_us;
	e->id = id;
	e->flow = *flow;
	e->flow_hash = flow_hash;
	e->dgram_hash = frag_hash(&dgram, id);
	e->hnext = t->buckets[e->dgram_hash & t->mask];
	t->buckets[e->dgram_hash & t->mask] = e;
	e->fnext = NULL;
	if (t->fifo_tail)
		t->fifo_tail->fnext = e;
	else
		t->fifo_head = e;
	t->fifo_tail = e;
	t->stats.noted++;
}

int frag_table_lookup(struct frag_table *t, const struct flow_key *pkt, uint32_t id,
		      uint64_t now_us, struct flow_key *flow, uint64_t *flow_hash)
{
	uint64_t h = frag_hash(pkt, id);
	struct frag_entry *e;

	frag_expire(t, now_us);
	for (e = t->buckets[h & t->mask]; e; e = e->hnext) {
		if (e->dgram_hash == h && e->id == id && frag_same_datagram(&e->flow, pkt)) {
			*flow = e->flow;
			*flow_hash = e->flow_hash;
			t->stats.matched++;
			return 0;
		}
	}
	t->stats.unmatched++;
	return -1;
}

const struct frag_table_stats *frag_table_stats_get(const struct frag_table *t)
{
	return &t->stats;
}
