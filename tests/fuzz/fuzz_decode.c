/*
 * fuzz_decode — libFuzzer target for decode_frame().
 *
 * Input: byte 0 picks the link type (index into fuzz_decode_dlts, modulo its
 * size); the rest is the frame, caplen = its length.  Besides the
 * sanitizers, the target checks the contract of decode.h and aborts when it
 * is broken: a known result, and for DECODE_OK an IP version and offsets
 * inside the frame.
 *
 * Built by `make fuzz` (libFuzzer) and, with tests/fuzz/replay_main.c, as a
 * plain program that replays tests/fuzz/corpus/decode/.
 */
#include "decode.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Same order as fuzz_dlts[] in tests/unit/test_decode.c, which writes seeds. */
static const int fuzz_decode_dlts[] = {
	1,      /* EN10MB */
	113,    /* LINUX_SLL */
	276,    /* LINUX_SLL2 */
	12,     /* RAW */
	101,    /* LINKTYPE_RAW */
	228,    /* IPV4 */
	229,    /* IPV6 */
	0,      /* NULL */
	108,    /* LOOP */
	50,     /* PPP_SERIAL */
	104,    /* C_HDLC */
	9       /* PPP */
};

#define FUZZ_DECODE_NDLTS (sizeof(fuzz_decode_dlts) / sizeof(fuzz_decode_dlts[0]))

static void fuzz_decode_check(int rc, const struct decoded *d, size_t caplen)
{
	if (rc < 0 || rc >= DECODE_NREASONS || decode_result_name(rc) == NULL)
		abort();
	if (d->tunnel >= DECODE_NTUNNELS || (d->tunnel != 0) != (d->tunnel_depth != 0))
		abort();
	if (d->vlan_count > DECODE_MAX_VLANS)
		abort();
	if (rc != DECODE_OK)
		return;
	if (d->ip_version != 4 && d->ip_version != 6)
		abort();
	if ((size_t)d->ip_offset + d->ip_len > caplen ||
	    (size_t)d->payload_offset + d->payload_len > caplen ||
	    d->payload_offset < d->ip_offset)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct decoded d;
	int dlt, rc;

	if (size < 1)
		return 0;
	dlt = fuzz_decode_dlts[data[0] % FUZZ_DECODE_NDLTS];
	rc = decode_frame(dlt, data + 1, size - 1, &d);
	fuzz_decode_check(rc, &d, size - 1);
	return 0;
}
