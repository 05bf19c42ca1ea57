/*
 * zw-bench-collector — the collector's store benchmark (tests/bench/
 * bench-collector.sh runs it): ingest rate and query latency.
 *
 *   zw-bench-collector --templates FILE --store PATH [--alerts N] [--batch N]
 *                      [--sensors N] [--days N] [--lines-out FILE] [--runs N]
 *
 * Ingest: N alerts (1,000,000) made from real alert lines (FILE: a sensor's
 * --alerts output), each with its own alert_id, a time spread evenly over
 * the last --days (30), one of --sensors (30) sensor names and a source
 * address among 4,096 (10.0.0.0/20: a city's internet-zone PCs), are parsed by the collector's parser
 * (alert_parse) and written with store_put_batch in batches of --batch
 * (500): the work `zw-collector run` does per entry, without Redis.  It
 * prints alerts/s for the whole and per tenth (does it slow down as the
 * store grows?), and how the time splits between parsing and storing.
 * --lines-out writes the same lines (for the peer in bench-collector.sh).
 *
 * Queries, on the store just filled, each --runs (20) times, median and
 * worst: an IP over 24 h (the target: under 50 ms), a /24 over 7
 * days, a sensor over 24 h (100 newest), the 100 newest, top rules over 24
 * h, top sources over 7 days.
 *
 * Exit 0 when it ran (targets met or not), 1 when something failed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "alert_parse.h"
#include "query.h"
#include "store.h"

#define BENCH_TEMPLATES_MAX 4096
#define BENCH_LINE_MAX      16384
#define BENCH_QUERIES       6

struct bench {
	char *templates[BENCH_TEMPLATES_MAX];
	size_t ntemplates;
	uint64_t alerts, batch, sensors, days, runs;
	const char *store_path, *lines_out;
	int64_t now_us;
};

static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system) of this process so far */
static double bench_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

static int bench_load(struct bench *b, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f) {
		fprintf(stderr, "zw-bench-collector: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, f)) > 0 && b->ntemplates < BENCH_TEMPLATES_MAX) {
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		/* rule alerts with the fields replaced below */
		if (n < 64 || n >= BENCH_LINE_MAX / 2 || !strstr(line, "\"event_type\":\"alert\"") ||
		    !strstr(line, "\"src_ip\":\"") || !strstr(line, "\"sensor\":\"") ||
		    !strstr(line, "\"timestamp\":\"") || !strstr(line, "\"alert_id\":\""))
			continue;
		b->templates[b->ntemplates] = strdup(line);
		if (!b->templates[b->ntemplates])
			break;
		b->ntemplates++;
	}
	free(line);
	fclose(f);
	if (!b->ntemplates) {
		fprintf(stderr, "zw-bench-collector: %s: no rule alert lines to use as templates\n", path);
		return -1;
	}
	return 0;
}

/* Copy in to out, the string value of each "key":"..." in keys replaced by
 * the matching value.  Length of out, or 0 if it does not fit. */
static size_t bench_subst(const char *in, const char *const *keys, const char *const *vals, size_t n,
			  char *out, size_t cap)
{
	size_t o = 0;
	const char *p = in;

	for (;;) {
		const char *best = NULL;
		size_t bi = 0, klen = 0;

		for (size_t i = 0; i < n; i++) {
			char pat[64];
			const char *hit;

			snprintf(pat, sizeof(pat), "\"%s\":\"", keys[i]);
			hit = strstr(p, pat);
			if (hit && (!best || hit < best)) {
				best = hit;
				bi = i;
				klen = strlen(pat);
			}
		}
		if (!best)
			break;
		{
			const char *vstart = best + klen, *vend = strchr(vstart, '"');
			size_t pre = (size_t)(vstart - p), vl = strlen(vals[bi]);

			if (!vend || o + pre + vl >= cap)
				return 0;
			memcpy(out + o, p, pre);
			o += pre;
			memcpy(out + o, vals[bi], vl);
			o += vl;
			p = vend;
		}
	}
	if (o + strlen(p) >= cap)
		return 0;
	memcpy(out + o, p, strlen(p) + 1);
	return o + strlen(p);
}

/* The i-th alert line into out; its source address into src. */
static size_t bench_line(const struct bench *b, uint64_t i, char *out, size_t cap, char *src, size_t srclen)
{
	static const char *const keys[] = { "alert_id", "timestamp", "sensor", "src_ip" };
	char id[33], ts[96], sensor[32];
	const char *vals[4] = { id, ts, sensor, src };
	int64_t span_us = (int64_t)b->days * 86400 * 1000000;
	int64_t t = b->now_us - span_us + (int64_t)((double)span_us * (double)i / (double)b->alerts);
	time_t secs = (time_t)(t / 1000000);
	struct tm tm;
	uint64_t h = (i + 1) * 0x9e3779b97f4a7c15ULL;

	gmtime_r(&secs, &tm);
	snprintf(id, sizeof(id), "%016" PRIx64 "%016" PRIx64, h, i);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%06d+0000", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(t % 1000000));
	snprintf(sensor, sizeof(sensor), "bench-%02" PRIu64, (h >> 20) % b->sensors);
	snprintf(src, srclen, "10.0.%" PRIu64 ".%" PRIu64, (h >> 40) & 0xf, (h >> 48) & 0xff);
	return bench_subst(b->templates[i % b->ntemplates], keys, vals, 4, out, cap);
}

static int bench_ingest(struct bench *b, struct store *s)
{
	struct alert_rec *recs = calloc(b->batch, sizeof(*recs));
	char *line = malloc(BENCH_LINE_MAX), src[32], why[256], err[512];
	FILE *lines = NULL;
	double t0 = bench_now(), c0 = bench_cpu(), tparse = 0, tstore = 0, tenth_start = t0;
	uint64_t done = 0, next_tenth = b->alerts / 10, inserted = 0;

	if (!recs || !line)
		goto fail;
	if (b->lines_out && !(lines = fopen(b->lines_out, "w"))) {
		fprintf(stderr, "zw-bench-collector: %s: %s\n", b->lines_out, strerror(errno));
		goto fail;
	}
	printf("ingest: %" PRIu64 " alerts from %zu templates, batches of %" PRIu64 ", %" PRIu64
	       " sensors, %" PRIu64 " days\n", b->alerts, b->ntemplates, b->batch, b->sensors, b->days);
	while (done < b->alerts) {
		uint64_t n = b->alerts - done < b->batch ? b->alerts - done : b->batch;
		struct store_put_result res;
		double t1 = bench_now(), t2;

		for (uint64_t k = 0; k < n; k++) {
			size_t len = bench_line(b, done + k, line, BENCH_LINE_MAX, src, sizeof(src));

			if (!len || alert_parse(line, len, &recs[k], why, sizeof(why)) < 0) {
				fprintf(stderr, "zw-bench-collector: generated line %" PRIu64 " refused: %s\n",
					done + k, len ? why : "too long");
				goto fail;
			}
			if (lines)
				fprintf(lines, "%s\n", line);
		}
		t2 = bench_now();
		tparse += t2 - t1;
		if (store_put_batch(s, recs, n, b->now_us, &res, err, sizeof(err)) < 0) {
			fprintf(stderr, "zw-bench-collector: store: %s\n", err);
			goto fail;
		}
		tstore += bench_now() - t2;
		inserted += res.inserted;
		for (uint64_t k = 0; k < n; k++)
			alert_rec_fini(&recs[k]);
		done += n;
		if (next_tenth && done >= next_tenth) {
			double t = bench_now();
			printf("  %7" PRIu64 " alerts stored: this tenth %.0f alerts/s\n", done,
			       (double)(b->alerts / 10) / (t - tenth_start));
			tenth_start = t;
			next_tenth += b->alerts / 10;
		}
	}
	{
		double total = bench_now() - t0, cpu = bench_cpu() - c0;
		printf("ingest: %" PRIu64 " alerts (%" PRIu64 " new) in %.2f s: %.0f alerts/s"
		       " (parse %.2f s, store %.2f s; store alone %.0f alerts/s; CPU %.2f s, %.1f us/alert)\n",
		       done, inserted, total, (double)done / total, tparse, tstore, (double)done / tstore,
		       cpu, cpu * 1e6 / (double)done);
		printf("RESULT ingest_alerts_per_s %.0f\n", (double)done / total);
	}
	if (lines && fclose(lines) != 0) {
		lines = NULL;
		goto fail;
	}
	free(recs);
	free(line);
	return 0;
fail:
	if (lines)
		fclose(lines);
	free(recs);
	free(line);
	return -1;
}

static int bench_count_row(void *ctx, const struct query_row *row)
{
	(void)row;
	(*(uint64_t *)ctx)++;
	return 0;
}

static int bench_count_group(void *ctx, const struct query_count *c)
{
	(void)c;
	(*(uint64_t *)ctx)++;
	return 0;
}

static int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int bench_queries(struct bench *b, struct store *s)
{
	static const char *const names[BENCH_QUERIES] = {
		"ip 10.0.7.7, last 24 h", "ip 10.0.7.0/24, last 7 days",
		"sensor bench-03, last 24 h, 100 newest", "last 24 h, 100 newest",
		"top 10 rules, last 24 h", "top 10 sources, last 7 days",
	};
	double *ms = calloc(b->runs, sizeof(*ms));
	char err[512];

	if (!ms)
		return -1;
	for (int q = 0; q < BENCH_QUERIES; q++) {
		struct query_filter f;
		uint64_t rows = 0;

		query_filter_init(&f);
		f.to_us = b->now_us + 1;
		f.from_us = b->now_us - (q == 1 || q == 5 ? 7 : 1) * 86400LL * 1000000;
		if (q == 0 && query_net_parse("10.0.7.7", f.net_lo, f.net_hi, err, sizeof(err)) == 0)
			f.has_net = true;
		if (q == 1 && query_net_parse("10.0.7.0/24", f.net_lo, f.net_hi, err, sizeof(err)) == 0)
			f.has_net = true;
		if (q == 2)
			snprintf(f.sensor, sizeof(f.sensor), "bench-03");
		if (q == 2 || q == 3)
			f.limit = 100;
		for (uint64_t r = 0; r < b->runs; r++) {
			double t0 = bench_now();
			int rc;

			rows = 0;
			if (q < 4)
				rc = store_query(s, &f, bench_count_row, &rows, err, sizeof(err));
			else
				rc = store_count_by(s, &f, q == 4 ? QUERY_KEY_SID : QUERY_KEY_SRC, 10,
						    bench_count_group, &rows, err, sizeof(err));
			if (rc != 0) {
				fprintf(stderr, "zw-bench-collector: query '%s': %s\n", names[q], err);
				free(ms);
				return -1;
			}
			ms[r] = (bench_now() - t0) * 1000.0;
		}
		qsort(ms, b->runs, sizeof(*ms), bench_cmp);
		printf("query %-40s %6" PRIu64 " rows: median %8.2f ms, worst %8.2f ms\n", names[q], rows,
		       ms[b->runs / 2], ms[b->runs - 1]);
		if (q == 0)
			printf("RESULT query_ip_24h_ms %.2f\n", ms[b->runs / 2]);
	}
	free(ms);
	return 0;
}

static void bench_usage(FILE *out)
{
	fputs("usage: zw-bench-collector --templates FILE --store PATH [--alerts N] [--batch N]\n"
	      "                          [--sensors N] [--days N] [--lines-out FILE] [--runs N]\n"
	      "       [--queries-only]  (query an existing store)\n", out);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "templates", required_argument, NULL, 't' }, { "store", required_argument, NULL, 's' },
		{ "alerts", required_argument, NULL, 'n' }, { "batch", required_argument, NULL, 'b' },
		{ "sensors", required_argument, NULL, 'S' }, { "days", required_argument, NULL, 'd' },
		{ "lines-out", required_argument, NULL, 'o' }, { "runs", required_argument, NULL, 'r' },
		{ "queries-only", no_argument, NULL, 'q' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench b = { .alerts = 1000000, .batch = 500, .sensors = 30, .days = 30, .runs = 20 };
	const char *templates = NULL;
	struct timespec now;
	struct store *s;
	char err[512];
	int c, rc = 0, queries_only = 0;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't': templates = optarg; break;
		case 's': b.store_path = optarg; break;
		case 'n': b.alerts = strtoull(optarg, NULL, 10); break;
		case 'b': b.batch = strtoull(optarg, NULL, 10); break;
		case 'S': b.sensors = strtoull(optarg, NULL, 10); break;
		case 'd': b.days = strtoull(optarg, NULL, 10); break;
		case 'o': b.lines_out = optarg; break;
		case 'r': b.runs = strtoull(optarg, NULL, 10); break;
		case 'q': queries_only = 1; break;
		case 'h': bench_usage(stdout); return 0;
		default: bench_usage(stderr); return 1;
		}
	}
	if (!b.store_path || (!templates && !queries_only) || !b.alerts || !b.batch ||
	    b.batch > STORE_BATCH_MAX || !b.sensors || !b.days || !b.runs) {
		bench_usage(stderr);
		return 1;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	b.now_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
	if (!queries_only && bench_load(&b, templates) < 0)
		return 1;
	s = store_open(b.store_path, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "zw-bench-collector: %s\n", err);
		return 1;
	}
	if ((!queries_only && bench_ingest(&b, s) < 0) || bench_queries(&b, s) < 0)
		rc = 1;
	store_close(s);
	for (size_t i = 0; i < b.ntemplates; i++)
		free(b.templates[i]);
	return rc;
}
