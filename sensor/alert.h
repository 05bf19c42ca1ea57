/*
 * alert — one alert as a JSON object (doc/alerts.md, schema
 * doc/alert.schema.json), and its stable id.
 *
 * Worker threads; no state.
 */
#ifndef ZW_ALERT_H
#define ZW_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "classify.h"
#include "flow.h"
#include "jsonw.h"
#include "rules.h"
#include "zones.h"

#define ALERT_SCHEMA_VERSION 4

/* When the rule was evaluated. */
enum alert_trigger { ALERT_AT_CLASSIFIED, ALERT_AT_INTERIM, ALERT_AT_END };

struct alert_event {
	const char *sensor_id;
	const char *in_iface;            /* capture interface, NULL: none (replay) */
	const struct flow *f;
	const struct rules_flow *rf;
	const struct zones *zones;
	const struct rules_rule *rule;
	const struct rules_evidence *ev;
	unsigned nev;
	enum alert_trigger trigger;
	uint64_t ts_us;
};

/* 32 hex digits, the same for the same sensor, flow and rule. */
void alert_id(char out[33], const char *sensor_id, uint64_t flow_id, uint32_t sid);

/* What the "alert" and "policy" objects of every alert line say (rule,
 * health and behaviour alerts alike). */
struct alert_sig {
	uint32_t sid, rev;
	const char *msg, *msg_en;   /* msg_en NULL: no "signature_en" */
	uint8_t severity;
	const char *threat;         /* threat class key (rules.h) */
	const char *clause;         /* NULL: no "policy.clause" */
};

/* "alert": {...}, "policy": {...} as members of an open object. */
void alert_format_sig(struct jsonw *w, const struct alert_sig *s);

/* Append the object (no newline); -1 if it did not fit. */
int alert_format(struct jsonw *w, struct classify *c, const struct alert_event *a,
		 const char *id);

#endif
