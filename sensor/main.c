/*
 * zw-sensor — options, wiring and signals.
 *
 * Capture units read packets, decode them, run the behavioural detectors
 * and hand each packet to the worker that owns its flow; workers classify
 * and write flow records.  A replay has one unit, the main thread, reading
 * the files in order.  Live, there is one unit per interface and fan-out
 * socket (capture.fanout): the first in the main thread, the others in
 * threads of their own, each filling its own input ring of every worker;
 * the detectors are then shared under a lock.  See doc/architecture.md and
 * doc/capture.md.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alertq.h"
#include "capture.h"
#include "classify.h"
#include "config.h"
#include "decode.h"
#include "flow.h"
#include "geo.h"
#include "health.h"
#include "jsonw.h"
#include "log.h"
#include "output.h"
#include "policy.h"
#include "privdrop.h"
#include "sink.h"
#include "stats.h"
#include "worker.h"

#define ZW_DISPATCH_BATCH 512
#define ZW_TICK_US        1000000u
#define ZW_OUTPUT_STOP_MS 5000u     /* at exit, time left to deliver to Redis */
#define ZW_PUBLISH_US     20000u    /* a capture thread's counters, this often */

_Static_assert(CONFIG_MAX_CAPTURE <= WORKER_MAX_INPUTS, "one worker input per capture unit");
_Static_assert(CONFIG_MAX_IFACES <= STATS_MAX_IFACES, "every interface has its counters");
_Static_assert(CONFIG_MAX_IFACES <= 256, "an interface index fits a flow key");

/* The only mutable globals: set by signal handlers, read by the main loop. */
static volatile sig_atomic_t zw_stop_signal;
static volatile sig_atomic_t zw_stats_signal;
static volatile sig_atomic_t zw_reload_signal;

struct pipeline;

/* One capture source: a file (replay) or one socket of an interface. */
struct zw_unit {
	struct pipeline *pl;
	struct capture *cap;
	unsigned in;               /* the workers' input this unit fills */
	uint8_t iface;             /* index in cfg->interfaces (0 for files) */
	const char *iface_name;    /* cfg->interfaces[iface]; NULL for files */
	int dlt;
	uint64_t last_ts_us;       /* newest packet time so far */
	struct stats_capture st;   /* the unit's thread only */
	/* units after the first: their own thread, and a copy of st */
	pthread_t thread;
	bool started;
	uint64_t next_publish_mono;
	pthread_mutex_t snap_mu;
	struct stats_capture snap; /* under snap_mu */
	char err[512];             /* why the unit stopped, "" if it did not fail */
};

struct pipeline {
	struct config *cfg;
	struct log log;
	struct worker *workers[CONFIG_MAX_WORKERS];
	unsigned nworkers;
	struct sink flows, stats, alerts_out;
	struct alertq *alerts;     /* NULL: no --alerts and no --redis */
	struct output *redis;      /* NULL: no --redis */
	struct health *health;     /* NULL: no alert output */
	struct detect *detect;     /* NULL: detectors off or no alert output */
	struct worker_stats finals[CONFIG_MAX_WORKERS];   /* workers' last counters */
	struct output_stats redis_final;                  /* the output's, once stopped */
	bool redis_stopped;
	struct policy *policy;     /* the main thread's reference to the current one */
	struct geo_db *geo;
	int argc;                  /* for reloads: the command line is applied again */
	char **argv;
	bool live;
	uint64_t started_mono_us;

	struct zw_unit units[CONFIG_MAX_CAPTURE];
	unsigned nunits;           /* replay: 1 */
	atomic_bool units_stop;    /* the main thread tells the other units to end */
	atomic_bool unit_failed;   /* a unit's capture failed: the sensor stops */
	/* more than one unit: the detectors (and pl->policy, whose zones they
	 * use) are shared under detect_mu */
	bool detect_shared;
	pthread_mutex_t detect_mu;

	uint64_t next_tick_ts_us;  /* replay: packet time of the next tick to all workers */
	bool file_start;           /* the next packet is the first of a file */
	struct stats_capture st;   /* input_errors, time_jumps, reloads */
};

static void zw_detect_lock(struct pipeline *pl)
{
	if (pl->detect_shared)
		pthread_mutex_lock(&pl->detect_mu);
}

static void zw_detect_unlock(struct pipeline *pl)
{
	if (pl->detect_shared)
		pthread_mutex_unlock(&pl->detect_mu);
}

static uint64_t zw_clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void zw_on_signal(int sig)
{
	if (sig == SIGUSR1)
		zw_stats_signal = 1;
	else if (sig == SIGHUP)
		zw_reload_signal = 1;
	else
		zw_stop_signal = 1;
}

static void zw_install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = zw_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* a reload or a statistics request waits for the next packet (or the
	 * next 100 ms poll when live): a read blocked on a pipe is restarted,
	 * not failed */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_flags = 0;
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static void zw_reload(struct pipeline *pl);

/* ---- packets ---------------------------------------------------------- */

static void zw_on_packet(void *ctx, uint64_t ts_us, const uint8_t *data, uint32_t caplen,
			 uint32_t wire_len)
{
	struct zw_unit *u = ctx;
	struct pipeline *pl = u->pl;
	struct decoded d;
	struct flow_key key;
	unsigned shard;
	int rc;

	if (u->in == 0 && zw_reload_signal) {
		/* before this packet: the new rules see it, and every later one */
		zw_reload_signal = 0;
		zw_reload(pl);
	}
	u->st.packets++;
	u->st.bytes += wire_len;
	if (pl->file_start) {
		/* An older capture after a newer one: end every flow first, so
		 * timeouts and flow times stay those of each file. */
		pl->file_start = false;
		if (ts_us < u->last_ts_us) {
			for (unsigned i = 0; i < pl->nworkers; i++)
				worker_push_flush(pl->workers[i], u->last_ts_us);
			if (pl->detect)
				detect_flush(pl->detect, policy_zones(pl->policy));
			pl->st.time_jumps++;
			u->last_ts_us = 0;
			pl->next_tick_ts_us = 0;
		}
	}
	/* Packet time never goes backwards within a capture (as ndpiReader):
	 * then every timeout decision depends on packet times only, not on how
	 * packets are spread over workers. */
	if (ts_us < u->last_ts_us)
		ts_us = u->last_ts_us;
	u->last_ts_us = ts_us;
	/* Replay: every second of packet time, every worker hears the time, so
	 * one that gets no packets still expires its flows and lets the
	 * alerts of the others out (alertq waits for the slowest clock).  In
	 * order with the packets, so the outcome does not depend on -w. */
	if (!pl->live && ts_us >= pl->next_tick_ts_us) {
		if (pl->next_tick_ts_us) {
			for (unsigned i = 0; i < pl->nworkers; i++)
				worker_push_tick(pl->workers[i], ts_us);
			if (pl->detect)
				detect_tick(pl->detect, ts_us, policy_zones(pl->policy));
		}
		pl->next_tick_ts_us = ts_us + ZW_TICK_US;
	}
	rc = decode_frame(u->dlt, data, caplen, &d);
	u->st.decode[rc >= 0 && rc < DECODE_NREASONS ? rc : DECODE_BAD_IP_HEADER]++;
	if (rc != DECODE_OK && rc != DECODE_FRAGMENT)
		return;
	if (pl->detect) {
		struct detect_pkt dp = { .ts_us = ts_us, .d = &d, .frame = data,
					 .fragment = rc == DECODE_FRAGMENT,
					 .iface = u->iface_name };
		zw_detect_lock(pl);
		detect_packet(pl->detect, &dp, policy_zones(pl->policy));
		zw_detect_unlock(pl);
	}
	flow_key_from_decoded(&key, &d);
	key.iface = u->iface;
	/* the shard hash has no ports: a later fragment finds its flow's worker
	 * (whichever fan-out socket it came through) */
	shard = (unsigned)(flow_key_shard_hash(&key) % pl->nworkers);
	if (rc == DECODE_FRAGMENT)
		rc = worker_push_fragment(pl->workers[shard], u->in, &d, &key, wire_len, ts_us,
					  !pl->live);
	else
		rc = worker_push_packet(pl->workers[shard], u->in, &d, &key, flow_key_hash(&key),
					data + d.ip_offset, d.ip_len, wire_len, ts_us, !pl->live);
	if (rc < 0)
		u->st.queue_drops++;
	else if (rc > 0)
		u->st.queue_waits++;
}

/* ---- statistics -------------------------------------------------------- */

/* A unit's counters: the main thread's own unit as they are (the kernel's
 * refreshed), another as its thread last published them. */
static void zw_unit_counters(struct zw_unit *u, struct stats_capture *out)
{
	if (u->in == 0) {
		if (u->pl->live && u->cap)
			capture_get_stats(u->cap, &u->st.kernel);
		*out = u->st;
		return;
	}
	pthread_mutex_lock(&u->snap_mu);
	*out = u->snap;
	pthread_mutex_unlock(&u->snap_mu);
}

/* The capture counters of the whole sensor, and live, by interface. */
static void zw_capture_sum(struct pipeline *pl, struct stats_capture *sum)
{
	struct stats_capture one;

	memset(sum, 0, sizeof(*sum));
	sum->input_errors = pl->st.input_errors;
	sum->time_jumps = pl->st.time_jumps;
	sum->reloads = pl->st.reloads;
	if (pl->live) {
		sum->nifaces = pl->cfg->ninterfaces;
		for (unsigned i = 0; i < sum->nifaces; i++)
			sum->iface[i].name = pl->cfg->interfaces[i];
	}
	for (unsigned i = 0; i < pl->nunits; i++) {
		zw_unit_counters(&pl->units[i], &one);
		stats_add_capture(sum, &one, pl->units[i].iface);
	}
}

/* The workers' counters added up (finals: their last ones, once joined). */
static void zw_sum_workers(struct pipeline *pl, const struct worker_stats *finals,
			   struct worker_stats *sum)
{
	struct worker_stats one;

	memset(sum, 0, sizeof(*sum));
	for (unsigned i = 0; i < pl->nworkers; i++) {
		if (finals)
			one = finals[i];
		else
			worker_stats_snapshot(pl->workers[i], &one);
		stats_add_worker(sum, &one);
	}
}

static void zw_report_stats(struct pipeline *pl, const struct worker_stats *finals)
{
	struct worker_stats sum;
	struct stats_capture cs;
	struct output_stats os;
	struct jsonw w;

	zw_sum_workers(pl, finals, &sum);
	zw_capture_sum(pl, &cs);
	if (!pl->cfg->quiet && (finals || !sink_enabled(&pl->stats))) {
		zw_detect_lock(pl);
		stats_log(&pl->log, &cs, &sum, pl->detect);
		zw_detect_unlock(pl);
	}
	if (!sink_enabled(&pl->stats))
		return;
	if (pl->redis)
		output_stats_get(pl->redis, &os);
	else if (pl->redis_stopped)
		os = pl->redis_final;
	jsonw_init(&w, 1u << 16);
	zw_detect_lock(pl);
	stats_json(&w, &cs, &sum, pl->alerts, pl->redis || pl->redis_stopped ? &os : NULL,
		   pl->detect, pl->cfg->sensor_id, zw_clock_us(CLOCK_REALTIME),
		   (zw_clock_us(CLOCK_MONOTONIC) - pl->started_mono_us) / 1000000u, finals != NULL);
	zw_detect_unlock(pl);
	if (jsonw_ok(&w))
		sink_write(&pl->stats, w.buf, w.len);
	jsonw_fini(&w);
}

/* ---- input loop ---------------------------------------------------------- */

struct zw_timers {
	uint64_t next_stats_mono, next_tick_mono, next_beat_mono, next_health_mono;
};

/* One numeric heartbeat field: its text goes into the next slot of v. */
static void zw_hb_num(const char **f, char (*v)[24], size_t *n, const char *name, uint64_t val)
{
	char *slot = v[*n / 2];

	snprintf(slot, 24, "%llu", (unsigned long long)val);
	f[(*n)++] = name;
	f[(*n)++] = slot;
}

/* The heartbeat hash's fields (doc/redis.md), handed to the output thread. */
static void zw_heartbeat(struct pipeline *pl, const struct worker_stats *finals)
{
	struct worker_stats sum;
	struct stats_capture cs;
	struct output_stats os;
	struct alertq_stats as = { 0 };
	struct policy_info pi;
	char v[14][24];
	const char *f[2 * 14];
	size_t n = 0;

	zw_sum_workers(pl, finals, &sum);
	zw_capture_sum(pl, &cs);
	output_stats_get(pl->redis, &os);
	if (pl->alerts)
		alertq_stats_get(pl->alerts, &as);
	policy_info_get(pl->policy, &pi);
	f[n++] = "version";
	f[n++] = ZW_VERSION;
	f[n++] = "ruleset";
	f[n++] = pi.version;
	zw_hb_num(f, v, &n, "uptime", (zw_clock_us(CLOCK_MONOTONIC) - pl->started_mono_us) / 1000000u);
	zw_hb_num(f, v, &n, "packets", cs.packets);
	zw_hb_num(f, v, &n, "kernel_drops", cs.kernel.kernel_drops);
	zw_hb_num(f, v, &n, "if_drops", cs.kernel.if_drops);
	zw_hb_num(f, v, &n, "queue_drops", cs.queue_drops);
	zw_hb_num(f, v, &n, "flows_active", sum.flows.active);
	zw_hb_num(f, v, &n, "flows", sum.flows.created);
	zw_hb_num(f, v, &n, "alerts", as.emitted);
	zw_hb_num(f, v, &n, "alerts_dropped", os.queue_dropped + os.spool_dropped);
	zw_hb_num(f, v, &n, "spool_records", os.spool.records);
	zw_hb_num(f, v, &n, "spool_bytes", os.spool.bytes);
	output_set_heartbeat(pl->redis, f, n / 2);
}

/* health.c -> the alert path (file and Redis, in turn with rule alerts) */
static int zw_emit_health(void *ctx, const char *line, size_t len, uint32_t sid, uint8_t severity,
			  const char *id)
{
	struct pipeline *pl = ctx;

	alertq_write_line(pl->alerts, line, len, sid, severity, id);
	return 0;
}

/* The counters health.c judges, now; os (may be NULL) gets the output's. */
static void zw_health_sample(struct pipeline *pl, struct health_sample *s, struct output_stats *os_out)
{
	struct output_stats os;
	struct stats_capture cs;

	memset(s, 0, sizeof(*s));
	s->now_us = zw_clock_us(CLOCK_REALTIME);
	s->mono_s = zw_clock_us(CLOCK_MONOTONIC) / 1000000u;
	s->live = pl->live;
	zw_capture_sum(pl, &cs);
	/* offered: what we read plus what the kernel could not give us */
	s->packets = cs.packets + cs.kernel.kernel_drops + cs.kernel.if_drops;
	s->kernel_drops = cs.kernel.kernel_drops;
	s->if_drops = cs.kernel.if_drops;
	s->queue_drops = cs.queue_drops;
	_Static_assert(STATS_MAX_IFACES <= HEALTH_MAX_IFACES, "every interface is watched");
	s->nifaces = cs.nifaces;
	for (unsigned i = 0; i < cs.nifaces; i++) {
		s->iface[i] = cs.iface[i].name;
		s->iface_packets[i] = cs.iface[i].packets;
	}
	if (pl->redis) {
		output_stats_get(pl->redis, &os);
		s->redis = true;
		s->redis_down_since_s = os.down_since_s;
		s->spool_bytes = os.spool.bytes;
		s->spool_max_bytes = pl->cfg->spool_max_bytes;
		if (os_out)
			*os_out = os;
	}
}

/* The health checks, and the report of lost alerts once the path is clear
 * (connected, nothing spooled: the report goes straight through). */
static void zw_health(struct pipeline *pl)
{
	struct health_sample s;
	struct output_stats os;
	struct output_lost lost;

	if (!pl->health)
		return;
	zw_health_sample(pl, &s, &os);
	health_check(pl->health, &s);
	if (!pl->redis)
		return;
	if (os.connected && os.spool.records == 0 && os.lost_unreported &&
	    output_lost_take(pl->redis, &lost))
		health_lost(pl->health, s.now_us, lost.count, lost.first_us, lost.last_us);
}

static void zw_periodic(struct pipeline *pl, struct zw_timers *t)
{
	uint64_t mono = zw_clock_us(CLOCK_MONOTONIC);

	if (zw_reload_signal) {
		zw_reload_signal = 0;
		zw_reload(pl);
	}
	if (pl->live && mono >= t->next_tick_mono) {
		uint64_t now = zw_clock_us(CLOCK_REALTIME);
		for (unsigned i = 0; i < pl->nworkers; i++)
			worker_push_tick(pl->workers[i], now);
		if (pl->detect) {
			zw_detect_lock(pl);
			detect_tick(pl->detect, now, policy_zones(pl->policy));
			zw_detect_unlock(pl);
		}
		t->next_tick_mono = mono + ZW_TICK_US;
	}
	if (mono >= t->next_health_mono) {
		zw_health(pl);
		t->next_health_mono = mono + 1000000u;
	}
	if (pl->redis && mono >= t->next_beat_mono) {
		zw_heartbeat(pl, NULL);
		t->next_beat_mono = mono + pl->cfg->redis_heartbeat_s * 1000000u;
	}
	if (zw_stats_signal ||
	    (pl->cfg->stats_interval_s && mono >= t->next_stats_mono)) {
		zw_stats_signal = 0;
		zw_report_stats(pl, NULL);
		t->next_stats_mono = mono + pl->cfg->stats_interval_s * 1000000u;
	}
}

/* A source's link type: 0, or -1 (logged) when it is not one we decode. */
static int zw_unit_dlt(struct pipeline *pl, struct zw_unit *u)
{
	u->dlt = capture_datalink(u->cap);
	if (decode_dlt_is_supported(u->dlt))
		return 0;
	log_error(&pl->log, "%s: link type %d is not supported", capture_name(u->cap), u->dlt);
	return -1;
}

/* A capture stopped with an error: logged, and live, a health alert. */
static void zw_capture_failed(struct pipeline *pl, const char *err)
{
	log_error(&pl->log, "%s (packets before this point were processed)", err);
	if (pl->live && pl->health) {
		struct health_sample s;
		zw_health_sample(pl, &s, NULL);
		health_capture_failed(pl->health, &s, err);
	}
}

/* Read the main thread's source to its end (or until a stop signal, or
 * another unit's failure).  0, or -1 on error. */
static int zw_run_source(struct pipeline *pl, struct zw_unit *u, struct zw_timers *t)
{
	char err[512];
	int n;

	while (!zw_stop_signal && !atomic_load(&pl->unit_failed)) {
		n = capture_dispatch(u->cap, ZW_DISPATCH_BATCH, zw_on_packet, u, err, sizeof(err));
		if (n == CAPTURE_EOF || n == CAPTURE_BROKEN)
			break;
		if (n == CAPTURE_ERROR) {
			zw_capture_failed(pl, err);
			return -1;
		}
		zw_periodic(pl, t);
	}
	return atomic_load(&pl->unit_failed) ? -1 : 0;
}

/* A unit's counters for the main thread, every ZW_PUBLISH_US (or now). */
static void zw_unit_publish(struct zw_unit *u, bool now)
{
	uint64_t mono = zw_clock_us(CLOCK_MONOTONIC);

	if (!now && mono < u->next_publish_mono)
		return;
	u->next_publish_mono = mono + ZW_PUBLISH_US;
	capture_get_stats(u->cap, &u->st.kernel);
	pthread_mutex_lock(&u->snap_mu);
	u->snap = u->st;
	pthread_mutex_unlock(&u->snap_mu);
}

/* The thread of a unit after the first: capture until told to stop. */
static void *zw_unit_main(void *arg)
{
	struct zw_unit *u = arg;
	struct pipeline *pl = u->pl;

	while (!zw_stop_signal && !atomic_load(&pl->units_stop)) {
		int n = capture_dispatch(u->cap, ZW_DISPATCH_BATCH, zw_on_packet, u, u->err,
					 sizeof(u->err));

		if (n == CAPTURE_ERROR) {
			atomic_store(&pl->unit_failed, true);
			break;
		}
		if (n == CAPTURE_EOF || n == CAPTURE_BROKEN)
			break;
		zw_unit_publish(u, false);
	}
	zw_unit_publish(u, true);
	return NULL;
}

/* Start the threads of the units after the first. */
static int zw_start_units(struct pipeline *pl)
{
	for (unsigned i = 1; i < pl->nunits; i++) {
		struct zw_unit *u = &pl->units[i];
		char name[24];   /* "zw-capture15" at most: the kernel's limit is 15 */
		int rc = pthread_create(&u->thread, NULL, zw_unit_main, u);

		if (rc) {
			log_error(&pl->log, "capture thread %u: cannot start: %s", i, strerror(rc));
			return -1;
		}
		u->started = true;
		snprintf(name, sizeof(name), "zw-capture%u", i);
		pthread_setname_np(u->thread, name);
	}
	return 0;
}

/* Stop and join the units' threads; a failed one's reason is reported. */
static void zw_stop_units(struct pipeline *pl)
{
	atomic_store(&pl->units_stop, true);
	for (unsigned i = 1; i < pl->nunits; i++) {
		struct zw_unit *u = &pl->units[i];

		if (!u->started)
			continue;
		pthread_join(u->thread, NULL);
		u->started = false;
		if (u->err[0])
			zw_capture_failed(pl, u->err);
	}
}

static int zw_run_files(struct pipeline *pl, struct zw_timers *t)
{
	char err[512];
	int rc = 0;

	for (unsigned i = 0; i < pl->cfg->nfiles && !zw_stop_signal; i++) {
		struct capture *cap = capture_open_file(pl->cfg->files[i], pl->cfg->filter, err,
							 sizeof(err));
		if (!cap) {
			log_error(&pl->log, "%s", err);
			pl->st.input_errors++;
			rc = -1;
			continue;
		}
		pl->file_start = true;
		pl->units[0].cap = cap;
		if (zw_unit_dlt(pl, &pl->units[0]) < 0 || zw_run_source(pl, &pl->units[0], t) < 0) {
			pl->st.input_errors++;
			rc = -1;
		}
		pl->units[0].cap = NULL;
		capture_close(cap);
	}
	return rc;
}

/* ---- set-up -------------------------------------------------------------- */

static int zw_start_workers(struct pipeline *pl)
{
	struct config *cfg = pl->cfg;
	struct worker_config wc;
	char err[512];

	memset(&wc, 0, sizeof(wc));
	wc.queue_bytes = cfg->queue_size;
	wc.table.max_flows = (uint32_t)(cfg->max_flows / cfg->workers);
	for (int c = 0; c < FLOW_TCLASS_COUNT; c++)
		wc.table.timeout_s[c] = (uint32_t)cfg->timeout_s[c];
	wc.active_timeout_s = (uint32_t)cfg->active_timeout_s;
	wc.sensor_id = cfg->sensor_id;
	wc.inputs = pl->nunits;
	wc.ifaces = pl->live ? (const char *const *)cfg->interfaces : NULL;
	wc.flows = &pl->flows;
	wc.live = pl->live;
	wc.alerts = pl->alerts;
	wc.geo = pl->geo;
	config_ndpi_files(cfg, &wc.ndpi_files);
	for (unsigned i = 0; i < cfg->workers; i++) {
		wc.id = i;
		wc.policy = policy_ref(pl->policy);
		pl->workers[i] = worker_start(&wc, err, sizeof(err));
		if (!pl->workers[i]) {
			log_error(&pl->log, "%s", err);
			return -1;
		}
		pl->nworkers++;
	}
	return 0;
}

/* workers.cpus, then capture.cpus: capture thread i (0: this thread) to
 * its i-th CPU, round robin.  The threads were started with the process's
 * whole affinity. */
static int zw_pin_threads(struct pipeline *pl)
{
	const struct cpu_list *wc = &pl->cfg->worker_cpus, *cc = &pl->cfg->capture_cpus;
	char err[256];

	for (unsigned i = 0; wc->n && i < pl->nworkers; i++)
		if (worker_pin(pl->workers[i], wc->cpu[i % wc->n], err, sizeof(err)) < 0) {
			log_error(&pl->log, "workers.cpus: worker %u: %s", i, err);
			return -1;
		}
	for (unsigned i = 0; cc->n && i < pl->nunits; i++)
		if (affinity_pin(i ? pl->units[i].thread : pthread_self(), cc->cpu[i % cc->n], err,
				 sizeof(err)) < 0) {
			log_error(&pl->log, "capture.cpus: capture thread %u: %s", i, err);
			return -1;
		}
	if (wc->n || cc->n)
		log_info(&pl->log, "pinned: %u worker(s) to workers.cpus, %u capture thread(s) to "
			 "capture.cpus", wc->n ? pl->nworkers : 0, cc->n ? pl->nunits : 0);
	return 0;
}

/* End the workers (every alert is then with the output), stop the output
 * (deliver or spool), write the final statistics. */
static void zw_stop_workers(struct pipeline *pl)
{
	/* capture is over: the alerts of the flows still open (often a burst)
	 * may wait for room in the output's queue rather than be dropped */
	if (pl->redis)
		output_set_wait_when_full(pl->redis, true);
	if (pl->detect)
		/* a replay's pending attempts failed; a stopping live sensor's
		 * are dropped (their answers may be on the way) */
		detect_close(pl->detect, policy_zones(pl->policy), !pl->live);
	for (unsigned i = 0; i < pl->nworkers; i++)
		for (unsigned in = 0; in < pl->nunits; in++)
			worker_push_end(pl->workers[i], in, pl->live ? zw_clock_us(CLOCK_REALTIME) :
					pl->units[0].last_ts_us);
	for (unsigned i = 0; i < pl->nworkers; i++)
		worker_join(pl->workers[i], &pl->finals[i]);
	if (pl->redis) {
		uint64_t t0 = zw_clock_us(CLOCK_MONOTONIC), spent_ms;

		/* deliver, then the last health checks (a loss is reported now
		 * if the path is clear, else kept for the next run) */
		output_drain(pl->redis, ZW_OUTPUT_STOP_MS);
		zw_health(pl);
		zw_heartbeat(pl, pl->finals);   /* the final counters, sent as the output stops */
		spent_ms = (zw_clock_us(CLOCK_MONOTONIC) - t0) / 1000u;
		output_stop(pl->redis, spent_ms + 1000u < ZW_OUTPUT_STOP_MS ?
			    (uint32_t)(ZW_OUTPUT_STOP_MS - spent_ms) : 1000u, &pl->redis_final);
		sink_set_tee(&pl->flows, NULL, NULL);   /* the output is gone */
		pl->redis = NULL;
		pl->redis_stopped = true;
	}
	zw_report_stats(pl, pl->finals);
	pl->nworkers = 0;
}

static void zw_usage(FILE *out)
{
	fprintf(out,
"usage: zw-sensor [options] -r FILE [-r FILE ...]   replay captures (pcap, pcapng; - = stdin)\n"
"       zw-sensor [options] -i INTERFACE             capture live until SIGINT/SIGTERM\n"
"\n"
"  -r FILE             read a capture file (repeatable, in order)\n"
"  -i IFACE            capture live from IFACE (libpcap)\n"
"  -f FILTER           BPF filter, e.g. \"not port 22\"\n"
"  -s SNAPLEN          bytes kept per packet (live; default 65535)\n"
"  -B SIZE             kernel capture buffer per socket (live; default 128M)\n"
"  -p                  do not put the interface in promiscuous mode\n"
"  -w N                worker threads (default 1)\n"
"  -c FILE             config file (see zw-sensor.conf.example)\n"
"  -o KEY=VALUE        set one config key, e.g. -o flow.timeout.udp=30s\n"
"  --flows FILE        flow records as JSON lines (- = stdout)\n"
"  --stats FILE        statistics as JSON lines (- = stdout)\n"
"  --stats-interval N  statistics every N seconds (default: at exit only)\n"
"  --sensor-id ID      name of this sensor in records (default: host name)\n"
"  -u USER             drop root to USER after opening the interface\n"
"  -q                  no statistics on stderr at exit\n"
"  -v                  more log output (repeat for debug)\n"
"  --check-config      load the config file and options, report errors, exit\n"
"  --alerts FILE       alerts as JSON lines (- = stdout)\n"
"  --rules DIR         rules directory (*.rules, lists/); config rules.dir\n"
"  --redis URL         alerts to a Redis stream: redis://[user:pass@]host:port/db,\n"
"                      unix:///path; spooled on disk while Redis is away\n"
"  --check-rules [DIR] load the zones, rules and lists (of DIR, else rules.dir),\n"
"                      print file:line:col errors, exit 0 if valid, 1 if not\n"
"  SIGHUP reloads zones, site lists, rules and lists; SIGUSR1 writes statistics\n"
"  --version, --help\n"
"\n"
"Exit status: 0 ok; 1 an input could not be opened or read to its end, or a\n"
"runtime error; 2 bad usage or configuration.\n");
}

enum { OPT_FLOWS = 256, OPT_STATS, OPT_STATS_INTERVAL, OPT_SENSOR_ID, OPT_VERSION, OPT_HELP,
       OPT_CHECK_CONFIG, OPT_ALERTS, OPT_RULES, OPT_CHECK_RULES, OPT_REDIS };

static const struct option zw_long_opts[] = {
	{ "flows", required_argument, NULL, OPT_FLOWS },
	{ "stats", required_argument, NULL, OPT_STATS },
	{ "stats-interval", required_argument, NULL, OPT_STATS_INTERVAL },
	{ "sensor-id", required_argument, NULL, OPT_SENSOR_ID },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
	{ "alerts", required_argument, NULL, OPT_ALERTS },
	{ "rules", required_argument, NULL, OPT_RULES },
	{ "check-rules", no_argument, NULL, OPT_CHECK_RULES },
	{ "redis", required_argument, NULL, OPT_REDIS },
	{ NULL, 0, NULL, 0 },
};

static const char zw_short_opts[] = "r:i:f:s:B:pw:c:o:u:qv";

/* Apply one command-line option to cfg.  0, or -1 with a reason in err. */
static int zw_apply_opt(struct config *cfg, int opt, const char *arg, char *err, size_t errlen)
{
	const char *eq;
	char key[128];

	switch (opt) {
	case 'r':
		if (cfg->nfiles >= CONFIG_MAX_FILES) {
			snprintf(err, errlen, "too many -r files (at most %d)", CONFIG_MAX_FILES);
			return -1;
		}
		cfg->files[cfg->nfiles] = strdup(arg);
		return cfg->files[cfg->nfiles++] ? 0 : -1;
	case 'i': return config_add_interface(cfg, arg, err, errlen);
	case 'f': return config_set(cfg, "capture.filter", arg, err, errlen);
	case 's': return config_set(cfg, "capture.snaplen", arg, err, errlen);
	case 'B': return config_set(cfg, "capture.buffer_size", arg, err, errlen);
	case 'p': return config_set(cfg, "capture.promiscuous", "no", err, errlen);
	case 'w': return config_set(cfg, "workers.count", arg, err, errlen);
	case 'u': return config_set(cfg, "privileges.user", arg, err, errlen);
	case 'q': cfg->quiet = 1; return 0;
	case OPT_FLOWS: return config_set(cfg, "output.flows", arg, err, errlen);
	case OPT_STATS: return config_set(cfg, "output.stats", arg, err, errlen);
	case OPT_STATS_INTERVAL: return config_set(cfg, "output.stats_interval", arg, err, errlen);
	case OPT_SENSOR_ID: return config_set(cfg, "sensor.id", arg, err, errlen);
	case OPT_ALERTS: return config_set(cfg, "output.alerts", arg, err, errlen);
	case OPT_RULES: return config_set(cfg, "rules.dir", arg, err, errlen);
	case OPT_REDIS: return config_set(cfg, "output.redis", arg, err, errlen);
	case 'o':
		eq = strchr(arg, '=');
		if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(key)) {
			snprintf(err, errlen, "-o wants KEY=VALUE, got '%s'", arg);
			return -1;
		}
		memcpy(key, arg, (size_t)(eq - arg));
		key[eq - arg] = '\0';
		return config_set(cfg, key, eq + 1, err, errlen);
	default:
		return 0;
	}
}

/* The config file (-c) and then the command line over it, into cfg.  Used
 * at start and by reloads.  0, or -1 with a reason in err. */
static int zw_load_config(struct config *cfg, int argc, char **argv, char *err, size_t errlen)
{
	const char *conf_path = NULL;
	char why[512];
	int opt;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, zw_short_opts, zw_long_opts, NULL)) != -1)
		if (opt == 'c')
			conf_path = optarg;
	if (conf_path && config_load(cfg, conf_path, err, errlen) < 0)
		return -1;
	if (conf_path && !(cfg->config_path = strdup(conf_path))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	optind = 1;
	while ((opt = getopt_long(argc, argv, zw_short_opts, zw_long_opts, NULL)) != -1) {
		if (zw_apply_opt(cfg, opt, optarg, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "-%c %s: %s", opt < 256 ? opt : '-', optarg ? optarg : "",
				 why);
			return -1;
		}
	}
	return 0;
}

/* --check-rules [DIR]: exit status 0 valid, 1 not. */
static int zw_check_rules(struct config *cfg, const char *dir)
{
	char err[1024];
	struct policy_info pi;
	struct policy *p;

	if (!dir)
		dir = cfg->rules_dir;
	if (!dir || !dir[0]) {
		fprintf(stderr, "zw-sensor: --check-rules: no directory given and no rules.dir in the config\n");
		return 1;
	}
	p = policy_load(cfg, dir, err, sizeof(err));
	if (!p) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	policy_info_get(p, &pi);
	printf("%s: %zu rules, %zu suppress, %zu lists (%llu entries), %u zones: valid (version %s)\n",
	       dir, pi.rules, pi.suppress, pi.lists, (unsigned long long)pi.list_entries, pi.zones,
	       pi.version);
	policy_unref(p);
	return 0;
}

/* Returns -1 to exit 0 (help/version printed), 0 to go on, or an exit
 * status (2 usage, 1 --check-rules found errors). */
static int zw_parse_args(struct config *cfg, int argc, char **argv, int *verbosity)
{
	char err[1024];
	int opt, check_only = 0, check_rules = 0;
	const char *rules_arg = NULL;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, zw_short_opts, zw_long_opts, NULL)) != -1) {
		switch (opt) {
		case 'v': (*verbosity)++; break;
		case OPT_CHECK_CONFIG: check_only = 1; break;
		case OPT_CHECK_RULES: check_rules = 1; break;
		case OPT_HELP: zw_usage(stdout); return -1;
		case OPT_VERSION:
			printf("zw-sensor %s (nDPI %s, %s)\n", ZW_VERSION, classify_ndpi_version(),
			       capture_lib_version());
			return -1;
		case '?':
			fprintf(stderr, "zw-sensor: bad option '%s' (or missing argument)\n",
				argv[optind - 1]);
			zw_usage(stderr);
			return 2;
		default: break;
		}
	}
	if (check_rules && optind == argc - 1)
		rules_arg = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "zw-sensor: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (zw_load_config(cfg, argc, argv, err, sizeof(err)) < 0) {
		fprintf(stderr, "zw-sensor: %s\n", err);
		return 2;
	}
	if (check_rules)
		return zw_check_rules(cfg, rules_arg) ? 1 : -1;
	if (check_only) {
		printf("zw-sensor: configuration %s is valid\n",
		       cfg->config_path ? cfg->config_path : "(defaults)");
		return -1;
	}
	if (config_check(cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "zw-sensor: %s\n", err);
		return 2;
	}
	return 0;
}

static void zw_log_policy(struct pipeline *pl, const char *what)
{
	struct policy_info pi;

	policy_info_get(pl->policy, &pi);
	log_info(&pl->log, "%s: %zu rules, %zu suppress, %zu lists (%llu entries), %u zones, "
		 "version %s", what, pi.rules, pi.suppress, pi.lists,
		 (unsigned long long)pi.list_entries, pi.zones, pi.version);
}

/* The workers' nDPI modules keep the files they were started with, so rule
 * names must resolve against those too: a changed ndpi.* key is logged and
 * ignored until a restart.  -1 when out of memory. */
static int zw_keep_ndpi_file(struct pipeline *pl, char **reloaded, const char *running,
			     const char *key)
{
	const char *a = *reloaded ? *reloaded : "", *b = running ? running : "";

	if (!strcmp(a, b))
		return 0;
	log_warn(&pl->log, "reload: ndpi.%s changed (%s -> %s): takes effect at restart", key,
		 b[0] ? b : "none", a[0] ? a : "none");
	free(*reloaded);
	*reloaded = running ? strdup(running) : NULL;
	return running && !*reloaded ? -1 : 0;
}

/* SIGHUP: read the config and rules again; on success every worker gets the
 * new policy before its next packet, on failure the old one stays. */
static void zw_reload(struct pipeline *pl)
{
	struct config nc;
	struct policy *np = NULL;
	char err[1024] = "";

	config_init(&nc);
	if (zw_load_config(&nc, pl->argc, pl->argv, err, sizeof(err)) == 0 &&
	    zw_keep_ndpi_file(pl, &nc.protos_file, pl->cfg->protos_file, "protocols_file") == 0 &&
	    zw_keep_ndpi_file(pl, &nc.categories_file, pl->cfg->categories_file, "categories_file") == 0 &&
	    zw_keep_ndpi_file(pl, &nc.risky_domains_file, pl->cfg->risky_domains_file,
			      "risky_domains_file") == 0 &&
	    zw_keep_ndpi_file(pl, &nc.malicious_ja3_file, pl->cfg->malicious_ja3_file,
			      "malicious_ja3_file") == 0 &&
	    zw_keep_ndpi_file(pl, &nc.malicious_sha1_file, pl->cfg->malicious_sha1_file,
			      "malicious_sha1_file") == 0)
		np = policy_load(&nc, nc.rules_dir, err, sizeof(err));
	else if (!err[0])
		snprintf(err, sizeof(err), "out of memory");
	config_fini(&nc);
	if (!np) {
		log_error(&pl->log, "reload failed, keeping the previous rules: %s", err);
		return;
	}
	for (unsigned i = 0; i < pl->nworkers; i++)
		worker_push_policy(pl->workers[i], policy_ref(np));
	zw_detect_lock(pl);   /* other capture threads give its zones to the detectors */
	policy_unref(pl->policy);
	pl->policy = np;
	zw_detect_unlock(pl);
	pl->st.reloads++;
	zw_log_policy(pl, "reloaded");
}

/* alertq -> the Redis output thread's queue */
static void zw_emit_redis(void *ctx, const char *line, size_t len, const struct alertq_item *it)
{
	output_push(ctx, line, len, it->sid, it->severity, it->id);
}

/* flow records -> the Redis flows stream (redis.flows) */
static void zw_tee_flows(void *ctx, const char *buf, size_t len)
{
	output_push_flows(ctx, buf, len);
}

static int zw_open_redis(struct pipeline *pl)
{
	const struct config *c = pl->cfg;
	struct output_config oc;
	char err[1024], shown[RLINK_MAX_URL];

	memset(&oc, 0, sizeof(oc));
	if (rlink_url_parse(c->redis_url, &oc.stream.url, err, sizeof(err)) < 0) {
		log_error(&pl->log, "output.redis: %s", err);
		return -1;
	}
	oc.stream.prefix = c->redis_prefix;
	oc.stream.sensor_id = c->sensor_id;
	oc.stream.maxlen = c->redis_maxlen;
	oc.stream.connect_timeout_ms = (uint32_t)c->redis_connect_timeout_ms;
	oc.stream.command_timeout_ms = (uint32_t)c->redis_command_timeout_ms;
	oc.stream.keepalive_s = (uint32_t)c->redis_keepalive_s;
	oc.spool.dir = c->spool_dir;
	oc.spool.max_bytes = c->spool_max_bytes;
	oc.spool.segment_bytes = c->spool_segment_bytes;
	oc.spool.fsync = !strcmp(c->spool_fsync, "none") ? SPOOL_FSYNC_NONE :
			 !strcmp(c->spool_fsync, "always") ? SPOOL_FSYNC_ALWAYS : SPOOL_FSYNC_SEGMENT;
	oc.queue_bytes = c->redis_queue_bytes;
	oc.wait_when_full = !pl->live;   /* replay: wait for Redis or the spool, lose nothing */
	oc.flows_queue_bytes = c->redis_flows ? c->redis_flows_queue_bytes : 0;
	oc.batch = (uint32_t)c->redis_batch;
	oc.heartbeat_s = (uint32_t)c->redis_heartbeat_s;
	oc.heartbeat_ttl_s = (uint32_t)c->redis_heartbeat_ttl_s;
	oc.log = &pl->log;
	pl->redis = output_start(&oc, err, sizeof(err));
	if (!pl->redis) {
		log_error(&pl->log, "%s", err);
		return -1;
	}
	rlink_url_redacted(&oc.stream.url, shown, sizeof(shown));
	log_info(&pl->log, "alerts to %s, stream %s:alerts, spool %s", shown, c->redis_prefix,
		 c->spool_dir);
	if (c->redis_flows) {
		sink_set_tee(&pl->flows, zw_tee_flows, pl->redis);
		log_info(&pl->log, "flow records to stream %s:flows (best effort)", c->redis_prefix);
	}
	return 0;
}

static int zw_open_outputs(struct pipeline *pl)
{
	char err[512];

	if (sink_open(&pl->flows, pl->cfg->flows_path, &pl->log, err, sizeof(err)) < 0 ||
	    sink_open(&pl->stats, pl->cfg->stats_path, &pl->log, err, sizeof(err)) < 0 ||
	    sink_open(&pl->alerts_out, pl->cfg->alerts_path, &pl->log, err, sizeof(err)) < 0) {
		log_error(&pl->log, "%s", err);
		return -1;
	}
	if (pl->cfg->redis_url && pl->cfg->redis_url[0] && zw_open_redis(pl) < 0)
		return -1;
	if (sink_enabled(&pl->alerts_out) || pl->redis) {
		const struct config *c = pl->cfg;
		struct health_config hc = {
			.drop_rate = (double)c->health_drop_ppm / 10000.0,
			.drop_min = c->health_drop_min,
			.drop_window_s = (uint32_t)c->health_drop_window_s,
			.capture_idle_s = (uint32_t)c->health_capture_idle_s,
			.spool_percent = (double)c->health_spool_ppm / 10000.0,
			.redis_down_s = (uint32_t)c->health_redis_down_s,
		};
		pl->alerts = alertq_new((unsigned)c->workers + (c->detect.enabled ? 1u : 0u),
					&pl->alerts_out,
					pl->redis ? zw_emit_redis : NULL, pl->redis);
		pl->health = health_new(&hc, c->sensor_id, &pl->log, zw_emit_health, pl);
		if (!pl->alerts || !pl->health) {
			log_error(&pl->log, "out of memory");
			return -1;
		}
	}
	return 0;
}

/* Zones, rules and lists; the GeoIP databases (a missing one is a warning). */
static int zw_open_policy(struct pipeline *pl)
{
	char err[1024];

	pl->policy = policy_load(pl->cfg, pl->cfg->rules_dir, err, sizeof(err));
	if (!pl->policy) {
		log_error(&pl->log, "%s", err);
		return -1;
	}
	zw_log_policy(pl, "rules loaded");
	if (!pl->alerts && rules_count(policy_rules(pl->policy)))
		log_info(&pl->log, "rules are loaded but no --alerts output is set: no alerts are written");
	if ((pl->cfg->geo_country && pl->cfg->geo_country[0]) ||
	    (pl->cfg->geo_asn && pl->cfg->geo_asn[0])) {
		pl->geo = geo_db_open(pl->cfg->geo_country, pl->cfg->geo_asn, err, sizeof(err));
		if (!pl->geo) {
			log_error(&pl->log, "out of memory");
			return -1;
		}
		if (err[0])
			log_warn(&pl->log, "%s", err);
		geo_db_describe(pl->geo, err, sizeof(err));
		log_info(&pl->log, "GeoIP: %s", err);
	}
	return 0;
}

/* The behavioural detectors: one more alertq producer, after the workers. */
static int zw_open_detect(struct pipeline *pl)
{
	char err[512];

	if (!pl->cfg->detect.enabled || !pl->alerts)
		return 0;
	pl->detect = detect_new(&pl->cfg->detect, pl->cfg->sensor_id, pl->alerts,
				(unsigned)pl->cfg->workers, pl->geo, err, sizeof(err));
	if (!pl->detect) {
		log_error(&pl->log, "%s", err);
		return -1;
	}
	return 0;
}

/* One unit per interface and fan-out socket (interface-major: unit
 * i * fanout + k is socket k of interface i). */
static int zw_open_live(struct pipeline *pl)
{
	const struct config *c = pl->cfg;
	char err[512];

	for (unsigned i = 0; i < c->ninterfaces; i++) {
		struct capture_live_opts o = {
			.snaplen = (int)c->snaplen,
			.buffer_bytes = (int)c->buffer_size,
			.promisc = c->promisc,
			.timeout_ms = 100,
			.fanout = c->fanout > 1,
			.fanout_group = -1,
		};

		for (unsigned k = 0; k < c->fanout; k++) {
			struct zw_unit *u = &pl->units[pl->nunits];

			u->cap = capture_open_live(c->interfaces[i], &o, c->filter, err, sizeof(err));
			if (!u->cap) {
				log_error(&pl->log, "%s", err);
				return -1;
			}
			pl->nunits++;
			u->iface = (uint8_t)i;
			u->iface_name = c->interfaces[i];
			if (zw_unit_dlt(pl, u) < 0)
				return -1;
			o.fanout_group = capture_fanout_group(u->cap);   /* the others join it */
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct pipeline pl;
	struct zw_timers timers = { 0, 0, 0, 0 };
	char err[512];
	int verbosity = 0, rc, status = 0;

	config_init(&cfg);
	memset(&pl, 0, sizeof(pl));
	pl.flows.fd = pl.stats.fd = pl.alerts_out.fd = -1;
	pl.argc = argc;
	pl.argv = argv;
	rc = zw_parse_args(&cfg, argc, argv, &verbosity);
	if (rc) {
		config_fini(&cfg);
		return rc < 0 ? 0 : rc;
	}
	pl.log.progname = "zw-sensor";
	pl.log.level = verbosity >= 2 ? LOG_LEVEL_DEBUG :
		       verbosity == 1 ? LOG_LEVEL_INFO :
		       cfg.quiet ? LOG_LEVEL_WARN : LOG_LEVEL_INFO;
	pl.cfg = &cfg;
	pl.live = cfg.ninterfaces > 0;
	pl.started_mono_us = zw_clock_us(CLOCK_MONOTONIC);
	for (unsigned i = 0; i < CONFIG_MAX_CAPTURE; i++) {
		pl.units[i].pl = &pl;
		pl.units[i].in = i;
		pthread_mutex_init(&pl.units[i].snap_mu, NULL);
	}
	pl.nunits = pl.live ? 0 : 1;   /* live: as many as zw_open_live opens */
	pthread_mutex_init(&pl.detect_mu, NULL);
	zw_install_signals();

	if (zw_open_outputs(&pl) < 0 || zw_open_policy(&pl) < 0 || zw_open_detect(&pl) < 0 ||
	    (pl.live && zw_open_live(&pl) < 0)) {
		status = 1;
		goto out;
	}
	if ((cfg.user || pl.live) && privdrop(cfg.user, err, sizeof(err)) < 0) {
		log_error(&pl.log, "%s", err);
		status = 1;
		goto out;
	}
	pl.detect_shared = pl.nunits > 1;
	if (zw_start_workers(&pl) < 0 || zw_start_units(&pl) < 0) {
		status = 1;
		goto out;
	}
	if (zw_pin_threads(&pl) < 0) {
		status = 2;
		goto out;
	}
	if (pl.live) {
		char names[CONFIG_MAX_IFACES * 17] = "";
		size_t n = 0;

		for (unsigned i = 0; i < cfg.ninterfaces && n < sizeof(names); i++)
			n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", i ? ", " : "",
					      cfg.interfaces[i]);
		log_info(&pl.log, "capturing on %s (%u capture thread(s)) with %u worker(s)", names,
			 pl.nunits, pl.nworkers);
		if (zw_run_source(&pl, &pl.units[0], &timers) < 0)
			status = 1;
	} else if (zw_run_files(&pl, &timers) < 0) {
		status = 1;
	}
	if (zw_stop_signal)
		log_info(&pl.log, "stopping on signal: flushing flows");
out:
	zw_stop_units(&pl);
	if (pl.nworkers)
		zw_stop_workers(&pl);
	output_stop(pl.redis, 0, NULL);   /* only when the workers never started */
	pl.redis = NULL;
	for (unsigned i = 0; i < CONFIG_MAX_CAPTURE; i++) {
		capture_close(pl.units[i].cap);
		pthread_mutex_destroy(&pl.units[i].snap_mu);
	}
	pthread_mutex_destroy(&pl.detect_mu);
	detect_free(pl.detect);
	alertq_free(pl.alerts);
	health_free(pl.health);
	policy_unref(pl.policy);
	geo_db_close(pl.geo);
	sink_close(&pl.flows);
	sink_close(&pl.stats);
	sink_close(&pl.alerts_out);
	config_fini(&cfg);
	return status;
}
