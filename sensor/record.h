/*
 * record — a flow as an EVE-style JSON line ("event_type":"flow").
 * Field reference: doc/flow-records.md.
 *
 * Called by the worker that owns the flow; writes into that worker's jsonw.
 */
#ifndef ZW_RECORD_H
#define ZW_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "classify.h"
#include "flow.h"
#include "jsonw.h"

/* Appends one record and a newline to w.  On overflow of w nothing of the
 * record stays in w and -1 is returned (the caller counts the drop). */
int record_flow(struct jsonw *w, struct classify *c, const char *sensor_id,
		const struct flow *f, enum flow_end reason);

/* "2021-03-04T10:11:12.123456+0000" (UTC) into buf (at least 32 bytes). */
void record_time(char *buf, size_t len, uint64_t us);

/* EVE protocol name: "TCP", "UDP", "ICMP", "IPv6-ICMP", ..., or the number. */
const char *record_proto_name(uint8_t proto, char *buf, size_t len);

/* Address text of a 4- or 16-byte address. */
void record_addr(char *buf, size_t len, int ip_version, const uint8_t *addr);

#endif
