/*
 * alert_parse — one alert line from the stream (untrusted bytes) into a
 * struct alert_rec: JSON syntax, the types and ranges of the fields the
 * collector stores, and the fields each kind requires (doc/alerts.md,
 * doc/alert.schema.json).  No I/O, no global state: any thread may call it.
 *
 * Accepted: rule alerts ("alert") of schema_version 1, 2 and 3, health
 * alerts ("health") of versions 2 and 3, behaviour alerts ("behaviour") of
 * version 3 (rule and health alerts have the same fields in every version
 * that has them).  Fields the collector does not store (ndpi, flow,
 * evidence, ...) and unknown fields are not checked beyond JSON syntax: the
 * line is stored whole.  A behaviour alert's "behaviour" object is checked
 * whole, although only its detector and kind are stored.
 */
#ifndef ZW_ALERT_PARSE_H
#define ZW_ALERT_PARSE_H

#include <stddef.h>

#include "alert_rec.h"

#define ALERT_PARSE_MAX_LINE   65536u  /* bytes of one line, newline excluded */
#define ALERT_PARSE_MAX_STRING 4096u   /* bytes of a stored string field */
#define ALERT_PARSE_MAX_SENSOR 128u    /* bytes of "sensor" (at least 1) */

/* Parses len bytes at json (need not be NUL-terminated; one trailing
 * newline or other JSON white space is fine).  out need not be initialised
 * and is overwritten (alert_rec_fini a previous fill first).
 * 0: valid; out is filled and owns its strings, out->json a copy of the line.
 * -1: rejected; why (if non-NULL) holds a one-line reason naming the field at
 *     fault, in printable ASCII; out is zeroed and holds nothing allocated. */
int alert_parse(const char *json, size_t len, struct alert_rec *out,
		char *why, size_t whylen);

#endif
