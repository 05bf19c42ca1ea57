/* Unit tests: the alert queue (alertq.h) with a real sink writing to a
 * temporary file — release order (epoch, ts, alert_id) across producers,
 * watermarks, close, epochs, the three threshold types and four track
 * modes, "suppressed_before", and the counters. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alertq.h"
#include "check.h"
#include "log.h"
#include "sink.h"


#define SEC 1000000ull

static const struct log test_log = { "test_alertq", LOG_LEVEL_ERROR };

/* One queue writing to its own temporary file. */
struct fixture {
	char path[64];
	struct sink sink;
	struct alertq *q;
	char *out;       /* what the file holds, after fixture_read */
};

static bool fixture_open(struct fixture *fx, unsigned producers)
{
	char err[256];
	int fd;

	memset(fx, 0, sizeof(*fx));
	snprintf(fx->path, sizeof(fx->path), "/tmp/test_alertq.XXXXXX");
	fd = mkstemp(fx->path);
	if (fd < 0)
		return false;
	close(fd);
	if (sink_open(&fx->sink, fx->path, &test_log, err, sizeof(err)) < 0) {
		printf("sink_open: %s\n", err);
		return false;
	}
	fx->q = alertq_new(producers, &fx->sink, NULL, NULL);
	return fx->q != NULL;
}

/* The file's contents so far (the previous read is freed). */
static const char *fixture_read(struct fixture *fx)
{
	FILE *f = fopen(fx->path, "rb");
	size_t n = 0;

	free(fx->out);
	fx->out = calloc(1, 1 << 20);
	if (f) {
		n = fread(fx->out, 1, (1 << 20) - 1, f);
		fclose(f);
	}
	fx->out[n] = '\0';
	return fx->out;
}

static void fixture_close(struct fixture *fx)
{
	alertq_free(fx->q);
	sink_close(&fx->sink);
	unlink(fx->path);
	free(fx->out);
}

/* The ids written, in order, as "a b c" (suppressed_before shown as a:N). */
static const char *ids(struct fixture *fx)
{
	static char buf[8192];
	const char *p = fixture_read(fx);
	size_t n = 0;

	buf[0] = '\0';
	while (*p) {
		const char *nl = strchr(p, '\n'), *id, *sb;
		char line[256];
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, p, len);
		line[len] = '\0';
		id = strstr(line, "\"id\":\"");
		sb = strstr(line, ",\"suppressed_before\":");
		if (id) {
			char one[64];
			int k = 0;
			id += 6;
			while (id[k] && id[k] != '"' && k < 40)
				k++;
			if (sb)
				snprintf(one, sizeof(one), "%.*s:%s", k, id, sb + 21);
			else
				snprintf(one, sizeof(one), "%.*s", k, id);
			/* drop the closing brace of a suppressed_before */
			if (sb && one[strlen(one) - 1] == '}')
				one[strlen(one) - 1] = '\0';
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? " " : "", one);
		} else {
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s?", n ? " " : "");
		}
		if (n >= sizeof(buf))
			break;
		p = nl ? nl + 1 : p + len;
	}
	return buf;
}

static struct rules_threshold th_none;

static struct rules_threshold th(uint8_t type, uint8_t track, uint32_t count, uint32_t seconds)
{
	struct rules_threshold t = { type, track, count, seconds };
	return t;
}

/* Push an alert {"id":"<id>" (no closing brace, as alertq wants it). */
static void push6(struct alertq *q, unsigned p, uint32_t epoch, uint64_t ts, const char *id,
		  uint32_t sid, struct rules_threshold t, int ipv, const char *src, const char *dst)
{
	struct alertq_item it;
	char buf[128];
	int fam = ipv == 6 ? AF_INET6 : AF_INET;

	memset(&it, 0, sizeof(it));
	it.epoch = epoch;
	it.ts_us = ts;
	snprintf(it.id, sizeof(it.id), "%s", id);
	it.sid = sid;
	it.th = t;
	it.ip_version = ipv;
	if (inet_pton(fam, src, it.src) != 1 || inet_pton(fam, dst, it.dst) != 1) {
		printf("bad address %s/%s\n", src, dst);
		abort();
	}
	snprintf(buf, sizeof(buf), "{\"id\":\"%s\",\"sid\":%u", id, sid);
	it.len = strlen(buf);
	it.json = malloc(it.len);     /* exactly the text, no NUL, no brace */
	memcpy(it.json, buf, it.len);
	alertq_push(q, p, &it);
}

static void push(struct alertq *q, unsigned p, uint32_t epoch, uint64_t ts, const char *id)
{
	push6(q, p, epoch, ts, id, 1, th_none, 4, "192.0.2.1", "192.0.2.2");
}

/* The same alert with a threshold, from src to dst, at ts seconds. */
static void pusht(struct alertq *q, uint64_t ts_s, const char *id, uint32_t sid,
		  struct rules_threshold t, const char *src, const char *dst)
{
	push6(q, 0, 0, ts_s * SEC, id, sid, t, strchr(src, ':') ? 6 : 4, src, dst);
}

static void test_order(void)
{
	struct fixture fx;
	struct alertq_stats st;

	if (!fixture_open(&fx, 3)) {
		CHECK(0, "fixture");
		return;
	}
	/* pushed out of order, from three producers */
	push(fx.q, 2, 0, 300, "p2-300");
	push(fx.q, 0, 0, 200, "p0-200b");
	push(fx.q, 1, 0, 100, "p1-100");
	push(fx.q, 0, 0, 200, "p0-200a");       /* same time: by id */
	push(fx.q, 1, 1, 50, "p1-e1-050");      /* epoch 1 sorts after epoch 0 */
	push(fx.q, 2, 0, 150, "p2-150");
	push(fx.q, 0, 0, 400, "p0-400");
	push(fx.q, 2, 1, 10, "p2-e1-010");
	push(fx.q, 1, 0, 100, "a-100");
	CHECK(!strcmp(ids(&fx), ""), "nothing before any watermark: '%s'", fx.out);

	alertq_advance(fx.q, 0, 0, 1000);
	alertq_advance(fx.q, 1, 0, 1000);
	CHECK(!strcmp(ids(&fx), ""), "producer 2 has promised nothing: '%s'", ids(&fx));
	alertq_advance(fx.q, 2, 0, 100);
	CHECK(!strcmp(ids(&fx), ""), "watermark 100 releases nothing at 100: '%s'", ids(&fx));
	alertq_advance(fx.q, 2, 0, 101);
	CHECK(!strcmp(ids(&fx), "a-100 p1-100"), "below 101: '%s'", ids(&fx));
	alertq_advance(fx.q, 2, 0, 250);
	CHECK(!strcmp(ids(&fx), "a-100 p1-100 p2-150 p0-200a p0-200b"), "below 250: '%s'", ids(&fx));
	alertq_advance(fx.q, 0, 0, 260);      /* the lowest is still producer 2 */
	alertq_advance(fx.q, 2, 0, 350);      /* now producer 0 (260) */
	CHECK(!strcmp(ids(&fx), "a-100 p1-100 p2-150 p0-200a p0-200b"), "p0 at 260: '%s'", ids(&fx));
	/* epoch bump: producers 0 and 1 move to epoch 1, 2 is still at (0, 350) */
	alertq_advance(fx.q, 0, 1, 0);
	alertq_advance(fx.q, 1, 1, 0);
	CHECK(!strcmp(ids(&fx), "a-100 p1-100 p2-150 p0-200a p0-200b p2-300"),
	      "p2 still in epoch 0 at 350: '%s'", ids(&fx));
	alertq_advance(fx.q, 2, 1, 0);
	CHECK(!strcmp(ids(&fx), "a-100 p1-100 p2-150 p0-200a p0-200b p2-300 p0-400"),
	      "all of epoch 0 once all are in epoch 1: '%s'", ids(&fx));
	alertq_advance(fx.q, 0, 1, 20);
	alertq_advance(fx.q, 1, 1, 20);
	alertq_advance(fx.q, 2, 1, 20);
	CHECK(!strcmp(ids(&fx), "a-100 p1-100 p2-150 p0-200a p0-200b p2-300 p0-400 p2-e1-010"),
	      "epoch 1 below 20: '%s'", ids(&fx));
	/* close: a closed producer no longer holds anything back */
	push(fx.q, 1, 1, 30, "p1-e1-030");
	alertq_close(fx.q, 0);
	alertq_close(fx.q, 1);
	CHECK(!strcmp(ids(&fx), "a-100 p1-100 p2-150 p0-200a p0-200b p2-300 p0-400 p2-e1-010"),
	      "p2 open at (1, 20): '%s'", ids(&fx));
	alertq_close(fx.q, 2);
	CHECK(!strcmp(ids(&fx), "a-100 p1-100 p2-150 p0-200a p0-200b p2-300 p0-400 p2-e1-010 "
				"p1-e1-030 p1-e1-050"), "close of all flushes: '%s'", ids(&fx));
	CHECK(strstr(fx.out, "{\"id\":\"a-100\",\"sid\":1}\n{\"id\":\"p1-100\",\"sid\":1}\n") == fx.out,
	      "lines are the item's text with '}' and a newline");
	alertq_stats_get(fx.q, &st);
	CHECK(st.emitted == 10 && st.thresholded == 0 && st.order_forced == 0 && st.dropped == 0 &&
	      st.threshold_full == 0, "stats: %llu emitted", (unsigned long long)st.emitted);
	fixture_close(&fx);

	/* push order does not matter: the same alerts reversed give the same file */
	{
		static const char *const id[] = { "x3", "x1", "x2", "y1", "y0" };
		static const uint32_t ep[] = { 0, 0, 0, 2, 2 };
		static const uint64_t ts[] = { 5, 5, 7, 1, 1 };
		char first[256] = "";

		for (int round = 0; round < 2; round++) {
			if (!fixture_open(&fx, 3)) {
				CHECK(0, "fixture");
				return;
			}
			for (int k = 0; k < 5; k++) {
				int i = round ? 4 - k : k;
				push(fx.q, (unsigned)(i % 3), ep[i], ts[i], id[i]);
			}
			for (unsigned p = 0; p < 3; p++)
				alertq_close(fx.q, p);
			if (round == 0)
				snprintf(first, sizeof(first), "%s", ids(&fx));
			else
				CHECK(!strcmp(ids(&fx), first), "reversed push order: '%s' vs '%s'",
				      ids(&fx), first);
			fixture_close(&fx);
		}
		CHECK(!strcmp(first, "x1 x3 x2 y0 y1"), "(epoch, ts, id): '%s'", first);
	}

	/* a producer index out of range changes no watermark */
	if (fixture_open(&fx, 1)) {
		push(fx.q, 0, 0, 10, "a");
		alertq_advance(fx.q, 5, 0, 100);
		alertq_close(fx.q, 5);
		CHECK(!strcmp(ids(&fx), ""), "bad producer ignored: '%s'", ids(&fx));
		alertq_advance(fx.q, 0, 0, 11);
		CHECK(!strcmp(ids(&fx), "a"), "good producer: '%s'", ids(&fx));
		/* an item without text is dropped and counted */
		{
			struct alertq_item it;
			memset(&it, 0, sizeof(it));
			snprintf(it.id, sizeof(it.id), "nojson");
			alertq_push(fx.q, 0, &it);
		}
		alertq_stats_get(fx.q, &st);
		CHECK(st.dropped == 1, "json NULL: dropped");
		alertq_close(fx.q, 0);
		CHECK(!strcmp(ids(&fx), "a"), "dropped item not written");
		fixture_close(&fx);
	}
	/* alertq_free with pending items frees them (checked under ASan) */
	if (fixture_open(&fx, 2)) {
		push(fx.q, 0, 0, 10, "pending1");
		push(fx.q, 1, 0, 11, "pending2");
		fixture_close(&fx);
	}
	alertq_free(NULL);
}

static void test_limit(void)
{
	struct fixture fx;
	struct rules_threshold t = th(RULES_THRESH_LIMIT, RULES_TRACK_SRC, 2, 10);
	struct alertq_stats st;

	if (!fixture_open(&fx, 1))
		return;
	pusht(fx.q, 100, "a", 7, t, "10.0.0.1", "10.0.0.9");
	pusht(fx.q, 101, "b", 7, t, "10.0.0.1", "10.0.0.9");
	pusht(fx.q, 102, "c", 7, t, "10.0.0.1", "10.0.0.9");
	pusht(fx.q, 109, "d", 7, t, "10.0.0.1", "10.0.0.8");   /* same src, other dst */
	pusht(fx.q, 110, "e", 7, t, "10.0.0.1", "10.0.0.9");   /* window reset: 100 + 10 */
	pusht(fx.q, 111, "f", 7, t, "10.0.0.1", "10.0.0.9");
	pusht(fx.q, 112, "g", 7, t, "10.0.0.1", "10.0.0.9");
	pusht(fx.q, 125, "h", 7, t, "10.0.0.1", "10.0.0.9");   /* next window (110 + 10) */
	alertq_close(fx.q, 0);
	CHECK(!strcmp(ids(&fx), "a b e:2 f h:1"), "limit 2 per 10 s: '%s'", ids(&fx));
	CHECK(strstr(fx.out, "{\"id\":\"e\",\"sid\":7,\"suppressed_before\":2}\n") != NULL,
	      "suppressed_before appended before the brace: %s", fx.out);
	alertq_stats_get(fx.q, &st);
	CHECK(st.emitted == 5 && st.thresholded == 3, "stats %llu emitted %llu thresholded",
	      (unsigned long long)st.emitted, (unsigned long long)st.thresholded);
	fixture_close(&fx);
}

static void test_threshold(void)
{
	struct fixture fx;
	struct rules_threshold t = th(RULES_THRESH_THRESHOLD, RULES_TRACK_DST, 3, 100);

	if (!fixture_open(&fx, 1))
		return;
	for (int i = 0; i < 7; i++) {
		char id[16];
		snprintf(id, sizeof(id), "t%d", i + 1);
		pusht(fx.q, 1000 + (uint64_t)i, id, 9, t, i % 2 ? "10.0.0.1" : "10.0.0.2", "10.9.9.9");
	}
	pusht(fx.q, 1100, "t8", 9, t, "10.0.0.1", "10.9.9.9");   /* new window: count 1 */
	pusht(fx.q, 1101, "t9", 9, t, "10.0.0.1", "10.9.9.9");
	pusht(fx.q, 1102, "t10", 9, t, "10.0.0.1", "10.9.9.9");  /* 3rd of the window */
	alertq_close(fx.q, 0);
	CHECK(!strcmp(ids(&fx), "t3:2 t6:2 t10:3"), "every 3rd per window, by_dst: '%s'", ids(&fx));
	fixture_close(&fx);
}

static void test_both(void)
{
	struct fixture fx;
	struct rules_threshold t = th(RULES_THRESH_BOTH, RULES_TRACK_PAIR, 3, 60);
	struct alertq_stats st;

	if (!fixture_open(&fx, 1))
		return;
	for (int i = 0; i < 6; i++) {
		char id[16];
		snprintf(id, sizeof(id), "b%d", i + 1);
		pusht(fx.q, (uint64_t)i, id, 5, t, "10.0.0.1", "10.0.0.2");
	}
	pusht(fx.q, 60, "b7", 5, t, "10.0.0.1", "10.0.0.2");    /* new window */
	pusht(fx.q, 61, "b8", 5, t, "10.0.0.1", "10.0.0.2");
	pusht(fx.q, 62, "b9", 5, t, "10.0.0.1", "10.0.0.2");    /* its 3rd */
	pusht(fx.q, 63, "b10", 5, t, "10.0.0.1", "10.0.0.2");
	alertq_close(fx.q, 0);
	CHECK(!strcmp(ids(&fx), "b3:2 b9:5"), "once per window at the 3rd: '%s'", ids(&fx));
	alertq_stats_get(fx.q, &st);
	CHECK(st.emitted == 2 && st.thresholded == 8, "stats %llu/%llu", (unsigned long long)st.emitted,
	      (unsigned long long)st.thresholded);
	fixture_close(&fx);
}

/* limit 1 per long window: the ids written are the first of each state. */
static const char *first_per_key(uint8_t track)
{
	static char buf[256];
	struct fixture fx;
	struct rules_threshold t = th(RULES_THRESH_LIMIT, track, 1, 3600);
	struct rules_threshold other = th(RULES_THRESH_LIMIT, RULES_TRACK_RULE, 1, 3600);

	if (!fixture_open(&fx, 1))
		return "";
	pusht(fx.q, 1, "k1", 1, t, "10.0.0.1", "10.0.0.2");
	pusht(fx.q, 2, "k2", 1, t, "10.0.0.1", "10.0.0.3");   /* same src, other dst */
	pusht(fx.q, 3, "k3", 1, t, "10.0.0.4", "10.0.0.2");   /* other src, same dst */
	pusht(fx.q, 4, "k4", 1, t, "10.0.0.2", "10.0.0.1");   /* pair reversed */
	pusht(fx.q, 5, "k5", 1, t, "10.0.0.1", "10.0.0.2");   /* same pair again */
	pusht(fx.q, 6, "k6", 2, t, "10.0.0.1", "10.0.0.2");   /* other sid */
	pusht(fx.q, 7, "k7", 1, t, "a00:1::", "a00:2::");     /* IPv6, first bytes as 10.0.0.1 */
	pusht(fx.q, 8, "k8", 3, other, "10.0.0.1", "10.0.0.2");
	pusht(fx.q, 9, "k9", 3, other, "10.7.7.7", "10.8.8.8");
	alertq_close(fx.q, 0);
	snprintf(buf, sizeof(buf), "%s", ids(&fx));
	fixture_close(&fx);
	return buf;
}

static void test_tracks(void)
{
	const char *s;

	s = first_per_key(RULES_TRACK_SRC);
	CHECK(!strcmp(s, "k1 k3 k4 k6 k7 k8"), "by_src: '%s'", s);
	s = first_per_key(RULES_TRACK_DST);
	CHECK(!strcmp(s, "k1 k2 k4 k6 k7 k8"), "by_dst: '%s'", s);
	s = first_per_key(RULES_TRACK_PAIR);
	CHECK(!strcmp(s, "k1 k2 k3 k4 k6 k7 k8"), "by_pair: '%s'", s);
	s = first_per_key(RULES_TRACK_RULE);
	CHECK(!strcmp(s, "k1 k6 k8"), "by_rule (addresses and version ignored): '%s'", s);
}

struct sidlist {
	unsigned n;
	uint32_t sid[16];
	uint64_t count[16];
};

static void sid_cb(void *ctx, uint32_t sid, uint64_t n)
{
	struct sidlist *l = ctx;

	if (l->n < 16) {
		l->sid[l->n] = sid;
		l->count[l->n] = n;
		l->n++;
	}
}

static void test_counts(void)
{
	struct fixture fx;
	struct rules_threshold t = th(RULES_THRESH_LIMIT, RULES_TRACK_RULE, 1, 3600);
	struct sidlist l = { 0 };
	struct alertq_stats st;

	if (!fixture_open(&fx, 1))
		return;
	/* held for sid 30 first, then 10, then 20 */
	pusht(fx.q, 1, "a1", 30, t, "10.0.0.1", "10.0.0.2");
	pusht(fx.q, 2, "a2", 30, t, "10.0.0.1", "10.0.0.2");
	pusht(fx.q, 3, "a3", 30, t, "10.0.0.1", "10.0.0.2");
	pusht(fx.q, 4, "b1", 10, t, "10.0.0.1", "10.0.0.2");
	pusht(fx.q, 5, "b2", 10, t, "10.0.0.1", "10.0.0.2");
	pusht(fx.q, 6, "c1", 20, t, "10.0.0.1", "10.0.0.2");
	pusht(fx.q, 7, "c2", 20, t, "10.0.0.1", "10.0.0.2");
	pusht(fx.q, 8, "c3", 20, t, "10.0.0.1", "10.0.0.2");
	pusht(fx.q, 9, "c4", 20, t, "10.0.0.1", "10.0.0.2");
	pusht(fx.q, 10, "d1", 15, t, "10.0.0.1", "10.0.0.2");   /* never held: not listed */
	pusht(fx.q, 11, "n1", 15, th_none, "10.0.0.1", "10.0.0.2");
	alertq_close(fx.q, 0);
	CHECK(!strcmp(ids(&fx), "a1 b1 c1 d1 n1"), "firsts: '%s'", ids(&fx));
	alertq_thresholded_each(fx.q, sid_cb, &l);
	CHECK(l.n == 3 && l.sid[0] == 10 && l.count[0] == 1 && l.sid[1] == 20 && l.count[1] == 3 &&
	      l.sid[2] == 30 && l.count[2] == 2, "per-sid counts in sid order (%u sids)", l.n);
	alertq_stats_get(fx.q, &st);
	CHECK(st.emitted == 5 && st.thresholded == 6, "emitted 5, thresholded 6 (%llu, %llu)",
	      (unsigned long long)st.emitted, (unsigned long long)st.thresholded);
	fixture_close(&fx);
}

static void test_epoch_thresholds(void)
{
	struct fixture fx;
	struct rules_threshold t = th(RULES_THRESH_LIMIT, RULES_TRACK_RULE, 1, 60);

	if (!fixture_open(&fx, 1))
		return;
	/* packet time jumps back (a second, older capture): epoch 1 starts with
	 * times before the window of epoch 0.  A window cannot hold an alert
	 * from before its start: the new epoch must start a new window. */
	push6(fx.q, 0, 0, 1000 * SEC, "e0", 4, t, 4, "10.0.0.1", "10.0.0.2");
	push6(fx.q, 0, 1, 10 * SEC, "e1", 4, t, 4, "10.0.0.1", "10.0.0.2");
	push6(fx.q, 0, 1, 20 * SEC, "e1b", 4, t, 4, "10.0.0.1", "10.0.0.2");
	alertq_close(fx.q, 0);
	CHECK(!strcmp(ids(&fx), "e0 e1:0") || !strcmp(ids(&fx), "e0 e1"),
		  "a threshold window survives an epoch bump (time went back): got '%s', want 'e0 e1'",
		  ids(&fx));
	fixture_close(&fx);
}

static void test_forced(void)
{
	struct fixture fx;
	struct alertq_stats st;
	char id[16];

	if (!fixture_open(&fx, 1))
		return;
	/* one more than the cap: the oldest is written early */
	for (unsigned i = 0; i <= ALERTQ_MAX_PENDING; i++) {
		snprintf(id, sizeof(id), "f%07u", ALERTQ_MAX_PENDING - i);
		push(fx.q, 0, 0, 1000 + (uint64_t)(ALERTQ_MAX_PENDING - i), id);
	}
	alertq_stats_get(fx.q, &st);
	CHECK(st.order_forced == 1 && st.emitted == 1, "one forced out (%llu)",
	      (unsigned long long)st.order_forced);
	alertq_close(fx.q, 0);
	alertq_stats_get(fx.q, &st);
	CHECK(st.emitted == ALERTQ_MAX_PENDING + 1, "all written (%llu)", (unsigned long long)st.emitted);
	fixture_read(&fx);
	CHECK(strncmp(fx.out, "{\"id\":\"f0000000\"", 16) == 0, "the earliest went first");
	fixture_close(&fx);
}

/* A full threshold table drops the states whose window is over; only when
 * none is over does an alert go through unthresholded. */
static void test_threshold_table_full(void)
{
	struct fixture fx;
	struct alertq_stats st;
	struct rules_threshold lim = th(RULES_THRESH_LIMIT, RULES_TRACK_SRC, 1, 10);
	char id[16], src[32];
	unsigned n = ALERTQ_MAX_THRESHOLDS;

	if (!fixture_open(&fx, 1))
		return;
	/* n sources at t = 0 s: the table is full, every window open */
	for (unsigned i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "a%07u", i);
		snprintf(src, sizeof(src), "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
		pusht(fx.q, 0, id, 5, lim, src, "192.0.2.1");
	}
	/* one more source at 5 s: nothing to drop, it passes unthresholded; a
	 * second at the same second does not sweep again (at most one sweep
	 * per second of packet time) and passes too */
	pusht(fx.q, 5, "b0000000", 5, lim, "172.16.0.1", "192.0.2.1");
	pusht(fx.q, 5, "b0000001", 5, lim, "172.16.0.3", "192.0.2.1");
	/* and at 20 s: every window is over, the states are dropped */
	pusht(fx.q, 20, "c0000000", 5, lim, "172.16.0.2", "192.0.2.1");
	pusht(fx.q, 20, "c0000001", 5, lim, "172.16.0.2", "192.0.2.1");
	alertq_close(fx.q, 0);
	alertq_stats_get(fx.q, &st);
	CHECK(st.threshold_full == 2, "two alerts unthresholded while full (%llu)",
	      (unsigned long long)st.threshold_full);
	CHECK(st.threshold_swept == n, "every closed window swept (%llu of %u)",
	      (unsigned long long)st.threshold_swept, n);
	CHECK(st.emitted == n + 3 && st.thresholded == 1,
	      "after the sweep the limit holds again (%llu written, %llu held)",
	      (unsigned long long)st.emitted, (unsigned long long)st.thresholded);
	fixture_close(&fx);
}

int main(void)
{
	test_order();
	test_limit();
	test_threshold();
	test_both();
	test_tracks();
	test_counts();
	test_epoch_thresholds();
	test_forced();
	test_threshold_table_full();
	return check_done();
}
