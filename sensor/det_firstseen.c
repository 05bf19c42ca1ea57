/*
 * det_firstseen — an inside host talking to a country, or an autonomous
 * system, it has never talked to before (doc/detectors.md "First seen"),
 * sid 9161 (country) and 9162 (ASN).  Off by default
 * (detect.first_seen.enabled): it needs GeoIP and a learning period, and
 * its alerts are low severity hints for policy review, not attacks.
 *
 * Most hosts talk to a stable set of places: a print server to its
 * vendor's update service, a workstation to a handful of countries.  A
 * first connection to somewhere new can be a new legitimate service, or
 * data leaving for a place the organisation never deals with.
 *
 * For each inside host the countries (one bit per ISO 3166-1 alpha-2 code,
 * 26 x 26) and autonomous systems (an open-addressed set of FS_ASN_SLOTS;
 * when FS_ASN_FULL are in it, no more are learned or alerted for that host;
 * those are counted in asn_skipped, which det_counters has no field for)
 * it opened connections or exchanges to are kept.
 * Only the start of an exchange is looked up, to keep GeoIP lookups rare: a
 * TCP SYN without ACK, or a UDP datagram whose addresses and ports differ
 * from the last one that fell on the same slot of a small direct-mapped
 * cache (FS_UDP_SLOTS).  For the first detect.first_seen.learning seconds
 * of packet time after a host is first seen, what it reaches is only
 * learned.  After that a country or ASN not in the host's set raises one
 * alert and is added, so each (host, country) and (host, ASN) alerts once.
 *
 * The learned sets live in memory only: they are not saved, so every
 * restart of the sensor (and every flush, when packet time goes back)
 * begins a new learning period.  The learning period is each host's: a
 * new machine learns for its own period rather than alerting for every
 * country it reaches.  Host entries do not expire; when the table is full
 * the least recently active host is evicted (counted), and if it comes
 * back it learns again.
 * Without GeoIP (neither database loaded) the detector does nothing.
 */
#include "detect_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FS_SID_COUNTRY 9161u
#define FS_SID_ASN 9162u
#define FS_COUNTRIES (26 * 26)
#define FS_ASN_SLOTS 64              /* a power of two */
#define FS_ASN_FULL 56               /* learned ASNs at which the set stops */
#define FS_UDP_SLOTS 4096u           /* at most; a power of two */

struct fs_host {
	uint64_t countries[(FS_COUNTRIES + 63) / 64];
	uint32_t asns[FS_ASN_SLOTS];   /* 0: free */
	uint64_t since_us;              /* first seen */
	uint16_t ncountries;
	uint8_t nasns;
	bool asn_full;
};

/* What makes an alert id: the host and the country or ASN. */
struct fs_alert_key {
	struct det_addr host;
	uint32_t asn;
	char country[4];
};

struct det_firstseen {
	struct det_base base;
	bool has_geo;
	struct dtab *hosts;
	/* not a dtab, so det_firstseen_counters adds it */
	uint64_t *udp;                  /* hashes of recent UDP exchanges */
	uint32_t udp_mask;
	uint64_t asn_skipped;           /* new ASNs of hosts whose set was full */
};

static const struct det_sig fs_sig_country = {
	FS_SID_COUNTRY, 4, "初めての国との通信を検知", "First contact with a country",
	"policy-violation", "第6(3)③", "first_seen"
};
static const struct det_sig fs_sig_asn = {
	FS_SID_ASN, 4, "初めてのAS（自律システム）との通信を検知",
	"First contact with an autonomous system", "policy-violation", "第6(3)③", "first_seen"
};

/* The bit of a country code, or -1. */
static int fs_country_index(const char *cc)
{
	if (cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z' || cc[2])
		return -1;
	return (cc[0] - 'A') * 26 + (cc[1] - 'A');
}

/* The slot of asn in the set, or of the free place where it would go. */
static unsigned fs_asn_slot(const struct fs_host *h, uint32_t asn)
{
	unsigned i = (unsigned)((asn * 0x9e3779b1u) >> 26) & (FS_ASN_SLOTS - 1);

	while (h->asns[i] && h->asns[i] != asn)
		i = (i + 1) & (FS_ASN_SLOTS - 1);
	return i;
}

static void fs_alert(struct det_firstseen *s, const struct det_pkt *p, const struct fs_host *h,
		     const struct geo_info *g, bool country)
{
	char src[48], dst[48], detail[400], where[GEO_ORG_MAX + 24];
	struct fs_alert_key k;
	struct det_alert a;

	det_alert_init(&a, country ? &fs_sig_country : &fs_sig_asn, p->ts_us);
	memset(&k, 0, sizeof(k));
	det_addr_set(&k.host, p->ipv, p->src);
	det_addr_text(src, sizeof(src), p->ipv, p->src);
	det_addr_text(dst, sizeof(dst), p->ipv, p->dst);
	if (country)
		snprintf(where, sizeof(where), "country %s", g->country);
	else if (g->org[0])
		snprintf(where, sizeof(where), "AS%u (%s)", (unsigned)g->asn, g->org);
	else
		snprintf(where, sizeof(where), "AS%u", (unsigned)g->asn);
	snprintf(detail, sizeof(detail),
		 "%s contacted %s (%s/%u): its first contact with %s (%u known; host seen for %.0f s)",
		 src, dst, p->proto == 6 ? "tcp" : "udp", (unsigned)p->dport, where,
		 country ? (unsigned)h->ncountries : (unsigned)h->nasns,
		 (double)(p->ts_us - h->since_us) / 1e6);
	if (country) {
		memcpy(k.country, g->country, 2);
		a.kind = "country";
		a.country = g->country;
		a.unit = "countries";
		a.count = h->ncountries;
	} else {
		k.asn = g->asn;
		a.kind = "asn";
		a.asn = g->asn;
		a.unit = "asns";
		a.count = h->nasns;
	}
	a.proto = p->proto;
	a.ipv = p->ipv;
	a.src = p->src;
	a.dst = p->dst;
	a.direction = detect_direction(p->src_in, p->dst_in);
	a.dport = p->dport;
	a.since_us = p->ts_us;
	a.window_s = (p->ts_us - h->since_us) / 1000000u;
	a.value = 1;
	a.threshold = 1;
	a.detail = detail;
	a.key = &k;
	a.key_len = sizeof(k);
	det_base_raise(&s->base, &a);
}

/* Whether p starts a UDP exchange: not the same addresses and ports as
 * the last datagram on its cache slot. */
static bool fs_udp_new(struct det_firstseen *s, const struct det_pkt *p)
{
	uint8_t t[36];
	uint64_t h;
	uint64_t *slot;

	t[0] = p->ipv;
	t[1] = 17;
	memcpy(t + 2, &p->sport, 2);
	memcpy(t + 4, p->src, 16);
	memcpy(t + 20, p->dst, 16);
	/* the destination port goes in as the salt */
	h = dsketch_hash(t, sizeof(t), p->dport) | 1u;
	slot = &s->udp[(h >> 40) & s->udp_mask];
	if (*slot == h)
		return false;
	*slot = h;
	return true;
}

static void det_firstseen_packet(void *state, const struct det_pkt *p)
{
	struct det_firstseen *s = state;
	struct geo_info gi;
	const struct geo_info *g = &gi;
	struct det_addr hk;
	struct fs_host *h;
	bool learning;
	int created, ci;

	s->base.now_us = p->ts_us;
	if (!s->has_geo || p->fragment || !p->src_in || p->dst_in)
		return;
	if (p->proto == 6) {
		if ((p->flags & (DET_SYN | DET_ACK)) != DET_SYN)
			return;
	} else if (p->proto != 17 || !fs_udp_new(s, p)) {
		return;
	}
	if (det_addr_is_special(p->ipv, p->dst))
		return;
	/* a copy: the cache entry can be reused by the lookups of detect_emit */
	gi = *detect_geo(s->base.d, p->ipv, p->dst);
	ci = fs_country_index(g->country);
	if (ci < 0 && !g->asn)
		return;
	det_addr_set(&hk, p->ipv, p->src);
	h = dtab_put(s->hosts, &hk, p->ts_us, &created);
	if (created)
		h->since_us = p->ts_us;
	/* each host learns from when it is first seen: a host new to the site,
	 * or one whose entry was evicted, does not raise an alert for every
	 * country it talks to */
	learning = p->ts_us < h->since_us + s->base.cfg->first_learning_s * 1000000u;
	if (ci >= 0 && !(h->countries[ci / 64] & (1ULL << (ci % 64)))) {
		h->countries[ci / 64] |= 1ULL << (ci % 64);
		h->ncountries++;
		if (!learning)
			fs_alert(s, p, h, g, true);
	}
	if (g->asn) {
		unsigned i = fs_asn_slot(h, g->asn);

		if (h->asns[i])
			return;
		if (h->asn_full) {
			s->asn_skipped++;
			return;
		}
		h->asns[i] = g->asn;
		if (++h->nasns >= FS_ASN_FULL)
			h->asn_full = true;
		if (!learning)
			fs_alert(s, p, h, g, false);
	}
}

static void det_firstseen_tick(void *state, uint64_t now_us)
{
	struct det_firstseen *s = state;

	/* nothing ages out: the sets are what the host has done so far */
	s->base.now_us = now_us;
}

static void det_firstseen_flush(void *state)
{
	struct det_firstseen *s = state;

	det_base_flush(&s->base);
	memset(s->udp, 0, ((size_t)s->udp_mask + 1) * sizeof(*s->udp));
}

/* The table's counters and the UDP cache's memory. */
static void det_firstseen_counters(void *state, struct det_counters *out)
{
	struct det_firstseen *s = state;

	det_base_counters(&s->base, out);
	out->tab.bytes += ((uint64_t)s->udp_mask + 1) * sizeof(*s->udp);
}

static void det_firstseen_destroy(void *state)
{
	struct det_firstseen *s = state;

	if (!s)
		return;
	free(s->udp);
	det_base_destroy(&s->base);
}

static void *det_firstseen_create(struct detect *d, uint64_t mem, char *err, size_t errlen)
{
	struct det_firstseen *s = det_base_new(sizeof(*s), d);
	uint32_t slots = FS_UDP_SLOTS;
	uint64_t cache;

	if (!s)
		goto oom;
	s->has_geo = detect_has_geo(d);
	/* the cache takes at most a sixteenth */
	while (slots > 16 && (uint64_t)slots * sizeof(uint64_t) > mem / 16)
		slots >>= 1;
	s->udp_mask = slots - 1;
	s->udp = calloc(slots, sizeof(*s->udp));
	cache = (uint64_t)slots * sizeof(uint64_t);
	mem = mem > cache ? mem - cache : 0;
	if (!s->udp || !(s->hosts = det_base_table(&s->base, sizeof(struct det_addr),
						   sizeof(struct fs_host), mem, NULL, NULL)))
		goto oom;
	return s;
oom:
	det_firstseen_destroy(s);
	snprintf(err, errlen, "detectors: out of memory (first seen table)");
	return NULL;
}

const struct det_ops det_firstseen_ops = {
	.name = "first_seen",
	.create = det_firstseen_create,
	.destroy = det_firstseen_destroy,
	.packet = det_firstseen_packet,
	.tick = det_firstseen_tick,
	.end = NULL,
	.flush = det_firstseen_flush,
	.counters = det_firstseen_counters,
	.mem_weight = 1,
};
