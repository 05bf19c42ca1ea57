/* Unit tests: the health checks (health.h) fed with counter samples —
 * each condition raises once and clears once, thresholds and hysteresis,
 * a refused alert is tried again (never skipped, never twice), alert ids
 * stable and distinct, the alert lines.  The lines are also written to
 * the file named by the first argument, when given, for the schema check
 * in tests/replay/health_schema.sh. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "health.h"

#define SEC 1000000ull
#define T0  (1700000000ull * SEC)   /* 2023-11-14T22:13:20Z */
#define MAX_LINES 64

struct sink_lines {
	char *line[MAX_LINES];
	uint32_t sid[MAX_LINES];
	uint8_t severity[MAX_LINES];
	char id[MAX_LINES][33];
	unsigned n;
	unsigned refuse;    /* refuse this many calls first */
	FILE *copy;
};

static int collect(void *ctx, const char *line, size_t len, uint32_t sid, uint8_t severity,
		   const char *id)
{
	struct sink_lines *s = ctx;

	if (s->refuse) {
		s->refuse--;
		return -1;
	}
	if (s->n == MAX_LINES)
		return -1;
	s->line[s->n] = strndup(line, len);
	s->sid[s->n] = sid;
	s->severity[s->n] = severity;
	snprintf(s->id[s->n], 33, "%s", id);
	if (s->copy)
		fprintf(s->copy, "%.*s\n", (int)len, line);
	s->n++;
	return 0;
}

static void lines_free(struct sink_lines *s)
{
	for (unsigned i = 0; i < s->n; i++)
		free(s->line[i]);
	s->n = 0;
}

static bool has(const struct sink_lines *s, unsigned i, const char *text)
{
	return i < s->n && strstr(s->line[i], text) != NULL;
}

static const struct health_config cfg = {
	.drop_rate = 1.0, .drop_min = 100, .drop_window_s = 10, .capture_idle_s = 60,
	.spool_percent = 50.0, .redis_down_s = 30,
};

static struct health_sample at(uint64_t sec)
{
	struct health_sample s;

	memset(&s, 0, sizeof(s));
	s.now_us = T0 + sec * SEC;
	s.mono_s = 1000 + sec;
	s.live = true;
	return s;
}

static void test_drops(FILE *copy)
{
	struct sink_lines out = { .copy = copy };
	struct health *h = health_new(&cfg, "city-01", NULL, collect, &out);
	struct health_sample s = at(0);

	health_check(h, &s);                       /* the window starts */
	s = at(5);
	s.packets = 100000;
	s.kernel_drops = 5000;                           /* 5%, but the window is not over */
	health_check(h, &s);
	CHECK(out.n == 0, "nothing before the window ends (got %u)", out.n);
	out.refuse = 1;                             /* the raise is refused once */
	s = at(10);
	s.packets = 100000;
	s.kernel_drops = 5000;
	health_check(h, &s);
	CHECK(out.n == 0, "a refused raise is not counted as sent");
	s = at(10);
	s.packets = 100000;
	s.kernel_drops = 5000;
	health_check(h, &s);                        /* the same window, judged again */
	CHECK(out.n == 1 && out.sid[0] == 9001 && out.severity[0] == 3, "5%% drops raise 9001 medium");
	CHECK(has(&out, 0, "\"condition\":\"capture_drops\"") && has(&out, 0, "\"state\":\"raised\"") &&
	      has(&out, 0, "\"value\":5") && has(&out, 0, "\"count\":5000") &&
	      has(&out, 0, "\"event_type\":\"health\"") && has(&out, 0, "\"clause\":\"第6(7)\""),
	      "the raise says what: %s", out.n ? out.line[0] : "");
	s = at(20);
	s.packets = 200000;
	s.kernel_drops = 10000;                          /* still 5%: no second alert */
	health_check(h, &s);
	CHECK(out.n == 1, "a condition raises once (got %u)", out.n);
	s = at(30);
	s.packets = 300000;
	s.kernel_drops = 10050;                          /* 50 drops: under drop_min */
	health_check(h, &s);
	CHECK(out.n == 2 && out.sid[1] == 9001 && out.severity[1] == 5 &&
	      has(&out, 1, "\"state\":\"cleared\"") && has(&out, 1, "\"count\":10000"),
	      "a quiet window clears, with the episode's drops: %s", out.n > 1 ? out.line[1] : "");
	CHECK(out.n == 2 && strcmp(out.id[0], out.id[1]) != 0, "raise and clear have distinct ids");
	s = at(40);
	s.packets = 400000;
	s.kernel_drops = 10050 + 900;                    /* 900 of 100000: 0.9%, under 1% */
	health_check(h, &s);
	CHECK(out.n == 2, "0.9%% does not raise (got %u)", out.n);
	s = at(41);
	s.live = false;                             /* replay: never judged */
	s.kernel_drops = 1000000;
	health_check(h, &s);
	CHECK(out.n == 2, "no capture checks in replay");
	health_free(h);
	lines_free(&out);
}

static void test_idle(FILE *copy)
{
	struct sink_lines out = { .copy = copy };
	struct health *h = health_new(&cfg, "city-01", NULL, collect, &out);
	struct health_sample s = at(0);

	s.packets = 10;
	health_check(h, &s);
	s = at(59);
	s.packets = 10;
	health_check(h, &s);
	CHECK(out.n == 0, "59 s idle: nothing");
	s = at(60);
	s.packets = 10;
	health_check(h, &s);
	CHECK(out.n == 1 && out.sid[0] == 9002 && out.severity[0] == 2 &&
	      has(&out, 0, "\"since\":\"2023-11-14T22:13:20.000000+0000\"") && has(&out, 0, "no packet for 60 s"),
	      "60 s idle raises 9002, since the last packet: %s", out.n ? out.line[0] : "");
	s = at(90);
	s.packets = 10;
	health_check(h, &s);
	CHECK(out.n == 1, "still idle: once");
	out.refuse = 1;                             /* the output refuses the clear once */
	s = at(91);
	s.packets = 11;
	health_check(h, &s);
	CHECK(out.n == 1, "a refused clear is not counted as sent");
	s = at(92);
	s.packets = 11;                             /* no new packet since, but the clear is owed */
	health_check(h, &s);
	CHECK(out.n == 2 && has(&out, 1, "\"state\":\"cleared\"") && has(&out, 1, "\"condition\":\"capture_stopped\""),
	      "the clear is sent at the next check");
	s = at(93);
	s.packets = 12;
	health_check(h, &s);
	CHECK(out.n == 2, "and only once (got %u)", out.n);
	health_capture_failed(h, &s, "recvfrom: Network is down");
	CHECK(out.n == 3 && out.sid[2] == 9002 && has(&out, 2, "the capture failed: recvfrom: Network is down"),
	      "a capture error raises 9002 with libpcap's words");
	health_free(h);
	lines_free(&out);
}

/* Two interfaces: each is watched on its own, so a dead one is reported
 * while the other carries traffic (the total keeps moving). */
static void test_idle_ifaces(FILE *copy)
{
	struct sink_lines out = { .copy = copy };
	struct health *h = health_new(&cfg, "city-01", NULL, collect, &out);
	struct health_sample s = at(0);

	s.nifaces = 2;
	s.iface[0] = "eth1";
	s.iface[1] = "eth2";
	s.iface_packets[0] = 5;
	s.iface_packets[1] = 5;
	s.packets = 10;
	health_check(h, &s);
	for (unsigned t = 1; t <= 60; t++) {         /* eth1 busy, eth2 silent */
		s.now_us = at(t).now_us;
		s.mono_s = at(t).mono_s;
		s.iface_packets[0] += 100;
		s.packets += 100;
		health_check(h, &s);
	}
	CHECK(out.n == 1 && out.sid[0] == 9002 && has(&out, 0, "no packet on eth2 for 60 s") &&
	      has(&out, 0, "\"state\":\"raised\""),
	      "eth2 silent for 60 s while eth1 is busy raises 9002 naming eth2: %s",
	      out.n ? out.line[0] : "");
	s.now_us = at(61).now_us;
	s.mono_s = at(61).mono_s;
	s.iface_packets[0] += 100;                  /* eth1 goes quiet too, from 61 s */
	s.iface_packets[1] += 1;                    /* eth2 is back */
	s.packets += 101;
	health_check(h, &s);
	CHECK(out.n == 2 && has(&out, 1, "packets are arriving again on eth2") &&
	      has(&out, 1, "\"state\":\"cleared\""), "eth2's packets clear it: %s",
	      out.n > 1 ? out.line[1] : "");
	for (unsigned t = 62; t <= 121; t++) {       /* eth2 busy, eth1 silent */
		s.now_us = at(t).now_us;
		s.mono_s = at(t).mono_s;
		s.iface_packets[1] += 100;
		s.packets += 100;
		health_check(h, &s);
	}
	CHECK(out.n == 3 && has(&out, 2, "no packet on eth1 for 60 s"),
	      "then eth1's own silence, once: %s", out.n > 2 ? out.line[2] : "");
	health_free(h);
	lines_free(&out);

	/* both silent from the start: two alerts with the same start, two ids */
	h = health_new(&cfg, "city-01", NULL, collect, &out);
	s = at(0);
	s.nifaces = 2;
	s.iface[0] = "eth1";
	s.iface[1] = "eth2";
	health_check(h, &s);
	s.now_us = at(60).now_us;
	s.mono_s = at(60).mono_s;
	health_check(h, &s);
	CHECK(out.n == 2 && has(&out, 0, "on eth1") && has(&out, 1, "on eth2") &&
	      strcmp(out.id[0], out.id[1]) != 0,
	      "both interfaces silent: one alert each, distinct ids (%u)", out.n);
	health_free(h);
	lines_free(&out);
}

static void test_spool_redis(FILE *copy)
{
	struct sink_lines out = { .copy = copy };
	struct health *h = health_new(&cfg, "city-01", NULL, collect, &out);
	struct health_sample s = at(0);

	s.live = false;                             /* both apply to replay too */
	s.redis = true;
	s.spool_max_bytes = 1000;
	s.spool_bytes = 499;
	health_check(h, &s);
	CHECK(out.n == 0, "49.9%%: nothing");
	s.spool_bytes = 500;
	health_check(h, &s);
	CHECK(out.n == 1 && out.sid[0] == 9003 && has(&out, 0, "\"value\":50"), "50%% raises 9003");
	s.spool_bytes = 410;
	health_check(h, &s);
	CHECK(out.n == 1, "41%%: still raised (clears under 80%% of the threshold)");
	s.spool_bytes = 390;
	health_check(h, &s);
	CHECK(out.n == 2 && out.severity[1] == 5 && has(&out, 1, "\"condition\":\"spool_high\""), "39%% clears");

	s = at(100);
	s.live = false;
	s.redis = true;
	s.spool_max_bytes = 1000;
	s.redis_down_since_s = T0 / SEC + 71;       /* down since 29 s ago */
	health_check(h, &s);
	CHECK(out.n == 2, "29 s down: nothing");
	s = at(101);
	s.live = false;
	s.redis = true;
	s.spool_max_bytes = 1000;
	s.redis_down_since_s = T0 / SEC + 71;
	health_check(h, &s);
	CHECK(out.n == 3 && out.sid[2] == 9004 && out.severity[2] == 2 &&
	      has(&out, 2, "\"since\":\"2023-11-14T22:14:31.000000+0000\"") && has(&out, 2, "\"value\":30"),
	      "30 s down raises 9004 since the first failure: %s", out.n > 2 ? out.line[2] : "");
	s = at(200);
	s.live = false;
	s.redis = true;
	s.spool_max_bytes = 1000;
	health_check(h, &s);
	CHECK(out.n == 4 && has(&out, 3, "\"state\":\"cleared\"") && has(&out, 3, "\"value\":129"),
	      "reconnected: cleared, with the outage's length: %s", out.n > 3 ? out.line[3] : "");
	s.redis = false;                            /* no Redis output: not judged */
	s.redis_down_since_s = 1;
	health_check(h, &s);
	CHECK(out.n == 4, "no Redis output, no Redis checks");

	health_lost(h, T0 + 300 * SEC, 1234, T0 + 250 * SEC, T0 + 260 * SEC);
	CHECK(out.n == 5 && out.sid[4] == 9005 && out.severity[4] == 2 && has(&out, 4, "\"count\":1234") &&
	      has(&out, 4, "1234 alerts lost between 2023-11-14T22:17:30.000000+0000 and 2023-11-14T22:17:40.000000+0000"),
	      "lost alerts: the exact count and when: %s", out.n > 4 ? out.line[4] : "");
	health_free(h);
	lines_free(&out);
}

static void test_ids(void)
{
	struct health_event a = { .sensor_id = "s1", .cond = HEALTH_REDIS_DOWN, .since_us = T0 };
	struct health_event b = a;
	char ia[33], ib[33];

	health_alert_id(ia, &a);
	b.ts_us = T0 + 99 * SEC;   /* noticed later: same alert */
	health_alert_id(ib, &b);
	CHECK(!strcmp(ia, ib), "the id does not depend on when it was noticed");
	b.since_us = T0 + 1;
	health_alert_id(ib, &b);
	CHECK(strcmp(ia, ib) != 0, "another episode, another id");
	b = a;
	b.sensor_id = "s2";
	health_alert_id(ib, &b);
	CHECK(strcmp(ia, ib) != 0, "another sensor, another id");
	b = a;
	b.cond = HEALTH_SPOOL_HIGH;
	health_alert_id(ib, &b);
	CHECK(strcmp(ia, ib) != 0, "another condition, another id");
	CHECK(health_sid(HEALTH_CAPTURE_DROPS) == 9001 && health_sid(HEALTH_ALERTS_LOST) == 9005 &&
	      health_sid(HEALTH_ALERTS_LOST) <= HEALTH_SID_MAX, "sids 9001-9005");
}

int main(int argc, char **argv)
{
	FILE *copy = argc > 1 ? fopen(argv[1], "w") : NULL;

	if (argc > 1 && !copy) {
		perror(argv[1]);
		return 2;
	}
	test_drops(copy);
	test_idle(copy);
	test_idle_ifaces(copy);
	test_spool_redis(copy);
	test_ids();
	if (copy)
		fclose(copy);
	return check_done();
}
