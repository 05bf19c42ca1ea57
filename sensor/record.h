/*
 * record — a flow as an EVE-style JSON line ("event_type":"flow").
 * Field reference: doc/flow-records.md.
 *
 * Called by the worker that owns the flow; writes into that worker's jsonw.
 */
#ifndef ZW_RECORD_H
#define ZW_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classify.h"
#include "flow.h"
#include "geo.h"
#include "jsonw.h"
#include "zones.h"

/* Appends one record and a newline to w.  On overflow of w nothing of the
 * record stays in w and -1 is returned (the caller counts the drop). */
struct record_enrich {
	const struct zones *zones;       /* NULL: no zone fields */
	int zone[2];
	const struct geo_info *geo[2];   /* never NULL */
	struct geo_info geo_copy[2];     /* what geo[] may point to */
	bool has_geo;                    /* a GeoIP database is loaded */
	const char *in_iface;            /* capture interface, NULL: none (replay) */
};

int record_flow(struct jsonw *w, struct classify *c, const char *sensor_id,
		const struct flow *f, enum flow_end reason, const struct record_enrich *en);

/* Opens the "ndpi" object and writes master, app, category, breed and
 * confidence; the caller adds its fields and closes it. */
void record_ndpi_names(struct jsonw *w, struct classify *c, const struct flow_dpi *d);

/* "proto", "src_ip", "src_port", "dest_ip", "dest_port" (ports only for
 * TCP, UDP and SCTP) */
void record_tuple(struct jsonw *w, const struct flow *f);
/* The "flow" object's packet and byte counters and "start" (members only:
 * the caller opens and closes the object), shared by records and alerts. */
void record_flow_counts(struct jsonw *w, const struct flow *f);

/* "key": {"key": "lgwan", "name": "LGWAN接続系"} */
void record_zone(struct jsonw *w, const char *key, const struct zones *z, int idx);
/* "key": {"country": "JP", "asn": 2497, "org": "..."}, known fields only */
void record_geo(struct jsonw *w, const char *key, const struct geo_info *g);

/* "2021-03-04T10:11:12.123456+0000" (UTC) into buf (at least 32 bytes). */
void record_time(char *buf, size_t len, uint64_t us);

/* EVE protocol name: "TCP", "UDP", "ICMP", "IPv6-ICMP", ..., or the number. */
const char *record_proto_name(uint8_t proto, char *buf, size_t len);

/* Address text of a 4- or 16-byte address. */
void record_addr(char *buf, size_t len, int ip_version, const uint8_t *addr);

#endif
