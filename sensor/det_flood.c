/*
 * det_flood — denial of service (doc/detectors.md "Floods"): SYN, UDP and
 * ICMP floods against one destination (sids 9111, 9112, 9113) and
 * reflection/amplification (sid 9114).
 *
 * Floods: per destination, packets over detect.flood.window are counted by
 * kind (TCP SYN without ACK; UDP datagrams and their later fragments; ICMP)
 * with the number of distinct sources.  An average rate at or over the
 * kind's threshold raises the alert.  Spoofed random sources cost one entry
 * per destination, not per source: the table is keyed by the victim.
 *
 * Amplification: a service that answers a small UDP request with a large
 * answer (DNS, NTP, SSDP, memcached, CLDAP, chargen, ...) lets an attacker
 * who spoofs the victim's address flood the victim with answers.  Per
 * victim and service, request bytes (victim -> service port) and answer
 * bytes (service port -> victim) are summed over detect.amplification.window.
 * Large answers come fragmented: a later fragment has no ports, so it is
 * counted for the service last seen between the same two addresses.  The
 * alert needs answers at least detect.amplification.ratio times the
 * requests and at least detect.amplification.bytes, or, for the old "small
 * services" that nobody uses any more (echo, daytime, qotd, chargen, time),
 * detect.amplification.legacy_bytes.  A datagram between two of those small
 * services (echo <-> chargen) is the classic UDP loop: alerted at once.
 */
#include "detect_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLOOD_SID_SYN  9111u
#define FLOOD_SID_UDP  9112u
#define FLOOD_SID_ICMP 9113u
#define FLOOD_SID_AMP  9114u
#define FLOOD_CLAUSE "第6(6)"
#define FLOOD_THREAT "dos"
#define FLOOD_CHECK_EVERY 16u       /* rates are looked at every 16th packet */
#define FLOOD_PRE_SLOTS 8192u       /* the pre-filter's counters (power of two) */
#define FLOOD_PRE_SHARE 8u          /* a destination is tracked from 1/8 of a limit a second */

enum flood_kind { FLOOD_SYN, FLOOD_UDP, FLOOD_ICMP, FLOOD_NKINDS };

static const struct {
	struct det_sig sig;
	uint8_t proto;
} flood_kinds[FLOOD_NKINDS] = {
	{ { FLOOD_SID_SYN, 2, "SYNフラッド攻撃を検知", "SYN flood", FLOOD_THREAT, FLOOD_CLAUSE,
	    "syn_flood" }, 6 },
	{ { FLOOD_SID_UDP, 2, "UDPフラッド攻撃を検知", "UDP flood", FLOOD_THREAT, FLOOD_CLAUSE,
	    "udp_flood" }, 17 },
	{ { FLOOD_SID_ICMP, 2, "ICMPフラッド攻撃を検知", "ICMP flood", FLOOD_THREAT, FLOOD_CLAUSE,
	    "icmp_flood" }, 1 },
};

struct flood_victim {
	struct dwin pkts[FLOOD_NKINDS];
	struct dcount sources;                /* all kinds */
	uint64_t since_us[FLOOD_NKINDS], alerted_us[FLOOD_NKINDS];
	uint64_t total[FLOOD_NKINDS];         /* packets this episode */
	uint32_t tick[FLOOD_NKINDS];          /* packets since the last rate check */
	uint8_t first_src[16];
	bool dst_in, src_in;                  /* of the first packet */
	bool one_src;                         /* every packet so far from first_src */
};

/* Amplification services, by UDP port. */
static const struct {
	uint16_t port;
	bool legacy;
	const char *name;
} flood_amp_ports[] = {
	{ 7, true, "echo" }, { 13, true, "daytime" }, { 17, true, "qotd" },
	{ 19, true, "chargen" }, { 37, true, "time" },
	{ 53, false, "dns" }, { 111, false, "portmap" }, { 123, false, "ntp" },
	{ 137, false, "netbios" }, { 161, false, "snmp" }, { 389, false, "cldap" },
	{ 520, false, "rip" }, { 1900, false, "ssdp" }, { 3283, false, "ard" },
	{ 3702, false, "ws_discovery" }, { 5353, false, "mdns" }, { 10001, false, "ubiquiti" },
	{ 11211, false, "memcached" },
};
#define FLOOD_NAMP (sizeof(flood_amp_ports) / sizeof(flood_amp_ports[0]))

struct flood_akey {                   /* victim and service port */
	uint8_t ipv, pad;
	uint16_t port;
	uint8_t victim[16];
};

struct flood_amp {
	struct dwin req, resp;
	struct dcount reflectors;
	uint64_t since_us, alerted_us;
	uint64_t resp_pkts;
	uint8_t first_reflector[16];
	bool one_reflector, victim_in, reflector_in;
};

struct flood_pkey {                   /* reflector and victim: the last service port */
	uint8_t ipv, pad;
	uint16_t port;
	uint8_t a[16], b[16];
};

struct flood_pair {
	uint16_t port;
};

/* The pre-filter: packets per destination and kind in the current second,
 * in counters shared by hash (so never fewer than the true count).  Most
 * destinations never get near a flood rate; only those that reach 1/8 of
 * the limit within one second are looked up in the victims table, which
 * keeps the table (and its cache misses) off the path of ordinary traffic.
 * A destination that shares its counter with a busier one can be credited
 * with some of the other's packets when it is first tracked, and miss up to
 * 1/8 of a limit of its own each second. */
struct flood_pre {
	uint32_t second;
	uint32_t count;
};

/* The same for amplification: request and answer bytes per victim and
 * service in the current second.  A victim is tracked from 1/8 of the
 * detect.amplification.bytes rate (the old small services always). */
struct flood_amp_pre {
	uint32_t second;
	uint32_t req, resp;
	uint32_t pad;
};

struct det_flood {
	struct det_base base;
	struct dtab *victims, *amps, *pairs;
	struct flood_pre pre[FLOOD_PRE_SLOTS];
	struct flood_amp_pre amp_pre[FLOOD_PRE_SLOTS];
	uint64_t pre_seq;               /* the packet flood_pre_slot worked out */
	enum flood_kind pre_kind;
	uint32_t pre_slot;
};

static const struct det_sig flood_sig_amp = {
	FLOOD_SID_AMP, 2, "UDPリフレクション（増幅）攻撃を検知", "UDP reflection/amplification",
	FLOOD_THREAT, FLOOD_CLAUSE, "amplification"
};
static const struct det_sig flood_sig_loop = {
	FLOOD_SID_AMP, 2, "UDPループ攻撃（echo/chargen等）を検知", "UDP service loop (echo/chargen)",
	FLOOD_THREAT, FLOOD_CLAUSE, "amplification"
};

static int flood_amp_index(uint16_t port)
{
	for (unsigned i = 0; i < FLOOD_NAMP; i++)
		if (flood_amp_ports[i].port == port)
			return (int)i;
	return -1;
}

static uint64_t flood_rate_limit(const struct det_flood *s, enum flood_kind k)
{
	return k == FLOOD_SYN ? s->base.cfg->flood_syn_rate :
	       k == FLOOD_UDP ? s->base.cfg->flood_udp_rate : s->base.cfg->flood_icmp_rate;
}

static void flood_alert(struct det_flood *s, const struct det_addr *key, struct flood_victim *v,
			enum flood_kind k, double rate, double sources)
{
	char dst[48], src[48], detail[256];
	struct det_alert a;

	det_alert_init(&a, &flood_kinds[k].sig, s->base.now_us);
	det_addr_text(dst, sizeof(dst), key->ipv, key->a);
	det_addr_text(src, sizeof(src), key->ipv, v->first_src);
	if (v->one_src)
		snprintf(detail, sizeof(detail), "%.0f packets/s to %s from %s over %llu s",
			 rate, dst, src, (unsigned long long)s->base.cfg->flood_window_s);
	else
		snprintf(detail, sizeof(detail),
			 "%.0f packets/s to %s from %s %.0f sources over %llu s", rate, dst,
			 sources >= DCOUNT_SATURATED ? "at least" : "about", sources,
			 (unsigned long long)s->base.cfg->flood_window_s);
	a.kind = v->one_src ? "single_source" : "many_sources";
	a.proto = key->ipv == 6 && k == FLOOD_ICMP ? 58 : flood_kinds[k].proto;
	a.ipv = key->ipv;
	a.src = v->one_src ? v->first_src : NULL;
	a.dst = key->a;
	a.direction = detect_direction(v->src_in, v->dst_in);
	a.since_us = v->since_us[k];
	a.window_s = s->base.cfg->flood_window_s;
	a.value = rate;
	a.threshold = (double)flood_rate_limit(s, k);
	a.unit = "packets_per_second";
	a.count = v->total[k];
	a.detail = detail;
	a.key = key;
	a.key_len = sizeof(*key);
	det_base_raise(&s->base, &a);
}

/* The kind p counts as (FLOOD_NKINDS: none). */
static enum flood_kind flood_kind_of(const struct det_pkt *p)
{
	if (det_addr_is_special(p->ipv, p->dst))
		return FLOOD_NKINDS;
	switch (p->proto) {
	case 6:
		return (p->flags & (DET_SYN | DET_ACK)) == DET_SYN && !p->fragment ? FLOOD_SYN :
										     FLOOD_NKINDS;
	case 17:
		return FLOOD_UDP;
	case 1:
	case 58:
		/* ICMPv6 neighbour discovery and the like are not floods */
		if (p->proto == 58 && p->icmp_type >= 133 && p->icmp_type <= 137)
			return FLOOD_NKINDS;
		return FLOOD_ICMP;
	default:
		return FLOOD_NKINDS;
	}
}

/* The pre-filter counter of p's destination for kind k (key: that
 * destination and kind), worked out once per packet. */
static uint32_t flood_pre_slot(struct det_flood *s, const struct det_pkt *p, enum flood_kind k,
			       const struct det_addr *key)
{
	if (s->pre_seq != p->seq || s->pre_kind != k) {
		s->pre_seq = p->seq;
		s->pre_kind = k;
		s->pre_slot = (uint32_t)(dsketch_hash(key, sizeof(*key), 0x707265ULL) &
					 (FLOOD_PRE_SLOTS - 1));
	}
	return s->pre_slot;
}

static void flood_count(struct det_flood *s, const struct det_pkt *p, enum flood_kind k)
{
	uint64_t win = s->base.cfg->flood_window_s * 1000000u, now = p->ts_us, since;
	struct flood_victim *v;
	struct det_addr key;
	int created;

	uint64_t limit = flood_rate_limit(s, k), add = 1;
	struct flood_pre *pre;
	uint32_t second = (uint32_t)(now / 1000000u);

	det_addr_set(&key, p->ipv, p->dst);
	key.pad[0] = (uint8_t)k;
	pre = &s->pre[flood_pre_slot(s, p, k, &key)];
	if (pre->second != second) {
		pre->second = second;
		pre->count = 0;
	}
	pre->count++;
	if (pre->count < (limit + FLOOD_PRE_SHARE - 1) / FLOOD_PRE_SHARE)
		return;
	if (pre->count == (limit + FLOOD_PRE_SHARE - 1) / FLOOD_PRE_SHARE)
		add = pre->count;           /* what the pre-filter counted this second */
	key.pad[0] = 0;
	v = dtab_put(s->victims, &key, now, &created);
	/* a quiet window ends an episode that raised nothing */
	if (!v->alerted_us[k] && dwin_sum(&v->pkts[k], now, win) == 0)
		v->since_us[k] = 0;
	since = v->since_us[k];
	det_episode(s->base.d, &v->since_us[k], &v->alerted_us[k], now);
	if (created || v->since_us[k] != since) {   /* a new episode: who floods is new too */
		v->total[k] = 0;
		memcpy(v->first_src, p->src, 16);
		v->one_src = true;
		v->src_in = p->src_in;
		v->dst_in = p->dst_in;
	} else if (v->one_src && memcmp(v->first_src, p->src, 16) != 0) {
		v->one_src = false;
	}
	v->total[k] += add;
	dwin_add(&v->pkts[k], add, now, win);
	dcount_add(&v->sources, dsketch_hash(p->src, 16, 0x73726373ULL), now, win);
	if (++v->tick[k] < FLOOD_CHECK_EVERY || v->alerted_us[k])
		return;
	v->tick[k] = 0;
	{
		double rate = (double)dwin_sum(&v->pkts[k], now, win) / (double)s->base.cfg->flood_window_s;

		if (rate >= (double)limit) {
			v->alerted_us[k] = now;
			s->base.now_us = now;
			flood_alert(s, &key, v, k, rate, dcount_estimate(&v->sources, now, win));
		}
	}
}

static void flood_amp_alert(struct det_flood *s, const struct flood_akey *k, struct flood_amp *m,
			    uint64_t req, uint64_t resp, double threshold, const char *kind)
{
	char victim[48], refl[48], detail[256];
	struct det_alert a;
	uint64_t win = s->base.cfg->amp_window_s * 1000000u;

	det_alert_init(&a, &flood_sig_amp, s->base.now_us);
	det_addr_text(victim, sizeof(victim), k->ipv, k->victim);
	det_addr_text(refl, sizeof(refl), k->ipv, m->first_reflector);
	if (m->one_reflector)
		snprintf(detail, sizeof(detail),
			 "%s (%s, udp/%u) sent %llu bytes to %s for %llu bytes of requests",
			 refl, kind, (unsigned)k->port, (unsigned long long)resp, victim,
			 (unsigned long long)req);
	else
		snprintf(detail, sizeof(detail),
			 "about %.0f %s servers (udp/%u) sent %llu bytes to %s for %llu bytes of requests",
			 dcount_estimate(&m->reflectors, s->base.now_us, win), kind, (unsigned)k->port,
			 (unsigned long long)resp, victim, (unsigned long long)req);
	a.kind = kind;
	a.proto = 17;
	a.ipv = k->ipv;
	a.src = m->one_reflector ? m->first_reflector : NULL;
	a.dst = k->victim;
	a.direction = detect_direction(m->reflector_in, m->victim_in);
	a.since_us = m->since_us;
	a.window_s = s->base.cfg->amp_window_s;
	a.value = (double)resp;
	a.threshold = threshold;
	a.unit = "bytes";
	a.count = m->resp_pkts;
	a.detail = detail;
	a.key = k;
	a.key_len = sizeof(*k);
	det_base_raise(&s->base, &a);
}

/* Bytes of a request (victim -> reflector) or an answer (reflector -> victim). */
static void flood_amp_count(struct det_flood *s, const struct det_pkt *p, int ai, bool answer)
{
	uint64_t win = s->base.cfg->amp_window_s * 1000000u, now = p->ts_us, req, resp, since;
	const uint8_t *victim = answer ? p->dst : p->src, *refl = answer ? p->src : p->dst;
	struct flood_akey k;
	struct flood_pkey pk;
	struct flood_amp *m;
	struct flood_pair *pr;
	double need, ratio = (double)s->base.cfg->amp_ratio;
	int created;

	uint64_t add_req = answer ? 0 : p->ip_len, add_resp = answer ? p->ip_len : 0;

	memset(&k, 0, sizeof(k));
	k.ipv = p->ipv;
	k.port = flood_amp_ports[ai].port;
	memcpy(k.victim, victim, 16);
	if (!flood_amp_ports[ai].legacy) {
		struct flood_amp_pre *pre =
			&s->amp_pre[dsketch_hash(&k, sizeof(k), 0x616d70ULL) & (FLOOD_PRE_SLOTS - 1)];
		uint64_t per_s = s->base.cfg->amp_bytes / s->base.cfg->amp_window_s / FLOOD_PRE_SHARE;
		uint32_t second = (uint32_t)(now / 1000000u);

		if (pre->second != second) {
			pre->second = second;
			pre->req = pre->resp = 0;
		}
		if ((uint64_t)pre->req + pre->resp < per_s) {
			/* not (yet) a victim: counted here only */
			pre->req += (uint32_t)add_req;
			pre->resp += (uint32_t)add_resp;
			if ((uint64_t)pre->req + pre->resp < per_s)
				return;
			add_req = pre->req;     /* this second so far, this packet included */
			add_resp = pre->resp;
		}
	}
	m = dtab_put(s->amps, &k, now, &created);
	if (!m->alerted_us && dwin_sum(&m->resp, now, win) == 0 && dwin_sum(&m->req, now, win) == 0)
		m->since_us = 0;            /* a quiet window ends an episode that raised nothing */
	since = m->since_us;
	det_episode(s->base.d, &m->since_us, &m->alerted_us, now);
	if (created || m->since_us != since) {      /* a new episode */
		m->resp_pkts = 0;
		memcpy(m->first_reflector, refl, 16);
		m->one_reflector = true;
		m->victim_in = answer ? p->dst_in : p->src_in;
		m->reflector_in = answer ? p->src_in : p->dst_in;
	} else if (m->one_reflector && memcmp(m->first_reflector, refl, 16) != 0) {
		m->one_reflector = false;
	}
	dcount_add(&m->reflectors, dsketch_hash(refl, 16, 0x7265666cULL), now, win);
	if (add_resp) {
		dwin_add(&m->resp, add_resp, now, win);
		m->resp_pkts++;
	}
	if (add_req)
		dwin_add(&m->req, add_req, now, win);
	/* where later fragments between these two go */
	memset(&pk, 0, sizeof(pk));
	pk.ipv = p->ipv;
	memcpy(pk.a, refl, 16);
	memcpy(pk.b, victim, 16);
	pr = dtab_put(s->pairs, &pk, now, &created);
	pr->port = k.port;
	if (!answer || m->alerted_us)
		return;
	req = dwin_sum(&m->req, now, win);
	resp = dwin_sum(&m->resp, now, win);
	need = flood_amp_ports[ai].legacy ? (double)s->base.cfg->amp_legacy_bytes : (double)s->base.cfg->amp_bytes;
	if ((double)resp >= need && (double)resp >= ratio * (double)req) {
		m->alerted_us = now;
		s->base.now_us = now;
		flood_amp_alert(s, &k, m, req, resp, need, flood_amp_ports[ai].name);
	}
}

/* A later UDP fragment from a reflector: an answer of the last service seen. */
static void flood_amp_fragment(struct det_flood *s, const struct det_pkt *p)
{
	struct flood_pkey pk;
	struct flood_pair *pr;
	struct det_pkt q;
	int ai;

	memset(&pk, 0, sizeof(pk));
	pk.ipv = p->ipv;
	memcpy(pk.a, p->src, 16);
	memcpy(pk.b, p->dst, 16);
	pr = dtab_get(s->pairs, &pk);
	if (!pr || (ai = flood_amp_index(pr->port)) < 0)
		return;
	q = *p;
	q.sport = pr->port;
	flood_amp_count(s, &q, ai, true);
}

static void flood_loop_alert(struct det_flood *s, const struct det_pkt *p)
{
	char src[48], dst[48], detail[256];
	struct flood_akey k;
	struct flood_amp *m;
	struct det_alert a;
	int created, si = flood_amp_index(p->sport), di = flood_amp_index(p->dport);

	/* one alert per target and port pair: the loop's state is an amp entry */
	memset(&k, 0, sizeof(k));
	k.ipv = p->ipv;
	k.pad = 1;                    /* apart from the amplification entries */
	k.port = (uint16_t)(p->sport * 64u + p->dport);
	memcpy(k.victim, p->dst, 16);
	m = dtab_put(s->amps, &k, p->ts_us, &created);
	if (m->alerted_us && p->ts_us < m->alerted_us + s->base.cfg->realert_s * 1000000u)
		return;
	m->alerted_us = m->since_us = p->ts_us;
	det_alert_init(&a, &flood_sig_loop, p->ts_us);
	det_addr_text(src, sizeof(src), p->ipv, p->src);
	det_addr_text(dst, sizeof(dst), p->ipv, p->dst);
	snprintf(detail, sizeof(detail), "UDP from %s port %u (%s) to %s port %u (%s): "
		 "two small services answer each other forever", src, (unsigned)p->sport,
		 flood_amp_ports[si].name, dst, (unsigned)p->dport, flood_amp_ports[di].name);
	a.kind = "loop";
	a.proto = 17;
	a.ipv = p->ipv;
	a.src = p->src;
	a.dst = p->dst;
	a.direction = detect_direction(p->src_in, p->dst_in);
	a.dport = p->dport;
	a.since_us = p->ts_us;
	a.window_s = 0;
	a.value = 1;
	a.threshold = 1;
	a.unit = "packets";
	a.count = 1;
	a.detail = detail;
	a.key = &k;
	a.key_len = sizeof(k);
	det_base_raise(&s->base, &a);
}

static void det_flood_prefetch(void *state, const struct det_pkt *p)
{
	struct det_flood *s = state;
	enum flood_kind k = flood_kind_of(p);
	struct det_addr key;

	if (k == FLOOD_NKINDS)
		return;
	det_addr_set(&key, p->ipv, p->dst);
	key.pad[0] = (uint8_t)k;
	__builtin_prefetch(&s->pre[flood_pre_slot(s, p, k, &key)], 1);
}

static void det_flood_packet(void *state, const struct det_pkt *p)
{
	struct det_flood *s = state;
	enum flood_kind k = flood_kind_of(p);
	int si, di;

	s->base.now_us = p->ts_us;
	if (k == FLOOD_NKINDS)
		return;
	flood_count(s, p, k);
	if (k != FLOOD_UDP)
		return;
	if (p->fragment) {
		flood_amp_fragment(s, p);
		return;
	}
	si = flood_amp_index(p->sport);
	di = flood_amp_index(p->dport);
	if (si >= 0 && di >= 0 && flood_amp_ports[si].legacy && flood_amp_ports[di].legacy)
		flood_loop_alert(s, p);
	else if (si >= 0 && p->dport != p->sport)
		flood_amp_count(s, p, si, true);
	else if (di >= 0 && p->dport != p->sport)
		flood_amp_count(s, p, di, false);
}

static void det_flood_tick(void *state, uint64_t now_us)
{
	struct det_flood *s = state;
	uint64_t fw = s->base.cfg->flood_window_s * 1000000u, aw = s->base.cfg->amp_window_s * 1000000u;

	s->base.now_us = now_us;
	if (now_us > fw)
		dtab_expire(s->victims, now_us - fw, 0);
	if (now_us > aw) {
		dtab_expire(s->amps, now_us - aw, 0);
		dtab_expire(s->pairs, now_us - aw, 0);
	}
}

static void *det_flood_create(struct detect *d, uint64_t mem, char *err, size_t errlen)
{
	struct det_flood *s = det_base_new(sizeof(*s), d);

	if (!s ||
	    !(s->victims = det_base_table(&s->base, sizeof(struct det_addr),
					  sizeof(struct flood_victim), mem / 2, NULL, NULL)) ||
	    !(s->amps = det_base_table(&s->base, sizeof(struct flood_akey), sizeof(struct flood_amp),
				       mem * 3 / 8, NULL, NULL)) ||
	    !(s->pairs = det_base_table(&s->base, sizeof(struct flood_pkey),
					sizeof(struct flood_pair), mem / 8, NULL, NULL))) {
		det_base_destroy(s);
		snprintf(err, errlen, "detectors: out of memory (flood tables)");
		return NULL;
	}
	return s;
}

const struct det_ops det_flood_ops = {
	.name = "flood",
	.create = det_flood_create,
	.destroy = det_base_destroy,
	.prefetch = det_flood_prefetch,
	.packet = det_flood_packet,
	.tick = det_flood_tick,
	.end = NULL,
	.flush = det_base_flush,
	.counters = det_base_counters,
	.mem_weight = 3,
};
