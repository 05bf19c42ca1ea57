/*
 * ring — a single-producer single-consumer byte ring of variable-length
 * messages, fixed size chosen at creation.
 *
 * Exactly one producer thread calls ring_reserve/ring_commit and exactly one
 * consumer thread calls ring_peek/ring_release.  A pointer from ring_reserve
 * is valid until ring_commit; one from ring_peek until ring_release.  No
 * locks: head and tail are C11 atomics (acquire/release).
 */
#ifndef ZW_RING_H
#define ZW_RING_H

#include <stddef.h>
#include <stdint.h>

struct ring;

/* size is rounded up to a power of two; NULL on failure. */
struct ring *ring_new(size_t size);
void ring_free(struct ring *r);

/* Largest message ring_reserve can ever accept. */
size_t ring_max_message(const struct ring *r);

/* Producer: space for a message of len bytes, or NULL if the ring is full now. */
void *ring_reserve(struct ring *r, size_t len);
/* Producer: publish the message last reserved. */
void ring_commit(struct ring *r);

/* Consumer: the next message and its length, or NULL if the ring is empty. */
const void *ring_peek(struct ring *r, size_t *len);
/* Consumer: free the message last peeked. */
void ring_release(struct ring *r);

#endif
