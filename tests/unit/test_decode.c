/*
 * test_decode — unit tests of sensor/decode.c through decode.h.
 *
 * Frames are built byte by byte with the small put*() helpers below; length
 * fields are patched by finish().  Every frame is handed to decode_frame()
 * in a heap buffer of exactly caplen bytes, so AddressSanitizer sees any
 * read past the end.  One line per check; the last line is
 * "N passed, N failed"; the exit status is 1 when anything failed.
 *
 *   test_decode                 run the tests
 *   test_decode --corpus DIR    also write every built frame to DIR as a
 *                               seed for tests/fuzz/fuzz_decode.c (first byte:
 *                               index of the link type in FUZZ_DLTS)
 */
#include "decode.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* pcap link types (decode.h takes plain DLT numbers). */
enum {
	T_DLT_NULL = 0, T_DLT_EN10MB = 1, T_DLT_PPP = 9, T_DLT_RAW = 12,
	T_DLT_PPP_SERIAL = 50, T_LINKTYPE_RAW = 101, T_DLT_C_HDLC = 104,
	T_DLT_LOOP = 108, T_DLT_LINUX_SLL = 113, T_DLT_IPV4 = 228,
	T_DLT_IPV6 = 229, T_DLT_LINUX_SLL2 = 276
};

/* Same order as in tests/fuzz/fuzz_decode.c: the corpus files' first byte. */
static const int fuzz_dlts[] = {
	T_DLT_EN10MB, T_DLT_LINUX_SLL, T_DLT_LINUX_SLL2, T_DLT_RAW, T_LINKTYPE_RAW,
	T_DLT_IPV4, T_DLT_IPV6, T_DLT_NULL, T_DLT_LOOP, T_DLT_PPP_SERIAL,
	T_DLT_C_HDLC, T_DLT_PPP
};

#define PKT_MAX 4096
#define PKT_FIXES 32

struct pkt {
	uint8_t b[PKT_MAX];
	size_t n;
	struct { size_t at, base; } fix[PKT_FIXES];  /* b[at..at+1] = n - base */
	int nfix;
};

struct t {
	int pass, fail;
	const char *corpus_dir;      /* NULL: do not write seeds */
};

__attribute__((format(printf, 3, 4)))
static void check(struct t *t, int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", cond ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (cond)
		t->pass++;
	else
		t->fail++;
}

/* ---- frame building ---- */

static const uint8_t A4[4] = { 10, 0, 0, 1 }, B4[4] = { 10, 0, 0, 2 };
static const uint8_t C4[4] = { 192, 168, 1, 10 }, D4[4] = { 8, 8, 8, 8 };
static const uint8_t A6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t B6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
static const uint8_t C6[16] = { 0xfe, 0x80, [15] = 0x10 };
static const uint8_t D6[16] = { 0xff, 0x02, [15] = 0x01 };

static void p_init(struct pkt *p)
{
	memset(p, 0, sizeof(*p));
}

static void put8(struct pkt *p, unsigned v)
{
	if (p->n < PKT_MAX)
		p->b[p->n++] = (uint8_t)v;
}

static void put16(struct pkt *p, unsigned v)
{
	put8(p, v >> 8);
	put8(p, v & 0xff);
}

static void put32(struct pkt *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p, v & 0xffff);
}

static void putn(struct pkt *p, const uint8_t *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		put8(p, s[i]);
}

static void zeros(struct pkt *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		put8(p, 0);
}

static void payload(struct pkt *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		put8(p, 'a' + (unsigned)(i % 26));
}

/* Ask finish() to store (final length - base) at b[at..at+1]. */
static void fix16(struct pkt *p, size_t at, size_t base)
{
	if (p->nfix < PKT_FIXES) {
		p->fix[p->nfix].at = at;
		p->fix[p->nfix].base = base;
		p->nfix++;
	}
}

static void finish(struct pkt *p)
{
	int i;

	for (i = 0; i < p->nfix; i++) {
		size_t v = p->n - p->fix[i].base;

		p->b[p->fix[i].at] = (uint8_t)(v >> 8);
		p->b[p->fix[i].at + 1] = (uint8_t)v;
	}
}

static void pad_to(struct pkt *p, size_t n)
{
	while (p->n < n)
		put8(p, 0);
}

static void eth(struct pkt *p, unsigned type)
{
	static const uint8_t dst[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };
	static const uint8_t src[6] = { 0x00, 0x66, 0x77, 0x88, 0x99, 0xaa };

	putn(p, dst, 6);
	putn(p, src, 6);
	put16(p, type);
}

static void vlan(struct pkt *p, unsigned tci, unsigned next)
{
	put16(p, tci);
	put16(p, next);
}

/* IPv4 header with ihl 32-bit words (options zero) and a frag field. */
static size_t ip4x(struct pkt *p, unsigned proto, const uint8_t *src,
		   const uint8_t *dst, unsigned ihl, unsigned frag)
{
	size_t at = p->n;

	put8(p, 0x40 | ihl);
	put8(p, 0);
	put16(p, 0);            /* total length: finish() */
	put16(p, 0x1234);
	put16(p, frag);
	put8(p, 64);
	put8(p, proto);
	put16(p, 0);
	putn(p, src, 4);
	putn(p, dst, 4);
	if (ihl > 5)
		zeros(p, (ihl - 5) * 4);
	fix16(p, at + 2, at);
	return at;
}

static size_t ip4(struct pkt *p, unsigned proto, const uint8_t *src, const uint8_t *dst)
{
	return ip4x(p, proto, src, dst, 5, 0);
}

static size_t ip6(struct pkt *p, unsigned nh, const uint8_t *src, const uint8_t *dst)
{
	size_t at = p->n;

	put32(p, 0x60000000);
	put16(p, 0);            /* payload length: finish() */
	put8(p, nh);
	put8(p, 64);
	putn(p, src, 16);
	putn(p, dst, 16);
	fix16(p, at + 4, at + 40);
	return at;
}

/* Generic IPv6 extension header of (units + 1) * 8 bytes. */
static void ext6(struct pkt *p, unsigned nh, unsigned units)
{
	put8(p, nh);
	put8(p, units);
	zeros(p, (size_t)(units + 1) * 8 - 2);
}

static void frag6(struct pkt *p, unsigned nh, unsigned offset8, unsigned more)
{
	put8(p, nh);
	put8(p, 0);
	put16(p, (offset8 << 3) | (more ? 1 : 0));
	put32(p, 0xabcd);
}

/* AH: (plen + 2) * 4 bytes. */
static void ah6(struct pkt *p, unsigned nh, unsigned plen)
{
	put8(p, nh);
	put8(p, plen);
	zeros(p, (size_t)(plen + 2) * 4 - 2);
}

static void tcp(struct pkt *p, unsigned sport, unsigned dport, unsigned flags)
{
	put16(p, sport);
	put16(p, dport);
	put32(p, 1000);
	put32(p, 0);
	put8(p, 5 << 4);
	put8(p, flags);
	put16(p, 65535);
	put16(p, 0);
	put16(p, 0);
}

static size_t udp(struct pkt *p, unsigned sport, unsigned dport)
{
	size_t at = p->n;

	put16(p, sport);
	put16(p, dport);
	put16(p, 0);            /* length: finish() */
	put16(p, 0);
	fix16(p, at + 4, at);
	return at;
}

/* Ethernet + IPv4 + TCP 10.0.0.1:1234 -> 10.0.0.2:80 + n payload bytes. */
static void build_v4_tcp(struct pkt *p, size_t n)
{
	p_init(p);
	eth(p, 0x0800);
	ip4(p, 6, A4, B4);
	tcp(p, 1234, 80, 0x02);
	payload(p, n);
	finish(p);
}

/* The inner packet of the tunnel tests: IPv4 TCP 192.168.1.10:40000 ->
 * 8.8.8.8:443, 5 payload bytes. */
static void inner_v4_tcp(struct pkt *p)
{
	ip4(p, 6, C4, D4);
	tcp(p, 40000, 443, 0x18);
	payload(p, 5);
}

static void inner_eth_v4_tcp(struct pkt *p)
{
	eth(p, 0x0800);
	inner_v4_tcp(p);
}

/* ---- decoding and expectations ---- */

static void write_seed(const struct t *t, const char *name, int dlt, const struct pkt *p)
{
	char path[512];
	FILE *f;
	size_t i;
	int idx = -1;

	if (t->corpus_dir == NULL)
		return;
	for (i = 0; i < sizeof(fuzz_dlts) / sizeof(fuzz_dlts[0]); i++)
		if (fuzz_dlts[i] == dlt)
			idx = (int)i;
	if (idx < 0)
		return;
	snprintf(path, sizeof(path), "%s/unit-%s", t->corpus_dir, name);
	f = fopen(path, "wb");
	if (f == NULL)
		return;
	fputc(idx, f);
	fwrite(p->b, 1, p->n, f);
	fclose(f);
}

/* decode_frame() on an exact-size heap copy of the first caplen bytes. */
static int dec_n(int dlt, const uint8_t *frame, size_t caplen, struct decoded *d)
{
	uint8_t *copy = malloc(caplen ? caplen : 1);
	int rc;

	if (copy == NULL) {
		perror("malloc");
		exit(2);
	}
	if (caplen)
		memcpy(copy, frame, caplen);
	rc = decode_frame(dlt, copy, caplen, d);
	free(copy);
	return rc;
}

static int dec(struct t *t, const char *name, int dlt, const struct pkt *p, struct decoded *d)
{
	write_seed(t, name, dlt, p);
	return dec_n(dlt, p->b, p->n, d);
}

static void expect_rc(struct t *t, const char *name, int got, int want)
{
	check(t, got == want, "%s: result %s (want %s)", name,
	      decode_result_name(got), decode_result_name(want));
}

static int addr_eq(const uint8_t *got, const uint8_t *want, int version)
{
	uint8_t full[16] = { 0 };

	memcpy(full, want, version == 4 ? 4 : 16);
	return memcmp(got, full, 16) == 0;
}

/* Innermost packet: version, protocol, addresses and ports. */
static void expect_flow(struct t *t, const char *name, const struct decoded *d,
			int version, int proto, const uint8_t *src, const uint8_t *dst,
			unsigned sport, unsigned dport)
{
	check(t, d->ip_version == version && d->l4_proto == proto,
	      "%s: IPv%d proto %d (got IPv%d proto %d)", name, version, proto,
	      d->ip_version, d->l4_proto);
	check(t, addr_eq(d->src, src, version) && addr_eq(d->dst, dst, version),
	      "%s: addresses", name);
	check(t, d->sport == sport && d->dport == dport,
	      "%s: ports %u > %u (got %u > %u)", name, sport, dport, d->sport, d->dport);
}

static void expect_tunnel(struct t *t, const char *name, const struct decoded *d,
			  int tunnel, int depth, int version, const uint8_t *src,
			  const uint8_t *dst)
{
	check(t, d->tunnel == tunnel && d->tunnel_depth == depth,
	      "%s: tunnel %s depth %d (got %s depth %d)", name,
	      tunnel ? decode_tunnel_name(tunnel) : "none", depth,
	      d->tunnel ? decode_tunnel_name(d->tunnel) : "none", d->tunnel_depth);
	if (tunnel == 0 || src == NULL || dst == NULL)
		return;
	check(t, d->tunnel_ip_version == version && addr_eq(d->tunnel_src, src, version) &&
	      addr_eq(d->tunnel_dst, dst, version), "%s: outer addresses IPv%d", name, version);
}

static void expect_lens(struct t *t, const char *name, const struct decoded *d,
			unsigned ip_off, unsigned ip_len, unsigned ip_total,
			unsigned pl_off, unsigned pl_len)
{
	check(t, d->ip_offset == ip_off && d->ip_len == ip_len && d->ip_total_len == ip_total,
	      "%s: ip offset/len/total %u/%u/%u (got %u/%u/%u)", name, ip_off, ip_len,
	      ip_total, d->ip_offset, d->ip_len, d->ip_total_len);
	check(t, d->payload_offset == pl_off && d->payload_len == pl_len,
	      "%s: payload offset/len %u/%u (got %u/%u)", name, pl_off, pl_len,
	      d->payload_offset, d->payload_len);
}

/* The standard inner flow of the tunnel tests. */
static void expect_inner(struct t *t, const char *name, const struct decoded *d)
{
	expect_flow(t, name, d, 4, 6, C4, D4, 40000, 443);
	check(t, d->tcp_flags == 0x18 && d->payload_len == 5,
	      "%s: inner flags 0x18 and 5 payload bytes (got 0x%02x, %u)", name,
	      d->tcp_flags, d->payload_len);
}

/* ---- real frames ---- */

/* capwap.pcap, frame 280, first 160 of its bytes */
static const uint8_t real_capwap_dhcp[] = {
	0x24, 0xe9, 0xb3, 0x47, 0xae, 0x20, 0xb8, 0x38, 0x61, 0xf3, 0x05, 0xac,
	0x08, 0x00, 0x45, 0x00, 0x01, 0x94, 0x00, 0x49, 0x40, 0x00, 0x40, 0x11,
	0xa3, 0xac, 0xc0, 0xa8, 0x0a, 0x0a, 0xc0, 0xa8, 0x0a, 0x09, 0x30, 0x5c,
	0x14, 0x7f, 0x01, 0x80, 0x00, 0x00, 0x00, 0x20, 0x43, 0x20, 0x00, 0x00,
	0x00, 0x00, 0x01, 0x04, 0xed, 0x4d, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08,
	0x2c, 0x00, 0x58, 0x0a, 0x20, 0x69, 0x0e, 0x20, 0x1c, 0xab, 0xa7, 0xf2,
	0x13, 0x9d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0xaa, 0xaa,
	0x03, 0x00, 0x00, 0x00, 0x08, 0x00, 0x45, 0x00, 0x01, 0x48, 0xec, 0x5a,
	0x00, 0x00, 0xff, 0x11, 0xce, 0x4a, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff,
	0xff, 0xff, 0x00, 0x44, 0x00, 0x43, 0x01, 0x34, 0x99, 0xf7, 0x01, 0x01,
	0x06, 0x00, 0xcc, 0x4e, 0xc6, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x1c, 0xab, 0xa7, 0xf2, 0x13, 0x9d, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
};
/* ipv6_in_gtp.pcap, frame 1, first 150 of its bytes */
static const uint8_t real_gtpu_ipv6[] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x34, 0xb3, 0x54, 0x07, 0xca, 0x56,
	0x81, 0x00, 0x0c, 0xa1, 0x81, 0x00, 0x60, 0x05, 0x08, 0x00, 0x45, 0x68,
	0x00, 0x80, 0x68, 0x49, 0x00, 0x00, 0xff, 0x11, 0xee, 0x79, 0x0a, 0xee,
	0x50, 0x1a, 0x0a, 0xee, 0xfe, 0x4b, 0x08, 0x68, 0x08, 0x68, 0x00, 0x6c,
	0x00, 0x00, 0x30, 0xff, 0x00, 0x5c, 0x12, 0x80, 0x8f, 0xb8, 0x60, 0x08,
	0xb8, 0x52, 0x00, 0x34, 0x11, 0x40, 0x26, 0x07, 0xfc, 0x20, 0x40, 0x52,
	0x03, 0x9e, 0x49, 0x0a, 0xea, 0x4d, 0x17, 0xfe, 0xe0, 0x9c, 0xfd, 0x00,
	0x97, 0x6a, 0xbc, 0x67, 0x19, 0x3e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x07, 0xbf, 0xe0, 0x64, 0x3a, 0x00, 0x34, 0x37, 0x48, 0x80, 0x6e,
	0x15, 0x97, 0xc3, 0x5a, 0xc2, 0x2f, 0x32, 0xb5, 0xab, 0x35, 0xf3, 0xf8,
	0x17, 0x1e, 0x4e, 0x61, 0xee, 0x02, 0x50, 0x25, 0xe0, 0x3e, 0xce, 0x73,
	0x88, 0xf9, 0x73, 0xf2, 0x14, 0xff, 0xdb, 0xb7, 0x4b, 0x97, 0x6c, 0x6d,
	0xa8, 0x96, 0xcf, 0x2e, 0x4a, 0xc4,
};
/* gre.pcapng, frame 1, first 128 of its bytes */
static const uint8_t real_pptp_gre[] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x9c, 0x37, 0xf4, 0x7c, 0x6e, 0x91,
	0x81, 0x00, 0x00, 0x8e, 0x08, 0x00, 0x45, 0x00, 0x01, 0x6e, 0xaf, 0xa5,
	0x00, 0x00, 0xf2, 0x2f, 0x58, 0x4f, 0x6d, 0x69, 0xe4, 0xfd, 0x0a, 0xb1,
	0x62, 0x54, 0x30, 0x81, 0x88, 0x0b, 0x01, 0x4a, 0x98, 0x50, 0x00, 0x00,
	0x00, 0x6a, 0x00, 0x00, 0x00, 0x8c, 0xff, 0x03, 0x00, 0x21, 0x45, 0xa0,
	0x01, 0x46, 0x38, 0xc1, 0x00, 0x00, 0x3f, 0x11, 0x4d, 0xfb, 0xc0, 0xa8,
	0x0a, 0xd2, 0xc0, 0xa8, 0x67, 0x28, 0x13, 0xc4, 0x13, 0xc4, 0x01, 0x32,
	0x57, 0xd5, 0x53, 0x49, 0x50, 0x2f, 0x32, 0x2e, 0x30, 0x20, 0x31, 0x30,
	0x30, 0x20, 0x54, 0x72, 0x79, 0x69, 0x6e, 0x67, 0x0d, 0x0a, 0x56, 0x69,
	0x61, 0x3a, 0x20, 0x53, 0x49, 0x50, 0x2f, 0x32, 0x2e, 0x30, 0x2f, 0x55,
	0x44, 0x50, 0x20, 0x31, 0x39, 0x32, 0x2e, 0x31,
};
/* 4in6tunnel.pcap, frame 1, first 154 of its bytes */
static const uint8_t real_4in6[] = {
	0x00, 0x01, 0x02, 0xba, 0x76, 0x8e, 0x00, 0x00, 0x00, 0x49, 0xf4, 0x87,
	0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x34, 0x04, 0x3f, 0x22, 0xe0,
	0x16, 0x85, 0xed, 0xa7, 0x38, 0xcc, 0x58, 0xbd, 0xf3, 0xf1, 0xaa, 0x3f,
	0x22, 0xd8, 0x34, 0x4a, 0xba, 0x94, 0x15, 0x2a, 0xac, 0x34, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0x45, 0x00, 0x00, 0x34, 0x7b, 0xf0,
	0x40, 0x00, 0x7f, 0x06, 0xab, 0x1f, 0xc0, 0xa8, 0x00, 0x01, 0x0a, 0x0a,
	0x0a, 0x01, 0xfb, 0xc7, 0x01, 0xbb, 0xdf, 0xe1, 0x3e, 0x82, 0x00, 0x00,
	0x00, 0x00, 0x80, 0x02, 0xff, 0xff, 0x7e, 0xa5, 0x00, 0x00, 0x02, 0x04,
	0x05, 0x84, 0x01, 0x03, 0x03, 0x08, 0x01, 0x01, 0x04, 0x02, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* vxlan.pcap, frame 1, first 126 of its bytes */
static const uint8_t real_vxlan[] = {
	0x00, 0x0c, 0xbd, 0x06, 0x3a, 0x74, 0x00, 0x0c, 0xbd, 0x06, 0x3a, 0x75,
	0x81, 0x00, 0x00, 0x05, 0x08, 0x00, 0x45, 0x00, 0x00, 0x6c, 0x03, 0x3f,
	0x00, 0x00, 0x40, 0x11, 0xc9, 0xe8, 0xc0, 0xa8, 0x16, 0x04, 0xc0, 0xa8,
	0x16, 0x05, 0xed, 0xd7, 0x12, 0xb5, 0x00, 0x58, 0x6a, 0x04, 0x08, 0x00,
	0x00, 0x00, 0x00, 0x04, 0x57, 0x00, 0x66, 0x7a, 0x50, 0xaa, 0xff, 0x9a,
	0x1e, 0xea, 0x69, 0x2a, 0x6f, 0xcf, 0x08, 0x00, 0x45, 0x00, 0x00, 0x3a,
	0x35, 0xb0, 0x40, 0x00, 0x40, 0x11, 0xd6, 0xe5, 0x0a, 0x0a, 0x14, 0x04,
	0x08, 0x08, 0x08, 0x08, 0xad, 0x95, 0x00, 0x35, 0x00, 0x26, 0x17, 0xe2,
	0x90, 0xc6, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x08, 0x66, 0x61, 0x63, 0x65, 0x62, 0x6f, 0x6f, 0x6b, 0x03, 0x63, 0x6f,
	0x6d, 0x00, 0x00, 0x01, 0x00, 0x01,
};
/* rdp.pcap, frame 1, first 68 of its bytes */
static const uint8_t real_null_lo[] = {
	0x02, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x40, 0x00, 0x00, 0x40, 0x00,
	0x40, 0x06, 0xc8, 0xb8, 0xac, 0x10, 0x02, 0xb9, 0xc0, 0xa8, 0x02, 0x8e,
	0xcd, 0x0e, 0x0d, 0x3d, 0xf9, 0xbc, 0xe2, 0x58, 0x00, 0x00, 0x00, 0x00,
	0xb0, 0xc2, 0xff, 0xff, 0xb8, 0xaa, 0x00, 0x00, 0x02, 0x04, 0x04, 0xf9,
	0x01, 0x03, 0x03, 0x05, 0x01, 0x01, 0x08, 0x0a, 0x0b, 0x50, 0x4a, 0x9c,
	0x00, 0x00, 0x00, 0x00, 0x04, 0x02, 0x00, 0x00,
};
/* log4j-webapp-exploit.pcap, frame 1, first 76 of its bytes */
static const uint8_t real_sll[] = {
	0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x02, 0x42, 0x76, 0x8f, 0x34, 0x16,
	0x00, 0x00, 0x08, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x63, 0x60, 0x40, 0x00,
	0x3d, 0x06, 0xa6, 0x2e, 0xac, 0x10, 0xee, 0x01, 0xac, 0x10, 0xee, 0x0a,
	0x07, 0xc0, 0x1f, 0x90, 0x79, 0x96, 0x82, 0xb1, 0x00, 0x00, 0x00, 0x00,
	0xa0, 0x02, 0xfa, 0xf0, 0x95, 0x36, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
	0x04, 0x02, 0x08, 0x0a, 0xad, 0xf8, 0xb2, 0x1a, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x03, 0x03, 0x07,
};

/* ---- names and link types ---- */

static void test_names(struct t *t)
{
	static const char *const tunnels[DECODE_NTUNNELS] = {
		NULL, "GRE", "IPIP", "VXLAN", "GTP-U", "TZSP", "CAPWAP"
	};
	int i, j, distinct = 1;

	for (i = 0; i < DECODE_NREASONS; i++) {
		const char *n = decode_result_name(i);

		check(t, n != NULL && strcmp(n, "unknown") != 0 && strlen(n) > 0,
		      "decode_result_name(%d) = %s", i, n ? n : "(null)");
		for (j = 0; j < i; j++)
			if (strcmp(n, decode_result_name(j)) == 0)
				distinct = 0;
	}
	check(t, distinct, "result names are distinct");
	check(t, strcmp(decode_result_name(DECODE_OK), "ok") == 0 &&
	      strcmp(decode_result_name(DECODE_TRUNCATED_IP), "truncated_ip") == 0,
	      "result names: ok, truncated_ip");
	check(t, strcmp(decode_result_name(-1), "unknown") == 0 &&
	      strcmp(decode_result_name(DECODE_NREASONS), "unknown") == 0,
	      "result name out of range: unknown");
	for (i = 0; i < DECODE_NTUNNELS; i++) {
		const char *n = decode_tunnel_name(i);

		check(t, (n == NULL && tunnels[i] == NULL) ||
		      (n != NULL && tunnels[i] != NULL && strcmp(n, tunnels[i]) == 0),
		      "decode_tunnel_name(%d) = %s", i, n ? n : "NULL");
	}
	check(t, decode_tunnel_name(-1) == NULL && decode_tunnel_name(DECODE_NTUNNELS) == NULL,
	      "tunnel name out of range: NULL");
}

static void test_dlts(struct t *t)
{
	static const int yes[] = { 0, 1, 9, 12, 50, 101, 104, 108, 113, 228, 229, 276 };
	static const int no[] = { -1, 2, 6, 105, 127, 147, 192, 9999 };
	struct decoded d;
	struct pkt p;
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		check(t, decode_dlt_is_supported(yes[i]), "DLT %d is supported", yes[i]);
	build_v4_tcp(&p, 0);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		check(t, !decode_dlt_is_supported(no[i]), "DLT %d is not supported", no[i]);
		expect_rc(t, "unsupported DLT", dec_n(no[i], p.b, p.n, &d), DECODE_UNSUPPORTED_DLT);
	}
	expect_rc(t, "NULL frame", decode_frame(T_DLT_EN10MB, NULL, 100, &d), DECODE_TRUNCATED_L2);
	expect_rc(t, "empty frame", dec_n(T_DLT_EN10MB, p.b, 0, &d), DECODE_TRUNCATED_L2);
	expect_rc(t, "13-byte Ethernet", dec_n(T_DLT_EN10MB, p.b, 13, &d), DECODE_TRUNCATED_L2);
}

/* ---- Ethernet, IPv4, L4 ---- */

static void test_ipv4_tcp(struct t *t)
{
	struct decoded d;
	struct pkt p;

	build_v4_tcp(&p, 10);
	expect_rc(t, "eth/ipv4/tcp", dec(t, "eth-ipv4-tcp", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_flow(t, "eth/ipv4/tcp", &d, 4, 6, A4, B4, 1234, 80);
	check(t, d.tcp_flags == 0x02, "eth/ipv4/tcp: flags SYN");
	expect_lens(t, "eth/ipv4/tcp", &d, 14, 50, 50, 54, 10);
	expect_tunnel(t, "eth/ipv4/tcp", &d, 0, 0, 0, NULL, NULL);
	check(t, d.vlan_count == 0 && d.is_first_fragment == 0, "eth/ipv4/tcp: no vlan, not a fragment");
}

static void test_ipv4_padding_options(struct t *t)
{
	struct decoded d;
	struct pkt p;

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 53, 5353);
	payload(&p, 4);
	finish(&p);
	pad_to(&p, 60);
	expect_rc(t, "padded udp", dec(t, "eth-ipv4-udp-padded", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_flow(t, "padded udp", &d, 4, 17, A4, B4, 53, 5353);
	expect_lens(t, "padded udp: padding is not payload", &d, 14, 32, 32, 42, 4);

	p_init(&p);
	eth(&p, 0x0800);
	ip4x(&p, 6, A4, B4, 7, 0);
	tcp(&p, 1, 2, 0x10);
	payload(&p, 3);
	finish(&p);
	expect_rc(t, "ipv4 options", dec(t, "eth-ipv4-options", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_flow(t, "ipv4 options", &d, 4, 6, A4, B4, 1, 2);
	expect_lens(t, "ipv4 options", &d, 14, 51, 51, 62, 3);
	expect_rc(t, "ipv4 options cut", dec_n(T_DLT_EN10MB, p.b, 14 + 24, &d), DECODE_TRUNCATED_IP);
}

static void test_ipv4_bad(struct t *t)
{
	struct decoded d;
	struct pkt p;

	build_v4_tcp(&p, 0);
	p.b[14] = 0x55;
	expect_rc(t, "ipv4 version 5", dec(t, "eth-ipv4-badversion", T_DLT_EN10MB, &p, &d), DECODE_BAD_IP_VERSION);
	build_v4_tcp(&p, 0);
	p.b[14] = 0x44;
	expect_rc(t, "ipv4 ihl 4", dec(t, "eth-ipv4-ihl4", T_DLT_EN10MB, &p, &d), DECODE_BAD_IP_HEADER);
	build_v4_tcp(&p, 0);
	p.b[16] = 0;
	p.b[17] = 19;
	expect_rc(t, "ipv4 total 19", dec(t, "eth-ipv4-total19", T_DLT_EN10MB, &p, &d), DECODE_BAD_IP_HEADER);
	build_v4_tcp(&p, 0);
	expect_rc(t, "ipv4 header cut", dec_n(T_DLT_EN10MB, p.b, 14 + 19, &d), DECODE_TRUNCATED_IP);
	build_v4_tcp(&p, 0);
	p.b[14 + 2] = 0;
	p.b[14 + 3] = 0;
	expect_rc(t, "ipv4 total 0 (TSO)", dec(t, "eth-ipv4-total0", T_DLT_EN10MB, &p, &d), DECODE_OK);
	check(t, d.ip_len == 40 && d.ip_total_len == 40 && d.sport == 1234,
	      "ipv4 total 0: captured bytes used (ip_len %u)", d.ip_len);
}

static void test_ipv4_fragments(struct t *t)
{
	struct decoded d;
	struct pkt p;

	p_init(&p);
	eth(&p, 0x0800);
	ip4x(&p, 17, A4, B4, 5, 185);    /* offset 185 * 8 */
	payload(&p, 30);
	finish(&p);
	expect_rc(t, "ipv4 later fragment", dec(t, "eth-ipv4-frag", T_DLT_EN10MB, &p, &d), DECODE_FRAGMENT);
	expect_flow(t, "ipv4 later fragment", &d, 4, 17, A4, B4, 0, 0);
	expect_lens(t, "ipv4 later fragment", &d, 14, 50, 50, 34, 30);
	check(t, d.is_first_fragment == 0, "ipv4 later fragment: not first");

	p_init(&p);
	eth(&p, 0x0800);
	ip4x(&p, 17, A4, B4, 5, 0x2000); /* MF, offset 0 */
	udp(&p, 5000, 53);
	payload(&p, 30);
	finish(&p);
	p.b[14 + 20 + 4] = 0x05;          /* UDP length of the whole datagram */
	p.b[14 + 20 + 5] = 0xdc;
	expect_rc(t, "ipv4 first fragment", dec(t, "eth-ipv4-firstfrag", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_flow(t, "ipv4 first fragment", &d, 4, 17, A4, B4, 5000, 53);
	check(t, d.is_first_fragment == 1 && d.payload_len == 30,
	      "ipv4 first fragment: flagged, payload 30 (got %u)", d.payload_len);
}

static void test_snaplen(struct t *t)
{
	struct decoded d;
	struct pkt p;

	build_v4_tcp(&p, 100);
	expect_rc(t, "snaplen 64", dec_n(T_DLT_EN10MB, p.b, 64, &d), DECODE_OK);
	expect_flow(t, "snaplen 64", &d, 4, 6, A4, B4, 1234, 80);
	expect_lens(t, "snaplen 64", &d, 14, 50, 140, 54, 10);
	expect_rc(t, "snaplen in tcp header", dec_n(T_DLT_EN10MB, p.b, 14 + 20 + 6, &d), DECODE_OK);
	check(t, d.sport == 1234 && d.dport == 80 && d.payload_len == 0 && d.tcp_flags == 0,
	      "snaplen in tcp header: ports, no payload");
	expect_rc(t, "snaplen cuts tcp ports", dec_n(T_DLT_EN10MB, p.b, 14 + 20 + 3, &d), DECODE_TRUNCATED_L4);
	check(t, d.ip_version == 4 && d.l4_proto == 6, "snaplen cuts tcp ports: IP fields kept");
	expect_rc(t, "snaplen in ip header", dec_n(T_DLT_EN10MB, p.b, 14 + 10, &d), DECODE_TRUNCATED_IP);
	expect_rc(t, "snaplen after ip header", dec_n(T_DLT_EN10MB, p.b, 14 + 20, &d), DECODE_TRUNCATED_L4);
}

static void test_l4(struct t *t)
{
	struct decoded d;
	struct pkt p;

	build_v4_tcp(&p, 0);
	p.b[14 + 20 + 12] = 4 << 4;
	expect_rc(t, "tcp data offset 4", dec(t, "eth-ipv4-tcp-doff4", T_DLT_EN10MB, &p, &d), DECODE_BAD_L4_HEADER);
	build_v4_tcp(&p, 0);
	p.b[14 + 20 + 12] = 15 << 4;      /* options beyond the packet */
	expect_rc(t, "tcp data offset 15", dec_n(T_DLT_EN10MB, p.b, p.n, &d), DECODE_OK);
	check(t, d.payload_len == 0 && d.sport == 1234, "tcp data offset 15: payload 0");

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 1, 2);
	finish(&p);
	p.b[14 + 20 + 5] = 7;
	expect_rc(t, "udp length 7", dec(t, "eth-ipv4-udp-len7", T_DLT_EN10MB, &p, &d), DECODE_BAD_L4_HEADER);

	p_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 17, A6, B6);
	udp(&p, 1, 2);
	payload(&p, 6);
	finish(&p);
	p.b[14 + 40 + 4] = p.b[14 + 40 + 5] = 0;
	expect_rc(t, "udp length 0 in ipv6", dec(t, "eth-ipv6-udp-len0", T_DLT_EN10MB, &p, &d), DECODE_OK);
	check(t, d.payload_len == 6, "udp length 0 in ipv6: payload from IP length");

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 1, 2);
	payload(&p, 6);
	finish(&p);
	p.b[14 + 20 + 5] = 10;            /* UDP says 2 bytes of payload */
	expect_rc(t, "udp length bounds payload", dec_n(T_DLT_EN10MB, p.b, p.n, &d), DECODE_OK);
	check(t, d.payload_len == 2, "udp length bounds payload (got %u)", d.payload_len);

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 132, A4, B4);
	put16(&p, 3868);
	put16(&p, 2905);
	put32(&p, 0xdeadbeef);
	put32(&p, 0);
	payload(&p, 16);
	finish(&p);
	expect_rc(t, "sctp", dec(t, "eth-ipv4-sctp", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_flow(t, "sctp", &d, 4, 132, A4, B4, 3868, 2905);
	check(t, d.payload_len == 16, "sctp: payload after the common header");
	expect_rc(t, "sctp ports cut", dec_n(T_DLT_EN10MB, p.b, 14 + 20 + 2, &d), DECODE_TRUNCATED_L4);

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 1, A4, B4);
	put8(&p, 8);
	put8(&p, 0);
	put16(&p, 0);
	put32(&p, 0x00010001);
	payload(&p, 32);
	finish(&p);
	expect_rc(t, "icmp echo", dec(t, "eth-ipv4-icmp", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_flow(t, "icmp echo", &d, 4, 1, A4, B4, 0, 0);
	check(t, d.icmp_type == 8 && d.icmp_code == 0 && d.payload_len == 32, "icmp echo: type 8 code 0");

	p_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 58, C6, D6);
	put8(&p, 135);
	put8(&p, 0);
	put16(&p, 0);
	zeros(&p, 20);
	finish(&p);
	expect_rc(t, "icmpv6 ns", dec(t, "eth-ipv6-icmpv6", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_flow(t, "icmpv6 ns", &d, 6, 58, C6, D6, 0, 0);
	check(t, d.icmp_type == 135, "icmpv6: type 135");

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 50, A4, B4);
	put32(&p, 0x1000);
	put32(&p, 1);
	payload(&p, 24);
	finish(&p);
	expect_rc(t, "esp", dec(t, "eth-ipv4-esp", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_flow(t, "esp", &d, 4, 50, A4, B4, 0, 0);
	expect_lens(t, "esp: payload is the L4 bytes", &d, 14, 52, 52, 34, 32);

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 47, A4, B4);             /* nmap -sO: empty GRE probe */
	finish(&p);
	expect_rc(t, "empty gre probe", dec(t, "eth-ipv4-empty-gre", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_flow(t, "empty gre probe", &d, 4, 47, A4, B4, 0, 0);
	p.b[14 + 9] = 4;
	expect_rc(t, "empty ipip probe", dec_n(T_DLT_EN10MB, p.b, p.n, &d), DECODE_OK);
	check(t, d.l4_proto == 4 && d.tunnel == 0, "empty ipip probe: a proto 4 flow");
	p.b[14 + 9] = 6;
	expect_rc(t, "empty tcp", dec_n(T_DLT_EN10MB, p.b, p.n, &d), DECODE_TRUNCATED_L4);
	p.b[14 + 9] = 17;
	expect_rc(t, "empty udp", dec_n(T_DLT_EN10MB, p.b, p.n, &d), DECODE_TRUNCATED_L4);
	p.b[14 + 9] = 132;
	expect_rc(t, "empty sctp probe", dec_n(T_DLT_EN10MB, p.b, p.n, &d), DECODE_OK);
	expect_flow(t, "empty sctp probe", &d, 4, 132, A4, B4, 0, 0);
}

/* ---- IPv6 ---- */

static void test_ipv6(struct t *t)
{
	struct decoded d;
	struct pkt p;

	p_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 6, A6, B6);
	tcp(&p, 5555, 22, 0x12);
	payload(&p, 7);
	finish(&p);
	expect_rc(t, "ipv6 tcp", dec(t, "eth-ipv6-tcp", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_flow(t, "ipv6 tcp", &d, 6, 6, A6, B6, 5555, 22);
	expect_lens(t, "ipv6 tcp", &d, 14, 67, 67, 74, 7);

	p_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 0, A6, B6);
	ext6(&p, 43, 0);
	ext6(&p, 60, 1);
	ext6(&p, 135, 0);
	ext6(&p, 139, 0);
	ext6(&p, 140, 0);
	ext6(&p, 51, 0);
	ah6(&p, 17, 4);
	udp(&p, 546, 547);
	payload(&p, 3);
	finish(&p);
	expect_rc(t, "ipv6 ext chain", dec(t, "eth-ipv6-extchain", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_flow(t, "ipv6 ext chain", &d, 6, 17, A6, B6, 546, 547);
	check(t, d.payload_len == 3, "ipv6 ext chain: payload 3");
	expect_rc(t, "ipv6 ext chain cut", dec_n(T_DLT_EN10MB, p.b, 14 + 40 + 20, &d), DECODE_BAD_IPV6_EXT);

	p_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 44, A6, B6);
	frag6(&p, 17, 100, 1);
	payload(&p, 16);
	finish(&p);
	expect_rc(t, "ipv6 later fragment", dec(t, "eth-ipv6-frag", T_DLT_EN10MB, &p, &d), DECODE_FRAGMENT);
	expect_flow(t, "ipv6 later fragment", &d, 6, 17, A6, B6, 0, 0);

	p_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 0, A6, B6);
	ext6(&p, 44, 0);
	frag6(&p, 6, 0, 1);
	tcp(&p, 1, 2, 0x02);
	finish(&p);
	expect_rc(t, "ipv6 first fragment", dec(t, "eth-ipv6-firstfrag", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_flow(t, "ipv6 first fragment", &d, 6, 6, A6, B6, 1, 2);
	check(t, d.is_first_fragment == 1, "ipv6 first fragment: flagged");

	p_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 60, A6, B6);
	ext6(&p, 59, 0);
	finish(&p);
	expect_rc(t, "ipv6 no next header", dec(t, "eth-ipv6-nonext", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_flow(t, "ipv6 no next header", &d, 6, 59, A6, B6, 0, 0);

	p_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 50, A6, B6);
	put32(&p, 0x100);
	payload(&p, 20);
	finish(&p);
	expect_rc(t, "ipv6 esp", dec(t, "eth-ipv6-esp", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_flow(t, "ipv6 esp", &d, 6, 50, A6, B6, 0, 0);

	p_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 0, A6, B6);
	put8(&p, 6);
	put8(&p, 200);                   /* 1608 bytes: beyond the packet */
	zeros(&p, 6);
	finish(&p);
	expect_rc(t, "ipv6 bad ext length", dec(t, "eth-ipv6-badext", T_DLT_EN10MB, &p, &d), DECODE_BAD_IPV6_EXT);

	p_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 6, A6, B6);
	finish(&p);
	p.b[14] = 0x40;
	expect_rc(t, "ipv6 ethertype, version 4", dec_n(T_DLT_EN10MB, p.b, p.n, &d), DECODE_BAD_IP_VERSION);
	expect_rc(t, "ipv6 header cut", dec_n(T_DLT_EN10MB, p.b, 14 + 39, &d), DECODE_TRUNCATED_IP);
}

/* ---- Ethernet variants, VLAN, MPLS, PPPoE ---- */

static void test_ethernet_llc(struct t *t)
{
	struct decoded d;
	struct pkt p;

	p_init(&p);
	eth(&p, 0);
	put8(&p, 0xaa);
	put8(&p, 0xaa);
	put8(&p, 0x03);
	put8(&p, 0);
	put8(&p, 0);
	put8(&p, 0);
	put16(&p, 0x0800);
	inner_v4_tcp(&p);
	finish(&p);
	p.b[12] = (uint8_t)((p.n - 14) >> 8);
	p.b[13] = (uint8_t)(p.n - 14);
	pad_to(&p, 120);
	expect_rc(t, "802.3 snap ipv4", dec(t, "eth-8023-snap", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_inner(t, "802.3 snap ipv4", &d);
	check(t, d.ip_offset == 22, "802.3 snap: ip at 22 (got %u)", d.ip_offset);

	p_init(&p);
	eth(&p, 38);
	put8(&p, 0x42);
	put8(&p, 0x42);
	put8(&p, 0x03);
	zeros(&p, 35);
	finish(&p);
	expect_rc(t, "spanning tree", dec(t, "eth-stp", T_DLT_EN10MB, &p, &d), DECODE_NOT_IP);
	p.b[14 + 5] = 0x0c;              /* SNAP with Cisco OUI (CDP) */
	p.b[14] = p.b[15] = 0xaa;
	expect_rc(t, "snap cisco oui", dec_n(T_DLT_EN10MB, p.b, p.n, &d), DECODE_NOT_IP);
	p.b[12] = 0x05;
	p.b[13] = 0xf0;                   /* 1520: neither length nor type */
	expect_rc(t, "type 1520", dec_n(T_DLT_EN10MB, p.b, p.n, &d), DECODE_BAD_ENCAP);
	p.b[12] = 0;
	p.b[13] = 38;
	expect_rc(t, "802.3 llc cut", dec_n(T_DLT_EN10MB, p.b, 15, &d), DECODE_TRUNCATED_L2);

	p_init(&p);
	eth(&p, 0x0806);
	zeros(&p, 28);
	expect_rc(t, "arp", dec(t, "eth-arp", T_DLT_EN10MB, &p, &d), DECODE_NOT_IP);
}

static void test_vlan(struct t *t)
{
	struct decoded d;
	struct pkt p;
	int i;

	p_init(&p);
	eth(&p, 0x8100);
	vlan(&p, 0x2000 | 100, 0x0800);
	inner_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "802.1q", dec(t, "eth-vlan", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_inner(t, "802.1q", &d);
	check(t, d.vlan_count == 1 && d.vlan[0] == 100 && d.ip_offset == 18,
	      "802.1q: vlan 100 (PCP masked), ip at 18");

	p_init(&p);
	eth(&p, 0x88a8);
	vlan(&p, 0xf000 | 4000, 0x8100);
	vlan(&p, 7, 0x9100);
	vlan(&p, 9, 0x86dd);
	ip6(&p, 17, A6, B6);
	udp(&p, 1, 2);
	finish(&p);
	expect_rc(t, "three tags", dec(t, "eth-qinqinq", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_flow(t, "three tags", &d, 6, 17, A6, B6, 1, 2);
	check(t, d.vlan_count == 2 && d.vlan[0] == 4000 && d.vlan[1] == 7,
	      "three tags: outermost two stored (got %d: %u, %u)", d.vlan_count, d.vlan[0], d.vlan[1]);
	expect_rc(t, "vlan tag cut", dec_n(T_DLT_EN10MB, p.b, 14 + 4 + 2, &d), DECODE_TRUNCATED_L2);

	p_init(&p);
	eth(&p, 0x8100);
	vlan(&p, 5, 0x0806);
	zeros(&p, 28);
	expect_rc(t, "vlan arp", dec(t, "eth-vlan-arp", T_DLT_EN10MB, &p, &d), DECODE_NOT_IP);

	/* 8 tags: the depth limit; 9: one too many */
	for (i = 8; i <= 9; i++) {
		int k;

		p_init(&p);
		eth(&p, 0x8100);
		for (k = 1; k <= i; k++)
			vlan(&p, (unsigned)k, k == i ? 0x0800 : 0x8100);
		inner_v4_tcp(&p);
		finish(&p);
		expect_rc(t, i == 8 ? "8 vlan tags" : "9 vlan tags",
			  dec(t, i == 8 ? "eth-vlan8" : "eth-vlan9", T_DLT_EN10MB, &p, &d),
			  i == 8 ? DECODE_OK : DECODE_TOO_MANY_LAYERS);
	}
}

static void test_mpls(struct t *t)
{
	struct decoded d;
	struct pkt p;

	p_init(&p);
	eth(&p, 0x8847);
	put32(&p, (100u << 12) | 64);
	put32(&p, (200u << 12) | 0x100 | 64);
	inner_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "mpls ipv4", dec(t, "eth-mpls-ipv4", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_inner(t, "mpls ipv4", &d);
	check(t, d.ip_offset == 22, "mpls ipv4: ip after two labels");
	expect_rc(t, "mpls stack cut", dec_n(T_DLT_EN10MB, p.b, 14 + 6, &d), DECODE_TRUNCATED_L2);

	p_init(&p);
	eth(&p, 0x8848);
	put32(&p, (2u << 12) | 0x100 | 64);
	ip6(&p, 6, A6, B6);
	tcp(&p, 1, 2, 0x02);
	finish(&p);
	expect_rc(t, "mpls ipv6", dec(t, "eth-mpls-ipv6", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_flow(t, "mpls ipv6", &d, 6, 6, A6, B6, 1, 2);

	p_init(&p);
	eth(&p, 0x8847);
	put32(&p, (16u << 12) | 64);
	put32(&p, (17u << 12) | 0x100 | 64);
	put32(&p, 0);                    /* pseudowire control word */
	eth(&p, 0x8100);
	vlan(&p, 33, 0x0800);
	inner_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "mpls ethernet pw", dec(t, "eth-mpls-pw", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_inner(t, "mpls ethernet pw", &d);
	check(t, d.vlan_count == 1 && d.vlan[0] == 33, "mpls ethernet pw: inner vlan 33");

	p_init(&p);
	eth(&p, 0x8847);
	put32(&p, (16u << 12) | 0x100 | 64);
	put32(&p, 0x10000000);           /* associated channel */
	zeros(&p, 20);
	expect_rc(t, "mpls ach", dec(t, "eth-mpls-ach", T_DLT_EN10MB, &p, &d), DECODE_NOT_IP);
}

static void test_pppoe(struct t *t)
{
	struct decoded d;
	struct pkt p;
	size_t at;

	p_init(&p);
	eth(&p, 0x8864);
	at = p.n;
	put8(&p, 0x11);
	put8(&p, 0);
	put16(&p, 0x1234);
	put16(&p, 0);
	fix16(&p, at + 4, at + 6);
	put16(&p, 0x0021);
	inner_v4_tcp(&p);
	finish(&p);
	pad_to(&p, 200);
	expect_rc(t, "pppoe ipv4", dec(t, "eth-pppoe-ipv4", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_inner(t, "pppoe ipv4", &d);
	check(t, d.ip_offset == 22, "pppoe: ip at 22");
	p.b[at + 6 + 1] = 0x57;
	expect_rc(t, "pppoe ppp ipv6, ipv4 inside", dec_n(T_DLT_EN10MB, p.b, p.n, &d), DECODE_BAD_IP_VERSION);
	p.b[at + 6] = 0xc0;
	p.b[at + 6 + 1] = 0x21;
	expect_rc(t, "pppoe lcp", dec(t, "eth-pppoe-lcp", T_DLT_EN10MB, &p, &d), DECODE_NOT_IP);
	p.b[at] = 0x12;
	expect_rc(t, "pppoe version 2", dec_n(T_DLT_EN10MB, p.b, p.n, &d), DECODE_BAD_ENCAP);

	p_init(&p);
	eth(&p, 0x8864);
	at = p.n;
	put8(&p, 0x11);
	put8(&p, 0);
	put16(&p, 1);
	put16(&p, 0);
	fix16(&p, at + 4, at + 6);
	put16(&p, 0x0057);
	ip6(&p, 17, A6, B6);
	udp(&p, 1, 2);
	finish(&p);
	expect_rc(t, "pppoe ipv6", dec(t, "eth-pppoe-ipv6", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_flow(t, "pppoe ipv6", &d, 6, 17, A6, B6, 1, 2);
	p_init(&p);
	eth(&p, 0x8863);
	zeros(&p, 20);
	expect_rc(t, "pppoe discovery", dec(t, "eth-pppoe-discovery", T_DLT_EN10MB, &p, &d), DECODE_NOT_IP);
}

/* ---- other link types ---- */

static void sll(struct pkt *p, unsigned hatype, unsigned proto)
{
	put16(p, 0);
	put16(p, hatype);
	put16(p, 6);
	zeros(p, 8);
	put16(p, proto);
}

static void sll2(struct pkt *p, unsigned hatype, unsigned proto)
{
	put16(p, proto);
	put16(p, 0);
	put32(p, 2);
	put16(p, hatype);
	put8(p, 4);
	put8(p, 6);
	zeros(p, 8);
}

static void test_linux_cooked(struct t *t)
{
	struct decoded d;
	struct pkt p;

	p_init(&p);
	sll(&p, 1, 0x0800);
	inner_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "sll ipv4", dec(t, "sll-ipv4", T_DLT_LINUX_SLL, &p, &d), DECODE_OK);
	expect_inner(t, "sll ipv4", &d);
	check(t, d.ip_offset == 16, "sll: ip at 16");
	expect_rc(t, "sll cut", dec_n(T_DLT_LINUX_SLL, p.b, 15, &d), DECODE_TRUNCATED_L2);

	p_init(&p);
	sll(&p, 1, 0x0806);
	zeros(&p, 28);
	expect_rc(t, "sll arp", dec(t, "sll-arp", T_DLT_LINUX_SLL, &p, &d), DECODE_NOT_IP);

	p_init(&p);
	sll(&p, 824, 0x0800);
	zeros(&p, 40);
	expect_rc(t, "sll netlink", dec_n(T_DLT_LINUX_SLL, p.b, p.n, &d), DECODE_NOT_IP);

	p_init(&p);
	sll(&p, 1, 0x8100);
	vlan(&p, 12, 0x86dd);
	ip6(&p, 6, A6, B6);
	tcp(&p, 1, 2, 0x02);
	finish(&p);
	expect_rc(t, "sll vlan ipv6", dec(t, "sll-vlan-ipv6", T_DLT_LINUX_SLL, &p, &d), DECODE_OK);
	check(t, d.vlan_count == 1 && d.vlan[0] == 12 && d.ip_version == 6, "sll vlan ipv6");

	p_init(&p);
	sll2(&p, 1, 0x86dd);
	ip6(&p, 6, A6, B6);
	tcp(&p, 1, 2, 0x02);
	finish(&p);
	expect_rc(t, "sll2 ipv6", dec(t, "sll2-ipv6", T_DLT_LINUX_SLL2, &p, &d), DECODE_OK);
	expect_flow(t, "sll2 ipv6", &d, 6, 6, A6, B6, 1, 2);
	check(t, d.ip_offset == 20, "sll2: ip at 20");
	expect_rc(t, "sll2 cut", dec_n(T_DLT_LINUX_SLL2, p.b, 19, &d), DECODE_TRUNCATED_L2);

	p_init(&p);
	sll2(&p, 1, 0x0004);             /* 802.2 LLC follows */
	put8(&p, 0xaa);
	put8(&p, 0xaa);
	put8(&p, 0x03);
	zeros(&p, 3);
	put16(&p, 0x0800);
	inner_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "sll2 llc snap", dec(t, "sll2-llc", T_DLT_LINUX_SLL2, &p, &d), DECODE_OK);
	expect_inner(t, "sll2 llc snap", &d);
}

static void test_raw_and_loopback(struct t *t)
{
	static const struct { const char *name; int dlt; uint32_t fam; int little; int ver; int rc; } lo[] = {
		{ "null ipv4 little-endian", T_DLT_NULL, 2, 1, 4, DECODE_OK },
		{ "null ipv4 big-endian", T_DLT_NULL, 2, 0, 4, DECODE_OK },
		{ "null ipv6 linux (10)", T_DLT_NULL, 10, 1, 6, DECODE_OK },
		{ "null ipv6 bsd (24)", T_DLT_NULL, 24, 1, 6, DECODE_OK },
		{ "null ipv6 freebsd (28)", T_DLT_NULL, 28, 0, 6, DECODE_OK },
		{ "null ipv6 darwin (30)", T_DLT_NULL, 30, 1, 6, DECODE_OK },
		{ "null family 7", T_DLT_NULL, 7, 1, 4, DECODE_NOT_IP },
		{ "loop ipv4", T_DLT_LOOP, 2, 0, 4, DECODE_OK },
		{ "loop ipv6 (30)", T_DLT_LOOP, 30, 0, 6, DECODE_OK },
		{ "loop is network order only", T_DLT_LOOP, 2, 1, 4, DECODE_NOT_IP },
	};
	struct decoded d;
	struct pkt p;
	size_t i;

	for (i = 0; i < sizeof(lo) / sizeof(lo[0]); i++) {
		char seed[64];

		p_init(&p);
		if (lo[i].little) {
			put8(&p, lo[i].fam);
			zeros(&p, 3);
		} else {
			put32(&p, lo[i].fam);
		}
		if (lo[i].ver == 4)
			inner_v4_tcp(&p);
		else {
			ip6(&p, 6, A6, B6);
			tcp(&p, 40000, 443, 0x18);
		}
		finish(&p);
		snprintf(seed, sizeof(seed), "loopback-%zu", i);
		expect_rc(t, lo[i].name, dec(t, seed, lo[i].dlt, &p, &d), lo[i].rc);
		if (lo[i].rc == DECODE_OK)
			check(t, d.ip_version == lo[i].ver && d.ip_offset == 4 && d.dport == 443,
			      "%s: IPv%d at 4", lo[i].name, lo[i].ver);
	}
	expect_rc(t, "null cut", dec_n(T_DLT_NULL, p.b, 3, &d), DECODE_TRUNCATED_L2);

	p_init(&p);
	inner_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "raw ipv4", dec(t, "raw-ipv4", T_DLT_RAW, &p, &d), DECODE_OK);
	expect_inner(t, "raw ipv4", &d);
	expect_rc(t, "linktype raw ipv4", dec(t, "raw101-ipv4", T_LINKTYPE_RAW, &p, &d), DECODE_OK);
	expect_rc(t, "dlt ipv4", dec(t, "dltipv4", T_DLT_IPV4, &p, &d), DECODE_OK);
	expect_rc(t, "dlt ipv6 given ipv4", dec_n(T_DLT_IPV6, p.b, p.n, &d), DECODE_BAD_IP_VERSION);
	expect_rc(t, "raw empty", dec_n(T_DLT_RAW, p.b, 0, &d), DECODE_TRUNCATED_IP);
	p.b[0] = 0x20;
	expect_rc(t, "raw version 2", dec_n(T_DLT_RAW, p.b, p.n, &d), DECODE_BAD_IP_VERSION);

	p_init(&p);
	ip6(&p, 17, A6, B6);
	udp(&p, 1, 2);
	finish(&p);
	expect_rc(t, "raw ipv6", dec(t, "raw-ipv6", T_DLT_RAW, &p, &d), DECODE_OK);
	expect_flow(t, "raw ipv6", &d, 6, 17, A6, B6, 1, 2);
	expect_rc(t, "dlt ipv6", dec(t, "dltipv6", T_DLT_IPV6, &p, &d), DECODE_OK);
	expect_rc(t, "dlt ipv4 given ipv6", dec_n(T_DLT_IPV4, p.b, p.n, &d), DECODE_BAD_IP_VERSION);
}

static void test_ppp_hdlc(struct t *t)
{
	struct decoded d;
	struct pkt p;

	p_init(&p);
	put8(&p, 0xff);
	put8(&p, 0x03);
	put16(&p, 0x0021);
	inner_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "ppp serial ipv4", dec(t, "pppserial-ipv4", T_DLT_PPP_SERIAL, &p, &d), DECODE_OK);
	expect_inner(t, "ppp serial ipv4", &d);
	expect_rc(t, "dlt ppp ipv4", dec(t, "ppp-ipv4", T_DLT_PPP, &p, &d), DECODE_OK);
	p.b[1] = 0x04;
	expect_rc(t, "ppp bad control", dec_n(T_DLT_PPP_SERIAL, p.b, p.n, &d), DECODE_BAD_ENCAP);

	p_init(&p);
	put8(&p, 0x21);                   /* no address/control, compressed protocol */
	inner_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "ppp acfc+pfc", dec(t, "ppp-pfc", T_DLT_PPP, &p, &d), DECODE_OK);
	check(t, d.ip_offset == 1, "ppp acfc+pfc: ip at 1");

	p_init(&p);
	put16(&p, 0xc021);
	zeros(&p, 10);
	expect_rc(t, "ppp lcp", dec(t, "ppp-lcp", T_DLT_PPP, &p, &d), DECODE_NOT_IP);

	p_init(&p);
	put16(&p, 0x0057);
	ip6(&p, 17, A6, B6);
	udp(&p, 1, 2);
	finish(&p);
	expect_rc(t, "ppp ipv6", dec(t, "ppp-ipv6", T_DLT_PPP, &p, &d), DECODE_OK);
	check(t, d.ip_version == 6 && d.ip_offset == 2, "ppp ipv6 at 2");

	p_init(&p);
	put8(&p, 0x0f);
	put8(&p, 0x00);
	put16(&p, 0x0800);
	inner_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "cisco hdlc", dec(t, "chdlc-ipv4", T_DLT_C_HDLC, &p, &d), DECODE_OK);
	expect_inner(t, "cisco hdlc", &d);
	expect_rc(t, "cisco hdlc in ppp serial", dec(t, "pppserial-chdlc", T_DLT_PPP_SERIAL, &p, &d), DECODE_OK);
	check(t, d.ip_offset == 4, "cisco hdlc: ip at 4");
	expect_rc(t, "cisco hdlc cut", dec_n(T_DLT_C_HDLC, p.b, 3, &d), DECODE_TRUNCATED_L2);
	p.b[2] = 0x80;
	p.b[3] = 0x35;                    /* SLARP */
	expect_rc(t, "cisco slarp", dec_n(T_DLT_C_HDLC, p.b, p.n, &d), DECODE_NOT_IP);
}

/* ---- tunnels ---- */

static void test_ipip(struct t *t)
{
	struct decoded d;
	struct pkt p;

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 4, A4, B4);
	inner_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "4in4", dec(t, "eth-4in4", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_inner(t, "4in4", &d);
	expect_tunnel(t, "4in4", &d, DECODE_TUNNEL_IPIP, 1, 4, A4, B4);
	expect_lens(t, "4in4", &d, 34, 45, 45, 74, 5);
	expect_rc(t, "4in4 inner cut", dec_n(T_DLT_EN10MB, p.b, 34 + 10, &d), DECODE_TRUNCATED_IP);

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 41, A4, B4);
	ip6(&p, 17, C6, D6);
	udp(&p, 7, 8);
	finish(&p);
	expect_rc(t, "6in4", dec(t, "eth-6in4", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_flow(t, "6in4", &d, 6, 17, C6, D6, 7, 8);
	expect_tunnel(t, "6in4", &d, DECODE_TUNNEL_IPIP, 1, 4, A4, B4);

	p_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 4, A6, B6);
	inner_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "4in6", dec(t, "eth-4in6", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_inner(t, "4in6", &d);
	expect_tunnel(t, "4in6", &d, DECODE_TUNNEL_IPIP, 1, 6, A6, B6);

	p_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 60, A6, B6);
	ext6(&p, 41, 0);                 /* destination options, then IPv6 */
	ip6(&p, 6, C6, D6);
	tcp(&p, 1, 2, 0x02);
	finish(&p);
	expect_rc(t, "6in6", dec(t, "eth-6in6", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_flow(t, "6in6", &d, 6, 6, C6, D6, 1, 2);
	expect_tunnel(t, "6in6", &d, DECODE_TUNNEL_IPIP, 1, 6, A6, B6);

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 4, A4, B4);
	ip4(&p, 4, B4, A4);
	ip4(&p, 41, A4, B4);
	ip6(&p, 4, C6, D6);
	inner_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "ipip x4", dec(t, "eth-ipip4", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_inner(t, "ipip x4", &d);
	expect_tunnel(t, "ipip x4", &d, DECODE_TUNNEL_IPIP, 4, 4, A4, B4);
}

static void test_depth(struct t *t)
{
	struct decoded d;
	struct pkt p;
	int n, i;

	for (n = DECODE_MAX_DEPTH; n <= DECODE_MAX_DEPTH + 1; n++) {
		p_init(&p);
		for (i = 0; i < n; i++)
			ip4(&p, 4, A4, B4);
		inner_v4_tcp(&p);
		finish(&p);
		expect_rc(t, n == DECODE_MAX_DEPTH ? "ipip at the depth limit" : "ipip past the depth limit",
			  dec(t, n == DECODE_MAX_DEPTH ? "raw-ipip-max" : "raw-ipip-toodeep", T_DLT_RAW, &p, &d),
			  n == DECODE_MAX_DEPTH ? DECODE_OK : DECODE_TOO_MANY_LAYERS);
	}
	check(t, d.tunnel == DECODE_TUNNEL_IPIP, "past the depth limit: tunnel still recorded");
}

static size_t gre(struct pkt *p, unsigned flags, unsigned ptype)
{
	size_t at = p->n;

	put16(p, flags);
	put16(p, ptype);
	if (flags & 0xc000) {
		put16(p, 0xbeef);        /* checksum */
		put16(p, 0);             /* offset */
	}
	if (flags & 0x2000)
		put32(p, 0x1111);        /* key */
	if (flags & 0x1000)
		put32(p, 7);             /* sequence */
	return at;
}

static void test_gre(struct t *t)
{
	struct decoded d;
	struct pkt p;

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 47, A4, B4);
	gre(&p, 0, 0x0800);
	inner_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "gre ipv4", dec(t, "eth-gre-ipv4", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_inner(t, "gre ipv4", &d);
	expect_tunnel(t, "gre ipv4", &d, DECODE_TUNNEL_GRE, 1, 4, A4, B4);
	check(t, d.ip_offset == 38, "gre ipv4: inner ip at 38");
	expect_rc(t, "gre header cut", dec_n(T_DLT_EN10MB, p.b, 34 + 3, &d), DECODE_TRUNCATED_L4);

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 47, A4, B4);
	gre(&p, 0xb000, 0x86dd);          /* checksum, key, sequence */
	ip6(&p, 6, C6, D6);
	tcp(&p, 1, 2, 0x02);
	finish(&p);
	expect_rc(t, "gre c/k/s ipv6", dec(t, "eth-gre-cks-ipv6", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_flow(t, "gre c/k/s ipv6", &d, 6, 6, C6, D6, 1, 2);
	check(t, d.ip_offset == 34 + 16, "gre c/k/s: inner ip after 16 bytes");
	expect_rc(t, "gre optional fields cut", dec_n(T_DLT_EN10MB, p.b, 34 + 10, &d), DECODE_TRUNCATED_L4);

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 47, A4, B4);
	gre(&p, 0x4000, 0x0800);          /* routing present (RFC 1701) */
	put16(&p, 0x0800);
	put8(&p, 0);
	put8(&p, 8);
	zeros(&p, 8);
	put16(&p, 0);
	put8(&p, 0);
	put8(&p, 0);
	inner_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "gre routing", dec(t, "eth-gre-routing", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_inner(t, "gre routing", &d);
	p.b[34 + 8 + 3] = 200;            /* SRE beyond the packet */
	expect_rc(t, "gre routing malformed", dec_n(T_DLT_EN10MB, p.b, p.n, &d), DECODE_BAD_TUNNEL);

	p_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 47, A6, B6);
	gre(&p, 0x2000, 0x6558);
	eth(&p, 0x8100);
	vlan(&p, 77, 0x0800);
	inner_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "gre teb", dec(t, "eth-gre-teb", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_inner(t, "gre teb", &d);
	expect_tunnel(t, "gre teb", &d, DECODE_TUNNEL_GRE, 1, 6, A6, B6);
	check(t, d.vlan_count == 1 && d.vlan[0] == 77, "gre teb: inner vlan");

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 47, A4, B4);
	gre(&p, 0, 0x8847);
	put32(&p, (99u << 12) | 0x100 | 64);
	inner_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "gre mpls", dec(t, "eth-gre-mpls", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_inner(t, "gre mpls", &d);

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 47, A4, B4);
	gre(&p, 0x1000, 0x88be);          /* ERSPAN II: sequence present */
	put16(&p, 0x1000 | 10);
	put16(&p, 0x0001);
	put32(&p, 0);
	inner_eth_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "erspan ii", dec(t, "eth-gre-erspan2", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_inner(t, "erspan ii", &d);
	expect_tunnel(t, "erspan ii", &d, DECODE_TUNNEL_GRE, 1, 4, A4, B4);
	p.b[34 + 8] = 0x20;
	expect_rc(t, "erspan ii bad version", dec_n(T_DLT_EN10MB, p.b, p.n, &d), DECODE_BAD_TUNNEL);

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 47, A4, B4);
	gre(&p, 0, 0x88be);               /* ERSPAN I: no header */
	inner_eth_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "erspan i", dec(t, "eth-gre-erspan1", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_inner(t, "erspan i", &d);

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 47, A4, B4);
	gre(&p, 0x1000, 0x22eb);          /* ERSPAN III with platform subheader */
	put32(&p, 0x20000000 | (5u << 16) | 1);
	put32(&p, 123456);
	put16(&p, 0);
	put8(&p, 0);                     /* P=0, FT=0 (Ethernet) */
	put8(&p, 0x01);                  /* O: 8 more bytes */
	zeros(&p, 8);
	inner_eth_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "erspan iii", dec(t, "eth-gre-erspan3", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_inner(t, "erspan iii", &d);
	p.b[34 + 8 + 10] = 7 << 2;        /* frame type we do not know */
	expect_rc(t, "erspan iii other frame type", dec_n(T_DLT_EN10MB, p.b, p.n, &d), DECODE_OK);
	expect_flow(t, "erspan iii other frame type: the GRE flow", &d, 4, 47, A4, B4, 0, 0);
	p.b[34 + 8] = 0x10;
	expect_rc(t, "erspan iii bad version", dec_n(T_DLT_EN10MB, p.b, p.n, &d), DECODE_BAD_TUNNEL);

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 47, A4, B4);
	gre(&p, 0, 0x0806);              /* ARP over GRE: not decapsulated */
	zeros(&p, 28);
	finish(&p);
	expect_rc(t, "gre unknown type", dec(t, "eth-gre-arp", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_flow(t, "gre unknown type", &d, 4, 47, A4, B4, 0, 0);
	expect_tunnel(t, "gre unknown type", &d, 0, 0, 0, NULL, NULL);
	expect_lens(t, "gre unknown type", &d, 14, 52, 52, 34, 32);
	p.b[35] = 0x03;                   /* version 3 */
	p.b[36] = 0x08;
	p.b[37] = 0x00;
	expect_rc(t, "gre version 3", dec(t, "eth-gre-v3", T_DLT_EN10MB, &p, &d), DECODE_OK);
	check(t, d.l4_proto == 47 && d.tunnel == 0, "gre version 3: the GRE flow");
}

static size_t pptp(struct pkt *p, unsigned flags)
{
	size_t at = p->n, hl = 8;

	put16(p, 0x2001 | flags);        /* K, version 1 */
	put16(p, 0x880b);
	put16(p, 0);                     /* payload length: finish() */
	put16(p, 0x4242);                /* call id */
	if (flags & 0x1000) {
		put32(p, 10);
		hl += 4;
	}
	if (flags & 0x0080) {
		put32(p, 9);
		hl += 4;
	}
	fix16(p, at + 4, at + hl);
	return at;
}

static void test_pptp(struct t *t)
{
	struct decoded d;
	struct pkt p;
	size_t at;

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 47, A4, B4);
	pptp(&p, 0x1080);
	put8(&p, 0xff);
	put8(&p, 0x03);
	put16(&p, 0x0021);
	inner_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "pptp ipv4", dec(t, "eth-pptp-ipv4", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_inner(t, "pptp ipv4", &d);
	expect_tunnel(t, "pptp ipv4", &d, DECODE_TUNNEL_GRE, 1, 4, A4, B4);

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 47, A4, B4);
	pptp(&p, 0x1000);
	put8(&p, 0x57);                  /* compressed address/control and protocol */
	ip6(&p, 17, C6, D6);
	udp(&p, 1, 2);
	finish(&p);
	expect_rc(t, "pptp compressed ipv6", dec(t, "eth-pptp-ipv6", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_flow(t, "pptp compressed ipv6", &d, 6, 17, C6, D6, 1, 2);

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 47, A4, B4);
	pptp(&p, 0x0080);                /* acknowledgment only */
	finish(&p);
	expect_rc(t, "pptp ack only", dec(t, "eth-pptp-ack", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_flow(t, "pptp ack only", &d, 4, 47, A4, B4, 0, 0);
	expect_tunnel(t, "pptp ack only", &d, 0, 0, 0, NULL, NULL);

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 47, A4, B4);
	at = pptp(&p, 0x1000);
	put16(&p, 0x00fd);               /* compressed (MPPE) PPP */
	payload(&p, 40);
	finish(&p);
	expect_rc(t, "pptp encrypted", dec(t, "eth-pptp-ccp", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_flow(t, "pptp encrypted", &d, 4, 47, A4, B4, 0, 0);
	check(t, d.payload_offset == at && d.payload_len == 12 + 42,
	      "pptp encrypted: payload is the GRE packet");
}

static size_t vxlan(struct pkt *p, unsigned flags)
{
	size_t at = p->n;

	put8(p, flags);
	zeros(p, 3);
	put8(p, 0);
	put8(p, 0x04);
	put8(p, 0xd2);
	put8(p, 0);
	return at;
}

static void test_vxlan(struct t *t)
{
	struct decoded d;
	struct pkt p;

	p_init(&p);
	eth(&p, 0x8100);
	vlan(&p, 5, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 60887, 4789);
	vxlan(&p, 0x08);
	inner_eth_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "vxlan", dec(t, "eth-vxlan", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_inner(t, "vxlan", &d);
	expect_tunnel(t, "vxlan", &d, DECODE_TUNNEL_VXLAN, 1, 4, A4, B4);
	check(t, d.vlan_count == 1 && d.vlan[0] == 5 && d.ip_offset == 18 + 20 + 8 + 8 + 14,
	      "vxlan: outer vlan kept, inner ip at %u", d.ip_offset);
	p.b[18 + 20 + 8] = 0x00;          /* I flag missing: not VXLAN */
	expect_rc(t, "vxlan without I", dec(t, "eth-vxlan-noI", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_flow(t, "vxlan without I: outer udp flow", &d, 4, 17, A4, B4, 60887, 4789);
	expect_tunnel(t, "vxlan without I", &d, 0, 0, 0, NULL, NULL);
	expect_rc(t, "vxlan header cut", dec_n(T_DLT_EN10MB, p.b, 18 + 20 + 8 + 5, &d), DECODE_OK);
	check(t, d.dport == 4789 && d.tunnel == 0, "vxlan header cut: outer udp flow");

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 4789, 5000);              /* 4789 as a source port only */
	vxlan(&p, 0x08);
	inner_eth_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "udp from port 4789", dec(t, "eth-udp-sport4789", T_DLT_EN10MB, &p, &d), DECODE_OK);
	check(t, d.tunnel == 0 && d.dport == 5000, "udp from port 4789: not decapsulated");

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 1000, 4789);
	vxlan(&p, 0x08);
	eth(&p, 0x0806);
	zeros(&p, 28);
	finish(&p);
	expect_rc(t, "vxlan arp", dec(t, "eth-vxlan-arp", T_DLT_EN10MB, &p, &d), DECODE_NOT_IP);
}

static size_t gtpu(struct pkt *p, unsigned flags, unsigned type)
{
	size_t at = p->n;

	put8(p, flags);
	put8(p, type);
	put16(p, 0);                     /* length: finish() */
	put32(p, 0x12345678);
	fix16(p, at + 2, at + 8);
	return at;
}

static void test_gtpu(struct t *t)
{
	struct decoded d;
	struct pkt p;
	size_t at;

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 2152, 2152);
	gtpu(&p, 0x30, 0xff);
	inner_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "gtp-u", dec(t, "eth-gtpu", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_inner(t, "gtp-u", &d);
	expect_tunnel(t, "gtp-u", &d, DECODE_TUNNEL_GTPU, 1, 4, A4, B4);

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 2152, 2152);
	at = gtpu(&p, 0x34, 0xff);        /* E: extension headers */
	put16(&p, 0);
	put8(&p, 0);
	put8(&p, 0x85);
	put8(&p, 1);                     /* 4 bytes */
	put8(&p, 0x10);
	put8(&p, 0x09);
	put8(&p, 0x40);                  /* next: another one */
	put8(&p, 2);                     /* 8 bytes */
	zeros(&p, 6);
	put8(&p, 0);
	ip6(&p, 6, C6, D6);
	tcp(&p, 1, 2, 0x02);
	finish(&p);
	expect_rc(t, "gtp-u extensions", dec(t, "eth-gtpu-ext", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_flow(t, "gtp-u extensions", &d, 6, 6, C6, D6, 1, 2);
	check(t, d.ip_offset == at + 12 + 12, "gtp-u extensions: inner ip after 24 bytes");
	p.b[at + 12] = 0;                 /* extension length 0 */
	expect_rc(t, "gtp-u bad extension", dec(t, "eth-gtpu-badext", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_flow(t, "gtp-u bad extension: outer udp flow", &d, 4, 17, A4, B4, 2152, 2152);

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 40000, 2152);
	gtpu(&p, 0x32, 0x01);             /* echo request */
	zeros(&p, 4);
	finish(&p);
	expect_rc(t, "gtp-u echo", dec(t, "eth-gtpu-echo", T_DLT_EN10MB, &p, &d), DECODE_OK);
	check(t, d.tunnel == 0 && d.dport == 2152, "gtp-u echo: outer udp flow");

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 2152, 2152);
	gtpu(&p, 0x30, 0xff);
	zeros(&p, 20);                   /* not IP */
	finish(&p);
	expect_rc(t, "gtp-u non-ip", dec(t, "eth-gtpu-nonip", T_DLT_EN10MB, &p, &d), DECODE_OK);
	check(t, d.tunnel == 0 && d.l4_proto == 17, "gtp-u non-ip: outer udp flow");
}

static void test_tzsp(struct t *t)
{
	struct decoded d;
	struct pkt p;
	size_t at;

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 33333, 37008);
	at = p.n;
	put8(&p, 1);
	put8(&p, 0);
	put16(&p, 1);
	put8(&p, 0);                     /* padding */
	put8(&p, 10);                    /* a tag with 2 bytes */
	put8(&p, 2);
	put16(&p, 0xffee);
	put8(&p, 1);                     /* end */
	inner_eth_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "tzsp", dec(t, "eth-tzsp", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_inner(t, "tzsp", &d);
	expect_tunnel(t, "tzsp", &d, DECODE_TUNNEL_TZSP, 1, 4, A4, B4);
	p.b[at + 3] = 18;                 /* 802.11: not decapsulated */
	expect_rc(t, "tzsp 802.11", dec(t, "eth-tzsp-80211", T_DLT_EN10MB, &p, &d), DECODE_OK);
	check(t, d.tunnel == 0 && d.dport == 37008, "tzsp 802.11: outer udp flow");
	p.b[at + 3] = 1;
	p.b[at + 6] = 250;                /* tag runs past the end */
	expect_rc(t, "tzsp bad tag", dec(t, "eth-tzsp-badtag", T_DLT_EN10MB, &p, &d), DECODE_OK);
	check(t, d.tunnel == 0 && d.dport == 37008, "tzsp bad tag: outer udp flow");
}

/* CAPWAP header of 8 bytes: T, WBID as given. */
static void capwap(struct pkt *p, unsigned t_bit, unsigned wbid)
{
	put8(p, 0);
	put8(p, 2 << 3);                 /* HLEN 2 words */
	put8(p, (wbid << 1) | t_bit);
	put8(p, 0);
	put32(p, 0);
}

static void wifi_data(struct pkt *p, unsigned fc0, unsigned fc1)
{
	put8(p, fc0);
	put8(p, fc1);
	put16(p, 0x2c00);
	zeros(p, 18);                    /* three addresses */
	put16(p, 0);                     /* sequence */
	if ((fc1 & 3) == 3)
		zeros(p, 6);
	if (fc0 & 0x80) {
		put16(p, 0);             /* QoS control */
		if (fc1 & 0x80)
			zeros(p, 4);     /* HT control */
	}
}

static void snap(struct pkt *p, unsigned type)
{
	put8(p, 0xaa);
	put8(p, 0xaa);
	put8(p, 0x03);
	zeros(p, 3);
	put16(p, type);
}

static void test_capwap(struct t *t)
{
	static const struct { const char *name, *seed; unsigned fc0, fc1; } wf[] = {
		{ "capwap 802.11 data to-ds", "eth-capwap-wifi", 0x08, 0x01 },
		{ "capwap 802.11 qos data", "eth-capwap-wifi-qos", 0x88, 0x02 },
		{ "capwap 802.11 4-address qos+htc", "eth-capwap-wifi-wds", 0x88, 0x83 },
	};
	struct decoded d;
	struct pkt p;
	size_t i, at;

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 12380, 5247);
	capwap(&p, 0, 1);
	inner_eth_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "capwap 802.3", dec(t, "eth-capwap-8023", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_inner(t, "capwap 802.3", &d);
	expect_tunnel(t, "capwap 802.3", &d, DECODE_TUNNEL_CAPWAP, 1, 4, A4, B4);

	for (i = 0; i < sizeof(wf) / sizeof(wf[0]); i++) {
		p_init(&p);
		eth(&p, 0x0800);
		ip4(&p, 17, A4, B4);
		udp(&p, 5247, 12380);
		capwap(&p, 1, 1);
		wifi_data(&p, wf[i].fc0, wf[i].fc1);
		snap(&p, 0x0800);
		inner_v4_tcp(&p);
		finish(&p);
		expect_rc(t, wf[i].name, dec(t, wf[i].seed, T_DLT_EN10MB, &p, &d), DECODE_OK);
		expect_inner(t, wf[i].name, &d);
		expect_tunnel(t, wf[i].name, &d, DECODE_TUNNEL_CAPWAP, 1, 4, A4, B4);
	}

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 12380, 5247);
	at = p.n;
	capwap(&p, 1, 1);
	wifi_data(&p, 0x01, 0x08);       /* Cisco: frame control swapped */
	snap(&p, 0x0800);
	inner_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "capwap swapped frame control", dec(t, "eth-capwap-swapfc", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_inner(t, "capwap swapped frame control", &d);
	p.b[at + 8] = 0x40;               /* probe request */
	p.b[at + 9] = 0x00;
	expect_rc(t, "capwap 802.11 management", dec(t, "eth-capwap-mgmt", T_DLT_EN10MB, &p, &d), DECODE_NOT_IP);
	p.b[at + 8] = 0x08;
	p.b[at + 9] = 0x41;               /* protected */
	expect_rc(t, "capwap 802.11 protected", dec_n(T_DLT_EN10MB, p.b, p.n, &d), DECODE_NOT_IP);
	p.b[at + 2] = (2 << 1) | 1;       /* WBID 2: not 802.11 */
	expect_rc(t, "capwap wbid 2", dec_n(T_DLT_EN10MB, p.b, p.n, &d), DECODE_OK);
	check(t, d.tunnel == 0 && d.dport == 5247, "capwap wbid 2: outer udp flow");
	p.b[at] = 0x01;                   /* DTLS */
	expect_rc(t, "capwap dtls", dec(t, "eth-capwap-dtls", T_DLT_EN10MB, &p, &d), DECODE_OK);
	check(t, d.tunnel == 0 && d.dport == 5247, "capwap dtls: outer udp flow");
	p.b[at] = 0;
	p.b[at + 1] = 1 << 3;             /* HLEN 1 word: too short */
	expect_rc(t, "capwap hlen 1", dec_n(T_DLT_EN10MB, p.b, p.n, &d), DECODE_OK);
	check(t, d.tunnel == 0, "capwap hlen 1: outer udp flow");
}

static void test_nested_tunnels(struct t *t)
{
	struct decoded d;
	struct pkt p;

	/* IPv6 outer, GRE, IPv4, VXLAN, IPIP */
	p_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 47, A6, B6);
	gre(&p, 0, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 1, 4789);
	vxlan(&p, 0x08);
	eth(&p, 0x0800);
	ip4(&p, 4, B4, A4);
	inner_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "gre+vxlan+ipip", dec(t, "eth-nested", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_inner(t, "gre+vxlan+ipip", &d);
	expect_tunnel(t, "gre+vxlan+ipip", &d, DECODE_TUNNEL_GRE, 3, 6, A6, B6);
}

/* ---- real frames (from the captures in the shared test set) ---- */

static void test_real_frames(struct t *t)
{
	static const uint8_t gtp_src[16] = { 0x26, 0x07, 0xfc, 0x20, 0x40, 0x52, 0x03, 0x9e,
		0x49, 0x0a, 0xea, 0x4d, 0x17, 0xfe, 0xe0, 0x9c };
	static const uint8_t gtp_dst[16] = { 0xfd, 0x00, 0x97, 0x6a, 0xbc, 0x67, 0x19, 0x3e,
		[15] = 0x07 };
	static const uint8_t gtp_o1[4] = { 10, 238, 80, 26 }, gtp_o2[4] = { 10, 238, 254, 75 };
	static const uint8_t s1[4] = { 192, 168, 10, 210 }, s2[4] = { 192, 168, 103, 40 };
	static const uint8_t g1[4] = { 109, 105, 228, 253 }, g2[4] = { 10, 177, 98, 84 };
	static const uint8_t c1[4] = { 0, 0, 0, 0 }, c2[4] = { 255, 255, 255, 255 };
	static const uint8_t w1[4] = { 192, 168, 10, 10 }, w2[4] = { 192, 168, 10, 9 };
	static const uint8_t t1[4] = { 192, 168, 0, 1 }, t2[4] = { 10, 10, 10, 1 };
	static const uint8_t v1[4] = { 10, 10, 20, 4 };
	static const uint8_t r1[4] = { 172, 16, 2, 185 }, r2[4] = { 192, 168, 2, 142 };
	static const uint8_t l1[4] = { 172, 16, 238, 1 }, l2[4] = { 172, 16, 238, 10 };
	struct decoded d;

	expect_rc(t, "real gtp-u ipv6", dec_n(T_DLT_EN10MB, real_gtpu_ipv6, sizeof(real_gtpu_ipv6), &d), DECODE_OK);
	expect_flow(t, "real gtp-u ipv6", &d, 6, 17, gtp_src, gtp_dst, 49120, 25658);
	expect_tunnel(t, "real gtp-u ipv6", &d, DECODE_TUNNEL_GTPU, 1, 4, gtp_o1, gtp_o2);
	check(t, d.vlan_count == 2 && d.vlan[0] == 3233 && d.vlan[1] == 5, "real gtp-u ipv6: vlans 3233, 5");

	expect_rc(t, "real pptp (snaplen 128)", dec_n(T_DLT_EN10MB, real_pptp_gre, sizeof(real_pptp_gre), &d), DECODE_OK);
	expect_flow(t, "real pptp", &d, 4, 17, s1, s2, 5060, 5060);
	expect_tunnel(t, "real pptp", &d, DECODE_TUNNEL_GRE, 1, 4, g1, g2);
	check(t, d.ip_total_len == 326 && d.ip_len == 128 - 58 && d.payload_len == 128 - 86,
	      "real pptp: cut by snaplen, ip_len %u of %u", d.ip_len, d.ip_total_len);

	expect_rc(t, "real capwap dhcp (snaplen 160)", dec_n(T_DLT_EN10MB, real_capwap_dhcp, sizeof(real_capwap_dhcp), &d), DECODE_OK);
	expect_flow(t, "real capwap dhcp", &d, 4, 17, c1, c2, 68, 67);
	expect_tunnel(t, "real capwap dhcp", &d, DECODE_TUNNEL_CAPWAP, 1, 4, w1, w2);

	expect_rc(t, "real 4in6", dec_n(T_DLT_EN10MB, real_4in6, sizeof(real_4in6), &d), DECODE_OK);
	expect_flow(t, "real 4in6", &d, 4, 6, t1, t2, 64455, 443);
	check(t, d.tunnel == DECODE_TUNNEL_IPIP && d.tunnel_ip_version == 6 && d.tcp_flags == 0x02,
	      "real 4in6: IPIP over IPv6, SYN");
	check(t, d.ip_len == 52 && d.payload_len == 0, "real 4in6: trailer ignored");

	expect_rc(t, "real vxlan", dec_n(T_DLT_EN10MB, real_vxlan, sizeof(real_vxlan), &d), DECODE_OK);
	expect_flow(t, "real vxlan", &d, 4, 17, v1, D4, 44437, 53);
	check(t, d.tunnel == DECODE_TUNNEL_VXLAN && d.payload_len == 30, "real vxlan: dns query, 30 bytes");

	expect_rc(t, "real bsd loopback", dec_n(T_DLT_NULL, real_null_lo, sizeof(real_null_lo), &d), DECODE_OK);
	expect_flow(t, "real bsd loopback", &d, 4, 6, r1, r2, 52494, 3389);

	expect_rc(t, "real linux cooked", dec_n(T_DLT_LINUX_SLL, real_sll, sizeof(real_sll), &d), DECODE_OK);
	expect_flow(t, "real linux cooked", &d, 4, 6, l1, l2, 1984, 8080);
}

/* ---- truncation at every byte ---- */

/* Decode every prefix of the frame; each must give a known result and, when
 * OK, offsets inside the prefix.  Returns the number of bad prefixes. */
static int sweep(int dlt, const uint8_t *frame, size_t n, int *n_ok)
{
	struct decoded d;
	size_t cap;
	int bad = 0;

	*n_ok = 0;
	for (cap = 0; cap <= n; cap++) {
		int rc = dec_n(dlt, frame, cap, &d);

		if (rc < 0 || rc >= DECODE_NREASONS) {
			bad++;
			continue;
		}
		if (rc != DECODE_OK)
			continue;
		(*n_ok)++;
		if ((d.ip_version != 4 && d.ip_version != 6) ||
		    (size_t)d.ip_offset + d.ip_len > cap ||
		    (size_t)d.payload_offset + d.payload_len > cap ||
		    d.payload_offset < d.ip_offset)
			bad++;
	}
	return bad;
}

static void test_truncation(struct t *t)
{
	static const struct { const char *name; const uint8_t *b; size_t n; int dlt; } real[] = {
		{ "real gtp-u", real_gtpu_ipv6, sizeof(real_gtpu_ipv6), T_DLT_EN10MB },
		{ "real pptp", real_pptp_gre, sizeof(real_pptp_gre), T_DLT_EN10MB },
		{ "real capwap", real_capwap_dhcp, sizeof(real_capwap_dhcp), T_DLT_EN10MB },
		{ "real 4in6", real_4in6, sizeof(real_4in6), T_DLT_EN10MB },
		{ "real vxlan", real_vxlan, sizeof(real_vxlan), T_DLT_EN10MB },
	};
	struct pkt p;
	size_t i;
	int n_ok, bad;

	for (i = 0; i < sizeof(real) / sizeof(real[0]); i++) {
		bad = sweep(real[i].dlt, real[i].b, real[i].n, &n_ok);
		check(t, bad == 0, "every prefix of %s (%zu bytes): %d bad, %d ok",
		      real[i].name, real[i].n, bad, n_ok);
	}

	/* one built frame per tunnel and L2.5 header */
	p_init(&p);
	eth(&p, 0x88a8);
	vlan(&p, 1, 0x8100);
	vlan(&p, 2, 0x8847);
	put32(&p, (16u << 12) | 0x100 | 1);
	put32(&p, 0);
	eth(&p, 0x8864);
	put8(&p, 0x11);
	put8(&p, 0);
	put16(&p, 1);
	fix16(&p, p.n, p.n + 2);
	put16(&p, 0);
	put16(&p, 0x0057);
	ip6(&p, 0, A6, B6);
	ext6(&p, 44, 0);
	frag6(&p, 47, 0, 1);
	gre(&p, 0x3000, 0x6558);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 2152, 2152);
	gtpu(&p, 0x34, 0xff);
	put16(&p, 0);
	put8(&p, 0);
	put8(&p, 0x85);
	put8(&p, 1);
	put8(&p, 0);
	put8(&p, 0);
	put8(&p, 0);
	inner_v4_tcp(&p);
	finish(&p);
	bad = sweep(T_DLT_EN10MB, p.b, p.n, &n_ok);
	check(t, bad == 0 && n_ok > 0, "every prefix of vlan+mpls+pppoe+ipv6 ext+gre+gtp-u (%zu bytes): %d bad, %d ok",
	      p.n, bad, n_ok);
	write_seed(t, "eth-everything", T_DLT_EN10MB, &p);
	{
		struct decoded d;

		expect_rc(t, "vlan+mpls+pppoe+ipv6 ext+gre+gtp-u", dec_n(T_DLT_EN10MB, p.b, p.n, &d), DECODE_OK);
		expect_inner(t, "vlan+mpls+pppoe+ipv6 ext+gre+gtp-u", &d);
		expect_tunnel(t, "vlan+mpls+pppoe+ipv6 ext+gre+gtp-u", &d, DECODE_TUNNEL_GRE, 2, 6, A6, B6);
		check(t, d.is_first_fragment == 0, "inner packet is not a fragment (outer was)");
	}

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 5247, 5247);
	capwap(&p, 1, 1);
	wifi_data(&p, 0x88, 0x83);
	snap(&p, 0x0800);
	ip4(&p, 17, C4, D4);
	udp(&p, 1, 37008);
	put8(&p, 1);
	put8(&p, 0);
	put16(&p, 1);
	put8(&p, 3);
	put8(&p, 1);
	put8(&p, 0);
	put8(&p, 1);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 1, 4789);
	vxlan(&p, 0x08);
	inner_eth_v4_tcp(&p);
	finish(&p);
	bad = sweep(T_DLT_EN10MB, p.b, p.n, &n_ok);
	check(t, bad == 0 && n_ok > 0, "every prefix of capwap+tzsp+vxlan (%zu bytes): %d bad, %d ok",
	      p.n, bad, n_ok);
	write_seed(t, "eth-capwap-tzsp-vxlan", T_DLT_EN10MB, &p);
	{
		struct decoded d;

		expect_rc(t, "capwap+tzsp+vxlan", dec_n(T_DLT_EN10MB, p.b, p.n, &d), DECODE_OK);
		expect_inner(t, "capwap+tzsp+vxlan", &d);
		expect_tunnel(t, "capwap+tzsp+vxlan", &d, DECODE_TUNNEL_CAPWAP, 3, 4, A4, B4);
	}

	p_init(&p);
	sll2(&p, 1, 0x0800);
	ip4(&p, 47, A4, B4);
	pptp(&p, 0x1080);
	put8(&p, 0xff);
	put8(&p, 0x03);
	put16(&p, 0x0021);
	ip4(&p, 41, C4, D4);
	ip6(&p, 6, A6, B6);
	tcp(&p, 1, 2, 0x02);
	finish(&p);
	bad = sweep(T_DLT_LINUX_SLL2, p.b, p.n, &n_ok);
	check(t, bad == 0 && n_ok > 0, "every prefix of sll2+pptp+6in4 (%zu bytes): %d bad, %d ok",
	      p.n, bad, n_ok);
	write_seed(t, "sll2-pptp-6in4", T_DLT_LINUX_SLL2, &p);
}

/* ---- less common paths ---- */

static void test_misc(struct t *t)
{
	struct decoded d;
	struct pkt p;
	size_t at;

	p_init(&p);
	put16(&p, 0x0281);               /* PPP: MPLS unicast */
	put32(&p, (5u << 12) | 0x100 | 1);
	inner_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "ppp mpls", dec(t, "ppp-mpls", T_DLT_PPP, &p, &d), DECODE_OK);
	expect_inner(t, "ppp mpls", &d);
	expect_rc(t, "ppp empty", dec_n(T_DLT_PPP, p.b, 0, &d), DECODE_TRUNCATED_L2);
	p.b[0] = 0xff;
	expect_rc(t, "ppp address only", dec_n(T_DLT_PPP, p.b, 1, &d), DECODE_TRUNCATED_L2);

	p_init(&p);
	sll(&p, 778, 0x6558);            /* ARPHRD_IPGRE carrying Ethernet */
	inner_eth_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "sll ipgre teb", dec(t, "sll-ipgre-teb", T_DLT_LINUX_SLL, &p, &d), DECODE_OK);
	expect_inner(t, "sll ipgre teb", &d);
	p_init(&p);
	sll(&p, 1, 0x0001);              /* Linux ETH_P_802_3 */
	zeros(&p, 30);
	expect_rc(t, "sll 802.3 raw", dec(t, "sll-8023", T_DLT_LINUX_SLL, &p, &d), DECODE_NOT_IP);

	p_init(&p);
	eth(&p, 0x86dd);
	at = ip6(&p, 0, A6, B6);
	put8(&p, 17);
	put8(&p, 0);
	put8(&p, 0xc2);                  /* jumbo payload option */
	put8(&p, 4);
	put32(&p, 8 + 8 + 4);
	udp(&p, 1, 2);
	payload(&p, 4);
	finish(&p);
	p.b[at + 4] = p.b[at + 5] = 0;    /* payload length 0: jumbogram */
	p.b[at + 40 + 8 + 4] = p.b[at + 40 + 8 + 5] = 0;
	expect_rc(t, "ipv6 jumbogram", dec(t, "eth-ipv6-jumbo", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_flow(t, "ipv6 jumbogram", &d, 6, 17, A6, B6, 1, 2);
	check(t, d.ip_len == 60 && d.ip_total_len == 60 && d.payload_len == 4,
	      "ipv6 jumbogram: length from the capture (ip_len %u)", d.ip_len);

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 1, 5247);
	capwap(&p, 1, 1);
	wifi_data(&p, 0x88, 0x01);
	at = p.n - 2;                    /* QoS control */
	zeros(&p, 14);                   /* A-MSDU subframe header */
	snap(&p, 0x0800);
	inner_v4_tcp(&p);
	finish(&p);
	p.b[at] = 0x80;
	expect_rc(t, "capwap 802.11 a-msdu", dec(t, "eth-capwap-amsdu", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_inner(t, "capwap 802.11 a-msdu", &d);
	at = 14 + 20 + 8;
	p.b[at + 8] = 0x09;               /* version 1 in both bytes */
	p.b[at + 9] = 0x01;
	expect_rc(t, "capwap 802.11 version 1", dec_n(T_DLT_EN10MB, p.b, p.n, &d), DECODE_BAD_ENCAP);
	p.b[at + 3] = 0x08;               /* keep-alive */
	expect_rc(t, "capwap keep-alive", dec_n(T_DLT_EN10MB, p.b, p.n, &d), DECODE_OK);
	check(t, d.tunnel == 0 && d.dport == 5247, "capwap keep-alive: outer udp flow");
	p.b[at + 3] = 0x80;               /* fragment, offset 8 */
	p.b[at + 7] = 1 << 3;
	expect_rc(t, "capwap later fragment", dec_n(T_DLT_EN10MB, p.b, p.n, &d), DECODE_OK);
	check(t, d.tunnel == 0 && d.dport == 5247, "capwap later fragment: outer udp flow");

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 47, A4, B4);
	gre(&p, 0x0000, 0x22eb);
	put32(&p, 0x20000000);
	put32(&p, 0);
	put16(&p, 0);
	put8(&p, 2 << 2);                /* frame type IP */
	put8(&p, 0);
	inner_v4_tcp(&p);
	finish(&p);
	expect_rc(t, "erspan iii ip frame", dec(t, "eth-gre-erspan3-ip", T_DLT_EN10MB, &p, &d), DECODE_OK);
	expect_inner(t, "erspan iii ip frame", &d);
	expect_rc(t, "erspan iii header cut", dec_n(T_DLT_EN10MB, p.b, 38 + 6, &d), DECODE_TRUNCATED_L4);

	p_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 47, A4, B4);
	put16(&p, 0x0001);               /* version 1 without K */
	put16(&p, 0x880b);
	payload(&p, 8);
	finish(&p);
	expect_rc(t, "gre v1 without key", dec(t, "eth-gre-v1-nokey", T_DLT_EN10MB, &p, &d), DECODE_OK);
	check(t, d.l4_proto == 47 && d.tunnel == 0, "gre v1 without key: the GRE flow");
}

int main(int argc, char **argv)
{
	struct t t = { 0, 0, NULL };

	if (argc == 3 && strcmp(argv[1], "--corpus") == 0)
		t.corpus_dir = argv[2];
	else if (argc != 1) {
		fprintf(stderr, "usage: %s [--corpus DIR]\n", argv[0]);
		return 2;
	}
	test_names(&t);
	test_dlts(&t);
	test_ipv4_tcp(&t);
	test_ipv4_padding_options(&t);
	test_ipv4_bad(&t);
	test_ipv4_fragments(&t);
	test_snaplen(&t);
	test_l4(&t);
	test_ipv6(&t);
	test_ethernet_llc(&t);
	test_vlan(&t);
	test_mpls(&t);
	test_pppoe(&t);
	test_linux_cooked(&t);
	test_raw_and_loopback(&t);
	test_ppp_hdlc(&t);
	test_ipip(&t);
	test_depth(&t);
	test_gre(&t);
	test_pptp(&t);
	test_vxlan(&t);
	test_gtpu(&t);
	test_tzsp(&t);
	test_capwap(&t);
	test_nested_tunnels(&t);
	test_misc(&t);
	test_real_frames(&t);
	test_truncation(&t);
	printf("%d passed, %d failed\n", t.pass, t.fail);
	return t.fail ? 1 : 0;
}
