/*
 * alert_fixture — struct alert_rec records for the unit tests, built from
 * plain values: a test fills a struct alert_fixture (a designated
 * initializer, its own values) and alert_fixture_rec makes the record,
 * every string copied (NULL stays NULL), addresses parsed as the store
 * keeps them.  alert_fixture_free frees such a record without alert_rec.c.
 */
#ifndef ZW_ALERT_FIXTURE_H
#define ZW_ALERT_FIXTURE_H

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert_rec.h"

/* Fields as in struct alert_rec; schema_version is 2 (3 for a behaviour
 * alert, 4 with an in_iface) and rev 1. */
struct alert_fixture {
	enum alert_rec_kind kind;
	unsigned id;                   /* alert_id: id in 32 hex digits */
	const char *sensor;
	int64_t ts_us;
	uint32_t sid;
	uint8_t severity;
	const char *signature, *signature_en, *category, *clause, *threat;
	const char *in_iface;          /* NULL: none */
	uint64_t flow_id;
	const char *proto, *app_proto;
	const char *src, *dest;        /* "10.0.0.1", "2001:db8::1", or NULL */
	int src_port, dest_port;
	const char *src_zone, *dest_zone, *src_zone_name, *dest_zone_name;
	const char *src_country, *dest_country;
	int64_t src_asn, dest_asn;
	const char *health_condition, *health_state;
	const char *behaviour_detector, *behaviour_kind;
	const char *json;              /* json_len is its length */
};

/* An address as the store keeps it (IPv4 as ::ffff:a.b.c.d); text NULL: absent. */
static inline void alert_fixture_addr(struct alert_rec_addr *a, const char *text)
{
	memset(a, 0, sizeof(*a));
	if (!text)
		return;
	a->text = strdup(text);
	if (strchr(text, ':')) {
		a->family = 6;
		inet_pton(AF_INET6, text, a->bytes);
	} else {
		a->family = 4;
		a->bytes[10] = a->bytes[11] = 0xff;
		inet_pton(AF_INET, text, a->bytes + 12);
	}
}

static inline char *alert_fixture_dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static inline void alert_fixture_rec(struct alert_rec *r, const struct alert_fixture *fx)
{
	memset(r, 0, sizeof(*r));
	r->kind = fx->kind;
	snprintf(r->alert_id, sizeof(r->alert_id), "%032x", fx->id);
	r->sensor = alert_fixture_dup(fx->sensor);
	r->ts_us = fx->ts_us;
	r->schema_version = fx->in_iface ? 4 : fx->kind == ALERT_REC_BEHAVIOUR ? 3 : 2;
	r->sid = fx->sid;
	r->rev = 1;
	r->severity = fx->severity;
	r->signature = alert_fixture_dup(fx->signature);
	r->signature_en = alert_fixture_dup(fx->signature_en);
	r->category = alert_fixture_dup(fx->category);
	r->clause = alert_fixture_dup(fx->clause);
	r->threat = alert_fixture_dup(fx->threat);
	r->in_iface = alert_fixture_dup(fx->in_iface);
	r->flow_id = fx->flow_id;
	r->proto = alert_fixture_dup(fx->proto);
	r->app_proto = alert_fixture_dup(fx->app_proto);
	alert_fixture_addr(&r->src, fx->src);
	alert_fixture_addr(&r->dest, fx->dest);
	r->src_port = fx->src_port;
	r->dest_port = fx->dest_port;
	r->src_zone = alert_fixture_dup(fx->src_zone);
	r->dest_zone = alert_fixture_dup(fx->dest_zone);
	r->src_zone_name = alert_fixture_dup(fx->src_zone_name);
	r->dest_zone_name = alert_fixture_dup(fx->dest_zone_name);
	r->src_country = alert_fixture_dup(fx->src_country);
	r->dest_country = alert_fixture_dup(fx->dest_country);
	r->src_asn = fx->src_asn;
	r->dest_asn = fx->dest_asn;
	r->health_condition = alert_fixture_dup(fx->health_condition);
	r->health_state = alert_fixture_dup(fx->health_state);
	r->behaviour_detector = alert_fixture_dup(fx->behaviour_detector);
	r->behaviour_kind = alert_fixture_dup(fx->behaviour_kind);
	r->json = alert_fixture_dup(fx->json);
	r->json_len = fx->json ? strlen(fx->json) : 0;
}

static inline void alert_fixture_free(struct alert_rec *r)
{
	char **s[] = { &r->sensor, &r->signature, &r->signature_en, &r->category, &r->clause,
		       &r->threat, &r->in_iface, &r->proto, &r->app_proto, &r->src.text, &r->dest.text,
		       &r->src_zone, &r->dest_zone, &r->src_zone_name, &r->dest_zone_name,
		       &r->src_country, &r->dest_country, &r->health_condition,
		       &r->health_state, &r->behaviour_detector, &r->behaviour_kind, &r->json };

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		free(*s[i]);
		*s[i] = NULL;
	}
}

#endif
