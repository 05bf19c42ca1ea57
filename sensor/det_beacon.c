/*
 * det_beacon — periodic connections from an inside host to one outside
 * service (doc/detectors.md "Beaconing"), sid 9121.
 *
 * Implants call home on a timer: every N seconds, give or take a little
 * random jitter, the same host opens a connection to the same address and
 * port.  People do not: what they open depends on what they do, so the gaps
 * between their connections vary widely.  That regularity is what is
 * measured here, per (inside source, outside destination, port, protocol).
 *
 * A connection start is a TCP SYN without ACK from an inside host to an
 * outside one (broadcast and multicast destinations are skipped).  A SYN
 * with the source port of the previous start, less than 10 s after it, is
 * a retransmission of that start and is not counted again.  Starts closer
 * than half of detect.beacon.min_period to the last one recorded are one
 * check-in: an implant that opens two connections each time it calls home
 * (and a browser opening six at once) would otherwise add intervals of
 * almost zero.  Recorded intervals are then at least min_period / 2; for
 * regular starts faster than that they come out between min_period / 2
 * and min_period, below the minimum, so merging never makes a beacon out
 * of fast traffic.
 *
 * The times of the last DPERIOD_MAX (32) check-ins are kept (dperiod).
 * Once at least detect.beacon.connections of them are recorded (3 to 32),
 * each new one scores them all: the period is the median interval and the
 * jitter the median absolute deviation from it, relative to it.  Medians
 * let a few missed or extra check-ins (a sleeping laptop, a manual
 * connection) pass without hiding the timer.  A period between
 * detect.beacon.min_period and detect.beacon.max_period with a jitter at
 * most detect.beacon.max_jitter raises the alert; the same key raises
 * again at most every detect.realert.  A gap longer than max_period breaks
 * the sequence: the recorded times start again from that check-in.
 *
 * One table ("pairs"), touched on each counted start; an entry idle for
 * more than twice max_period expires (its next check-in could not be part
 * of a beacon anyway).  When the table is full the least recently active
 * key is evicted (counted in the detector's "evicted"): on a busy link that
 * is a slow beacon before a fast one, so detect.memory bounds the longest
 * period that can still be seen.
 */
#include "detect_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BEACON_SID 9121u
#define BEACON_RETX_US (10u * 1000000u)   /* a SYN on the same port this soon: retransmission */

struct beacon_key {                /* 36 bytes, no padding */
	uint8_t ipv, proto;
	uint16_t dport;
	uint8_t src[16], dst[16];
};

struct beacon_pair {
	struct dperiod starts;          /* check-ins (merged starts) */
	uint64_t since_us, alerted_us;
	uint64_t last_us;               /* last counted start, merged or not */
	uint64_t count;                 /* counted starts since the sequence began */
	uint16_t last_sport;
};

struct det_beacon {
	struct det_base base;
	struct dtab *pairs;
};

static const struct det_sig beacon_sig = {
	BEACON_SID, 2, "定期的な外部通信（ビーコン）を検知", "Periodic outbound connections (beaconing)",
	"malware", "第6(6)", "beacon"
};

/* detect.beacon.connections, within what dperiod can hold and score. */
static unsigned beacon_needed(const struct det_beacon *s)
{
	uint64_t n = s->base.cfg->beacon_connections;

	if (n < 3)
		return 3;
	if (n > DPERIOD_MAX)
		return DPERIOD_MAX;
	return (unsigned)n;
}

static uint64_t beacon_last_recorded(const struct dperiod *p)
{
	return p->t[(p->head + DPERIOD_MAX - 1) % DPERIOD_MAX];
}

static void beacon_alert(struct det_beacon *s, const struct beacon_key *k,
			 const struct beacon_pair *v, const struct dperiod_score *sc)
{
	char src[48], dst[48], detail[256];
	struct det_alert a;
	unsigned n = sc->intervals + 1;

	det_alert_init(&a, &beacon_sig, s->base.now_us);
	det_addr_text(src, sizeof(src), k->ipv, k->src);
	det_addr_text(dst, sizeof(dst), k->ipv, k->dst);
	snprintf(detail, sizeof(detail), "%s connected to %s:%u %u times every %.1f s (jitter %.1f %%)",
		 src, dst, (unsigned)k->dport, n, sc->period_s, sc->jitter * 100.0);
	a.kind = "tcp";
	a.proto = k->proto;
	a.ipv = k->ipv;
	a.src = k->src;
	a.dst = k->dst;
	a.direction = detect_direction(true, false);
	a.dport = k->dport;
	a.since_us = v->since_us;
	a.window_s = (uint64_t)(sc->span_s + 0.5);
	a.value = n;
	a.threshold = beacon_needed(s);
	a.unit = "connections";
	a.count = v->count;
	a.period_s = sc->period_s;
	a.jitter = sc->jitter;
	a.detail = detail;
	a.key = k;
	a.key_len = sizeof(*k);
	det_base_raise(&s->base, &a);
}

/* Whether p starts a connection from inside to outside, and its key. */
static bool beacon_key_of(const struct det_pkt *p, struct beacon_key *k)
{
	if (p->proto != 6 || p->fragment || (p->flags & (DET_SYN | DET_ACK)) != DET_SYN)
		return false;
	if (!p->src_in || p->dst_in || det_addr_is_special(p->ipv, p->dst))
		return false;
	k->ipv = p->ipv;
	k->proto = p->proto;
	k->dport = p->dport;
	memcpy(k->src, p->src, 16);
	memcpy(k->dst, p->dst, 16);
	return true;
}

static void beacon_start(struct det_beacon *s, const struct det_pkt *p, const struct beacon_key *kp)
{
	const struct detect_config *c = s->base.cfg;
	uint64_t now = p->ts_us, merge_us = c->beacon_min_period_s * 500000u, last;
	struct beacon_key k = *kp;
	struct dperiod_score sc;
	struct beacon_pair *v;
	int created;

	v = dtab_put(s->pairs, &k, now, &created);
	if (!created && v->last_sport == p->sport && now >= v->last_us &&
	    now - v->last_us < BEACON_RETX_US)
		return;
	v->last_sport = p->sport;
	v->last_us = now;
	if (v->starts.n) {
		last = beacon_last_recorded(&v->starts);
		if (now > last && now - last > c->beacon_max_period_s * 1000000u) {
			/* too long a gap for a beacon: start the sequence again */
			memset(&v->starts, 0, sizeof(v->starts));
			v->count = 0;
			if (!v->alerted_us)
				v->since_us = 0;
		}
	}
	det_episode(s->base.d, &v->since_us, &v->alerted_us, now);
	v->count++;
	if (v->starts.n) {
		last = beacon_last_recorded(&v->starts);
		if (now <= last || now - last < merge_us)
			return;         /* the same check-in */
	}
	dperiod_add(&v->starts, now);
	if (v->alerted_us || v->starts.n < beacon_needed(s))
		return;
	dperiod_score(&v->starts, &sc);
	if (sc.intervals == 0 || sc.period_s < (double)c->beacon_min_period_s ||
	    sc.period_s > (double)c->beacon_max_period_s ||
	    sc.jitter > (double)c->beacon_jitter_ppm / 1e6)
		return;
	v->alerted_us = now;
	beacon_alert(s, &k, v, &sc);
}

static void det_beacon_prefetch(void *state, const struct det_pkt *p)
{
	struct det_beacon *s = state;
	struct beacon_key k;

	if (beacon_key_of(p, &k))
		dtab_prefetch(s->pairs, &k);
}

static void det_beacon_packet(void *state, const struct det_pkt *p)
{
	struct det_beacon *s = state;
	struct beacon_key k;

	s->base.now_us = p->ts_us;
	if (beacon_key_of(p, &k))
		beacon_start(s, p, &k);
}

static void det_beacon_tick(void *state, uint64_t now_us)
{
	struct det_beacon *s = state;
	uint64_t idle = 2u * s->base.cfg->beacon_max_period_s * 1000000u;

	s->base.now_us = now_us;
	if (now_us > idle)
		dtab_expire(s->pairs, now_us - idle, 0);
}

static void *det_beacon_create(struct detect *d, uint64_t mem, char *err, size_t errlen)
{
	struct det_beacon *s = det_base_new(sizeof(*s), d);

	if (!s || !(s->pairs = det_base_table(&s->base, sizeof(struct beacon_key),
					      sizeof(struct beacon_pair), mem, NULL, NULL))) {
		det_base_destroy(s);
		snprintf(err, errlen, "detectors: out of memory (beacon table)");
		return NULL;
	}
	return s;
}

const struct det_ops det_beacon_ops = {
	.name = "beacon",
	.create = det_beacon_create,
	.destroy = det_base_destroy,
	.prefetch = det_beacon_prefetch,
	.packet = det_beacon_packet,
	.tick = det_beacon_tick,
	.end = NULL,
	.flush = det_base_flush,
	.counters = det_base_counters,
	.mem_weight = 4,
};
