/* alert — see alert.h. */
#include "alert.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "record.h"

static uint64_t alert_mix(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 31;
	h *= 0x7fb5d329728ea185ULL;
	h ^= h >> 27;
	return h;
}

/* Two independent 64-bit hashes of (sensor, flow id, sid): a re-sent alert
 * has the same id, two different alerts collide with negligible odds. */
void alert_id(char out[33], const char *sensor_id, uint64_t flow_id, uint32_t sid)
{
	unsigned char buf[256 + 12];
	size_t n = strlen(sensor_id);
	uint64_t a, b;

	if (n > 256)
		n = 256;
	memcpy(buf, sensor_id, n);
	for (int i = 0; i < 8; i++)
		buf[n + (size_t)i] = (unsigned char)(flow_id >> (8 * i));
	for (int i = 0; i < 4; i++)
		buf[n + 8 + (size_t)i] = (unsigned char)(sid >> (8 * i));
	a = alert_mix(0xcbf29ce484222325ULL, buf, n + 12);
	b = alert_mix(0x84222325cbf29ce4ULL ^ a, buf, n + 12);
	snprintf(out, 33, "%016llx%016llx", (unsigned long long)a, (unsigned long long)b);
}

static const char *const alert_triggers[] = { "classified", "interim", "end" };

static void alert_evidence(struct jsonw *w, const struct alert_event *a)
{
	jsonw_key(w, "evidence");
	jsonw_arr_begin(w);
	for (unsigned i = 0; i < a->nev; i++) {
		const struct rules_evidence *e = &a->ev[i];

		jsonw_obj_begin(w);
		jsonw_kv_str(w, "field", e->field);
		jsonw_kv_str(w, "value", e->value);
		if (e->list)
			jsonw_kv_str(w, "list", e->list);
		if (e->entry) {
			jsonw_kv_str(w, "indicator", e->entry->indicator);
			jsonw_kv_str(w, "indicator_type", ioc_type_name(e->entry->type));
			if (e->entry->source)
				jsonw_kv_str(w, "source", e->entry->source);
			if (e->entry->desc)
				jsonw_kv_str(w, "desc", e->entry->desc);
			if (e->entry->file && e->entry->file[0]) {
				jsonw_kv_str(w, "file", e->entry->file);
				jsonw_kv_u64(w, "line", e->entry->line);
			}
		}
		jsonw_obj_end(w);
	}
	jsonw_arr_end(w);
}

static void alert_ndpi(struct jsonw *w, struct classify *c, const struct flow *f,
		       const struct rules_flow *rf)
{
	const struct flow_dpi *d = &f->dpi;

	record_ndpi_names(w, c, d);
	jsonw_key(w, "risks");
	jsonw_arr_begin(w);
	for (unsigned bit = 1; bit < 64; bit++) {
		const char *key;
		if ((d->risk & (1ULL << bit)) && (key = classify_risk_key(bit)))
			jsonw_str(w, key);
	}
	jsonw_arr_end(w);
	jsonw_kv_u64(w, "risk_score", d->risk_score);
	if (rf->hostname)
		jsonw_kv_str(w, "hostname", rf->hostname);
	if (rf->ja3c)
		jsonw_kv_str(w, "ja3c", rf->ja3c);
	if (rf->ja3s)
		jsonw_kv_str(w, "ja3s", rf->ja3s);
	if (rf->cert_sha1)
		jsonw_kv_str(w, "cert_sha1", rf->cert_sha1);
	jsonw_obj_end(w);
}

void alert_format_sig(struct jsonw *w, const struct alert_sig *s)
{
	jsonw_key(w, "alert");
	jsonw_obj_begin(w);
	jsonw_kv_str(w, "action", "allowed");
	jsonw_kv_u64(w, "gid", 1);
	jsonw_kv_u64(w, "signature_id", s->sid);
	jsonw_kv_u64(w, "rev", s->rev);
	jsonw_kv_str(w, "signature", s->msg);
	if (s->msg_en)
		jsonw_kv_str(w, "signature_en", s->msg_en);
	jsonw_kv_u64(w, "severity", s->severity);
	jsonw_kv_str(w, "severity_name", rules_severity_name(s->severity));
	jsonw_kv_str(w, "category", rules_threat_name_en(s->threat));
	jsonw_obj_end(w);

	jsonw_key(w, "policy");
	jsonw_obj_begin(w);
	if (s->clause)
		jsonw_kv_str(w, "clause", s->clause);
	jsonw_kv_str(w, "threat", s->threat);
	jsonw_kv_str(w, "threat_name", rules_threat_name_ja(s->threat));
	jsonw_kv_str(w, "threat_name_en", rules_threat_name_en(s->threat));
	jsonw_obj_end(w);
}

int alert_format(struct jsonw *w, struct classify *c, const struct alert_event *a, const char *id)
{
	const struct flow *f = a->f;
	const struct rules_rule *r = a->rule;
	size_t mark = w->len;
	char buf[64];

	jsonw_obj_begin(w);
	record_time(buf, sizeof(buf), a->ts_us);
	jsonw_kv_str(w, "timestamp", buf);
	jsonw_kv_u64(w, "flow_id", f->flow_id);
	jsonw_kv_str(w, "event_type", "alert");
	jsonw_kv_u64(w, "schema_version", ALERT_SCHEMA_VERSION);
	jsonw_kv_str(w, "sensor", a->sensor_id);
	jsonw_kv_str(w, "alert_id", id);
	if (a->in_iface)
		jsonw_kv_str(w, "in_iface", a->in_iface);
	record_tuple(w, f);
	classify_app_proto(c, &f->dpi, buf, sizeof(buf));
	jsonw_kv_str(w, "app_proto", buf);

	alert_format_sig(w, &(struct alert_sig){ .sid = r->sid, .rev = r->rev, .msg = r->msg,
						 .msg_en = r->msg_en, .severity = r->severity,
						 .threat = r->threat, .clause = r->clause });

	record_zone(w, "src_zone", a->zones, a->rf->zone[0]);
	record_zone(w, "dest_zone", a->zones, a->rf->zone[1]);
	jsonw_key(w, "geo");
	jsonw_obj_begin(w);
	record_geo(w, "src", a->rf->geo[0]);
	record_geo(w, "dest", a->rf->geo[1]);
	jsonw_obj_end(w);
	alert_ndpi(w, c, f, a->rf);

	jsonw_key(w, "flow");
	jsonw_obj_begin(w);
	record_flow_counts(w, f);
	jsonw_obj_end(w);

	alert_evidence(w, a);
	jsonw_kv_str(w, "trigger", alert_triggers[a->trigger]);
	jsonw_kv_str(w, "rule_file", r->file);
	jsonw_kv_u64(w, "rule_line", r->line);
	jsonw_obj_end(w);
	if (!jsonw_ok(w)) {
		jsonw_truncate(w, mark);
		return -1;
	}
	return 0;
}
