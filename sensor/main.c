/*
 * zw-sensor — options, wiring and signals.
 *
 * The main thread reads packets (files in order, or one live interface),
 * decodes them and hands each to the worker that owns its flow; workers
 * classify and write flow records.  See doc/architecture.md.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "classify.h"
#include "config.h"
#include "decode.h"
#include "flow.h"
#include "jsonw.h"
#include "log.h"
#include "privdrop.h"
#include "sink.h"
#include "stats.h"
#include "worker.h"

#define ZW_DISPATCH_BATCH 512
#define ZW_TICK_US        1000000u

/* The only mutable globals: set by signal handlers, read by the main loop. */
static volatile sig_atomic_t zw_stop_signal;
static volatile sig_atomic_t zw_stats_signal;

struct pipeline {
	struct config *cfg;
	struct log log;
	struct worker *workers[CONFIG_MAX_WORKERS];
	unsigned nworkers;
	struct sink flows, stats;
	int dlt;
	bool live;
	struct capture *live_cap;
	uint64_t started_mono_us;

	uint64_t last_ts_us;       /* newest packet time so far */
	bool file_start;           /* the next packet is the first of a file */
	struct stats_capture st;   /* the capture thread's counters */
};

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
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);   /* reload comes with the rules (policy engine) */
}

/* ---- packets ---------------------------------------------------------- */

static void zw_on_packet(void *ctx, uint64_t ts_us, const uint8_t *data, uint32_t caplen,
			 uint32_t wire_len)
{
	struct pipeline *pl = ctx;
	struct decoded d;
	struct flow_key key;
	unsigned shard;
	int rc;

	pl->st.packets++;
	pl->st.bytes += wire_len;
	if (pl->file_start) {
		/* An older capture after a newer one: end every flow first, so
		 * timeouts and flow times stay those of each file. */
		pl->file_start = false;
		if (ts_us < pl->last_ts_us) {
			for (unsigned i = 0; i < pl->nworkers; i++)
				worker_push_flush(pl->workers[i], pl->last_ts_us);
			pl->st.time_jumps++;
			pl->last_ts_us = 0;
		}
	}
	/* Packet time never goes backwards within a capture (as ndpiReader):
	 * then every timeout decision depends on packet times only, not on how
	 * packets are spread over workers. */
	if (ts_us < pl->last_ts_us)
		ts_us = pl->last_ts_us;
	pl->last_ts_us = ts_us;
	rc = decode_frame(pl->dlt, data, caplen, &d);
	pl->st.decode[rc >= 0 && rc < DECODE_NREASONS ? rc : DECODE_BAD_IP_HEADER]++;
	if (rc != DECODE_OK && rc != DECODE_FRAGMENT)
		return;
	flow_key_from_decoded(&key, &d);
	/* the shard hash has no ports: a later fragment finds its flow's worker */
	shard = (unsigned)(flow_key_shard_hash(&key) % pl->nworkers);
	if (rc == DECODE_FRAGMENT)
		rc = worker_push_fragment(pl->workers[shard], &d, &key, wire_len, ts_us, !pl->live);
	else
		rc = worker_push_packet(pl->workers[shard], &d, &key, flow_key_hash(&key),
					data + d.ip_offset, d.ip_len, wire_len, ts_us, !pl->live);
	if (rc < 0)
		pl->st.queue_drops++;
}

/* ---- statistics -------------------------------------------------------- */

static void zw_report_stats(struct pipeline *pl, const struct worker_stats *finals)
{
	struct worker_stats sum, one;
	struct jsonw w;

	if (pl->live_cap)
		capture_get_stats(pl->live_cap, &pl->st.kernel);
	memset(&sum, 0, sizeof(sum));
	for (unsigned i = 0; i < pl->nworkers; i++) {
		if (finals)
			one = finals[i];
		else
			worker_stats_snapshot(pl->workers[i], &one);
		stats_add_worker(&sum, &one);
	}
	if (!pl->cfg->quiet && (finals || !sink_enabled(&pl->stats)))
		stats_log(&pl->log, &pl->st, &sum);
	if (!sink_enabled(&pl->stats))
		return;
	jsonw_init(&w, 1u << 16);
	stats_json(&w, &pl->st, &sum, pl->cfg->sensor_id, zw_clock_us(CLOCK_REALTIME),
		   (zw_clock_us(CLOCK_MONOTONIC) - pl->started_mono_us) / 1000000u, finals != NULL);
	if (jsonw_ok(&w))
		sink_write(&pl->stats, w.buf, w.len);
	jsonw_fini(&w);
}

/* ---- input loop ---------------------------------------------------------- */

struct zw_timers {
	uint64_t next_stats_mono, next_tick_mono;
};

static void zw_periodic(struct pipeline *pl, struct zw_timers *t)
{
	uint64_t mono = zw_clock_us(CLOCK_MONOTONIC);

	if (pl->live && mono >= t->next_tick_mono) {
		uint64_t now = zw_clock_us(CLOCK_REALTIME);
		for (unsigned i = 0; i < pl->nworkers; i++)
			worker_push_tick(pl->workers[i], now);
		t->next_tick_mono = mono + ZW_TICK_US;
	}
	if (zw_stats_signal ||
	    (pl->cfg->stats_interval_s && mono >= t->next_stats_mono)) {
		zw_stats_signal = 0;
		zw_report_stats(pl, NULL);
		t->next_stats_mono = mono + pl->cfg->stats_interval_s * 1000000u;
	}
}

/* Read one source to its end (or until a stop signal).  0, or -1 on error. */
static int zw_run_source(struct pipeline *pl, struct capture *cap, struct zw_timers *t)
{
	char err[512];
	int n;

	pl->dlt = capture_datalink(cap);
	if (!decode_dlt_is_supported(pl->dlt)) {
		log_error(&pl->log, "%s: link type %d is not supported", capture_name(cap), pl->dlt);
		return -1;
	}
	while (!zw_stop_signal) {
		n = capture_dispatch(cap, ZW_DISPATCH_BATCH, zw_on_packet, pl, err, sizeof(err));
		if (n == CAPTURE_EOF || n == CAPTURE_BROKEN)
			break;
		if (n == CAPTURE_ERROR) {
			log_error(&pl->log, "%s (packets before this point were processed)", err);
			return -1;
		}
		zw_periodic(pl, t);
	}
	return 0;
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
		if (zw_run_source(pl, cap, t) < 0) {
			pl->st.input_errors++;
			rc = -1;
		}
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
	wc.flows = &pl->flows;
	wc.live = pl->live;
	for (unsigned i = 0; i < cfg->workers; i++) {
		wc.id = i;
		pl->workers[i] = worker_start(&wc, err, sizeof(err));
		if (!pl->workers[i]) {
			log_error(&pl->log, "%s", err);
			return -1;
		}
		pl->nworkers++;
	}
	return 0;
}

static void zw_stop_workers(struct pipeline *pl)
{
	struct worker_stats finals[CONFIG_MAX_WORKERS];

	for (unsigned i = 0; i < pl->nworkers; i++)
		worker_push_end(pl->workers[i], pl->live ? zw_clock_us(CLOCK_REALTIME) : pl->last_ts_us);
	for (unsigned i = 0; i < pl->nworkers; i++)
		worker_join(pl->workers[i], &finals[i]);
	zw_report_stats(pl, finals);
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
"  -B SIZE             kernel capture buffer, e.g. 64M (live)\n"
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
"  --version, --help\n"
"\n"
"Exit status: 0 ok; 1 an input could not be opened or read to its end, or a\n"
"runtime error; 2 bad usage or configuration.\n");
}

enum { OPT_FLOWS = 256, OPT_STATS, OPT_STATS_INTERVAL, OPT_SENSOR_ID, OPT_VERSION, OPT_HELP,
       OPT_CHECK_CONFIG };

static const struct option zw_long_opts[] = {
	{ "flows", required_argument, NULL, OPT_FLOWS },
	{ "stats", required_argument, NULL, OPT_STATS },
	{ "stats-interval", required_argument, NULL, OPT_STATS_INTERVAL },
	{ "sensor-id", required_argument, NULL, OPT_SENSOR_ID },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
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
	case 'i': return config_set(cfg, "capture.interface", arg, err, errlen);
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

/* Two passes: -c (and -v, --help, --version) first, so the command line can
 * override the config file.  Returns -1 to exit 0 (help/version printed),
 * 0 to go on, 2 on a usage error. */
static int zw_parse_args(struct config *cfg, int argc, char **argv, int *verbosity)
{
	char err[512];
	const char *conf_path = NULL;
	int opt, check_only = 0;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, zw_short_opts, zw_long_opts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 'v': (*verbosity)++; break;
		case OPT_CHECK_CONFIG: check_only = 1; break;
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
	if (optind < argc) {
		fprintf(stderr, "zw-sensor: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (conf_path && config_load(cfg, conf_path, err, sizeof(err)) < 0) {
		fprintf(stderr, "zw-sensor: %s\n", err);
		return 2;
	}
	optind = 1;
	while ((opt = getopt_long(argc, argv, zw_short_opts, zw_long_opts, NULL)) != -1) {
		if (zw_apply_opt(cfg, opt, optarg, err, sizeof(err)) < 0) {
			fprintf(stderr, "zw-sensor: -%c %s: %s\n", opt < 256 ? opt : '-', optarg ? optarg : "",
				err);
			return 2;
		}
	}
	if (check_only) {
		printf("zw-sensor: configuration %s is valid\n", conf_path ? conf_path : "(defaults)");
		return -1;
	}
	if (config_check(cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "zw-sensor: %s\n", err);
		return 2;
	}
	return 0;
}

static int zw_open_outputs(struct pipeline *pl)
{
	char err[512];

	if (sink_open(&pl->flows, pl->cfg->flows_path, &pl->log, err, sizeof(err)) < 0 ||
	    sink_open(&pl->stats, pl->cfg->stats_path, &pl->log, err, sizeof(err)) < 0) {
		log_error(&pl->log, "%s", err);
		return -1;
	}
	return 0;
}

static int zw_open_live(struct pipeline *pl)
{
	struct capture_live_opts o = {
		.snaplen = (int)pl->cfg->snaplen,
		.buffer_bytes = (int)pl->cfg->buffer_size,
		.promisc = pl->cfg->promisc,
		.timeout_ms = 100,
	};
	char err[512];

	pl->live_cap = capture_open_live(pl->cfg->interface, &o, pl->cfg->filter, err, sizeof(err));
	if (!pl->live_cap) {
		log_error(&pl->log, "%s", err);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct pipeline pl;
	struct zw_timers timers = { 0, 0 };
	char err[512];
	int verbosity = 0, rc, status = 0;

	config_init(&cfg);
	memset(&pl, 0, sizeof(pl));
	pl.flows.fd = pl.stats.fd = -1;
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
	pl.live = cfg.interface != NULL;
	pl.started_mono_us = zw_clock_us(CLOCK_MONOTONIC);
	zw_install_signals();

	if (zw_open_outputs(&pl) < 0 || (pl.live && zw_open_live(&pl) < 0)) {
		status = 1;
		goto out;
	}
	if ((cfg.user || pl.live) && privdrop(cfg.user, err, sizeof(err)) < 0) {
		log_error(&pl.log, "%s", err);
		status = 1;
		goto out;
	}
	if (zw_start_workers(&pl) < 0) {
		status = 1;
		goto out;
	}
	if (pl.live) {
		log_info(&pl.log, "capturing on %s with %u worker(s)", cfg.interface, pl.nworkers);
		if (zw_run_source(&pl, pl.live_cap, &timers) < 0)
			status = 1;
	} else if (zw_run_files(&pl, &timers) < 0) {
		status = 1;
	}
	if (zw_stop_signal)
		log_info(&pl.log, "stopping on signal: flushing flows");
out:
	if (pl.nworkers)
		zw_stop_workers(&pl);
	capture_close(pl.live_cap);
	sink_close(&pl.flows);
	sink_close(&pl.stats);
	config_fini(&cfg);
	return status;
}
