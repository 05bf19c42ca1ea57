/*
 * dtab — a bounded table of fixed-size entries for the behavioural
 * detectors: exact lookup by a fixed-size key, least recently used order,
 * a hard cap on entries fixed at creation, eviction of the least recently
 * used entry when full (counted), and expiry of entries idle since a time.
 * The order is kept to within a second: an entry used again less than a
 * second after it last moved to the tail stays where it is (a use then
 * touches no other entry), so eviction and expiry may pick an entry up to
 * a second off, and expiry may keep one up to a second longer.
 *
 * The memory of all entries is reserved (calloc, so only touched pages cost
 * resident memory) when the table is made, and never grows: dtab_bytes() is
 * the most the table can ever use.  Values start zeroed.
 *
 * One thread (the detectors' thread).  Time is a parameter.  A value
 * pointer stays valid until the entry is deleted, evicted or expired, i.e.
 * until the next dtab_put, dtab_del or dtab_expire on the same table.
 */
#ifndef ZW_DTAB_H
#define ZW_DTAB_H

#include <stddef.h>
#include <stdint.h>

#define DTAB_KEY_MAX 40

struct dtab_stats {
	uint64_t entries, max_entries;
	uint64_t inserted;
	uint64_t evicted;     /* pushed out, least recently used first, to make room */
	uint64_t expired;     /* idle past the detector's window */
	uint64_t bytes;       /* reserved for entries and buckets */
};

/* Called with an entry about to leave the table (evicted or expired, not
 * deleted), so a detector can account for what it loses. */
typedef void (*dtab_leave_fn)(void *ctx, const void *key, void *val, uint64_t last_us);

struct dtab;

/* key_size <= DTAB_KEY_MAX; keys are compared as bytes, so callers zero
 * their padding.  NULL when out of memory or max_entries is 0. */
struct dtab *dtab_new(size_t key_size, size_t val_size, uint32_t max_entries,
		      dtab_leave_fn leave, void *ctx);
void dtab_free(struct dtab *t);

/* Entries of key_size + val_size that fit in bytes (at least 1). */
uint32_t dtab_entries_for(size_t key_size, size_t val_size, uint64_t bytes);

/* Start fetching the bucket of key into the CPU cache, for a dtab_get or
 * dtab_put of the same key soon after (which then reuse its hash). */
void dtab_prefetch(struct dtab *t, const void *key);
/* The value of key, or NULL.  Does not change the LRU order. */
void *dtab_get(struct dtab *t, const void *key);
/* The value of key, made (zeroed) when absent; *created tells which.
 * Marks it used at now_us (see dtab_touch).  Never NULL: a full table evicts. */
void *dtab_put(struct dtab *t, const void *key, uint64_t now_us, int *created);
/* Mark used at now_us: moved to the LRU tail, unless it moved there less
 * than a second before. */
void dtab_touch(struct dtab *t, void *val, uint64_t now_us);
void dtab_del(struct dtab *t, void *val);
/* Remove (through the leave callback) entries last used before before_us:
 * every one last moved to the tail a second or more before it; at most max
 * of them (0: no limit).  Returns how many. */
uint32_t dtab_expire(struct dtab *t, uint64_t before_us, uint32_t max);
/* Remove everything, without the callback (packet time went backwards). */
void dtab_clear(struct dtab *t);

/* The key of a value returned by dtab_get/dtab_put. */
const void *dtab_key(const struct dtab *t, const void *val);

void dtab_stats_get(const struct dtab *t, struct dtab_stats *out);
uint64_t dtab_bytes(const struct dtab *t);

#endif
