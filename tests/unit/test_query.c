/* Unit tests: query.h — times (relative, absolute, JST by default, Z and
 * offsets, refused values) and their format, addresses and CIDRs, every
 * filter option, count keys — and the store's read side on a small store in
 * a temp dir: store_query with each filter, order, limit, after_id, the
 * rows' fields; store_count_by with each key (days in JST and UTC around
 * midnight); heartbeats and store_sensors; a second reader while the store
 * writes; and the plans SQLite picks for the statements the backend builds
 * (EXPLAIN QUERY PLAN through store_sqlite_explain_sql). */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "alert_fixture.h"
#include "check.h"
#include "sql_plan.h"
#include "query.h"
#include "store.h"
#include "store_backend.h"

#define US 1000000LL
#define NOW (1795651200LL * US)            /* 2026-11-26T00:00:00Z */

/* ---- times ----------------------------------------------------------------- */

static int64_t tparse(const char *s, int tz, int *rc)
{
	char err[256] = "";
	int64_t v = -1;

	*rc = query_time_parse(s, NOW, tz, &v, err, sizeof(err));
	if (*rc < 0)
		printf("%s: %s\n", s, err);
	return v;
}

static void check_time(const char *s, int tz, int64_t want)
{
	int rc;
	int64_t v = tparse(s, tz, &rc);

	CHECK(rc == 0 && v == want, "time \"%s\" tz %d: rc %d, %lld, want %lld", s, tz, rc, (long long)v,
	      (long long)want);
}

static void check_bad_time(const char *s)
{
	char err[256] = "";
	int64_t v = 12345;
	int rc = query_time_parse(s, NOW, QUERY_TZ_JST, &v, err, sizeof(err));

	CHECK(rc == -1 && v == 12345 && err[0] != '\0', "bad time \"%s\" refused (rc %d, err %s)", s, rc, err);
}

static void test_times(void)
{
	const int J = QUERY_TZ_JST;

	check_time("now", J, NOW);
	check_time("-90s", J, NOW - 90 * US);
	check_time("-15m", J, NOW - 15 * 60 * US);
	check_time("-24h", J, NOW - 24 * 3600 * US);
	check_time("-7d", J, NOW - 7 * 86400 * US);
	check_time("-2w", J, NOW - 14 * 86400 * US);
	check_time("-1h30m", J, NOW - 5400 * US);
	check_time("-0s", J, NOW);
	/* absolute: JST unless told */
	check_time("2026-11-26", J, 1795618800LL * US);           /* 2026-11-25T15:00Z */
	check_time("2026-11-26", 0, 1795651200LL * US);
	check_time("2026-11-26T09:30", J, (1795651200LL + 1800) * US);
	check_time("2026-11-26t09:30", J, (1795651200LL + 1800) * US);
	check_time("2026-11-26 18:30:15", J, 1795685415LL * US);
	check_time("2026-11-26 09:30:15", 0, 1795685415LL * US);
	check_time("2026-11-26T09:30:15Z", J, 1795685415LL * US);
	check_time("2026-11-26T09:30:15z", J, 1795685415LL * US);
	check_time("2026-11-26T18:30:15+09:00", 0, 1795685415LL * US);
	check_time("2026-11-26T18:30:15+0900", 0, 1795685415LL * US);
	check_time("2026-11-26T18:30:15+09", 0, 1795685415LL * US);
	check_time("2026-11-26T04:30:15-05:00", J, 1795685415LL * US);
	check_time("2026-11-26T09:30:15.123456Z", J, 1795685415LL * US + 123456);
	check_time("2026-11-26T09:30:15.5Z", J, 1795685415LL * US + 500000);
	check_time("2026-11-26T09:30:15,25Z", J, 1795685415LL * US + 250000);
	check_time("2026-11-26T09:30:15.1234567Z", J, 1795685415LL * US + 123456);
	check_time("2013-11-07T10:54:26.558024+0000", J, 1383821666LL * US + 558024);   /* a sensor's */
	check_time("2026-11-26Z", J, 1795651200LL * US);
	check_time("2024-02-29", 0, 1709164800LL * US);
	check_time("1970-01-01T09:00+09:00", 0, 0);
	check_time("1970-01-01", 0, 0);
	check_time("2000-02-29", 0, 951782400LL * US);
	check_time("9999-12-31T23:59:59Z", 0, 253402300799LL * US);

	check_bad_time("");
	check_bad_time("yesterday");
	check_bad_time("-");
	check_bad_time("-5");
	check_bad_time("-5x");
	check_bad_time("-h");
	check_bad_time("--5h");
	check_bad_time("-5h ");
	check_bad_time("-5H");
	check_bad_time("-999999999w");
	check_bad_time("-40000d");
	check_bad_time("24h");
	check_bad_time("2026-13-01");
	check_bad_time("2026-00-10");
	check_bad_time("2026-11-31");
	check_bad_time("2026-02-29");
	check_bad_time("1900-02-29");
	check_bad_time("2026-11-00");
	check_bad_time("2026-11-26T24:00");
	check_bad_time("2026-11-26T23:60");
	check_bad_time("2026-11-26T23:59:60");
	check_bad_time("2026-11-26T9:30");
	check_bad_time("2026-11-26T09");
	check_bad_time("2026-11-26T09:30:");
	check_bad_time("2026-11-26T09:30:15.");
	check_bad_time("2026/11/26");
	check_bad_time("26-11-26");
	check_bad_time("2026-11-26 ");
	check_bad_time("2026-11-26T09:30 JST");
	check_bad_time("2026-11-26T09:30+24:00");
	check_bad_time("2026-11-26T09:30+09:60");
	check_bad_time("2026-11-26T09:30+9");
	check_bad_time("2026-11-26T09:30ZZ");
	check_bad_time("1969-12-31");
	check_bad_time("0202-11-26");
	check_bad_time("12026-11-26");

	{
		char err[256];
		int64_t v;
		CHECK(query_time_parse(NULL, NOW, 0, &v, err, sizeof(err)) == -1, "NULL time refused");
		CHECK(query_time_parse("2026-13-01", NOW, 0, &v, err, sizeof(err)) == -1 &&
		      strstr(err, "2026-13-01") != NULL, "the reason quotes the value: %s", err);
	}
}

static void test_format(void)
{
	char buf[64];
	int64_t t = 1795685415LL * US + 123456;   /* 2026-11-26T09:30:15.123456Z */
	int rc;

	query_time_format(t, QUERY_TZ_JST, 0, buf, sizeof(buf));
	CHECK(!strcmp(buf, "2026-11-26 18:30:15+09:00"), "JST: %s", buf);
	query_time_format(t, QUERY_TZ_JST, 6, buf, sizeof(buf));
	CHECK(!strcmp(buf, "2026-11-26 18:30:15.123456+09:00"), "JST µs: %s", buf);
	query_time_format(t, 0, 0, buf, sizeof(buf));
	CHECK(!strcmp(buf, "2026-11-26 09:30:15Z"), "UTC: %s", buf);
	query_time_format(t, 0, 6, buf, sizeof(buf));
	CHECK(!strcmp(buf, "2026-11-26 09:30:15.123456Z"), "UTC µs: %s", buf);
	query_time_format(t, -5 * 3600 - 1800, 0, buf, sizeof(buf));
	CHECK(!strcmp(buf, "2026-11-26 04:00:15-05:30"), "negative offset: %s", buf);
	/* midnight, JST and UTC */
	query_time_format(1795705200LL * US, QUERY_TZ_JST, 0, buf, sizeof(buf));
	CHECK(!strcmp(buf, "2026-11-27 00:00:00+09:00"), "JST midnight: %s", buf);
	query_time_format(1795705200LL * US - 1, QUERY_TZ_JST, 6, buf, sizeof(buf));
	CHECK(!strcmp(buf, "2026-11-26 23:59:59.999999+09:00"), "just before JST midnight: %s", buf);
	query_time_format(0, 0, 6, buf, sizeof(buf));
	CHECK(!strcmp(buf, "1970-01-01 00:00:00.000000Z"), "epoch: %s", buf);
	query_time_format(-500000, 0, 6, buf, sizeof(buf));
	CHECK(!strcmp(buf, "1969-12-31 23:59:59.500000Z"), "before the epoch, floored: %s", buf);
	query_time_format(t, QUERY_TZ_JST, 0, buf, 11);
	CHECK(!strcmp(buf, "2026-11-26"), "cut to the buffer: %s", buf);
	/* what it prints, it reads back */
	query_time_format(t, QUERY_TZ_JST, 6, buf, sizeof(buf));
	CHECK(tparse(buf, 0, &rc) == t && rc == 0, "round trip JST %s", buf);
	query_time_format(t, 0, 6, buf, sizeof(buf));
	CHECK(tparse(buf, QUERY_TZ_JST, &rc) == t && rc == 0, "round trip UTC %s", buf);
}

/* ---- addresses -------------------------------------------------------------- */

static void mapped(const char *v4, uint8_t out[16])
{
	memset(out, 0, 16);
	out[10] = out[11] = 0xff;
	inet_pton(AF_INET, v4, out + 12);
}

static void check_net(const char *s, const char *lo_text, const char *hi_text)
{
	uint8_t lo[16], hi[16], wlo[16], whi[16];
	char err[256] = "";
	int rc = query_net_parse(s, lo, hi, err, sizeof(err));

	if (strchr(lo_text, ':')) {
		inet_pton(AF_INET6, lo_text, wlo);
		inet_pton(AF_INET6, hi_text, whi);
	} else {
		mapped(lo_text, wlo);
		mapped(hi_text, whi);
	}
	CHECK(rc == 0 && !memcmp(lo, wlo, 16) && !memcmp(hi, whi, 16), "net %s: rc %d %s", s, rc, err);
}

static void check_bad_net(const char *s, const char *reason_part)
{
	uint8_t lo[16], hi[16];
	char err[256] = "";
	int rc = query_net_parse(s, lo, hi, err, sizeof(err));

	CHECK(rc == -1 && strstr(err, reason_part) != NULL, "bad net \"%s\": rc %d, %s", s, rc, err);
}

static void test_nets(void)
{
	check_net("10.1.2.3", "10.1.2.3", "10.1.2.3");
	check_net("10.1.2.3/32", "10.1.2.3", "10.1.2.3");
	check_net("10.0.0.0/8", "10.0.0.0", "10.255.255.255");
	check_net("10.1.2.3/8", "10.0.0.0", "10.255.255.255");    /* host bits set: fine */
	check_net("192.168.1.0/24", "192.168.1.0", "192.168.1.255");
	check_net("192.168.1.129/25", "192.168.1.128", "192.168.1.255");
	check_net("172.16.0.0/12", "172.16.0.0", "172.31.255.255");
	check_net("0.0.0.0/0", "0.0.0.0", "255.255.255.255");     /* IPv4 only */
	check_net("1.2.3.4/0", "0.0.0.0", "255.255.255.255");
	check_net("10.1.2.3/31", "10.1.2.2", "10.1.2.3");
	check_net("2001:db8::1", "2001:db8::1", "2001:db8::1");
	check_net("2001:db8::/32", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
	check_net("2001:db8:1:2::5/48", "2001:db8:1::", "2001:db8:1:ffff:ffff:ffff:ffff:ffff");
	check_net("2001:db8::1/128", "2001:db8::1", "2001:db8::1");
	check_net("::/0", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	check_net("2a00:1455::1/29", "2a00:1450::", "2a00:1457:ffff:ffff:ffff:ffff:ffff:ffff");
	check_net("::ffff:10.0.0.0/104", "10.0.0.0", "10.255.255.255");   /* mapped, written as v6 */

	check_bad_net("10.0.0.0/33", "0-32");
	check_bad_net("2001:db8::/129", "0-128");
	check_bad_net("10.0.0.0/", "prefix");
	check_bad_net("10.0.0.0/-1", "prefix");
	check_bad_net("10.0.0.0/8x", "prefix");
	check_bad_net("10.0.0.0/1000", "prefix");
	check_bad_net("/8", "not an IP");
	check_bad_net("", "not an IP");
	check_bad_net("10.0.0", "not an IP");
	check_bad_net("10.0.0.256", "not an IP");
	check_bad_net("10.0.0.1.2", "not an IP");
	check_bad_net("hello", "not an IP");
	check_bad_net("fe80::1%eth0", "not an IP");
	check_bad_net("2001:db8:::1", "not an IP");
	check_bad_net(" 10.0.0.1", "not an IP");
	check_bad_net("10.0.0.1 ", "not an IP");
	check_bad_net("1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb/64", "not an IP");
}

/* ---- filter options ---------------------------------------------------------- */

static int opt(struct query_filter *f, const char *name, const char *value, char *err, size_t errlen)
{
	err[0] = '\0';
	return query_filter_option(f, name, value, NOW, err, errlen);
}

static void check_bad_opt(const char *name, const char *value)
{
	struct query_filter f, before;
	char err[512], want[80];
	int rc;

	query_filter_init(&f);
	before = f;
	rc = opt(&f, name, value, err, sizeof(err));
	snprintf(want, sizeof(want), "--%s", name);
	CHECK(rc == -1 && strstr(err, want) != NULL, "--%s \"%s\" refused, naming the option: %s", name,
	      value ? value : "(null)", err);
	CHECK(!memcmp(&f, &before, sizeof(f)) || !strcmp(name, "ip"), "--%s \"%s\" left the filter alone",
	      name, value ? value : "(null)");
}

static void test_options(void)
{
	struct query_filter f;
	char err[512];
	uint8_t lo[16];

	query_filter_init(&f);
	CHECK(f.tz_offset_s == QUERY_TZ_JST && f.sort == QUERY_SORT_TIME && !f.ascending && !f.limit &&
	      !f.from_us && !f.to_us && !f.has_net && !f.sensor[0] && !f.severity_max, "init: nothing, JST");

	CHECK(opt(&f, "from", "2026-11-26", err, sizeof(err)) == 0 && f.from_us == 1795618800LL * US,
	      "--from in JST: %s", err);
	CHECK(opt(&f, "to", "-1h", err, sizeof(err)) == 0 && f.to_us == NOW - 3600 * US, "--to relative");
	CHECK(opt(&f, "since", "-24h", err, sizeof(err)) == 0 && f.from_us == NOW - 86400 * US, "--since");
	CHECK(opt(&f, "since", "2h", err, sizeof(err)) == 0 && f.from_us == NOW - 7200 * US,
	      "--since 2h means 2 hours back");
	CHECK(opt(&f, "utc", NULL, err, sizeof(err)) == 0 && f.tz_offset_s == 0, "--utc");
	CHECK(opt(&f, "from", "2026-11-26", err, sizeof(err)) == 0 && f.from_us == NOW, "--from after --utc");
	CHECK(opt(&f, "sensor", "city-joho-01", err, sizeof(err)) == 0 && !strcmp(f.sensor, "city-joho-01"),
	      "--sensor");
	CHECK(opt(&f, "severity", "high", err, sizeof(err)) == 0 && f.severity_max == 2, "--severity high");
	CHECK(opt(&f, "severity", "CRITICAL", err, sizeof(err)) == 0 && f.severity_max == 1, "--severity CRITICAL");
	CHECK(opt(&f, "severity", "medium", err, sizeof(err)) == 0 && f.severity_max == 3, "--severity medium");
	CHECK(opt(&f, "severity", "low", err, sizeof(err)) == 0 && f.severity_max == 4, "--severity low");
	CHECK(opt(&f, "severity", "info", err, sizeof(err)) == 0 && f.severity_max == 5, "--severity info");
	CHECK(opt(&f, "severity", "3", err, sizeof(err)) == 0 && f.severity_max == 3, "--severity 3");
	CHECK(opt(&f, "severity", "緊急", err, sizeof(err)) == 0 && f.severity_max == 1, "--severity 緊急");
	CHECK(opt(&f, "severity", "高", err, sizeof(err)) == 0 && f.severity_max == 2, "--severity 高");
	CHECK(opt(&f, "sid", "2001", err, sizeof(err)) == 0 && f.sid == 2001, "--sid");
	CHECK(opt(&f, "sid", "4294967295", err, sizeof(err)) == 0 && f.sid == 4294967295u, "--sid max");
	CHECK(opt(&f, "category", "Unauthorised software", err, sizeof(err)) == 0 &&
	      !strcmp(f.category, "Unauthorised software"), "--category");
	CHECK(opt(&f, "clause", "第6*", err, sizeof(err)) == 0 && !strcmp(f.clause, "第6*"), "--clause");
	CHECK(opt(&f, "ip", "10.0.0.0/8", err, sizeof(err)) == 0 && f.has_net, "--ip");
	mapped("10.0.0.0", lo);
	CHECK(!memcmp(f.net_lo, lo, 16), "--ip low end");
	CHECK(opt(&f, "zone", "lgwan", err, sizeof(err)) == 0 && !strcmp(f.zone, "lgwan"), "--zone");
	CHECK(opt(&f, "country", "jp", err, sizeof(err)) == 0 && !strcmp(f.country, "JP"), "--country upper-cased");
	CHECK(opt(&f, "app", "TLS.Tor", err, sizeof(err)) == 0 && !strcmp(f.app_proto, "TLS.Tor"), "--app");
	CHECK(opt(&f, "kind", "health", err, sizeof(err)) == 0 && !strcmp(f.kind, "health"), "--kind health");
	CHECK(opt(&f, "kind", "alert", err, sizeof(err)) == 0 && !strcmp(f.kind, "alert"), "--kind alert");
	CHECK(opt(&f, "kind", "rule", err, sizeof(err)) == 0 && !strcmp(f.kind, "alert"), "--kind rule = alert");
	CHECK(opt(&f, "kind", "behaviour", err, sizeof(err)) == 0 && !strcmp(f.kind, "behaviour"),
	      "--kind behaviour");
	CHECK(opt(&f, "kind", "behavior", err, sizeof(err)) == 0 && !strcmp(f.kind, "behaviour"),
	      "--kind behavior = behaviour");
	CHECK(opt(&f, "iface", "eth1", err, sizeof(err)) == 0 && !strcmp(f.iface, "eth1"), "--iface");
	CHECK(opt(&f, "iface", "0123456789abcde", err, sizeof(err)) == 0 && !strcmp(f.iface, "0123456789abcde"),
	      "--iface of 15 bytes");
	CHECK(opt(&f, "sort", "severity", err, sizeof(err)) == 0 && f.sort == QUERY_SORT_SEVERITY, "--sort severity");
	CHECK(opt(&f, "sort", "id", err, sizeof(err)) == 0 && f.sort == QUERY_SORT_ID, "--sort id");
	CHECK(opt(&f, "sort", "time", err, sizeof(err)) == 0 && f.sort == QUERY_SORT_TIME, "--sort time");
	CHECK(opt(&f, "asc", NULL, err, sizeof(err)) == 0 && f.ascending, "--asc");
	CHECK(opt(&f, "limit", "25", err, sizeof(err)) == 0 && f.limit == 25, "--limit");
	CHECK(opt(&f, "limit", "0", err, sizeof(err)) == 0 && f.limit == 0, "--limit 0: all");
	CHECK(opt(&f, "limit", "10000000", err, sizeof(err)) == 0 && f.limit == QUERY_LIMIT_MAX, "--limit max");

	check_bad_opt("from", "yesterday");
	check_bad_opt("from", "");
	check_bad_opt("to", "2026-02-30");
	check_bad_opt("since", "2x");
	check_bad_opt("since", "2026-11-26T25:00");
	check_bad_opt("sensor", "");
	check_bad_opt("severity", "severe");
	check_bad_opt("severity", "0");
	check_bad_opt("severity", "6");
	check_bad_opt("severity", "");
	check_bad_opt("sid", "0");
	check_bad_opt("sid", "-1");
	check_bad_opt("sid", "12a");
	check_bad_opt("sid", "4294967296");
	check_bad_opt("sid", "");
	check_bad_opt("sid", "99999999999999999999999");
	check_bad_opt("category", "");
	check_bad_opt("clause", "");
	check_bad_opt("ip", "10.0.0.0/40");
	check_bad_opt("ip", "example.com");
	check_bad_opt("zone", "");
	check_bad_opt("country", "JPN");
	check_bad_opt("country", "J");
	check_bad_opt("country", "1A");
	check_bad_opt("country", "");
	check_bad_opt("app", "");
	check_bad_opt("kind", "flow");
	check_bad_opt("kind", "behaviours");
	check_bad_opt("kind", "Behaviour");
	check_bad_opt("iface", "");
	check_bad_opt("iface", "a/b");
	check_bad_opt("iface", "eth 1");
	check_bad_opt("iface", "eth1\n");
	check_bad_opt("iface", "0123456789abcdef");
	check_bad_opt("iface", "eth\xff");
	check_bad_opt("sort", "name");
	check_bad_opt("limit", "-1");
	check_bad_opt("limit", "10000001");
	check_bad_opt("limit", "ten");
	check_bad_opt("limit", "");
	check_bad_opt("bogus", "1");
	{
		char longv[QUERY_TEXT_MAX + 10];
		memset(longv, 'a', sizeof(longv) - 1);
		longv[sizeof(longv) - 1] = '\0';
		check_bad_opt("sensor", longv);
		check_bad_opt("category", longv);
		check_bad_opt("clause", longv);
		check_bad_opt("zone", longv);
		check_bad_opt("app", longv);
		longv[QUERY_TEXT_MAX - 1] = '\0';
		query_filter_init(&f);
		CHECK(opt(&f, "sensor", longv, err, sizeof(err)) == 0 && strlen(f.sensor) == QUERY_TEXT_MAX - 1,
		      "a value of QUERY_TEXT_MAX - 1 bytes fits");
	}
	query_filter_init(&f);
	CHECK(query_filter_option(&f, "sensor", NULL, NOW, err, sizeof(err)) == -1, "a missing value refused");
}

static void test_keys(void)
{
	static const char *const names[] = { "rule", "src", "dest", "sensor", "src-country",
					     "dest-country", "clause", "src-zone", "dest-zone", "day",
					     "severity", "category", "app", "detector", "iface" };
	enum query_key k;

	CHECK(sizeof(names) / sizeof(names[0]) == QUERY_KEY_COUNT_, "every key named");
	for (int i = 0; i < QUERY_KEY_COUNT_; i++) {
		CHECK(query_key_parse(names[i], &k) == 0 && (int)k == i, "key %s", names[i]);
		CHECK(!strcmp(query_key_name((enum query_key)i), names[i]), "name of key %d", i);
	}
	CHECK(query_key_parse("sid", &k) == -1 && query_key_parse("", &k) == -1 &&
	      query_key_parse("Rule", &k) == -1 && query_key_parse(NULL, &k) == -1, "unknown keys refused");
	CHECK(!strcmp(query_key_name(QUERY_KEY_COUNT_), "?"), "name of an unknown key");
}

/* ---- the store's read side ----------------------------------------------------- */

struct spec {
	const char *sensor;
	int64_t ts_s;
	const char *src, *dest;
	int sport, dport;
	uint32_t sid;
	uint8_t sev;
	const char *clause, *category, *app;
	const char *szone, *dzone, *scountry, *dcountry;
	bool health;
};

#define T_MID 1795705200LL   /* 2026-11-26T15:00:00Z = 2026-11-27 00:00 JST */

/* ids in this order: 1..N */
static const struct spec specs[] = {
	/* 1: 23:59:59 JST on the 26th */
	{ "kobe-01", T_MID - 1, "10.0.0.1", "8.8.8.8", 50000, 443, 2001, 2, "第6(3)③", "Unauthorised software",
	  "TLS.Tor", "internet", "external", NULL, "US", false },
	/* 2: midnight JST, the 27th; the address of 1 as destination */
	{ "kobe-01", T_MID, "10.0.0.2", "10.0.0.1", 40000, 53, 3006, 4, "第6(6)", "Suspicious traffic", "DNS",
	  "lgwan", "internet", NULL, NULL, false },
	/* 3: IPv6 both sides, a country on the source */
	{ "himeji-02", T_MID + 3600, "2001:db8::5", "2a00:1450::1", 443, 60000, 3007, 1, "第6(3)③", "Malware",
	  "HTTP.AnyDesk", "dmz", "external", "JP", NULL, false },
	/* 4: a health alert */
	{ "himeji-02", T_MID + 7200, NULL, NULL, -1, -1, 9001, 3, "第6(7)", "Fault", NULL, NULL, NULL, NULL,
	  NULL, true },
	/* 5: a second before 6 */
	{ "nara-03", T_MID + 10800, "192.168.1.5", "10.0.0.3", 1234, 22, 2001, 2, "第6(3)③",
	  "Unauthorised software", "TLS", "internet", "core", NULL, NULL, false },
	/* 6 */
	{ "nara-03", T_MID + 10800, "10.0.0.4", "192.168.1.5", 22, 1234, 2004, 5, NULL, "Remote access",
	  "SSH", "core", "internet", "CN", "JP", false },
	/* 7: the day before, UTC and JST */
	{ "kobe-01", T_MID - 86400, "10.0.0.1", "1.1.1.1", 50001, 443, 2001, 2, "第6(3)③",
	  "Unauthorised software", "TLS.Tor", "internet", "external", NULL, "AU", false },
};
#define NSPECS (sizeof(specs) / sizeof(specs[0]))

static void make_rec(struct alert_rec *r, unsigned idx, const struct spec *sp)
{
	char json[256];
	const struct alert_fixture fx = {
		.kind = sp->health ? ALERT_REC_HEALTH : ALERT_REC_RULE, .id = idx + 0xa000,
		.sensor = sp->sensor, .ts_us = sp->ts_s * US + idx, .sid = sp->sid, .severity = sp->sev,
		.signature = sp->health ? "センサーのパケット取りこぼし" : "検知ルール", .signature_en = "a rule",
		.category = sp->category, .clause = sp->clause, .threat = sp->health ? "fault" : "malware",
		.flow_id = sp->health ? 0 : 1000 + idx, .proto = sp->health ? NULL : "TCP", .app_proto = sp->app,
		.src = sp->src, .dest = sp->dest, .src_port = sp->sport, .dest_port = sp->dport,
		.src_zone = sp->szone, .dest_zone = sp->dzone, .src_zone_name = sp->szone ? "名前" : NULL,
		.dest_zone_name = sp->dzone ? "名前" : NULL, .src_country = sp->scountry,
		.dest_country = sp->dcountry, .src_asn = -1, .dest_asn = sp->dcountry ? 64500 : -1,
		.health_condition = sp->health ? "capture_drops" : NULL,
		.health_state = sp->health ? "raised" : NULL, .json = json,
	};

	snprintf(json, sizeof(json), "{\"n\":%u,\"sensor\":\"%s\",\"text\":\"日本語\"}", idx, sp->sensor);
	alert_fixture_rec(r, &fx);
}

#define MAXIDS 64

struct got {
	int64_t ids[MAXIDS];
	int n;
	int stop_after;          /* return 7 after this many rows (0: never) */
	bool fields_ok;
};

static int collect(void *ctx, const struct query_row *row)
{
	struct got *g = ctx;
	const struct spec *sp;
	char json[256];

	if (g->n < MAXIDS)
		g->ids[g->n] = row->id;
	g->n++;
	/* every row read back as written */
	if (row->id < 1 || row->id > (int64_t)NSPECS) {
		g->fields_ok = false;
		return 0;
	}
	sp = &specs[row->id - 1];
	snprintf(json, sizeof(json), "{\"n\":%u,\"sensor\":\"%s\",\"text\":\"日本語\"}", (unsigned)row->id - 1,
		 sp->sensor);
	if (strcmp(row->rec.sensor, sp->sensor) || row->rec.sid != sp->sid || row->rec.severity != sp->sev ||
	    row->rec.ts_us != sp->ts_s * US + row->id - 1 || row->rec.json_len != strlen(json) ||
	    memcmp(row->rec.json, json, row->rec.json_len) ||
	    row->rec.kind != (sp->health ? ALERT_REC_HEALTH : ALERT_REC_RULE) ||
	    row->rec.src_port != sp->sport || row->rec.dest_port != sp->dport ||
	    (sp->src ? !row->rec.src.text || strcmp(row->rec.src.text, sp->src) : row->rec.src.text != NULL) ||
	    (sp->dest ? !row->rec.dest.text || strcmp(row->rec.dest.text, sp->dest) : row->rec.dest.text != NULL) ||
	    row->rec.src.family != (sp->src ? (strchr(sp->src, ':') ? 6 : 4) : 0) ||
	    (sp->clause ? !row->rec.clause || strcmp(row->rec.clause, sp->clause) : row->rec.clause != NULL) ||
	    (sp->app ? !row->rec.app_proto || strcmp(row->rec.app_proto, sp->app) : row->rec.app_proto != NULL) ||
	    row->rec.src_asn != -1 || row->rec.dest_asn != (sp->dcountry ? 64500 : -1) ||
	    strcmp(row->rec.signature_en, "a rule") || row->received_us != sp->ts_s * US) {
		printf("row %lld read back differently: %s %u %u %lld %s %d %d %lld %lld\n", (long long)row->id,
		       row->rec.sensor, row->rec.sid, row->rec.severity, (long long)row->rec.ts_us, row->rec.json,
		       row->rec.src_port, row->rec.dest_port, (long long)row->rec.dest_asn,
		       (long long)row->received_us);
		g->fields_ok = false;
	}
	if (sp->src) {
		struct alert_rec_addr want;
		alert_fixture_addr(&want, sp->src);
		if (memcmp(want.bytes, row->rec.src.bytes, 16))
			g->fields_ok = false;
		free(want.text);
	}
	if (g->stop_after && g->n >= g->stop_after)
		return 7;
	return 0;
}

/* ids as "1,2,3" */
static const char *ids_text(const struct got *g, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < g->n && i < MAXIDS && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%lld", i ? "," : "", (long long)g->ids[i]);
	return buf;
}

static void check_q(struct store *s, const struct query_filter *f, const char *want, const char *what)
{
	struct got g = { .fields_ok = true };
	char err[256] = "", buf[256];
	int rc = store_query(s, f, collect, &g, err, sizeof(err));

	ids_text(&g, buf, sizeof(buf));
	CHECK(rc == 0 && !strcmp(buf, want), "%s: rc %d %s, got [%s], want [%s]", what, rc, err, buf, want);
	CHECK(g.fields_ok, "%s: rows read back as written", what);
}

/* one filter option on a fresh (all-time, UTC) filter, then query */
static void check_opt_q(struct store *s, const char *name, const char *value, const char *want)
{
	struct query_filter f;
	char err[256], what[128];

	query_filter_init(&f);
	f.sort = QUERY_SORT_ID;
	f.ascending = true;
	CHECK(query_filter_option(&f, name, value, NOW, err, sizeof(err)) == 0, "--%s %s: %s", name, value, err);
	snprintf(what, sizeof(what), "--%s %s", name, value ? value : "");
	check_q(s, &f, want, what);
}

struct counts {
	char text[1024];
	size_t used;
	int n;
	int stop_after;
};

static int collect_count(void *ctx, const struct query_count *c)
{
	struct counts *k = ctx;

	if (k->used < sizeof(k->text))
		k->used += (size_t)snprintf(k->text + k->used, sizeof(k->text) - k->used, "%s%s=%llu",
					    k->n ? " " : "", c->key, (unsigned long long)c->count);
	if (c->label && k->used < sizeof(k->text))
		k->used += (size_t)snprintf(k->text + k->used, sizeof(k->text) - k->used, "(%s)", c->label);
	k->n++;
	if (c->first_us > c->last_us || c->severity_min < 1 || c->severity_min > 5)
		printf("count of %s: first/last or severity wrong\n", c->key);
	return k->stop_after && k->n >= k->stop_after ? 5 : 0;
}

static void check_count(struct store *s, const struct query_filter *f, enum query_key key, uint64_t limit,
			const char *want)
{
	struct counts k = { .used = 0 };
	char err[256] = "";
	int rc = store_count_by(s, f, key, limit, collect_count, &k, err, sizeof(err));

	CHECK(rc == 0 && !strcmp(k.text, want), "count by %s: rc %d %s, got [%s], want [%s]",
	      query_key_name(key), rc, err, k.text, want);
}

static struct store *build_store(const char *path)
{
	struct alert_rec recs[NSPECS];
	struct store_put_result res;
	char err[256];
	struct store *s = store_open(path, err, sizeof(err));

	CHECK(s != NULL, "open %s: %s", path, err);
	if (!s)
		return NULL;
	/* each received at its own time, so that retention (by the time
	 * received) deletes the oldest */
	for (unsigned i = 0; i < NSPECS; i++) {
		make_rec(&recs[i], i, &specs[i]);
		CHECK(store_put_batch(s, &recs[i], 1, specs[i].ts_s * US, &res, err, sizeof(err)) == 0 &&
		      res.inserted == 1, "stored: %s", err);
	}
	for (unsigned i = 0; i < NSPECS; i++)
		alert_fixture_free(&recs[i]);
	return s;
}

static void test_store_query(struct store *s)
{
	struct query_filter f;
	char err[256];

	/* everything, newest first; ties (5, 6) by id, newest id first */
	query_filter_init(&f);
	check_q(s, &f, "6,5,4,3,2,1,7", "all, newest first");
	f.ascending = true;
	check_q(s, &f, "7,1,2,3,4,5,6", "all, oldest first");
	f.ascending = false;
	f.sort = QUERY_SORT_SEVERITY;
	check_q(s, &f, "3,5,1,7,4,2,6", "most severe first, then newest");
	f.ascending = true;
	check_q(s, &f, "6,2,4,7,1,5,3", "least severe first, then oldest");
	f.sort = QUERY_SORT_ID;
	check_q(s, &f, "1,2,3,4,5,6,7", "in the order stored");
	f.ascending = false;
	check_q(s, &f, "7,6,5,4,3,2,1", "in the order stored, newest first");
	f.limit = 3;
	check_q(s, &f, "7,6,5", "limit 3");
	f.limit = 1;
	check_q(s, &f, "7", "limit 1");
	f.limit = 0;
	f.after_id = 4;
	f.ascending = true;
	check_q(s, &f, "5,6,7", "after_id 4");
	f.after_id = 7;
	check_q(s, &f, "", "after_id: the newest");
	f.after_id = 0;

	/* a callback's non-zero return stops and is returned */
	{
		struct got g = { .stop_after = 2, .fields_ok = true };
		query_filter_init(&f);
		CHECK(store_query(s, &f, collect, &g, err, sizeof(err)) == 7 && g.n == 2, "callback stop: %d", g.n);
	}

	/* time range: from included, to excluded */
	query_filter_init(&f);
	f.sort = QUERY_SORT_ID;
	f.ascending = true;
	f.from_us = T_MID * US;
	check_q(s, &f, "2,3,4,5,6", "from midnight JST");
	f.from_us = T_MID * US + 1;           /* alert 2 is at T_MID + 1 µs */
	check_q(s, &f, "2,3,4,5,6", "from midnight + 1 µs");
	f.from_us = T_MID * US + 2;
	check_q(s, &f, "3,4,5,6", "from after alert 2");
	f.from_us = 0;
	f.to_us = T_MID * US + 1;
	check_q(s, &f, "1,7", "to (excluded) alert 2's time");
	f.from_us = (T_MID - 2) * US;
	check_q(s, &f, "1", "from and to");
	f.from_us = (T_MID + 86400 * 10) * US;
	f.to_us = 0;
	check_q(s, &f, "", "empty: after everything");

	/* the filter options through the store */
	check_opt_q(s, "since", "2026-11-27", "2,3,4,5,6");                 /* JST midnight */
	check_opt_q(s, "to", "2026-11-27", "1,7");
	check_opt_q(s, "from", "2026-11-26T15:00:00.000002Z", "3,4,5,6");
	check_opt_q(s, "sensor", "kobe-01", "1,2,7");
	check_opt_q(s, "sensor", "kobe", "");
	check_opt_q(s, "severity", "high", "1,3,5,7");
	check_opt_q(s, "severity", "critical", "3");
	check_opt_q(s, "severity", "info", "1,2,3,4,5,6,7");
	check_opt_q(s, "sid", "2001", "1,5,7");
	check_opt_q(s, "sid", "9999", "");
	check_opt_q(s, "category", "Unauthorised software", "1,5,7");
	check_opt_q(s, "category", "unauthorised software", "");
	check_opt_q(s, "clause", "第6(3)③", "1,3,5,7");
	check_opt_q(s, "clause", "第6(3)*", "1,3,5,7");
	check_opt_q(s, "clause", "第6*", "1,2,3,4,5,7");
	check_opt_q(s, "clause", "第6(7)", "4");
	check_opt_q(s, "clause", "第6(3)", "");
	check_opt_q(s, "clause", "*", "1,2,3,4,5,6,7");
	check_opt_q(s, "ip", "10.0.0.1", "1,2,7");                   /* src of 1 and 7, dest of 2 */
	check_opt_q(s, "ip", "10.0.0.0/30", "1,2,5,7");              /* .0-.3 */
	check_opt_q(s, "ip", "10.0.0.4/32", "6");
	check_opt_q(s, "ip", "10.0.0.0/8", "1,2,5,6,7");
	check_opt_q(s, "ip", "192.168.1.5", "5,6");                  /* either side */
	check_opt_q(s, "ip", "8.8.8.0/24", "1");
	check_opt_q(s, "ip", "0.0.0.0/0", "1,2,5,6,7");              /* every IPv4 */
	check_opt_q(s, "ip", "2a00:1450::/32", "3");                 /* v6 destination */
	check_opt_q(s, "ip", "2001:db8::/32", "3");                  /* v6 source */
	check_opt_q(s, "ip", "2001:db8::5", "3");
	check_opt_q(s, "ip", "2001:db8::6", "");
	check_opt_q(s, "ip", "::/0", "1,2,3,5,6,7");                 /* every address: not health */
	check_opt_q(s, "ip", "172.16.0.0/12", "");
	check_opt_q(s, "zone", "internet", "1,2,5,6,7");
	check_opt_q(s, "zone", "dmz", "3");
	check_opt_q(s, "zone", "core", "5,6");
	check_opt_q(s, "country", "JP", "3,6");
	check_opt_q(s, "country", "us", "1");
	check_opt_q(s, "country", "DE", "");
	check_opt_q(s, "app", "TLS.Tor", "1,7");
	check_opt_q(s, "app", "TLS", "1,5,7");                       /* exact, or the master */
	check_opt_q(s, "app", "Tor", "1,7");                         /* the app part */
	check_opt_q(s, "app", "tor", "1,7");                         /* case ignored */
	check_opt_q(s, "app", "AnyDesk", "3");
	check_opt_q(s, "app", "HTTP", "3");
	check_opt_q(s, "app", "LS", "");
	check_opt_q(s, "app", "TLS.T", "");
	check_opt_q(s, "kind", "health", "4");
	check_opt_q(s, "kind", "alert", "1,2,3,5,6,7");

	/* several at once */
	query_filter_init(&f);
	f.sort = QUERY_SORT_ID;
	f.ascending = true;
	CHECK(query_filter_option(&f, "ip", "10.0.0.0/8", NOW, err, sizeof(err)) == 0 &&
	      query_filter_option(&f, "sensor", "kobe-01", NOW, err, sizeof(err)) == 0 &&
	      query_filter_option(&f, "since", "2026-11-27", NOW, err, sizeof(err)) == 0, "options");
	check_q(s, &f, "2", "ip + sensor + since");
	f.sid = 3006;
	check_q(s, &f, "2", "ip + sensor + since + sid");
	f.sid = 2001;
	check_q(s, &f, "", "ip + sensor + since + another sid");

	/* a broken filter is refused before the backend */
	query_filter_init(&f);
	f.sort = (enum query_sort)9;
	{
		struct got g = { .fields_ok = true };
		CHECK(store_query(s, &f, collect, &g, err, sizeof(err)) == -1 && g.n == 0, "bad sort refused");
	}
	query_filter_init(&f);
	memset(f.sensor, 'x', sizeof(f.sensor));
	{
		struct got g = { .fields_ok = true };
		CHECK(store_query(s, &f, collect, &g, err, sizeof(err)) == -1, "unterminated sensor refused: %s", err);
	}
}

static void test_store_count(struct store *s)
{
	struct query_filter f;
	char err[256];

	query_filter_init(&f);
	check_count(s, &f, QUERY_KEY_SID, 0, "2001=3(検知ルール) 2004=1(検知ルール) 3006=1(検知ルール) "
		    "3007=1(検知ルール) 9001=1(センサーのパケット取りこぼし)");
	check_count(s, &f, QUERY_KEY_SID, 2, "2001=3(検知ルール) 2004=1(検知ルール)");
	check_count(s, &f, QUERY_KEY_SENSOR, 0, "kobe-01=3 himeji-02=2 nara-03=2");
	check_count(s, &f, QUERY_KEY_SRC, 0, "10.0.0.1=2 =1 10.0.0.2=1 10.0.0.4=1 192.168.1.5=1 2001:db8::5=1");
	check_count(s, &f, QUERY_KEY_DEST, 3, "=1 1.1.1.1=1 10.0.0.1=1");
	check_count(s, &f, QUERY_KEY_SRC_COUNTRY, 0, "=5 CN=1 JP=1");
	check_count(s, &f, QUERY_KEY_DEST_COUNTRY, 0, "=4 AU=1 JP=1 US=1");
	check_count(s, &f, QUERY_KEY_CLAUSE, 0, "第6(3)③=4 =1 第6(6)=1 第6(7)=1");
	check_count(s, &f, QUERY_KEY_SRC_ZONE, 0, "internet=3(名前) =1 core=1(名前) dmz=1(名前) lgwan=1(名前)");
	check_count(s, &f, QUERY_KEY_DEST_ZONE, 1, "external=3(名前)");
	check_count(s, &f, QUERY_KEY_SEVERITY, 0, "1=1 2=3 3=1 4=1 5=1");
	check_count(s, &f, QUERY_KEY_CATEGORY, 0, "Unauthorised software=3 Fault=1 Malware=1 Remote access=1 "
		    "Suspicious traffic=1");
	check_count(s, &f, QUERY_KEY_APP, 2, "TLS.Tor=2 =1");
	/* days: 7 at midnight JST on the 26th (15:00Z the 25th), 1 at 23:59:59 JST
	 * on the 26th (14:59:59Z), 2 at midnight JST on the 27th (15:00Z) */
	check_count(s, &f, QUERY_KEY_DAY, 0, "2026-11-26=2 2026-11-27=5");
	f.tz_offset_s = 0;
	check_count(s, &f, QUERY_KEY_DAY, 0, "2026-11-25=1 2026-11-26=6");
	/* the filter applies; its own limit does not */
	query_filter_init(&f);
	f.limit = 1;
	CHECK(query_filter_option(&f, "ip", "10.0.0.0/8", NOW, err, sizeof(err)) == 0, "ip");
	check_count(s, &f, QUERY_KEY_SENSOR, 0, "kobe-01=3 nara-03=2");
	CHECK(query_filter_option(&f, "since", "2026-11-27", NOW, err, sizeof(err)) == 0, "since");
	check_count(s, &f, QUERY_KEY_DAY, 0, "2026-11-27=3");
	CHECK(query_filter_option(&f, "sid", "9999", NOW, err, sizeof(err)) == 0, "sid");
	check_count(s, &f, QUERY_KEY_SID, 0, "");
	/* callback stop */
	{
		struct counts k = { .stop_after = 1 };
		query_filter_init(&f);
		CHECK(store_count_by(s, &f, QUERY_KEY_SENSOR, 0, collect_count, &k, err, sizeof(err)) == 5 &&
		      k.n == 1, "count callback stop");
		CHECK(store_count_by(s, &f, QUERY_KEY_COUNT_, 0, collect_count, &k, err, sizeof(err)) == -1,
		      "unknown key refused");
	}
	/* first/last and the most severe of a group */
	{
		struct counts k = { .used = 0 };
		query_filter_init(&f);
		f.sid = 2001;
		CHECK(store_count_by(s, &f, QUERY_KEY_SID, 0, collect_count, &k, err, sizeof(err)) == 0 &&
		      k.n == 1, "one group");
	}
}

struct sensors_seen {
	char text[1024];
	size_t used;
	struct store_sensor kobe;
};

static int collect_sensor(void *ctx, const struct store_sensor *sn)
{
	struct sensors_seen *k = ctx;

	k->used += (size_t)snprintf(k->text + k->used, sizeof(k->text) - k->used, "%s%s:%llu:%s",
				    k->used ? " " : "", sn->sensor, (unsigned long long)sn->stored,
				    sn->last_heartbeat_us ? "hb" : "-");
	if (!strcmp(sn->sensor, "kobe-01"))
		k->kobe = *sn;
	return 0;
}

static void test_sensors(struct store *s)
{
	struct store_sensor hb;
	struct sensors_seen k;
	char err[256];
	uint64_t deleted;

	memset(&k, 0, sizeof(k));
	CHECK(store_sensors(s, collect_sensor, &k, err, sizeof(err)) == 0 &&
	      !strcmp(k.text, "himeji-02:2:- kobe-01:3:- nara-03:2:-"), "sensors from alerts: %s", k.text);
	CHECK(k.kobe.last_received_us == T_MID * US && k.kobe.first_received_us == (T_MID - 1) * US &&
	      k.kobe.last_alert_us == T_MID * US + 1 && k.kobe.packets == -1 && k.kobe.uptime_s == -1 &&
	      !k.kobe.version[0], "kobe-01 before a heartbeat");

	memset(&hb, 0, sizeof(hb));
	snprintf(hb.sensor, sizeof(hb.sensor), "kobe-01");
	hb.last_heartbeat_us = NOW + 10 * US;
	snprintf(hb.version, sizeof(hb.version), "0.1.0");
	snprintf(hb.ruleset, sizeof(hb.ruleset), "2026.11.1");
	hb.uptime_s = 3600;
	hb.packets = 123456789012LL;
	hb.kernel_drops = 5;
	hb.queue_drops = 0;
	hb.flows = 1000;
	hb.flows_active = 10;
	hb.alerts = 3;
	hb.alerts_dropped = -1;     /* unknown */
	hb.spool_records = 0;
	hb.spool_bytes = 4096;
	CHECK(store_heartbeat(s, &hb, err, sizeof(err)) == 0, "heartbeat: %s", err);
	/* an older one changes nothing */
	hb.last_heartbeat_us = NOW + 5 * US;
	hb.packets = 1;
	snprintf(hb.version, sizeof(hb.version), "0.0.9");
	CHECK(store_heartbeat(s, &hb, err, sizeof(err)) == 0, "older heartbeat: %s", err);
	/* a heartbeat-only sensor */
	memset(&hb, 0, sizeof(hb));
	snprintf(hb.sensor, sizeof(hb.sensor), "aaa-quiet");
	hb.last_heartbeat_us = NOW;
	hb.uptime_s = hb.packets = hb.kernel_drops = hb.queue_drops = hb.flows = hb.flows_active = -1;
	hb.alerts = hb.alerts_dropped = hb.spool_records = hb.spool_bytes = -1;
	CHECK(store_heartbeat(s, &hb, err, sizeof(err)) == 0, "heartbeat of a quiet sensor: %s", err);

	memset(&k, 0, sizeof(k));
	CHECK(store_sensors(s, collect_sensor, &k, err, sizeof(err)) == 0 &&
	      !strcmp(k.text, "aaa-quiet:0:hb himeji-02:2:- kobe-01:3:hb nara-03:2:-"), "sensors: %s", k.text);
	CHECK(k.kobe.last_heartbeat_us == NOW + 10 * US && k.kobe.packets == 123456789012LL &&
	      k.kobe.kernel_drops == 5 && k.kobe.queue_drops == 0 && k.kobe.alerts_dropped == -1 &&
	      k.kobe.spool_bytes == 4096 && k.kobe.uptime_s == 3600 && k.kobe.flows_active == 10 &&
	      !strcmp(k.kobe.version, "0.1.0") && !strcmp(k.kobe.ruleset, "2026.11.1") && k.kobe.stored == 3,
	      "kobe-01's newest heartbeat kept (packets %lld, version %s)", (long long)k.kobe.packets,
	      k.kobe.version);

	/* refused heartbeats */
	memset(&hb, 0, sizeof(hb));
	hb.last_heartbeat_us = NOW;
	CHECK(store_heartbeat(s, &hb, err, sizeof(err)) == -1, "heartbeat without a sensor refused");
	snprintf(hb.sensor, sizeof(hb.sensor), "x");
	hb.last_heartbeat_us = 0;
	CHECK(store_heartbeat(s, &hb, err, sizeof(err)) == -1, "heartbeat without a time refused");
	hb.last_heartbeat_us = NOW;
	memset(hb.version, 'v', sizeof(hb.version));
	CHECK(store_heartbeat(s, &hb, err, sizeof(err)) == -1, "unterminated version refused");

	/* retention keeps the per-sensor count */
	CHECK(store_purge_before(s, T_MID * US, 100, &deleted, err, sizeof(err)) == 0 && deleted == 2,
	      "purged 2: %s", err);
	memset(&k, 0, sizeof(k));
	CHECK(store_sensors(s, collect_sensor, &k, err, sizeof(err)) == 0 &&
	      !strcmp(k.text, "aaa-quiet:0:hb himeji-02:2:- kobe-01:1:hb nara-03:2:-"), "after purge: %s", k.text);
}

/* ---- plans ------------------------------------------------------------------ */

static void plan(sqlite3 *db, const struct query_filter *f, int key, char *buf, size_t len)
{
	char sql[4096];

	buf[0] = '\0';
	if (store_sqlite_explain_sql(f, key, sql, sizeof(sql)) < 0) {
		printf("no SQL\n");
		return;
	}
	sql_plan(db, sql, buf, len);
	if (getenv("ZW_TEST_PLANS"))
		printf("%s\n  -> %s\n", sql, buf);
}

static void test_plans(const char *path)
{
	struct query_filter f, g;
	sqlite3 *db = NULL;
	char buf[2048], err[256];

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		CHECK(0, "open %s", path);
		return;
	}
	query_filter_init(&f);
	f.limit = 100;
	query_filter_option(&f, "since", "-24h", NOW, err, sizeof(err));

	plan(db, &f, -1, buf, sizeof(buf));
	CHECK(strstr(buf, "alerts_ts (ts_us>? AND ts_us<?)") || strstr(buf, "USING INDEX alerts_ts (ts_us>?)"),
	      "time range: alerts_ts: %s", buf);
	/* the index gives the time order; only alerts of the same microsecond
	 * are put in id order ("right part"), never the whole range sorted */
	CHECK(!strstr(buf, "TEMP B-TREE") || strstr(buf, "TEMP B-TREE FOR RIGHT PART OF ORDER BY"),
	      "newest first from the index, no full sort: %s", buf);

	g = f;
	query_filter_option(&g, "ip", "10.1.2.3", NOW, err, sizeof(err));
	plan(db, &g, -1, buf, sizeof(buf));
	CHECK(strstr(buf, "MULTI-INDEX OR") && strstr(buf, "alerts_src (src_ip_bin=? AND ts_us>?") &&
	      strstr(buf, "alerts_dest (dest_ip_bin=? AND ts_us>?"), "IP + time: both address indexes: %s", buf);

	g = f;
	query_filter_option(&g, "ip", "10.1.2.0/24", NOW, err, sizeof(err));
	plan(db, &g, -1, buf, sizeof(buf));
	CHECK(strstr(buf, "MULTI-INDEX OR") && strstr(buf, "alerts_src (src_ip_bin>? AND src_ip_bin<?)") &&
	      strstr(buf, "alerts_dest (dest_ip_bin>? AND dest_ip_bin<?)"), "CIDR + time: both address indexes: %s",
	      buf);

	query_filter_option(&g, "sensor", "kobe-01", NOW, err, sizeof(err));
	query_filter_option(&g, "sid", "2001", NOW, err, sizeof(err));
	plan(db, &g, -1, buf, sizeof(buf));
	CHECK(strstr(buf, "alerts_src") && strstr(buf, "alerts_dest") && !strstr(buf, "alerts_sensor") &&
	      !strstr(buf, "alerts_sid"), "CIDR + sensor + sid: still the address indexes: %s", buf);

	g = f;
	query_filter_option(&g, "sensor", "kobe-01", NOW, err, sizeof(err));
	plan(db, &g, -1, buf, sizeof(buf));
	CHECK(strstr(buf, "alerts_sensor (sensor=? AND ts_us>?)") != NULL, "sensor + time: %s", buf);

	g = f;
	query_filter_option(&g, "sid", "2001", NOW, err, sizeof(err));
	plan(db, &g, -1, buf, sizeof(buf));
	CHECK(strstr(buf, "alerts_sid (sid=? AND ts_us>?)") != NULL, "sid + time: %s", buf);

	g = f;
	g.from_us = 0;
	g.sort = QUERY_SORT_ID;
	g.ascending = true;
	g.after_id = 100;
	plan(db, &g, -1, buf, sizeof(buf));
	CHECK(strstr(buf, "INTEGER PRIMARY KEY (rowid>?)") != NULL, "tail: rowid range: %s", buf);

	plan(db, &f, QUERY_KEY_SID, buf, sizeof(buf));
	CHECK(strstr(buf, "alerts_ts") && !strstr(buf, "alerts_sid"), "count by rule over a range: %s", buf);
	plan(db, &f, QUERY_KEY_SENSOR, buf, sizeof(buf));
	CHECK(strstr(buf, "alerts_ts") && !strstr(buf, "alerts_sensor"), "count by sensor over a range: %s", buf);
	g = f;
	g.from_us = 0;
	plan(db, &g, QUERY_KEY_SID, buf, sizeof(buf));
	CHECK(!strstr(buf, "alerts_sid"), "count by rule, all time: a scan, not the sid index: %s", buf);
	g = f;
	query_filter_option(&g, "ip", "10.1.2.3", NOW, err, sizeof(err));
	plan(db, &g, QUERY_KEY_DEST, buf, sizeof(buf));
	CHECK(strstr(buf, "alerts_src") && strstr(buf, "alerts_dest"), "count for one address: %s", buf);
	sqlite3_close(db);
}

/* ---- behaviour alerts ------------------------------------------------------ */

struct bspec {
	const char *detector, *kind, *src, *dest;
	int dport;
};

/* ids 1..4; 5 is a rule alert */
static const struct bspec bspecs[] = {
	{ "port_scan", "syn", "10.100.25.14", "10.100.18.12", 445 },
	{ "udp_flood", "pps", NULL, "2001:db8::53", 53 },          /* spoofed sources */
	{ "host_sweep", "icmp_echo", "10.100.25.14", NULL, -1 },   /* many destinations */
	{ "port_scan", "fin", "192.0.2.7", "10.100.18.12", -1 },
};
#define NBSPECS (sizeof(bspecs) / sizeof(bspecs[0]))

struct brows {
	char text[512];
	size_t used;
};

/* "id:detector/kind:src>dest:port" per row */
static int collect_behaviour(void *ctx, const struct query_row *row)
{
	struct brows *b = ctx;
	const struct alert_rec *r = &row->rec;

	if (b->used < sizeof(b->text))
		b->used += (size_t)snprintf(b->text + b->used, sizeof(b->text) - b->used, "%s%lld:%s:%s/%s:%s>%s:%d",
					    b->used ? " " : "", (long long)row->id,
					    r->kind == ALERT_REC_BEHAVIOUR ? "b" : r->kind == ALERT_REC_RULE ? "r" : "h",
					    r->behaviour_detector ? r->behaviour_detector : "-",
					    r->behaviour_kind ? r->behaviour_kind : "-", r->src.text ? r->src.text : "-",
					    r->dest.text ? r->dest.text : "-", r->dest_port);
	return 0;
}

static void check_bq(struct store *s, const char *name, const char *value, const char *want)
{
	struct query_filter f;
	struct brows b = { .used = 0 };
	char err[256] = "";

	query_filter_init(&f);
	f.sort = QUERY_SORT_ID;
	f.ascending = true;
	if (name)
		CHECK(query_filter_option(&f, name, value, NOW, err, sizeof(err)) == 0, "--%s %s: %s", name, value, err);
	CHECK(store_query(s, &f, collect_behaviour, &b, err, sizeof(err)) == 0 && !strcmp(b.text, want),
	      "behaviour query --%s %s: got [%s], want [%s] %s", name ? name : "", value ? value : "", b.text,
	      want, err);
}

static void test_behaviour(const char *dir)
{
	struct alert_rec r;
	struct store_put_result res;
	struct query_filter f;
	char path[256], err[256];
	struct store *s;

	snprintf(path, sizeof(path), "%s/behaviour.db", dir);
	s = store_open(path, err, sizeof(err));
	CHECK(s != NULL, "open %s: %s", path, err);
	if (!s)
		return;
	for (unsigned i = 0; i < NBSPECS; i++) {
		const struct bspec *b = &bspecs[i];
		const struct alert_fixture fx = {
			.kind = ALERT_REC_BEHAVIOUR, .id = 0xb000 + i, .sensor = "kobe-01",
			.ts_us = T_MID * US + i, .sid = 9101 + i, .severity = 3, .signature = "振る舞い",
			.signature_en = "behaviour", .category = "Unauthorised access", .clause = "第6(6)",
			.threat = "unauthorized-access", .proto = b->dport >= 0 ? "TCP" : NULL,
			.src = b->src, .dest = b->dest, .src_port = -1, .dest_port = b->dport,
			.src_zone = b->src ? "internet" : NULL, .src_zone_name = b->src ? "名前" : NULL,
			.dest_zone = b->dest ? "core" : NULL, .dest_zone_name = b->dest ? "名前" : NULL,
			.src_asn = -1, .dest_asn = -1, .behaviour_detector = b->detector,
			.behaviour_kind = b->kind, .json = "{}",
		};
		alert_fixture_rec(&r, &fx);
		CHECK(store_put_batch(s, &r, 1, NOW, &res, err, sizeof(err)) == 0 && res.inserted == 1,
		      "behaviour %u stored: %s", i, err);
		alert_fixture_free(&r);
	}
	make_rec(&r, 0, &specs[0]);   /* a rule alert: 10.0.0.1 -> 8.8.8.8 */
	CHECK(store_put_batch(s, &r, 1, NOW, &res, err, sizeof(err)) == 0 && res.inserted == 1, "rule stored");
	alert_fixture_free(&r);

	/* read back: kind, detector and kind, the ends that are there */
	check_bq(s, "kind", "behaviour",
		 "1:b:port_scan/syn:10.100.25.14>10.100.18.12:445 2:b:udp_flood/pps:->2001:db8::53:53 "
		 "3:b:host_sweep/icmp_echo:10.100.25.14>-:-1 4:b:port_scan/fin:192.0.2.7>10.100.18.12:-1");
	check_bq(s, "kind", "alert", "5:r:-/-:10.0.0.1>8.8.8.8:443");
	check_bq(s, "kind", "health", "");
	/* addresses on either side, when there */
	check_bq(s, "ip", "10.100.25.14",
		 "1:b:port_scan/syn:10.100.25.14>10.100.18.12:445 3:b:host_sweep/icmp_echo:10.100.25.14>-:-1");
	check_bq(s, "ip", "10.100.18.0/24",
		 "1:b:port_scan/syn:10.100.25.14>10.100.18.12:445 4:b:port_scan/fin:192.0.2.7>10.100.18.12:-1");
	check_bq(s, "ip", "2001:db8::/32", "2:b:udp_flood/pps:->2001:db8::53:53");
	check_bq(s, "ip", "0.0.0.0/0",
		 "1:b:port_scan/syn:10.100.25.14>10.100.18.12:445 3:b:host_sweep/icmp_echo:10.100.25.14>-:-1 "
		 "4:b:port_scan/fin:192.0.2.7>10.100.18.12:-1 5:r:-/-:10.0.0.1>8.8.8.8:443");
	check_bq(s, "zone", "core",
		 "1:b:port_scan/syn:10.100.25.14>10.100.18.12:445 2:b:udp_flood/pps:->2001:db8::53:53 "
		 "4:b:port_scan/fin:192.0.2.7>10.100.18.12:-1");
	check_bq(s, "sid", "9103", "3:b:host_sweep/icmp_echo:10.100.25.14>-:-1");
	check_bq(s, "clause", "第6(6)",
		 "1:b:port_scan/syn:10.100.25.14>10.100.18.12:445 2:b:udp_flood/pps:->2001:db8::53:53 "
		 "3:b:host_sweep/icmp_echo:10.100.25.14>-:-1 4:b:port_scan/fin:192.0.2.7>10.100.18.12:-1");

	/* counted by detector (empty for the rule alert), by address, by kind filter */
	query_filter_init(&f);
	check_count(s, &f, QUERY_KEY_DETECTOR, 0, "port_scan=2 =1 host_sweep=1 udp_flood=1");
	check_count(s, &f, QUERY_KEY_SRC, 0, "10.100.25.14=2 =1 10.0.0.1=1 192.0.2.7=1");
	check_count(s, &f, QUERY_KEY_DEST, 0, "10.100.18.12=2 =1 2001:db8::53=1 8.8.8.8=1");
	check_count(s, &f, QUERY_KEY_SID, 0, "2001=1(検知ルール) 9101=1(振る舞い) 9102=1(振る舞い) "
		    "9103=1(振る舞い) 9104=1(振る舞い)");
	check_count(s, &f, QUERY_KEY_CLAUSE, 0, "第6(6)=4 第6(3)③=1");
	CHECK(query_filter_option(&f, "kind", "behaviour", NOW, err, sizeof(err)) == 0, "kind");
	check_count(s, &f, QUERY_KEY_DETECTOR, 0, "port_scan=2 host_sweep=1 udp_flood=1");
	check_count(s, &f, QUERY_KEY_SEVERITY, 0, "3=4");
	CHECK(query_filter_option(&f, "ip", "10.100.25.14", NOW, err, sizeof(err)) == 0, "ip");
	check_count(s, &f, QUERY_KEY_DETECTOR, 0, "host_sweep=1 port_scan=1");
	store_close(s);
}

/* ---- in_iface ---------------------------------------------------------------- */

/* "id:iface" per row ("-" for none) */
static int collect_iface(void *ctx, const struct query_row *row)
{
	struct brows *b = ctx;

	if (b->used < sizeof(b->text))
		b->used += (size_t)snprintf(b->text + b->used, sizeof(b->text) - b->used, "%s%lld:%s",
					    b->used ? " " : "", (long long)row->id,
					    row->rec.in_iface ? row->rec.in_iface : "-");
	return 0;
}

static void check_iq(struct store *s, const char *const *opts, const char *want)
{
	struct query_filter f;
	struct brows b = { .used = 0 };
	char err[256] = "";

	query_filter_init(&f);
	f.sort = QUERY_SORT_ID;
	f.ascending = true;
	for (; opts[0]; opts += 2)
		CHECK(query_filter_option(&f, opts[0], opts[1], NOW, err, sizeof(err)) == 0, "--%s %s: %s",
		      opts[0], opts[1], err);
	CHECK(store_query(s, &f, collect_iface, &b, err, sizeof(err)) == 0 && !strcmp(b.text, want),
	      "in_iface query: got [%s], want [%s] %s", b.text, want, err);
}

/* Version-4 alerts with the capture interface, next to alerts without one:
 * read back, filtered by --iface (alone and with other filters), counted by
 * iface. */
static void test_iface(const char *dir)
{
	static const char *const ifaces[] = { "eth1", "eth2", "eth2", NULL };
	struct alert_rec r;
	struct store_put_result res;
	struct query_filter f;
	char path[256], err[256];
	struct store *s;

	snprintf(path, sizeof(path), "%s/iface.db", dir);
	s = store_open(path, err, sizeof(err));
	CHECK(s != NULL, "open %s: %s", path, err);
	if (!s)
		return;
	/* 1 rule eth1, 2 behaviour eth2, 3 rule eth2, 4 rule (a replay), 5 health */
	for (unsigned i = 0; i < 4; i++) {
		const struct alert_fixture fx = {
			.kind = i == 1 ? ALERT_REC_BEHAVIOUR : ALERT_REC_RULE, .id = 0xc000 + i,
			.sensor = "kobe-01", .ts_us = T_MID * US + i, .sid = i == 1 ? 9101 : 2001, .severity = 2,
			.signature = "検知", .signature_en = "detected", .category = "Unauthorised access",
			.clause = "第6(6)", .threat = "unauthorized-access", .in_iface = ifaces[i],
			.flow_id = i == 1 ? 0 : 77 + i, .proto = "TCP", .app_proto = i == 1 ? NULL : "TLS",
			.src = "10.0.0.1", .dest = i == 2 ? "10.0.0.3" : "10.0.0.2", .src_port = i == 1 ? -1 : 40000,
			.dest_port = 443, .src_zone = "internet", .dest_zone = "core", .src_zone_name = "名前",
			.dest_zone_name = "名前", .src_asn = -1, .dest_asn = -1,
			.behaviour_detector = i == 1 ? "port_scan" : NULL, .behaviour_kind = i == 1 ? "syn" : NULL,
			.json = "{}",
		};
		alert_fixture_rec(&r, &fx);
		CHECK(store_put_batch(s, &r, 1, NOW, &res, err, sizeof(err)) == 0 && res.inserted == 1,
		      "alert %u stored: %s", i, err);
		alert_fixture_free(&r);
	}
	make_rec(&r, 4, &specs[3]);   /* a health alert */
	r.ts_us = T_MID * US + 4;
	CHECK(store_put_batch(s, &r, 1, NOW, &res, err, sizeof(err)) == 0 && res.inserted == 1, "health stored");
	alert_fixture_free(&r);

	check_iq(s, (const char *const[]){ NULL }, "1:eth1 2:eth2 3:eth2 4:- 5:-");
	check_iq(s, (const char *const[]){ "iface", "eth1", NULL }, "1:eth1");
	check_iq(s, (const char *const[]){ "iface", "eth2", NULL }, "2:eth2 3:eth2");
	check_iq(s, (const char *const[]){ "iface", "eth2", "kind", "behaviour", NULL }, "2:eth2");
	check_iq(s, (const char *const[]){ "iface", "eth2", "ip", "10.0.0.3", NULL }, "3:eth2");
	check_iq(s, (const char *const[]){ "iface", "eth2", "sensor", "kobe-01", "sid", "2001", NULL }, "3:eth2");
	check_iq(s, (const char *const[]){ "iface", "ETH1", NULL }, "");   /* exact: Linux names are */
	check_iq(s, (const char *const[]){ "iface", "eth", NULL }, "");

	query_filter_init(&f);
	check_count(s, &f, QUERY_KEY_IFACE, 0, "=2 eth2=2 eth1=1");
	CHECK(query_filter_option(&f, "kind", "alert", NOW, err, sizeof(err)) == 0, "kind");
	check_count(s, &f, QUERY_KEY_IFACE, 0, "=1 eth1=1 eth2=1");
	store_close(s);
}

/* A second struct store reads while the first one writes. */
static void test_reader(const char *path, struct store *w)
{
	struct alert_rec r;
	struct store_put_result res;
	struct query_filter f;
	struct got g = { .fields_ok = true };
	char err[256];
	struct store *rd = store_open(path, err, sizeof(err));
	struct spec sp = specs[0];

	CHECK(rd != NULL, "second store on the file: %s", err);
	if (!rd)
		return;
	query_filter_init(&f);
	CHECK(store_query(rd, &f, collect, &g, err, sizeof(err)) == 0 && g.n == 5, "reader sees 5: %d", g.n);
	sp.ts_s = T_MID + 86400;
	make_rec(&r, 100, &sp);
	CHECK(store_put_batch(w, &r, 1, NOW, &res, err, sizeof(err)) == 0 && res.inserted == 1, "write: %s", err);
	alert_fixture_free(&r);
	g.n = 0;
	CHECK(store_query(rd, &f, collect, &g, err, sizeof(err)) == 0 && g.n == 6, "reader sees the new one: %d",
	      g.n);
	/* ids only grow, even after retention deleted the highest (7) */
	CHECK(g.ids[0] == (int64_t)NSPECS + 1, "the new alert's id is %lld", (long long)g.ids[0]);
	store_close(rd);
}

int main(void)
{
	char dir[] = "/tmp/zw-test-query.XXXXXX", path[256], cmd[300];
	struct store *s;

	test_times();
	test_format();
	test_nets();
	test_options();
	test_keys();
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/store.db", dir);
	s = build_store(path);
	if (s) {
		test_store_query(s);
		test_store_count(s);
		test_plans(path);
		test_sensors(s);
		test_reader(path, s);
		store_close(s);
	}
	test_behaviour(dir);
	test_iface(dir);
	{
		/* an empty store answers with nothing */
		struct store *e;
		struct query_filter f;
		struct got g = { .fields_ok = true };
		struct counts k = { .used = 0 };
		char err[256];
		snprintf(path, sizeof(path), "%s/empty.db", dir);
		e = store_open(path, err, sizeof(err));
		CHECK(e != NULL, "empty store: %s", err);
		if (e) {
			query_filter_init(&f);
			CHECK(store_query(e, &f, collect, &g, err, sizeof(err)) == 0 && g.n == 0, "no rows");
			CHECK(store_count_by(e, &f, QUERY_KEY_DAY, 0, collect_count, &k, err, sizeof(err)) == 0 &&
			      k.n == 0, "no groups");
			store_close(e);
		}
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("could not remove %s\n", dir);
	return check_done();
}
