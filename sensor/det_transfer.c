/*
 * det_transfer — large outbound transfers (doc/detectors.md "Large
 * transfers"), sid 9141 (one outside host) and 9142 (all outside hosts).
 *
 * Data theft ends with the data leaving the site.  Whatever the protocol
 * (HTTPS upload, a cloud drive, scp, a tunnel), that shows as many bytes
 * sent by one inside host to the outside within a while, which is counted
 * here: the IP total length of every packet from an inside host to an
 * outside one (broadcast and multicast left out; TCP segments without
 * payload too: a download's acknowledgements are not data sent), IP
 * fragments included,
 * in a dwin over detect.transfer.window, per pair (source, destination)
 * and per source.  A pair at detect.transfer.pair_bytes, or a source at
 * detect.transfer.host_bytes (spread over many destinations, as a tool
 * uploading to several servers or through changing CDN addresses would),
 * raises the alert; the same key raises again at most every
 * detect.realert.  The host alert names up to XFER_TOP destinations with
 * the largest totals (as they were at their last update, within the
 * window).
 *
 * This sees every outbound packet, so the per-packet work is a hash and a
 * compare: bytes are added up in a small direct-mapped cache of pairs and
 * go further only when the pair's slot is wanted by another pair, on the
 * next tick (about a second), or at the end of the input.  A bulk transfer
 * hits its slot again and again; the rest sees it about once a second.  An
 * alert is therefore raised up to a tick after the packet that crossed the
 * threshold, stamped with the time it is raised (ticks follow packet time,
 * so replays stay deterministic).  The cache (XFER_CACHE_MAX slots, fewer
 * when the memory share is small) counts in the detector's memory.
 * Entries idle for a window expire.
 *
 * Most pairs and sources never come near their threshold, so a slot's
 * bytes go first into a dvol (one for pairs, one for sources): a key gets
 * a table entry only once its estimate there reaches 1/XFER_ADMIT of its
 * threshold, and that entry starts with what the dvol held before
 * (capped at that 1/XFER_ADMIT).  A total is exact when no other key
 * shares its dvol counters, and otherwise off by at most 1/XFER_ADMIT of
 * the threshold: high when the dvol's estimate was (shared counters), low
 * when an entry outlives what the dvol remembers (a key quiet for a
 * window).  The packets of an alert are those since the entry was made.
 */
#include "detect_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XFER_SID_PAIR 9141u
#define XFER_SID_HOST 9142u
#define XFER_TOP 4
#define XFER_CACHE_MAX 32768u       /* slots (60 bytes each), a power of two */
#define XFER_ADMIT 64u              /* an entry from 1/XFER_ADMIT of the threshold */
#define XFER_DVOL_PAIRS 16384u      /* dvol slots per row for pairs (512 KiB), half
				     * that for sources; fewer when the memory
				     * share is small */

struct xfer_pkey {                 /* source and destination: 36 bytes */
	uint8_t ipv;
	uint8_t pad[3];
	uint8_t src[16], dst[16];
};

struct xfer_pair {
	struct dwin bytes;
	uint64_t since_us, alerted_us;
	uint64_t packets;               /* in this episode */
};

struct xfer_top {
	uint8_t dst[16];
	uint64_t bytes;                 /* the pair's window sum at at_us */
	uint64_t at_us;
};

struct xfer_host {
	struct dwin bytes;
	uint64_t since_us, alerted_us;
	uint64_t packets;
	struct xfer_top top[XFER_TOP];
};

struct xfer_slot {                 /* bytes not yet in the tables */
	struct xfer_pkey k;
	uint32_t packets;               /* 0: slot free */
	uint64_t bytes;
	uint64_t first_us;
};

struct det_transfer {
	struct det_base base;
	struct dtab *pairs, *hosts;
	/* the cache (cache, used): not dtabs, so det_transfer_counters adds it */
	struct xfer_slot *cache;
	uint32_t cache_mask;
	uint32_t *used;                 /* indexes of the slots in use, for the tick */
	uint32_t nused;
	struct dvol pair_vol, host_vol; /* bytes of keys without an entry */
	uint64_t pre_seq;               /* the packet xfer_prepare worked out */
	uint32_t pre_slot;
};

static const struct det_sig xfer_sig_pair = {
	XFER_SID_PAIR, 3, "外部ホストへの大量データ送信を検知", "Large outbound transfer to one host",
	"insider", "第6(3)③", "large_transfer"
};
static const struct det_sig xfer_sig_host = {
	XFER_SID_HOST, 3, "外部への大量データ送信を検知（ホスト合計）", "Large outbound transfer (host total)",
	"insider", "第6(3)③", "large_transfer"
};

static uint64_t xfer_window_us(const struct det_transfer *s)
{
	return s->base.cfg->xfer_window_s * 1000000u;
}

static uint64_t xfer_rotl(uint64_t x, unsigned r)
{
	return (x << r) | (x >> (64 - r));
}

static uint32_t xfer_slot_of(const struct det_transfer *s, const uint8_t *src, const uint8_t *dst)
{
	uint64_t a, b, c, e, h;

	memcpy(&a, src, 8);
	memcpy(&b, src + 8, 8);
	memcpy(&c, dst, 8);
	memcpy(&e, dst + 8, 8);
	h = (a ^ xfer_rotl(b, 21)) * 0x9e3779b97f4a7c15ULL ^ (c ^ xfer_rotl(e, 43));
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 32;
	return (uint32_t)h & s->cache_mask;
}

/* A new episode: when the window was empty (since cleared here), or after
 * detect.realert (det_episode moves since).  It starts with the slot's
 * first packet, start_us, not at now_us, when the bytes reach the tables. */
static void xfer_episode(const struct det_transfer *s, uint64_t *since_us, uint64_t *alerted_us,
			 uint64_t *packets, uint64_t window_sum, uint64_t start_us, uint64_t now_us)
{
	uint64_t since;

	if (!*alerted_us && window_sum == 0)
		*since_us = 0;
	since = *since_us;
	det_episode(s->base.d, since_us, alerted_us, now_us);
	if (!since || *since_us != since) {
		*since_us = start_us;
		*packets = 0;
	}
}

static void xfer_alert_pair(struct det_transfer *s, const struct xfer_pkey *k,
			    const struct xfer_pair *v, uint64_t sum)
{
	char src[48], dst[48], detail[256];
	struct det_alert a;

	det_alert_init(&a, &xfer_sig_pair, s->base.now_us);
	det_addr_text(src, sizeof(src), k->ipv, k->src);
	det_addr_text(dst, sizeof(dst), k->ipv, k->dst);
	snprintf(detail, sizeof(detail), "%s sent %.1f MB to %s in %.0f s (%llu packets)", src,
		 (double)sum / 1e6, dst, (double)(s->base.now_us - v->since_us) / 1e6,
		 (unsigned long long)v->packets);
	a.kind = "pair";
	a.ipv = k->ipv;
	a.src = k->src;
	a.dst = k->dst;
	a.direction = detect_direction(true, false);
	a.since_us = v->since_us;
	a.window_s = s->base.cfg->xfer_window_s;
	a.value = (double)sum;
	a.threshold = (double)s->base.cfg->xfer_pair_bytes;
	a.unit = "bytes";
	a.count = v->packets;
	a.detail = detail;
	a.key = k;
	a.key_len = sizeof(*k);
	det_base_raise(&s->base, &a);
}

static void xfer_alert_host(struct det_transfer *s, const struct det_addr *k,
			    const struct xfer_host *v, uint64_t sum)
{
	char src[48], top[XFER_TOP][48], detail[320];
	unsigned order[XFER_TOP] = { 0 }, n = 0;
	uint64_t win = xfer_window_us(s);
	struct det_alert a;

	det_alert_init(&a, &xfer_sig_host, s->base.now_us);
	/* the destinations updated within the window, largest first */
	for (unsigned i = 0; i < XFER_TOP; i++) {
		unsigned j = n;

		if (!v->top[i].bytes || v->top[i].at_us + win <= s->base.now_us)
			continue;
		while (j > 0 && v->top[order[j - 1]].bytes < v->top[i].bytes) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
		n++;
	}
	for (unsigned i = 0; i < n; i++) {
		det_addr_text(top[i], sizeof(top[i]), k->ipv, v->top[order[i]].dst);
		a.sample[i] = top[i];
	}
	a.nsample = n;
	det_addr_text(src, sizeof(src), k->ipv, k->a);
	if (n)
		snprintf(detail, sizeof(detail),
			 "%s sent %.1f MB to outside hosts in %.0f s (%llu packets; most to %s, %.1f MB)",
			 src, (double)sum / 1e6, (double)(s->base.now_us - v->since_us) / 1e6,
			 (unsigned long long)v->packets, top[0],
			 (double)v->top[order[0]].bytes / 1e6);
	else
		snprintf(detail, sizeof(detail), "%s sent %.1f MB to outside hosts in %.0f s (%llu packets)",
			 src, (double)sum / 1e6, (double)(s->base.now_us - v->since_us) / 1e6,
			 (unsigned long long)v->packets);
	a.kind = "host";
	a.ipv = k->ipv;
	a.src = k->a;
	a.direction = detect_direction(true, false);
	a.since_us = v->since_us;
	a.window_s = s->base.cfg->xfer_window_s;
	a.value = (double)sum;
	a.threshold = (double)s->base.cfg->xfer_host_bytes;
	a.unit = "bytes";
	a.count = v->packets;
	a.detail = detail;
	a.key = k;
	a.key_len = sizeof(*k);
	det_base_raise(&s->base, &a);
}

/* Remember dst's window total among the host's largest. */
static void xfer_top_update(struct xfer_host *h, const uint8_t *dst, uint64_t bytes,
			    uint64_t now_us, uint64_t win)
{
	unsigned pick = 0;

	for (unsigned i = 0; i < XFER_TOP; i++)
		if (h->top[i].bytes && memcmp(h->top[i].dst, dst, 16) == 0) {
			h->top[i].bytes = bytes;
			h->top[i].at_us = now_us;
			return;
		}
	/* else the place of a free or stale one, or of the smallest */
	for (unsigned i = 0; i < XFER_TOP; i++) {
		if (!h->top[i].bytes || h->top[i].at_us + win <= now_us) {
			pick = i;
			goto take;
		}
		if (h->top[i].bytes < h->top[pick].bytes)
			pick = i;
	}
	if (h->top[pick].bytes >= bytes)
		return;
take:
	memcpy(h->top[pick].dst, dst, 16);
	h->top[pick].bytes = bytes;
	h->top[pick].at_us = now_us;
}

/* Bytes of a key that has no entry yet: the dvol's estimate before this
 * slot's bytes, capped (what a new entry starts with). */
static uint64_t xfer_credit(uint64_t est, uint64_t bytes, uint64_t admit)
{
	est = est > bytes ? est - bytes : 0;
	return est < admit ? est : admit;
}

static uint64_t xfer_admit(uint64_t threshold)
{
	return threshold / XFER_ADMIT ? threshold / XFER_ADMIT : 1;
}

/* Move a slot's bytes into the dvols and, for keys near their threshold,
 * the tables; the slot is free afterwards. */
/* A slot's keys in the dvols. */
struct xfer_hashes {
	uint64_t pair, host;
};

static void xfer_hashes_of(const struct xfer_slot *sl, struct xfer_hashes *h)
{
	struct det_addr hk;

	det_addr_set(&hk, sl->k.ipv, sl->k.src);
	h->pair = dsketch_hash(&sl->k, sizeof(sl->k), 0x70616972ULL);
	h->host = dsketch_hash(&hk, sizeof(hk), 0x686f7374ULL);
}

static void xfer_slot_flush(struct det_transfer *s, struct xfer_slot *sl, uint64_t now,
			    const struct xfer_hashes *h)
{
	uint64_t win = xfer_window_us(s), sum, est, credit = 0;
	uint64_t pair_admit = xfer_admit(s->base.cfg->xfer_pair_bytes);
	uint64_t host_admit = xfer_admit(s->base.cfg->xfer_host_bytes);
	struct xfer_hashes own;
	struct det_addr hk;
	struct xfer_pair *pv;
	struct xfer_host *hv;
	int created;

	if (!sl->packets)
		return;
	if (!h) {
		xfer_hashes_of(sl, &own);
		h = &own;
	}
	s->base.now_us = now;
	est = dvol_add(&s->pair_vol, h->pair, sl->bytes, now, win);
	if (est < pair_admit) {
		sum = est;                  /* for the source's largest destinations */
	} else {
		pv = dtab_put(s->pairs, &sl->k, now, &created);
		if (created)
			credit = xfer_credit(est, sl->bytes, pair_admit);
		xfer_episode(s, &pv->since_us, &pv->alerted_us, &pv->packets,
			     created ? 0 : dwin_sum(&pv->bytes, now, win), sl->first_us, now);
		dwin_add(&pv->bytes, credit + sl->bytes, now, win);
		pv->packets += sl->packets;
		sum = dwin_sum(&pv->bytes, now, win);
		if (!pv->alerted_us && sum >= s->base.cfg->xfer_pair_bytes) {
			pv->alerted_us = now;
			xfer_alert_pair(s, &sl->k, pv, sum);
		}
	}

	est = dvol_add(&s->host_vol, h->host, sl->bytes, now, win);
	if (est >= host_admit) {
		det_addr_set(&hk, sl->k.ipv, sl->k.src);
		hv = dtab_put(s->hosts, &hk, now, &created);
		credit = created ? xfer_credit(est, sl->bytes, host_admit) : 0;
		xfer_episode(s, &hv->since_us, &hv->alerted_us, &hv->packets,
			     created ? 0 : dwin_sum(&hv->bytes, now, win), sl->first_us, now);
		xfer_top_update(hv, sl->k.dst, sum, now, win);
		dwin_add(&hv->bytes, credit + sl->bytes, now, win);
		hv->packets += sl->packets;
		sum = dwin_sum(&hv->bytes, now, win);
		if (!hv->alerted_us && sum >= s->base.cfg->xfer_host_bytes) {
			hv->alerted_us = now;
			xfer_alert_host(s, &hk, hv, sum);
		}
	}
	sl->packets = 0;
}

/* The cache slot of p (UINT32_MAX: p is not data sent out), worked out
 * once per packet. */
static uint32_t xfer_prepare(struct det_transfer *s, const struct det_pkt *p)
{
	if (s->pre_seq == p->seq)
		return s->pre_slot;         /* done by det_transfer_prefetch */
	s->pre_seq = p->seq;
	/* data sent, not the acknowledgements of a download */
	if (!p->src_in || p->dst_in || (p->proto == 6 && !p->claimed_len && !p->fragment) ||
	    det_addr_is_special(p->ipv, p->dst))
		s->pre_slot = UINT32_MAX;
	else
		s->pre_slot = xfer_slot_of(s, p->src, p->dst);
	return s->pre_slot;
}

static void det_transfer_prefetch(void *state, const struct det_pkt *p)
{
	struct det_transfer *s = state;
	uint32_t i = xfer_prepare(s, p);

	if (i != UINT32_MAX)
		__builtin_prefetch(&s->cache[i], 1);
}

static void det_transfer_packet(void *state, const struct det_pkt *p)
{
	struct det_transfer *s = state;
	uint32_t i = xfer_prepare(s, p);
	struct xfer_slot *sl;

	if (i == UINT32_MAX)
		return;
	sl = &s->cache[i];
	if (sl->packets && sl->k.ipv == p->ipv && memcmp(sl->k.src, p->src, 16) == 0 &&
	    memcmp(sl->k.dst, p->dst, 16) == 0) {
		sl->packets++;
		sl->bytes += p->ip_len;
		return;
	}
	if (sl->packets)
		xfer_slot_flush(s, sl, p->ts_us, NULL);
	else
		s->used[s->nused++] = i;
	memset(&sl->k, 0, sizeof(sl->k));
	sl->k.ipv = p->ipv;
	memcpy(sl->k.src, p->src, 16);
	memcpy(sl->k.dst, p->dst, 16);
	sl->packets = 1;
	sl->bytes = p->ip_len;
	sl->first_us = p->ts_us;
}

/* Flush every slot in use.  A batch whose order is known: slot i + 2D is
 * fetched, slot i + D hashed and its dvol counters fetched, slot i
 * flushed. */
#define XFER_AHEAD 8u

static void xfer_cache_flush(struct det_transfer *s, uint64_t now_us)
{
	struct xfer_hashes h[XFER_AHEAD];
	uint32_t n = s->nused;

	for (uint32_t i = 0; i < n + XFER_AHEAD; i++) {
		/* slot i - D first: its hashes' place is then free for slot i's */
		if (i >= XFER_AHEAD)
			xfer_slot_flush(s, &s->cache[s->used[i - XFER_AHEAD]], now_us,
					&h[(i - XFER_AHEAD) % XFER_AHEAD]);
		if (i + XFER_AHEAD < n)
			__builtin_prefetch(&s->cache[s->used[i + XFER_AHEAD]]);
		if (i < n) {
			xfer_hashes_of(&s->cache[s->used[i]], &h[i % XFER_AHEAD]);
			dvol_prefetch(&s->pair_vol, h[i % XFER_AHEAD].pair);
			dvol_prefetch(&s->host_vol, h[i % XFER_AHEAD].host);
		}
	}
	s->nused = 0;
}

static void det_transfer_tick(void *state, uint64_t now_us)
{
	struct det_transfer *s = state;
	uint64_t win = xfer_window_us(s);

	xfer_cache_flush(s, now_us);
	s->base.now_us = now_us;
	if (now_us > win) {
		dtab_expire(s->pairs, now_us - win, 0);
		dtab_expire(s->hosts, now_us - win, 0);
	}
}

static void det_transfer_end(void *state, uint64_t now_us)
{
	xfer_cache_flush(state, now_us);
}

static void det_transfer_flush(void *state)
{
	struct det_transfer *s = state;

	det_base_flush(&s->base);
	memset(s->cache, 0, ((size_t)s->cache_mask + 1) * sizeof(*s->cache));
	s->nused = 0;
	dvol_clear(&s->pair_vol);
	dvol_clear(&s->host_vol);
}

/* The tables' counters and the cache's memory. */
static void det_transfer_counters(void *state, struct det_counters *out)
{
	struct det_transfer *s = state;

	det_base_counters(&s->base, out);
	out->tab.bytes += ((uint64_t)s->cache_mask + 1) * (sizeof(*s->cache) + sizeof(*s->used)) +
			  dvol_bytes(&s->pair_vol) + dvol_bytes(&s->host_vol);
}

static void det_transfer_destroy(void *state)
{
	struct det_transfer *s = state;

	if (!s)
		return;
	free(s->cache);
	free(s->used);
	dvol_free(&s->pair_vol);
	dvol_free(&s->host_vol);
	det_base_destroy(&s->base);
}

static void *det_transfer_create(struct detect *d, uint64_t mem, char *err, size_t errlen)
{
	struct det_transfer *s = det_base_new(sizeof(*s), d);
	uint32_t slots = XFER_CACHE_MAX, vslots;
	uint64_t cache_bytes;

	if (!s)
		goto oom;
	/* the cache takes at most half; the tables (only for keys near their
	 * threshold) and the dvols share the rest */
	while (slots > 16 && (uint64_t)slots * (sizeof(struct xfer_slot) + 4) > mem / 2)
		slots >>= 1;
	s->cache_mask = slots - 1;
	s->cache = calloc(slots, sizeof(*s->cache));
	s->used = calloc(slots, sizeof(*s->used));
	cache_bytes = (uint64_t)slots * (sizeof(struct xfer_slot) + sizeof(*s->used));
	mem = mem > cache_bytes ? mem - cache_bytes : 0;
	/* the dvols: at most a quarter of the rest */
	vslots = XFER_DVOL_PAIRS;
	while (vslots > 64 && (uint64_t)vslots * 32u * 3u / 2u > mem / 4)
		vslots >>= 1;
	if (dvol_init(&s->pair_vol, vslots) != 0 || dvol_init(&s->host_vol, vslots / 2) != 0)
		goto oom;
	cache_bytes = dvol_bytes(&s->pair_vol) + dvol_bytes(&s->host_vol);
	mem = mem > cache_bytes ? mem - cache_bytes : 0;
	/* pairs outnumber sources: three quarters for them */
	if (!s->cache || !s->used ||
	    !(s->pairs = det_base_table(&s->base, sizeof(struct xfer_pkey), sizeof(struct xfer_pair),
					mem * 3 / 4, NULL, NULL)) ||
	    !(s->hosts = det_base_table(&s->base, sizeof(struct det_addr), sizeof(struct xfer_host),
					mem / 4, NULL, NULL)))
		goto oom;
	return s;
oom:
	det_transfer_destroy(s);
	snprintf(err, errlen, "detectors: out of memory (transfer tables)");
	return NULL;
}

const struct det_ops det_transfer_ops = {
	.name = "transfer",
	.create = det_transfer_create,
	.destroy = det_transfer_destroy,
	.prefetch = det_transfer_prefetch,
	.packet = det_transfer_packet,
	.tick = det_transfer_tick,
	.end = det_transfer_end,
	.flush = det_transfer_flush,
	.counters = det_transfer_counters,
	.mem_weight = 3,
};
