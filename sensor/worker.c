/*
 * worker — see worker.h.
 *
 * Messages on the ring: a fixed header (struct worker_msg) followed, for
 * packets, by the IP packet bytes.  The worker keeps its own clock: the newest
 * packet time it has seen (or tick time), so idle expiry and active timeouts
 * depend on packet times only and replays are deterministic for any -w.
 */
#include "worker.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "affinity.h"
#include "alert.h"
#include "frag.h"
#include "jsonw.h"
#include "log.h"
#include "record.h"
#include "ring.h"

#define WORKER_OUT_FLUSH   (64u * 1024)     /* write records out in chunks this big */
#define WORKER_OUT_CAP     (1u << 20)       /* one record larger than this is dropped */
#define WORKER_SCAN_US     1000000u         /* idle scan every second of packet time */
#define WORKER_SNAP_US     1000000u
#define WORKER_FRAG_CAP    8192u            /* fragmented datagrams remembered */
#define WORKER_FRAG_TIMEOUT_S 30u
#define WORKER_GEO_CACHE   4096u
/* Live: how long the capture thread waits for room in a worker's ring
 * before it drops a packet.  Meanwhile the kernel's ring (capture.buffer_size,
 * far larger than a worker's) holds what arrives, so a burst that the
 * workers catch up with loses nothing; a worker that stays behind costs one
 * wait, then drops until its ring takes a packet at once again. */
#define WORKER_LIVE_WAIT_US 50000u
#define WORKER_BURST       64u              /* messages from one ring before the next */
#define WORKER_ALERT_CAP   (64u * 1024)     /* one alert larger than this is dropped */
#define WORKER_FIRED_MAX   64u              /* rules remembered as fired per flow */
/* Flows may expire up to the flow table's LRU slack (1 s) after their idle
 * deadline, found at the next scan: alerts stamped with that deadline can be
 * this much older than the last scan. */
#define WORKER_EXPIRY_LAG_US 2000000u

enum worker_msg_type {
	WORKER_MSG_PACKET = 1,
	WORKER_MSG_FRAGMENT,     /* a non-first IP fragment: counted, no payload */
	WORKER_MSG_TICK,
	WORKER_MSG_FLUSH,
	WORKER_MSG_POLICY,       /* body: a struct policy pointer (a reference) */
	WORKER_MSG_END
};

struct worker_msg {
	uint8_t  type;
	uint8_t  tcp_flags;
	uint8_t  icmp_type, icmp_code;
	uint8_t  first_fragment;
	uint8_t  pad[3];
	uint32_t ip_len;
	uint32_t wire_len;
	uint32_t frag_id;
	uint32_t pad2;
	uint64_t ts_us;
	uint64_t hash;
	struct flow_key key;
	struct flow_tunnel tunnel;       /* type 0: not tunnelled */
};

/* One producer's side: its ring, and its own state (a cache line of its
 * own, so producers on several threads do not share one). */
struct worker_input {
	struct ring *ring;
	bool congested;                  /* producer's: a live wait for room ran out */
	bool ended;                      /* worker's: END taken from this ring */
} __attribute__((aligned(64)));

struct worker {
	struct worker_config cfg;
	pthread_t thread;
	struct worker_input in[WORKER_MAX_INPUTS];
	unsigned inputs_open;            /* rings without END yet */
	struct flow_table *table;
	struct frag_table *frags;
	struct classify *cls;
	struct jsonw out;
	struct jsonw abuf;               /* one alert at a time */
	struct policy *pol;              /* current policy, NULL: none */
	struct geo_cache *geo;
	uint32_t epoch;                  /* FLUSH count: alert order across time jumps */
	uint64_t end_ts_us;              /* time of flows ended by FLUSH / END */
	uint64_t now_us, next_scan_us, next_snap_us;
	struct worker_stats st;          /* worker thread only */
	pthread_mutex_t snap_mu;
	struct worker_stats snap;        /* published copy, under snap_mu */
};

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

static void worker_flush_output(struct worker *w)
{
	if (w->out.len) {
		sink_write(w->cfg.flows, w->out.buf, w->out.len);
		jsonw_reset(&w->out);
	}
}

static const char *worker_iface(const struct worker *w, const struct flow *f)
{
	return w->cfg.ifaces ? w->cfg.ifaces[f->key.iface] : NULL;
}

/* Zones, geography of both ends, the capture interface. */
static void worker_enrich(struct worker *w, const struct flow *f, struct record_enrich *en)
{
	static const struct geo_info none;

	en->in_iface = worker_iface(w, f);
	for (int i = 0; i < 2; i++) {
		en->zone[i] = w->pol ? zones_lookup(policy_zones(w->pol), f->key.ip_version,
						    f->key.addr[i]) : ZONES_EXTERNAL;
		en->geo[i] = &none;
		if (w->geo && en->zone[i] == ZONES_EXTERNAL) {
			/* copied: the cache's answer lasts only until its next lookup */
			en->geo_copy[i] = *geo_lookup(w->geo, f->key.ip_version, f->key.addr[i]);
			en->geo[i] = &en->geo_copy[i];
		}
	}
	en->zones = w->pol ? policy_zones(w->pol) : NULL;
	en->has_geo = w->geo != NULL;
}

static bool worker_has_fired(const struct flow *f, uint32_t sid)
{
	if (!f->fired)
		return false;
	for (uint32_t i = 1; i <= f->fired[0]; i++)
		if (f->fired[i] == sid)
			return true;
	return false;
}

/* Remember that sid fired (or was silenced) on f; false when the flow's
 * list is full. */
static bool worker_note_fired(struct flow *f, uint32_t sid)
{
	uint32_t n = f->fired ? f->fired[0] : 0;
	uint32_t *p;

	if (n >= WORKER_FIRED_MAX)
		return false;
	if (!f->fired || (n & (n + 1)) == 0) {   /* grow at 1, 3, 7, ... entries */
		p = realloc(f->fired, (2 * (n + 1) + 1) * sizeof(*p));
		if (!p)
			return false;
		f->fired = p;
	}
	f->fired[0] = n + 1;
	f->fired[n + 1] = sid;
	return true;
}

struct worker_match {
	struct worker *w;
	struct flow *f;
	const struct rules_flow *rf;
	enum alert_trigger trigger;
	uint64_t ts_us;
};

static void worker_on_match(void *ctx, const struct rules_rule *r, const struct rules_evidence *ev,
			    unsigned nev, bool silenced)
{
	struct worker_match *m = ctx;
	struct worker *w = m->w;
	struct alert_event a = {
		.sensor_id = w->cfg.sensor_id, .in_iface = worker_iface(w, m->f), .f = m->f, .rf = m->rf,
		.zones = policy_zones(w->pol), .rule = r, .ev = ev, .nev = nev,
		.trigger = m->trigger, .ts_us = m->ts_us,
	};
	struct alertq_item it;

	if (worker_has_fired(m->f, r->sid))
		return;
	/* a flow that matched more rules than it can remember may raise one
	 * again at a later evaluation, with the same alert_id */
	if (!worker_note_fired(m->f, r->sid))
		w->st.alerts_fired_full++;
	if (silenced) {   /* counted once per flow, like an alert */
		w->st.alerts_silenced++;
		return;
	}
	memset(&it, 0, sizeof(it));
	alert_id(it.id, w->cfg.sensor_id, m->f->flow_id, r->sid);
	jsonw_reset(&w->abuf);
	if (alert_format(&w->abuf, w->cls, &a, it.id) < 0 || !(it.json = malloc(w->abuf.len))) {
		w->st.alerts_dropped++;
		return;
	}
	/* alertq appends its fields where the closing brace was */
	memcpy(it.json, w->abuf.buf, w->abuf.len);
	it.len = w->abuf.len - 1;
	it.epoch = w->epoch;
	it.ts_us = m->ts_us;
	it.sid = r->sid;
	it.severity = r->severity;
	it.th = r->threshold;
	it.ip_version = m->f->key.ip_version;
	memcpy(it.src, m->f->key.addr[0], 16);
	memcpy(it.dst, m->f->key.addr[1], 16);
	alertq_push(w->cfg.alerts, w->cfg.id, &it);
	w->st.alerts++;
}

/* Rules are evaluated at all: a policy with rules and an alert output. */
static bool worker_rules_on(const struct worker *w)
{
	return w->pol && w->cfg.alerts && rules_count(policy_rules(w->pol));
}

/* Match the rules against f as it is now (en: its zones and geography). */
static void worker_evaluate(struct worker *w, struct flow *f, const struct record_enrich *en,
			    enum alert_trigger trigger, uint64_t ts_us)
{
	struct rules_flow rf;
	struct worker_match m = { .w = w, .f = f, .rf = &rf, .trigger = trigger, .ts_us = ts_us };
	const struct flow_dpi *d = &f->dpi;
	bool tls;

	memset(&rf, 0, sizeof(rf));
	rf.ip_version = f->key.ip_version;
	rf.proto = f->key.proto;
	for (int i = 0; i < 2; i++) {
		rf.addr[i] = f->key.addr[i];
		rf.port[i] = f->key.port[i];
		rf.zone[i] = en->zone[i];
		rf.geo[i] = en->geo[i];
		rf.pkts[i] = f->pkts[i];
		rf.bytes[i] = f->bytes[i];
	}
	rf.master = d->master;
	rf.app = d->app;
	rf.category = d->category;
	rf.breed = classify_breed(w->cls, d);
	rf.confidence = d->confidence;
	rf.risk = d->risk;
	rf.hostname = d->hostname;
	tls = d->tls != NULL;
	rf.sni = tls ? d->hostname : NULL;
	if (tls) {
		rf.ja3c = d->tls->ja3c[0] ? d->tls->ja3c : NULL;
		rf.ja3s = d->tls->ja3s[0] ? d->tls->ja3s : NULL;
		rf.cert_sha1 = d->tls->cert_sha1[0] ? d->tls->cert_sha1 : NULL;
	}
	rf.duration_us = f->last_us - f->first_us;
	rules_match(policy_rules(w->pol), &rf, worker_on_match, &m);
}

/* When a flow ended, in packet time that does not depend on -w: an idle
 * flow at its deadline, a flushed one at the flush. */
static uint64_t worker_end_time(const struct worker *w, const struct flow *f, enum flow_end reason)
{
	switch (reason) {
	case FLOW_END_TIMEOUT:
	case FLOW_END_FIN:
	case FLOW_END_RST:
		return f->last_us + (uint64_t)w->cfg.table.timeout_s[f->tclass] * 1000000u;
	case FLOW_END_SHUTDOWN:
	case FLOW_END_TIME_JUMP:
		return w->end_ts_us > f->last_us ? w->end_ts_us : f->last_us;
	default:
		return w->now_us;
	}
}

static void worker_emit(struct worker *w, const struct flow *f, enum flow_end reason,
			const struct record_enrich *en)
{
	if (record_flow(&w->out, w->cls, w->cfg.sensor_id, f, reason, en) < 0) {
		w->st.records_dropped++;
		return;
	}
	w->st.records++;
	if (w->out.len >= WORKER_OUT_FLUSH)
		worker_flush_output(w);
}

/* A flow ends or reaches an interim record: rules, then its record; its
 * zones and geography are looked up once for both. */
static void worker_report(struct worker *w, struct flow *f, enum flow_end reason,
			  enum alert_trigger trigger, uint64_t ts_us)
{
	struct record_enrich en;
	bool rules = worker_rules_on(w), record = sink_enabled(w->cfg.flows);

	if (!rules && !record)
		return;
	worker_enrich(w, f, &en);
	if (rules)
		worker_evaluate(w, f, &en, trigger, ts_us);
	if (record)
		worker_emit(w, f, reason, &en);
}

/* flow_table callback: a flow leaves the table. */
static void worker_on_flow_end(void *ctx, struct flow *f, enum flow_end reason)
{
	struct worker *w = ctx;

	classify_finish(w->cls, f);
	worker_report(w, f, reason, ALERT_AT_END, worker_end_time(w, f, reason));
}

static uint64_t worker_flow_id(const struct flow *f)
{
	uint64_t x = f->hash ^ (f->first_us * 0x9e3779b97f4a7c15ULL);

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x & 0x7fffffffffffffffULL;   /* a positive int64, as EVE tools expect */
}

static void worker_new_flow(struct flow *f, const struct worker_msg *m)
{
	f->flow_id = worker_flow_id(f);
	f->icmp_type = m->icmp_type;
	f->icmp_code = m->icmp_code;
	if (m->tunnel.type != DECODE_TUNNEL_NONE) {
		f->tunnel = malloc(sizeof(*f->tunnel));
		if (f->tunnel)
			*f->tunnel = m->tunnel;
	}
}

static void worker_tcp_state(struct flow *f, int dir, uint8_t flags)
{
	if (flags & TCP_RST)
		f->tcp |= FLOW_TCP_RST;
	if (flags & TCP_FIN)
		f->tcp |= dir ? FLOW_TCP_FIN1 : FLOW_TCP_FIN0;
}

static void worker_packet(struct worker *w, const struct worker_msg *m, const uint8_t *ip)
{
	struct flow *f;
	int dir;
	bool created;
	bool syn_only = m->key.proto == 6 && (m->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN;

	if (m->ts_us > w->now_us)
		w->now_us = m->ts_us;
	w->st.packets++;
	w->st.bytes += m->wire_len;
	f = flow_table_get(w->table, &m->key, m->hash, w->now_us, syn_only, &dir, &created);
	if (!f)
		return;
	if (created)
		worker_new_flow(f, m);
	f->pkts[dir]++;
	f->bytes[dir] += m->wire_len;
	if (m->key.proto == 6)
		worker_tcp_state(f, dir, m->tcp_flags);
	flow_table_touch(w->table, f, w->now_us);
	if (m->first_fragment)
		frag_table_note(w->frags, &m->key, m->hash, m->frag_id, w->now_us);
	if (!f->dpi.done && classify_packet(w->cls, f, ip, m->ip_len, w->now_us) &&
	    worker_rules_on(w)) {
		struct record_enrich en;

		worker_enrich(w, f, &en);
		worker_evaluate(w, f, &en, ALERT_AT_CLASSIFIED, w->now_us);
	}
	if (w->cfg.active_timeout_s &&
	    w->now_us - f->report_us >= (uint64_t)w->cfg.active_timeout_s * 1000000u) {
		f->report_us = w->now_us;
		worker_report(w, f, FLOW_END_ACTIVE, ALERT_AT_INTERIM, w->now_us);
	}
}

/* A later fragment counts in the flow of its datagram's first fragment. */
static void worker_fragment(struct worker *w, const struct worker_msg *m)
{
	struct flow_key key;
	uint64_t hash;
	struct flow *f = NULL;
	int dir;

	if (m->ts_us > w->now_us)
		w->now_us = m->ts_us;
	w->st.packets++;
	w->st.bytes += m->wire_len;
	if (frag_table_lookup(w->frags, &m->key, m->frag_id, w->now_us, &key, &hash) == 0)
		f = flow_table_find(w->table, &key, hash, &dir);
	if (!f) {
		w->st.fragments_unattributed++;
		return;
	}
	/* same source and destination as the first fragment: same direction */
	f->pkts[dir]++;
	f->bytes[dir] += m->wire_len;
	flow_table_touch(w->table, f, w->now_us);
	w->st.fragments_attributed++;
}

static void worker_publish(struct worker *w)
{
	const struct classify_stats *cs = classify_stats_get(w->cls);

	w->st.flows = *flow_table_stats_get(w->table);
	w->st.frags = *frag_table_stats_get(w->frags);
	w->st.dpi = *cs;
	w->st.memory = flow_table_memory(w->table) + cs->state_bytes;
	if (w->geo)
		geo_cache_stats_get(w->geo, &w->st.geo);
	pthread_mutex_lock(&w->snap_mu);
	w->snap = w->st;
	pthread_mutex_unlock(&w->snap_mu);
}

/* Periodic work driven by the worker's clock. */
static void worker_timers(struct worker *w)
{
	if (w->now_us >= w->next_scan_us) {
		flow_table_expire(w->table, w->now_us);
		w->next_scan_us = w->now_us + WORKER_SCAN_US;
		/* every flow idle long enough before now has ended: later alerts
		 * are not older than now less the expiry lag */
		if (w->cfg.alerts)
			alertq_advance(w->cfg.alerts, w->cfg.id, w->epoch,
				       w->now_us > WORKER_EXPIRY_LAG_US ? w->now_us - WORKER_EXPIRY_LAG_US : 0);
	}
	if (w->now_us >= w->next_snap_us) {
		worker_publish(w);
		w->next_snap_us = w->now_us + WORKER_SNAP_US;
	}
}

/* Waiting for the other side of a ring: yield a few times (it is probably
 * about to move), then sleep, longer the longer the wait, up to 1 ms.  An
 * idle live sensor then wakes about a thousand times a second per thread;
 * a 4 MiB ring takes several ms to drain, so the producer never starves the
 * worker by oversleeping. */
static void worker_idle_wait(unsigned *spins)
{
	unsigned n = ++*spins;
	long ns;

	if (n < 8) {
		sched_yield();
		return;
	}
	ns = 50000L << (n - 8 < 5 ? n - 8 : 5);   /* 50 us .. 1.6 ms */
	if (ns > 1000000L)
		ns = 1000000L;
	nanosleep(&(struct timespec){ .tv_nsec = ns }, NULL);
}

/* One message from a ring.  false: it was the ring's END. */
static bool worker_message(struct worker *w, const struct worker_msg *m, const uint8_t *body)
{
	switch (m->type) {
	case WORKER_MSG_PACKET:
		worker_packet(w, m, body);
		break;
	case WORKER_MSG_FRAGMENT:
		worker_fragment(w, m);
		break;
	case WORKER_MSG_FLUSH:
		w->end_ts_us = m->ts_us;
		flow_table_expire(w->table, m->ts_us);
		flow_table_flush(w->table, FLOW_END_TIME_JUMP);
		w->now_us = w->next_scan_us = w->next_snap_us = 0;
		/* packet time starts again: alerts from here on sort after
		 * everything before, whatever their time */
		w->epoch++;
		if (w->cfg.alerts)
			alertq_advance(w->cfg.alerts, w->cfg.id, w->epoch, 0);
		break;
	case WORKER_MSG_POLICY: {
		struct policy *np;
		memcpy(&np, body, sizeof(np));
		policy_unref(w->pol);
		w->pol = np;
		w->st.policy_reloads++;
		break;
	}
	case WORKER_MSG_TICK:
		if (m->ts_us > w->now_us)
			w->now_us = m->ts_us;
		if (w->cfg.live)
			worker_flush_output(w);
		break;
	case WORKER_MSG_END:
		/* idle flows end as timeouts whatever this worker's own clock:
		 * at the latest END time of all the rings */
		if (w->inputs_open == w->cfg.inputs || m->ts_us > w->end_ts_us)
			w->end_ts_us = m->ts_us;
		return false;
	default:
		break;
	}
	return true;
}

/* Up to WORKER_BURST messages of one ring; the number taken. */
static unsigned worker_drain(struct worker *w, struct worker_input *in)
{
	unsigned n;

	for (n = 0; n < WORKER_BURST; n++) {
		size_t len;
		const uint8_t *p = ring_peek(in->ring, &len);
		bool more;

		if (!p)
			break;
		/* ring slots are 8-aligned */
		more = worker_message(w, (const struct worker_msg *)(const void *)p,
				      p + sizeof(struct worker_msg));
		ring_release(in->ring);
		if (!more) {
			in->ended = true;
			w->inputs_open--;
			return n + 1;
		}
		worker_timers(w);
	}
	return n;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned spins = 0;

	while (w->inputs_open) {
		unsigned got = 0;

		for (unsigned i = 0; i < w->cfg.inputs; i++)
			if (!w->in[i].ended)
				got += worker_drain(w, &w->in[i]);
		if (got) {
			spins = 0;
			continue;
		}
		if (spins == 0 && w->cfg.live)
			worker_flush_output(w);
		worker_idle_wait(&spins);
	}
	flow_table_expire(w->table, w->end_ts_us);
	flow_table_flush(w->table, FLOW_END_SHUTDOWN);
	if (w->cfg.alerts)
		alertq_close(w->cfg.alerts, w->cfg.id);
	worker_flush_output(w);
	worker_publish(w);
	return NULL;
}

static void worker_destroy(struct worker *w)
{
	if (!w)
		return;
	flow_table_free(w->table);
	frag_table_free(w->frags);
	classify_free(w->cls);
	for (unsigned i = 0; i < WORKER_MAX_INPUTS; i++)
		ring_free(w->in[i].ring);
	jsonw_fini(&w->out);
	jsonw_fini(&w->abuf);
	geo_cache_free(w->geo);
	policy_unref(w->pol);
	pthread_mutex_destroy(&w->snap_mu);
	free(w);
}

struct worker *worker_start(const struct worker_config *cfg, char *err, size_t errlen)
{
	/* aligned as its inputs are */
	size_t size = (sizeof(struct worker) + 63) & ~(size_t)63;
	struct worker *w = aligned_alloc(64, size);
	int rc;

	if (w)
		memset(w, 0, size);
	if (!w) {
		policy_unref(cfg->policy);   /* the reference is ours either way */
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->cfg = *cfg;
	w->pol = cfg->policy;   /* ours now, even if the start fails */
	pthread_mutex_init(&w->snap_mu, NULL);
	jsonw_init(&w->out, WORKER_OUT_CAP);
	jsonw_init(&w->abuf, WORKER_ALERT_CAP);
	if (cfg->geo && (geo_db_has_country(cfg->geo) || geo_db_has_asn(cfg->geo)))
		w->geo = geo_cache_new(cfg->geo, WORKER_GEO_CACHE);
	if (cfg->inputs < 1 || cfg->inputs > WORKER_MAX_INPUTS) {
		snprintf(err, errlen, "worker %u: %u inputs (1 to %d)", cfg->id, cfg->inputs,
			 WORKER_MAX_INPUTS);
		goto fail;
	}
	w->inputs_open = cfg->inputs;
	for (unsigned i = 0; i < cfg->inputs; i++)
		if (!(w->in[i].ring = ring_new(cfg->queue_bytes)))
			break;
	w->table = flow_table_new(&cfg->table, worker_on_flow_end, w);
	w->frags = frag_table_new(WORKER_FRAG_CAP, WORKER_FRAG_TIMEOUT_S);
	if (!w->in[cfg->inputs - 1].ring || !w->table || !w->frags) {
		snprintf(err, errlen, "worker %u: out of memory (%u queue(s) of %zu bytes, %u flows)",
			 cfg->id, cfg->inputs, cfg->queue_bytes, cfg->table.max_flows);
		goto fail;
	}
	w->cls = classify_new(&cfg->ndpi_files, err, errlen);
	if (!w->cls)
		goto fail;
	rc = pthread_create(&w->thread, NULL, worker_main, w);
	if (rc) {
		snprintf(err, errlen, "worker %u: cannot start thread: %s", cfg->id, strerror(rc));
		goto fail;
	}
	{
		char name[16];   /* what top -H and /proc/PID/task/TID/comm show */
		snprintf(name, sizeof(name), "zw-worker%u", cfg->id);
		pthread_setname_np(w->thread, name);
	}
	return w;
fail:
	worker_destroy(w);
	return NULL;
}

static uint64_t worker_mono_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

/* Producer: reserve ring space.  With wait, for as long as it takes; else
 * (live) for up to WORKER_LIVE_WAIT_US, and not at all while the worker is
 * congested (a wait ran out and no message has gone in at once since).
 * *waited: whether it waited. */
static void *worker_reserve(struct worker_input *in, size_t len, bool wait, bool *waited)
{
	unsigned spins = 0;
	uint64_t until = 0;
	void *slot;

	*waited = false;
	while (!(slot = ring_reserve(in->ring, len))) {
		if (len > ring_max_message(in->ring))
			return NULL;
		if (!wait) {
			if (in->congested)
				return NULL;
			if (!until) {
				until = worker_mono_us() + WORKER_LIVE_WAIT_US;
			} else if (worker_mono_us() >= until) {
				in->congested = true;
				return NULL;
			}
		}
		*waited = true;
		worker_idle_wait(&spins);
	}
	if (!*waited && in->congested)
		in->congested = false;
	return slot;
}

/* Producer: one message, a header and an optional body, into the ring.
 * 0; 1 when it had to wait for room; -1 when there was none (see
 * worker_reserve). */
static int worker_push(struct worker *w, unsigned in, const struct worker_msg *m,
		       const void *body, size_t body_len, bool wait)
{
	uint8_t *slot;
	bool waited;

	_Static_assert(sizeof(struct worker_msg) % 8 == 0, "ring payloads stay 8-aligned");
	slot = worker_reserve(&w->in[in], sizeof(*m) + body_len, wait, &waited);
	if (!slot)
		return -1;
	memcpy(slot, m, sizeof(*m));
	if (body_len)
		memcpy(slot + sizeof(*m), body, body_len);
	ring_commit(w->in[in].ring);
	return waited ? 1 : 0;
}

int worker_push_packet(struct worker *w, unsigned in, const struct decoded *d,
		       const struct flow_key *key,
		       uint64_t hash, const uint8_t *ip, uint32_t ip_len, uint32_t wire_len,
		       uint64_t ts_us, bool wait)
{
	struct worker_msg m;

	memset(&m, 0, sizeof(m));
	m.type = WORKER_MSG_PACKET;
	m.tcp_flags = d->tcp_flags;
	m.icmp_type = d->icmp_type;
	m.icmp_code = d->icmp_code;
	m.ip_len = ip_len;
	m.wire_len = wire_len;
	m.first_fragment = d->is_first_fragment;
	m.frag_id = d->frag_id;
	m.ts_us = ts_us;
	m.hash = hash;
	m.key = *key;
	if (d->tunnel != DECODE_TUNNEL_NONE) {
		m.tunnel.type = d->tunnel;
		m.tunnel.depth = d->tunnel_depth;
		m.tunnel.ip_version = d->tunnel_ip_version;
		memcpy(m.tunnel.src, d->tunnel_src, 16);
		memcpy(m.tunnel.dst, d->tunnel_dst, 16);
	}
	return worker_push(w, in, &m, ip, ip_len, wait);   /* the caller counts a drop */
}

int worker_push_fragment(struct worker *w, unsigned in, const struct decoded *d,
			 const struct flow_key *key, uint32_t wire_len, uint64_t ts_us, bool wait)
{
	struct worker_msg m;

	memset(&m, 0, sizeof(m));
	m.type = WORKER_MSG_FRAGMENT;
	m.wire_len = wire_len;
	m.frag_id = d->frag_id;
	m.ts_us = ts_us;
	m.key = *key;
	return worker_push(w, in, &m, NULL, 0, wait);
}

static void worker_push_control(struct worker *w, unsigned in, uint8_t type, uint64_t ts_us)
{
	struct worker_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.ts_us = ts_us;
	worker_push(w, in, &m, NULL, 0, true);
}

void worker_push_tick(struct worker *w, uint64_t now_us)
{
	worker_push_control(w, 0, WORKER_MSG_TICK, now_us);
}

void worker_push_flush(struct worker *w, uint64_t last_ts_us)
{
	worker_push_control(w, 0, WORKER_MSG_FLUSH, last_ts_us);
}

void worker_push_policy(struct worker *w, struct policy *p)
{
	struct worker_msg m;

	memset(&m, 0, sizeof(m));
	m.type = WORKER_MSG_POLICY;
	worker_push(w, 0, &m, &p, sizeof(p), true);
}

void worker_push_end(struct worker *w, unsigned in, uint64_t last_ts_us)
{
	worker_push_control(w, in, WORKER_MSG_END, last_ts_us);
}

void worker_join(struct worker *w, struct worker_stats *final_stats)
{
	pthread_join(w->thread, NULL);
	if (final_stats)
		*final_stats = w->snap;
	worker_destroy(w);
}

void worker_stats_snapshot(struct worker *w, struct worker_stats *out)
{
	pthread_mutex_lock(&w->snap_mu);
	*out = w->snap;
	pthread_mutex_unlock(&w->snap_mu);
}

int worker_pin(struct worker *w, unsigned cpu, char *err, size_t errlen)
{
	return affinity_pin(w->thread, cpu, err, errlen);
}
