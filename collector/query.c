/*
 * query — the filter half: an analyst's options into a struct query_filter,
 * times and networks parsed and printed.  Pure C, no I/O, no store: the
 * store's read side (store_query, store_count_by) is in store.c and the
 * backends.
 *
 * Times.  Japan has had no daylight saving time since 1951, so JST is a
 * fixed offset (UTC+9) and needs no time zone database: an absolute time
 * without a zone is taken in the filter's zone (JST unless --utc), and
 * timegm(3) on the fields less the offset gives unix time.  Times before
 * 1970 are refused: no sensor's clock is that wrong, and a typo such as
 * 0202-11-26 is better refused than searched.
 *
 * Networks.  Addresses are stored as 16 bytes with IPv4 mapped into
 * ::ffff:0:0/96 (alert_rec.h), so an IPv4 /p is the mapped /96+p and one
 * [low, high] range of 16-byte strings covers any CIDR of either family.
 * Host bits after the prefix are ignored (10.1.2.3/8 is 10.0.0.0/8), as
 * analysts paste an address and add a prefix.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert_parse.h"
#include "query.h"

#define QUERY_US_PER_S      1000000LL
#define QUERY_YEAR_MIN      1970
#define QUERY_YEAR_MAX      9999
#define QUERY_REL_MAX_S     (100LL * 366 * 86400)   /* a relative time: 100 years at most */
#define QUERY_TIME_HINT     "now, -24h, -7d, 2026-11-26, 2026-11-26T09:30:15, optionally ending in Z or +09:00"

_Static_assert(sizeof(((struct query_filter *)0)->iface) > ALERT_PARSE_MAX_IFACE,
	       "query_filter.iface holds an interface name and its NUL");

void query_filter_init(struct query_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->sort = QUERY_SORT_TIME;
	f->tz_offset_s = QUERY_TZ_JST;
}

/* Digits at *p, at most maxd of them and at least mind; the value in *out. */
static bool query_digits(const char **p, int mind, int maxd, long long *out)
{
	long long v = 0;
	int n = 0;

	while (n < maxd && isdigit((unsigned char)(*p)[n])) {
		v = v * 10 + ((*p)[n] - '0');
		n++;
	}
	if (n < mind)
		return false;
	*p += n;
	*out = v;
	return true;
}

/* "-90s", "-15m", "-1h30m", "-7d", "-2w" */
static int query_time_relative(const char *s, int64_t now_us, int64_t *out_us, char *err, size_t errlen)
{
	const char *p = s + 1;
	long long total = 0;

	if (!*p)
		goto bad;
	while (*p) {
		long long n, unit;
		if (!query_digits(&p, 1, 9, &n))
			goto bad;
		switch (*p) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		case 'w': unit = 7 * 86400; break;
		default: goto bad;
		}
		p++;
		if (n > QUERY_REL_MAX_S / unit || total + n * unit > QUERY_REL_MAX_S) {
			snprintf(err, errlen, "\"%.64s\": more than 100 years back", s);
			return -1;
		}
		total += n * unit;
	}
	*out_us = now_us - total * QUERY_US_PER_S;
	return 0;
bad:
	snprintf(err, errlen, "\"%.64s\" is not a time (a relative time is a number and a unit: -90s -15m -24h -7d -2w)",
		 s);
	return -1;
}

static bool query_is_leap(long long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int query_mdays(long long y, long long m)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && query_is_leap(y) ? 29 : mdays[m - 1];
}

/* "Z", "+09:00", "+0900", "+09" at p (the whole rest of the string);
 * *off_s: seconds east of UTC. */
static bool query_zone(const char *p, int *off_s)
{
	long long hh, mm = 0;
	int sign;

	if ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0') {
		*off_s = 0;
		return true;
	}
	if (*p != '+' && *p != '-')
		return false;
	sign = *p == '-' ? -1 : 1;
	p++;
	if (!query_digits(&p, 2, 2, &hh))
		return false;
	if (*p == ':')
		p++;
	if (*p && !query_digits(&p, 2, 2, &mm))
		return false;
	if (*p || hh > 23 || mm > 59)
		return false;
	*off_s = sign * (int)(hh * 3600 + mm * 60);
	return true;
}

static int query_time_absolute(const char *s, int tz_offset_s, int64_t *out_us, char *err, size_t errlen)
{
	const char *p = s;
	long long y, mo, d, h = 0, mi = 0, sec = 0, frac = 0;
	int off = tz_offset_s;
	struct tm tm;
	time_t t;

	if (!query_digits(&p, 4, 4, &y) || *p++ != '-' || !query_digits(&p, 2, 2, &mo) || *p++ != '-' ||
	    !query_digits(&p, 2, 2, &d))
		goto bad;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (!query_digits(&p, 2, 2, &h) || *p++ != ':' || !query_digits(&p, 2, 2, &mi))
			goto bad;
		if (*p == ':') {
			p++;
			if (!query_digits(&p, 2, 2, &sec))
				goto bad;
			if (*p == '.' || *p == ',') {
				int n = 0;
				p++;
				if (!isdigit((unsigned char)*p))
					goto bad;
				/* microseconds; digits past the sixth are dropped */
				for (; isdigit((unsigned char)*p); p++, n++)
					if (n < 6)
						frac = frac * 10 + (*p - '0');
				for (; n < 6; n++)
					frac *= 10;
			}
		}
	}
	if (*p && !query_zone(p, &off))
		goto bad;
	if (y < QUERY_YEAR_MIN || y > QUERY_YEAR_MAX) {
		snprintf(err, errlen, "\"%.64s\": year %lld is not %d-%d", s, y, QUERY_YEAR_MIN, QUERY_YEAR_MAX);
		return -1;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > query_mdays(y, mo)) {
		snprintf(err, errlen, "\"%.64s\": no such day", s);
		return -1;
	}
	if (h > 23 || mi > 59 || sec > 59) {
		snprintf(err, errlen, "\"%.64s\": no such time of day", s);
		return -1;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)(y - 1900);
	tm.tm_mon = (int)(mo - 1);
	tm.tm_mday = (int)d;
	tm.tm_hour = (int)h;
	tm.tm_min = (int)mi;
	tm.tm_sec = (int)sec;
	t = timegm(&tm);
	*out_us = ((int64_t)t - off) * QUERY_US_PER_S + frac;
	return 0;
bad:
	snprintf(err, errlen, "\"%.64s\" is not a time (%s)", s, QUERY_TIME_HINT);
	return -1;
}

int query_time_parse(const char *s, int64_t now_us, int tz_offset_s, int64_t *out_us,
		     char *err, size_t errlen)
{
	if (!s || !*s) {
		snprintf(err, errlen, "empty time (%s)", QUERY_TIME_HINT);
		return -1;
	}
	if (!strcmp(s, "now")) {
		*out_us = now_us;
		return 0;
	}
	if (s[0] == '-')
		return query_time_relative(s, now_us, out_us, err, errlen);
	return query_time_absolute(s, tz_offset_s, out_us, err, errlen);
}

void query_time_format(int64_t us, int tz_offset_s, int precision, char *buf, size_t len)
{
	int64_t secs = us / QUERY_US_PER_S, frac = us % QUERY_US_PER_S;
	char fr[16] = "", zone[16] = "Z";
	struct tm tm;
	time_t t;

	if (frac < 0) {                 /* floor, for times before 1970 */
		frac += QUERY_US_PER_S;
		secs--;
	}
	t = (time_t)(secs + tz_offset_s);
	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, len, "?");
		return;
	}
	if (precision > 0)
		snprintf(fr, sizeof(fr), ".%06lld", (long long)frac);
	if (tz_offset_s) {
		int a = tz_offset_s < 0 ? -tz_offset_s : tz_offset_s;
		snprintf(zone, sizeof(zone), "%c%02d:%02d", tz_offset_s < 0 ? '-' : '+', a / 3600 % 100,
			 a / 60 % 60);
	}
	snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d%s%s", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, fr, zone);
}

int query_net_parse(const char *s, uint8_t lo[16], uint8_t hi[16], char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash, *p;
	uint8_t addr[16];
	unsigned prefix, maxbits, base;
	size_t hlen;

	if (!s)
		s = "";
	slash = strchr(s, '/');
	hlen = slash ? (size_t)(slash - s) : strlen(s);
	if (hlen == 0 || hlen >= sizeof(host))
		goto bad;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	memset(addr, 0, sizeof(addr));
	if (strchr(host, ':')) {
		if (inet_pton(AF_INET6, host, addr) != 1)
			goto bad;
		maxbits = 128;
		base = 0;
	} else {
		if (inet_pton(AF_INET, host, addr + 12) != 1)
			goto bad;
		addr[10] = addr[11] = 0xff;
		maxbits = 32;
		base = 96;
	}
	prefix = maxbits;
	if (slash) {
		long long v;
		p = slash + 1;
		if (!query_digits(&p, 1, 3, &v) || *p || v > (long long)maxbits) {
			snprintf(err, errlen, "\"%.64s\": the prefix length must be 0-%u", s, maxbits);
			return -1;
		}
		prefix = (unsigned)v;
	}
	prefix += base;
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = prefix > i * 8 ? prefix - i * 8 : 0;
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff00u >> bits);
		lo[i] = addr[i] & mask;
		hi[i] = addr[i] | (uint8_t)~mask;
	}
	return 0;
bad:
	snprintf(err, errlen, "\"%.64s\" is not an IP address or CIDR (10.0.0.1, 10.0.0.0/8, 2001:db8::/32)", s);
	return -1;
}

/* A text value into a field of QUERY_TEXT_MAX bytes. */
static int query_text(char *dst, size_t dstlen, const char *name, const char *v, char *err, size_t errlen)
{
	size_t n = strlen(v);

	if (n == 0 || n >= dstlen) {
		snprintf(err, errlen, "--%s: %s", name, n ? "value too long" : "empty value");
		return -1;
	}
	memcpy(dst, v, n + 1);
	return 0;
}

static int query_severity(const char *v, uint8_t *out)
{
	static const char *const names[5][3] = {
		{ "critical", "緊急", "重大" }, { "high", "高", "" }, { "medium", "中", "" },
		{ "low", "低", "" }, { "info", "情報", "" },
	};

	if (v[0] >= '1' && v[0] <= '5' && v[1] == '\0') {
		*out = (uint8_t)(v[0] - '0');
		return 0;
	}
	for (int i = 0; i < 5; i++)
		if (!strcasecmp(v, names[i][0]) || !strcmp(v, names[i][1]) ||
		    (names[i][2][0] && !strcmp(v, names[i][2]))) {
			*out = (uint8_t)(i + 1);
			return 0;
		}
	return -1;
}

/* A decimal number in [min, max], digits only. */
static int query_u64(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t n = 0;

	if (!*v || strlen(v) > 20)
		return -1;
	for (const char *p = v; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		if (n > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

static int query_time_option(const char *name, const char *v, int64_t now_us, int tz, int64_t *out,
			     char *err, size_t errlen)
{
	char why[200];

	if (query_time_parse(v, now_us, tz, out, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "--%s: %s", name, why);
		return -1;
	}
	return 0;
}

int query_filter_option(struct query_filter *f, const char *name, const char *value,
			int64_t now_us, char *err, size_t errlen)
{
	const char *v = value ? value : "";
	uint64_t n;

	if (!name)
		name = "";
	if (!strcmp(name, "asc")) {
		f->ascending = true;
		return 0;
	}
	if (!strcmp(name, "utc")) {
		f->tz_offset_s = 0;
		return 0;
	}
	if (!strcmp(name, "since") && isdigit((unsigned char)v[0]) && !strpbrk(v, "-:")) {
		/* "--since 24h" means 24 hours back, as "-24h" does */
		char rel[QUERY_TEXT_MAX + 2];
		snprintf(rel, sizeof(rel), "-%s", v);
		return query_time_option(name, rel, now_us, f->tz_offset_s, &f->from_us, err, errlen);
	}
	if (!strcmp(name, "from") || !strcmp(name, "since"))
		return query_time_option(name, v, now_us, f->tz_offset_s, &f->from_us, err, errlen);
	if (!strcmp(name, "to"))
		return query_time_option(name, v, now_us, f->tz_offset_s, &f->to_us, err, errlen);
	if (!strcmp(name, "sensor"))
		return query_text(f->sensor, sizeof(f->sensor), name, v, err, errlen);
	if (!strcmp(name, "category"))
		return query_text(f->category, sizeof(f->category), name, v, err, errlen);
	if (!strcmp(name, "clause"))
		return query_text(f->clause, sizeof(f->clause), name, v, err, errlen);
	if (!strcmp(name, "zone"))
		return query_text(f->zone, sizeof(f->zone), name, v, err, errlen);
	if (!strcmp(name, "app"))
		return query_text(f->app_proto, sizeof(f->app_proto), name, v, err, errlen);
	if (!strcmp(name, "severity")) {
		if (query_severity(v, &f->severity_max) < 0) {
			snprintf(err, errlen, "--severity \"%.64s\": not critical, high, medium, low, info or 1-5", v);
			return -1;
		}
		return 0;
	}
	if (!strcmp(name, "sid")) {
		if (query_u64(v, 1, UINT32_MAX, &n) < 0) {
			snprintf(err, errlen, "--sid \"%.64s\": not a number 1-%u", v, UINT32_MAX);
			return -1;
		}
		f->sid = (uint32_t)n;
		return 0;
	}
	if (!strcmp(name, "limit")) {
		if (query_u64(v, 0, QUERY_LIMIT_MAX, &n) < 0) {
			snprintf(err, errlen, "--limit \"%.64s\": not a number 0-%u (0: no limit)", v, QUERY_LIMIT_MAX);
			return -1;
		}
		f->limit = n;
		return 0;
	}
	if (!strcmp(name, "ip")) {
		char why[200];
		if (query_net_parse(v, f->net_lo, f->net_hi, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "--ip: %s", why);
			return -1;
		}
		f->has_net = true;
		return 0;
	}
	if (!strcmp(name, "country")) {
		if (!isalpha((unsigned char)v[0]) || !isalpha((unsigned char)v[1]) || v[2]) {
			snprintf(err, errlen, "--country \"%.64s\": not a two-letter country code (JP, US)", v);
			return -1;
		}
		f->country[0] = (char)toupper((unsigned char)v[0]);
		f->country[1] = (char)toupper((unsigned char)v[1]);
		f->country[2] = '\0';
		return 0;
	}
	if (!strcmp(name, "kind")) {
		/* the store's kind is the line's event_type */
		if (!strcmp(v, "alert") || !strcmp(v, "rule"))
			snprintf(f->kind, sizeof(f->kind), "alert");
		else if (!strcmp(v, "health"))
			snprintf(f->kind, sizeof(f->kind), "health");
		else if (!strcmp(v, "behaviour") || !strcmp(v, "behavior"))
			snprintf(f->kind, sizeof(f->kind), "behaviour");
		else {
			snprintf(err, errlen, "--kind \"%.64s\": not alert, health or behaviour", v);
			return -1;
		}
		return 0;
	}
	if (!strcmp(name, "iface")) {
		/* a name no alert can have is a mistake, not an empty answer */
		if (!alert_parse_iface_is_valid(v, strlen(v))) {
			snprintf(err, errlen, "--iface \"%.64s\": not an interface name (1-%u bytes, no \"/\","
				 " white space or control character)", v, ALERT_PARSE_MAX_IFACE);
			return -1;
		}
		memcpy(f->iface, v, strlen(v) + 1);
		return 0;
	}
	if (!strcmp(name, "sort")) {
		if (!strcmp(v, "time"))
			f->sort = QUERY_SORT_TIME;
		else if (!strcmp(v, "severity"))
			f->sort = QUERY_SORT_SEVERITY;
		else if (!strcmp(v, "id"))
			f->sort = QUERY_SORT_ID;
		else {
			snprintf(err, errlen, "--sort \"%.64s\": not time, severity or id", v);
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "unknown filter option --%.64s", name);
	return -1;
}

static const char *const query_key_names[QUERY_KEY_COUNT_] = {
	[QUERY_KEY_SID] = "rule",
	[QUERY_KEY_SRC] = "src",
	[QUERY_KEY_DEST] = "dest",
	[QUERY_KEY_SENSOR] = "sensor",
	[QUERY_KEY_SRC_COUNTRY] = "src-country",
	[QUERY_KEY_DEST_COUNTRY] = "dest-country",
	[QUERY_KEY_CLAUSE] = "clause",
	[QUERY_KEY_SRC_ZONE] = "src-zone",
	[QUERY_KEY_DEST_ZONE] = "dest-zone",
	[QUERY_KEY_DAY] = "day",
	[QUERY_KEY_SEVERITY] = "severity",
	[QUERY_KEY_CATEGORY] = "category",
	[QUERY_KEY_APP] = "app",
	[QUERY_KEY_DETECTOR] = "detector",
	[QUERY_KEY_IFACE] = "iface",
};

int query_key_parse(const char *name, enum query_key *out)
{
	for (int i = 0; name && i < QUERY_KEY_COUNT_; i++)
		if (!strcmp(name, query_key_names[i])) {
			*out = (enum query_key)i;
			return 0;
		}
	return -1;
}

const char *query_key_name(enum query_key k)
{
	return (unsigned)k < QUERY_KEY_COUNT_ ? query_key_names[k] : "?";
}

bool query_cp_is_unsafe(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x061c || (cp >= 0x200b && cp <= 0x200f) ||
	       cp == 0x2028 || cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff;
}

int query_utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c = s[0], min;
	int len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return -1;
	}
	if ((size_t)len > n)
		return -1;
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*cp = c;
	return len;
}
