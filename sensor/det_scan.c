/*
 * det_scan — port scans, host sweeps and IP protocol scans (doc/detectors.md
 * "Scans"), sid 9101 (port scan) and 9102 (host sweep).
 *
 * What counts is *failed* attempts, as in Zeek's scan detection: a proxy
 * or a busy client reaches many hosts, but its connections are answered; a
 * scanner's mostly are not.  An attempt is a TCP SYN without ACK, or a UDP
 * datagram to a service port (the lower port, or one at most 1024).  It is
 * remembered (the attempts array) until the target answers (SYN+ACK, or any
 * UDP back from that port): then it is forgotten.  It fails when the target
 * resets it, when an ICMP unreachable quotes it, or when no answer comes
 * within detect.scan.attempt_timeout (also when the array must make room
 * for another, and at the end of the input).  FIN, NULL and Xmas probes
 * (TCP without SYN, ACK or RST: no real connection sends them) fail at
 * once.
 *
 * Attempts are many and short-lived (most connections begin and end one
 * within a second), so they are not in a dtab but in a set-associative
 * array: an attempt's hash picks a set of SCAN_WAYS; the set's tags (30
 * bits of the hash, and the state) and deadlines fill one cache line.  An
 * answer is matched on the tag alone, so most packets cost one cache miss
 * here; the attempt itself is read only when it fails or is retransmitted.
 * (Two attempts in one set share a tag once in about 10^8 lookups: then
 * an answer may end the wrong one.)  A full set makes
 * room by dropping its oldest answered UDP service (below) or else failing
 * its attempt closest to its deadline (counted as evicted).  The tick
 * sweeps the sets for attempts past their deadline, each stamped with its
 * own.  A UDP attempt that is answered stays in its place as "answered"
 * for the attempt timeout after the service's last reply: the client's
 * next datagrams to it (DNS, QUIC) open no attempt.
 *
 * Each failure adds its port to the source's distinct-port count for that
 * target (table "hosts") and the target to the source's distinct-host count
 * for that port (table "sweeps").  A count at the threshold within
 * detect.scan.window raises the alert; the same source and target (or
 * port) raise again at most every detect.realert.  IP protocols other than
 * TCP, UDP and ICMP are counted per source and target as well: nmap -sO
 * sends one packet of each.
 */
#include "detect_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCAN_SID_PORTS 9101u
#define SCAN_SID_SWEEP 9102u
#define SCAN_CLAUSE "第6(6)"
#define SCAN_THREAT "unauthorized-access"

enum scan_kind { SCAN_SYN, SCAN_UDP, SCAN_FIN, SCAN_NULL, SCAN_XMAS, SCAN_TCP_OTHER, SCAN_NKINDS };

static const char *const scan_kind_names[SCAN_NKINDS] = {
	"syn", "udp", "fin", "null", "xmas", "tcp_other"
};

struct scan_akey {                 /* an attempt: 36 bytes, no padding */
	uint8_t ipv, proto;
	uint16_t dport;
	uint8_t src[16], dst[16];
};

struct scan_hkey {                 /* source and target; src.pad[0]: TCP, UDP or 0 (protocol scan) */
	struct det_addr src, dst;
};

#define SCAN_PROTO_BITS 256

struct scan_host {
	struct dcount ports;
	uint64_t since_us, alerted_us;
	uint64_t last_us;               /* the latest failed attempt's start */
	uint64_t failed, answered;
	uint32_t kinds;                 /* bit per enum scan_kind */
	uint16_t sample[DET_SAMPLE_MAX];
	uint8_t nsample;
	bool src_in, dst_in;
	/* IP protocol scan: exact, reset when a window has passed */
	uint64_t protos_since_us, protos_alerted_us;
	uint32_t nprotos;
	uint64_t protos[SCAN_PROTO_BITS / 64];
};

struct scan_skey {                 /* source and port */
	uint8_t ipv, proto;
	uint16_t dport;
	uint8_t pad[4];
	uint8_t src[16];
};

struct scan_sweep {
	struct dcount hosts;
	uint64_t since_us, alerted_us;
	uint64_t last_us;               /* the latest failed attempt's start */
	uint64_t failed;
	uint32_t kinds;
	uint32_t inside, outside;       /* failed targets inside / outside the site */
	uint8_t nsample;
	bool src_in;
	uint8_t sample[DET_SAMPLE_MAX][16];
};

#define SCAN_WAYS 8

/* An attempt's key and its hash, made once. */
struct scan_ref {
	struct scan_akey k;
	uint64_t h;
};

/* A set's tag word: SCAN_USED, SCAN_ANSWERED and 30 bits of the hash. */
#define SCAN_USED 1u
#define SCAN_ANSWERED 2u

struct scan_set {                  /* one cache line */
	uint32_t tag[SCAN_WAYS];        /* 0: free */
	uint32_t until_s[SCAN_WAYS];    /* pending: its deadline, whole seconds
					 * rounded down; answered: the end of it */
};

struct scan_slot {                 /* an attempt: 56 bytes */
	struct scan_akey k;
	uint8_t kind;                   /* enum scan_kind */
	bool src_in, dst_in;
	uint8_t pad;
	uint64_t first_us, last_us;     /* first and latest transmission */
};

/* Per hash slot, how many "hosts" entries there are (saturating at 255,
 * then always "maybe"): an answered attempt adds to its entry's answered
 * count, and most answered attempts have no entry to look up. */
#define SCAN_PRESENT_SLOTS 65536u

struct det_scan {
	struct det_base base;
	struct dtab *hosts, *sweeps;
	struct scan_set *sets;
	struct scan_slot *slots;        /* SCAN_WAYS per set */
	uint32_t nsets;
	struct dtab_stats att;          /* the attempts array's counters */
	/* the attempts of the packet p->seq == pre_seq (scan_prepare) */
	uint64_t pre_seq;               /* numbers start at 1 */
	bool pre_has[2];
	struct scan_ref pre[2];
	uint8_t present[SCAN_PRESENT_SLOTS];
};

static const struct det_sig scan_sig_ports = {
	SCAN_SID_PORTS, 3, "ポートスキャンを検知", "Port scan", SCAN_THREAT, SCAN_CLAUSE, "port_scan"
};
static const struct det_sig scan_sig_protos = {
	SCAN_SID_PORTS, 3, "IPプロトコルスキャンを検知", "IP protocol scan", SCAN_THREAT, SCAN_CLAUSE,
	"port_scan"
};
static const struct det_sig scan_sig_sweep = {
	SCAN_SID_SWEEP, 3, "ホストスイープ（ネットワーク探索）を検知", "Host sweep", SCAN_THREAT,
	SCAN_CLAUSE, "host_sweep"
};

static uint64_t scan_window_us(const struct det_scan *s)
{
	return s->base.cfg->scan_window_s * 1000000u;
}

static void scan_kinds_text(char *buf, size_t len, uint32_t kinds, const char **first)
{
	size_t n = 0;

	buf[0] = '\0';
	*first = "syn";
	for (unsigned k = 0; k < SCAN_NKINDS; k++) {
		if (!(kinds & (1u << k)))
			continue;
		if (!buf[0])
			*first = scan_kind_names[k];
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? "+" : "",
				      scan_kind_names[k]);
	}
}

/* The kind of the alert: the only one seen, or "mixed". */
static const char *scan_kind_of(uint32_t kinds)
{
	const char *first;
	char buf[64];

	scan_kinds_text(buf, sizeof(buf), kinds, &first);
	return __builtin_popcount(kinds) == 1 ? first : "mixed";
}

static void scan_alert_ports(struct det_scan *s, const struct scan_hkey *k, struct scan_host *h,
			     double est)
{
	char ports[DET_SAMPLE_MAX][8], src[48], dst[48], detail[256], kinds[64];
	const char *first;
	struct det_alert a;

	det_alert_init(&a, &scan_sig_ports, s->base.now_us);
	for (unsigned i = 0; i < h->nsample; i++) {
		snprintf(ports[i], sizeof(ports[i]), "%u", (unsigned)h->sample[i]);
		a.sample[i] = ports[i];
	}
	a.nsample = h->nsample;
	det_addr_text(src, sizeof(src), k->src.ipv, k->src.a);
	det_addr_text(dst, sizeof(dst), k->dst.ipv, k->dst.a);
	scan_kinds_text(kinds, sizeof(kinds), h->kinds, &first);
	snprintf(detail, sizeof(detail),
		 "%s probed about %.0f ports of %s in %.0f s without an answer (%s; %llu answered)",
		 src, est, dst, (double)(h->last_us - h->since_us) / 1e6, kinds,
		 (unsigned long long)h->answered);
	a.kind = scan_kind_of(h->kinds);
	a.proto = k->src.pad[0];
	a.ipv = k->src.ipv;
	a.src = k->src.a;
	a.dst = k->dst.a;
	a.direction = detect_direction(h->src_in, h->dst_in);
	a.since_us = h->since_us;
	a.window_s = s->base.cfg->scan_window_s;
	a.value = (double)(uint64_t)(est + 0.5);
	a.threshold = (double)s->base.cfg->scan_ports;
	a.unit = "ports";
	a.count = h->failed;
	a.detail = detail;
	a.key = k;
	a.key_len = sizeof(*k);
	det_base_raise(&s->base, &a);
}

static void scan_alert_protos(struct det_scan *s, const struct scan_hkey *k, struct scan_host *h)
{
	char src[48], dst[48], detail[256];
	char protos[DET_SAMPLE_MAX][8];
	struct det_alert a;
	unsigned n = 0;

	det_alert_init(&a, &scan_sig_protos, s->base.now_us);
	for (unsigned p = 0; p < SCAN_PROTO_BITS && n < DET_SAMPLE_MAX; p++)
		if (h->protos[p / 64] & (1ULL << (p % 64))) {
			snprintf(protos[n], sizeof(protos[n]), "%u", p);
			a.sample[n] = protos[n];
			n++;
		}
	a.nsample = n;
	det_addr_text(src, sizeof(src), k->src.ipv, k->src.a);
	det_addr_text(dst, sizeof(dst), k->dst.ipv, k->dst.a);
	snprintf(detail, sizeof(detail), "%s sent packets of %u IP protocols to %s in %.0f s",
		 src, h->nprotos, dst, (double)(s->base.now_us - h->protos_since_us) / 1e6);
	a.kind = "ip_protocol";
	a.ipv = k->src.ipv;
	a.src = k->src.a;
	a.dst = k->dst.a;
	a.direction = detect_direction(h->src_in, h->dst_in);
	a.since_us = h->protos_since_us;
	a.window_s = s->base.cfg->scan_window_s;
	a.value = h->nprotos;
	a.threshold = (double)s->base.cfg->scan_protocols;
	a.unit = "protocols";
	a.count = h->nprotos;
	a.detail = detail;
	a.key = k;
	a.key_len = sizeof(*k);
	det_base_raise(&s->base, &a);
}

static void scan_alert_sweep(struct det_scan *s, const struct scan_skey *k, struct scan_sweep *w,
			     double est)
{
	char hosts[DET_SAMPLE_MAX][48], src[48], detail[256], kinds[64];
	const char *first;
	struct det_alert a;

	det_alert_init(&a, &scan_sig_sweep, s->base.now_us);
	for (unsigned i = 0; i < w->nsample; i++) {
		det_addr_text(hosts[i], sizeof(hosts[i]), k->ipv, w->sample[i]);
		a.sample[i] = hosts[i];
	}
	a.nsample = w->nsample;
	det_addr_text(src, sizeof(src), k->ipv, k->src);
	scan_kinds_text(kinds, sizeof(kinds), w->kinds, &first);
	snprintf(detail, sizeof(detail),
		 "%s tried port %u/%s on about %.0f hosts in %.0f s without an answer (%s)",
		 src, (unsigned)k->dport, k->proto == 17 ? "udp" : "tcp", est,
		 (double)(w->last_us - w->since_us) / 1e6, kinds);
	a.kind = scan_kind_of(w->kinds);
	a.proto = k->proto;
	a.ipv = k->ipv;
	a.src = k->src;
	a.direction = detect_direction(w->src_in, w->inside >= w->outside);
	a.dport = k->dport;
	a.since_us = w->since_us;
	a.window_s = s->base.cfg->scan_window_s;
	a.value = (double)(uint64_t)(est + 0.5);
	a.threshold = (double)s->base.cfg->scan_hosts;
	a.unit = "hosts";
	a.count = w->failed;
	a.detail = detail;
	a.key = k;
	a.key_len = sizeof(*k);
	det_base_raise(&s->base, &a);
}

static uint8_t *scan_present(struct det_scan *s, const struct scan_hkey *k)
{
	return &s->present[dsketch_hash(k, sizeof(*k), 0x686b6579ULL) & (SCAN_PRESENT_SLOTS - 1)];
}

/* The hosts entry of k, made when there is none. */
static struct scan_host *scan_host_put(struct det_scan *s, const struct scan_hkey *k, uint64_t now,
				       int *created)
{
	struct scan_host *h = dtab_put(s->hosts, k, now, created);

	if (*created) {
		uint8_t *c = scan_present(s, k);
		if (*c < 255)
			(*c)++;
	}
	return h;
}

/* A hosts entry leaves its table. */
static void scan_host_leave(void *ctx, const void *key, void *val, uint64_t last_us)
{
	uint8_t *c = scan_present(ctx, key);

	(void)val;
	(void)last_us;
	if (*c > 0 && *c < 255)
		(*c)--;
}

/* One failed attempt of src to dst:dport/proto. */
static void scan_failed(struct det_scan *s, uint8_t ipv, uint8_t proto, const uint8_t *src,
			const uint8_t *dst, uint16_t dport, enum scan_kind kind, bool src_in,
			bool dst_in, uint64_t attempt_us)
{
	uint64_t win = scan_window_us(s), now = s->base.now_us;
	struct scan_hkey hk;
	struct scan_skey sk;
	struct scan_host *h;
	struct scan_sweep *w;
	uint64_t item;
	bool fresh;
	int created;
	double est;

	det_addr_set(&hk.src, ipv, src);
	det_addr_set(&hk.dst, ipv, dst);
	hk.src.pad[0] = proto;             /* a TCP and a UDP scan are two alerts */
	h = scan_host_put(s, &hk, now, &created);
	if (created) {
		h->src_in = src_in;
		h->dst_in = dst_in;
	}
	det_episode(s->base.d, &h->since_us, &h->alerted_us, attempt_us);
	if (attempt_us > h->last_us)
		h->last_us = attempt_us;
	h->failed++;
	h->kinds |= 1u << kind;
	item = ((uint64_t)proto << 16) | dport;
	fresh = dcount_add(&h->ports, dsketch_hash(&item, sizeof(item), 0x706f727473ULL), now, win);
	if (fresh && h->nsample < DET_SAMPLE_MAX)
		h->sample[h->nsample++] = dport;
	/* the count grows only with a new item: read it only then */
	if (fresh && !h->alerted_us &&
	    (est = dcount_estimate(&h->ports, now, win)) >= (double)s->base.cfg->scan_ports) {
		h->alerted_us = now;
		scan_alert_ports(s, &hk, h, est);
	}

	memset(&sk, 0, sizeof(sk));
	sk.ipv = ipv;
	sk.proto = proto;
	sk.dport = dport;
	memcpy(sk.src, src, 16);
	w = dtab_put(s->sweeps, &sk, now, &created);
	if (created)
		w->src_in = src_in;
	det_episode(s->base.d, &w->since_us, &w->alerted_us, attempt_us);
	if (attempt_us > w->last_us)
		w->last_us = attempt_us;
	w->failed++;
	w->kinds |= 1u << kind;
	fresh = dcount_add(&w->hosts, dsketch_hash(dst, 16, 0x686f737473ULL), now, win);
	if (fresh) {
		if (dst_in)
			w->inside++;
		else
			w->outside++;
		if (w->nsample < DET_SAMPLE_MAX)
			memcpy(w->sample[w->nsample++], dst, 16);
	}
	if (fresh && !w->alerted_us &&
	    (est = dcount_estimate(&w->hosts, now, win)) >= (double)s->base.cfg->scan_hosts) {
		w->alerted_us = now;
		scan_alert_sweep(s, &sk, w, est);
	}
}

static uint64_t scan_akey_hash(const struct scan_akey *k)
{
	return dsketch_hash(k, sizeof(*k), 0x617474ULL);
}

static void scan_ref_set(struct scan_ref *r, uint8_t ipv, uint8_t proto, const uint8_t *src,
			 const uint8_t *dst, uint16_t dport)
{
	r->k.ipv = ipv;
	r->k.proto = proto;
	r->k.dport = dport;
	memcpy(r->k.src, src, 16);
	memcpy(r->k.dst, dst, 16);
	r->h = scan_akey_hash(&r->k);
}

static uint64_t scan_timeout_us(const struct det_scan *s)
{
	return s->base.cfg->scan_timeout_s * 1000000u;
}

static struct scan_slot *scan_slot_at(const struct det_scan *s, uint32_t set, unsigned way)
{
	return &s->slots[(size_t)set * SCAN_WAYS + way];
}

static uint32_t scan_tag(const struct scan_ref *r)
{
	return ((uint32_t)(r->h >> 32) & ~SCAN_ANSWERED) | SCAN_USED;
}

static uint32_t scan_set_index(const struct det_scan *s, const struct scan_ref *r)
{
	return (uint32_t)(((r->h & 0xffffffffu) * s->nsets) >> 32);
}

/* The way of the attempt r in its set (*set), or -1. */
static int scan_find(const struct det_scan *s, const struct scan_ref *r, uint32_t *set)
{
	uint32_t tag = scan_tag(r);
	const struct scan_set *st;

	*set = scan_set_index(s, r);
	st = &s->sets[*set];
	for (unsigned w = 0; w < SCAN_WAYS; w++)
		if ((st->tag[w] & ~SCAN_ANSWERED) == tag)
			return (int)w;
	return -1;
}

static bool scan_answered(const struct det_scan *s, uint32_t set, unsigned way)
{
	return (s->sets[set].tag[way] & SCAN_ANSWERED) != 0;
}

static void scan_free(struct det_scan *s, uint32_t set, unsigned way)
{
	s->sets[set].tag[way] = 0;
	s->att.entries--;
}

/* A pending attempt leaves unanswered (timed out, evicted, or at the end):
 * it failed when its time ran out after its last (re)transmission, which
 * may be well before now (the next capture file can begin years later):
 * its alert says so. */
static void scan_expire_slot(struct det_scan *s, uint32_t set, unsigned way)
{
	struct scan_slot at = *scan_slot_at(s, set, way);
	uint64_t now = s->base.now_us, deadline = at.last_us + scan_timeout_us(s);
	bool answered = scan_answered(s, set, way);

	scan_free(s, set, way);
	if (answered)
		return;
	if (deadline < now)
		s->base.now_us = deadline;
	scan_failed(s, at.k.ipv, at.k.proto, at.k.src, at.k.dst, at.k.dport, (enum scan_kind)at.kind,
		    at.src_in, at.dst_in, at.first_us);
	s->base.now_us = now;
}

/* Count an answered attempt on its hosts entry, when there is one. */
static void scan_count_answer(struct det_scan *s, const struct scan_akey *k)
{
	struct scan_hkey hk;
	struct scan_host *h;

	det_addr_set(&hk.src, k->ipv, k->src);
	det_addr_set(&hk.dst, k->ipv, k->dst);
	hk.src.pad[0] = k->proto;
	if (*scan_present(s, &hk) && (h = dtab_get(s->hosts, &hk)))
		h->answered++;
}

/* The target answered (ok) or refused (!ok) the attempt r. */
static void scan_answer(struct det_scan *s, const struct scan_ref *r, bool ok)
{
	uint32_t set;
	int w = scan_find(s, r, &set);

	if (w < 0 || scan_answered(s, set, (unsigned)w))
		return;
	if (ok) {
		scan_count_answer(s, &r->k);
		scan_free(s, set, (unsigned)w);
		return;
	}
	/* refused: fails now */
	{
		struct scan_slot at = *scan_slot_at(s, set, (unsigned)w);

		scan_free(s, set, (unsigned)w);
		scan_failed(s, r->k.ipv, r->k.proto, r->k.src, r->k.dst, r->k.dport,
			    (enum scan_kind)at.kind, at.src_in, at.dst_in, at.first_us);
	}
}

/* A reply from the UDP service of r (r: client to service) at ts_us:
 * answers its attempt, and the service counts as answering for the
 * attempt timeout. */
static void scan_udp_reply(struct det_scan *s, const struct scan_ref *r, uint64_t ts_us)
{
	uint32_t set;
	int w = scan_find(s, r, &set);

	if (w < 0)
		return;
	if (!scan_answered(s, set, (unsigned)w))
		scan_count_answer(s, &r->k);
	s->sets[set].tag[w] |= SCAN_ANSWERED;
	s->sets[set].until_s[w] = (uint32_t)(ts_us / 1000000u) + (uint32_t)s->base.cfg->scan_timeout_s;
}

/* The attempt ended without an answer and without a refusal (an ICMP time
 * exceeded or fragmentation needed quoted it): forgotten, not failed. */
static void scan_forget(struct det_scan *s, const struct scan_ref *r)
{
	uint32_t set;
	int w = scan_find(s, r, &set);

	if (w >= 0 && !scan_answered(s, set, (unsigned)w))
		scan_free(s, set, (unsigned)w);
}

/* The way to put a new attempt in: a free one, else the answered service
 * that ends first, else (evicted: it fails) the attempt closest to its
 * deadline. */
static unsigned scan_make_room(struct det_scan *s, uint32_t set)
{
	struct scan_set *st = &s->sets[set];
	int answered = -1, pending = -1;

	for (unsigned w = 0; w < SCAN_WAYS; w++) {
		if (!st->tag[w])
			return w;
		if (st->tag[w] & SCAN_ANSWERED) {
			if (answered < 0 || st->until_s[w] < st->until_s[answered])
				answered = (int)w;
		} else if (pending < 0 || st->until_s[w] < st->until_s[pending]) {
			pending = (int)w;
		}
	}
	s->att.evicted++;
	if (answered >= 0) {
		scan_free(s, set, (unsigned)answered);
		return (unsigned)answered;
	}
	scan_expire_slot(s, set, (unsigned)pending);
	return (unsigned)pending;
}

/* p opens the attempt r (its own key: p's source to p's destination),
 * unless r is a UDP service that answers lately. */
static void scan_attempt(struct det_scan *s, const struct det_pkt *p, const struct scan_ref *r,
			 enum scan_kind kind)
{
	uint32_t deadline_s = (uint32_t)((p->ts_us + scan_timeout_us(s)) / 1000000u), set;
	struct scan_slot *at;
	int w = scan_find(s, r, &set);

	if (w >= 0) {
		struct scan_set *st = &s->sets[set];

		if (!(st->tag[w] & SCAN_ANSWERED)) {
			/* a retransmission: its deadline moves */
			scan_slot_at(s, set, (unsigned)w)->last_us = p->ts_us;
			st->until_s[w] = deadline_s;
			return;
		}
		if ((uint32_t)(p->ts_us / 1000000u) < st->until_s[w])
			return;                     /* the service answers */
		/* it answered, but not lately: a new attempt in its place */
		st->tag[w] &= ~SCAN_ANSWERED;
	} else {
		w = (int)scan_make_room(s, set);
		s->sets[set].tag[w] = scan_tag(r);
		s->att.entries++;
		s->att.inserted++;
	}
	at = scan_slot_at(s, set, (unsigned)w);
	at->k = r->k;
	at->kind = (uint8_t)kind;
	at->src_in = p->src_in;
	at->dst_in = p->dst_in;
	at->pad = 0;
	at->first_us = at->last_us = p->ts_us;
	s->sets[set].until_s[w] = deadline_s;
}

/* Attempts whose deadline is at or before before_us fail; answered
 * services whose time is over (all of them when all) are dropped. */
static void scan_sweep(struct det_scan *s, uint64_t before_us, bool all)
{
	uint64_t to = scan_timeout_us(s);
	uint32_t before_s = before_us / 1000000u > UINT32_MAX ? UINT32_MAX :
			    (uint32_t)(before_us / 1000000u);

	for (uint32_t set = 0; set < s->nsets; set++) {
		struct scan_set *st = &s->sets[set];

		for (unsigned w = 0; w < SCAN_WAYS; w++) {
			if (!st->tag[w] || (!all && st->until_s[w] > before_s))
				continue;
			if (st->tag[w] & SCAN_ANSWERED) {
				scan_free(s, set, w);
				s->att.expired++;
			} else if (scan_slot_at(s, set, w)->last_us + to <= before_us) {
				scan_expire_slot(s, set, w);
				s->att.expired++;
			}
		}
	}
}

/* An ICMP error quoting a packet of ours: port unreachable and the like
 * refuse the attempt it quotes. */
static void scan_icmp_error(struct det_scan *s, const struct det_pkt *p)
{
	const uint8_t *q = p->payload;
	uint32_t n = p->payload_len, hl;
	uint8_t src[16] = { 0 }, dst[16] = { 0 }, proto;
	uint16_t dport;
	struct scan_ref r;
	bool refused;

	if (!q)
		return;
	/* unreachable: refused for "network, host, protocol, port unreachable"
	 * and "administratively prohibited"; "fragmentation needed" and time
	 * exceeded (traceroute's probes dying on the way) only end the attempt */
	if (p->ipv == 4 && p->proto == 1 && (p->icmp_type == 3 || p->icmp_type == 11)) {
		refused = p->icmp_type == 3 &&
			  (p->icmp_code <= 3 || p->icmp_code == 9 || p->icmp_code == 10 ||
			   p->icmp_code == 13);
		if (n < 20 || (q[0] >> 4) != 4)
			return;
		hl = (uint32_t)(q[0] & 0x0f) * 4u;
		if (hl < 20 || n < hl + 4)
			return;
		proto = q[9];
		memcpy(src, q + 12, 4);
		memcpy(dst, q + 16, 4);
	} else if (p->ipv == 6 && p->proto == 58 && (p->icmp_type == 1 || p->icmp_type == 3)) {
		refused = p->icmp_type == 1 && p->icmp_code != 2 && p->icmp_code <= 6;
		if (n < 44 || (q[0] >> 4) != 6)
			return;
		hl = 40;
		proto = q[6];
		memcpy(src, q + 8, 16);
		memcpy(dst, q + 24, 16);
	} else {
		return;
	}
	if (proto != 6 && proto != 17)
		return;
	dport = (uint16_t)(q[hl + 2] << 8 | q[hl + 3]);
	scan_ref_set(&r, p->ipv, proto, src, dst, dport);
	if (refused)
		scan_answer(s, &r, false);
	else
		scan_forget(s, &r);
}

static void scan_protocol(struct det_scan *s, const struct det_pkt *p)
{
	uint64_t now = p->ts_us, win = scan_window_us(s);
	struct scan_hkey hk;
	struct scan_host *h;
	int created;

	det_addr_set(&hk.src, p->ipv, p->src);
	det_addr_set(&hk.dst, p->ipv, p->dst);
	h = scan_host_put(s, &hk, now, &created);
	if (created) {
		h->src_in = p->src_in;
		h->dst_in = p->dst_in;
	}
	if (h->protos_alerted_us && now >= h->protos_alerted_us + s->base.cfg->realert_s * 1000000u)
		h->protos_alerted_us = 0;
	if (!h->protos_since_us || now >= h->protos_since_us + win) {
		memset(h->protos, 0, sizeof(h->protos));
		h->nprotos = 0;
		h->protos_since_us = now;
	}
	if (!(h->protos[p->proto / 64] & (1ULL << (p->proto % 64)))) {
		h->protos[p->proto / 64] |= 1ULL << (p->proto % 64);
		h->nprotos++;
	}
	if (!h->protos_alerted_us && h->nprotos >= s->base.cfg->scan_protocols) {
		h->protos_alerted_us = now;
		scan_alert_protos(s, &hk, h);
	}
}

/* What a TCP or UDP packet does here: answer (refs[SCAN_REF_ANSWER], the
 * attempt it replies to) and/or open (refs[SCAN_REF_OPEN], its own). */
enum { SCAN_REF_ANSWER, SCAN_REF_OPEN };

static void scan_prepare(struct det_scan *s, const struct det_pkt *p)
{
	uint8_t f = p->flags & (DET_SYN | DET_ACK | DET_RST);

	if (s->pre_seq == p->seq)
		return;                     /* done by det_scan_prefetch */
	s->pre_seq = p->seq;
	s->pre_has[SCAN_REF_ANSWER] = s->pre_has[SCAN_REF_OPEN] = false;
	if (p->fragment)
		return;
	if (p->proto == 6 && p->flags_seen) {
		if ((f & (DET_SYN | DET_ACK)) == DET_SYN) {
			if (!det_addr_is_special(p->ipv, p->dst)) {
				scan_ref_set(&s->pre[SCAN_REF_OPEN], p->ipv, 6, p->src, p->dst, p->dport);
				s->pre_has[SCAN_REF_OPEN] = true;
			}
		} else if ((f & (DET_SYN | DET_ACK)) == (DET_SYN | DET_ACK) || (f & DET_RST)) {
			scan_ref_set(&s->pre[SCAN_REF_ANSWER], p->ipv, 6, p->dst, p->src, p->sport);
			s->pre_has[SCAN_REF_ANSWER] = true;
		}
	} else if (p->proto == 17) {
		if (p->sport <= 1024 || p->sport < p->dport) {
			scan_ref_set(&s->pre[SCAN_REF_ANSWER], p->ipv, 17, p->dst, p->src, p->sport);
			s->pre_has[SCAN_REF_ANSWER] = true;
		}
		/* DHCP servers answer clients that cannot answer back */
		if ((p->sport == 67 && p->dport == 68) || (p->sport == 547 && p->dport == 546))
			return;
		if ((p->dport <= 1024 || p->dport < p->sport) && !det_addr_is_special(p->ipv, p->dst)) {
			scan_ref_set(&s->pre[SCAN_REF_OPEN], p->ipv, 17, p->src, p->dst, p->dport);
			s->pre_has[SCAN_REF_OPEN] = true;
		}
	}
}

static void det_scan_prefetch(void *state, const struct det_pkt *p)
{
	struct det_scan *s = state;

	scan_prepare(s, p);
	for (unsigned i = 0; i < 2; i++)
		if (s->pre_has[i])
			__builtin_prefetch(&s->sets[scan_set_index(s, &s->pre[i])], 1);
}

static void det_scan_packet(void *state, const struct det_pkt *p)
{
	struct det_scan *s = state;

	s->base.now_us = p->ts_us;
	if (p->fragment)
		return;
	scan_prepare(s, p);
	switch (p->proto) {
	case 6: {
		uint8_t f = p->flags & (DET_FIN | DET_SYN | DET_RST | DET_PSH | DET_ACK | DET_URG);

		if (!p->flags_seen)
			break;          /* header cut before its flags: not a NULL probe */
		if (s->pre_has[SCAN_REF_OPEN]) {
			scan_attempt(s, p, &s->pre[SCAN_REF_OPEN], SCAN_SYN);
		} else if (s->pre_has[SCAN_REF_ANSWER]) {
			/* SYN+ACK answers the attempt it replies to, RST refuses it */
			scan_answer(s, &s->pre[SCAN_REF_ANSWER],
				    (f & (DET_SYN | DET_ACK)) == (DET_SYN | DET_ACK));
		} else if (!(f & (DET_SYN | DET_ACK | DET_RST))) {
			/* no SYN, ACK or RST: a probe no connection sends */
			enum scan_kind k = f == 0 ? SCAN_NULL :
					   f == DET_FIN ? SCAN_FIN :
					   f == (DET_FIN | DET_PSH | DET_URG) ? SCAN_XMAS : SCAN_TCP_OTHER;
			if (!det_addr_is_special(p->ipv, p->dst))
				scan_failed(s, p->ipv, 6, p->src, p->dst, p->dport, k, p->src_in, p->dst_in,
					    p->ts_us);
		}
		break;
	}
	case 17:
		/* an answer first: a reply from a service port ends its attempt */
		if (s->pre_has[SCAN_REF_ANSWER])
			scan_udp_reply(s, &s->pre[SCAN_REF_ANSWER], p->ts_us);
		if (s->pre_has[SCAN_REF_OPEN])
			scan_attempt(s, p, &s->pre[SCAN_REF_OPEN], SCAN_UDP);
		break;
	case 1:
	case 58:
		scan_icmp_error(s, p);
		break;
	default:
		if (!det_addr_is_special(p->ipv, p->dst))
			scan_protocol(s, p);
		break;
	}
}

static void det_scan_tick(void *state, uint64_t now_us)
{
	struct det_scan *s = state;
	uint64_t win = scan_window_us(s);

	s->base.now_us = now_us;
	scan_sweep(s, now_us, false);
	if (now_us > win) {
		dtab_expire(s->hosts, now_us - win, 0);
		dtab_expire(s->sweeps, now_us - win, 0);
	}
}

static void det_scan_end(void *state, uint64_t now_us)
{
	struct det_scan *s = state;

	/* what is unanswered at the end of the input failed */
	s->base.now_us = now_us;
	scan_sweep(s, UINT64_MAX, true);
}

static void det_scan_flush(void *state)
{
	struct det_scan *s = state;

	det_base_flush(&s->base);
	memset(s->sets, 0, (size_t)s->nsets * sizeof(*s->sets));
	s->att.entries = 0;
	memset(s->present, 0, sizeof(s->present));
}

static void det_scan_counters(void *state, struct det_counters *out)
{
	struct det_scan *s = state;

	det_base_counters(&s->base, out);
	det_counters_add_stats(out, &s->att);
}

static void det_scan_destroy(void *state)
{
	struct det_scan *s = state;

	if (!s)
		return;
	free(s->sets);
	free(s->slots);
	det_base_destroy(&s->base);
}

static void *det_scan_create(struct detect *d, uint64_t mem, char *err, size_t errlen)
{
	struct det_scan *s = det_base_new(sizeof(*s), d);
	uint64_t per_set = sizeof(struct scan_set) + SCAN_WAYS * sizeof(struct scan_slot);
	uint64_t sets = mem / 4 / per_set;

	if (!s)
		goto oom;
	/* a quarter for attempts (small, many), the rest split */
	if (sets < 1)
		sets = 1;
	if (sets > (1u << 24))
		sets = 1u << 24;
	s->nsets = (uint32_t)sets;
	s->sets = calloc((size_t)sets, sizeof(*s->sets));
	s->slots = calloc((size_t)sets * SCAN_WAYS, sizeof(*s->slots));
	s->att.max_entries = sets * SCAN_WAYS;
	s->att.bytes = sets * per_set;
	if (!s->sets || !s->slots ||
	    !(s->hosts = det_base_table(&s->base, sizeof(struct scan_hkey), sizeof(struct scan_host),
					mem * 3 / 8, scan_host_leave, s)) ||
	    !(s->sweeps = det_base_table(&s->base, sizeof(struct scan_skey),
					 sizeof(struct scan_sweep), mem * 3 / 8, NULL, NULL)))
		goto oom;
	return s;
oom:
	det_scan_destroy(s);
	snprintf(err, errlen, "detectors: out of memory (scan tables)");
	return NULL;
}

const struct det_ops det_scan_ops = {
	.name = "scan",
	.create = det_scan_create,
	.destroy = det_scan_destroy,
	.prefetch = det_scan_prefetch,
	.packet = det_scan_packet,
	.tick = det_scan_tick,
	.end = det_scan_end,
	.flush = det_scan_flush,
	.counters = det_scan_counters,
	.mem_weight = 4,
};
