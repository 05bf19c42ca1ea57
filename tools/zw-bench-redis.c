/*
 * zw-bench-redis — throughput of the sensor's Redis output (sensor/output.c:
 * the memory queue, the output thread, MULTI/EXEC batches of XADDs, the
 * spool), without capture or classification in the way.
 *
 *   zw-bench-redis -u URL [-m direct|spool] [-n ALERTS] [-s BYTES]
 *                  [-b BATCH] [-r RATE] [-F none|segment|always]
 *                  [-i SENSOR_ID] [-p PREFIX] [-d DIR] [-t SECONDS]
 *   zw-bench-redis -S [-s BYTES]      print one synthetic alert line, exit
 *
 * Starts the output thread (output_start) against URL with a spool in a new
 * temporary directory (or DIR/spool), then pushes ALERTS (default 300,000)
 * synthetic alert lines of BYTES bytes each (default 600) with output_push
 * and polls output_stats_get until they are all accounted for.  The lines
 * look like the alerts of tests/redis/rules/every-flow.rules (fields of
 * doc/alerts.md, ndpi.hostname padded to the size); each has its own
 * alert_id and flow_id, and its "timestamp" is the moment it was pushed
 * (CLOCK_REALTIME), so that the stream entry's id minus the timestamp is the
 * time an alert spent in the output path.
 *
 * Modes:
 *   direct  Redis is up: the time from the first push until Redis has
 *           acknowledged them all (stats.sent == ALERTS).
 *   spool   two phases.  Fill: the output is pointed at a loopback port that
 *           refuses connections (a socket bound, never listening), so every
 *           alert goes to the spool; timed until stats.spooled == ALERTS.
 *           The output is stopped with the spool full, then started again
 *           against URL with the same spool directory (output_start
 *           recovers it) and timed until stats.sent == ALERTS: the drain
 *           after an outage.
 *
 * The output is run as for live capture: output_push never blocks and drops
 * when the memory queue is full, so the pusher keeps at most BENCH_WINDOW alerts in
 * flight (queued but not yet sent or spooled); the time it waits for room is
 * reported.  -r RATE paces the pushes at RATE alerts/s instead of as fast as
 * possible (for latency measurements at a given load).  A result is valid
 * only with nothing dropped (queue_dropped, spool_dropped 0): otherwise, or
 * when the alerts are not all delivered within -t SECONDS (default 300), the
 * tool says why and exits 1.  It does not read the stream back (hiredis is
 * only for sensor/stream.c): tests/bench/bench-redis.sh checks XLEN.
 *
 * The last line is for scripts:
 *   result mode=direct alerts=N bytes=B seconds=S rate=R queue_dropped=0 ...
 * (spool mode prints one for spool-fill and one for spool-drain).
 * Single producer thread plus the output's thread; no globals.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "log.h"
#include "output.h"
#include "stream.h"

#define BENCH_DEFAULT_ALERTS  300000u
#define BENCH_MAX_ALERTS      100000000u
#define BENCH_DEFAULT_BYTES   600u
#define BENCH_MAX_BYTES       65536u
#define BENCH_DEFAULT_BATCH   256u          /* redis.batch's default */
#define BENCH_MAX_BATCH       4096u
#define BENCH_DEFAULT_TIMEOUT 300u
#define BENCH_WINDOW          32768u        /* in flight: half of output.c's 65,536-item ring */
#define BENCH_CHECK_EVERY     256u          /* pushes between two looks at the window */
#define BENCH_POLL_NS         1000000L      /* 1 ms between two output_stats_get */
#define BENCH_SEED            0x2e5b0c1d9a7f4e31ull

enum bench_mode { BENCH_DIRECT, BENCH_SPOOL };

struct bench {
	enum bench_mode mode;
	uint32_t n, bytes, batch, rate, timeout_s;
	uint32_t pad;                          /* bytes - the unpadded length */
	enum spool_fsync fsync;
	const char *url, *sensor_id, *prefix;
	char spool_dir[4096];
	char filler[BENCH_MAX_BYTES];          /* ndpi.hostname padding */
	char *line;                            /* BENCH_MAX_BYTES + 1 */
	struct log log;
};

/* What one timed phase saw. */
struct bench_phase {
	const char *name;
	double seconds, push_seconds, wait_seconds;
	struct output_stats st;
};

static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void bench_sleep(double secs)
{
	struct timespec d;

	if (secs <= 0)
		return;
	d.tv_sec = (time_t)secs;
	d.tv_nsec = (long)((secs - (double)d.tv_sec) * 1e9);
	nanosleep(&d, NULL);
}

static uint64_t bench_mix(uint64_t x)
{
	/* splitmix64's finaliser: distinct inputs give distinct outputs */
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* "2026-11-26T20:39:51.123456+0000", as alert.c writes packet time. */
static void bench_time(const struct timespec *ts, char *out, size_t outlen)
{
	struct tm tm;
	time_t sec = ts->tv_sec;

	gmtime_r(&sec, &tm);
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%06ld+0000", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts->tv_nsec / 1000);
}

/* Alert i, stamped ts, with pad bytes of padding in ndpi.hostname.  Every
 * field that varies has a fixed width, so all alerts have the same length
 * for the same pad.  The length, or -1 if it does not fit. */
static int bench_format(struct bench *b, uint32_t i, const struct timespec *ts, uint32_t pad,
			char *alert_id)
{
	uint64_t h1 = bench_mix(BENCH_SEED ^ i), h2 = bench_mix(h1 ^ i);
	/* 19 digits, below 2^63 (JSON readers take flow_id as an int64) */
	uint64_t flow_id = 1000000000000000000ull + h1 % 8000000000000000000ull;
	struct timespec start = *ts;
	char now[80], first[80];
	int len;

	start.tv_sec -= 1 + (time_t)(h2 % 9);
	bench_time(ts, now, sizeof(now));
	bench_time(&start, first, sizeof(first));
	snprintf(alert_id, 33, "%016" PRIx64 "%016" PRIx64, h1, h2);
	len = snprintf(b->line, BENCH_MAX_BYTES + 1,
		       "{\"timestamp\":\"%s\",\"flow_id\":%" PRIu64 ",\"event_type\":\"alert\","
		       "\"schema_version\":1,\"sensor\":\"%s\",\"alert_id\":\"%s\",\"proto\":\"TCP\","
		       "\"src_ip\":\"10.%u.%u.%u\",\"src_port\":%u,\"dest_ip\":\"192.0.2.%u\","
		       "\"dest_port\":443,\"app_proto\":\"TLS\",\"alert\":{\"action\":\"allowed\","
		       "\"gid\":1,\"signature_id\":9500,\"rev\":1,\"signature\":\"every flow (bench)\","
		       "\"severity\":5,\"category\":\"Fault\"},"
		       "\"ndpi\":{\"app\":\"TLS\",\"hostname\":\"h%08x.%.*sexample.net\"},"
		       "\"flow\":{\"pkts_toserver\":%u,\"pkts_toclient\":%u,\"start\":\"%s\"},"
		       "\"trigger\":\"classified\"}",
		       now, flow_id, b->sensor_id, alert_id, 100u + (unsigned)(h2 >> 56) % 100u,
		       100u + (unsigned)(h2 >> 48) % 100u, 100u + (unsigned)(h2 >> 40) % 100u,
		       10000u + (unsigned)(h2 >> 24) % 55000u, 100u + (unsigned)(h2 >> 16) % 100u, i,
		       (int)pad, b->filler, 3u + (unsigned)(h2 % 7), 2u + (unsigned)(h2 >> 4) % 7, first);
	return len > 0 && (unsigned)len <= BENCH_MAX_BYTES ? len : -1;
}

/* The line of alert i, b->bytes long; -1 if it is not (cannot happen once
 * main has sized the padding). */
static int bench_line(struct bench *b, uint32_t i, const struct timespec *ts, char *alert_id)
{
	int len = bench_format(b, i, ts, b->pad, alert_id);

	return len == (int)b->bytes ? len : -1;
}

/* Alerts in flight: queued, not yet sent, spooled or refused. */
static uint64_t bench_outstanding(const struct output_stats *st, bool spooling)
{
	/* spooling: nothing is sent; otherwise nothing should be spooled, and
	 * what is sent from the spool would be counted twice */
	uint64_t done = st->spooled + st->spool_dropped + st->skipped + (spooling ? 0 : st->sent);

	return st->queued > done ? st->queued - done : 0;
}

/* Push b->n alerts into o (paced at b->rate if set), keeping at most
 * BENCH_WINDOW in flight.  Fills push_seconds and wait_seconds of ph. */
static int bench_push(struct bench *b, struct output *o, double t0, struct bench_phase *ph,
		      bool spooling)
{
	struct output_stats st;
	char alert_id[33];
	struct timespec ts;
	double waited = 0;

	for (uint32_t i = 0; i < b->n; i++) {
		int len;

		if (b->rate)
			bench_sleep(t0 + (double)i / (double)b->rate - bench_now());
		if (i % BENCH_CHECK_EVERY == 0) {
			double w0 = bench_now();

			for (;;) {
				output_stats_get(o, &st);
				if (bench_outstanding(&st, spooling) + BENCH_CHECK_EVERY <= BENCH_WINDOW)
					break;
				bench_sleep(100e-6);
			}
			waited += bench_now() - w0;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		len = bench_line(b, i, &ts, alert_id);
		if (len < 0) {
			fprintf(stderr, "zw-bench-redis: alert %u does not fit in %u bytes\n", i, b->bytes);
			return -1;
		}
		output_push(o, b->line, (size_t)len, 9500, 5, alert_id);
	}
	ph->push_seconds = bench_now() - t0;
	ph->wait_seconds = waited;
	return 0;
}

/* Poll until done(stats) or the timeout; the seconds since t0 in ph. */
static int bench_wait(const struct bench *b, struct output *o, double t0, struct bench_phase *ph,
		      bool spooling)
{
	struct timespec d = { 0, BENCH_POLL_NS };

	for (;;) {
		double now = bench_now();
		uint64_t done;

		output_stats_get(o, &ph->st);
		done = spooling ? ph->st.spooled + ph->st.spool_dropped : ph->st.sent;
		if (done >= b->n || ph->st.queue_dropped + ph->st.spool_dropped > 0) {
			ph->seconds = now - t0;
			break;
		}
		if (!spooling && ph->st.spooled > 0) {
			fprintf(stderr, "zw-bench-redis: %s: INVALID: Redis failed, %" PRIu64 " alerts went "
				"to the spool (connect failures %" PRIu64 ", send failures %" PRIu64 ")\n",
				ph->name, ph->st.spooled, ph->st.connect_failures, ph->st.send_failures);
			return -1;
		}
		if (now - t0 > (double)b->timeout_s) {
			fprintf(stderr, "zw-bench-redis: %s: %" PRIu64 " of %u alerts done after %u s "
				"(sent %" PRIu64 ", spooled %" PRIu64 ", connect failures %" PRIu64
				", send failures %" PRIu64 ")\n", ph->name, done, b->n, b->timeout_s,
				ph->st.sent, ph->st.spooled, ph->st.connect_failures, ph->st.send_failures);
			return -1;
		}
		nanosleep(&d, NULL);
	}
	if (ph->st.queue_dropped + ph->st.spool_dropped > 0) {
		fprintf(stderr, "zw-bench-redis: %s: INVALID: %" PRIu64 " alerts dropped by the memory "
			"queue, %" PRIu64 " by the spool\n", ph->name, ph->st.queue_dropped,
			ph->st.spool_dropped);
		return -1;
	}
	return 0;
}

static void bench_report(const struct bench *b, const struct bench_phase *ph)
{
	const struct output_stats *st = &ph->st;
	double rate = ph->seconds > 0 ? (double)b->n / ph->seconds : 0;

	printf("redis: %s: %u alerts in %.3f s: %.0f alerts/s, %.1f MB/s of JSON", ph->name, b->n,
	       ph->seconds, rate, rate * b->bytes / 1e6);
	if (st->batches)
		printf("; %" PRIu64 " batches (%.1f alerts each)", st->batches,
		       (double)st->sent / (double)st->batches);
	printf("\n");
	if (ph->push_seconds > 0)
		printf("redis: %s: pushing took %.3f s, %.3f s of it waiting for room in the queue "
		       "(at most %u in flight)\n", ph->name, ph->push_seconds, ph->wait_seconds,
		       BENCH_WINDOW);
	printf("result mode=%s alerts=%u bytes=%u seconds=%.6f rate=%.0f queue_dropped=%" PRIu64
	       " spool_dropped=%" PRIu64 " spooled=%" PRIu64 " sent=%" PRIu64 " batches=%" PRIu64
	       " send_failures=%" PRIu64 "\n", ph->name, b->n, b->bytes, ph->seconds, rate,
	       st->queue_dropped, st->spool_dropped, st->spooled, st->sent, st->batches,
	       st->send_failures);
	fflush(stdout);
}

static void bench_config(const struct bench *b, struct output_config *oc, const struct rlink_url *url,
			 bool quiet)
{
	memset(oc, 0, sizeof(*oc));
	oc->stream.url = *url;
	oc->stream.prefix = b->prefix;
	oc->stream.sensor_id = b->sensor_id;
	oc->stream.maxlen = 1000000;                  /* redis.maxlen's default */
	oc->stream.connect_timeout_ms = 2000;
	oc->stream.command_timeout_ms = 10000;        /* a slow AOF must not fail a batch */
	oc->spool.dir = b->spool_dir;
	/* room for all of them: the default 1 GiB, or more for big runs */
	oc->spool.max_bytes = (uint64_t)b->n * (b->bytes + 128u) + (64u << 20);
	if (oc->spool.max_bytes < (1ull << 30))
		oc->spool.max_bytes = 1ull << 30;
	oc->spool.segment_bytes = 16u << 20;          /* spool.segment_size's default */
	oc->spool.fsync = b->fsync;
	oc->queue_bytes = 1ull << 31;                 /* the item ring is the limit */
	oc->batch = b->batch;
	oc->retry_ms = 100;
	oc->heartbeat_s = 0;
	oc->log = quiet ? NULL : &b->log;
}

/* One phase: start an output on url, push (unless push is false), wait. */
static int bench_phase_run(struct bench *b, const struct rlink_url *url, struct bench_phase *ph,
			   bool push, bool spooling)
{
	struct output_config oc;
	struct output *o;
	char err[512];
	double t0;
	int rc;

	bench_config(b, &oc, url, spooling);
	t0 = bench_now();
	o = output_start(&oc, err, sizeof(err));
	if (!o) {
		fprintf(stderr, "zw-bench-redis: output_start: %s\n", err);
		return -1;
	}
	if (push) {
		t0 = bench_now();   /* the clock of a push phase starts at the first push */
		rc = bench_push(b, o, t0, ph, spooling);
	} else {
		rc = 0;
	}
	if (rc == 0)
		rc = bench_wait(b, o, t0, ph, spooling);
	/* all delivered, or spooling (the next phase drains the spool), or
	 * failed: nothing to wait for */
	output_stop(o, 0, NULL);
	return rc;
}

/* A loopback port that refuses connections while fd stays open: bound,
 * never listening. */
static int bench_refusing_port(int *fd_out)
{
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &salen) != 0) {
		close(fd);
		return -1;
	}
	*fd_out = fd;
	return ntohs(sa.sin_port);
}

/* Remove the spool directory's files, then the directory. */
static void bench_rmdir(const char *dir)
{
	char path[4352];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d) {
		while ((de = readdir(d)) != NULL) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
}

static void bench_usage(void)
{
	fprintf(stderr, "usage: zw-bench-redis -u URL [-m direct|spool] [-n ALERTS] [-s BYTES] [-b BATCH]\n"
			"                      [-r RATE] [-F none|segment|always] [-i SENSOR_ID] [-p PREFIX]\n"
			"                      [-d DIR] [-t SECONDS]\n"
			"       zw-bench-redis -S [-s BYTES]\n");
}

static int bench_number(const char *arg, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 0);
	if (errno || end == arg || *end || v < min || v > max || arg[0] == '-') {
		fprintf(stderr, "zw-bench-redis: bad number '%s' (%" PRIu64 "..%" PRIu64 ")\n", arg, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	struct bench *b = calloc(1, sizeof(*b));
	char tmpdir[] = "/tmp/zw-bench-redis.XXXXXX", err[256], shown[RLINK_MAX_URL], alert_id[33];
	char down_url[64];
	const char *dir = NULL;
	struct rlink_url url, down;
	struct bench_phase fill = { .name = "spool-fill" }, drain = { .name = "spool-drain" },
			   direct = { .name = "direct" };
	struct timespec ts;
	bool sample = false;
	uint64_t v;
	int opt, rc = 1, refuse_fd = -1, port, len;
	struct stat sb;

	if (!b || !(b->line = malloc(BENCH_MAX_BYTES + 1))) {
		fprintf(stderr, "zw-bench-redis: out of memory\n");
		goto out;
	}
	b->mode = BENCH_DIRECT;
	b->n = BENCH_DEFAULT_ALERTS;
	b->bytes = BENCH_DEFAULT_BYTES;
	b->batch = BENCH_DEFAULT_BATCH;
	b->fsync = SPOOL_FSYNC_SEGMENT;          /* spool.fsync's default */
	b->timeout_s = BENCH_DEFAULT_TIMEOUT;
	b->sensor_id = "zw-bench";
	b->prefix = "zw";
	b->log.progname = "zw-bench-redis";
	b->log.level = LOG_LEVEL_WARN;
	for (size_t i = 0; i < sizeof(b->filler); i++)
		b->filler[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[i % 36];

	while ((opt = getopt(argc, argv, "u:m:n:s:b:r:i:p:d:t:F:Sh")) != -1) {
		switch (opt) {
		case 'u':
			b->url = optarg;
			break;
		case 'm':
			if (!strcmp(optarg, "direct")) {
				b->mode = BENCH_DIRECT;
			} else if (!strcmp(optarg, "spool")) {
				b->mode = BENCH_SPOOL;
			} else {
				fprintf(stderr, "zw-bench-redis: mode '%s' is not direct or spool\n", optarg);
				goto usage;
			}
			break;
		case 'n':
			if (bench_number(optarg, 1, BENCH_MAX_ALERTS, &v) < 0)
				goto usage;
			b->n = (uint32_t)v;
			break;
		case 's':
			if (bench_number(optarg, 1, BENCH_MAX_BYTES, &v) < 0)
				goto usage;
			b->bytes = (uint32_t)v;
			break;
		case 'b':
			if (bench_number(optarg, 1, BENCH_MAX_BATCH, &v) < 0)
				goto usage;
			b->batch = (uint32_t)v;
			break;
		case 'r':
			if (bench_number(optarg, 1, 10000000, &v) < 0)
				goto usage;
			b->rate = (uint32_t)v;
			break;
		case 'i':
			b->sensor_id = optarg;
			break;
		case 'p':
			b->prefix = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 't':
			if (bench_number(optarg, 1, 86400, &v) < 0)
				goto usage;
			b->timeout_s = (uint32_t)v;
			break;
		case 'F':
			if (!strcmp(optarg, "none")) {
				b->fsync = SPOOL_FSYNC_NONE;
			} else if (!strcmp(optarg, "segment")) {
				b->fsync = SPOOL_FSYNC_SEGMENT;
			} else if (!strcmp(optarg, "always")) {
				b->fsync = SPOOL_FSYNC_ALWAYS;
			} else {
				fprintf(stderr, "zw-bench-redis: -F '%s' is not none, segment or always\n", optarg);
				goto usage;
			}
			break;
		case 'S':
			sample = true;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc || (!sample && !b->url))
		goto usage;

	/* every line has the same length without padding: pad to -s */
	clock_gettime(CLOCK_REALTIME, &ts);
	len = bench_format(b, 0, &ts, 0, alert_id);
	if (len < 0 || (uint32_t)len > b->bytes) {
		fprintf(stderr, "zw-bench-redis: -s %u: the synthetic alert needs at least %d bytes\n",
			b->bytes, len);
		goto usage;
	}
	b->pad = b->bytes - (uint32_t)len;
	if (sample) {
		len = bench_line(b, 0, &ts, alert_id);
		printf("%.*s\n", len, b->line);
		rc = 0;
		goto out;
	}
	if (rlink_url_parse(b->url, &url, err, sizeof(err)) < 0) {
		fprintf(stderr, "zw-bench-redis: -u: %s\n", err);
		goto usage;
	}
	if (dir == NULL) {
		if (mkdtemp(tmpdir) == NULL) {
			fprintf(stderr, "zw-bench-redis: mkdtemp: %s\n", strerror(errno));
			goto out;
		}
	} else if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "zw-bench-redis: %s: not a directory\n", dir);
		goto usage;
	}
	snprintf(b->spool_dir, sizeof(b->spool_dir), "%s/spool", dir ? dir : tmpdir);
	signal(SIGPIPE, SIG_IGN);   /* stream.h: hiredis 0.14 writes with write(2) */

	rlink_url_redacted(&url, shown, sizeof(shown));
	printf("redis: mode %s, %u alerts of %u bytes, batch %u, %s, to %s (stream %s:alerts), "
	       "spool %s (fsync %s)\n", b->mode == BENCH_DIRECT ? "direct" : "spool", b->n, b->bytes,
	       b->batch, b->rate ? "paced" : "as fast as possible", shown, b->prefix, b->spool_dir,
	       b->fsync == SPOOL_FSYNC_NONE ? "none" : b->fsync == SPOOL_FSYNC_ALWAYS ? "always" : "segment");
	if (b->rate)
		printf("redis: pushes paced at %u alerts/s\n", b->rate);
	fflush(stdout);

	if (b->mode == BENCH_DIRECT) {
		if (bench_phase_run(b, &url, &direct, true, false) < 0)
			goto out;
		bench_report(b, &direct);
		rc = 0;
		goto out;
	}

	/* spool: fill it while "Redis" refuses, then drain it into URL */
	port = bench_refusing_port(&refuse_fd);
	if (port < 0) {
		fprintf(stderr, "zw-bench-redis: cannot bind a loopback port: %s\n", strerror(errno));
		goto out;
	}
	snprintf(down_url, sizeof(down_url), "redis://127.0.0.1:%d", port);
	if (rlink_url_parse(down_url, &down, err, sizeof(err)) < 0) {
		fprintf(stderr, "zw-bench-redis: %s\n", err);
		goto out;
	}
	printf("redis: spool-fill: Redis unreachable (127.0.0.1:%d refuses connections)\n", port);
	fflush(stdout);
	if (bench_phase_run(b, &down, &fill, true, true) < 0)
		goto out;
	bench_report(b, &fill);
	printf("redis: spool-fill: spool holds %" PRIu64 " records, %.1f MB in %" PRIu64 " segments\n",
	       fill.st.spool.records, (double)fill.st.spool.bytes / 1e6, fill.st.spool.segments);
	printf("redis: spool-drain: output restarted against the live server, same spool\n");
	fflush(stdout);
	if (bench_phase_run(b, &url, &drain, false, false) < 0)
		goto out;
	bench_report(b, &drain);
	rc = 0;
out:
	if (refuse_fd >= 0)
		close(refuse_fd);
	if (b && b->spool_dir[0])
		bench_rmdir(b->spool_dir);
	if (b && b->spool_dir[0] && dir == NULL)
		rmdir(tmpdir);
	if (b)
		free(b->line);
	free(b);
	return rc;
usage:
	bench_usage();
	rc = 2;
	goto out;
}
