/*
 * query — what an analyst asks the store: a filter (time range, sensor,
 * severity, sid, category, policy clause, IP or CIDR on either side, zone,
 * country, app protocol, kind of alert, capture interface), parsed from
 * command-line options, and the read side of the store that answers it
 * (alerts in order, counts by a key, sensors).  Times are unix microseconds
 * (UTC) inside; they are shown in JST (UTC+9, Japan has no daylight saving
 * time) unless UTC is asked for.
 *
 * Any thread; one query at a time per struct store.  Rows and keys handed
 * to a callback are valid during that call only.
 */
#ifndef ZW_QUERY_H
#define ZW_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert_rec.h"
#include "store.h"

#define QUERY_TZ_JST       (9 * 3600)
#define QUERY_TEXT_MAX     256u        /* a filter's text value */
#define QUERY_LIMIT_MAX    10000000u

enum query_sort { QUERY_SORT_TIME, QUERY_SORT_SEVERITY, QUERY_SORT_ID };

/* Every field: 0 / "" / false = no condition. */
struct query_filter {
	int64_t from_us, to_us;         /* ts_us in [from_us, to_us); 0 = open */
	char sensor[QUERY_TEXT_MAX];
	uint8_t severity_max;           /* "at least high" (2) keeps 1 and 2 */
	uint32_t sid;
	char category[QUERY_TEXT_MAX];  /* alert.category, exact */
	char clause[QUERY_TEXT_MAX];    /* policy.clause: exact, or a prefix
					 * ending in '*' ("第6*") */
	bool has_net;                   /* src or dest in [net_lo, net_hi] */
	uint8_t net_lo[16], net_hi[16]; /* IPv4 as ::ffff:a.b.c.d */
	char zone[QUERY_TEXT_MAX];      /* src_zone or dest_zone key */
	char country[3];                /* src or dest, ISO alpha-2 upper case */
	char app_proto[QUERY_TEXT_MAX]; /* exact ("TLS.Tor"), or the master or
					 * app part alone ("TLS", "Tor") */
	char kind[16];                  /* "alert", "health" or "behaviour"; "" all */
	char iface[16];                 /* in_iface, exact (ALERT_PARSE_MAX_IFACE
					 * bytes at most) */
	int64_t after_id;               /* only rows with store id > this (tail) */
	enum query_sort sort;
	bool ascending;                 /* default newest / most severe first */
	uint64_t limit;                 /* 0 = no limit */
	int tz_offset_s;                /* display and day keys: QUERY_TZ_JST or 0 */
};

void query_filter_init(struct query_filter *f);   /* no conditions, JST */

/* One option of query/tail/top/report, by its long name without "--":
 * from, to, since (= from), sensor, severity (a name: critical high medium
 * low info, or 1-5), sid, category, clause, ip (an address or CIDR),
 * zone, country, app (app protocol), kind (alert or rule, health,
 * behaviour), iface (an interface name, alert_parse_iface_is_valid), sort
 * (time, severity), asc, limit, utc.  now_us: what relative times count from.  0, or -1 with a
 * reason naming the option and value in err.  Times: see query_time_parse. */
int query_filter_option(struct query_filter *f, const char *name, const char *value,
			int64_t now_us, char *err, size_t errlen);

/* The struct option entries (<getopt.h>) of the filter options every
 * command that filters takes, each giving val; the option's name is what
 * query_filter_option wants.  Commands add sort/asc/limit/utc as they need.
 * The order matters to getopt_long: an abbreviation ("--si") is the first
 * entry it begins (so "iface" is after "ip": "--i" stays --ip). */
#define QUERY_FILTER_LONG_OPTIONS(val) \
	{ "from", required_argument, NULL, (val) }, \
	{ "since", required_argument, NULL, (val) }, \
	{ "to", required_argument, NULL, (val) }, \
	{ "sensor", required_argument, NULL, (val) }, \
	{ "severity", required_argument, NULL, (val) }, \
	{ "sid", required_argument, NULL, (val) }, \
	{ "category", required_argument, NULL, (val) }, \
	{ "clause", required_argument, NULL, (val) }, \
	{ "ip", required_argument, NULL, (val) }, \
	{ "zone", required_argument, NULL, (val) }, \
	{ "country", required_argument, NULL, (val) }, \
	{ "app", required_argument, NULL, (val) }, \
	{ "kind", required_argument, NULL, (val) }, \
	{ "iface", required_argument, NULL, (val) }

/* A time: "now"; relative "-90s" "-15m" "-24h" "-7d" "-2w" (before now_us);
 * absolute "2026-11-26", "2026-11-26T09:30", "2026-11-26 09:30:15" (with
 * optional fraction), in the zone tz_offset_s unless it ends in "Z" or
 * "+09:00"/"-0500".  Unix microseconds in *out_us. */
int query_time_parse(const char *s, int64_t now_us, int tz_offset_s, int64_t *out_us,
		     char *err, size_t errlen);
/* "2026-11-26 18:30:15.123456+09:00" (or "...Z" when tz_offset_s is 0);
 * precision 0 (seconds) or 6 (microseconds). */
void query_time_format(int64_t us, int tz_offset_s, int precision, char *buf, size_t len);

/* Code points that must not reach a terminal or a report as they are: C0
 * and C1 controls, DEL, line/paragraph separators, and the invisible
 * format and bidirectional controls (U+061C, U+200B-U+200F, U+202A-U+202E,
 * U+2060-U+206F, U+FEFF) that can hide or reorder text.  Text from sensors
 * is untrusted; every place that shows it replaces these. */
bool query_cp_is_unsafe(uint32_t cp);
/* One UTF-8 sequence at s (n > 0 bytes left): its code point in *cp and
 * its length, or -1 when it is not valid UTF-8 (a bad byte, truncated,
 * overlong, a surrogate, past U+10FFFF). */
int query_utf8_next(const unsigned char *s, size_t n, uint32_t *cp);

/* An address "10.0.0.1", "2001:db8::1" or CIDR "10.0.0.0/8" as a range of
 * 16-byte addresses (IPv4 mapped). */
int query_net_parse(const char *s, uint8_t lo[16], uint8_t hi[16], char *err, size_t errlen);

/* A row of a query: the stored fields (the struct alert_rec's strings
 * point into the store's memory: do not alert_rec_fini it) and the store's
 * id, increasing in the order alerts were stored. */
struct query_row {
	int64_t id;
	int64_t received_us;
	struct alert_rec rec;
};

typedef int (*query_row_fn)(void *ctx, const struct query_row *row);

/* The alerts that match, in the filter's order, up to its limit; cb's
 * non-zero return stops the query (and is returned). */
int store_query(struct store *s, const struct query_filter *f, query_row_fn cb, void *ctx,
		char *err, size_t errlen);

enum query_key {
	QUERY_KEY_SID,          /* key "2001", label: signature (ja) / signature_en */
	QUERY_KEY_SRC,          /* source address */
	QUERY_KEY_DEST,
	QUERY_KEY_SENSOR,
	QUERY_KEY_SRC_COUNTRY,
	QUERY_KEY_DEST_COUNTRY,
	QUERY_KEY_CLAUSE,       /* policy clause, "" for none */
	QUERY_KEY_SRC_ZONE,     /* zone key, label: zone name */
	QUERY_KEY_DEST_ZONE,
	QUERY_KEY_DAY,          /* "2026-11-26", in the filter's time zone */
	QUERY_KEY_SEVERITY,     /* "1".."5" */
	QUERY_KEY_CATEGORY,
	QUERY_KEY_APP,
	QUERY_KEY_DETECTOR,     /* behaviour.detector, "" for other alerts */
	QUERY_KEY_IFACE,        /* in_iface, "" when the alert has none */
	QUERY_KEY_COUNT_
};

struct query_count {
	const char *key;        /* "" when the field is empty */
	const char *label;      /* a name for the key, or NULL */
	const char *label_en;   /* QUERY_KEY_SID: signature_en; else NULL */
	uint64_t count;
	uint8_t severity_min;   /* the most severe alert of the group */
	int64_t first_us, last_us;
};

typedef int (*query_count_fn)(void *ctx, const struct query_count *c);

/* Alerts that match f counted by key, most first (QUERY_KEY_DAY and
 * QUERY_KEY_SEVERITY: in key order), at most limit groups (0: all; the
 * filter's own limit is ignored). */
int store_count_by(struct store *s, const struct query_filter *f, enum query_key key,
		   uint64_t limit, query_count_fn cb, void *ctx, char *err, size_t errlen);
/* "rule", "src", "dest", "sensor", "src-country", "dest-country", "clause",
 * "src-zone", "dest-zone", "day", "severity", "category", "app", "detector",
 * "iface" */
int query_key_parse(const char *name, enum query_key *out);
const char *query_key_name(enum query_key k);

#endif
