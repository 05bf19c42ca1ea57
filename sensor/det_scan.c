/*
 * det_scan — port scans, host sweeps and IP protocol scans (doc/detectors.md
 * "Scans"), sid 9101 (port scan) and 9102 (host sweep).
 *
 * What counts is *failed* attempts, as in Zeek's scan detection: a proxy
 * or a busy client reaches many hosts, but its connections are answered; a
 * scanner's mostly are not.  An attempt is a TCP SYN without ACK, or a UDP
 * datagram to a service port (the lower port, or one at most 1024).  It is
 * remembered (table "attempts") until the target answers (SYN+ACK, or any
 * UDP back from that port): then it is forgotten.  It fails when the target
 * resets it, when an ICMP unreachable quotes it, or when no answer comes
 * within detect.scan.attempt_timeout (also when the table must evict it,
 * and at the end of the input).  FIN, NULL and Xmas probes (TCP without
 * SYN, ACK or RST: no real connection sends them) fail at once.
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

struct scan_attempt {
	uint64_t first_us;
	uint8_t kind;
	bool src_in, dst_in;
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

/* Two small arrays keep the attempts table off the path of most packets:
 *  - pending: per hash slot, how many attempts are held (saturating at 255,
 *    then always "maybe"): a packet whose reverse attempt's slot is 0 cannot
 *    answer anything, so no lookup;
 *  - answered: per hash slot, the last (client, server, port) whose UDP
 *    service answered and until when: a client talking to a service that
 *    answers (DNS, QUIC) opens no new attempt for every datagram. */
#define SCAN_PENDING_SLOTS 65536u
#define SCAN_ANSWERED_SLOTS 16384u

struct scan_answered {
	uint32_t tag;
	uint32_t until_s;
};

struct det_scan {
	struct det_base base;
	struct dtab *attempts, *hosts, *sweeps;
	uint8_t pending[SCAN_PENDING_SLOTS];
	struct scan_answered answered[SCAN_ANSWERED_SLOTS];
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
	h = dtab_put(s->hosts, &hk, now, &created);
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

/* An attempt's key and its hash, made once for the pending filter, the
 * answered cache and the table. */
struct scan_ref {
	struct scan_akey k;
	uint64_t h;
};

static void scan_akey_set(struct scan_akey *k, uint8_t ipv, uint8_t proto, const uint8_t *src,
			  const uint8_t *dst, uint16_t dport)
{
	k->ipv = ipv;
	k->proto = proto;
	k->dport = dport;
	memcpy(k->src, src, 16);
	memcpy(k->dst, dst, 16);
}

static void scan_ref_set(struct scan_ref *r, uint8_t ipv, uint8_t proto, const uint8_t *src,
			 const uint8_t *dst, uint16_t dport)
{
	scan_akey_set(&r->k, ipv, proto, src, dst, dport);
	r->h = scan_akey_hash(&r->k);
}

static uint8_t *scan_pending(struct det_scan *s, uint64_t h)
{
	return &s->pending[h & (SCAN_PENDING_SLOTS - 1)];
}

static void scan_pending_add(struct det_scan *s, uint64_t h, int delta)
{
	uint8_t *c = scan_pending(s, h);

	if (*c == 255)
		return;                 /* saturated: stays "maybe" */
	if (delta > 0)
		(*c)++;
	else if (*c > 0)
		(*c)--;
}

/* An attempt leaves the table unanswered: timed out, evicted, or at the end. */
static void scan_attempt_leave(void *ctx, const void *key, void *val, uint64_t last_us)
{
	const struct scan_akey *k = key;
	const struct scan_attempt *at = val;
	struct det_scan *s = ctx;

	uint64_t now = s->base.now_us, deadline = last_us + s->base.cfg->scan_timeout_s * 1000000u;

	scan_pending_add(s, scan_akey_hash(k), -1);
	/* it failed when its time ran out after its last (re)transmission,
	 * which may be well before this tick (the next capture file can begin
	 * years later): its alert says so */
	if (deadline < now)
		s->base.now_us = deadline;
	scan_failed(s, k->ipv, k->proto, k->src, k->dst, k->dport, (enum scan_kind)at->kind,
		    at->src_in, at->dst_in, at->first_us);
	s->base.now_us = now;
}

/* The target answered (ok) or refused (!ok) the attempt r. */
static void scan_answer(struct det_scan *s, const struct scan_ref *r, bool ok)
{
	const struct scan_akey *k = &r->k;
	uint8_t ipv = k->ipv, proto = k->proto;
	const uint8_t *src = k->src, *dst = k->dst;
	struct scan_attempt *at;

	if (!*scan_pending(s, r->h) || !(at = dtab_get(s->attempts, k)))
		return;
	scan_pending_add(s, r->h, -1);
	if (ok) {
		struct scan_hkey hk;
		struct scan_host *h;

		det_addr_set(&hk.src, ipv, src);
		det_addr_set(&hk.dst, ipv, dst);
		hk.src.pad[0] = proto;
		if ((h = dtab_get(s->hosts, &hk)))
			h->answered++;
		dtab_del(s->attempts, at);
		return;
	}
	/* refused: fails now (the leave callback is for the table's own exits) */
	{
		struct scan_attempt copy = *at;

		dtab_del(s->attempts, at);
		scan_failed(s, ipv, proto, src, dst, k->dport, (enum scan_kind)copy.kind, copy.src_in,
			    copy.dst_in, copy.first_us);
	}
}

/* The attempt ended without an answer and without a refusal (an ICMP time
 * exceeded or fragmentation needed quoted it): forgotten, not failed. */
static void scan_forget(struct det_scan *s, const struct scan_ref *r)
{
	struct scan_attempt *at;

	if (!*scan_pending(s, r->h) || !(at = dtab_get(s->attempts, &r->k)))
		return;
	scan_pending_add(s, r->h, -1);
	dtab_del(s->attempts, at);
}

/* p opens the attempt r (its own key: p's source to p's destination). */
static void scan_attempt(struct det_scan *s, const struct det_pkt *p, const struct scan_ref *r,
			 enum scan_kind kind)
{
	struct scan_attempt *at;
	int created;

	at = dtab_put(s->attempts, &r->k, p->ts_us, &created);
	if (created) {
		scan_pending_add(s, r->h, 1);
		at->first_us = p->ts_us;
		at->kind = (uint8_t)kind;
		at->src_in = p->src_in;
		at->dst_in = p->dst_in;
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
	h = dtab_put(s->hosts, &hk, now, &created);
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

/* The UDP service of r (its destination: r is client to service) answered,
 * at ts_us: the client opens no attempt to it for a while. */
static void scan_udp_answered_set(struct det_scan *s, const struct scan_ref *r, uint64_t ts_us)
{
	struct scan_answered *a = &s->answered[r->h & (SCAN_ANSWERED_SLOTS - 1)];

	a->tag = (uint32_t)(r->h >> 32);
	a->until_s = (uint32_t)(ts_us / 1000000u) + (uint32_t)s->base.cfg->scan_timeout_s;
}

/* Whether the service of r answered its client lately. */
static bool scan_udp_answered(const struct det_scan *s, const struct scan_ref *r, uint64_t ts_us)
{
	const struct scan_answered *a = &s->answered[r->h & (SCAN_ANSWERED_SLOTS - 1)];

	return a->tag == (uint32_t)(r->h >> 32) && (uint32_t)(ts_us / 1000000u) < a->until_s;
}

static void det_scan_packet(void *state, const struct det_pkt *p)
{
	struct det_scan *s = state;
	struct scan_ref r;

	s->base.now_us = p->ts_us;
	if (p->fragment)
		return;
	switch (p->proto) {
	case 6: {
		uint8_t f = p->flags & (DET_FIN | DET_SYN | DET_RST | DET_PSH | DET_ACK | DET_URG);

		if (!p->flags_seen)
			break;          /* header cut before its flags: not a NULL probe */

		if ((f & (DET_SYN | DET_ACK)) == DET_SYN) {
			if (!det_addr_is_special(p->ipv, p->dst)) {
				scan_ref_set(&r, p->ipv, 6, p->src, p->dst, p->dport);
				scan_attempt(s, p, &r, SCAN_SYN);
			}
		} else if ((f & (DET_SYN | DET_ACK)) == (DET_SYN | DET_ACK) || (f & DET_RST)) {
			/* SYN+ACK answers the attempt it replies to, RST refuses it */
			scan_ref_set(&r, p->ipv, 6, p->dst, p->src, p->sport);
			scan_answer(s, &r, (f & (DET_SYN | DET_ACK)) == (DET_SYN | DET_ACK));
		} else if (!(f & DET_ACK)) {
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
		if (p->sport <= 1024 || p->sport < p->dport) {
			scan_ref_set(&r, p->ipv, 17, p->dst, p->src, p->sport);
			scan_answer(s, &r, true);
			scan_udp_answered_set(s, &r, p->ts_us);
		}
		/* DHCP servers answer clients that cannot answer back */
		if ((p->sport == 67 && p->dport == 68) || (p->sport == 547 && p->dport == 546))
			break;
		if ((p->dport <= 1024 || p->dport < p->sport) && !det_addr_is_special(p->ipv, p->dst)) {
			scan_ref_set(&r, p->ipv, 17, p->src, p->dst, p->dport);
			if (!scan_udp_answered(s, &r, p->ts_us))
				scan_attempt(s, p, &r, SCAN_UDP);
		}
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
	uint64_t to = s->base.cfg->scan_timeout_s * 1000000u, win = scan_window_us(s);

	s->base.now_us = now_us;
	if (now_us > to)
		dtab_expire(s->attempts, now_us - to, 0);
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
	dtab_expire(s->attempts, UINT64_MAX, 0);
}

static void det_scan_flush(void *state)
{
	struct det_scan *s = state;

	det_base_flush(&s->base);
	memset(s->pending, 0, sizeof(s->pending));
	memset(s->answered, 0, sizeof(s->answered));
}

static void *det_scan_create(struct detect *d, uint64_t mem, char *err, size_t errlen)
{
	struct det_scan *s = det_base_new(sizeof(*s), d);

	/* a quarter for attempts (small, many), the rest split */
	if (!s ||
	    !(s->attempts = det_base_table(&s->base, sizeof(struct scan_akey),
					   sizeof(struct scan_attempt), mem / 4, scan_attempt_leave, s)) ||
	    !(s->hosts = det_base_table(&s->base, sizeof(struct scan_hkey), sizeof(struct scan_host),
					mem * 3 / 8, NULL, NULL)) ||
	    !(s->sweeps = det_base_table(&s->base, sizeof(struct scan_skey),
					 sizeof(struct scan_sweep), mem * 3 / 8, NULL, NULL))) {
		det_base_destroy(s);
		snprintf(err, errlen, "detectors: out of memory (scan tables)");
		return NULL;
	}
	return s;
}

const struct det_ops det_scan_ops = {
	.name = "scan",
	.create = det_scan_create,
	.destroy = det_base_destroy,
	.packet = det_scan_packet,
	.tick = det_scan_tick,
	.end = det_scan_end,
	.flush = det_scan_flush,
	.counters = det_base_counters,
	.mem_weight = 4,
};
