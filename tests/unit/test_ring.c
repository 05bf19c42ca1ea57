/* Unit test: the SPSC ring, single-threaded edge cases and a two-thread run
 * that checks every message arrives once, in order, intact. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ring.h"

#define N_MSGS 200000

static void *producer(void *arg)
{
	struct ring *r = arg;
	uint8_t buf[600];

	for (uint32_t i = 0; i < N_MSGS; i++) {
		size_t len = 4 + (i * 7919u) % 500;
		uint8_t *slot;

		memcpy(buf, &i, 4);
		for (size_t j = 4; j < len; j++)
			buf[j] = (uint8_t)(i + j);
		while (!(slot = ring_reserve(r, len)))
			;
		memcpy(slot, buf, len);
		ring_commit(r);
	}
	return NULL;
}

int main(void)
{
	struct ring *r = ring_new(4096);
	size_t len;
	pthread_t th;
	uint32_t expect = 0;
	unsigned bad = 0;

	CHECK(r != NULL, "ring created");
	CHECK(ring_peek(r, &len) == NULL, "empty ring gives nothing");
	CHECK(ring_reserve(r, ring_max_message(r) + 1) == NULL, "oversized message refused");
	/* fill until full, then drain */
	unsigned n = 0;
	void *p;
	while ((p = ring_reserve(r, 100))) {
		memset(p, (int)n, 100);
		ring_commit(r);
		n++;
	}
	CHECK(n > 30 && n < 40, "4 KiB holds %u messages of 100 bytes", n);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *m = ring_peek(r, &len);
		CHECK(m && len == 100 && m[0] == (uint8_t)i && m[99] == (uint8_t)i, "message %u", i);
		ring_release(r);
	}
	CHECK(ring_peek(r, &len) == NULL, "drained");
	ring_free(r);

	r = ring_new(1 << 14);
	pthread_create(&th, NULL, producer, r);
	while (expect < N_MSGS) {
		const uint8_t *m = ring_peek(r, &len);
		uint32_t id;

		if (!m)
			continue;
		memcpy(&id, m, 4);
		if (id != expect || len != 4 + (id * 7919u) % 500)
			bad++;
		for (size_t j = 4; j < len; j++)
			if (m[j] != (uint8_t)(id + j))
				bad++;
		ring_release(r);
		expect++;
	}
	pthread_join(th, NULL);
	CHECK(bad == 0, "%u corrupt or out-of-order messages in %d", bad, N_MSGS);
	CHECK(ring_peek(r, &len) == NULL, "nothing extra");
	ring_free(r);
	return check_done();
}
