/* entry — see entry.h. */
#include "entry.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "alert_parse.h"

static bool entry_is(const char *p, size_t len, const char *name)
{
	return len == strlen(name) && !memcmp(p, name, len);
}

/* A printable cut of untrusted bytes for a message. */
static void entry_show(const char *p, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 5 < cap && i < 64; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			out[o++] = (char)c;
		} else {
			snprintf(out + o, cap - o, "\\x%02x", c);
			o += 4;
		}
	}
	out[o < cap ? o : cap - 1] = '\0';
}

int entry_decode(const char *const *fv, const size_t *fvlen, size_t n, struct entry_view *out,
		 char *why, size_t whylen)
{
	memset(out, 0, sizeof(*out));
	if (n % 2) {
		snprintf(why, whylen, "entry: %zu strings, not name/value pairs", n);
		return -1;
	}
	if (n > ENTRY_FIELDS_MAX) {
		snprintf(why, whylen, "entry: %zu fields, at most %u", n / 2, ENTRY_FIELDS_MAX / 2);
		return -1;
	}
	for (size_t i = 0; i < n; i += 2) {
		const char **val = NULL;
		size_t *vlen = NULL;

		if (entry_is(fv[i], fvlen[i], "json")) {
			val = &out->json;
			vlen = &out->json_len;
		} else if (entry_is(fv[i], fvlen[i], "sensor")) {
			val = &out->sensor;
			vlen = &out->sensor_len;
		} else if (entry_is(fv[i], fvlen[i], "alert_id")) {
			val = &out->alert_id;
			vlen = &out->alert_id_len;
		}
		if (!val)
			continue;   /* seq, sid, severity: informative, the line has them */
		if (*val) {
			snprintf(why, whylen, "entry: field '%.*s' given twice", (int)fvlen[i], fv[i]);
			return -1;
		}
		*val = fv[i + 1];
		*vlen = fvlen[i + 1];
	}
	if (!out->json) {
		snprintf(why, whylen, "entry: no 'json' field");
		return -1;
	}
	if (out->json_len > ALERT_PARSE_MAX_LINE) {
		snprintf(why, whylen, "entry: json of %zu bytes, over the %u-byte cap", out->json_len,
			 ALERT_PARSE_MAX_LINE);
		return -1;
	}
	return 0;
}

int entry_check(const struct entry_view *v, const struct alert_rec *rec, char *why, size_t whylen)
{
	char shown[300];

	if (v->sensor && !(v->sensor_len == strlen(rec->sensor) &&
			   !memcmp(v->sensor, rec->sensor, v->sensor_len))) {
		entry_show(v->sensor, v->sensor_len, shown, sizeof(shown));
		snprintf(why, whylen, "entry: field sensor '%s' differs from the alert's '%.64s'", shown,
			 rec->sensor);
		return -1;
	}
	if (v->alert_id && !(v->alert_id_len == strlen(rec->alert_id) &&
			     !memcmp(v->alert_id, rec->alert_id, v->alert_id_len))) {
		entry_show(v->alert_id, v->alert_id_len, shown, sizeof(shown));
		snprintf(why, whylen, "entry: field alert_id '%s' differs from the alert's '%s'", shown,
			 rec->alert_id);
		return -1;
	}
	return 0;
}

/* A decimal of at most 19 digits (fits int64), else -1. */
static int64_t entry_num(const char *p, size_t len)
{
	int64_t v = 0;

	if (len == 0 || len > 18)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* Printable ASCII only, cut to the field; else left empty. */
static void entry_text(const char *p, size_t len, char *out, size_t cap)
{
	if (len >= cap)
		len = cap - 1;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7e) {
			out[0] = '\0';
			return;
		}
	memcpy(out, p, len);
	out[len] = '\0';
}

void entry_heartbeat(const char *const *fv, const size_t *fvlen, size_t n, struct store_sensor *hb)
{
	struct {
		const char *name;
		int64_t *field;
	} nums[] = {
		{ "uptime", &hb->uptime_s }, { "packets", &hb->packets },
		{ "kernel_drops", &hb->kernel_drops }, { "queue_drops", &hb->queue_drops },
		{ "flows", &hb->flows }, { "flows_active", &hb->flows_active },
		{ "alerts", &hb->alerts }, { "alerts_dropped", &hb->alerts_dropped },
		{ "spool_records", &hb->spool_records }, { "spool_bytes", &hb->spool_bytes },
	};
	const size_t nnums = sizeof(nums) / sizeof(nums[0]);

	hb->version[0] = hb->ruleset[0] = '\0';
	for (size_t k = 0; k < nnums; k++)
		*nums[k].field = -1;
	for (size_t i = 0; i + 1 < n; i += 2) {
		if (entry_is(fv[i], fvlen[i], "version")) {
			entry_text(fv[i + 1], fvlen[i + 1], hb->version, sizeof(hb->version));
			continue;
		}
		if (entry_is(fv[i], fvlen[i], "ruleset")) {
			entry_text(fv[i + 1], fvlen[i + 1], hb->ruleset, sizeof(hb->ruleset));
			continue;
		}
		for (size_t k = 0; k < nnums; k++)
			if (entry_is(fv[i], fvlen[i], nums[k].name))
				*nums[k].field = entry_num(fv[i + 1], fvlen[i + 1]);
	}
}
