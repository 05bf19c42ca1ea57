/*
 * flow_table — see flow_table.h.
 *
 * Chained hash table with a power-of-two bucket array sized once from the
 * cap; one doubly linked LRU list per timeout class.  Within a class every
 * flow has the same timeout, so the list head is always the next to expire and
 * expiry costs O(expired flows).  Packet times that go backwards (merged
 * captures, clock steps) are clamped to the newest time seen.
 */
#include "flow_table.h"

#include <stdlib.h>
#include <string.h>

#define FLOW_TABLE_FREELIST_MAX 4096
#define FLOW_TABLE_LRU_SLACK_US 1000000u

struct flow_list {
	struct flow *head, *tail;
};

struct flow_table {
	struct flow_table_config cfg;
	flow_table_end_cb on_end;
	void *ctx;
	struct flow **buckets;
	uint64_t mask;
	struct flow_list lru[FLOW_TCLASS_COUNT];
	struct flow *freelist;         /* recycled flow structs, linked by hnext */
	uint32_t nfree;
	uint64_t now_us;
	struct flow_table_stats stats;
};

struct flow_table *flow_table_new(const struct flow_table_config *cfg,
				  flow_table_end_cb on_end, void *ctx)
{
	struct flow_table *t;
	uint64_t nb = 1024;

	if (cfg->max_flows == 0)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cfg = *cfg;
	t->on_end = on_end;
	t->ctx = ctx;
	/* about two flows per bucket when full */
	while (nb < cfg->max_flows / 2 && nb < (1ULL << 30))
		nb <<= 1;
	t->buckets = calloc(nb, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return NULL;
	}
	t->mask = nb - 1;
	return t;
}

static void flow_table_release(struct flow_table *t, struct flow *f)
{
	free(f->tunnel);
	free(f->fired);
	free(f->dpi.hostname);
	free(f->dpi.tls);
	if (t->nfree < FLOW_TABLE_FREELIST_MAX) {
		f->hnext = t->freelist;
		t->freelist = f;
		t->nfree++;
	} else {
		free(f);
	}
}

void flow_table_free(struct flow_table *t)
{
	struct flow *f, *next;

	if (!t)
		return;
	for (int c = 0; c < FLOW_TCLASS_COUNT; c++) {
		for (f = t->lru[c].head; f; f = next) {
			next = f->lnext;
			free(f->tunnel);
			free(f->dpi.hostname);
			free(f->dpi.tls);
			free(f);
		}
	}
	for (f = t->freelist; f; f = next) {
		next = f->hnext;
		free(f);
	}
	free(t->buckets);
	free(t);
}

static void flow_list_remove(struct flow_list *l, struct flow *f)
{
	if (f->lprev)
		f->lprev->lnext = f->lnext;
	else
		l->head = f->lnext;
	if (f->lnext)
		f->lnext->lprev = f->lprev;
	else
		l->tail = f->lprev;
	f->lprev = f->lnext = NULL;
}

static void flow_list_append(struct flow_list *l, struct flow *f)
{
	f->lnext = NULL;
	f->lprev = l->tail;
	if (l->tail)
		l->tail->lnext = f;
	else
		l->head = f;
	l->tail = f;
}

static enum flow_tclass flow_table_class_of(const struct flow *f)
{
	switch (f->key.proto) {
	case 6:
		if ((f->tcp & FLOW_TCP_RST) ||
		    (f->tcp & (FLOW_TCP_FIN0 | FLOW_TCP_FIN1)) == (FLOW_TCP_FIN0 | FLOW_TCP_FIN1))
			return FLOW_TCLASS_TCP_CLOSED;
		return FLOW_TCLASS_TCP;
	case 17:
		return FLOW_TCLASS_UDP;
	case 1:
	case 58:
		return FLOW_TCLASS_ICMP;
	default:
		return FLOW_TCLASS_OTHER;
	}
}

static enum flow_end flow_table_idle_reason(const struct flow *f)
{
	if (f->tclass != FLOW_TCLASS_TCP_CLOSED)
		return FLOW_END_TIMEOUT;
	return (f->tcp & FLOW_TCP_RST) ? FLOW_END_RST : FLOW_END_FIN;
}

static void flow_table_unlink(struct flow_table *t, struct flow *f)
{
	struct flow **pp = &t->buckets[f->hash & t->mask];

	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	flow_list_remove(&t->lru[f->tclass], f);
	t->stats.active--;
}

static void flow_table_end(struct flow_table *t, struct flow *f, enum flow_end reason)
{
	flow_table_unlink(t, f);
	t->stats.ended[reason]++;
	t->on_end(t->ctx, f, reason);
	flow_table_release(t, f);
}

static bool flow_table_is_idle(const struct flow_table *t, const struct flow *f, uint64_t now_us)
{
	uint64_t timeout_us = (uint64_t)t->cfg.timeout_s[f->tclass] * 1000000u;
	return now_us > f->last_us && now_us - f->last_us > timeout_us;
}

void flow_table_expire(struct flow_table *t, uint64_t now_us)
{
	if (now_us > t->now_us)
		t->now_us = now_us;
	for (int c = 0; c < FLOW_TCLASS_COUNT; c++) {
		struct flow *f;
		while ((f = t->lru[c].head) && flow_table_is_idle(t, f, t->now_us))
			flow_table_end(t, f, flow_table_idle_reason(f));
	}
}

void flow_table_flush(struct flow_table *t, enum flow_end reason)
{
	for (int c = 0; c < FLOW_TCLASS_COUNT; c++) {
		struct flow *f;
		while ((f = t->lru[c].head))
			flow_table_end(t, f, reason);
	}
	t->now_us = 0;
}

/* Make room for one flow: expire what is idle, else push out the least
 * recently seen flow of any class. */
static void flow_table_make_room(struct flow_table *t)
{
	struct flow *oldest = NULL;

	flow_table_expire(t, t->now_us);
	if (t->stats.active < t->cfg.max_flows)
		return;
	for (int c = 0; c < FLOW_TCLASS_COUNT; c++) {
		struct flow *f = t->lru[c].head;
		if (f && (!oldest || f->last_us < oldest->last_us))
			oldest = f;
	}
	if (oldest)
		flow_table_end(t, oldest, FLOW_END_EVICTED);
}

static struct flow *flow_table_alloc(struct flow_table *t)
{
	struct flow *f = t->freelist;

	if (f) {
		t->freelist = f->hnext;
		t->nfree--;
		memset(f, 0, sizeof(*f));
		return f;
	}
	return calloc(1, sizeof(*f));
}

static struct flow *flow_table_create(struct flow_table *t, const struct flow_key *key,
				      uint64_t hash)
{
	struct flow *f;

	if (t->stats.active >= t->cfg.max_flows)
		flow_table_make_room(t);
	f = flow_table_alloc(t);
	if (!f) {
		t->stats.alloc_failed++;
		return NULL;
	}
	f->key = *key;
	f->hash = hash;
	f->first_us = f->last_us = f->report_us = f->lru_us = t->now_us;
	f->tclass = (uint8_t)flow_table_class_of(f);
	f->hnext = t->buckets[hash & t->mask];
	t->buckets[hash & t->mask] = f;
	flow_list_append(&t->lru[f->tclass], f);
	t->stats.created++;
	if (++t->stats.active > t->stats.peak)
		t->stats.peak = t->stats.active;
	return f;
}

struct flow *flow_table_find(const struct flow_table *t, const struct flow_key *key,
			     uint64_t hash, int *dir)
{
	struct flow *f;
	int m;

	for (f = t->buckets[hash & t->mask]; f; f = f->hnext) {
		if (f->hash == hash && (m = flow_key_match(&f->key, key)) != 0) {
			*dir = m - 1;
			return f;
		}
	}
	return NULL;
}

struct flow *flow_table_get(struct flow_table *t, const struct flow_key *key, uint64_t hash,
			    uint64_t now_us, bool tcp_syn_only, int *dir, bool *created)
{
	struct flow *f;

	if (now_us > t->now_us)
		t->now_us = now_us;
	*created = false;
	f = flow_table_find(t, key, hash, dir);
	if (f) {
		if (flow_table_is_idle(t, f, t->now_us)) {
			flow_table_end(t, f, flow_table_idle_reason(f));
			f = NULL;
		} else if (tcp_syn_only && f->tclass == FLOW_TCLASS_TCP_CLOSED) {
			/* a new connection on the 4-tuple of a finished one */
			flow_table_end(t, f, FLOW_END_REUSED);
			f = NULL;
		}
	}
	if (f)
		return f;
	f = flow_table_create(t, key, hash);
	if (f) {
		*dir = 0;
		*created = true;
	}
	return f;
}

void flow_table_touch(struct flow_table *t, struct flow *f, uint64_t now_us)
{
	uint8_t c = (uint8_t)flow_table_class_of(f);

	if (now_us > t->now_us)
		t->now_us = now_us;
	f->last_us = t->now_us;
	/* Moving a flow to the LRU tail touches its neighbours' cache lines: do
	 * it at most once per FLOW_TABLE_LRU_SLACK_US of packet time.  A list
	 * head is then at most that much fresher than its position says, so an
	 * idle flow queued behind it is reported at most that much later -
	 * never earlier, and with the same record (last_us is exact). */
	if (c == f->tclass && f->last_us - f->lru_us < FLOW_TABLE_LRU_SLACK_US)
		return;
	flow_list_remove(&t->lru[f->tclass], f);
	f->tclass = c;
	f->lru_us = f->last_us;
	flow_list_append(&t->lru[c], f);
}

const struct flow_table_stats *flow_table_stats_get(const struct flow_table *t)
{
	return &t->stats;
}

size_t flow_table_memory(const struct flow_table *t)
{
	return sizeof(*t) + (t->mask + 1) * sizeof(*t->buckets) +
	       (t->stats.active + t->nfree) * sizeof(struct flow);
}
