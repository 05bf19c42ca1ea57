/*
 * report — the self-inspection report (自己点検報告) of policy clause 第7:
 * what the sensors detected over a time range, counted by severity, day,
 * policy clause, zone, sensor, rule, address and country, in HTML, Markdown
 * or CSV (report.h).  `zw-collector report` is report_main.
 *
 * Every number comes from store_count_by (query.h) with the report's filter,
 * so `zw-collector query`/`top` with the same options give the same counts.
 * The total is the sum of the five severities.  Counts by day and severity
 * use the filter's "at least" severity (severity_max = 1..5): the alerts of
 * severity k on a day are count(<= k) - count(<= k - 1).  A collector that
 * writes while the report runs may make two sections differ by what arrived
 * in between: each section is one query, not one snapshot.
 *
 * Everything taken from the store was written by sensors and is untrusted:
 * each string passes through report_put_esc, which replaces invalid UTF-8
 * and control characters with U+FFFD and escapes for the format: HTML
 * entities for & < > " ', a backslash before Markdown's inline punctuation,
 * RFC 4180 quoting for CSV plus a leading apostrophe before = + - @ (a cell
 * a spreadsheet would otherwise run as a formula, CWE-1236).  The HTML has
 * no script, loads nothing (a Content-Security-Policy says so too, in case
 * an escape were ever missed), and draws its charts as inline SVG.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "query.h"
#include "report.h"
#include "store.h"

#define REPORT_TOP_DEFAULT    10u
#define REPORT_TOP_MAX        1000u
#define REPORT_GROUPS_MAX     1000u   /* rows of the clause, zone, sensor tables */
#define REPORT_THREATS_MAX    20u     /* threat classes listed per clause */
#define REPORT_CLAUSES_SPLIT  50u     /* clauses broken down by threat class */
#define REPORT_DAYS_MAX       3700u   /* about ten years of days */
#define REPORT_LABEL_MAX      300u    /* bytes of a string shown in HTML/Markdown */
#define REPORT_TITLE_MAX      512u
#define REPORT_SEV            5       /* severities 1 (critical) .. 5 (info) */
#define REPORT_DAY_US         (86400LL * 1000000LL)

enum report_sec {
	REPORT_SEC_SEVERITY,
	REPORT_SEC_CLAUSE,
	REPORT_SEC_SRC_ZONE,
	REPORT_SEC_DEST_ZONE,
	REPORT_SEC_SENSOR,
	REPORT_SEC_RULE,
	REPORT_SEC_SRC,
	REPORT_SEC_DEST,
	REPORT_SEC_SRC_COUNTRY,
	REPORT_SEC_DEST_COUNTRY,
	REPORT_SEC_COUNT_
};

struct report_sec_def {
	enum query_key key;
	const char *csv;       /* CSV section name */
	bool top;              /* top_n rows, else up to REPORT_GROUPS_MAX */
	bool label;            /* a label column (names, signatures) */
	bool times;            /* first and last alert columns */
};

static const struct report_sec_def report_secs[REPORT_SEC_COUNT_] = {
	[REPORT_SEC_SEVERITY] = { QUERY_KEY_SEVERITY, "severity", false, false, false },
	[REPORT_SEC_CLAUSE] = { QUERY_KEY_CLAUSE, "clause", false, true, false },
	[REPORT_SEC_SRC_ZONE] = { QUERY_KEY_SRC_ZONE, "src_zone", false, true, false },
	[REPORT_SEC_DEST_ZONE] = { QUERY_KEY_DEST_ZONE, "dest_zone", false, true, false },
	[REPORT_SEC_SENSOR] = { QUERY_KEY_SENSOR, "sensor", false, false, true },
	[REPORT_SEC_RULE] = { QUERY_KEY_SID, "rule", true, true, true },
	[REPORT_SEC_SRC] = { QUERY_KEY_SRC, "src", true, false, true },
	[REPORT_SEC_DEST] = { QUERY_KEY_DEST, "dest", true, false, true },
	[REPORT_SEC_SRC_COUNTRY] = { QUERY_KEY_SRC_COUNTRY, "src_country", true, false, false },
	[REPORT_SEC_DEST_COUNTRY] = { QUERY_KEY_DEST_COUNTRY, "dest_country", true, false, false },
};

/* The words of one language. */
struct report_text {
	const char *lang;
	const char *title, *intro;
	const char *period, *period_to, *period_note, *generated, *timezone, *filter, *no_filter;
	const char *summary, *total, *sensors, *rules, *first, *last, *no_alerts, *none_rows;
	const char *by_day, *day_table, *day, *weekday, *weekdays[7];
	const char *by_zone, *by_country, *threats;
	const char *sec_title[REPORT_SEC_COUNT_];
	const char *sec_key[REPORT_SEC_COUNT_];
	const char *sec_label[REPORT_SEC_COUNT_];
	const char *sec_none[REPORT_SEC_COUNT_];   /* the group of an empty key */
	const char *sec_note[REPORT_SEC_COUNT_];
	const char *count, *share, *worst, *chart, *others, *others_groups, *more_groups;
	const char *severity[REPORT_SEV];
	const char *legend, *footer;
};

static const struct report_text report_ja = {
	.lang = "ja",
	.title = "自己点検報告",
	.intro = "情報セキュリティポリシー第7（情報セキュリティ監査及び自己点検の実施）に基づき、"
		 "期間中にセンサーが検知した警報を、重要度・日・ポリシー条項・ゾーン・センサー・"
		 "ルール・通信先ごとに集計したものです。",
	.period = "期間",
	.period_to = " 〜 ",
	.period_note = "（終了時刻を含まない）",
	.generated = "作成日時",
	.timezone = "時刻",
	.filter = "条件",
	.no_filter = "なし（すべての警報）",
	.summary = "概要",
	.total = "警報の総数",
	.sensors = "警報のあったセンサー",
	.rules = "検知したルール",
	.first = "最初の警報",
	.last = "最後の警報",
	.no_alerts = "この期間に条件に合う警報はありません。",
	.none_rows = "（なし）",
	.by_day = "日別",
	.day_table = "日別の件数（表）",
	.day = "日付",
	.weekday = "曜日",
	.weekdays = { "日", "月", "火", "水", "木", "金", "土" },
	.by_zone = "ゾーン別",
	.by_country = "上位の国",
	.threats = "脅威の分類（第3）",
	.sec_title = {
		[REPORT_SEC_SEVERITY] = "重要度別",
		[REPORT_SEC_CLAUSE] = "条項別",
		[REPORT_SEC_SRC_ZONE] = "送信元ゾーン",
		[REPORT_SEC_DEST_ZONE] = "宛先ゾーン",
		[REPORT_SEC_SENSOR] = "センサー別",
		[REPORT_SEC_RULE] = "上位ルール",
		[REPORT_SEC_SRC] = "上位送信元",
		[REPORT_SEC_DEST] = "上位宛先",
		[REPORT_SEC_SRC_COUNTRY] = "送信元の国",
		[REPORT_SEC_DEST_COUNTRY] = "宛先の国",
	},
	.sec_key = {
		[REPORT_SEC_SEVERITY] = "重要度",
		[REPORT_SEC_CLAUSE] = "条項",
		[REPORT_SEC_SRC_ZONE] = "ゾーン",
		[REPORT_SEC_DEST_ZONE] = "ゾーン",
		[REPORT_SEC_SENSOR] = "センサー",
		[REPORT_SEC_RULE] = "sid",
		[REPORT_SEC_SRC] = "アドレス",
		[REPORT_SEC_DEST] = "アドレス",
		[REPORT_SEC_SRC_COUNTRY] = "国",
		[REPORT_SEC_DEST_COUNTRY] = "国",
	},
	.sec_label = {
		[REPORT_SEC_CLAUSE] = "内容",
		[REPORT_SEC_SRC_ZONE] = "名前",
		[REPORT_SEC_DEST_ZONE] = "名前",
		[REPORT_SEC_RULE] = "ルール",
	},
	.sec_none = {
		[REPORT_SEC_CLAUSE] = "（条項なし）",
		[REPORT_SEC_SRC_ZONE] = "（なし）",
		[REPORT_SEC_DEST_ZONE] = "（なし）",
		[REPORT_SEC_SENSOR] = "（なし）",
		[REPORT_SEC_SRC] = "（なし）",
		[REPORT_SEC_DEST] = "（なし）",
		[REPORT_SEC_SRC_COUNTRY] = "（不明）",
		[REPORT_SEC_DEST_COUNTRY] = "（不明）",
	},
	.sec_note = {
		[REPORT_SEC_CLAUSE] = "警報を出したルールが根拠とするポリシーの条項と、第3の脅威の分類。",
		[REPORT_SEC_SRC_ZONE] = "通信の送信元のゾーン（第6(3)）。センサーの健全性の警報、"
					"および送信元のない振る舞い検知の警報にはゾーンがありません。",
		[REPORT_SEC_RULE] = "重要度は、そのグループで最も高いもの。",
		[REPORT_SEC_SRC_COUNTRY] = "GeoIPによる。私設アドレスなどは不明。",
	},
	.count = "件数",
	.share = "割合",
	.worst = "最高重要度",
	.chart = "グラフ",
	.others = "その他",
	.others_groups = "グループ",
	.more_groups = "上の表にない",
	.severity = { "緊急", "高", "中", "低", "情報" },
	.legend = "凡例",
	.footer = "zonewatch zw-collector が作成。数値は同じ条件の zw-collector query / top と一致します。",
};

static const struct report_text report_en = {
	.lang = "en",
	.title = "Self-inspection report",
	.intro = "Alerts that the sensors detected during the period, counted by severity, day, "
		 "policy clause, zone, sensor, rule and peer, for the self-inspection of the "
		 "information security policy, clause 第7.",
	.period = "Period",
	.period_to = " to ",
	.period_note = " (end excluded)",
	.generated = "Generated",
	.timezone = "Times",
	.filter = "Filter",
	.no_filter = "none (all alerts)",
	.summary = "Summary",
	.total = "Alerts",
	.sensors = "Sensors with alerts",
	.rules = "Rules that fired",
	.first = "First alert",
	.last = "Last alert",
	.no_alerts = "No alerts match in this period.",
	.none_rows = "(none)",
	.by_day = "By day",
	.day_table = "Alerts per day (table)",
	.day = "Date",
	.weekday = "Day",
	.weekdays = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" },
	.by_zone = "By zone",
	.by_country = "Top countries",
	.threats = "Threat classes (第3)",
	.sec_title = {
		[REPORT_SEC_SEVERITY] = "By severity",
		[REPORT_SEC_CLAUSE] = "By policy clause",
		[REPORT_SEC_SRC_ZONE] = "Source zone",
		[REPORT_SEC_DEST_ZONE] = "Destination zone",
		[REPORT_SEC_SENSOR] = "By sensor",
		[REPORT_SEC_RULE] = "Top rules",
		[REPORT_SEC_SRC] = "Top sources",
		[REPORT_SEC_DEST] = "Top destinations",
		[REPORT_SEC_SRC_COUNTRY] = "Source country",
		[REPORT_SEC_DEST_COUNTRY] = "Destination country",
	},
	.sec_key = {
		[REPORT_SEC_SEVERITY] = "Severity",
		[REPORT_SEC_CLAUSE] = "Clause",
		[REPORT_SEC_SRC_ZONE] = "Zone",
		[REPORT_SEC_DEST_ZONE] = "Zone",
		[REPORT_SEC_SENSOR] = "Sensor",
		[REPORT_SEC_RULE] = "sid",
		[REPORT_SEC_SRC] = "Address",
		[REPORT_SEC_DEST] = "Address",
		[REPORT_SEC_SRC_COUNTRY] = "Country",
		[REPORT_SEC_DEST_COUNTRY] = "Country",
	},
	.sec_label = {
		[REPORT_SEC_CLAUSE] = "Subject",
		[REPORT_SEC_SRC_ZONE] = "Name",
		[REPORT_SEC_DEST_ZONE] = "Name",
		[REPORT_SEC_RULE] = "Rule",
	},
	.sec_none = {
		[REPORT_SEC_CLAUSE] = "(no clause)",
		[REPORT_SEC_SRC_ZONE] = "(none)",
		[REPORT_SEC_DEST_ZONE] = "(none)",
		[REPORT_SEC_SENSOR] = "(none)",
		[REPORT_SEC_SRC] = "(none)",
		[REPORT_SEC_DEST] = "(none)",
		[REPORT_SEC_SRC_COUNTRY] = "(unknown)",
		[REPORT_SEC_DEST_COUNTRY] = "(unknown)",
	},
	.sec_note = {
		[REPORT_SEC_CLAUSE] = "The policy clause that the alert's rule enforces, and the "
				      "threat class of 第3.",
		[REPORT_SEC_SRC_ZONE] = "The zone of the flow's source (第6(3)). Sensor health "
					"alerts, and behaviour alerts without a source, have no zone.",
		[REPORT_SEC_RULE] = "Severity: the most severe alert of the group.",
		[REPORT_SEC_SRC_COUNTRY] = "From GeoIP; private addresses and the like are unknown.",
	},
	.count = "Alerts",
	.share = "Share",
	.worst = "Most severe",
	.chart = "Chart",
	.others = "Others",
	.others_groups = "groups",
	.more_groups = "not in the table above",
	.severity = { "critical", "high", "medium", "low", "info" },
	.legend = "Legend",
	.footer = "Made by zonewatch zw-collector. The numbers are those of zw-collector "
		  "query / top with the same filter.",
};

/* The policy's clauses that rules name (the city's basic policy, 第6). */
static const struct {
	const char *clause, *ja, *en;
} report_clauses[] = {
	{ "第6(1)", "組織体制", "Organisation" },
	{ "第6(2)", "情報資産の分類と管理", "Classification and management of information assets" },
	{ "第6(3)", "情報システム全体の強靭性の向上", "Resilience of the information systems" },
	{ "第6(3)①", "基幹系は他の領域と通信できないこと", "Core zone (基幹系): no communication with other zones" },
	{ "第6(3)②", "LGWAN接続系: 通信経路の分割と無害化通信",
	  "LGWAN zone: separate paths, sanitised transfer only" },
	{ "第6(3)③", "情報系: 不正通信の監視の強化",
	  "Internet zone (情報系): stronger monitoring of unauthorised traffic" },
	{ "第6(4)", "物理的セキュリティ", "Physical security" },
	{ "第6(5)", "人的セキュリティ", "Human security" },
	{ "第6(6)", "技術的セキュリティ", "Technical security" },
	{ "第6(7)", "運用（情報システムの監視）", "Operations (monitoring of the systems)" },
};

/* Threat classes of 第3 by alert.category (doc/rules.md#threat-classes). */
static const struct {
	const char *category, *ja;
} report_threats[] = {
	{ "Unauthorised access", "不正アクセス (第3(1))" },
	{ "Malware", "ウイルス攻撃・不正プログラム (第3(1))" },
	{ "Denial of service", "サービス不能攻撃 (第3(1))" },
	{ "Insider misuse / data theft", "内部不正・情報の詐取 (第3(1))" },
	{ "Unauthorised software", "無許可ソフトウェアの使用 (第3(2))" },
	{ "Policy violation", "規定違反 (第3(2))" },
	{ "Misconfiguration", "操作・設定ミス (第3(2))" },
	{ "Fault", "機器故障・プログラムの欠陥 (第3(2))" },
	{ "Outage", "通信の途絶・インフラの障害 (第3(5))" },
};

static const char *const report_sev_color[REPORT_SEV] = {
	"#b71c1c", "#e65100", "#f2b705", "#1565c0", "#8a8a8a"
};
static const char *const report_sev_csv[REPORT_SEV] = {
	"critical", "high", "medium", "low", "info"
};

/* ---- what the store says ---- */

struct report_table;

struct report_group {
	char *key, *label, *label_en;
	uint64_t count;
	uint8_t severity;              /* the most severe alert of the group */
	int64_t first_us, last_us;
	struct report_table *threats;  /* clause table: its threat classes */
};

struct report_table {
	struct report_group *g;
	size_t n, cap;                 /* kept; cap fixed at init */
	uint64_t total;                /* alerts of all groups, kept or not */
	uint64_t groups;               /* all groups */
	bool oom;
};

struct report_day {
	int64_t day;                   /* days since 1970-01-01 in the report's zone */
	uint64_t total;
	uint64_t sev[REPORT_SEV];
};

struct report_data {
	struct report_table sec[REPORT_SEC_COUNT_];
	struct report_day *days;
	size_t ndays;
	uint64_t total, by_sev[REPORT_SEV];
	int64_t first_us, last_us;
};

/* Writing: the format's escaping, the words, the data. */
enum report_esc { REPORT_ESC_HTML, REPORT_ESC_MD, REPORT_ESC_CSV };

struct report_ctx {
	FILE *f;
	const struct report_opts *o;
	const struct report_text *t;
	const struct report_data *d;
	int tz;
};

static void report_table_init(struct report_table *t, size_t cap)
{
	memset(t, 0, sizeof(*t));
	t->cap = cap;
}

static void report_table_fini(struct report_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->g[i].key);
		free(t->g[i].label);
		free(t->g[i].label_en);
		if (t->g[i].threats) {
			report_table_fini(t->g[i].threats);
			free(t->g[i].threats);
		}
	}
	free(t->g);
	memset(t, 0, sizeof(*t));
}

static char *report_dup(const char *s, bool *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

/* store_count_by callback: keep the first cap groups, count all. */
static int report_table_cb(void *ctx, const struct query_count *c)
{
	struct report_table *t = ctx;
	struct report_group *g;

	t->groups++;
	t->total += c->count;
	if (t->n >= t->cap)
		return 0;
	if (!t->g) {
		t->g = calloc(t->cap, sizeof(*t->g));
		if (!t->g) {
			t->oom = true;
			return -1;
		}
	}
	g = &t->g[t->n++];
	g->key = report_dup(c->key ? c->key : "", &t->oom);
	g->label = report_dup(c->label, &t->oom);
	g->label_en = report_dup(c->label_en, &t->oom);
	g->count = c->count;
	g->severity = c->severity_min;
	g->first_us = c->first_us;
	g->last_us = c->last_us;
	return t->oom ? -1 : 0;
}

static int report_count(struct store *s, const struct query_filter *f, enum query_key key,
			struct report_table *t, char *err, size_t errlen)
{
	if (store_count_by(s, f, key, 0, report_table_cb, t, err, errlen) != 0 || t->oom) {
		if (t->oom)
			snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int64_t report_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t report_day_of(int64_t us, int tz)
{
	return report_floor_div(us + (int64_t)tz * 1000000, REPORT_DAY_US);
}

static void report_day_key(int64_t day, char *buf, size_t len)
{
	time_t t = (time_t)(day * 86400);
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, len, "?");
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* "2026-11-26" into days since the epoch; -1 on a malformed key. */
static int report_day_parse(const char *key, int64_t *day)
{
	struct tm tm;
	int y, m, d;
	char extra;

	if (sscanf(key, "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	*day = report_floor_div((int64_t)timegm(&tm), 86400);
	return 0;
}

/* Day rows of the range, all severities: count(severity <= k) for each k. */
static int report_collect_days(struct store *s, const struct report_opts *o, struct report_data *d,
			       char *err, size_t errlen)
{
	const struct query_filter *f = &o->filter;
	int64_t first = report_day_of(f->from_us, f->tz_offset_s);
	int64_t last = report_day_of(f->to_us - 1, f->tz_offset_s);
	uint64_t prev[REPORT_DAYS_MAX];
	int kmax = (f->severity_max >= 1 && f->severity_max <= REPORT_SEV) ? f->severity_max : REPORT_SEV;

	d->ndays = (size_t)(last - first + 1);   /* report_write checked the span */
	d->days = calloc(d->ndays, sizeof(*d->days));
	if (!d->days) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < d->ndays; i++)
		d->days[i].day = first + (int64_t)i;
	memset(prev, 0, sizeof(prev[0]) * d->ndays);
	for (int k = 1; k <= kmax; k++) {
		struct query_filter fk = *f;
		struct report_table t;

		fk.severity_max = (uint8_t)k;
		report_table_init(&t, d->ndays);
		if (report_count(s, &fk, QUERY_KEY_DAY, &t, err, errlen) < 0) {
			report_table_fini(&t);
			return -1;
		}
		for (size_t i = 0; i < t.n; i++) {
			int64_t day;

			size_t idx;
			struct report_day *rd;

			if (report_day_parse(t.g[i].key, &day) < 0 || day < first || day > last)
				continue;
			idx = (size_t)(day - first);
			rd = &d->days[idx];
			rd->sev[k - 1] = t.g[i].count >= prev[idx] ? t.g[i].count - prev[idx] : 0;
			prev[idx] = t.g[i].count;
			if (k == kmax)
				rd->total = t.g[i].count;
		}
		report_table_fini(&t);
	}
	return 0;
}

/* The threat classes of each clause: count by category with the clause
 * as an exact filter (a clause ending in '*' would be a prefix: skipped). */
static int report_collect_threats(struct store *s, const struct query_filter *f,
				  struct report_table *clauses, char *err, size_t errlen)
{
	for (size_t i = 0; i < clauses->n && i < REPORT_CLAUSES_SPLIT; i++) {
		struct report_group *g = &clauses->g[i];
		size_t len = strlen(g->key);
		struct query_filter fc = *f;

		if (len == 0 || len >= sizeof(fc.clause) || g->key[len - 1] == '*')
			continue;
		memcpy(fc.clause, g->key, len + 1);
		g->threats = malloc(sizeof(*g->threats));
		if (!g->threats) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		report_table_init(g->threats, REPORT_THREATS_MAX);
		if (report_count(s, &fc, QUERY_KEY_CATEGORY, g->threats, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* The severity table as all five rows, zeros included. */
static int report_severity_rows(struct report_table *t, const uint64_t by_sev[REPORT_SEV])
{
	struct report_table all;
	char key[4];

	report_table_init(&all, REPORT_SEV);
	for (unsigned k = 1; k <= REPORT_SEV; k++) {
		struct query_count c = { .key = key, .count = by_sev[k - 1], .severity_min = (uint8_t)k };

		snprintf(key, sizeof(key), "%u", k);
		for (size_t i = 0; i < t->n; i++)
			if (strcmp(t->g[i].key, key) == 0) {
				c.first_us = t->g[i].first_us;
				c.last_us = t->g[i].last_us;
			}
		if (report_table_cb(&all, &c) != 0) {
			report_table_fini(&all);
			return -1;
		}
	}
	report_table_fini(t);
	*t = all;
	return 0;
}

static int report_collect(struct store *s, const struct report_opts *o, struct report_data *d,
			  char *err, size_t errlen)
{
	const struct report_table *sev = &d->sec[REPORT_SEC_SEVERITY];

	for (int i = 0; i < REPORT_SEC_COUNT_; i++) {
		size_t cap = report_secs[i].top ? (size_t)o->top_n : REPORT_GROUPS_MAX;

		report_table_init(&d->sec[i], cap);
		if (report_count(s, &o->filter, report_secs[i].key, &d->sec[i], err, errlen) < 0)
			return -1;
	}
	d->total = sev->total;
	for (size_t i = 0; i < sev->n; i++) {
		const struct report_group *g = &sev->g[i];
		long k = strtol(g->key, NULL, 10);

		if (k >= 1 && k <= REPORT_SEV)
			d->by_sev[k - 1] = g->count;
		if (g->count && (!d->first_us || g->first_us < d->first_us))
			d->first_us = g->first_us;
		if (g->count && g->last_us > d->last_us)
			d->last_us = g->last_us;
	}
	if (report_severity_rows(&d->sec[REPORT_SEC_SEVERITY], d->by_sev) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (report_collect_threats(s, &o->filter, &d->sec[REPORT_SEC_CLAUSE], err, errlen) < 0)
		return -1;
	return report_collect_days(s, o, d, err, errlen);
}

static void report_data_fini(struct report_data *d)
{
	for (int i = 0; i < REPORT_SEC_COUNT_; i++)
		report_table_fini(&d->sec[i]);
	free(d->days);
}

/* ---- escaping ---- */

/* s, escaped for mode, at most max bytes of it (then "…" on a character
 * boundary).  Invalid UTF-8 and control characters become U+FFFD, except
 * that HTML and Markdown show a tab or line break as a space, and CSV keeps
 * them (its field is quoted). */
static void report_put_esc(FILE *f, const char *s, size_t max, enum report_esc mode)
{
	static const char replacement[] = "\xef\xbf\xbd";
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s), used = 0;

	while (left > 0) {
		uint32_t cp = 0;
		int len = query_utf8_next(p, left, &cp);
		size_t n = len < 0 ? 0 : (size_t)len;
		unsigned char c = *p;

		if (used + (n ? n : 1) > max) {
			fputs("…", f);
			return;
		}
		if (n == 0) {
			fputs(replacement, f);
			n = 1;
		} else if (n > 1) {
			/* C1 controls, bidi overrides, invisible format characters */
			if (query_cp_is_unsafe(cp))
				fputs(replacement, f);
			else
				fwrite(p, 1, n, f);
		} else if (c < 0x20 || c == 0x7f) {
			if (c == '\t' || c == '\n' || c == '\r')
				fputc(mode == REPORT_ESC_CSV ? c : ' ', f);
			else
				fputs(replacement, f);
		} else if (mode == REPORT_ESC_HTML) {
			switch (c) {
			case '&': fputs("&amp;", f); break;
			case '<': fputs("&lt;", f); break;
			case '>': fputs("&gt;", f); break;
			case '"': fputs("&quot;", f); break;
			case '\'': fputs("&#39;", f); break;
			default: fputc(c, f); break;
			}
		} else if (mode == REPORT_ESC_MD) {
			/* CommonMark: any ASCII punctuation may be backslash-escaped;
			 * these can start inline markup, raw HTML, an entity or a cell. */
			if (strchr("\\`*_[]<>|~&!", c))
				fputc('\\', f);
			fputc(c, f);
		} else {
			if (c == '"')
				fputc('"', f);
			fputc(c, f);
		}
		p += n;
		left -= n;
		used += n;
	}
}

static void report_html(const struct report_ctx *c, const char *s)
{
	report_put_esc(c->f, s ? s : "", REPORT_LABEL_MAX, REPORT_ESC_HTML);
}

static void report_md(const struct report_ctx *c, const char *s)
{
	report_put_esc(c->f, s ? s : "", REPORT_LABEL_MAX, REPORT_ESC_MD);
}

/* One CSV field (RFC 4180), with the spreadsheet-formula guard. */
static void report_csv_field(FILE *f, const char *s)
{
	bool guard, quote;

	if (!s)
		s = "";
	guard = s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
	quote = guard || strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		fputc('"', f);
	if (guard)
		fputc('\'', f);
	report_put_esc(f, s, SIZE_MAX, REPORT_ESC_CSV);
	if (quote)
		fputc('"', f);
}

/* ---- words and numbers ---- */

static const char *report_sev_name(const struct report_text *t, unsigned sev)
{
	return (sev >= 1 && sev <= REPORT_SEV) ? t->severity[sev - 1] : "?";
}

static const char *report_sev_color_of(unsigned sev)
{
	return (sev >= 1 && sev <= REPORT_SEV) ? report_sev_color[sev - 1] : "#607d8b";
}

/* The key as shown: a severity's name, the words for an empty key. */
static const char *report_key_text(const struct report_ctx *c, int sec, const struct report_group *g)
{
	if (sec == REPORT_SEC_SEVERITY) {
		long k = strtol(g->key, NULL, 10);

		return report_sev_name(c->t, (unsigned)(k < 0 ? 0 : k));
	}
	if (g->key[0] == '\0' && c->t->sec_none[sec])
		return c->t->sec_none[sec];
	return g->key;
}

static const char *report_label_text(const struct report_ctx *c, int sec, const struct report_group *g)
{
	if (sec == REPORT_SEC_CLAUSE) {
		for (size_t i = 0; i < sizeof(report_clauses) / sizeof(report_clauses[0]); i++)
			if (strcmp(g->key, report_clauses[i].clause) == 0)
				return c->o->english ? report_clauses[i].en : report_clauses[i].ja;
	}
	if (c->o->english && g->label_en && g->label_en[0])
		return g->label_en;
	return g->label ? g->label : "";
}

static const char *report_threat_text(const struct report_ctx *c, const char *category)
{
	if (c->o->english || !category)
		return category && category[0] ? category : c->t->none_rows;
	for (size_t i = 0; i < sizeof(report_threats) / sizeof(report_threats[0]); i++)
		if (strcmp(category, report_threats[i].category) == 0)
			return report_threats[i].ja;
	return category[0] ? category : c->t->none_rows;
}

static void report_time(const struct report_ctx *c, int64_t us, char *buf, size_t len)
{
	query_time_format(us, c->tz, 0, buf, len);
}

/* count / total as a percentage with one decimal, "12.3%". */
static void report_share(uint64_t count, uint64_t total, char *buf, size_t len)
{
	uint64_t permille = total ? (count * 1000 + total / 2) / total : 0;

	snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "%%", permille / 10, permille % 10);
}

/* 1234567 as "1,234,567". */
static void report_thousands(uint64_t v, char *buf, size_t len)
{
	char digits[32];
	size_t n, o = 0;

	snprintf(digits, sizeof(digits), "%" PRIu64, v);
	n = strlen(digits);
	for (size_t i = 0; i < n && o + 2 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
}

static const char *report_weekday(const struct report_ctx *c, int64_t day)
{
	return c->t->weekdays[(int)(((day % 7) + 7 + 4) % 7)];   /* 1970-01-01: Thursday */
}

/* The filter's conditions besides the time range, as text (raw: escape it). */
static void report_filter_text(const struct report_ctx *c, char *buf, size_t len)
{
	const struct query_filter *f = &c->o->filter;
	size_t o = 0;

	buf[0] = '\0';
#define REPORT_ADD(...)                                                                 \
	do {                                                                            \
		if (o < len) {                                                          \
			int w_ = snprintf(buf + o, len - o, "%s", o ? "; " : "");       \
			if (w_ > 0)                                                     \
				o += (size_t)w_;                                        \
		}                                                                       \
		if (o < len) {                                                          \
			int w_ = snprintf(buf + o, len - o, __VA_ARGS__);               \
			if (w_ > 0)                                                     \
				o += (size_t)w_;                                        \
		}                                                                       \
	} while (0)
	if (f->sensor[0])
		REPORT_ADD("sensor=%s", f->sensor);
	if (f->severity_max >= 1 && f->severity_max <= REPORT_SEV)
		REPORT_ADD("severity<=%s", report_sev_csv[f->severity_max - 1]);
	if (f->sid)
		REPORT_ADD("sid=%" PRIu32, f->sid);
	if (f->category[0])
		REPORT_ADD("category=%s", f->category);
	if (f->clause[0])
		REPORT_ADD("clause=%s", f->clause);
	if (f->has_net) {
		char lo[INET6_ADDRSTRLEN], hi[INET6_ADDRSTRLEN];
		static const uint8_t v4pre[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		bool v4 = !memcmp(f->net_lo, v4pre, 12) && !memcmp(f->net_hi, v4pre, 12);

		if (v4) {
			inet_ntop(AF_INET, f->net_lo + 12, lo, sizeof(lo));
			inet_ntop(AF_INET, f->net_hi + 12, hi, sizeof(hi));
		} else {
			inet_ntop(AF_INET6, f->net_lo, lo, sizeof(lo));
			inet_ntop(AF_INET6, f->net_hi, hi, sizeof(hi));
		}
		if (strcmp(lo, hi) == 0)
			REPORT_ADD("ip=%s", lo);
		else
			REPORT_ADD("ip=%s-%s", lo, hi);
	}
	if (f->zone[0])
		REPORT_ADD("zone=%s", f->zone);
	if (f->country[0])
		REPORT_ADD("country=%s", f->country);
	if (f->app_proto[0])
		REPORT_ADD("app=%s", f->app_proto);
	if (f->kind[0])
		REPORT_ADD("kind=%s", f->kind);
	if (f->iface[0])
		REPORT_ADD("iface=%s", f->iface);
#undef REPORT_ADD
}

static const char *report_title(const struct report_ctx *c)
{
	return c->o->title && c->o->title[0] ? c->o->title : c->t->title;
}

static uint64_t report_table_max(const struct report_table *t)
{
	uint64_t m = 0;

	for (size_t i = 0; i < t->n; i++)
		if (t->g[i].count > m)
			m = t->g[i].count;
	return m;
}

static uint64_t report_table_shown(const struct report_table *t)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < t->n; i++)
		sum += t->g[i].count;
	return sum;
}

/* ---- HTML ---- */

static const char report_css[] =
	"body{font-family:\"IPAexGothic\",\"IPAGothic\",\"IPAPGothic\",\"Noto Sans CJK JP\","
	"\"Hiragino Sans\",\"Yu Gothic\",Meiryo,sans-serif;color:#222;background:#fff;"
	"max-width:1100px;margin:20px auto;padding:0 16px;line-height:1.5}"
	"h1{font-size:1.6em;border-bottom:3px solid #1f4e79;padding-bottom:4px;margin-bottom:4px}"
	"h2{font-size:1.25em;margin-top:1.8em;border-left:6px solid #1f4e79;padding-left:8px}"
	"h3{font-size:1.05em;margin:1.2em 0 .3em}"
	"p.intro,p.note{color:#555;margin:.3em 0}"
	"table{border-collapse:collapse;margin:6px 0 10px;font-size:.92em}"
	"th,td{border:1px solid #c8c8c8;padding:3px 8px;text-align:left;vertical-align:top}"
	"th{background:#eef3f8;font-weight:bold;white-space:nowrap}"
	"td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}"
	"td.k{font-family:monospace,monospace;white-space:nowrap}"
	"td.k.w{white-space:normal;overflow-wrap:anywhere;min-width:12em}"
	"td.l{max-width:34em;word-break:break-word}"
	"td.t{white-space:nowrap;font-size:.9em}"
	"tr.o td{color:#666;font-style:italic}"
	".cards{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0}"
	".card{border:1px solid #c8c8c8;border-radius:6px;padding:6px 14px;min-width:110px}"
	".card .v{font-size:1.5em;font-weight:bold}"
	".card .c{font-size:.85em;color:#555}"
	".sev{display:inline-block;width:.8em;height:.8em;border-radius:2px;margin-right:4px;"
	"vertical-align:baseline}"
	".empty{padding:10px 14px;background:#fff8e1;border:1px solid #f0c36d;border-radius:4px}"
	".legend span{margin-right:14px;white-space:nowrap}"
	"ul.th{margin:0;padding-left:1.1em}"
	"svg{display:block}svg text{font-family:inherit}"
	"footer{margin-top:2.5em;border-top:1px solid #ccc;color:#666;font-size:.85em;padding-top:6px}"
	"@media print{body{max-width:none}h2,h3{break-after:avoid}"
	"table,svg,.cards{break-inside:avoid}}";

static void report_html_num(const struct report_ctx *c, uint64_t v)
{
	char buf[40];

	report_thousands(v, buf, sizeof(buf));
	fprintf(c->f, "<td class=\"n\">%s</td>", buf);
}

/* A horizontal bar of count against max, coloured by severity. */
static void report_html_bar(const struct report_ctx *c, uint64_t count, uint64_t max, unsigned sev)
{
	const double w = 200.0;
	double bw = max ? w * (double)count / (double)max : 0.0;

	if (count > 0 && bw < 1.0)
		bw = 1.0;
	fprintf(c->f, "<td><svg width=\"200\" height=\"14\" viewBox=\"0 0 200 14\" role=\"img\" "
		"aria-hidden=\"true\"><rect x=\"0\" y=\"2\" width=\"%.1f\" height=\"10\" "
		"fill=\"%s\"/></svg></td>", bw, report_sev_color_of(sev));
}

static void report_html_legend(const struct report_ctx *c)
{
	fprintf(c->f, "<p class=\"legend\">%s: ", c->t->legend);
	for (unsigned k = 1; k <= REPORT_SEV; k++)
		fprintf(c->f, "<span><span class=\"sev\" style=\"background:%s\"></span>%s</span>",
			report_sev_color[k - 1], report_sev_name(c->t, k));
	fputs("</p>\n", c->f);
}

static void report_html_meta(const struct report_ctx *c)
{
	const struct query_filter *f = &c->o->filter;
	char a[64], b[64], filter[2048];

	report_time(c, f->from_us, a, sizeof(a));
	report_time(c, f->to_us, b, sizeof(b));
	fprintf(c->f, "<table class=\"meta\">\n<tr><th>%s</th><td>%s%s%s%s</td></tr>\n",
		c->t->period, a, c->t->period_to, b, c->t->period_note);
	fprintf(c->f, "<tr><th>%s</th><td>%s</td></tr>\n", c->t->timezone,
		c->tz ? "JST (UTC+09:00)" : "UTC");
	report_filter_text(c, filter, sizeof(filter));
	fprintf(c->f, "<tr><th>%s</th><td>", c->t->filter);
	report_html(c, filter[0] ? filter : c->t->no_filter);
	fputs("</td></tr>\n", c->f);
	if (c->o->generated_us) {
		report_time(c, c->o->generated_us, a, sizeof(a));
		fprintf(c->f, "<tr><th>%s</th><td>%s</td></tr>\n", c->t->generated, a);
	}
	fputs("</table>\n", c->f);
}

static void report_html_card(const struct report_ctx *c, const char *what, const char *value,
			     const char *color)
{
	fputs("<div class=\"card\"><div class=\"c\">", c->f);
	if (color)
		fprintf(c->f, "<span class=\"sev\" style=\"background:%s\"></span>", color);
	fprintf(c->f, "%s</div><div class=\"v\">%s</div></div>\n", what, value);
}

static void report_html_summary(const struct report_ctx *c)
{
	const struct report_data *d = c->d;
	char v[64];

	fprintf(c->f, "<h2 id=\"summary\">%s</h2>\n<div class=\"cards\">\n", c->t->summary);
	report_thousands(d->total, v, sizeof(v));
	report_html_card(c, c->t->total, v, NULL);
	report_thousands(d->sec[REPORT_SEC_SENSOR].groups, v, sizeof(v));
	report_html_card(c, c->t->sensors, v, NULL);
	report_thousands(d->sec[REPORT_SEC_RULE].groups, v, sizeof(v));
	report_html_card(c, c->t->rules, v, NULL);
	fputs("</div>\n<div class=\"cards\">\n", c->f);
	for (unsigned k = 1; k <= REPORT_SEV; k++) {
		report_thousands(d->by_sev[k - 1], v, sizeof(v));
		report_html_card(c, report_sev_name(c->t, k), v, report_sev_color[k - 1]);
	}
	fputs("</div>\n", c->f);
	if (d->total == 0) {
		fprintf(c->f, "<p class=\"empty\">%s</p>\n", c->t->no_alerts);
		return;
	}
	fputs("<table>\n", c->f);
	report_time(c, d->first_us, v, sizeof(v));
	fprintf(c->f, "<tr><th>%s</th><td>%s</td></tr>\n", c->t->first, v);
	report_time(c, d->last_us, v, sizeof(v));
	fprintf(c->f, "<tr><th>%s</th><td>%s</td></tr>\n</table>\n", c->t->last, v);
}

/* The smallest 1, 2 or 5 times a power of ten that is at least x. */
static uint64_t report_nice(uint64_t x)
{
	uint64_t p = 1;

	if (x <= 1)
		return 1;
	for (;;) {
		if (p >= x)
			return p;
		if (2 * p >= x)
			return 2 * p;
		if (5 * p >= x)
			return 5 * p;
		if (p > UINT64_MAX / 10)
			return x;
		p *= 10;
	}
}

/* Bars per day, stacked by severity (critical at the bottom). */
static void report_html_days(const struct report_ctx *c)
{
	const struct report_data *d = c->d;
	const double W = 1040, H = 250, ml = 60, mr = 10, mt = 12, mb = 40;
	const double pw = W - ml - mr, ph = H - mt - mb;
	uint64_t max = 0, step, ymax;
	size_t every;
	double slot, bw;
	char key[32];

	fprintf(c->f, "<h2 id=\"days\">%s</h2>\n", c->t->by_day);
	for (size_t i = 0; i < d->ndays; i++)
		if (d->days[i].total > max)
			max = d->days[i].total;
	step = report_nice((max + 3) / 4);
	ymax = step * ((max + step - 1) / step);
	if (ymax == 0)
		ymax = step;
	slot = pw / (double)d->ndays;
	bw = slot * 0.8 < 1.0 ? 1.0 : slot * 0.8;
	every = (d->ndays + 15) / 16;
	fprintf(c->f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		"viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"%s\">\n", W, H, W, H, c->t->by_day);
	for (uint64_t v = 0; v <= ymax; v += step) {
		double y = mt + ph - ph * (double)v / (double)ymax;

		fprintf(c->f, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>"
			"<text x=\"%.0f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\" "
			"fill=\"#444\">%" PRIu64 "</text>\n", ml, W - mr, y, y, v ? "#e0e0e0" : "#888",
			ml - 6, y + 4, v);
	}
	for (size_t i = 0; i < d->ndays; i++) {
		const struct report_day *rd = &d->days[i];
		double x = ml + slot * (double)i + (slot - bw) / 2, y = mt + ph;

		report_day_key(rd->day, key, sizeof(key));
		if (rd->total > 0) {
			fprintf(c->f, "<g><title>%s (%s): %" PRIu64, key, report_weekday(c, rd->day),
				rd->total);
			for (unsigned k = 1; k <= REPORT_SEV; k++)
				if (rd->sev[k - 1])
					fprintf(c->f, ", %s %" PRIu64, report_sev_name(c->t, k),
						rd->sev[k - 1]);
			fputs("</title>", c->f);
			for (unsigned k = 1; k <= REPORT_SEV; k++) {
				double h = ph * (double)rd->sev[k - 1] / (double)ymax;

				if (rd->sev[k - 1] == 0)
					continue;
				y -= h;
				fprintf(c->f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
					"fill=\"%s\"/>", x, y, bw, h, report_sev_color[k - 1]);
			}
			fputs("</g>\n", c->f);
		}
		if (i % every == 0)   /* "11-26", or "2026-11" over more than a year */
			fprintf(c->f, "<text x=\"%.1f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"middle\" "
				"fill=\"#444\">%.*s</text>\n", x + bw / 2, H - mb + 16,
				d->ndays > 366 ? 7 : 5, d->ndays > 366 ? key : key + 5);
	}
	report_day_key(d->days[0].day, key, sizeof(key));
	if (d->ndays <= 366)   /* the year of the "MM-DD" labels */
		fprintf(c->f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" fill=\"#444\">%.4s</text>\n",
			ml, H - 6, key);
	fputs("</svg>\n", c->f);
	report_html_legend(c);
	fprintf(c->f, "<details%s><summary>%s</summary>\n<table>\n<tr><th>%s</th><th>%s</th>"
		"<th>%s</th>", d->ndays <= 31 ? " open" : "", c->t->day_table, c->t->day,
		c->t->weekday, c->t->count);
	for (unsigned k = 1; k <= REPORT_SEV; k++)
		fprintf(c->f, "<th>%s</th>", report_sev_name(c->t, k));
	fputs("</tr>\n", c->f);
	for (size_t i = 0; i < d->ndays; i++) {
		const struct report_day *rd = &d->days[i];

		report_day_key(rd->day, key, sizeof(key));
		fprintf(c->f, "<tr><td class=\"t\">%s</td><td>%s</td>", key, report_weekday(c, rd->day));
		report_html_num(c, rd->total);
		for (unsigned k = 1; k <= REPORT_SEV; k++)
			report_html_num(c, rd->sev[k - 1]);
		fputs("</tr>\n", c->f);
	}
	fputs("</table>\n</details>\n", c->f);
}

static void report_html_threats(const struct report_ctx *c, const struct report_table *t)
{
	fputs("<td class=\"l\">", c->f);
	if (t && t->n) {
		fputs("<ul class=\"th\">", c->f);
		for (size_t i = 0; i < t->n; i++) {
			char v[40];

			fputs("<li>", c->f);
			report_html(c, report_threat_text(c, t->g[i].key));
			report_thousands(t->g[i].count, v, sizeof(v));
			fprintf(c->f, ": %s</li>", v);
		}
		fputs("</ul>", c->f);
	}
	fputs("</td>", c->f);
}

static void report_html_table(const struct report_ctx *c, int sec, const char *heading_tag)
{
	const struct report_sec_def *def = &report_secs[sec];
	const struct report_table *t = &c->d->sec[sec];
	uint64_t max = report_table_max(t), shown = report_table_shown(t);
	char v[64];

	fprintf(c->f, "<%s id=\"%s\">%s</%s>\n", heading_tag, def->csv, c->t->sec_title[sec],
		heading_tag);
	if (c->t->sec_note[sec])
		fprintf(c->f, "<p class=\"note\">%s</p>\n", c->t->sec_note[sec]);
	if (t->n == 0) {
		fprintf(c->f, "<p>%s</p>\n", c->t->none_rows);
		return;
	}
	fprintf(c->f, "<table class=\"%s\">\n<tr>", def->csv);
	if (def->top)
		fputs("<th>#</th>", c->f);
	fprintf(c->f, "<th>%s</th>", c->t->sec_key[sec]);
	if (def->label)
		fprintf(c->f, "<th>%s</th>", c->t->sec_label[sec]);
	if (sec == REPORT_SEC_CLAUSE)
		fprintf(c->f, "<th>%s</th>", c->t->threats);
	if (sec != REPORT_SEC_SEVERITY)
		fprintf(c->f, "<th>%s</th>", c->t->worst);
	fprintf(c->f, "<th>%s</th><th>%s</th><th>%s</th>", c->t->count, c->t->share, c->t->chart);
	if (def->times)
		fprintf(c->f, "<th>%s</th><th>%s</th>", c->t->first, c->t->last);
	fputs("</tr>\n", c->f);
	for (size_t i = 0; i < t->n; i++) {
		const struct report_group *g = &t->g[i];
		unsigned sev = sec == REPORT_SEC_SEVERITY ? (unsigned)strtoul(g->key, NULL, 10)
							  : g->severity;

		fputs("<tr>", c->f);
		if (def->top)
			fprintf(c->f, "<td class=\"n\">%zu</td>", i + 1);
		if (sec == REPORT_SEC_SEVERITY)
			fputs("<td>", c->f);
		else   /* a long key (untrusted, up to REPORT_LABEL_MAX shown) may wrap */
			fputs(strlen(g->key) > 40 ? "<td class=\"k w\">" : "<td class=\"k\">", c->f);
		if (sec == REPORT_SEC_SEVERITY)
			fprintf(c->f, "<span class=\"sev\" style=\"background:%s\"></span>",
				report_sev_color_of(sev));
		report_html(c, report_key_text(c, sec, g));
		fputs("</td>", c->f);
		if (def->label) {
			fputs("<td class=\"l\">", c->f);
			report_html(c, report_label_text(c, sec, g));
			fputs("</td>", c->f);
		}
		if (sec == REPORT_SEC_CLAUSE)
			report_html_threats(c, g->threats);
		if (sec != REPORT_SEC_SEVERITY)
			fprintf(c->f, "<td><span class=\"sev\" style=\"background:%s\"></span>%s</td>",
				report_sev_color_of(sev), report_sev_name(c->t, sev));
		report_html_num(c, g->count);
		report_share(g->count, c->d->total, v, sizeof(v));
		fprintf(c->f, "<td class=\"n\">%s</td>", v);
		report_html_bar(c, g->count, max, sev);
		if (def->times) {
			report_time(c, g->first_us, v, sizeof(v));
			fprintf(c->f, "<td class=\"t\">%s</td>", v);
			report_time(c, g->last_us, v, sizeof(v));
			fprintf(c->f, "<td class=\"t\">%s</td>", v);
		}
		fputs("</tr>\n", c->f);
	}
	if (t->groups > t->n) {
		int span = 1 + def->label + (sec == REPORT_SEC_CLAUSE) + (sec != REPORT_SEC_SEVERITY);

		fputs("<tr class=\"o\">", c->f);
		if (def->top)
			fputs("<td></td>", c->f);
		fprintf(c->f, "<td colspan=\"%d\">%s (%" PRIu64 " %s, %s)</td>", span, c->t->others,
			t->groups - t->n, c->t->others_groups, c->t->more_groups);
		report_html_num(c, t->total - shown);
		report_share(t->total - shown, c->d->total, v, sizeof(v));
		fprintf(c->f, "<td class=\"n\">%s</td><td></td>", v);
		if (def->times)
			fputs("<td></td><td></td>", c->f);
		fputs("</tr>\n", c->f);
	}
	fputs("</table>\n", c->f);
}

static void report_html_write(const struct report_ctx *c)
{
	fprintf(c->f, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		"style-src 'unsafe-inline'\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		"<meta name=\"generator\" content=\"zonewatch zw-collector\">\n<title>", c->t->lang);
	report_html(c, report_title(c));
	fprintf(c->f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", report_css);
	report_html(c, report_title(c));
	fprintf(c->f, "</h1>\n<p class=\"intro\">%s</p>\n", c->t->intro);
	report_html_meta(c);
	report_html_summary(c);
	report_html_days(c);
	report_html_table(c, REPORT_SEC_SEVERITY, "h2");
	report_html_table(c, REPORT_SEC_CLAUSE, "h2");
	fprintf(c->f, "<h2 id=\"zones\">%s</h2>\n", c->t->by_zone);
	report_html_table(c, REPORT_SEC_SRC_ZONE, "h3");
	report_html_table(c, REPORT_SEC_DEST_ZONE, "h3");
	report_html_table(c, REPORT_SEC_SENSOR, "h2");
	report_html_table(c, REPORT_SEC_RULE, "h2");
	report_html_table(c, REPORT_SEC_SRC, "h2");
	report_html_table(c, REPORT_SEC_DEST, "h2");
	fprintf(c->f, "<h2 id=\"countries\">%s</h2>\n", c->t->by_country);
	report_html_table(c, REPORT_SEC_SRC_COUNTRY, "h3");
	report_html_table(c, REPORT_SEC_DEST_COUNTRY, "h3");
	fprintf(c->f, "<footer>%s</footer>\n</body>\n</html>\n", c->t->footer);
}

/* ---- Markdown ---- */

static void report_md_meta(const struct report_ctx *c)
{
	const struct query_filter *f = &c->o->filter;
	char a[64], b[64], filter[2048];

	report_time(c, f->from_us, a, sizeof(a));
	report_time(c, f->to_us, b, sizeof(b));
	fprintf(c->f, "| | |\n|---|---|\n| %s | %s%s%s%s |\n", c->t->period, a, c->t->period_to, b,
		c->t->period_note);
	fprintf(c->f, "| %s | %s |\n", c->t->timezone, c->tz ? "JST (UTC+09:00)" : "UTC");
	report_filter_text(c, filter, sizeof(filter));
	fprintf(c->f, "| %s | ", c->t->filter);
	report_md(c, filter[0] ? filter : c->t->no_filter);
	fputs(" |\n", c->f);
	if (c->o->generated_us) {
		report_time(c, c->o->generated_us, a, sizeof(a));
		fprintf(c->f, "| %s | %s |\n", c->t->generated, a);
	}
}

static void report_md_summary(const struct report_ctx *c)
{
	const struct report_data *d = c->d;
	char v[64];

	fprintf(c->f, "\n## %s\n\n| | %s |\n|---|---:|\n", c->t->summary, c->t->count);
	fprintf(c->f, "| %s | %" PRIu64 " |\n", c->t->total, d->total);
	fprintf(c->f, "| %s | %" PRIu64 " |\n", c->t->sensors, d->sec[REPORT_SEC_SENSOR].groups);
	fprintf(c->f, "| %s | %" PRIu64 " |\n", c->t->rules, d->sec[REPORT_SEC_RULE].groups);
	if (d->total) {
		report_time(c, d->first_us, v, sizeof(v));
		fprintf(c->f, "| %s | %s |\n", c->t->first, v);
		report_time(c, d->last_us, v, sizeof(v));
		fprintf(c->f, "| %s | %s |\n", c->t->last, v);
	} else {
		fprintf(c->f, "\n%s\n", c->t->no_alerts);
	}
}

static void report_md_days(const struct report_ctx *c)
{
	char key[32];

	fprintf(c->f, "\n## %s\n\n| %s | %s | %s |", c->t->by_day, c->t->day, c->t->weekday,
		c->t->count);
	for (unsigned k = 1; k <= REPORT_SEV; k++)
		fprintf(c->f, " %s |", report_sev_name(c->t, k));
	fputs("\n|---|---|---:|---:|---:|---:|---:|---:|\n", c->f);
	for (size_t i = 0; i < c->d->ndays; i++) {
		const struct report_day *rd = &c->d->days[i];

		report_day_key(rd->day, key, sizeof(key));
		fprintf(c->f, "| %s | %s | %" PRIu64 " |", key, report_weekday(c, rd->day), rd->total);
		for (unsigned k = 1; k <= REPORT_SEV; k++)
			fprintf(c->f, " %" PRIu64 " |", rd->sev[k - 1]);
		fputc('\n', c->f);
	}
}

static void report_md_table(const struct report_ctx *c, int sec, const char *heading)
{
	const struct report_sec_def *def = &report_secs[sec];
	const struct report_table *t = &c->d->sec[sec];
	uint64_t shown = report_table_shown(t);
	char v[64];

	fprintf(c->f, "\n%s %s\n\n", heading, c->t->sec_title[sec]);
	if (c->t->sec_note[sec])
		fprintf(c->f, "%s\n\n", c->t->sec_note[sec]);
	if (t->n == 0) {
		fprintf(c->f, "%s\n", c->t->none_rows);
		return;
	}
	fputs("|", c->f);
	if (def->top)
		fputs(" # |", c->f);
	fprintf(c->f, " %s |", c->t->sec_key[sec]);
	if (def->label)
		fprintf(c->f, " %s |", c->t->sec_label[sec]);
	if (sec == REPORT_SEC_CLAUSE)
		fprintf(c->f, " %s |", c->t->threats);
	if (sec != REPORT_SEC_SEVERITY)
		fprintf(c->f, " %s |", c->t->worst);
	fprintf(c->f, " %s | %s |", c->t->count, c->t->share);
	if (def->times)
		fprintf(c->f, " %s | %s |", c->t->first, c->t->last);
	fputs("\n|", c->f);
	if (def->top)
		fputs("---:|", c->f);
	fputs("---|", c->f);
	if (def->label)
		fputs("---|", c->f);
	if (sec == REPORT_SEC_CLAUSE)
		fputs("---|", c->f);
	if (sec != REPORT_SEC_SEVERITY)
		fputs("---|", c->f);
	fputs("---:|---:|", c->f);
	if (def->times)
		fputs("---|---|", c->f);
	fputc('\n', c->f);
	for (size_t i = 0; i < t->n; i++) {
		const struct report_group *g = &t->g[i];

		fputs("|", c->f);
		if (def->top)
			fprintf(c->f, " %zu |", i + 1);
		fputc(' ', c->f);
		report_md(c, report_key_text(c, sec, g));
		fputs(" |", c->f);
		if (def->label) {
			fputc(' ', c->f);
			report_md(c, report_label_text(c, sec, g));
			fputs(" |", c->f);
		}
		if (sec == REPORT_SEC_CLAUSE) {
			for (size_t j = 0; g->threats && j < g->threats->n; j++) {
				fputs(j ? "; " : " ", c->f);
				report_md(c, report_threat_text(c, g->threats->g[j].key));
				fprintf(c->f, ": %" PRIu64, g->threats->g[j].count);
			}
			fputs(" |", c->f);
		}
		if (sec != REPORT_SEC_SEVERITY)
			fprintf(c->f, " %s |", report_sev_name(c->t, g->severity));
		report_share(g->count, c->d->total, v, sizeof(v));
		fprintf(c->f, " %" PRIu64 " | %s |", g->count, v);
		if (def->times) {
			report_time(c, g->first_us, v, sizeof(v));
			fprintf(c->f, " %s |", v);
			report_time(c, g->last_us, v, sizeof(v));
			fprintf(c->f, " %s |", v);
		}
		fputc('\n', c->f);
	}
	if (t->groups > t->n) {
		fputs("|", c->f);
		if (def->top)
			fputs(" |", c->f);
		fprintf(c->f, " %s (%" PRIu64 " %s, %s) |", c->t->others, t->groups - t->n,
			c->t->others_groups, c->t->more_groups);
		if (def->label)
			fputs(" |", c->f);
		if (sec == REPORT_SEC_CLAUSE)
			fputs(" |", c->f);
		if (sec != REPORT_SEC_SEVERITY)
			fputs(" |", c->f);
		report_share(t->total - shown, c->d->total, v, sizeof(v));
		fprintf(c->f, " %" PRIu64 " | %s |", t->total - shown, v);
		if (def->times)
			fputs(" | |", c->f);
		fputc('\n', c->f);
	}
}

static void report_md_write(const struct report_ctx *c)
{
	fputs("# ", c->f);
	report_md(c, report_title(c));
	fprintf(c->f, "\n\n%s\n\n", c->t->intro);
	report_md_meta(c);
	report_md_summary(c);
	report_md_days(c);
	report_md_table(c, REPORT_SEC_SEVERITY, "##");
	report_md_table(c, REPORT_SEC_CLAUSE, "##");
	fprintf(c->f, "\n## %s\n", c->t->by_zone);
	report_md_table(c, REPORT_SEC_SRC_ZONE, "###");
	report_md_table(c, REPORT_SEC_DEST_ZONE, "###");
	report_md_table(c, REPORT_SEC_SENSOR, "##");
	report_md_table(c, REPORT_SEC_RULE, "##");
	report_md_table(c, REPORT_SEC_SRC, "##");
	report_md_table(c, REPORT_SEC_DEST, "##");
	fprintf(c->f, "\n## %s\n", c->t->by_country);
	report_md_table(c, REPORT_SEC_SRC_COUNTRY, "###");
	report_md_table(c, REPORT_SEC_DEST_COUNTRY, "###");
	fprintf(c->f, "\n---\n\n%s\n", c->t->footer);
}

/* ---- CSV: section,key,label,count (doc/collector.md#report) ---- */

static void report_csv_row(const struct report_ctx *c, const char *section, const char *key,
			   const char *label, const uint64_t *count)
{
	report_csv_field(c->f, section);
	fputc(',', c->f);
	report_csv_field(c->f, key);
	fputc(',', c->f);
	report_csv_field(c->f, label);
	fputc(',', c->f);
	if (count)
		fprintf(c->f, "%" PRIu64, *count);
	fputs("\r\n", c->f);
}

static void report_csv_table(const struct report_ctx *c, int sec)
{
	const struct report_sec_def *def = &report_secs[sec];
	const struct report_table *t = &c->d->sec[sec];
	char other[64], groups[32];

	for (size_t i = 0; i < t->n; i++) {
		const struct report_group *g = &t->g[i];
		const char *label = def->label ? report_label_text(c, sec, g) : "";

		if (sec == REPORT_SEC_SEVERITY)
			label = report_key_text(c, sec, g);
		else if (g->key[0] == '\0' && c->t->sec_none[sec])
			label = c->t->sec_none[sec];
		report_csv_row(c, def->csv, g->key, label, &g->count);
		for (size_t j = 0; sec == REPORT_SEC_CLAUSE && g->threats && j < g->threats->n; j++)
			report_csv_row(c, "clause_threat", g->key,
				       report_threat_text(c, g->threats->g[j].key),
				       &g->threats->g[j].count);
	}
	if (t->groups > t->n) {
		uint64_t rest = t->total - report_table_shown(t);

		snprintf(other, sizeof(other), "%s.others", def->csv);
		snprintf(groups, sizeof(groups), "%" PRIu64, t->groups - t->n);
		report_csv_row(c, other, groups, c->t->others, &rest);
	}
}

static void report_csv_write(const struct report_ctx *c)
{
	const struct report_data *d = c->d;
	char v[64], filter[2048];

	/* a byte-order mark, so that spreadsheets read UTF-8 (python: utf-8-sig) */
	fputs("\xef\xbb\xbf" "section,key,label,count\r\n", c->f);
	report_csv_row(c, "report", "title", report_title(c), NULL);
	report_csv_row(c, "report", "lang", c->t->lang, NULL);
	report_time(c, c->o->filter.from_us, v, sizeof(v));
	report_csv_row(c, "report", "from", v, NULL);
	report_time(c, c->o->filter.to_us, v, sizeof(v));
	report_csv_row(c, "report", "to", v, NULL);
	report_csv_row(c, "report", "timezone", c->tz ? "UTC+09:00" : "UTC", NULL);
	report_filter_text(c, filter, sizeof(filter));
	report_csv_row(c, "report", "filter", filter, NULL);
	if (c->o->generated_us) {
		report_time(c, c->o->generated_us, v, sizeof(v));
		report_csv_row(c, "report", "generated", v, NULL);
	}
	if (d->total) {
		report_time(c, d->first_us, v, sizeof(v));
		report_csv_row(c, "report", "first", v, NULL);
		report_time(c, d->last_us, v, sizeof(v));
		report_csv_row(c, "report", "last", v, NULL);
	}
	report_csv_row(c, "summary", "total", c->t->total, &d->total);
	report_csv_row(c, "summary", "sensors", c->t->sensors, &d->sec[REPORT_SEC_SENSOR].groups);
	report_csv_row(c, "summary", "rules", c->t->rules, &d->sec[REPORT_SEC_RULE].groups);
	for (unsigned k = 1; k <= REPORT_SEV; k++) {
		snprintf(v, sizeof(v), "%u", k);
		report_csv_row(c, "severity", v, report_sev_name(c->t, k), &d->by_sev[k - 1]);
	}
	for (size_t i = 0; i < d->ndays; i++) {
		report_day_key(d->days[i].day, v, sizeof(v));
		report_csv_row(c, "day", v, report_weekday(c, d->days[i].day), &d->days[i].total);
	}
	for (int sec = REPORT_SEC_CLAUSE; sec < REPORT_SEC_COUNT_; sec++)
		report_csv_table(c, sec);
}

/* ---- the report ---- */

int report_write(struct store *s, const struct report_opts *o, FILE *out, char *err, size_t errlen)
{
	struct report_opts opts = *o;
	struct report_data d;
	struct report_ctx c;
	int64_t days;
	int rc = 0;

	if (opts.filter.from_us == 0 || opts.filter.to_us == 0 ||
	    opts.filter.to_us <= opts.filter.from_us) {
		snprintf(err, errlen, "needs a time range with from before to");
		return -1;
	}
	days = report_day_of(opts.filter.to_us - 1, opts.filter.tz_offset_s) -
	       report_day_of(opts.filter.from_us, opts.filter.tz_offset_s) + 1;
	if (days > (int64_t)REPORT_DAYS_MAX) {
		snprintf(err, errlen, "the range spans %" PRId64 " days, at most %u", days,
			 REPORT_DAYS_MAX);
		return -1;
	}
	if (opts.top_n == 0)
		opts.top_n = REPORT_TOP_DEFAULT;
	if (opts.top_n > REPORT_TOP_MAX) {
		snprintf(err, errlen, "top %" PRIu64 " rows, at most %u", opts.top_n,
			 REPORT_TOP_MAX);
		return -1;
	}
	if (opts.format != REPORT_HTML && opts.format != REPORT_MARKDOWN && opts.format != REPORT_CSV) {
		snprintf(err, errlen, "unknown format %d", (int)opts.format);
		return -1;
	}
	memset(&d, 0, sizeof(d));
	if (report_collect(s, &opts, &d, err, errlen) < 0) {
		report_data_fini(&d);
		return -1;
	}
	c.f = out;
	c.o = &opts;
	c.t = opts.english ? &report_en : &report_ja;
	c.d = &d;
	c.tz = opts.filter.tz_offset_s;
	errno = 0;
	if (opts.format == REPORT_HTML)
		report_html_write(&c);
	else if (opts.format == REPORT_MARKDOWN)
		report_md_write(&c);
	else
		report_csv_write(&c);
	if (fflush(out) != 0 || ferror(out)) {
		snprintf(err, errlen, "write failed: %s", errno ? strerror(errno) : "I/O error");
		rc = -1;
	}
	report_data_fini(&d);
	return rc;
}

/* ---- zw-collector report ---- */

static void report_usage(FILE *out)
{
	fputs(
"usage: zw-collector report [options]\n"
"The self-inspection report (自己点検報告, policy 第7) of the alerts in a time\n"
"range: by severity, day, policy clause, zone and sensor; top rules, sources,\n"
"destinations and countries.\n"
"\n"
"  --from TIME         start (default: 7 days before --to)\n"
"  --to TIME           end, excluded (default: now)\n"
"                      TIME: now, -7d, -24h, 2026-11-01, \"2026-11-01 09:00\",\n"
"                      with Z or +09:00 for another zone (default JST, or UTC with --utc)\n"
"  --format FORMAT     html (default: one self-contained file), md, csv\n"
"  -o, --output FILE   write FILE (complete or not at all); default stdout\n"
"  --lang ja|en        labels (default: display.lang, else ja)\n"
"  --utc               times and days in UTC (default JST)\n"
"  --top N             rows of each top table (default 10, at most 1000)\n"
"  --title TEXT        the title (default 自己点検報告 / Self-inspection report)\n"
"  --store PATH        the store (default: store of the config file)\n"
"  filters, as for query: --sensor ID, --severity NAME|1-5 (that or more severe),\n"
"    --sid N, --category TEXT, --clause TEXT (PREFIX* for a prefix), --ip ADDR|CIDR,\n"
"    --zone KEY, --country CC, --app PROTO, --kind alert|health|behaviour,\n"
"    --iface NAME (capture interface)\n"
"  -h, --help\n"
"\n"
"Exit status: 0 written; 1 store or write error; 2 bad usage.\n", out);
}

enum {
	REPORT_OPT_FILTER = 256, REPORT_OPT_FORMAT, REPORT_OPT_LANG, REPORT_OPT_UTC,
	REPORT_OPT_TOP, REPORT_OPT_TITLE, REPORT_OPT_STORE
};

static const struct option report_long_opts[] = {
	QUERY_FILTER_LONG_OPTIONS(REPORT_OPT_FILTER),
	{ "format", required_argument, NULL, REPORT_OPT_FORMAT },
	{ "output", required_argument, NULL, 'o' },
	{ "lang", required_argument, NULL, REPORT_OPT_LANG },
	{ "utc", no_argument, NULL, REPORT_OPT_UTC },
	{ "top", required_argument, NULL, REPORT_OPT_TOP },
	{ "title", required_argument, NULL, REPORT_OPT_TITLE },
	{ "store", required_argument, NULL, REPORT_OPT_STORE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct report_args {
	struct report_opts opts;
	const char *output, *store;
	const char **fname, **fvalue;  /* filter options in order: argc slots */
	size_t nfilter;
	bool utc;
};

static int report_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A usage error on stderr; returns the exit status 2. */
static int report_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("zw-collector report: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see zw-collector report --help)\n", stderr);
	return 2;
}

/* Options into a; 0 go on, -1 help printed (exit 0), else the exit status. */
static int report_parse(const struct cmd_env *env, int argc, char **argv, struct report_args *a)
{
	const char *lang = env->settings && env->settings->lang ? env->settings->lang : "ja";
	int opt, idx;

	a->utc = env->settings && env->settings->utc;
	a->store = env->settings ? env->settings->store : NULL;
	a->opts.format = REPORT_HTML;
	a->opts.top_n = REPORT_TOP_DEFAULT;
	a->opts.generated_us = env->now_us;
	optind = 0;       /* glibc: start afresh (main may have used getopt) */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":ho:", report_long_opts, &idx)) != -1) {
		const char *arg = optarg;

		switch (opt) {
		case 'h':
			report_usage(stdout);
			return -1;
		case 'o':
			a->output = arg;
			break;
		case REPORT_OPT_FILTER:
			a->fname[a->nfilter] = report_long_opts[idx].name;
			a->fvalue[a->nfilter++] = arg;
			break;
		case REPORT_OPT_FORMAT:
			if (strcmp(arg, "html") == 0)
				a->opts.format = REPORT_HTML;
			else if (strcmp(arg, "md") == 0 || strcmp(arg, "markdown") == 0)
				a->opts.format = REPORT_MARKDOWN;
			else if (strcmp(arg, "csv") == 0)
				a->opts.format = REPORT_CSV;
			else
				return report_usage_error("--format '%s': not html, md or csv", arg);
			break;
		case REPORT_OPT_LANG:
			if (strcmp(arg, "ja") != 0 && strcmp(arg, "en") != 0)
				return report_usage_error("--lang '%s': not ja or en", arg);
			lang = arg;
			break;
		case REPORT_OPT_UTC:
			a->utc = true;
			break;
		case REPORT_OPT_TOP: {
			char *end;
			unsigned long long n;

			errno = 0;
			n = strtoull(arg, &end, 10);
			if (arg[0] < '0' || arg[0] > '9' || *end || errno || n < 1 || n > REPORT_TOP_MAX)
				return report_usage_error("--top '%s': not a number from 1 to 1000",
							  arg);
			a->opts.top_n = n;
			break;
		}
		case REPORT_OPT_TITLE:
			if (strlen(arg) > REPORT_TITLE_MAX)
				return report_usage_error("--title '%.40s...': longer than %u bytes",
							  arg, REPORT_TITLE_MAX);
			a->opts.title = arg;
			break;
		case REPORT_OPT_STORE:
			a->store = arg;
			break;
		case ':':
			return report_usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return report_usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return report_usage_error("unexpected argument '%s'", argv[optind]);
	a->opts.english = strcmp(lang, "en") == 0;
	return 0;
}

/* The time range and filters, in the zone chosen (--utc anywhere counts). */
static int report_filter(const struct cmd_env *env, struct report_args *a)
{
	struct query_filter *f = &a->opts.filter;
	bool has_from = false, has_to = false;
	char err[512], x[64], y[64];

	query_filter_init(f);
	f->tz_offset_s = a->utc ? 0 : QUERY_TZ_JST;
	for (size_t i = 0; i < a->nfilter; i++) {
		if (query_filter_option(f, a->fname[i], a->fvalue[i], env->now_us, err,
					sizeof(err)) < 0) {
			fprintf(stderr, "zw-collector report: %s\n", err);
			return 2;
		}
		if (strcmp(a->fname[i], "to") == 0)
			has_to = true;
		else
			has_from = has_from || strcmp(a->fname[i], "from") == 0 ||
				   strcmp(a->fname[i], "since") == 0;
	}
	if (!has_to)
		f->to_us = env->now_us;
	if (!has_from)
		f->from_us = f->to_us - 7 * REPORT_DAY_US;
	if (f->from_us >= f->to_us) {
		query_time_format(f->from_us, f->tz_offset_s, 0, x, sizeof(x));
		query_time_format(f->to_us, f->tz_offset_s, 0, y, sizeof(y));
		return report_usage_error("--from (%s) is not before --to (%s)", x, y);
	}
	if (report_day_of(f->to_us - 1, f->tz_offset_s) - report_day_of(f->from_us, f->tz_offset_s) + 1 >
	    (int64_t)REPORT_DAYS_MAX) {
		query_time_format(f->from_us, f->tz_offset_s, 0, x, sizeof(x));
		query_time_format(f->to_us, f->tz_offset_s, 0, y, sizeof(y));
		return report_usage_error("--from (%s) to --to (%s) is longer than %u days", x, y,
					  REPORT_DAYS_MAX);
	}
	return 0;
}

/* Write path via path.tmp: the report appears whole, or not at all. */
static int report_to_file(struct store *s, const struct report_opts *o, const char *path,
			  char *err, size_t errlen)
{
	char *tmp;
	FILE *f;
	int fd, rc;

	if (asprintf(&tmp, "%s.tmp", path) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(tmp);
		return -1;
	}
	rc = report_write(s, o, f, err, errlen);
	if (rc == 0 && fsync(fd) != 0) {
		snprintf(err, errlen, "%s: fsync: %s", tmp, strerror(errno));
		rc = -1;
	}
	if (fclose(f) != 0 && rc == 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		rc = -1;
	}
	if (rc == 0 && rename(tmp, path) != 0) {
		snprintf(err, errlen, "rename %s to %s: %s", tmp, path, strerror(errno));
		rc = -1;
	}
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

int report_main(const struct cmd_env *env, int argc, char **argv)
{
	struct report_args a;
	struct store *s = NULL;
	char err[1024];
	const char *file;
	struct stat st;
	int rc;

	memset(&a, 0, sizeof(a));
	a.fname = calloc((size_t)argc + 1, sizeof(*a.fname));
	a.fvalue = calloc((size_t)argc + 1, sizeof(*a.fvalue));
	if (!a.fname || !a.fvalue) {
		fprintf(stderr, "zw-collector report: out of memory\n");
		rc = 1;
		goto out;
	}
	rc = report_parse(env, argc, argv, &a);
	if (rc == 0)
		rc = report_filter(env, &a);
	if (rc != 0) {
		rc = rc < 0 ? 0 : rc;
		goto out;
	}
	if (!a.store || !a.store[0]) {
		rc = report_usage_error("no store: give --store PATH or set store in the config");
		goto out;
	}
	/* store_open creates a missing SQLite file: a report must not */
	file = strncmp(a.store, "sqlite:", 7) == 0 ? a.store + 7 : a.store;
	if (!strstr(a.store, "://") && stat(file, &st) != 0) {
		fprintf(stderr, "zw-collector report: store %s: %s\n", file, strerror(errno));
		rc = 1;
		goto out;
	}
	/* main catches SIGINT/SIGTERM into a flag that report_write cannot see:
	 * let them end the process, which leaves at most FILE.tmp behind */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	s = store_open(a.store, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "zw-collector report: %s\n", err);
		rc = 1;
		goto out;
	}
	if (a.output && strcmp(a.output, "-") != 0)
		rc = report_to_file(s, &a.opts, a.output, err, sizeof(err));
	else
		rc = report_write(s, &a.opts, stdout, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "zw-collector report: %s\n", err);
		rc = 1;
	}
out:
	store_close(s);
	free(a.fname);
	free(a.fvalue);
	return rc;
}
