/*
 * ring — see ring.h.
 *
 * Positions are free-running 64-bit byte counters; the buffer index is
 * pos & mask.  Each message is an 8-byte header (its length) followed by its
 * bytes, padded to 8.  A message never wraps: when it does not fit before the
 * end of the buffer, the producer writes a WRAP header and starts at index 0.
 */
#include "ring.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define RING_ALIGN 8u
#define RING_WRAP UINT64_MAX

struct ring {
	/* producer side and consumer side on separate cache lines */
	_Alignas(64) _Atomic uint64_t tail;  /* written by producer */
	uint64_t tail_pending;               /* producer: end of reserved message */
	uint64_t head_cache;                 /* producer: last head seen */
	_Alignas(64) _Atomic uint64_t head;  /* written by consumer */
	uint64_t head_pending;               /* consumer: end of peeked message */
	uint64_t tail_cache;                 /* consumer: last tail seen */
	_Alignas(64) uint8_t *buf;
	uint64_t size, mask;
};

static uint64_t ring_pad(uint64_t n)
{
	return (n + RING_ALIGN - 1) & ~(uint64_t)(RING_ALIGN - 1);
}

struct ring *ring_new(size_t size)
{
	struct ring *r;
	uint64_t s = 4096;

	while (s < size)
		s <<= 1;
	r = aligned_alloc(64, sizeof(*r));
	if (!r)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->buf = aligned_alloc(64, s);
	if (!r->buf) {
		free(r);
		return NULL;
	}
	r->size = s;
	r->mask = s - 1;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	return r;
}

void ring_free(struct ring *r)
{
	if (!r)
		return;
	free(r->buf);
	free(r);
}

size_t ring_max_message(const struct ring *r)
{
	return (size_t)(r->size / 2 - RING_ALIGN);
}

static int ring_has_room(struct ring *r, uint64_t tail, uint64_t need)
{
	if (tail + need - r->head_cache <= r->size)
		return 1;
	r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
	return tail + need - r->head_cache <= r->size;
}

void *ring_reserve(struct ring *r, size_t len)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint64_t need = RING_ALIGN + ring_pad(len);
	uint64_t idx = tail & r->mask, to_end = r->size - idx;

	if (len > ring_max_message(r))
		return NULL;
	if (need > to_end) {
		/* skip the end of the buffer: WRAP marker, then start over at 0 */
		if (!ring_has_room(r, tail, to_end + need))
			return NULL;
		memcpy(r->buf + idx, &(uint64_t){ RING_WRAP }, sizeof(uint64_t));
		tail += to_end;
		idx = 0;
	} else if (!ring_has_room(r, tail, need)) {
		return NULL;
	}
	memcpy(r->buf + idx, &(uint64_t){ len }, sizeof(uint64_t));
	r->tail_pending = tail + need;
	return r->buf + idx + RING_ALIGN;
}

void ring_commit(struct ring *r)
{
	atomic_store_explicit(&r->tail, r->tail_pending, memory_order_release);
}

const void *ring_peek(struct ring *r, size_t *len)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t hdr;

	for (;;) {
		if (head == r->tail_cache) {
			r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
			if (head == r->tail_cache)
				return NULL;
		}
		memcpy(&hdr, r->buf + (head & r->mask), sizeof(hdr));
		if (hdr != RING_WRAP)
			break;
		head += r->size - (head & r->mask);
		atomic_store_explicit(&r->head, head, memory_order_release);
	}
	*len = (size_t)hdr;
	r->head_pending = head + RING_ALIGN + ring_pad(hdr);
	return r->buf + (head & r->mask) + RING_ALIGN;
}

void ring_release(struct ring *r)
{
	atomic_store_explicit(&r->head, r->head_pending, memory_order_release);
}
