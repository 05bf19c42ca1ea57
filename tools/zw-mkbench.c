/*
 * zw-mkbench — build a large benchmark capture from small test captures.
 *
 *   zw-mkbench -o OUT.pcap [-p PACKETS] [-f FLOWS] [-s SEED] [-a ACTIVE]
 *              [-r RATE] [-v] INPUT.pcap...
 *
 * Reads Ethernet captures (pcap or pcapng), keeps the IPv4/IPv6 TCP, UDP and
 * ICMP packets (VLAN, MPLS and PPPoE headers are skipped to find the IP
 * header), groups them into bidirectional flows, then writes about FLOWS
 * copies of those flows holding about PACKETS packets in all:
 *
 *  - copy k of input flow f rewrites the two lowest bytes of every IP address
 *    through a 16-bit permutation keyed by (seed, f, k), so each copy is a
 *    new flow while its two directions stay consistent (A->B / B->A becomes
 *    A'->B' / B'->A');
 *  - the IPv4 header checksum and the TCP, UDP and ICMPv6 checksums are
 *    patched incrementally (RFC 1624), so a checksum that was right stays
 *    right and one that was wrong stays wrong by the same amount;
 *  - copies are spread over the output: each starts at a random position and
 *    its packets follow about ACTIVE packets apart, so about ACTIVE flows are
 *    in progress at any moment; packet n is stamped n/RATE seconds after a
 *    fixed epoch (monotonic, independent of the inputs' clocks);
 *  - when the inputs' mean flow size differs from PACKETS/FLOWS, flows are
 *    picked with a weight size^alpha, alpha chosen so that the mean copy
 *    size is PACKETS/FLOWS.
 *
 * Everything derives from the seed and the inputs, in the order given: the
 * same command writes the same bytes.  Single-threaded; no globals.
 *
 * Skipped, with counts printed: non-Ethernet captures, non-IP frames,
 * truncated or malformed IP headers, other IP protocols (GRE, ESP, IP-in-IP,
 * SCTP, ...), and UDP tunnels (VXLAN, GTP-U, TZSP, CAPWAP) whose inner
 * addresses a copy would not change.
 */

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MKBENCH_DEFAULT_PACKETS 2000000u
#define MKBENCH_DEFAULT_FLOWS   200000u
#define MKBENCH_DEFAULT_ACTIVE  20000u
#define MKBENCH_DEFAULT_RATE    100000u     /* packets per second of packet time */
#define MKBENCH_MAX_PACKETS     100000000u  /* output cap: 16 bytes of schedule each */
#define MKBENCH_MAX_FLOWS       50000000u
#define MKBENCH_MAX_RATE        1000000u    /* keeps microsecond stamps increasing */
#define MKBENCH_MAX_INPUT_PKTS  20000000u
#define MKBENCH_MAX_INPUT_BYTES (1024u * 1024u * 1024u)
#define MKBENCH_MAX_L2_LAYERS   8
#define MKBENCH_MAX_IPV6_EXT    8
#define MKBENCH_EPOCH           1700000000  /* 2023-11-14T22:13:20Z */
#define MKBENCH_SNAPLEN         262144
#define MKBENCH_ALPHA_LIMIT     6.0

enum mkbench_skip {
	MKBENCH_KEEP = 0,
	MKBENCH_SKIP_NOT_IP,      /* ARP, LLDP, 802.3 LLC, unknown ethertype */
	MKBENCH_SKIP_BAD,         /* truncated or malformed L2/IP/L4 header */
	MKBENCH_SKIP_PROTO,       /* IP protocol other than TCP/UDP/ICMP */
	MKBENCH_SKIP_TUNNEL,      /* UDP tunnel port */
	MKBENCH_NSKIP
};

static const char *const mkbench_skip_names[MKBENCH_NSKIP] = {
	"kept", "not IP", "truncated/malformed", "other IP protocol", "UDP tunnel",
};

/* Canonical bidirectional key of an input packet: lower endpoint first. */
struct mkbench_tuple {
	uint8_t  lo[16], hi[16];
	uint16_t lo_port, hi_port;
	uint16_t file;
	uint8_t  ver, proto;
};

struct mkbench_pkt {
	uint64_t data_off;        /* into input.arena */
	uint32_t caplen, len;
	uint32_t ip_off;          /* IP header offset in the frame */
	uint32_t l4_csum_off;     /* TCP/UDP/ICMPv6 checksum offset, 0: none to patch */
	uint8_t  ver, proto;
	uint8_t  csum_is_udp;     /* UDP: 0 means "no checksum", 0xffff stands for 0 */
	struct mkbench_tuple key;
};

struct mkbench_flow {
	uint32_t first;           /* into input.order */
	uint32_t count;
};

struct mkbench_input {
	struct mkbench_pkt *pkts;
	size_t npkts, pkts_cap;
	uint8_t *arena;
	size_t arena_len, arena_cap;
	uint32_t *order;          /* packet indices grouped by flow, file order inside */
	struct mkbench_flow *flows;
	size_t nflows;
	uint32_t max_caplen;
	uint64_t frames;
	uint64_t skipped[MKBENCH_NSKIP];
	unsigned files_used, files_skipped;
};

struct mkbench_inst {
	uint32_t flow;
	uint32_t copy;
	uint64_t perm_key;
};

struct mkbench_slot {
	uint64_t pos;             /* fixed point 48.16 position in the output */
	uint32_t inst;
	uint32_t idx;             /* packet index inside the flow */
};

struct mkbench_opts {
	const char *out;
	uint64_t packets, flows, seed, active, rate;
	bool verbose;
};

/* ---- PRNG and hashing (splitmix64: small, good enough, deterministic) ---- */

static uint64_t mkbench_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t mkbench_rand(uint64_t *state)
{
	*state += 0x9e3779b97f4a7c15ULL;
	return mkbench_mix64(*state);
}

/* Uniform in [0, 1). */
static double mkbench_rand_unit(uint64_t *state)
{
	return (double)(mkbench_rand(state) >> 11) * (1.0 / 9007199254740992.0);
}

static uint64_t mkbench_hash_bytes(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/* A keyed permutation of 16-bit values: 4 Feistel rounds on 8-bit halves.
 * Bijective for any round function, so distinct addresses stay distinct. */
static uint16_t mkbench_perm16(uint16_t x, uint64_t key)
{
	uint8_t l = (uint8_t)(x >> 8), r = (uint8_t)x;

	for (int round = 0; round < 4; round++) {
		uint32_t k = (uint32_t)(key >> (16 * round)) & 0xffffu;
		uint32_t v = ((uint32_t)r | (k << 8)) * 0x9e3779b1u;
		uint8_t f = (uint8_t)((v >> 24) ^ (v >> 13));
		uint8_t t = r;

		r = (uint8_t)(l ^ f);
		l = t;
	}
	return (uint16_t)((uint16_t)l << 8 | r);
}

/* Copy k's address map: the low 16 bits go through a permutation keyed by
 * the copy and by the address's upper bytes.  For a given copy this is a
 * bijection on addresses (the upper bytes are kept, and each set of upper
 * bytes gets a bijection on the low ones), and two addresses that share their
 * low bytes but not their upper ones still land apart. */
static void mkbench_remap_addr(uint8_t *addr, size_t alen, uint64_t key,
                               uint16_t *old, uint16_t *new)
{
	uint64_t h = mkbench_hash_bytes(0xcbf29ce484222325ULL, addr, alen - 2);

	*old = (uint16_t)((uint16_t)addr[alen - 2] << 8 | addr[alen - 1]);
	*new = mkbench_perm16(*old, key ^ mkbench_mix64(h));
	addr[alen - 2] = (uint8_t)(*new >> 8);
	addr[alen - 1] = (uint8_t)*new;
}

/* ---- bounds-checked reads ---- */

static bool mkbench_get8(const uint8_t *p, size_t len, size_t off, uint8_t *v)
{
	if (off >= len)
		return false;
	*v = p[off];
	return true;
}

static bool mkbench_get16(const uint8_t *p, size_t len, size_t off, uint16_t *v)
{
	if (off > len || len - off < 2)
		return false;
	*v = (uint16_t)((uint16_t)p[off] << 8 | p[off + 1]);
	return true;
}

static bool mkbench_has(size_t len, size_t off, size_t n)
{
	return off <= len && len - off >= n;
}

/* ---- one's complement checksum patching (RFC 1624, eqn. 3) ---- */

static uint16_t mkbench_csum_patch(uint16_t hc, uint16_t old, uint16_t new)
{
	uint32_t sum = (uint16_t)~hc;

	sum += (uint16_t)~old;
	sum += new;
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}

/* ---- frame parsing ---- */

static bool mkbench_is_tunnel_port(uint16_t port)
{
	/* VXLAN, GTP-U, TZSP, CAPWAP control and data */
	return port == 4789 || port == 2152 || port == 37008 ||
	       port == 5246 || port == 5247;
}

/* Find the IP header after Ethernet, VLAN/QinQ tags, MPLS labels or a PPPoE
 * session header.  Sets *ethertype to 0x0800 or 0x86dd. */
static int mkbench_parse_l2(const uint8_t *f, size_t caplen, size_t *ip_off,
                            uint16_t *ethertype)
{
	uint16_t type;
	size_t off = 14;

	if (!mkbench_get16(f, caplen, 12, &type))
		return MKBENCH_SKIP_BAD;
	for (int layer = 0; layer < MKBENCH_MAX_L2_LAYERS; layer++) {
		if (type == 0x0800 || type == 0x86dd) {
			*ip_off = off;
			*ethertype = type;
			return MKBENCH_KEEP;
		}
		if (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
			if (!mkbench_get16(f, caplen, off + 2, &type))
				return MKBENCH_SKIP_BAD;
			off += 4;
		} else if (type == 0x8847 || type == 0x8848) {
			uint8_t b;

			/* labels until bottom of stack, then guess from the version nibble */
			for (;;) {
				if (!mkbench_get8(f, caplen, off + 2, &b))
					return MKBENCH_SKIP_BAD;
				off += 4;
				if (b & 1)
					break;
				if (++layer >= MKBENCH_MAX_L2_LAYERS)
					return MKBENCH_SKIP_BAD;
			}
			if (!mkbench_get8(f, caplen, off, &b))
				return MKBENCH_SKIP_BAD;
			if (b >> 4 == 4)
				type = 0x0800;
			else if (b >> 4 == 6)
				type = 0x86dd;
			else
				return MKBENCH_SKIP_NOT_IP;
		} else if (type == 0x8864) {
			uint16_t ppp;

			if (!mkbench_get16(f, caplen, off + 6, &ppp))
				return MKBENCH_SKIP_BAD;
			off += 8;
			if (ppp == 0x0021)
				type = 0x0800;
			else if (ppp == 0x0057)
				type = 0x86dd;
			else
				return MKBENCH_SKIP_NOT_IP;
		} else {
			return MKBENCH_SKIP_NOT_IP;
		}
	}
	return MKBENCH_SKIP_BAD;
}

/* Walk IPv6 extension headers from *l4 with next header *nh. */
static int mkbench_skip_ipv6_ext(const uint8_t *f, size_t caplen, size_t *l4,
                                 uint8_t *nh, bool *later_fragment)
{
	for (int i = 0; i < MKBENCH_MAX_IPV6_EXT; i++) {
		uint8_t next, hlen;
		uint16_t frag;

		switch (*nh) {
		case 0:     /* hop-by-hop */
		case 43:    /* routing */
		case 60:    /* destination options */
			if (!mkbench_get8(f, caplen, *l4, &next) ||
			    !mkbench_get8(f, caplen, *l4 + 1, &hlen))
				return MKBENCH_SKIP_BAD;
			*l4 += ((size_t)hlen + 1) * 8;
			*nh = next;
			break;
		case 51:    /* authentication header */
			if (!mkbench_get8(f, caplen, *l4, &next) ||
			    !mkbench_get8(f, caplen, *l4 + 1, &hlen))
				return MKBENCH_SKIP_BAD;
			*l4 += ((size_t)hlen + 2) * 4;
			*nh = next;
			break;
		case 44:    /* fragment */
			if (!mkbench_get8(f, caplen, *l4, &next) ||
			    !mkbench_get16(f, caplen, *l4 + 2, &frag))
				return MKBENCH_SKIP_BAD;
			*l4 += 8;
			*nh = next;
			if (frag >> 3) {
				*later_fragment = true;
				return MKBENCH_KEEP;
			}
			break;
		default:
			return MKBENCH_KEEP;
		}
	}
	return MKBENCH_SKIP_BAD;
}

static void mkbench_tuple_set(struct mkbench_tuple *t, const uint8_t *src,
                              const uint8_t *dst, size_t alen, uint16_t sport,
                              uint16_t dport)
{
	int c = memcmp(src, dst, alen);

	memset(t->lo, 0, sizeof(t->lo));
	memset(t->hi, 0, sizeof(t->hi));
	if (c < 0 || (c == 0 && sport <= dport)) {
		memcpy(t->lo, src, alen);
		memcpy(t->hi, dst, alen);
		t->lo_port = sport;
		t->hi_port = dport;
	} else {
		memcpy(t->lo, dst, alen);
		memcpy(t->hi, src, alen);
		t->lo_port = dport;
		t->hi_port = sport;
	}
}

/* Decide whether a frame is kept and fill *pkt's header fields and key. */
static int mkbench_parse_frame(const uint8_t *f, size_t caplen, struct mkbench_pkt *pkt)
{
	size_t ip_off, l4, alen;
	uint16_t ethertype, sport = 0, dport = 0;
	uint8_t vb, proto;
	bool later_fragment = false;
	int rc;

	rc = mkbench_parse_l2(f, caplen, &ip_off, &ethertype);
	if (rc != MKBENCH_KEEP)
		return rc;
	if (!mkbench_get8(f, caplen, ip_off, &vb))
		return MKBENCH_SKIP_BAD;
	if (ethertype == 0x0800) {
		uint16_t frag;
		size_t ihl = (size_t)(vb & 0x0f) * 4;

		if (vb >> 4 != 4 || ihl < 20 || !mkbench_has(caplen, ip_off, ihl) ||
		    !mkbench_get16(f, caplen, ip_off + 6, &frag) ||
		    !mkbench_get8(f, caplen, ip_off + 9, &proto))
			return MKBENCH_SKIP_BAD;
		if (proto != 1 && proto != 6 && proto != 17)
			return MKBENCH_SKIP_PROTO;
		later_fragment = (frag & 0x1fff) != 0;
		l4 = ip_off + ihl;
		pkt->ver = 4;
		alen = 4;
	} else {
		if (vb >> 4 != 6 || !mkbench_has(caplen, ip_off, 40) ||
		    !mkbench_get8(f, caplen, ip_off + 6, &proto))
			return MKBENCH_SKIP_BAD;
		l4 = ip_off + 40;
		rc = mkbench_skip_ipv6_ext(f, caplen, &l4, &proto, &later_fragment);
		if (rc != MKBENCH_KEEP)
			return rc;
		if (proto != 58 && proto != 6 && proto != 17)
			return MKBENCH_SKIP_PROTO;
		pkt->ver = 6;
		alen = 16;
	}

	pkt->l4_csum_off = 0;
	pkt->csum_is_udp = 0;
	if (!later_fragment && (proto == 6 || proto == 17)) {
		if (!mkbench_get16(f, caplen, l4, &sport) ||
		    !mkbench_get16(f, caplen, l4 + 2, &dport))
			return MKBENCH_SKIP_BAD;
		if (proto == 17 && (mkbench_is_tunnel_port(sport) ||
		                    mkbench_is_tunnel_port(dport)))
			return MKBENCH_SKIP_TUNNEL;
		if (proto == 6 && mkbench_has(caplen, l4 + 16, 2))
			pkt->l4_csum_off = (uint32_t)(l4 + 16);
		if (proto == 17 && mkbench_has(caplen, l4 + 6, 2)) {
			pkt->l4_csum_off = (uint32_t)(l4 + 6);
			pkt->csum_is_udp = 1;
		}
	} else if (!later_fragment && proto == 58 && mkbench_has(caplen, l4 + 2, 2)) {
		pkt->l4_csum_off = (uint32_t)(l4 + 2);
	}

	pkt->ip_off = (uint32_t)ip_off;
	pkt->proto = proto;
	pkt->key.ver = pkt->ver;
	pkt->key.proto = proto;
	if (pkt->ver == 4)
		mkbench_tuple_set(&pkt->key, f + ip_off + 12, f + ip_off + 16, alen, sport, dport);
	else
		mkbench_tuple_set(&pkt->key, f + ip_off + 8, f + ip_off + 24, alen, sport, dport);
	return MKBENCH_KEEP;
}

/* ---- reading the inputs ---- */

static int mkbench_input_add(struct mkbench_input *in, const struct pcap_pkthdr *h,
                             const uint8_t *frame, uint16_t file, const char *path)
{
	struct mkbench_pkt pkt;
	int rc;

	in->frames++;
	memset(&pkt, 0, sizeof(pkt));
	rc = mkbench_parse_frame(frame, h->caplen, &pkt);
	in->skipped[rc]++;
	if (rc != MKBENCH_KEEP)
		return 0;

	if (in->npkts >= MKBENCH_MAX_INPUT_PKTS ||
	    in->arena_len + h->caplen > MKBENCH_MAX_INPUT_BYTES) {
		fprintf(stderr, "zw-mkbench: %s: inputs exceed %u packets or %u bytes\n",
		        path, MKBENCH_MAX_INPUT_PKTS, MKBENCH_MAX_INPUT_BYTES);
		return -1;
	}
	if (in->npkts == in->pkts_cap) {
		size_t cap = in->pkts_cap ? in->pkts_cap * 2 : 4096;
		struct mkbench_pkt *p = realloc(in->pkts, cap * sizeof(*p));

		if (!p)
			goto oom;
		in->pkts = p;
		in->pkts_cap = cap;
	}
	if (in->arena_len + h->caplen > in->arena_cap) {
		size_t cap = in->arena_cap ? in->arena_cap : (1u << 20);
		uint8_t *a;

		while (cap < in->arena_len + h->caplen)
			cap *= 2;
		a = realloc(in->arena, cap);
		if (!a)
			goto oom;
		in->arena = a;
		in->arena_cap = cap;
	}
	memcpy(in->arena + in->arena_len, frame, h->caplen);
	pkt.data_off = in->arena_len;
	pkt.caplen = h->caplen;
	pkt.len = h->len < h->caplen ? h->caplen : h->len;
	pkt.key.file = file;
	in->arena_len += h->caplen;
	if (h->caplen > in->max_caplen)
		in->max_caplen = h->caplen;
	in->pkts[in->npkts++] = pkt;
	return 0;
oom:
	fprintf(stderr, "zw-mkbench: %s: out of memory after %zu packets\n", path, in->npkts);
	return -1;
}

/* Returns 0 (file read or skipped with a note) or -1 (fatal). */
static int mkbench_read_file(struct mkbench_input *in, const char *path, uint16_t file,
                             bool verbose)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *frame;
	uint64_t kept_before = in->npkts, frames_before = in->frames;
	pcap_t *p;
	int dlt, rc, ret = 0;

	errbuf[0] = '\0';
	p = pcap_open_offline(path, errbuf);
	if (!p) {
		fprintf(stderr, "zw-mkbench: note: skipping %s: %s\n", path, errbuf);
		in->files_skipped++;
		return 0;
	}
	dlt = pcap_datalink(p);
	if (dlt != DLT_EN10MB) {
		const char *name = pcap_datalink_val_to_name(dlt);

		fprintf(stderr, "zw-mkbench: note: skipping %s: link type %s (%d), only Ethernet is used\n",
		        path, name ? name : "unknown", dlt);
		in->files_skipped++;
		goto out;
	}
	while ((rc = pcap_next_ex(p, &h, &frame)) == 1) {
		if (mkbench_input_add(in, h, frame, file, path) < 0) {
			ret = -1;
			goto out;
		}
	}
	if (rc == PCAP_ERROR)
		fprintf(stderr, "zw-mkbench: note: %s: stopped after %" PRIu64 " frames: %s\n",
		        path, in->frames - frames_before, pcap_geterr(p));
	in->files_used++;
	if (verbose)
		fprintf(stderr, "zw-mkbench: %s: %" PRIu64 " frames, %" PRIu64 " kept\n",
		        path, in->frames - frames_before, (uint64_t)in->npkts - kept_before);
out:
	pcap_close(p);
	return ret;
}

static int mkbench_tuple_cmp(const struct mkbench_tuple *a, const struct mkbench_tuple *b)
{
	int c;

	if (a->file != b->file)
		return a->file < b->file ? -1 : 1;
	if (a->ver != b->ver)
		return a->ver < b->ver ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	c = memcmp(a->lo, b->lo, sizeof(a->lo));
	if (c)
		return c;
	c = memcmp(a->hi, b->hi, sizeof(a->hi));
	if (c)
		return c;
	if (a->lo_port != b->lo_port)
		return a->lo_port < b->lo_port ? -1 : 1;
	if (a->hi_port != b->hi_port)
		return a->hi_port < b->hi_port ? -1 : 1;
	return 0;
}

static int mkbench_order_cmp(const void *va, const void *vb, void *ctx)
{
	const struct mkbench_pkt *pkts = ctx;
	uint32_t ia = *(const uint32_t *)va, ib = *(const uint32_t *)vb;
	int c = mkbench_tuple_cmp(&pkts[ia].key, &pkts[ib].key);

	if (c)
		return c;
	return ia < ib ? -1 : ia > ib;
}

/* Group the kept packets into flows (file order kept inside each flow). */
static int mkbench_group_flows(struct mkbench_input *in)
{
	size_t i;

	in->order = malloc(in->npkts * sizeof(*in->order));
	in->flows = malloc(in->npkts * sizeof(*in->flows));
	if (!in->order || !in->flows) {
		fprintf(stderr, "zw-mkbench: out of memory grouping %zu packets\n", in->npkts);
		return -1;
	}
	for (i = 0; i < in->npkts; i++)
		in->order[i] = (uint32_t)i;
	qsort_r(in->order, in->npkts, sizeof(*in->order), mkbench_order_cmp, in->pkts);
	in->nflows = 0;
	for (i = 0; i < in->npkts; i++) {
		if (i == 0 || mkbench_tuple_cmp(&in->pkts[in->order[i]].key,
		                                 &in->pkts[in->order[i - 1]].key) != 0) {
			in->flows[in->nflows].first = (uint32_t)i;
			in->flows[in->nflows].count = 0;
			in->nflows++;
		}
		in->flows[in->nflows - 1].count++;
	}
	return 0;
}

static void mkbench_input_fini(struct mkbench_input *in)
{
	free(in->pkts);
	free(in->arena);
	free(in->order);
	free(in->flows);
}

/* ---- choosing the copies ---- */

/* Mean flow size when flow f is picked with weight size^alpha. */
static double mkbench_tilted_mean(const struct mkbench_input *in, double alpha, double lmax)
{
	double num = 0.0, den = 0.0;

	for (size_t f = 0; f < in->nflows; f++) {
		double s = in->flows[f].count;
		double w = exp(alpha * (log(s) - lmax));

		num += w * s;
		den += w;
	}
	return num / den;
}

static double mkbench_solve_alpha(const struct mkbench_input *in, double target, double lmax)
{
	double lo = -MKBENCH_ALPHA_LIMIT, hi = MKBENCH_ALPHA_LIMIT;

	if (mkbench_tilted_mean(in, lo, lmax) >= target)
		return lo;
	if (mkbench_tilted_mean(in, hi, lmax) <= target)
		return hi;
	for (int i = 0; i < 60; i++) {
		double mid = 0.5 * (lo + hi);

		if (mkbench_tilted_mean(in, mid, lmax) < target)
			lo = mid;
		else
			hi = mid;
	}
	return 0.5 * (lo + hi);
}

/* Systematic sampling: flow f gets floor or ceil of ninst * q_f copies. */
static int mkbench_pick_copies(const struct mkbench_input *in, const struct mkbench_opts *o,
                               double alpha, double lmax, uint64_t ninst,
                               struct mkbench_inst **out_inst, uint64_t *out_n,
                               uint64_t *out_packets)
{
	struct mkbench_inst *inst = NULL;
	uint64_t rng = o->seed ^ 0x5eedc0d1e5ULL, n = 0, packets = 0;
	double wsum = 0.0, cum = 0.0, u;

	for (size_t f = 0; f < in->nflows; f++)
		wsum += exp(alpha * (log((double)in->flows[f].count) - lmax));
	/* the counts sum to ninst; the margin only absorbs floating-point rounding */
	inst = malloc((ninst + in->nflows + 1) * sizeof(*inst));
	if (!inst) {
		fprintf(stderr, "zw-mkbench: out of memory for %" PRIu64 " flows\n", ninst);
		return -1;
	}
	u = mkbench_rand_unit(&rng);
	for (size_t f = 0; f < in->nflows; f++) {
		double e = (double)ninst *
		           exp(alpha * (log((double)in->flows[f].count) - lmax)) / wsum;
		uint64_t c = (uint64_t)floor(cum + e + u) - (uint64_t)floor(cum + u);

		cum += e;
		for (uint64_t k = 0; k < c && n < ninst + in->nflows + 1; k++) {
			inst[n].flow = (uint32_t)f;
			inst[n].copy = (uint32_t)k;
			inst[n].perm_key = mkbench_mix64(o->seed * 0x9e3779b97f4a7c15ULL ^
			                                 mkbench_mix64(((uint64_t)f << 32) | k));
			packets += in->flows[f].count;
			n++;
		}
	}
	*out_inst = inst;
	*out_n = n;
	*out_packets = packets;
	return 0;
}

/* ---- scheduling ---- */

static int mkbench_slot_cmp(const void *va, const void *vb)
{
	const struct mkbench_slot *a = va, *b = vb;

	if (a->pos != b->pos)
		return a->pos < b->pos ? -1 : 1;
	if (a->inst != b->inst)
		return a->inst < b->inst ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Each copy starts at a random position; its packets follow about `active`
 * positions apart (closer for flows too long to fit), with jitter. */
static struct mkbench_slot *mkbench_schedule(const struct mkbench_input *in,
                                             const struct mkbench_opts *o,
                                             const struct mkbench_inst *inst,
                                             uint64_t ninst, uint64_t total)
{
	struct mkbench_slot *slots = malloc(total * sizeof(*slots));
	uint64_t rng = o->seed ^ 0x5c4ed01eULL, n = 0;
	double len = (double)total;

	if (!slots) {
		fprintf(stderr, "zw-mkbench: out of memory for %" PRIu64 " packets\n", total);
		return NULL;
	}
	for (uint64_t i = 0; i < ninst; i++) {
		uint32_t count = in->flows[inst[i].flow].count;
		double gap = 0.0, span, start;

		if (count > 1) {
			gap = (double)o->active;
			if (gap * (count - 1) > len)
				gap = len / (count - 1);
		}
		span = gap * (count > 0 ? count - 1 : 0);
		start = mkbench_rand_unit(&rng) * (len - span > 0 ? len - span : 0);
		for (uint32_t j = 0; j < count; j++) {
			double pos = start + gap * j;

			if (j > 0)
				pos += 0.5 * gap * mkbench_rand_unit(&rng);
			slots[n].pos = (uint64_t)(pos * 65536.0);
			slots[n].inst = (uint32_t)i;
			slots[n].idx = j;
			n++;
		}
	}
	qsort(slots, total, sizeof(*slots), mkbench_slot_cmp);
	return slots;
}

/* ---- writing ---- */

/* Rewrite the low 16 bits of both addresses of a copy, patching checksums. */
static void mkbench_remap(uint8_t *f, const struct mkbench_pkt *pkt, uint64_t key)
{
	size_t offs[2], c4 = pkt->ip_off + 10, cl = pkt->l4_csum_off;
	size_t alen = pkt->ver == 4 ? 4 : 16;
	uint16_t l4_csum = 0;
	bool patch_l4 = false;

	/* address starts; mkbench_parse_frame checked the IP header is present */
	offs[0] = pkt->ip_off + (pkt->ver == 4 ? 12 : 8);
	offs[1] = offs[0] + alen;
	if (cl) {
		l4_csum = (uint16_t)((uint16_t)f[cl] << 8 | f[cl + 1]);
		/* a UDP checksum of 0 means "none": leave it so */
		patch_l4 = !(pkt->csum_is_udp && l4_csum == 0);
	}
	for (int i = 0; i < 2; i++) {
		uint16_t old, new;

		mkbench_remap_addr(f + offs[i], alen, key, &old, &new);
		if (pkt->ver == 4) {
			uint16_t hc = (uint16_t)((uint16_t)f[c4] << 8 | f[c4 + 1]);

			hc = mkbench_csum_patch(hc, old, new);
			f[c4] = (uint8_t)(hc >> 8);
			f[c4 + 1] = (uint8_t)hc;
		}
		if (patch_l4)
			l4_csum = mkbench_csum_patch(l4_csum, old, new);
	}
	if (patch_l4) {
		if (pkt->csum_is_udp && l4_csum == 0)
			l4_csum = 0xffff;
		f[cl] = (uint8_t)(l4_csum >> 8);
		f[cl + 1] = (uint8_t)l4_csum;
	}
}

/* Distinct remapped 5-tuples, counted by 64-bit hash in an open-addressing set. */
static uint64_t mkbench_count_distinct(const struct mkbench_input *in,
                                       const struct mkbench_inst *inst, uint64_t ninst)
{
	uint64_t size = 1, distinct = 0, *set;

	while (size < 2 * ninst + 2)
		size <<= 1;
	set = calloc(size, sizeof(*set));
	if (!set)
		return 0;
	for (uint64_t i = 0; i < ninst; i++) {
		const struct mkbench_tuple *key =
			&in->pkts[in->order[in->flows[inst[i].flow].first]].key;
		struct mkbench_tuple t;
		uint8_t a[16], b[16];
		size_t alen = key->ver == 4 ? 4 : 16;
		uint64_t h, slot;
		uint16_t old, new;

		memcpy(a, key->lo, sizeof(a));
		memcpy(b, key->hi, sizeof(b));
		mkbench_remap_addr(a, alen, inst[i].perm_key, &old, &new);
		mkbench_remap_addr(b, alen, inst[i].perm_key, &old, &new);
		memset(&t, 0, sizeof(t));
		mkbench_tuple_set(&t, a, b, alen, key->lo_port, key->hi_port);
		t.ver = key->ver;
		t.proto = key->proto;
		h = 0xcbf29ce484222325ULL;
		h = mkbench_hash_bytes(h, t.lo, sizeof(t.lo));
		h = mkbench_hash_bytes(h, t.hi, sizeof(t.hi));
		h = mkbench_hash_bytes(h, (const uint8_t *)&t.lo_port, 2);
		h = mkbench_hash_bytes(h, (const uint8_t *)&t.hi_port, 2);
		h = mkbench_hash_bytes(h, &t.ver, 1);
		h = mkbench_hash_bytes(h, &t.proto, 1);
		h = mkbench_mix64(h) | 1;
		for (slot = h & (size - 1); set[slot] && set[slot] != h; slot = (slot + 1) & (size - 1))
			;
		if (!set[slot]) {
			set[slot] = h;
			distinct++;
		}
	}
	free(set);
	return distinct;
}

static int mkbench_write(const struct mkbench_input *in, const struct mkbench_opts *o,
                         const struct mkbench_inst *inst, const struct mkbench_slot *slots,
                         uint64_t total, uint64_t *out_bytes, uint64_t *out_wire)
{
	pcap_t *dead = NULL;
	pcap_dumper_t *d = NULL;
	uint8_t *buf = NULL;
	uint64_t wire = 0;
	int snaplen = MKBENCH_SNAPLEN, ret = -1;

	if (in->max_caplen > (uint32_t)snaplen)
		snaplen = (int)in->max_caplen;
	buf = malloc(in->max_caplen ? in->max_caplen : 1);
	dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, snaplen,
	                                            PCAP_TSTAMP_PRECISION_MICRO);
	if (!buf || !dead) {
		fprintf(stderr, "zw-mkbench: out of memory opening %s\n", o->out);
		goto out;
	}
	d = pcap_dump_open(dead, o->out);
	if (!d) {
		fprintf(stderr, "zw-mkbench: cannot write %s: %s\n", o->out, pcap_geterr(dead));
		goto out;
	}
	for (uint64_t n = 0; n < total; n++) {
		const struct mkbench_inst *c = &inst[slots[n].inst];
		const struct mkbench_flow *fl = &in->flows[c->flow];
		const struct mkbench_pkt *pkt = &in->pkts[in->order[fl->first + slots[n].idx]];
		uint64_t usec = n * 1000000u / o->rate;
		struct pcap_pkthdr h;

		memcpy(buf, in->arena + pkt->data_off, pkt->caplen);
		mkbench_remap(buf, pkt, c->perm_key);
		memset(&h, 0, sizeof(h));
		h.ts.tv_sec = (time_t)(MKBENCH_EPOCH + usec / 1000000u);
		h.ts.tv_usec = (suseconds_t)(usec % 1000000u);
		h.caplen = pkt->caplen;
		h.len = pkt->len;
		pcap_dump((u_char *)d, &h, buf);
		wire += pkt->len;
	}
	if (pcap_dump_flush(d) != 0 || ferror(pcap_dump_file(d))) {
		fprintf(stderr, "zw-mkbench: write error on %s: %s\n", o->out, strerror(errno));
		goto out;
	}
	*out_bytes = (uint64_t)pcap_dump_ftell64(d);
	*out_wire = wire;
	ret = 0;
out:
	if (d)
		pcap_dump_close(d);
	if (dead)
		pcap_close(dead);
	free(buf);
	if (ret != 0 && d)
		unlink(o->out);
	return ret;
}

/* ---- options ---- */

static void mkbench_usage(FILE *fp)
{
	fprintf(fp,
	        "usage: zw-mkbench -o OUT.pcap [-p PACKETS] [-f FLOWS] [-s SEED] [-a ACTIVE]\n"
	        "                  [-r RATE] [-v] INPUT.pcap...\n"
	        "  -o OUT      capture to write (pcap, Ethernet, microsecond stamps)\n"
	        "  -p PACKETS  about this many packets (default %u)\n"
	        "  -f FLOWS    about this many flows (default %u)\n"
	        "  -s SEED     PRNG seed; same seed and inputs, same bytes (default 1)\n"
	        "  -a ACTIVE   about this many flows in progress at once (default %u)\n"
	        "  -r RATE     packets per second of packet time, 1..%u (default %u)\n"
	        "  -v          one line per input\n",
	        MKBENCH_DEFAULT_PACKETS, MKBENCH_DEFAULT_FLOWS, MKBENCH_DEFAULT_ACTIVE,
	        MKBENCH_MAX_RATE, MKBENCH_DEFAULT_RATE);
}

static int mkbench_parse_u64(char opt, const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || end == s || *end != '\0' || s[0] == '-' || x < min || x > max) {
		fprintf(stderr, "zw-mkbench: -%c: '%s' is not a number from %" PRIu64
		        " to %" PRIu64 "\n", opt, s, min, max);
		return -1;
	}
	*v = x;
	return 0;
}

static int mkbench_parse_opts(int argc, char **argv, struct mkbench_opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->packets = MKBENCH_DEFAULT_PACKETS;
	o->flows = MKBENCH_DEFAULT_FLOWS;
	o->seed = 1;
	o->active = MKBENCH_DEFAULT_ACTIVE;
	o->rate = MKBENCH_DEFAULT_RATE;
	while ((c = getopt(argc, argv, "o:p:f:s:a:r:vh")) != -1) {
		switch (c) {
		case 'o': o->out = optarg; break;
		case 'p':
			if (mkbench_parse_u64('p', optarg, 1, MKBENCH_MAX_PACKETS, &o->packets))
				return -1;
			break;
		case 'f':
			if (mkbench_parse_u64('f', optarg, 1, MKBENCH_MAX_FLOWS, &o->flows))
				return -1;
			break;
		case 's':
			if (mkbench_parse_u64('s', optarg, 0, UINT64_MAX, &o->seed))
				return -1;
			break;
		case 'a':
			if (mkbench_parse_u64('a', optarg, 1, MKBENCH_MAX_PACKETS, &o->active))
				return -1;
			break;
		case 'r':
			if (mkbench_parse_u64('r', optarg, 1, MKBENCH_MAX_RATE, &o->rate))
				return -1;
			break;
		case 'v': o->verbose = true; break;
		case 'h': mkbench_usage(stdout); exit(0);
		default: mkbench_usage(stderr); return -1;
		}
	}
	if (!o->out || optind >= argc) {
		fprintf(stderr, "zw-mkbench: %s\n", !o->out ? "-o OUT.pcap is required"
		                                             : "no input capture given");
		mkbench_usage(stderr);
		return -1;
	}
	if (argc - optind > UINT16_MAX) {
		fprintf(stderr, "zw-mkbench: %d inputs, at most %d\n", argc - optind, (int)UINT16_MAX);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct mkbench_opts o;
	struct mkbench_input in;
	struct mkbench_inst *inst = NULL;
	struct mkbench_slot *slots = NULL;
	uint64_t ninst = 0, total = 0, want_inst, bytes = 0, wire = 0, distinct;
	double lmax = 0.0, mean_in, target, alpha = 0.0, mean_out;
	int ret = 1;

	memset(&in, 0, sizeof(in));
	if (mkbench_parse_opts(argc, argv, &o) < 0)
		return 2;
	for (int i = optind; i < argc; i++)
		if (mkbench_read_file(&in, argv[i], (uint16_t)(i - optind), o.verbose) < 0)
			goto out;
	if (in.npkts == 0) {
		fprintf(stderr, "zw-mkbench: no IPv4/IPv6 TCP/UDP/ICMP packet in %d input(s)\n",
		        argc - optind);
		goto out;
	}
	if (mkbench_group_flows(&in) < 0)
		goto out;

	for (size_t f = 0; f < in.nflows; f++)
		if (log((double)in.flows[f].count) > lmax)
			lmax = log((double)in.flows[f].count);
	mean_in = (double)in.npkts / (double)in.nflows;
	target = (double)o.packets / (double)o.flows;
	if (fabs(mean_in - target) > 0.01 * target)
		alpha = mkbench_solve_alpha(&in, target, lmax);
	mean_out = mkbench_tilted_mean(&in, alpha, lmax);
	want_inst = o.flows;
	if (fabs(mean_out - target) > 0.01 * target) {
		/* cannot reach both: keep the packet count, let the flow count follow */
		want_inst = (uint64_t)llround((double)o.packets / mean_out);
		if (want_inst < 1)
			want_inst = 1;
		fprintf(stderr, "zw-mkbench: note: input flows average %.1f packets at best %.1f, "
		        "not %.1f: making about %" PRIu64 " flows\n",
		        mean_in, mean_out, target, want_inst);
	}
	if (mkbench_pick_copies(&in, &o, alpha, lmax, want_inst, &inst, &ninst, &total) < 0)
		goto out;
	if (total == 0 || total > 2 * (uint64_t)MKBENCH_MAX_PACKETS) {
		fprintf(stderr, "zw-mkbench: the copies hold %" PRIu64 " packets, "
		        "outside 1..%u\n", total, 2 * MKBENCH_MAX_PACKETS);
		goto out;
	}
	slots = mkbench_schedule(&in, &o, inst, ninst, total);
	if (!slots)
		goto out;
	if (mkbench_write(&in, &o, inst, slots, total, &bytes, &wire) < 0)
		goto out;
	distinct = mkbench_count_distinct(&in, inst, ninst);

	printf("zw-mkbench: inputs: %u used, %u skipped; %" PRIu64 " frames, %zu kept "
	       "in %zu flows (%.1f packets/flow)\n",
	       in.files_used, in.files_skipped, in.frames, in.npkts, in.nflows, mean_in);
	printf("zw-mkbench: dropped:");
	for (int r = 1; r < MKBENCH_NSKIP; r++)
		printf(" %s %" PRIu64 "%s", mkbench_skip_names[r], in.skipped[r],
		       r + 1 < MKBENCH_NSKIP ? "," : "\n");
	if (fabs(mean_out - mean_in) > 0.01 * mean_in)
		printf("zw-mkbench: flows weighted by size^%.3f for %.1f packets/flow\n",
		       alpha, mean_out);
	printf("zw-mkbench: wrote %s: %" PRIu64 " packets, %" PRIu64 " flows "
	       "(%" PRIu64 " distinct 5-tuples), %" PRIu64 " bytes (%" PRIu64 " on the wire), "
	       "%.1f s at %" PRIu64 " pps, ~%" PRIu64 " flows active, seed %" PRIu64 "\n",
	       o.out, total, ninst, distinct, bytes, wire,
	       (double)total / (double)o.rate, o.rate, o.active < ninst ? o.active : ninst, o.seed);
	ret = 0;
out:
	free(slots);
	free(inst);
	mkbench_input_fini(&in);
	return ret;
}
