/* conf — see conf.h. */
#include "conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int conf_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int conf_is_keychar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/* Parse the value part of a line (after '=') into out.  Returns 0 or -1. */
static int conf_parse_value(const char *p, const char *end, char *out, size_t outlen,
			    char *err, size_t errlen)
{
	size_t n = 0;

	while (p < end && conf_is_blank(*p))
		p++;
	if (p < end && *p == '"') {
		p++;
		for (;;) {
			if (p >= end) {
				snprintf(err, errlen, "unterminated quoted value");
				return -1;
			}
			if (*p == '"')
				break;
			if (*p == '\\' && p + 1 < end && (p[1] == '"' || p[1] == '\\'))
				p++;
			if (n + 1 >= outlen) {
				snprintf(err, errlen, "value too long");
				return -1;
			}
			out[n++] = *p++;
		}
		p++;
		while (p < end && conf_is_blank(*p))
			p++;
		if (p < end && *p != '#') {
			snprintf(err, errlen, "unexpected text after quoted value");
			return -1;
		}
	} else {
		const char *stop = p;
		/* an unquoted value ends at " #" (a comment) or end of line */
		while (stop < end && !(*stop == '#' && (stop == p || conf_is_blank(stop[-1]))))
			stop++;
		while (stop > p && conf_is_blank(stop[-1]))
			stop--;
		if ((size_t)(stop - p) >= outlen) {
			snprintf(err, errlen, "value too long");
			return -1;
		}
		memcpy(out, p, (size_t)(stop - p));
		n = (size_t)(stop - p);
	}
	out[n] = '\0';
	if (memchr(out, '\0', n)) {
		snprintf(err, errlen, "NUL byte in value");
		return -1;
	}
	return 0;
}

static int conf_parse_line(const char *p, const char *end, conf_handler handler, void *ctx,
			   char *err, size_t errlen)
{
	char key[128], value[CONF_MAX_LINE];
	const char *k;
	size_t klen;

	while (p < end && conf_is_blank(*p))
		p++;
	if (p == end || *p == '#')
		return 0;
	k = p;
	while (p < end && conf_is_keychar(*p))
		p++;
	klen = (size_t)(p - k);
	if (klen == 0) {
		snprintf(err, errlen, "expected a key, found '%c'", *p);
		return -1;
	}
	if (klen >= sizeof(key)) {
		snprintf(err, errlen, "key too long");
		return -1;
	}
	memcpy(key, k, klen);
	key[klen] = '\0';
	while (p < end && conf_is_blank(*p))
		p++;
	if (p == end || *p != '=') {
		snprintf(err, errlen, "expected '=' after key '%s'", key);
		return -1;
	}
	if (conf_parse_value(p + 1, end, value, sizeof(value), err, errlen) < 0)
		return -1;
	return handler(ctx, key, value, err, errlen);
}

int conf_parse_buffer(const char *name, const char *text, size_t len,
		      conf_handler handler, void *ctx, char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	unsigned line = 0;
	char reason[512];

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;

		line++;
		reason[0] = '\0';
		if ((size_t)(eol - p) > CONF_MAX_LINE) {
			snprintf(err, errlen, "%s:%u: line longer than %u bytes", name, line,
				 CONF_MAX_LINE);
			return -1;
		}
		if (conf_parse_line(p, eol, handler, ctx, reason, sizeof(reason)) < 0) {
			snprintf(err, errlen, "%s:%u: %s", name, line, reason);
			return -1;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

int conf_parse_file(const char *path, conf_handler handler, void *ctx,
		    char *err, size_t errlen)
{
	FILE *f;
	char *buf = NULL;
	size_t len;
	int rc = -1;

	f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf = malloc(CONF_MAX_FILE + 1);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	len = fread(buf, 1, CONF_MAX_FILE + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	if (len > CONF_MAX_FILE) {
		snprintf(err, errlen, "%s: larger than %u bytes", path, CONF_MAX_FILE);
		goto out;
	}
	rc = conf_parse_buffer(path, buf, len, handler, ctx, err, errlen);
out:
	free(buf);
	fclose(f);
	return rc;
}

/* Parse a non-negative decimal with an optional one-letter suffix. */
static int conf_number_suffix(const char *value, uint64_t *num, char *suffix)
{
	char *end;
	unsigned long long v;

	if (value[0] < '0' || value[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(value, &end, 10);
	if (errno)
		return -1;
	*suffix = *end;
	if (*end && end[1])
		return -1;
	*num = v;
	return 0;
}

int conf_value_u64(const char *value, uint64_t min, uint64_t max, uint64_t *out,
		   char *err, size_t errlen)
{
	uint64_t v;
	char suffix;

	if (conf_number_suffix(value, &v, &suffix) < 0 || suffix) {
		snprintf(err, errlen, "'%s' is not a number", value);
		return -1;
	}
	if (v < min || v > max) {
		snprintf(err, errlen, "%s is out of range %llu..%llu", value,
			 (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

int conf_value_bool(const char *value, int *out, char *err, size_t errlen)
{
	if (!strcmp(value, "yes") || !strcmp(value, "true") || !strcmp(value, "on") ||
	    !strcmp(value, "1")) {
		*out = 1;
		return 0;
	}
	if (!strcmp(value, "no") || !strcmp(value, "false") || !strcmp(value, "off") ||
	    !strcmp(value, "0")) {
		*out = 0;
		return 0;
	}
	snprintf(err, errlen, "'%s' is not yes/no", value);
	return -1;
}

static int conf_scaled(const char *value, const char *suffixes, const uint64_t *mult,
		       uint64_t min, uint64_t max, uint64_t *out, const char *what,
		       char *err, size_t errlen)
{
	uint64_t v, m = 1;
	char suffix;
	const char *s;

	if (conf_number_suffix(value, &v, &suffix) < 0) {
		snprintf(err, errlen, "'%s' is not a %s", value, what);
		return -1;
	}
	if (suffix) {
		s = strchr(suffixes, suffix);
		if (!s) {
			snprintf(err, errlen, "'%s': unknown unit '%c' (use one of %s)", value,
				 suffix, suffixes);
			return -1;
		}
		m = mult[s - suffixes];
	}
	if (v > UINT64_MAX / m || v * m < min || v * m > max) {
		snprintf(err, errlen, "%s is out of range %llu..%llu", value,
			 (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = v * m;
	return 0;
}

int conf_value_duration(const char *value, uint64_t min_s, uint64_t max_s, uint64_t *out_s,
			char *err, size_t errlen)
{
	static const uint64_t mult[] = { 1, 60, 3600, 86400 };
	return conf_scaled(value, "smhd", mult, min_s, max_s, out_s, "duration", err, errlen);
}

int conf_value_size(const char *value, uint64_t min, uint64_t max, uint64_t *out,
		    char *err, size_t errlen)
{
	static const uint64_t mult[] = { 1024, 1024, 1u << 20, 1u << 30 };
	return conf_scaled(value, "kKMG", mult, min, max, out, "size", err, errlen);
}

int conf_value_percent(const char *value, uint64_t lo, uint64_t hi, uint64_t *out,
		       char *err, size_t errlen)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(value, &end);
	if (end == value || errno || !(v >= 0 && v <= 100) || (*end && strcmp(end, "%"))) {   /* NaN too */
		snprintf(err, errlen, "'%s' is not a percentage (0 to 100, e.g. 0.5%% or 50%%)", value);
		return -1;
	}
	*out = (uint64_t)(v * 10000.0 + 0.5);
	if (*out < lo || *out > hi) {
		snprintf(err, errlen, "'%s' is out of range", value);
		return -1;
	}
	return 0;
}

int conf_value_decimal(const char *value, uint64_t lo, uint64_t hi, uint64_t *out,
		       char *err, size_t errlen)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(value, &end);
	if (end == value || *end || errno || !(v >= 0 && v <= 1e12)) {   /* NaN too */
		snprintf(err, errlen, "'%s' is not a number (e.g. 3.5)", value);
		return -1;
	}
	*out = (uint64_t)(v * 1e6 + 0.5);
	if (*out < lo || *out > hi) {
		snprintf(err, errlen, "'%s' is out of range (%g to %g)", value, (double)lo / 1e6,
			 (double)hi / 1e6);
		return -1;
	}
	return 0;
}

static int conf_table_value(const struct conf_key *k, void *field, const char *value,
			    char *err, size_t errlen)
{
	uint64_t v;
	char *s;
	int b;

	switch (k->type) {
	case CONF_STRING:
		s = strdup(value);
		if (!s) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		free(*(char **)field);
		*(char **)field = s;
		return 0;
	case CONF_BOOL:
		if (conf_value_bool(value, &b, err, errlen) < 0)
			return -1;
		*(int *)field = b;
		return 0;
	case CONF_U64:
		if (conf_value_u64(value, k->min, k->max, &v, err, errlen) < 0)
			return -1;
		break;
	case CONF_DURATION:
		if (conf_value_duration(value, k->min, k->max, &v, err, errlen) < 0)
			return -1;
		break;
	case CONF_SIZE:
		if (conf_value_size(value, k->min, k->max, &v, err, errlen) < 0)
			return -1;
		break;
	case CONF_PERCENT:
		if (conf_value_percent(value, k->min, k->max, &v, err, errlen) < 0)
			return -1;
		break;
	case CONF_DECIMAL:
		if (conf_value_decimal(value, k->min, k->max, &v, err, errlen) < 0)
			return -1;
		break;
	default:
		snprintf(err, errlen, "internal: key type %d", (int)k->type);
		return -1;
	}
	*(uint64_t *)field = v;
	return 0;
}

int conf_table_set(const struct conf_key *keys, size_t n, void *base, const char *key,
		   const char *value, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(keys[i].key, key))
			return conf_table_value(&keys[i], (char *)base + keys[i].offset, value,
						err, errlen);
	return 1;
}

void conf_table_fini(const struct conf_key *keys, size_t n, void *base)
{
	for (size_t i = 0; i < n; i++) {
		if (keys[i].type == CONF_STRING) {
			char **p = (char **)(void *)((char *)base + keys[i].offset);
			free(*p);
			*p = NULL;
		}
	}
}
