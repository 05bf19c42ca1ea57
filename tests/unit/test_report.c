/* Unit tests: report_write (report.h) on a small SQLite store whose alerts
 * carry hostile strings (markup, a spreadsheet formula, '|', a line break,
 * invalid UTF-8): each format escapes them, and the counts agree with the
 * alerts put in.  Also the English labels, an empty range, the "others" row
 * of a short top table, and refused options. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alert_fixture.h"
#include "check.h"
#include "query.h"
#include "report.h"
#include "store.h"

#define HOUR_US 3600000000LL
#define DAY_US  (24 * HOUR_US)
/* 2026-11-23 00:00 JST, unix microseconds */
#define T0      (1795359600LL * 1000000)

#define SIG_MARKUP  "<script>alert(1)</script> & \"q\" 'a'"
#define SIG_FORMULA "=HYPERLINK(\"http://x\")|pipe\nnext"
#define SENSOR_FORMULA "=cmd|' /C calc'!A0"

static void rec_init(struct alert_rec *r, unsigned id, const char *sensor, int64_t ts_us,
		     uint32_t sid, uint8_t severity, const char *signature, const char *clause,
		     const char *category)
{
	const struct alert_fixture fx = {
		.kind = ALERT_REC_RULE, .id = id, .sensor = sensor, .ts_us = ts_us, .sid = sid,
		.severity = severity, .signature = signature, .signature_en = "English | name",
		.category = category, .clause = clause, .threat = "malware", .flow_id = id,
		.proto = "TCP", .app_proto = "TLS", .src = "192.168.1.10", .dest = "46.59.52.31",
		.src_port = 50000, .dest_port = 443, .src_zone = "internet", .dest_zone = "external",
		.src_zone_name = "情報系<b>", .dest_zone_name = "external", .dest_country = "SE",
		.src_asn = -1, .dest_asn = -1, .json = "{}",
	};

	alert_fixture_rec(r, &fx);
}

/* The report of o as a string (caller frees), or NULL with err set. */
static char *report_string(struct store *s, const struct report_opts *o, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (!f)
		return NULL;
	rc = report_write(s, o, f, err, errlen);
	fclose(f);
	if (rc != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void opts_init(struct report_opts *o, enum report_format fmt)
{
	memset(o, 0, sizeof(*o));
	query_filter_init(&o->filter);
	o->filter.from_us = T0;
	o->filter.to_us = T0 + 3 * DAY_US;
	o->format = fmt;
	o->top_n = 10;
	o->generated_us = T0 + 3 * DAY_US;
}

static void test_html(struct store *s)
{
	struct report_opts o;
	char err[256], *h;

	opts_init(&o, REPORT_HTML);
	h = report_string(s, &o, err, sizeof(err));
	CHECK(h != NULL, "html report: %s", err);
	if (!h)
		return;
	CHECK(strstr(h, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot; &#39;a&#39;") != NULL,
	      "signature HTML-escaped");
	CHECK(strstr(h, "<script") == NULL && strstr(h, "<SCRIPT") == NULL, "no script element");
	CHECK(strstr(h, "href=") == NULL && strstr(h, "src=") == NULL && strstr(h, "url(") == NULL,
	      "no links, no loaded resources");
	CHECK(strstr(h, "情報系&lt;b&gt;") != NULL, "zone name escaped");
	CHECK(strstr(h, "<b>") == NULL, "no markup from the store");
	CHECK(strstr(h, "bad \xef\xbf\xbd byte \xef\xbf\xbd") != NULL,
	      "invalid UTF-8 and a control character replaced by U+FFFD");
	CHECK(strstr(h, "\xff") == NULL, "no invalid byte left");
	CHECK(strstr(h, "<svg") != NULL, "SVG charts");
	CHECK(strstr(h, "Content-Security-Policy") != NULL, "a CSP");
	CHECK(strstr(h, "自己点検報告") != NULL && strstr(h, "条項別") != NULL, "Japanese labels");
	CHECK(strstr(h, "<title>2026-11-24 (火): 2, 緊急 1, 高 1</title>") != NULL,
	      "the day bar of 11-24 JST: 2 alerts, one critical, one high");
	free(h);

	o.english = true;
	o.title = "Q4 <review>";
	h = report_string(s, &o, err, sizeof(err));
	CHECK(h != NULL, "english html: %s", err);
	if (h) {
		CHECK(strstr(h, "Self-inspection report") == NULL, "title replaced");
		CHECK(strstr(h, "<h1>Q4 &lt;review&gt;</h1>") != NULL, "the title escaped");
		CHECK(strstr(h, "By policy clause") != NULL, "English labels");
		CHECK(strstr(h, "English | name") != NULL, "signature_en in English");
		free(h);
	}
}

/* The first '<' without a backslash before it, or NULL. */
static const char *md_raw_lt(const char *m)
{
	for (const char *p = strchr(m, '<'); p; p = strchr(p + 1, '<'))
		if (p == m || p[-1] != '\\')
			return p;
	return NULL;
}

static void test_markdown(struct store *s)
{
	struct report_opts o;
	char err[256], *m;

	opts_init(&o, REPORT_MARKDOWN);
	m = report_string(s, &o, err, sizeof(err));
	CHECK(m != NULL, "markdown report: %s", err);
	if (!m)
		return;
	CHECK(strstr(m, "\\<script\\>alert(1)\\</script\\> \\& \"q\" 'a'") != NULL, "markup escaped");
	CHECK(md_raw_lt(m) == NULL, "no unescaped '<': %.40s", md_raw_lt(m));
	CHECK(strstr(m, "=HYPERLINK(\"http://x\")\\|pipe next") != NULL,
	      "'|' escaped and the line break a space");
	CHECK(strstr(m, "\nnext") == NULL, "no line break inside a cell");
	CHECK(strstr(m, "| 警報の総数 | 5 |") != NULL, "total 5");
	CHECK(strstr(m, "## 日別") && strstr(m, "## 条項別") && strstr(m, "## センサー別") &&
	      strstr(m, "## 上位ルール") && strstr(m, "## 上位送信元") && strstr(m, "## 上位宛先") &&
	      strstr(m, "### 送信元ゾーン") && strstr(m, "### 宛先の国"), "the sections");
	CHECK(strstr(m, "| 2026-11-23 | 月 | 1 |") != NULL, "day 11-23: 1");
	CHECK(strstr(m, "| 2026-11-25 | 水 | 2 |") != NULL, "day 11-25: 2");
	free(m);
}

static void test_csv(struct store *s)
{
	struct report_opts o;
	char err[256], *c;

	opts_init(&o, REPORT_CSV);
	c = report_string(s, &o, err, sizeof(err));
	CHECK(c != NULL, "csv report: %s", err);
	if (!c)
		return;
	CHECK(strncmp(c, "\xef\xbb\xbfsection,key,label,count\r\n", 27) == 0, "BOM and header");
	CHECK(strstr(c, "\r\nsensor,\"'=cmd|' /C calc'!A0\",,1\r\n") != NULL,
	      "formula guarded and quoted");
	CHECK(strstr(c, "\"'=HYPERLINK(\"\"http://x\"\")|pipe\nnext\"") != NULL,
	      "quotes doubled, line break kept inside the quotes");
	CHECK(strstr(c, "\"<script>alert(1)</script> & \"\"q\"\" 'a'\"") != NULL,
	      "CSV is not HTML-escaped");
	CHECK(strstr(c, "\r\nsummary,total,警報の総数,5\r\n") != NULL, "total");
	CHECK(strstr(c, "\r\nseverity,1,緊急,1\r\nseverity,2,高,3\r\nseverity,3,中,1\r\n") != NULL,
	      "severities");
	CHECK(strstr(c, "\r\nday,2026-11-23,月,1\r\nday,2026-11-24,火,2\r\nday,2026-11-25,水,2\r\n") != NULL,
	      "days");
	CHECK(strstr(c, "\r\nclause,第6(3)③,") != NULL && strstr(c, "\r\nclause,,（条項なし）,1\r\n"),
	      "clauses, and the group without one");
	CHECK(strstr(c, "\r\nclause_threat,第6(3)③,無許可ソフトウェアの使用 (第3(2)),3\r\n") != NULL,
	      "threat class of a clause");
	free(c);

	o.top_n = 1;
	c = report_string(s, &o, err, sizeof(err));
	CHECK(c != NULL, "csv top 1: %s", err);
	if (c) {
		CHECK(strstr(c, "\r\nrule,2001,") != NULL, "top rule 2001");
		CHECK(strstr(c, "\r\nrule.others,2,その他,2\r\n") != NULL, "others: 2 rules, 2 alerts");
		free(c);
	}
}

static void test_empty_and_errors(struct store *s)
{
	struct report_opts o;
	char err[256], *r;

	for (int fmt = REPORT_HTML; fmt <= REPORT_CSV; fmt++) {
		opts_init(&o, (enum report_format)fmt);
		o.filter.from_us = T0 + 10 * DAY_US;
		o.filter.to_us = T0 + 11 * DAY_US;
		r = report_string(s, &o, err, sizeof(err));
		CHECK(r != NULL, "empty range, format %d: %s", fmt, err);
		if (!r)
			continue;
		if (fmt == REPORT_CSV)
			CHECK(strstr(r, "summary,total,警報の総数,0\r\n") && strstr(r, "day,2026-12-03,木,0\r\n"),
			      "csv: total 0, the day with 0");
		else
			CHECK(strstr(r, "この期間に条件に合う警報はありません。") != NULL, "says no alerts");
		free(r);
	}
	opts_init(&o, REPORT_HTML);
	o.filter.from_us = 0;
	CHECK(report_string(s, &o, err, sizeof(err)) == NULL, "no start refused");
	opts_init(&o, REPORT_HTML);
	o.filter.to_us = o.filter.from_us;
	CHECK(report_string(s, &o, err, sizeof(err)) == NULL, "empty range refused");
	opts_init(&o, REPORT_HTML);
	o.top_n = 1001;
	CHECK(report_string(s, &o, err, sizeof(err)) == NULL && strstr(err, "1000"), "top cap: %s", err);
	opts_init(&o, REPORT_HTML);
	o.filter.from_us = T0 - 4000 * DAY_US;
	CHECK(report_string(s, &o, err, sizeof(err)) == NULL && strstr(err, "days"), "day cap: %s", err);
}

int main(void)
{
	char dir[] = "/tmp/zw-test-report.XXXXXX", path[256], err[512];
	struct alert_rec recs[6];
	struct store_put_result res;
	struct store *s;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/store.db", dir);
	s = store_open(path, err, sizeof(err));
	CHECK(s != NULL, "store_open: %s", err);
	if (!s)
		return check_done();
	/* 11-23 JST 01:00; 11-24 10:00 and 23:59; 11-25 twice; one the day before */
	rec_init(&recs[0], 1, "s1", T0 + HOUR_US, 2001, 2, SIG_MARKUP, "第6(3)③",
		 "Unauthorised software");
	rec_init(&recs[1], 2, SENSOR_FORMULA, T0 + DAY_US + 10 * HOUR_US, 3001, 1, SIG_FORMULA,
		 "第6(6)", "Malware");
	rec_init(&recs[2], 3, "s1", T0 + 2 * DAY_US - 60000000, 2001, 2, SIG_MARKUP, "第6(3)③",
		 "Unauthorised software");
	rec_init(&recs[3], 4, "s1", T0 + 2 * DAY_US + HOUR_US, 2001, 2, SIG_MARKUP, "第6(3)③",
		 "Unauthorised software");
	rec_init(&recs[4], 5, "s1", T0 + 2 * DAY_US + 2 * HOUR_US, 3002, 3, "bad \xff byte \x01",
		 NULL, "Malware");
	rec_init(&recs[5], 6, "s1", T0 - HOUR_US, 2001, 2, SIG_MARKUP, "第6(3)③",
		 "Unauthorised software");
	CHECK(store_put_batch(s, recs, 6, T0, &res, err, sizeof(err)) == 0 && res.inserted == 6,
	      "put: %s", err);
	for (int i = 0; i < 6; i++)
		alert_rec_fini(&recs[i]);

	test_html(s);
	test_markdown(s);
	test_csv(s);
	test_empty_and_errors(s);

	store_close(s);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_done();
}
