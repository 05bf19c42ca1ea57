/*
 * dtab — see dtab.h.
 *
 * Entries live in one array, addressed by index (4 bytes per link instead
 * of 8).  Each has a header (hash chain, LRU links, last use) followed by
 * the key and the value, both 8-byte aligned.  Buckets are twice the
 * entries, rounded up to a power of two.  The hash is seeded at random per
 * table, so an attacker who picks addresses (a spoofed-source flood) cannot
 * aim at one chain; the seed changes where entries sit, never what is kept
 * or evicted, so results stay deterministic.
 */
#include "dtab.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define DTAB_NIL UINT32_MAX

struct dtab_hdr {
	uint32_t hnext;
	uint32_t lprev, lnext;
	uint32_t hash;
	uint64_t last_us;     /* last use */
	uint64_t lru_us;      /* last move to the LRU tail: last_us - lru_us < DTAB_SLACK_US */
};

/* An entry used again within this time of its last move keeps its place in
 * the LRU list: most uses then touch only the entry itself, not its
 * neighbours (as flow_table does).  The list stays sorted by lru_us. */
#define DTAB_SLACK_US 1000000u

struct dtab {
	size_t key_size, val_size, key_off, val_off, stride;
	uint32_t max, count;
	uint32_t nbuckets;    /* power of two */
	uint32_t *buckets;
	unsigned char *slots;
	uint32_t free_head;   /* chain of free slots through hnext */
	uint32_t fresh;       /* slots below this have been used at some time */
	uint32_t lru_head, lru_tail;   /* head: least recently used */
	uint64_t seed;
	dtab_leave_fn leave;
	void *ctx;
	struct dtab_stats st;
	/* the key of the last dtab_prefetch and its hash */
	bool pre_valid;
	uint32_t pre_hash;
	unsigned char pre_key[DTAB_KEY_MAX];
};

static size_t dtab_align8(size_t n)
{
	return (n + 7u) & ~(size_t)7u;
}

static struct dtab_hdr *dtab_hdr(const struct dtab *t, uint32_t i)
{
	return (struct dtab_hdr *)(void *)(t->slots + (size_t)i * t->stride);
}

static uint32_t dtab_index_of(const struct dtab *t, const void *val)
{
	return (uint32_t)((size_t)((const unsigned char *)val - t->slots) / t->stride);
}

static uint64_t dtab_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint32_t dtab_hash(const struct dtab *t, const void *key)
{
	const unsigned char *p = key;
	uint64_t h = t->seed ^ t->key_size;
	size_t i = 0;

	for (; i + 8 <= t->key_size; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		h = dtab_mix(h ^ w);
	}
	if (i < t->key_size) {
		uint64_t w = 0;
		memcpy(&w, p + i, t->key_size - i);
		h = dtab_mix(h ^ w ^ 0x9e3779b97f4a7c15ULL);
	}
	return (uint32_t)h;
}

/* The hash of key: the prefetched one's, else worked out. */
static uint32_t dtab_hash_of(const struct dtab *t, const void *key)
{
	if (t->pre_valid && memcmp(t->pre_key, key, t->key_size) == 0)
		return t->pre_hash;
	return dtab_hash(t, key);
}

void dtab_prefetch(struct dtab *t, const void *key)
{
	t->pre_hash = dtab_hash(t, key);
	memcpy(t->pre_key, key, t->key_size);
	t->pre_valid = true;
	__builtin_prefetch(&t->buckets[t->pre_hash & (t->nbuckets - 1)]);
}

uint32_t dtab_entries_for(size_t key_size, size_t val_size, uint64_t bytes)
{
	uint64_t per = sizeof(struct dtab_hdr) + dtab_align8(key_size) + dtab_align8(val_size) +
		       2u * sizeof(uint32_t);   /* about two buckets per entry */
	uint64_t n = bytes / per;

	if (n < 1)
		n = 1;
	if (n > UINT32_MAX / 4)
		n = UINT32_MAX / 4;
	return (uint32_t)n;
}

struct dtab *dtab_new(size_t key_size, size_t val_size, uint32_t max_entries,
		      dtab_leave_fn leave, void *ctx)
{
	struct dtab *t;
	uint32_t nb = 16;

	if (key_size == 0 || key_size > DTAB_KEY_MAX || max_entries == 0 ||
	    max_entries >= UINT32_MAX / 4)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->key_size = key_size;
	t->val_size = val_size;
	t->key_off = sizeof(struct dtab_hdr);
	t->val_off = t->key_off + dtab_align8(key_size);
	t->stride = t->val_off + dtab_align8(val_size);
	t->max = max_entries;
	while (nb < max_entries)
		nb <<= 1;
	t->nbuckets = nb;
	t->buckets = malloc((size_t)nb * sizeof(*t->buckets));
	t->slots = calloc(max_entries, t->stride);
	if (!t->buckets || !t->slots) {
		dtab_free(t);
		return NULL;
	}
	if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) != (ssize_t)sizeof(t->seed))
		t->seed = (uint64_t)(uintptr_t)t ^ 0x5bd1e9955bd1e995ULL;
	t->leave = leave;
	t->ctx = ctx;
	t->st.max_entries = max_entries;
	t->st.bytes = (uint64_t)nb * sizeof(*t->buckets) + (uint64_t)max_entries * t->stride;
	dtab_clear(t);
	return t;
}

void dtab_free(struct dtab *t)
{
	if (!t)
		return;
	free(t->buckets);
	free(t->slots);
	free(t);
}

void dtab_clear(struct dtab *t)
{
	for (uint32_t i = 0; i < t->nbuckets; i++)
		t->buckets[i] = DTAB_NIL;
	t->free_head = DTAB_NIL;
	t->fresh = 0;
	t->count = 0;
	t->lru_head = t->lru_tail = DTAB_NIL;
	t->st.entries = 0;
}

static void dtab_lru_unlink(struct dtab *t, uint32_t i)
{
	struct dtab_hdr *h = dtab_hdr(t, i);

	if (h->lprev != DTAB_NIL)
		dtab_hdr(t, h->lprev)->lnext = h->lnext;
	else
		t->lru_head = h->lnext;
	if (h->lnext != DTAB_NIL)
		dtab_hdr(t, h->lnext)->lprev = h->lprev;
	else
		t->lru_tail = h->lprev;
}

static void dtab_lru_append(struct dtab *t, uint32_t i)
{
	struct dtab_hdr *h = dtab_hdr(t, i);

	h->lnext = DTAB_NIL;
	h->lprev = t->lru_tail;
	if (t->lru_tail != DTAB_NIL)
		dtab_hdr(t, t->lru_tail)->lnext = i;
	else
		t->lru_head = i;
	t->lru_tail = i;
}

static void *dtab_val(const struct dtab *t, uint32_t i)
{
	return t->slots + (size_t)i * t->stride + t->val_off;
}

static void *dtab_keyp(const struct dtab *t, uint32_t i)
{
	return t->slots + (size_t)i * t->stride + t->key_off;
}

static uint32_t dtab_find(const struct dtab *t, const void *key, uint32_t hash)
{
	for (uint32_t i = t->buckets[hash & (t->nbuckets - 1)]; i != DTAB_NIL;
	     i = dtab_hdr(t, i)->hnext) {
		const struct dtab_hdr *h = dtab_hdr(t, i);
		if (h->hash == hash && memcmp(dtab_keyp(t, i), key, t->key_size) == 0)
			return i;
	}
	return DTAB_NIL;
}

/* Used at now_us: moved to the LRU tail unless moved within the slack. */
static void dtab_use(struct dtab *t, uint32_t i, uint64_t now_us)
{
	struct dtab_hdr *h = dtab_hdr(t, i);

	h->last_us = now_us;
	if (now_us >= h->lru_us + DTAB_SLACK_US || now_us < h->lru_us) {
		h->lru_us = now_us;
		if (t->lru_tail != i) {
			dtab_lru_unlink(t, i);
			dtab_lru_append(t, i);
		}
	}
}

/* Take entry i out of its chain, the LRU list and the count. */
static void dtab_remove(struct dtab *t, uint32_t i)
{
	uint32_t b = dtab_hdr(t, i)->hash & (t->nbuckets - 1);
	uint32_t *pp = &t->buckets[b];

	while (*pp != DTAB_NIL && *pp != i)
		pp = &dtab_hdr(t, *pp)->hnext;
	if (*pp == i)
		*pp = dtab_hdr(t, i)->hnext;
	dtab_lru_unlink(t, i);
	dtab_hdr(t, i)->hnext = t->free_head;
	t->free_head = i;
	t->count--;
	t->st.entries = t->count;
}

/* A full table evicts on every insert, in LRU order, which is known ahead:
 * fetch the next victim's bucket (its entry came with the last call) and
 * the entry after it, so that the next eviction finds them in the cache. */
static void dtab_prefetch_victims(const struct dtab *t)
{
	uint32_t i = t->lru_head;

	if (i == DTAB_NIL)
		return;
	__builtin_prefetch(&t->buckets[dtab_hdr(t, i)->hash & (t->nbuckets - 1)], 1);
	i = dtab_hdr(t, i)->lnext;
	if (i != DTAB_NIL)
		__builtin_prefetch(dtab_hdr(t, i), 1);
}

static void dtab_leave(struct dtab *t, uint32_t i)
{
	if (t->leave)
		t->leave(t->ctx, dtab_keyp(t, i), dtab_val(t, i), dtab_hdr(t, i)->last_us);
	dtab_remove(t, i);
}

void *dtab_get(struct dtab *t, const void *key)
{
	uint32_t i = dtab_find(t, key, dtab_hash_of(t, key));

	return i == DTAB_NIL ? NULL : dtab_val(t, i);
}

void *dtab_put(struct dtab *t, const void *key, uint64_t now_us, int *created)
{
	uint32_t hash = dtab_hash_of(t, key), i = dtab_find(t, key, hash), b;
	struct dtab_hdr *h;

	if (i != DTAB_NIL) {
		*created = 0;
		dtab_use(t, i, now_us);
		return dtab_val(t, i);
	}
	if (t->count == t->max) {
		t->st.evicted++;
		dtab_leave(t, t->lru_head);
		dtab_prefetch_victims(t);
	}
	if (t->free_head != DTAB_NIL) {
		i = t->free_head;
		t->free_head = dtab_hdr(t, i)->hnext;
	} else {
		i = t->fresh++;
	}
	h = dtab_hdr(t, i);
	memcpy(dtab_keyp(t, i), key, t->key_size);
	memset(dtab_val(t, i), 0, t->val_size);
	h->last_us = h->lru_us = now_us;
	h->hash = hash;
	b = hash & (t->nbuckets - 1);
	h->hnext = t->buckets[b];
	t->buckets[b] = i;
	dtab_lru_append(t, i);
	t->count++;
	t->st.entries = t->count;
	t->st.inserted++;
	*created = 1;
	return dtab_val(t, i);
}

void dtab_touch(struct dtab *t, void *val, uint64_t now_us)
{
	dtab_use(t, dtab_index_of(t, val), now_us);
}

void dtab_del(struct dtab *t, void *val)
{
	dtab_remove(t, dtab_index_of(t, val));
}

uint32_t dtab_expire(struct dtab *t, uint64_t before_us, uint32_t max)
{
	uint32_t n = 0;

	/* the list is in lru_us order; an entry's last use is less than the
	 * slack after it, so those moved before before_us - slack are idle */
	while (t->lru_head != DTAB_NIL &&
	       dtab_hdr(t, t->lru_head)->lru_us + DTAB_SLACK_US <= before_us &&
	       (max == 0 || n < max)) {
		dtab_leave(t, t->lru_head);
		dtab_prefetch_victims(t);
		t->st.expired++;
		n++;
	}
	return n;
}

const void *dtab_key(const struct dtab *t, const void *val)
{
	return dtab_keyp(t, dtab_index_of(t, val));
}

void dtab_stats_get(const struct dtab *t, struct dtab_stats *out)
{
	*out = t->st;
}

uint64_t dtab_bytes(const struct dtab *t)
{
	return t->st.bytes;
}
