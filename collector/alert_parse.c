/*
 * alert_parse — an alert line from the stream into a struct alert_rec.
 *
 * The bytes come from Redis, so from anyone who can write to the stream:
 * nothing in them is trusted.  jansson does the JSON (UTF-8 checked, \u0000
 * refused since JSON_ALLOW_NUL is not given, nesting capped at its
 * JSON_PARSER_MAX_DEPTH of 2048, integers that overflow refused); this file
 * checks what the collector stores against doc/alert.schema.json:
 *
 *  - the fields each kind requires, as the schema lists them, except those
 *    the collector does not store (ndpi, flow, evidence, trigger, rule_file,
 *    rule_line): the line is kept whole, and refusing an alert for a field
 *    nobody reads would lose it for nothing;
 *  - the type and range of every stored field, and the enumerations that
 *    queries filter by (policy.threat, health.condition, health.state,
 *    behaviour.detector);
 *  - a behaviour alert's "behaviour" object whole (every member's type and
 *    range: direction, since, window, value, threshold, unit, count, detail,
 *    sample, ...), although only detector and kind are stored: it is all
 *    there is to read in such an alert (what was seen, against which
 *    threshold), and a detector that writes it wrong is better caught at
 *    the first alert than found out by an analyst;
 *  - a behaviour alert has no flow: flow_id, app_proto and src_port, which
 *    the store has columns for, are refused there rather than stored as if
 *    absent; its addresses, zones, proto and dest_port are each optional,
 *    but a zone goes with its address (src_zone iff src_ip);
 *  - signature_id ranges by kind: health 9001-9099, behaviour 9100-9199,
 *    and a rule alert's sid outside the ranges reserved in its version
 *    (9000-9099 up to version 2, 9000-9199 from version 3);
 *  - in_iface, the capture interface (version 4): on rule and behaviour
 *    alerts only, a Linux interface name (alert_parse_iface_is_valid); on
 *    a line of an older version, or on a health alert, it is refused rather
 *    than tolerated as an unknown member: the store has a column for it,
 *    and a line that says it is of a version without the field, or of a
 *    kind that has no packet, should not fill that column.  (Version 3's
 *    schema reserved it on rule alerts, as a bare string; no version-3
 *    sensor wrote it.);
 *  - caps: the line (ALERT_PARSE_MAX_LINE), each stored string
 *    (ALERT_PARSE_MAX_STRING), the sensor id (ALERT_PARSE_MAX_SENSOR);
 *  - duplicate keys are refused (JSON_REJECT_DUPLICATES): the sensor never
 *    writes them, and a line whose readers could disagree on a field's value
 *    should not be stored as if it had one.
 *
 * schema_version: 4 is this schema.  Versions 1 to 3 are accepted too
 * (doc/alerts.md "Schema versions": version 2 added health alerts, version
 * 3 behaviour alerts, each a new value of event_type; version 4 the
 * optional in_iface of rule and behaviour alerts).  Otherwise rule and
 * health alerts have the same fields in every version that has them.  A
 * health alert of version 1, a behaviour alert of version 1 or 2, and
 * in_iface before version 4 cannot exist and are refused, as is every
 * other version.
 *
 * Unknown members are tolerated everywhere (a sensor newer than its schema
 * file, or a field the store does not keep): doc/alert.schema.json, which
 * admits none, is the strict check (tests/replay/validate_alerts.py).
 *
 * Reasons are one line of printable ASCII: a value quoted from the line is
 * cut short and its other bytes written as \xNN, so that a reason can go to
 * a log as it is.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "alert_parse.h"

#if JANSSON_VERSION_HEX < 0x020b00
#error "jansson 2.11 or newer is needed (JSON_PARSER_MAX_DEPTH, json_loadb lengths)"
#endif

#define PARSE_QUOTE_MAX 40     /* bytes of an untrusted value quoted in a reason */
#define PARSE_SAMPLE_MAX 8u    /* behaviour.sample: at most 8 strings ... */
#define PARSE_SAMPLE_LEN 255u  /* ... of at most 255 bytes each */
#define PARSE_WORD_MAX 32u     /* behaviour.kind, behaviour.unit */
#define PARSE_VERSION_MAX 4    /* the newest schema_version read */
#define PARSE_IFACE_VERSION 4  /* the first with in_iface */

struct parse_ctx {
	char *why;
	size_t whylen;
};

static const char *const parse_threats[] = {
	"unauthorized-access", "malware", "dos", "insider", "unauthorized-software",
	"policy-violation", "misconfiguration", "fault", "outage", NULL
};
static const char *const parse_conditions[] = {
	"capture_drops", "capture_stopped", "spool_high", "redis_unreachable",
	"alerts_lost", NULL
};
static const char *const parse_states[] = { "raised", "cleared", NULL };
static const char *const parse_detectors[] = {
	"port_scan", "host_sweep", "syn_flood", "udp_flood", "icmp_flood", "amplification",
	"beacon", "dns_tunnel", "large_transfer", "brute_force", "first_seen", NULL
};
static const char *const parse_directions[] = { "inbound", "outbound", "internal", "external", NULL };
static const char *const parse_protos[] = {
	"ICMP", "IGMP", "TCP", "UDP", "GRE", "ESP", "AH", "IPv6-ICMP", "OSPF",
	"PIM", "VRRP", "SCTP", NULL
};

static int fail(struct parse_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct parse_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->why != NULL && c->whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(c->why, c->whylen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* At most max bytes of s (n long) as printable ASCII into buf. */
static void quote_bytes(char *buf, size_t size, const char *s, size_t n, size_t max)
{
	size_t o = 0, i;

	for (i = 0; i < n && i < max && o + 5 < size; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)ch;
		} else if (ch >= 0x20 && ch < 0x7f) {
			buf[o++] = (char)ch;
		} else {
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", ch);
		}
	}
	if (i < n && o + 4 <= size) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
}

/* What a value is, for "found ..." in a reason. */
static const char *describe(const json_t *v, char *buf, size_t size)
{
	char q[PARSE_QUOTE_MAX * 4 + 8];

	switch (json_typeof(v)) {
	case JSON_STRING:
		quote_bytes(q, sizeof(q), json_string_value(v), json_string_length(v), PARSE_QUOTE_MAX);
		snprintf(buf, size, "\"%s\"", q);
		break;
	case JSON_INTEGER:
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(buf, size, "%.17g", json_real_value(v));
		break;
	case JSON_OBJECT:
		snprintf(buf, size, "an object");
		break;
	case JSON_ARRAY:
		snprintf(buf, size, "an array");
		break;
	case JSON_TRUE:
		snprintf(buf, size, "true");
		break;
	case JSON_FALSE:
		snprintf(buf, size, "false");
		break;
	default:
		snprintf(buf, size, "null");
		break;
	}
	return buf;
}

/* The member named by the last component of path ("alert.severity" ->
 * "severity").  *v = NULL when absent and not required. */
static int get_member(struct parse_ctx *c, const json_t *obj, const char *path,
		      bool required, json_t **v)
{
	const char *dot = strrchr(path, '.');

	*v = json_object_get(obj, dot != NULL ? dot + 1 : path);
	if (*v == NULL && required)
		return fail(c, "%s: missing", path);
	return 0;
}

static int get_object(struct parse_ctx *c, const json_t *obj, const char *path,
		      bool required, json_t **o)
{
	char found[256];

	if (get_member(c, obj, path, required, o) < 0)
		return -1;
	if (*o != NULL && !json_is_object(*o))
		return fail(c, "%s: expected an object, found %s", path, describe(*o, found, sizeof(found)));
	return 0;
}

/* A string of minlen..maxlen bytes without NUL; *s = NULL when absent. */
static int get_string(struct parse_ctx *c, const json_t *obj, const char *path, bool required,
		      size_t minlen, size_t maxlen, const char **s, size_t *n)
{
	char found[256];
	json_t *v;

	*s = NULL;
	*n = 0;
	if (get_member(c, obj, path, required, &v) < 0)
		return -1;
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return fail(c, "%s: expected a string, found %s", path, describe(v, found, sizeof(found)));
	*s = json_string_value(v);
	*n = json_string_length(v);
	if (strlen(*s) != *n)
		return fail(c, "%s: contains a NUL character", path);
	if (*n < minlen)
		return fail(c, *n == 0 ? "%s: empty" : "%s: too short", path);
	if (*n > maxlen)
		return fail(c, "%s: string of %zu bytes is over the %zu-byte cap", path, *n, maxlen);
	return 0;
}

static int copy_string(struct parse_ctx *c, const char *path, const char *s, size_t n, char **dst)
{
	if (s == NULL)
		return 0;
	*dst = strndup(s, n);
	if (*dst == NULL)
		return fail(c, "%s: out of memory", path);
	return 0;
}

/* get_string then a copy owned by the record (NULL when absent). */
static int dup_string(struct parse_ctx *c, const json_t *obj, const char *path, bool required,
		      size_t minlen, size_t maxlen, char **dst)
{
	const char *s;
	size_t n;

	if (get_string(c, obj, path, required, minlen, maxlen, &s, &n) < 0)
		return -1;
	return copy_string(c, path, s, n, dst);
}

/* A string from a fixed set, copied into *dst (dst NULL: only checked). */
static int dup_enum(struct parse_ctx *c, const json_t *obj, const char *path, bool required,
		    const char *const *set, char **dst)
{
	const char *s;
	char q[PARSE_QUOTE_MAX * 4 + 8];
	size_t n, i;

	if (get_string(c, obj, path, required, 1, ALERT_PARSE_MAX_STRING, &s, &n) < 0)
		return -1;
	if (s == NULL)
		return 0;
	for (i = 0; set[i] != NULL; i++)
		if (strcmp(s, set[i]) == 0)
			return dst != NULL ? copy_string(c, path, s, n, dst) : 0;
	quote_bytes(q, sizeof(q), s, n, PARSE_QUOTE_MAX);
	return fail(c, "%s: \"%s\" is not one of the known values (%s, ...)", path, q, set[0]);
}

/* An integer in min..max; *present false when absent and not required. */
static int get_int(struct parse_ctx *c, const json_t *obj, const char *path, bool required,
		   json_int_t min, json_int_t max, json_int_t *val, bool *present)
{
	char found[256];
	json_t *v;

	*present = false;
	if (get_member(c, obj, path, required, &v) < 0)
		return -1;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return fail(c, "%s: expected an integer %" JSON_INTEGER_FORMAT "-%" JSON_INTEGER_FORMAT
			    ", found %s", path, min, max, describe(v, found, sizeof(found)));
	*val = json_integer_value(v);
	*present = true;
	return 0;
}

/* A JSON number (integer or real), at least 0 if nonneg; absent is fine
 * unless required.  Only checked: the store keeps no such value. */
static int check_number(struct parse_ctx *c, const json_t *obj, const char *path, bool required,
			bool nonneg)
{
	char found[256];
	json_t *v;

	if (get_member(c, obj, path, required, &v) < 0)
		return -1;
	if (v != NULL && (!json_is_number(v) || (nonneg && json_number_value(v) < 0)))
		return fail(c, "%s: expected a number%s, found %s", path, nonneg ? " of at least 0" : "",
			    describe(v, found, sizeof(found)));
	return 0;
}

static bool all_in(const char *s, size_t n, const char *chars)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strchr(chars, s[i]) == NULL)
			return false;
	return true;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	/* days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
	 * algorithm): no timegm, no TZ, no locale */
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static unsigned digits(const char *s, size_t n)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	return v;
}

/* "YYYY-MM-DDTHH:MM:SS.uuuuuu+0000", exactly, into unix microseconds. */
static int parse_time(struct parse_ctx *c, const char *path, const char *s, size_t n, int64_t *us)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddddd+0000";
	static const unsigned mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	char q[PARSE_QUOTE_MAX * 4 + 8];
	unsigned y, mo, d, h, mi, sec, usec;
	size_t i;

	quote_bytes(q, sizeof(q), s, n, PARSE_QUOTE_MAX);
	if (n != sizeof(shape) - 1)
		goto shape;
	for (i = 0; i < n; i++) {
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			goto shape;
	}
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	h = digits(s + 11, 2);
	mi = digits(s + 14, 2);
	sec = digits(s + 17, 2);
	usec = digits(s + 20, 6);
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))))
		return fail(c, "%s: no such date in \"%s\"", path, q);
	if (h > 23 || mi > 59 || sec > 59)
		return fail(c, "%s: no such time of day in \"%s\"", path, q);
	*us = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) * 1000000) + usec;
	return 0;
shape:
	return fail(c, "%s: expected YYYY-MM-DDTHH:MM:SS.uuuuuu+0000 (UTC), found \"%s\"", path, q);
}

static int parse_addr(struct parse_ctx *c, const json_t *obj, const char *path, bool required,
		      struct alert_rec_addr *a)
{
	char q[PARSE_QUOTE_MAX * 4 + 8];
	const char *s;
	size_t n;

	if (get_string(c, obj, path, required, 1, ALERT_PARSE_MAX_STRING, &s, &n) < 0)
		return -1;
	if (s == NULL)
		return 0;
	if (n < 46 && inet_pton(AF_INET, s, a->bytes + 12) == 1) {
		memset(a->bytes, 0, 10);
		a->bytes[10] = 0xff;
		a->bytes[11] = 0xff;
		a->family = 4;
	} else if (n < 46 && inet_pton(AF_INET6, s, a->bytes) == 1) {
		a->family = 6;
	} else {
		quote_bytes(q, sizeof(q), s, n, PARSE_QUOTE_MAX);
		return fail(c, "%s: expected an IPv4 or IPv6 address, found \"%s\"", path, q);
	}
	return copy_string(c, path, s, n, &a->text);
}

static int parse_proto(struct parse_ctx *c, const json_t *obj, bool required, struct alert_rec *out)
{
	char q[PARSE_QUOTE_MAX * 4 + 8];
	const char *s;
	size_t n, i;

	if (get_string(c, obj, "proto", required, 1, ALERT_PARSE_MAX_STRING, &s, &n) < 0)
		return -1;
	if (s == NULL)
		return 0;
	for (i = 0; parse_protos[i] != NULL; i++)
		if (strcmp(s, parse_protos[i]) == 0)
			return copy_string(c, "proto", s, n, &out->proto);
	if (n <= 3 && all_in(s, n, "0123456789") && digits(s, n) <= 255)
		return copy_string(c, "proto", s, n, &out->proto);
	quote_bytes(q, sizeof(q), s, n, PARSE_QUOTE_MAX);
	return fail(c, "proto: expected a protocol name (TCP, UDP, ...) or number 0-255, found \"%s\"", q);
}

static bool proto_has_ports(const char *proto)
{
	return strcmp(proto, "TCP") == 0 || strcmp(proto, "UDP") == 0 || strcmp(proto, "SCTP") == 0;
}

/* src_port, dest_port: required for TCP, UDP, SCTP; absent otherwise. */
static int parse_ports(struct parse_ctx *c, const json_t *root, struct alert_rec *out)
{
	static const char *const paths[2] = { "src_port", "dest_port" };
	bool with_ports = proto_has_ports(out->proto);
	int *ports[2] = { &out->src_port, &out->dest_port };
	json_int_t v = 0;
	bool present;
	int i;

	for (i = 0; i < 2; i++) {
		if (with_ports) {
			if (get_int(c, root, paths[i], true, 0, 65535, &v, &present) < 0)
				return -1;
			*ports[i] = (int)v;
		} else if (json_object_get(root, paths[i]) != NULL) {
			return fail(c, "%s: present with proto %s (only TCP, UDP and SCTP have ports)",
				    paths[i], out->proto);
		}
	}
	return 0;
}

static int parse_zone(struct parse_ctx *c, const json_t *root, const char *path,
		      const char *key_path, const char *name_path, char **key, char **name)
{
	char q[PARSE_QUOTE_MAX * 4 + 8];
	const char *s;
	json_t *z;
	size_t n;

	if (get_object(c, root, path, true, &z) < 0)
		return -1;
	if (get_string(c, z, key_path, true, 1, 32, &s, &n) < 0)
		return -1;
	if (!all_in(s, n, "abcdefghijklmnopqrstuvwxyz0123456789_-")) {
		quote_bytes(q, sizeof(q), s, n, PARSE_QUOTE_MAX);
		return fail(c, "%s: expected [a-z0-9_-]{1,32}, found \"%s\"", key_path, q);
	}
	if (copy_string(c, key_path, s, n, key) < 0)
		return -1;
	return dup_string(c, z, name_path, true, 1, ALERT_PARSE_MAX_STRING, name);
}

static int parse_geo_end(struct parse_ctx *c, const json_t *geo, const char *path,
			 const char *country_path, const char *asn_path,
			 char **country, int64_t *asn)
{
	char q[PARSE_QUOTE_MAX * 4 + 8];
	json_int_t v = 0;
	bool present;
	const char *s;
	json_t *o;
	size_t n;

	if (get_object(c, geo, path, true, &o) < 0)
		return -1;
	if (get_string(c, o, country_path, false, 0, ALERT_PARSE_MAX_STRING, &s, &n) < 0)
		return -1;
	if (s != NULL) {
		if (n != 2 || !all_in(s, n, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")) {
			quote_bytes(q, sizeof(q), s, n, PARSE_QUOTE_MAX);
			return fail(c, "%s: expected two upper-case letters (ISO 3166-1), found \"%s\"",
				    country_path, q);
		}
		if (copy_string(c, country_path, s, n, country) < 0)
			return -1;
	}
	if (get_int(c, o, asn_path, false, 1, 4294967295LL, &v, &present) < 0)
		return -1;
	if (present)
		*asn = v;
	return 0;
}

static int parse_rule_fields(struct parse_ctx *c, const json_t *root, struct alert_rec *out)
{
	json_int_t v = 0;
	bool present;
	json_t *geo;

	if (get_int(c, root, "flow_id", true, 0, INT64_MAX, &v, &present) < 0)
		return -1;
	out->flow_id = (uint64_t)v;
	if (parse_proto(c, root, true, out) < 0 ||
	    parse_addr(c, root, "src_ip", true, &out->src) < 0 ||
	    parse_addr(c, root, "dest_ip", true, &out->dest) < 0 ||
	    parse_ports(c, root, out) < 0 ||
	    dup_string(c, root, "app_proto", true, 1, ALERT_PARSE_MAX_STRING, &out->app_proto) < 0 ||
	    parse_zone(c, root, "src_zone", "src_zone.key", "src_zone.name",
		       &out->src_zone, &out->src_zone_name) < 0 ||
	    parse_zone(c, root, "dest_zone", "dest_zone.key", "dest_zone.name",
		       &out->dest_zone, &out->dest_zone_name) < 0 ||
	    get_object(c, root, "geo", true, &geo) < 0 ||
	    parse_geo_end(c, geo, "geo.src", "geo.src.country", "geo.src.asn",
			  &out->src_country, &out->src_asn) < 0 ||
	    parse_geo_end(c, geo, "geo.dest", "geo.dest.country", "geo.dest.asn",
			  &out->dest_country, &out->dest_asn) < 0)
		return -1;
	return 0;
}

static int parse_health_fields(struct parse_ctx *c, const json_t *root, struct alert_rec *out)
{
	json_t *h;

	if (get_object(c, root, "health", true, &h) < 0 ||
	    dup_enum(c, h, "health.condition", true, parse_conditions, &out->health_condition) < 0 ||
	    dup_enum(c, h, "health.state", true, parse_states, &out->health_state) < 0)
		return -1;
	return 0;
}

/* One end of a behaviour alert: its address (optional) and its zone,
 * present exactly when the address is. */
static int parse_behaviour_end(struct parse_ctx *c, const json_t *root, const char *ip_path,
			       const char *zone_path, const char *key_path, const char *name_path,
			       struct alert_rec_addr *a, char **key, char **name)
{
	if (parse_addr(c, root, ip_path, false, a) < 0)
		return -1;
	if (a->text != NULL)
		return parse_zone(c, root, zone_path, key_path, name_path, key, name);
	if (json_object_get(root, zone_path) != NULL)
		return fail(c, "%s: present without %s", zone_path, ip_path);
	return 0;
}

/* A string of 1..PARSE_WORD_MAX bytes, each one of chars, copied if dst. */
static int parse_word(struct parse_ctx *c, const json_t *obj, const char *path, const char *chars,
		      const char *shape, char **dst)
{
	char q[PARSE_QUOTE_MAX * 4 + 8];
	const char *s;
	size_t n;

	if (get_string(c, obj, path, true, 1, ALERT_PARSE_MAX_STRING, &s, &n) < 0)
		return -1;
	if (n > PARSE_WORD_MAX || !all_in(s, n, chars)) {
		quote_bytes(q, sizeof(q), s, n, PARSE_QUOTE_MAX);
		return fail(c, "%s: expected %s, found \"%s\"", path, shape, q);
	}
	return dst != NULL ? copy_string(c, path, s, n, dst) : 0;
}

/* behaviour.sample: 1..PARSE_SAMPLE_MAX strings of at most PARSE_SAMPLE_LEN bytes. */
static int parse_sample(struct parse_ctx *c, const json_t *b)
{
	char found[256], path[40];
	const char *s;
	json_t *v, *e;
	size_t i, n;

	v = json_object_get(b, "sample");
	if (v == NULL)
		return 0;
	if (!json_is_array(v))
		return fail(c, "behaviour.sample: expected an array of 1-%u strings, found %s",
			    PARSE_SAMPLE_MAX, describe(v, found, sizeof(found)));
	if (json_array_size(v) < 1 || json_array_size(v) > PARSE_SAMPLE_MAX)
		return fail(c, "behaviour.sample: expected 1-%u strings, found %zu", PARSE_SAMPLE_MAX,
			    json_array_size(v));
	json_array_foreach(v, i, e) {
		snprintf(path, sizeof(path), "behaviour.sample[%zu]", i);
		if (!json_is_string(e))
			return fail(c, "%s: expected a string, found %s", path, describe(e, found, sizeof(found)));
		s = json_string_value(e);
		n = json_string_length(e);
		if (strlen(s) != n)
			return fail(c, "%s: contains a NUL character", path);
		if (n > PARSE_SAMPLE_LEN)
			return fail(c, "%s: string of %zu bytes is over the %u-byte cap", path, n,
				    PARSE_SAMPLE_LEN);
	}
	return 0;
}

/* behaviour{...}: every member checked, detector and kind stored. */
static int parse_behaviour_obj(struct parse_ctx *c, const json_t *root, struct alert_rec *out)
{
	char q[PARSE_QUOTE_MAX * 4 + 8];
	json_int_t v = 0;
	bool present;
	const char *s;
	int64_t us;
	json_t *b;
	size_t n;

	if (get_object(c, root, "behaviour", true, &b) < 0 ||
	    dup_enum(c, b, "behaviour.detector", true, parse_detectors, &out->behaviour_detector) < 0 ||
	    parse_word(c, b, "behaviour.kind", "abcdefghijklmnopqrstuvwxyz0123456789_", "[a-z0-9_]{1,32}",
		       &out->behaviour_kind) < 0 ||
	    dup_enum(c, b, "behaviour.direction", true, parse_directions, NULL) < 0)
		return -1;
	if (get_string(c, b, "behaviour.since", true, 1, ALERT_PARSE_MAX_STRING, &s, &n) < 0 ||
	    parse_time(c, "behaviour.since", s, n, &us) < 0 ||
	    get_int(c, b, "behaviour.window", true, 0, INT64_MAX, &v, &present) < 0 ||
	    check_number(c, b, "behaviour.value", true, false) < 0 ||
	    check_number(c, b, "behaviour.threshold", true, false) < 0 ||
	    parse_word(c, b, "behaviour.unit", "abcdefghijklmnopqrstuvwxyz_", "[a-z_]{1,32}", NULL) < 0 ||
	    get_int(c, b, "behaviour.count", true, 0, INT64_MAX, &v, &present) < 0 ||
	    get_string(c, b, "behaviour.domain", false, 1, ALERT_PARSE_MAX_STRING, &s, &n) < 0 ||
	    check_number(c, b, "behaviour.period", false, true) < 0 ||
	    check_number(c, b, "behaviour.jitter", false, true) < 0 ||
	    get_string(c, b, "behaviour.country", false, 0, ALERT_PARSE_MAX_STRING, &s, &n) < 0)
		return -1;
	if (s != NULL && (n != 2 || !all_in(s, n, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))) {
		quote_bytes(q, sizeof(q), s, n, PARSE_QUOTE_MAX);
		return fail(c, "behaviour.country: expected two upper-case letters (ISO 3166-1), found \"%s\"", q);
	}
	if (get_int(c, b, "behaviour.asn", false, 1, 4294967295LL, &v, &present) < 0 ||
	    parse_sample(c, b) < 0 ||
	    get_string(c, b, "behaviour.detail", true, 1, ALERT_PARSE_MAX_STRING, &s, &n) < 0)
		return -1;
	return 0;
}

/* A behaviour alert: no flow; each end, proto and dest_port optional. */
static int parse_behaviour_fields(struct parse_ctx *c, const json_t *root, struct alert_rec *out)
{
	static const char *const no_flow[] = { "flow_id", "app_proto", "src_port" };
	json_int_t v = 0;
	bool present;
	json_t *geo;
	size_t i;

	for (i = 0; i < sizeof(no_flow) / sizeof(no_flow[0]); i++)
		if (json_object_get(root, no_flow[i]) != NULL)
			return fail(c, "%s: not in a behaviour alert (it has no flow)", no_flow[i]);
	if (parse_proto(c, root, false, out) < 0 ||
	    parse_behaviour_end(c, root, "src_ip", "src_zone", "src_zone.key", "src_zone.name",
				&out->src, &out->src_zone, &out->src_zone_name) < 0 ||
	    parse_behaviour_end(c, root, "dest_ip", "dest_zone", "dest_zone.key", "dest_zone.name",
				&out->dest, &out->dest_zone, &out->dest_zone_name) < 0 ||
	    get_int(c, root, "dest_port", false, 0, 65535, &v, &present) < 0)
		return -1;
	if (present) {
		if (out->proto != NULL && !proto_has_ports(out->proto))
			return fail(c, "dest_port: present with proto %s (only TCP, UDP and SCTP have ports)",
				    out->proto);
		out->dest_port = (int)v;
	}
	if (get_object(c, root, "geo", true, &geo) < 0 ||
	    parse_geo_end(c, geo, "geo.src", "geo.src.country", "geo.src.asn",
			  &out->src_country, &out->src_asn) < 0 ||
	    parse_geo_end(c, geo, "geo.dest", "geo.dest.country", "geo.dest.asn",
			  &out->dest_country, &out->dest_asn) < 0)
		return -1;
	return parse_behaviour_obj(c, root, out);
}

/* alert{...} and policy{...}: every kind. */
static int parse_alert_policy(struct parse_ctx *c, const json_t *root, struct alert_rec *out)
{
	bool sensor_own = out->kind != ALERT_REC_RULE;   /* health, behaviour */
	json_int_t v = 0;
	json_t *a, *p;
	bool present;

	if (get_object(c, root, "alert", true, &a) < 0)
		return -1;
	if (out->kind == ALERT_REC_HEALTH) {
		if (get_int(c, a, "alert.signature_id", true, 9001, 9099, &v, &present) < 0)
			return -1;
	} else if (out->kind == ALERT_REC_BEHAVIOUR) {
		if (get_int(c, a, "alert.signature_id", true, 9100, 9199, &v, &present) < 0)
			return -1;
	} else {
		if (get_int(c, a, "alert.signature_id", true, 1, INT32_MAX, &v, &present) < 0)
			return -1;
		if (v >= 9000 && v <= 9099)
			return fail(c, "alert.signature_id: %" JSON_INTEGER_FORMAT
				    " is reserved for health alerts (9000-9099)", v);
		/* before version 3 a rule could use them */
		if (v >= 9100 && v <= 9199 && out->schema_version >= 3)
			return fail(c, "alert.signature_id: %" JSON_INTEGER_FORMAT
				    " is reserved for behaviour alerts (9100-9199)", v);
	}
	out->sid = (uint32_t)v;
	if (get_int(c, a, "alert.rev", true, 1, 1000000, &v, &present) < 0)
		return -1;
	out->rev = (uint32_t)v;
	if (get_int(c, a, "alert.severity", true, 1, 5, &v, &present) < 0)
		return -1;
	out->severity = (uint8_t)v;
	if (dup_string(c, a, "alert.signature", true, 1, ALERT_PARSE_MAX_STRING, &out->signature) < 0 ||
	    dup_string(c, a, "alert.signature_en", sensor_own, 1, ALERT_PARSE_MAX_STRING,
		       &out->signature_en) < 0 ||
	    dup_string(c, a, "alert.category", true, 1, ALERT_PARSE_MAX_STRING, &out->category) < 0)
		return -1;

	if (get_object(c, root, "policy", true, &p) < 0 ||
	    dup_string(c, p, "policy.clause", out->kind == ALERT_REC_BEHAVIOUR, 1, ALERT_PARSE_MAX_STRING,
		       &out->clause) < 0 ||
	    dup_enum(c, p, "policy.threat", true, parse_threats, &out->threat) < 0)
		return -1;
	return 0;
}

/* schema_version, then event_type: a line of an unknown version is refused
 * for its version, whatever else it holds. */
static int parse_kind(struct parse_ctx *c, const json_t *root, struct alert_rec *out)
{
	char found[256];
	json_t *v;

	if (get_member(c, root, "schema_version", true, &v) < 0)
		return -1;
	if (!json_is_integer(v))
		return fail(c, "schema_version: expected an integer, found %s",
			    describe(v, found, sizeof(found)));
	if (json_integer_value(v) < 1 || json_integer_value(v) > PARSE_VERSION_MAX)
		return fail(c, "schema_version %" JSON_INTEGER_FORMAT
			    " is not supported (this collector reads 1 to %d)", json_integer_value(v),
			    PARSE_VERSION_MAX);
	out->schema_version = (uint32_t)json_integer_value(v);

	if (get_member(c, root, "event_type", true, &v) < 0)
		return -1;
	if (json_is_string(v) && strcmp(json_string_value(v), "alert") == 0 &&
	    json_string_length(v) == 5) {
		out->kind = ALERT_REC_RULE;
	} else if (json_is_string(v) && strcmp(json_string_value(v), "health") == 0 &&
		   json_string_length(v) == 6) {
		out->kind = ALERT_REC_HEALTH;
		if (out->schema_version == 1)
			return fail(c, "schema_version 1 has no health alerts (they are version 2)");
	} else if (json_is_string(v) && strcmp(json_string_value(v), "behaviour") == 0 &&
		   json_string_length(v) == 9) {
		out->kind = ALERT_REC_BEHAVIOUR;
		if (out->schema_version < 3)
			return fail(c, "schema_version %u has no behaviour alerts (they are version 3)",
				    out->schema_version);
	} else {
		return fail(c, "event_type: expected \"alert\", \"health\" or \"behaviour\", found %s",
			    describe(v, found, sizeof(found)));
	}
	return 0;
}

/* The code point of the UTF-8 sequence at s (n > 0 bytes left) and its
 * length in *len; -1 when the bytes are not UTF-8 (a line's strings are,
 * jansson checks them; a command-line value may not be). */
static int32_t utf8_cp(const unsigned char *s, size_t n, size_t *len)
{
	size_t want, i;
	uint32_t cp;

	if (s[0] < 0x80) {
		*len = 1;
		return s[0];
	}
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return -1;
	want = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (want > n)
		return -1;
	cp = s[0] & (0x7fu >> want);
	for (i = 1; i < want; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3fu);
	}
	*len = want;
	return (int32_t)cp;
}

/* Not in an interface name: "/", control characters (C0, DEL, C1) and
 * white space, as the schema's character class has them: \s of ECMA-262
 * and of Python's re together, so that the collector refuses all that
 * either validator would. */
static bool iface_cp_is_bad(int32_t cp)
{
	return cp <= 0x20 /* and -1, not UTF-8 */ || cp == '/' || (cp >= 0x7f && cp <= 0xa0) ||
	       cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
	       cp == 0x202f || cp == 0x205f || cp == 0x3000 || cp == 0xfeff;
}

bool alert_parse_iface_is_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, len = 0;

	if (s == NULL || n < 1 || n > ALERT_PARSE_MAX_IFACE)
		return false;
	for (i = 0; i < n; i += len)
		if (iface_cp_is_bad(utf8_cp(p + i, n - i, &len)))
			return false;
	return true;
}

/* in_iface: optional on rule and behaviour alerts of version 4 and later. */
static int parse_iface(struct parse_ctx *c, const json_t *root, struct alert_rec *out)
{
	char q[PARSE_QUOTE_MAX * 4 + 8];
	const char *s;
	size_t n;

	if (json_object_get(root, "in_iface") == NULL)
		return 0;
	if (out->kind == ALERT_REC_HEALTH)
		return fail(c, "in_iface: not in a health alert (it is not about a packet)");
	if (out->schema_version < PARSE_IFACE_VERSION)
		return fail(c, "in_iface: schema_version %u has no in_iface (it is version %d)",
			    out->schema_version, PARSE_IFACE_VERSION);
	if (get_string(c, root, "in_iface", false, 1, ALERT_PARSE_MAX_IFACE, &s, &n) < 0)
		return -1;
	if (!alert_parse_iface_is_valid(s, n)) {
		quote_bytes(q, sizeof(q), s, n, PARSE_QUOTE_MAX);
		return fail(c, "in_iface: expected an interface name (no \"/\", white space or"
			    " control character), found \"%s\"", q);
	}
	return copy_string(c, "in_iface", s, n, &out->in_iface);
}

static int parse_root(struct parse_ctx *c, const json_t *root, struct alert_rec *out)
{
	char q[PARSE_QUOTE_MAX * 4 + 8];
	const char *s;
	size_t n;

	if (parse_kind(c, root, out) < 0)
		return -1;
	if (get_string(c, root, "timestamp", true, 1, ALERT_PARSE_MAX_STRING, &s, &n) < 0 ||
	    parse_time(c, "timestamp", s, n, &out->ts_us) < 0)
		return -1;
	if (dup_string(c, root, "sensor", true, 1, ALERT_PARSE_MAX_SENSOR, &out->sensor) < 0)
		return -1;
	if (get_string(c, root, "alert_id", true, 1, ALERT_PARSE_MAX_STRING, &s, &n) < 0)
		return -1;
	if (n != 32 || !all_in(s, n, "0123456789abcdef")) {
		quote_bytes(q, sizeof(q), s, n, PARSE_QUOTE_MAX);
		return fail(c, "alert_id: expected 32 lower-case hex digits, found \"%s\"", q);
	}
	memcpy(out->alert_id, s, 32);
	out->alert_id[32] = '\0';
	if (parse_alert_policy(c, root, out) < 0 || parse_iface(c, root, out) < 0)
		return -1;
	if (out->kind == ALERT_REC_RULE)
		return parse_rule_fields(c, root, out);
	if (out->kind == ALERT_REC_BEHAVIOUR)
		return parse_behaviour_fields(c, root, out);
	return parse_health_fields(c, root, out);
}

int alert_parse(const char *json, size_t len, struct alert_rec *out, char *why, size_t whylen)
{
	struct parse_ctx c = { why, whylen };
	char q[sizeof(((json_error_t *)0)->text) * 4];
	const char *nul;
	json_error_t err;
	json_t *root;

	memset(out, 0, sizeof(*out));
	if (why != NULL && whylen > 0)
		why[0] = '\0';

	if (json == NULL)
		return fail(&c, "no line");
	if (len > ALERT_PARSE_MAX_LINE)
		return fail(&c, "line of %zu bytes is over the %u-byte cap", len, ALERT_PARSE_MAX_LINE);
	nul = memchr(json, '\0', len);
	if (nul != NULL)
		return fail(&c, "not JSON: a NUL byte at column %zu", (size_t)(nul - json) + 1);
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL) {
		quote_bytes(q, sizeof(q), err.text, strnlen(err.text, sizeof(err.text)), sizeof(err.text));
		return fail(&c, "not JSON: %s at column %d", q, err.column);
	}
	if (!json_is_object(root)) {
		char found[256];

		fail(&c, "not a JSON object: found %s", describe(root, found, sizeof(found)));
		goto bad;
	}
	out->src_port = out->dest_port = -1;
	out->src_asn = out->dest_asn = -1;
	if (parse_root(&c, root, out) < 0)
		goto bad;
	out->json = malloc(len + 1);
	if (out->json == NULL) {
		fail(&c, "out of memory for a line of %zu bytes", len);
		goto bad;
	}
	memcpy(out->json, json, len);
	out->json[len] = '\0';
	out->json_len = len;
	json_decref(root);
	return 0;
bad:
	json_decref(root);
	alert_rec_fini(out);
	return -1;
}
