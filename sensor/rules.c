/*
 * rules — see rules.h; the grammar and every field are in doc/rules.md.
 *
 * Parsing is a hand-written scanner over the whole file: statements may span
 * lines, so positions are tracked as line and column (columns count UTF-8
 * characters, as editors show them).  Each condition is compiled into the
 * form its match needs: ids for nDPI names, a risk bitmask, port ranges, and
 * a private ioc_set for literal addresses, host names and fingerprints
 * (plus references to named lists), so a match is a few hash probes.
 */
#include "rules.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect.h"
#include "health.h"

#define RULES_MAX_FILE   (64u << 20)
#define RULES_MAX_ITEMS  4096u     /* values in one condition */
#define RULES_MAX_CONDS  64u       /* conditions in one statement */
#define RULES_MAX_LISTS  1024u
#define RULES_INLINE_CAP 100000u   /* literal entries in one condition */
#define RULES_MAX_TEXT   1024u     /* one value as written */

enum rules_field {
	RF_L4PROTO, RF_APP, RF_MASTER, RF_PROTOCOL, RF_CATEGORY, RF_BREED, RF_CONFIDENCE,
	RF_RISK, RF_ZONE, RF_IP, RF_PORT, RF_COUNTRY, RF_ASN, RF_HOSTNAME, RF_SNI,
	RF_JA3C, RF_JA3S, RF_CERT_SHA1, RF_BYTES, RF_PKTS, RF_DURATION
};

enum rules_side { RS_SRC = 0, RS_DST = 1, RS_ANY = 2 };

/* How a condition's values are held. */
enum rules_kind { RK_IDS, RK_RISK, RK_SET, RK_RANGES, RK_CODES };

struct rules_field_def {
	const char *name;
	uint8_t field, side, kind;
};

static const struct rules_field_def rules_fields[] = {
	{ "proto", RF_L4PROTO, RS_ANY, RK_IDS },
	{ "app", RF_APP, RS_ANY, RK_IDS },
	{ "master", RF_MASTER, RS_ANY, RK_IDS },
	{ "protocol", RF_PROTOCOL, RS_ANY, RK_IDS },
	{ "category", RF_CATEGORY, RS_ANY, RK_IDS },
	{ "breed", RF_BREED, RS_ANY, RK_IDS },
	{ "confidence", RF_CONFIDENCE, RS_ANY, RK_IDS },
	{ "risk", RF_RISK, RS_ANY, RK_RISK },
	{ "src.zone", RF_ZONE, RS_SRC, RK_IDS },
	{ "dst.zone", RF_ZONE, RS_DST, RK_IDS },
	{ "zone", RF_ZONE, RS_ANY, RK_IDS },
	{ "src.ip", RF_IP, RS_SRC, RK_SET },
	{ "dst.ip", RF_IP, RS_DST, RK_SET },
	{ "ip", RF_IP, RS_ANY, RK_SET },
	{ "src.port", RF_PORT, RS_SRC, RK_RANGES },
	{ "dst.port", RF_PORT, RS_DST, RK_RANGES },
	{ "port", RF_PORT, RS_ANY, RK_RANGES },
	{ "src.country", RF_COUNTRY, RS_SRC, RK_CODES },
	{ "dst.country", RF_COUNTRY, RS_DST, RK_CODES },
	{ "country", RF_COUNTRY, RS_ANY, RK_CODES },
	{ "src.asn", RF_ASN, RS_SRC, RK_IDS },
	{ "dst.asn", RF_ASN, RS_DST, RK_IDS },
	{ "asn", RF_ASN, RS_ANY, RK_IDS },
	{ "hostname", RF_HOSTNAME, RS_ANY, RK_SET },
	{ "sni", RF_SNI, RS_ANY, RK_SET },
	{ "ja3c", RF_JA3C, RS_ANY, RK_SET },
	{ "ja3s", RF_JA3S, RS_ANY, RK_SET },
	{ "cert.sha1", RF_CERT_SHA1, RS_ANY, RK_SET },
	{ "bytes.toserver", RF_BYTES, RS_SRC, RK_RANGES },
	{ "bytes.toclient", RF_BYTES, RS_DST, RK_RANGES },
	{ "bytes", RF_BYTES, RS_ANY, RK_RANGES },
	{ "pkts.toserver", RF_PKTS, RS_SRC, RK_RANGES },
	{ "pkts.toclient", RF_PKTS, RS_DST, RK_RANGES },
	{ "pkts", RF_PKTS, RS_ANY, RK_RANGES },
	{ "duration", RF_DURATION, RS_ANY, RK_RANGES },
};

struct rules_range {
	uint64_t lo, hi;     /* inclusive */
};

struct rules_cond {
	uint8_t field, side, kind, neg;
	uint32_t n;                     /* ids / ranges / codes */
	uint32_t *ids;                  /* RK_IDS; RK_CODES packs two letters */
	const char **names;             /* canonical name of each id, for evidence */
	struct rules_range *ranges;     /* RK_RANGES */
	uint64_t risk;                  /* RK_RISK */
	struct ioc_set *set;            /* RK_SET literals, may be NULL */
	uint32_t nlists;
	uint32_t *lists;                /* RK_SET: indexes into rs->lists */
};

struct rules_stmt {
	struct rules_rule r;            /* rules; for suppress only file/line */
	uint32_t ncond;
	struct rules_cond *cond;
	uint32_t nsids;                 /* suppress: sid ranges */
	struct rules_range *sids;
};

struct rules_list_ref {
	char *name;
	const struct ioc_set *set;      /* bound later */
	char *where;                    /* "file:line:col" of the first use */
};

struct rules_set {
	struct classify *names;
	const struct zones *zones;
	struct rules_stmt *rules, *supp;
	size_t nrules, caprules, nsupp, capsupp;
	struct rules_list_ref lists[RULES_MAX_LISTS];
	size_t nlists;
	char **strings;                 /* every string the set owns */
	size_t nstrings, capstrings;
};

/* ---- threat classes and severities ---------------------------------- */

static const struct {
	const char *key, *ja, *en;
} rules_threats[] = {
	{ "unauthorized-access", "不正アクセス (第3(1))", "Unauthorised access" },
	{ "malware", "ウイルス攻撃・不正プログラム (第3(1))", "Malware" },
	{ "dos", "サービス不能攻撃 (第3(1))", "Denial of service" },
	{ "insider", "内部不正・情報の詐取 (第3(1))", "Insider misuse / data theft" },
	{ "unauthorized-software", "無許可ソフトウェアの使用 (第3(2))", "Unauthorised software" },
	{ "policy-violation", "規定違反 (第3(2))", "Policy violation" },
	{ "misconfiguration", "操作・設定ミス (第3(2))", "Misconfiguration" },
	{ "fault", "機器故障・プログラムの欠陥 (第3(2))", "Fault" },
	{ "outage", "通信の途絶・インフラの障害 (第3(5))", "Outage" },
};

static int rules_threat_index(const char *key)
{
	for (size_t i = 0; i < sizeof(rules_threats) / sizeof(rules_threats[0]); i++)
		if (!strcmp(rules_threats[i].key, key))
			return (int)i;
	return -1;
}

const char *rules_threat_name_ja(const char *key)
{
	int i = key ? rules_threat_index(key) : -1;
	return i < 0 ? "" : rules_threats[i].ja;
}

const char *rules_threat_name_en(const char *key)
{
	int i = key ? rules_threat_index(key) : -1;
	return i < 0 ? "" : rules_threats[i].en;
}

static const char *const rules_severities[] = { NULL, "critical", "high", "medium", "low", "info" };

const char *rules_severity_name(unsigned severity)
{
	return severity >= 1 && severity <= 5 ? rules_severities[severity] : "unknown";
}

/* ---- set life ------------------------------------------------------- */

struct rules_set *rules_set_new(struct classify *names, const struct zones *zones)
{
	struct rules_set *rs = calloc(1, sizeof(*rs));

	if (!rs)
		return NULL;
	rs->names = names;
	rs->zones = zones;
	return rs;
}

static void rules_cond_fini(struct rules_cond *c)
{
	free(c->ids);
	free(c->names);
	free(c->ranges);
	free(c->lists);
	ioc_set_free(c->set);
}

static void rules_stmt_fini(struct rules_stmt *s)
{
	for (uint32_t i = 0; i < s->ncond; i++)
		rules_cond_fini(&s->cond[i]);
	free(s->cond);
	free(s->sids);
}

void rules_set_free(struct rules_set *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->nrules; i++)
		rules_stmt_fini(&rs->rules[i]);
	for (size_t i = 0; i < rs->nsupp; i++)
		rules_stmt_fini(&rs->supp[i]);
	free(rs->rules);
	free(rs->supp);
	for (size_t i = 0; i < rs->nlists; i++) {
		free(rs->lists[i].name);
		free(rs->lists[i].where);
	}
	for (size_t i = 0; i < rs->nstrings; i++)
		free(rs->strings[i]);
	free(rs->strings);
	free(rs);
}

/* Keep a copy of s for the life of the set. */
static const char *rules_keep(struct rules_set *rs, const char *s, size_t len)
{
	char *copy;

	if (rs->nstrings == rs->capstrings) {
		size_t cap = rs->capstrings ? rs->capstrings * 2 : 64;
		char **n = realloc(rs->strings, cap * sizeof(*n));
		if (!n)
			return NULL;
		rs->strings = n;
		rs->capstrings = cap;
	}
	copy = malloc(len + 1);
	if (!copy)
		return NULL;
	memcpy(copy, s, len);
	copy[len] = '\0';
	rs->strings[rs->nstrings++] = copy;
	return copy;
}

/* ---- scanner -------------------------------------------------------- */

struct rules_scan {
	struct rules_set *rs;
	const char *name;         /* file name, kept in the set */
	const char *p, *end;
	uint32_t line, col;
	char *err;
	size_t errlen;
	int failed;
};

static void rules_advance(struct rules_scan *s)
{
	unsigned char c = (unsigned char)*s->p++;

	if (c == '\n') {
		s->line++;
		s->col = 1;
	} else if ((c & 0xc0) != 0x80) {   /* continuation bytes do not move the column */
		s->col++;
	}
}

__attribute__((format(printf, 4, 5)))
static int rules_fail_at(struct rules_scan *s, uint32_t line, uint32_t col, const char *fmt, ...)
{
	va_list ap;
	char msg[RULES_ERR_MAX];

	if (s->failed)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(s->err, s->errlen, "%s:%u:%u: %s", s->name, line, col, msg);
	s->failed = 1;
	return -1;
}

/* Skip blanks, newlines and comments ("#" to the end of the line). */
static void rules_skip(struct rules_scan *s)
{
	while (s->p < s->end) {
		if (*s->p == '#') {
			while (s->p < s->end && *s->p != '\n')
				rules_advance(s);
		} else if (*s->p == ' ' || *s->p == '\t' || *s->p == '\r' || *s->p == '\n') {
			rules_advance(s);
		} else {
			break;
		}
	}
}

static int rules_is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/* Copy a word into buf; 0 when there is none. */
static size_t rules_word(struct rules_scan *s, char *buf, size_t len)
{
	size_t n = 0;

	while (s->p < s->end && rules_is_word(*s->p)) {
		if (n + 1 < len)
			buf[n++] = *s->p;
		rules_advance(s);
	}
	buf[n] = '\0';
	return n;
}

/* A short quote of what is at the cursor, for messages. */
static void rules_found(const struct rules_scan *s, char *buf, size_t len)
{
	size_t n = 0;
	const char *p = s->p;

	if (p >= s->end) {
		snprintf(buf, len, "end of file");
		return;
	}
	if (*p == '\n' || *p == '\r') {
		snprintf(buf, len, "end of line");
		return;
	}
	buf[n++] = '\'';
	while (p < s->end && *p != '\n' && *p != '\r' && n + 5 < len && n < 24)
		buf[n++] = *p++;
	/* do not cut a UTF-8 character in two */
	if (p < s->end && ((unsigned char)*p & 0xc0) == 0x80)
		while (n > 1 && ((unsigned char)buf[--n] & 0xc0) == 0x80)
			;
	buf[n++] = '\'';
	buf[n] = '\0';
}

/* One value item as written: a "quoted string" (escapes \" and \\) or a
 * bare run of characters up to ',', ';', ')' or a blank.  Fills text;
 * *quoted tells which. */
static int rules_item(struct rules_scan *s, char *text, size_t len, int *quoted)
{
	size_t n = 0;
	uint32_t line = s->line, col = s->col;

	*quoted = 0;
	if (s->p < s->end && *s->p == '"') {
		*quoted = 1;
		rules_advance(s);
		for (;;) {
			char c;

			if (s->p >= s->end || *s->p == '\n')
				return rules_fail_at(s, line, col, "expected a closing '\"'");
			c = *s->p;
			if (c == '"') {
				rules_advance(s);
				break;
			}
			if (c == '\\') {
				rules_advance(s);
				if (s->p >= s->end || (*s->p != '"' && *s->p != '\\'))
					return rules_fail_at(s, s->line, s->col,
							     "expected '\"' or '\\' after '\\'");
				c = *s->p;
			}
			if (n + 1 >= len)
				return rules_fail_at(s, line, col, "expected a value shorter than %zu bytes",
						     len - 1);
			text[n++] = c;
			rules_advance(s);
		}
	} else {
		while (s->p < s->end && !strchr(",;)( \t\r\n\"#", *s->p)) {
			if (n + 1 >= len)
				return rules_fail_at(s, line, col, "expected a value shorter than %zu bytes",
						     len - 1);
			text[n++] = *s->p;
			rules_advance(s);
		}
		if (n == 0) {
			char f[40];
			rules_found(s, f, sizeof(f));
			return rules_fail_at(s, line, col, "expected a value, found %s", f);
		}
	}
	text[n] = '\0';
	return 0;
}

/* Skip blanks within a statement (newlines and comments too). */
static void rules_skip_inline(struct rules_scan *s)
{
	rules_skip(s);
}

/* ---- value parsers -------------------------------------------------- */

static int rules_parse_u64(const char *t, uint64_t *out)
{
	uint64_t v = 0;

	if (!*t)
		return -1;
	for (; *t; t++) {
		if (*t < '0' || *t > '9' || v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*t - '0');
	}
	*out = v;
	return 0;
}

/* "1500", "10k", "5M", "2G", "3Ki", "4Mi", "1Gi" (bytes, packets) or
 * "30", "30s", "5m", "2h", "1d" (durations, in microseconds). */
static int rules_parse_amount(const char *t, int duration, uint64_t *out)
{
	char num[32];
	size_t n = 0;
	uint64_t v, mul = 1;
	const char *u;

	while (t[n] >= '0' && t[n] <= '9' && n + 1 < sizeof(num)) {
		num[n] = t[n];
		n++;
	}
	num[n] = '\0';
	u = t + n;
	if (rules_parse_u64(num, &v) < 0)
		return -1;
	if (duration) {
		mul = 1000000u;
		if (!strcmp(u, "") || !strcmp(u, "s"))
			;
		else if (!strcmp(u, "ms"))
			mul = 1000u;
		else if (!strcmp(u, "m"))
			mul *= 60u;
		else if (!strcmp(u, "h"))
			mul *= 3600u;
		else if (!strcmp(u, "d"))
			mul *= 86400u;
		else
			return -1;
	} else {
		if (!strcmp(u, ""))
			;
		else if (!strcmp(u, "k"))
			mul = 1000u;
		else if (!strcmp(u, "M"))
			mul = 1000000u;
		else if (!strcmp(u, "G"))
			mul = 1000000000u;
		else if (!strcmp(u, "Ki"))
			mul = 1024u;
		else if (!strcmp(u, "Mi"))
			mul = 1024u * 1024u;
		else if (!strcmp(u, "Gi"))
			mul = 1024u * 1024u * 1024u;
		else
			return -1;
	}
	if (v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

/* Comparison for counters: ">N", ">=N", "<N", "<=N", "N", "N-M". */
static int rules_parse_cmp(const char *t, int duration, struct rules_range *r)
{
	uint64_t a, b;
	const char *dash;
	char left[64];

	if (t[0] == '>' && t[1] == '=') {
		if (rules_parse_amount(t + 2, duration, &a) < 0)
			return -1;
		*r = (struct rules_range){ a, UINT64_MAX };
	} else if (t[0] == '>') {
		if (rules_parse_amount(t + 1, duration, &a) < 0 || a == UINT64_MAX)
			return -1;
		*r = (struct rules_range){ a + 1, UINT64_MAX };
	} else if (t[0] == '<' && t[1] == '=') {
		if (rules_parse_amount(t + 2, duration, &a) < 0)
			return -1;
		*r = (struct rules_range){ 0, a };
	} else if (t[0] == '<') {
		if (rules_parse_amount(t + 1, duration, &a) < 0 || a == 0)
			return -1;
		*r = (struct rules_range){ 0, a - 1 };
	} else if ((dash = strchr(t, '-')) != NULL) {
		if ((size_t)(dash - t) >= sizeof(left))
			return -1;
		memcpy(left, t, (size_t)(dash - t));
		left[dash - t] = '\0';
		if (rules_parse_amount(left, duration, &a) < 0 ||
		    rules_parse_amount(dash + 1, duration, &b) < 0 || b < a)
			return -1;
		*r = (struct rules_range){ a, b };
	} else {
		if (rules_parse_amount(t, duration, &a) < 0)
			return -1;
		*r = (struct rules_range){ a, a };
	}
	return 0;
}

static int rules_parse_port(const char *t, struct rules_range *r)
{
	uint64_t a, b;
	const char *dash = strchr(t, '-');
	char left[16];

	if (dash) {
		if ((size_t)(dash - t) >= sizeof(left))
			return -1;
		memcpy(left, t, (size_t)(dash - t));
		left[dash - t] = '\0';
		if (rules_parse_u64(left, &a) < 0 || rules_parse_u64(dash + 1, &b) < 0)
			return -1;
	} else {
		if (rules_parse_u64(t, &a) < 0)
			return -1;
		b = a;
	}
	if (a > 65535 || b > 65535 || b < a)
		return -1;
	*r = (struct rules_range){ a, b };
	return 0;
}

static int rules_parse_l4(const char *t, uint32_t *out)
{
	static const struct { const char *n; uint32_t v; } names[] = {
		{ "icmp", 1 }, { "igmp", 2 }, { "tcp", 6 }, { "udp", 17 }, { "gre", 47 },
		{ "esp", 50 }, { "ah", 51 }, { "icmp6", 58 }, { "ipv6-icmp", 58 }, { "sctp", 132 },
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(names[i].n, t)) {
			*out = names[i].v;
			return 0;
		}
	if (rules_parse_u64(t, &v) < 0 || v > 255)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* ---- conditions ----------------------------------------------------- */

static int rules_list_ref(struct rules_scan *s, const char *name, uint32_t line, uint32_t col,
			  uint32_t *out)
{
	struct rules_set *rs = s->rs;
	char where[512];

	for (const char *p = name; *p; p++)
		if (!rules_is_word(*p) || *p == '.')
			return rules_fail_at(s, line, col,
					     "expected a list name of letters, digits, '_' and '-' after '@'");
	if (!*name)
		return rules_fail_at(s, line, col, "expected a list name after '@'");
	for (size_t i = 0; i < rs->nlists; i++)
		if (!strcmp(rs->lists[i].name, name)) {
			*out = (uint32_t)i;
			return 0;
		}
	if (rs->nlists >= RULES_MAX_LISTS)
		return rules_fail_at(s, line, col, "expected at most %u different lists", RULES_MAX_LISTS);
	snprintf(where, sizeof(where), "%s:%u:%u", s->name, line, col);
	rs->lists[rs->nlists].name = strdup(name);
	rs->lists[rs->nlists].where = strdup(where);
	if (!rs->lists[rs->nlists].name || !rs->lists[rs->nlists].where)
		return rules_fail_at(s, line, col, "out of memory");
	*out = (uint32_t)rs->nlists++;
	return 0;
}

static int rules_grow(void **arr, uint32_t n, size_t size)
{
	void *p;

	if (n & (n - 1))          /* grow at powers of two */
		return 0;
	p = realloc(*arr, (n ? n * 2 : 4) * size);
	if (!p)
		return -1;
	*arr = p;
	return 0;
}

static int rules_add_id(struct rules_scan *s, struct rules_cond *c, uint32_t id, const char *name)
{
	if (rules_grow((void **)&c->ids, c->n, sizeof(*c->ids)) < 0 ||
	    rules_grow((void **)&c->names, c->n, sizeof(*c->names)) < 0)
		return rules_fail_at(s, s->line, s->col, "out of memory");
	c->ids[c->n] = id;
	c->names[c->n] = name ? rules_keep(s->rs, name, strlen(name)) : NULL;
	c->n++;
	return 0;
}

static int rules_add_range(struct rules_scan *s, struct rules_cond *c, struct rules_range r)
{
	if (rules_grow((void **)&c->ranges, c->n, sizeof(*c->ranges)) < 0)
		return rules_fail_at(s, s->line, s->col, "out of memory");
	c->ranges[c->n++] = r;
	return 0;
}

static int rules_is_hex(const char *t, size_t len)
{
	if (strlen(t) != len)
		return 0;
	for (; *t; t++)
		if (!((*t >= '0' && *t <= '9') || (*t >= 'a' && *t <= 'f') || (*t >= 'A' && *t <= 'F')))
			return 0;
	return 1;
}

/* One item of a condition.  Returns 0 or -1 (error set). */
static int rules_cond_item(struct rules_scan *s, struct rules_cond *c, const struct rules_field_def *fd,
			   const char *t, int quoted, uint32_t line, uint32_t col)
{
	struct rules_set *rs = s->rs;
	int id;
	uint32_t v32 = 0;
	uint64_t v;
	struct rules_range r;
	char why[256];

	if (!t[0])
		return rules_fail_at(s, line, col, "expected a non-empty value");
	if (c->kind == RK_SET && !quoted && t[0] == '@') {
		if (rules_grow((void **)&c->lists, c->nlists, sizeof(*c->lists)) < 0)
			return rules_fail_at(s, line, col, "out of memory");
		if (rules_list_ref(s, t + 1, line, col, &v32) < 0)
			return -1;
		c->lists[c->nlists++] = v32;
		return 0;
	}
	switch (fd->field) {
	case RF_L4PROTO:
		if (rules_parse_l4(t, &v32) < 0)
			return rules_fail_at(s, line, col,
					     "expected an IP protocol (tcp, udp, icmp, icmp6, sctp, gre or 0-255), found '%s'", t);
		return rules_add_id(s, c, v32, t);
	case RF_APP:
	case RF_MASTER:
	case RF_PROTOCOL:
		if (!rs->names || (id = classify_proto_by_name(rs->names, t)) < 0)
			return rules_fail_at(s, line, col, "expected an nDPI protocol name, found '%s'", t);
		return rules_add_id(s, c, (uint32_t)id, classify_proto_name(rs->names, (uint16_t)id));
	case RF_CATEGORY:
		if (!rs->names || (id = classify_category_by_name(rs->names, t)) < 0)
			return rules_fail_at(s, line, col, "expected an nDPI category name, found '%s'", t);
		return rules_add_id(s, c, (uint32_t)id, classify_category_name(rs->names, (uint16_t)id));
	case RF_BREED:
		if (!rs->names || (id = classify_breed_by_name(rs->names, t)) < 0)
			return rules_fail_at(s, line, col,
					     "expected an nDPI breed (safe, acceptable, fun, unsafe, potentially_dangerous, dangerous, tracker_ads, unrated), found '%s'", t);
		return rules_add_id(s, c, (uint32_t)id, t);
	case RF_CONFIDENCE:
		if ((id = classify_confidence_by_name(t)) < 0)
			return rules_fail_at(s, line, col, "expected an nDPI confidence name (e.g. dpi, match_by_port), found '%s'", t);
		return rules_add_id(s, c, (uint32_t)id, classify_confidence_name((uint8_t)id));
	case RF_RISK:
		if ((id = classify_risk_by_name(t)) < 0)
			return rules_fail_at(s, line, col, "expected an nDPI risk name (e.g. url_possible_sql_injection), found '%s'", t);
		c->risk |= 1ULL << id;
		return 0;
	case RF_ZONE:
		if (!rs->zones || (id = zones_find_any(rs->zones, t)) < 0)
			return rules_fail_at(s, line, col, "expected a zone key or name defined in the config (or 'external'), found '%s'", t);
		return rules_add_id(s, c, (uint32_t)id, zones_key(rs->zones, id));
	case RF_PORT:
		if (rules_parse_port(t, &r) < 0)
			return rules_fail_at(s, line, col, "expected a port or range 0-65535 (e.g. 443 or 1024-2048), found '%s'", t);
		return rules_add_range(s, c, r);
	case RF_BYTES:
	case RF_PKTS:
	case RF_DURATION:
		if (rules_parse_cmp(t, fd->field == RF_DURATION, &r) < 0)
			return rules_fail_at(s, line, col, fd->field == RF_DURATION ?
					     "expected a duration comparison (e.g. >10m, <=30s, 60-120), found '%s'" :
					     "expected a count comparison (e.g. >10M, >=100, 1k-5k), found '%s'", t);
		return rules_add_range(s, c, r);
	case RF_COUNTRY:
		if (strlen(t) != 2 || t[0] < 'A' || t[0] > 'Z' || t[1] < 'A' || t[1] > 'Z')
			return rules_fail_at(s, line, col, "expected a two-letter upper-case country code (e.g. JP), found '%s'", t);
		return rules_add_id(s, c, (uint32_t)((unsigned char)t[0] << 8 | (unsigned char)t[1]), t);
	case RF_ASN:
		if (rules_parse_u64(t + ((t[0] == 'A' || t[0] == 'a') && (t[1] == 'S' || t[1] == 's') ? 2 : 0), &v) < 0 ||
		    v == 0 || v > UINT32_MAX)
			return rules_fail_at(s, line, col, "expected an AS number (e.g. 2497 or AS2497), found '%s'", t);
		return rules_add_id(s, c, (uint32_t)v, t);
	case RF_IP:
	case RF_HOSTNAME:
	case RF_SNI:
	case RF_JA3C:
	case RF_JA3S:
	case RF_CERT_SHA1: {
		enum ioc_type type = fd->field == RF_IP ? IOC_IP :
				     fd->field == RF_HOSTNAME || fd->field == RF_SNI ? IOC_DOMAIN :
				     fd->field == RF_CERT_SHA1 ? IOC_SHA1 : IOC_JA3;
		const char *expect = type == IOC_IP ? "an IP address or CIDR prefix (or @list)" :
				     type == IOC_DOMAIN ? "a host name or *.suffix (or @list)" :
				     type == IOC_SHA1 ? "40 hex digits (or @list)" : "32 hex digits (or @list)";

		if ((type == IOC_JA3 && !rules_is_hex(t, 32)))
			return rules_fail_at(s, line, col, "expected %s, found '%s'", expect, t);
		if (!c->set) {
			c->set = ioc_set_new(fd->name, RULES_INLINE_CAP);
			if (!c->set)
				return rules_fail_at(s, line, col, "out of memory");
		}
		if (ioc_set_add(c->set, type, t, 0, NULL, NULL, s->name, line, why, sizeof(why)) < 0)
			return rules_fail_at(s, line, col, "expected %s, found '%s' (%s)", expect, t, why);
		return 0;
	}
	}
	return rules_fail_at(s, line, col, "internal: field without a parser");
}

/* Parse "item, item, ..." up to ';' or ')' into c. */
static int rules_cond_values(struct rules_scan *s, struct rules_cond *c, const struct rules_field_def *fd)
{
	char text[RULES_MAX_TEXT];
	unsigned items = 0;

	for (;;) {
		uint32_t line, col;
		int quoted;

		rules_skip_inline(s);
		line = s->line;
		col = s->col;
		if (rules_item(s, text, sizeof(text), &quoted) < 0)
			return -1;
		if (++items > RULES_MAX_ITEMS)
			return rules_fail_at(s, line, col, "expected at most %u values in one condition (use a @list)",
					     RULES_MAX_ITEMS);
		if (rules_cond_item(s, c, fd, text, quoted, line, col) < 0)
			return -1;
		rules_skip_inline(s);
		if (s->p < s->end && *s->p == ',') {
			rules_advance(s);
			continue;
		}
		return 0;
	}
}

/* ---- statements ----------------------------------------------------- */

static const struct rules_field_def *rules_field_find(const char *name)
{
	for (size_t i = 0; i < sizeof(rules_fields) / sizeof(rules_fields[0]); i++)
		if (!strcmp(rules_fields[i].name, name))
			return &rules_fields[i];
	return NULL;
}

static int rules_text_value(struct rules_scan *s, const char *key, int need_quotes, const char **out)
{
	char text[RULES_MAX_TEXT];
	int quoted;
	uint32_t line, col;

	rules_skip_inline(s);
	line = s->line;
	col = s->col;
	if (rules_item(s, text, sizeof(text), &quoted) < 0)
		return -1;
	if (need_quotes && !quoted)
		return rules_fail_at(s, line, col, "expected a quoted string for %s (\"...\")", key);
	if (!text[0])
		return rules_fail_at(s, line, col, "expected a non-empty %s", key);
	*out = rules_keep(s->rs, text, strlen(text));
	return *out ? 0 : rules_fail_at(s, line, col, "out of memory");
}

static int rules_num_value(struct rules_scan *s, const char *key, uint64_t max, uint64_t *out)
{
	char text[64];
	int quoted;
	uint32_t line, col;

	rules_skip_inline(s);
	line = s->line;
	col = s->col;
	if (rules_item(s, text, sizeof(text), &quoted) < 0)
		return -1;
	if (quoted || rules_parse_u64(text, out) < 0 || *out == 0 || *out > max)
		return rules_fail_at(s, line, col, "expected %s as a number 1-%llu, found '%s'", key,
				     (unsigned long long)max, text);
	return 0;
}

/* threshold: type limit|threshold|both, track by_src|by_dst|by_pair|by_rule,
 *            count N, seconds N */
static int rules_threshold_value(struct rules_scan *s, struct rules_threshold *th)
{
	int seen = 0;

	for (;;) {
		char key[32], val[32];
		int quoted;
		uint32_t line, col, vline, vcol;
		uint64_t v;

		rules_skip_inline(s);
		line = s->line;
		col = s->col;
		if (!rules_word(s, key, sizeof(key)))
			return rules_fail_at(s, line, col, "expected type, track, count or seconds in threshold");
		rules_skip_inline(s);
		vline = s->line;
		vcol = s->col;
		if (rules_item(s, val, sizeof(val), &quoted) < 0)
			return -1;
		if (!strcmp(key, "type")) {
			th->type = !strcmp(val, "limit") ? RULES_THRESH_LIMIT :
				   !strcmp(val, "threshold") ? RULES_THRESH_THRESHOLD :
				   !strcmp(val, "both") ? RULES_THRESH_BOTH : 0;
			if (!th->type)
				return rules_fail_at(s, vline, vcol, "expected threshold type limit, threshold or both, found '%s'", val);
			seen |= 1;
		} else if (!strcmp(key, "track")) {
			th->track = !strcmp(val, "by_src") ? RULES_TRACK_SRC :
				    !strcmp(val, "by_dst") ? RULES_TRACK_DST :
				    !strcmp(val, "by_pair") ? RULES_TRACK_PAIR :
				    !strcmp(val, "by_rule") ? RULES_TRACK_RULE : 0;
			if (!th->track)
				return rules_fail_at(s, vline, vcol, "expected track by_src, by_dst, by_pair or by_rule, found '%s'", val);
			seen |= 2;
		} else if (!strcmp(key, "count") || !strcmp(key, "seconds")) {
			if (rules_parse_u64(val, &v) < 0 || v == 0 || v > 100000000)
				return rules_fail_at(s, vline, vcol, "expected %s as a number 1-100000000, found '%s'", key, val);
			if (key[0] == 'c') {
				th->count = (uint32_t)v;
				seen |= 4;
			} else {
				th->seconds = (uint32_t)v;
				seen |= 8;
			}
		} else {
			return rules_fail_at(s, line, col, "expected type, track, count or seconds in threshold, found '%s'", key);
		}
		rules_skip_inline(s);
		if (s->p < s->end && *s->p == ',') {
			rules_advance(s);
			continue;
		}
		if (seen != 15)
			return rules_fail_at(s, s->line, s->col, "expected threshold to give all of type, track, count and seconds");
		return 0;
	}
}

/* sid:N or (suppress) sid:N, N-M, ... */
static int rules_sid_ranges(struct rules_scan *s, struct rules_stmt *st)
{
	char text[64];
	int quoted;

	for (;;) {
		uint32_t line, col;
		struct rules_range r;
		uint64_t a, b = 0;
		const char *dash;

		rules_skip_inline(s);
		line = s->line;
		col = s->col;
		if (rules_item(s, text, sizeof(text), &quoted) < 0)
			return -1;
		dash = strchr(text, '-');
		if (dash) {
			char left[sizeof(text)];
			size_t n = (size_t)(dash - text);
			memcpy(left, text, n);
			left[n] = '\0';
			if (rules_parse_u64(left, &a) < 0 || rules_parse_u64(dash + 1, &b) < 0)
				a = 0;
		} else if (rules_parse_u64(text, &a) < 0) {
			a = 0;
		} else {
			b = a;
		}
		if (quoted || a == 0 || b < a || b > 2147483647u)
			return rules_fail_at(s, line, col, "expected a sid or sid range (e.g. 3000-3099), found '%s'", text);
		r = (struct rules_range){ a, b };
		if (rules_grow((void **)&st->sids, st->nsids, sizeof(*st->sids)) < 0)
			return rules_fail_at(s, line, col, "out of memory");
		st->sids[st->nsids++] = r;
		rules_skip_inline(s);
		if (s->p < s->end && *s->p == ',') {
			rules_advance(s);
			continue;
		}
		return 0;
	}
}

static const struct rules_stmt *rules_find_sid(const struct rules_set *rs, uint32_t sid)
{
	for (size_t i = 0; i < rs->nrules; i++)
		if (rs->rules[i].r.sid == sid)
			return &rs->rules[i];
	return NULL;
}

/* Parse one option "name: value" or "!name: value" into st. */
static int rules_option(struct rules_scan *s, struct rules_stmt *st, int is_rule, unsigned *seen)
{
	char key[40];
	uint32_t line = s->line, col = s->col;
	int neg = 0;
	const struct rules_field_def *fd;
	uint64_t v;

	if (*s->p == '!') {
		neg = 1;
		rules_advance(s);
	}
	if (!rules_word(s, key, sizeof(key))) {
		char f[40];
		rules_found(s, f, sizeof(f));
		return rules_fail_at(s, s->line, s->col, "expected an option name (e.g. sid, msg, app, dst.ip), found %s", f);
	}
	rules_skip_inline(s);
	if (s->p >= s->end || *s->p != ':') {
		char f[40];
		rules_found(s, f, sizeof(f));
		return rules_fail_at(s, s->line, s->col, "expected ':' after '%s', found %s", key, f);
	}
	rules_advance(s);

	fd = rules_field_find(key);
	if (!fd) {
		static const char *const meta[] = { "sid", "rev", "severity", "msg", "msg_en", "policy",
						    "threat", "threshold" };
		size_t i;

		for (i = 0; i < sizeof(meta) / sizeof(meta[0]); i++)
			if (!strcmp(meta[i], key))
				break;
		if (i == sizeof(meta) / sizeof(meta[0]))
			return rules_fail_at(s, line, col, "expected an option name (see doc/rules.md), found unknown '%s'", key);
		if (neg)
			return rules_fail_at(s, line, col, "expected '!' only before a condition, not before '%s'", key);
		if (!is_rule && i != 0)
			return rules_fail_at(s, line, col, "expected only sid and conditions in suppress, found '%s'", key);
		if (*seen & (1u << i))
			return rules_fail_at(s, line, col, "expected '%s' only once", key);
		*seen |= 1u << i;
		switch (i) {
		case 0:
			if (!is_rule)
				return rules_sid_ranges(s, st);
			if (rules_num_value(s, "sid", 2147483647u, &v) < 0)
				return -1;
			if (v >= HEALTH_SID_MIN && v <= DETECT_SID_MAX)
				return rules_fail_at(s, line, col, "expected a sid outside %u-%u (the sensor's health and behaviour alerts), found %llu",
						     HEALTH_SID_MIN, DETECT_SID_MAX, (unsigned long long)v);
			st->r.sid = (uint32_t)v;
			return 0;
		case 1:
			if (rules_num_value(s, "rev", 1000000u, &v) < 0)
				return -1;
			st->r.rev = (uint32_t)v;
			return 0;
		case 2: {
			const char *sv;
			uint32_t l, c;
			rules_skip_inline(s);
			l = s->line;
			c = s->col;
			if (rules_text_value(s, "severity", 0, &sv) < 0)
				return -1;
			for (unsigned k = 1; k <= 5; k++)
				if (!strcmp(sv, rules_severities[k]))
					st->r.severity = (uint8_t)k;
			if (!st->r.severity)
				return rules_fail_at(s, l, c, "expected severity critical, high, medium, low or info, found '%s'", sv);
			return 0;
		}
		case 3:
			return rules_text_value(s, "msg", 1, &st->r.msg);
		case 4:
			return rules_text_value(s, "msg_en", 1, &st->r.msg_en);
		case 5:
			return rules_text_value(s, "policy", 1, &st->r.clause);
		case 6: {
			uint32_t l, c;
			rules_skip_inline(s);
			l = s->line;
			c = s->col;
			if (rules_text_value(s, "threat", 0, &st->r.threat) < 0)
				return -1;
			if (rules_threat_index(st->r.threat) < 0)
				return rules_fail_at(s, l, c,
						     "expected a threat class (unauthorized-access, malware, dos, insider, unauthorized-software, policy-violation, misconfiguration, fault, outage), found '%s'",
						     st->r.threat);
			return 0;
		}
		case 7:
			return rules_threshold_value(s, &st->r.threshold);
		}
		return -1;
	}

	if (st->ncond >= RULES_MAX_CONDS)
		return rules_fail_at(s, line, col, "expected at most %u conditions in one statement", RULES_MAX_CONDS);
	if (rules_grow((void **)&st->cond, st->ncond, sizeof(*st->cond)) < 0)
		return rules_fail_at(s, line, col, "out of memory");
	memset(&st->cond[st->ncond], 0, sizeof(st->cond[0]));
	st->cond[st->ncond].field = fd->field;
	st->cond[st->ncond].side = fd->side;
	st->cond[st->ncond].kind = fd->kind;
	st->cond[st->ncond].neg = (uint8_t)neg;
	st->ncond++;
	return rules_cond_values(s, &st->cond[st->ncond - 1], fd);
}

/* Append a statement to a growing array; -1 when out of memory. */
static int rules_push_stmt(struct rules_stmt **arr, size_t *n, size_t *cap,
			   const struct rules_stmt *st)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct rules_stmt *p = realloc(*arr, ncap * sizeof(*p));

		if (!p)
			return -1;
		*arr = p;
		*cap = ncap;
	}
	(*arr)[(*n)++] = *st;
	return 0;
}

static int rules_statement(struct rules_scan *s)
{
	struct rules_set *rs = s->rs;
	char word[16];
	uint32_t line = s->line, col = s->col;
	struct rules_stmt st;
	unsigned seen = 0;
	int is_rule;

	memset(&st, 0, sizeof(st));
	if (!rules_word(s, word, sizeof(word)) || (strcmp(word, "alert") && strcmp(word, "suppress"))) {
		return rules_fail_at(s, line, col, "expected 'alert' or 'suppress' at the start of a statement");
	}
	is_rule = word[0] == 'a';
	st.r.file = s->name;
	st.r.line = line;
	rules_skip(s);
	if (s->p >= s->end || *s->p != '(') {
		char f[40];
		rules_found(s, f, sizeof(f));
		return rules_fail_at(s, s->line, s->col, "expected '(' after '%s', found %s", word, f);
	}
	rules_advance(s);
	for (;;) {
		rules_skip_inline(s);
		if (s->p >= s->end) {
			rules_fail_at(s, s->line, s->col, "expected ')' to close the statement begun at line %u", line);
			goto fail;
		}
		if (*s->p == ')') {
			rules_advance(s);
			break;
		}
		if (rules_option(s, &st, is_rule, &seen) < 0)
			goto fail;
		rules_skip_inline(s);
		if (s->p < s->end && *s->p == ';') {
			rules_advance(s);
			continue;
		}
		if (s->p < s->end && *s->p == ')')
			continue;
		{
			char f[40];
			rules_found(s, f, sizeof(f));
			rules_fail_at(s, s->line, s->col, "expected ';' or ')' after a value, found %s", f);
		}
		goto fail;
	}
	if (is_rule) {
		static const char *const need[] = { "sid", NULL, "severity", "msg", NULL, NULL, "threat" };
		const struct rules_stmt *dup;

		for (unsigned i = 0; i < sizeof(need) / sizeof(need[0]); i++)
			if (need[i] && !(seen & (1u << i))) {
				rules_fail_at(s, line, col, "expected the rule to have %s", need[i]);
				goto fail;
			}
		if (!st.ncond) {
			rules_fail_at(s, line, col, "expected at least one condition (a rule without one "
				      "would match every flow)");
			goto fail;
		}
		if (!st.r.rev)
			st.r.rev = 1;
		if ((dup = rules_find_sid(rs, st.r.sid)) != NULL) {
			rules_fail_at(s, line, col, "expected a unique sid: %u is already used at %s:%u",
				      st.r.sid, dup->r.file, dup->r.line);
			goto fail;
		}
		if (rs->nrules >= RULES_MAX_RULES) {
			rules_fail_at(s, line, col, "expected at most %u rules", RULES_MAX_RULES);
			goto fail;
		}
		if (rules_push_stmt(&rs->rules, &rs->nrules, &rs->caprules, &st) < 0) {
			rules_fail_at(s, line, col, "out of memory");
			goto fail;
		}
	} else {
		if (!st.nsids) {
			rules_fail_at(s, line, col, "expected suppress to name the sids it silences (sid:N or sid:N-M)");
			goto fail;
		}
		if (rules_push_stmt(&rs->supp, &rs->nsupp, &rs->capsupp, &st) < 0) {
			rules_fail_at(s, line, col, "out of memory");
			goto fail;
		}
	}
	return 0;
fail:
	rules_stmt_fini(&st);
	return -1;
}

int rules_parse_buffer(struct rules_set *rs, const char *name, const char *text, size_t len,
		       char *err, size_t errlen)
{
	struct rules_scan s = { .rs = rs, .p = text, .end = text + len, .line = 1, .col = 1,
				.err = err, .errlen = errlen };

	s.name = rules_keep(rs, name, strlen(name));
	if (!s.name) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))   /* a UTF-8 byte order mark */
		s.p += 3;
	for (const char *p = s.p; p < s.end; p++)
		if (*p == '\0') {
			while (s.p < p)
				rules_advance(&s);
			return rules_fail_at(&s, s.line, s.col, "expected a text file, found a NUL byte");
		}
	for (;;) {
		rules_skip(&s);
		if (s.p >= s.end)
			return 0;
		if (rules_statement(&s) < 0)
			return -1;
	}
}

int rules_parse_file(struct rules_set *rs, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = -1;

	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		size_t n;

		if (len + 65536 > cap) {
			char *nb;
			cap = cap ? cap * 2 : 131072;
			if (cap > RULES_MAX_FILE + 65536) {
				snprintf(err, errlen, "%s: larger than %u bytes", path, RULES_MAX_FILE);
				goto out;
			}
			nb = realloc(buf, cap);
			if (!nb) {
				snprintf(err, errlen, "%s: out of memory", path);
				goto out;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
		goto out;
	}
	rc = rules_parse_buffer(rs, path, buf, len, err, errlen);   /* buf: allocated above */
out:
	free(buf);
	fclose(f);
	return rc;
}

size_t rules_list_count(const struct rules_set *rs)
{
	return rs->nlists;
}

const char *rules_list_name(const struct rules_set *rs, size_t i)
{
	return i < rs->nlists ? rs->lists[i].name : NULL;
}

void rules_bind_list(struct rules_set *rs, size_t i, const struct ioc_set *set)
{
	if (i < rs->nlists)
		rs->lists[i].set = set;
}

int rules_check_bound(const struct rules_set *rs, char *err, size_t errlen)
{
	for (size_t i = 0; i < rs->nlists; i++)
		if (!rs->lists[i].set) {
			snprintf(err, errlen, "%s: unknown list '@%s' (no lists/%s.list, .txt or .intel "
				 "in the rules directory and no lists.%s in the config)",
				 rs->lists[i].where, rs->lists[i].name, rs->lists[i].name,
				 rs->lists[i].name);
			return -1;
		}
	return 0;
}

size_t rules_count(const struct rules_set *rs)
{
	return rs->nrules;
}

size_t rules_suppress_count(const struct rules_set *rs)
{
	return rs->nsupp;
}

/* ---- matching ------------------------------------------------------- */

struct rules_ev {
	struct rules_evidence e[RULES_MAX_EVIDENCE];
	unsigned n;
};

static struct rules_evidence *rules_ev_add(struct rules_ev *ev, const char *field, const char *list,
					   const struct ioc_entry *entry)
{
	struct rules_evidence *e;

	if (!ev || ev->n >= RULES_MAX_EVIDENCE)
		return NULL;
	e = &ev->e[ev->n++];
	e->field = field;
	e->value[0] = '\0';
	e->list = list;
	e->entry = entry;
	return e;
}

static const char *const rules_side_field[][3] = {
	[RF_ZONE] = { "src.zone", "dst.zone", "zone" },
	[RF_IP] = { "src.ip", "dst.ip", "ip" },
	[RF_PORT] = { "src.port", "dst.port", "port" },
	[RF_COUNTRY] = { "src.country", "dst.country", "country" },
	[RF_ASN] = { "src.asn", "dst.asn", "asn" },
	[RF_BYTES] = { "bytes.toserver", "bytes.toclient", "bytes" },
	[RF_PKTS] = { "pkts.toserver", "pkts.toclient", "pkts" },
};

static bool rules_in_ids(const struct rules_cond *c, uint32_t v, const char **name)
{
	for (uint32_t i = 0; i < c->n; i++)
		if (c->ids[i] == v) {
			if (name)
				*name = c->names[i];
			return true;
		}
	return false;
}

static bool rules_in_ranges(const struct rules_cond *c, uint64_t v)
{
	for (uint32_t i = 0; i < c->n; i++)
		if (v >= c->ranges[i].lo && v <= c->ranges[i].hi)
			return true;
	return false;
}

/* Loopback and unspecified addresses never match a named list: public feeds
 * carry them as placeholders (the Cobalt Strike feed lists 127.0.0.1), and
 * on a span port they are capture artefacts, not hosts. */
static bool rules_is_placeholder(int ip_version, const uint8_t *a)
{
	static const uint8_t zero[16], one[16] = { [15] = 1 };

	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (ip_version == 4)
		return a[0] == 127 || a[0] == 0;
	if (!memcmp(a, mapped, 12))     /* ::ffff:a.b.c.d */
		return a[12] == 127 || a[12] == 0;
	return !memcmp(a, zero, 16) || !memcmp(a, one, 16);
}

/* A set condition on one value (IP of one side, host name, hash). */
static bool rules_set_match(const struct rules_set *rs, const struct rules_cond *c,
			    const struct rules_flow *f, int side, const char *str,
			    const char **list, const struct ioc_entry **entry)
{
	const struct ioc_entry *e = NULL;
	enum ioc_type t = c->field == RF_CERT_SHA1 ? IOC_SHA1 : IOC_JA3;

	*list = NULL;
	for (uint32_t i = 0; i <= c->nlists; i++) {
		const struct ioc_set *set;

		if (i == 0) {
			set = c->set;
		} else {
			if (c->field == RF_IP && rules_is_placeholder(f->ip_version, f->addr[side]))
				return false;
			set = rs->lists[c->lists[i - 1]].set;
			*list = rs->lists[c->lists[i - 1]].name;
		}
		if (!set)
			continue;
		if (c->field == RF_IP)
			e = ioc_set_match_ip(set, f->ip_version, f->addr[side]);
		else if (!str)
			return false;
		else if (c->field == RF_HOSTNAME || c->field == RF_SNI)
			e = ioc_set_match_domain(set, str);
		else
			e = ioc_set_match_hash(set, t, str);
		if (e) {
			*entry = e;
			return true;
		}
	}
	return false;
}

/* Does condition c hold for one side (0/1) of f?  Fills evidence when ev. */
static bool rules_side_match(const struct rules_set *rs, const struct rules_cond *c,
			     const struct rules_flow *f, int side, struct rules_ev *ev)
{
	const char *field = rules_side_field[c->field][side];
	const char *name = NULL, *list;
	const struct ioc_entry *entry = NULL;
	struct rules_evidence *e;
	uint64_t v;

	switch (c->field) {
	case RF_ZONE:
		if (!rules_in_ids(c, (uint32_t)f->zone[side], &name))
			return false;
		if ((e = rules_ev_add(ev, field, NULL, NULL)))
			snprintf(e->value, sizeof(e->value), "%s", name ? name : "");
		return true;
	case RF_IP:
		if (!rules_set_match(rs, c, f, side, NULL, &list, &entry))
			return false;
		if ((e = rules_ev_add(ev, field, list, entry)) &&
		    !inet_ntop(f->ip_version == 6 ? AF_INET6 : AF_INET, f->addr[side], e->value,
			       sizeof(e->value)))
			e->value[0] = '\0';
		return true;
	case RF_PORT:
		if (!rules_in_ranges(c, f->port[side]))
			return false;
		if ((e = rules_ev_add(ev, field, NULL, NULL)))
			snprintf(e->value, sizeof(e->value), "%u", f->port[side]);
		return true;
	case RF_COUNTRY: {
		const char *cc = f->geo[side]->country;
		if (!cc[0] || !rules_in_ids(c, (uint32_t)((unsigned char)cc[0] << 8 | (unsigned char)cc[1]), NULL))
			return false;
		if ((e = rules_ev_add(ev, field, NULL, NULL)))
			snprintf(e->value, sizeof(e->value), "%s", cc);
		return true;
	}
	case RF_ASN:
		if (!f->geo[side]->asn || !rules_in_ids(c, f->geo[side]->asn, NULL))
			return false;
		if ((e = rules_ev_add(ev, field, NULL, NULL)))
			snprintf(e->value, sizeof(e->value), "%u", f->geo[side]->asn);
		return true;
	case RF_BYTES:
	case RF_PKTS:
		v = c->field == RF_BYTES ? f->bytes[side] : f->pkts[side];
		if (!rules_in_ranges(c, v))
			return false;
		if ((e = rules_ev_add(ev, field, NULL, NULL)))
			snprintf(e->value, sizeof(e->value), "%llu", (unsigned long long)v);
		return true;
	}
	return false;
}

static bool rules_cond_holds(const struct rules_set *rs, const struct rules_cond *c,
			     const struct rules_flow *f, struct rules_ev *ev)
{
	const char *name = NULL, *str = NULL, *field = NULL, *list;
	const struct ioc_entry *entry = NULL;
	struct rules_evidence *e;
	uint64_t v;

	switch (c->field) {
	case RF_ZONE:
	case RF_IP:
	case RF_PORT:
	case RF_COUNTRY:
	case RF_ASN:
		if (c->side != RS_ANY)
			return rules_side_match(rs, c, f, c->side, ev);
		return rules_side_match(rs, c, f, 0, ev) || rules_side_match(rs, c, f, 1, ev);
	case RF_BYTES:
	case RF_PKTS:
		if (c->side != RS_ANY)
			return rules_side_match(rs, c, f, c->side, ev);
		v = c->field == RF_BYTES ? f->bytes[0] + f->bytes[1] : f->pkts[0] + f->pkts[1];
		if (!rules_in_ranges(c, v))
			return false;
		if ((e = rules_ev_add(ev, rules_side_field[c->field][2], NULL, NULL)))
			snprintf(e->value, sizeof(e->value), "%llu", (unsigned long long)v);
		return true;
	case RF_DURATION:
		if (!rules_in_ranges(c, f->duration_us))
			return false;
		if ((e = rules_ev_add(ev, "duration", NULL, NULL)))
			snprintf(e->value, sizeof(e->value), "%llu.%06llu",
				 (unsigned long long)(f->duration_us / 1000000u),
				 (unsigned long long)(f->duration_us % 1000000u));
		return true;
	case RF_L4PROTO:
		if (!rules_in_ids(c, f->proto, &name))
			return false;
		field = "proto";
		break;
	case RF_APP:
		if (!rules_in_ids(c, f->app, &name))
			return false;
		field = "app";
		break;
	case RF_MASTER:
		if (!rules_in_ids(c, f->master, &name))
			return false;
		field = "master";
		break;
	case RF_PROTOCOL:
		if (!rules_in_ids(c, f->app, &name) && !rules_in_ids(c, f->master, &name))
			return false;
		field = "protocol";
		break;
	case RF_CATEGORY:
		if (!rules_in_ids(c, f->category, &name))
			return false;
		field = "category";
		break;
	case RF_BREED:
		if (f->breed < 0 || !rules_in_ids(c, (uint32_t)f->breed, &name))
			return false;
		field = "breed";
		break;
	case RF_CONFIDENCE:
		if (!rules_in_ids(c, f->confidence, &name))
			return false;
		field = "confidence";
		break;
	case RF_RISK: {
		uint64_t hit = f->risk & c->risk;
		if (!hit)
			return false;
		for (unsigned bit = 1; bit < 64; bit++)
			if (hit & (1ULL << bit)) {
				const char *key = classify_risk_key(bit);
				if ((e = rules_ev_add(ev, "risk", NULL, NULL)))
					snprintf(e->value, sizeof(e->value), "%s", key ? key : "?");
			}
		return true;
	}
	case RF_HOSTNAME:
	case RF_SNI:
	case RF_JA3C:
	case RF_JA3S:
	case RF_CERT_SHA1:
		str = c->field == RF_HOSTNAME ? f->hostname : c->field == RF_SNI ? f->sni :
		      c->field == RF_JA3C ? f->ja3c : c->field == RF_JA3S ? f->ja3s : f->cert_sha1;
		if (!str || !str[0] || !rules_set_match(rs, c, f, 0, str, &list, &entry))
			return false;
		field = c->field == RF_HOSTNAME ? "hostname" : c->field == RF_SNI ? "sni" :
			c->field == RF_JA3C ? "ja3c" : c->field == RF_JA3S ? "ja3s" : "cert.sha1";
		if ((e = rules_ev_add(ev, field, list, entry)))
			snprintf(e->value, sizeof(e->value), "%s", str);
		return true;
	}
	if ((e = rules_ev_add(ev, field, NULL, NULL)))
		snprintf(e->value, sizeof(e->value), "%s", name ? name : "");
	return true;
}

/* All conditions of st hold.  Negated conditions give no evidence. */
static bool rules_stmt_holds(const struct rules_set *rs, const struct rules_stmt *st,
			     const struct rules_flow *f, struct rules_ev *ev)
{
	for (uint32_t i = 0; i < st->ncond; i++) {
		const struct rules_cond *c = &st->cond[i];

		if (c->neg) {
			if (rules_cond_holds(rs, c, f, NULL))
				return false;
		} else if (!rules_cond_holds(rs, c, f, ev)) {
			return false;
		}
	}
	return true;
}

static bool rules_suppressed(const struct rules_set *rs, uint32_t sid, const struct rules_flow *f)
{
	for (size_t i = 0; i < rs->nsupp; i++) {
		const struct rules_stmt *st = &rs->supp[i];
		bool named = false;

		for (uint32_t k = 0; k < st->nsids && !named; k++)
			named = sid >= st->sids[k].lo && sid <= st->sids[k].hi;
		if (named && rules_stmt_holds(rs, st, f, NULL))
			return true;
	}
	return false;
}

unsigned rules_match(const struct rules_set *rs, const struct rules_flow *f,
		     rules_match_cb cb, void *ctx)
{
	unsigned silenced = 0;

	for (size_t i = 0; i < rs->nrules; i++) {
		const struct rules_stmt *st = &rs->rules[i];
		struct rules_ev ev;

		ev.n = 0;
		if (!rules_stmt_holds(rs, st, f, &ev))
			continue;
		if (rules_suppressed(rs, st->r.sid, f)) {
			silenced++;
			cb(ctx, &st->r, ev.e, ev.n, true);
			continue;
		}
		cb(ctx, &st->r, ev.e, ev.n, false);
	}
	return silenced;
}
