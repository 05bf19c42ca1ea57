/*
 * alert_rec — one alert as the collector stores it: the fields that its
 * queries filter, sort and count by, taken from the alert line that a sensor
 * put in the stream (doc/alerts.md, doc/alert.schema.json, schema_version 4:
 * rule alerts, event_type "alert"; health alerts, event_type "health"; and
 * behaviour alerts, event_type "behaviour"), and the line itself, kept whole.
 *
 * Strings are NUL-terminated copies owned by the record (alert_rec_fini
 * frees them); absent optional fields are NULL (strings) or 0 / -1 as noted.
 */
#ifndef ZW_ALERT_REC_H
#define ZW_ALERT_REC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum alert_rec_kind { ALERT_REC_RULE, ALERT_REC_HEALTH, ALERT_REC_BEHAVIOUR };

/* An address as stored: the text, and its bytes for CIDR queries
 * (IPv4 as ::ffff:a.b.c.d, so one 16-byte column serves both families). */
struct alert_rec_addr {
	char *text;                /* NULL when absent (health alerts; behaviour
				    * alerts without that end) */
	uint8_t bytes[16];
	int family;                /* 4, 6, or 0 when absent */
};

struct alert_rec {
	enum alert_rec_kind kind;
	char alert_id[33];         /* 32 lower-case hex digits */
	char *sensor;
	int64_t ts_us;             /* "timestamp", unix microseconds (UTC) */
	uint32_t schema_version;
	uint32_t sid, rev;
	uint8_t severity;          /* 1 (critical) .. 5 (info) */
	char *signature, *signature_en;   /* signature_en may be NULL */
	char *category;            /* alert.category (threat class, English) */
	char *clause;              /* policy.clause, may be NULL */
	char *threat;              /* policy.threat key */
	char *in_iface;            /* the capture interface ("eth1"): rule and
				    * behaviour alerts of version 4 from live
				    * capture; NULL otherwise */
	/* rule alerts (NULL / 0 / -1 for health alerts); behaviour alerts have
	 * no flow_id, app_proto or src_port, and each of proto, src (with
	 * src_zone), dest (with dest_zone) and dest_port may be absent */
	uint64_t flow_id;
	char *proto, *app_proto;
	struct alert_rec_addr src, dest;
	int src_port, dest_port;   /* -1 when absent */
	char *src_zone, *dest_zone;        /* zone keys */
	char *src_zone_name, *dest_zone_name;
	char *src_country, *dest_country;  /* ISO alpha-2, NULL when unknown */
	int64_t src_asn, dest_asn;         /* -1 when unknown */
	/* health alerts only */
	char *health_condition, *health_state;
	/* behaviour alerts only: behaviour.detector ("port_scan") and
	 * behaviour.kind ("syn") */
	char *behaviour_detector, *behaviour_kind;
	char *json;                /* the line as received */
	size_t json_len;
};

void alert_rec_fini(struct alert_rec *r);

#endif
