/*
 * alert_parse — one alert line from the stream (untrusted bytes) into a
 * struct alert_rec: JSON syntax, the types and ranges of the fields the
 * collector stores, and the fields each kind requires (doc/alerts.md,
 * doc/alert.schema.json).  No I/O, no global state: any thread may call it.
 *
 * Accepted: rule alerts ("alert") of schema_version 1 to 4, health alerts
 * ("health") of versions 2 to 4, behaviour alerts ("behaviour") of
 * versions 3 and 4.  Version 4 added in_iface (the capture interface) to
 * rule and behaviour alerts; it is refused on older lines and on health
 * alerts.  Otherwise rule and health alerts have the same fields in every
 * version that has them.  Fields the collector does not store (ndpi, flow,
 * evidence, ...) and unknown fields are not checked beyond JSON syntax: the
 * line is stored whole.  A behaviour alert's "behaviour" object is checked
 * whole, although only its detector and kind are stored.
 */
#ifndef ZW_ALERT_PARSE_H
#define ZW_ALERT_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "alert_rec.h"

#define ALERT_PARSE_MAX_LINE   65536u  /* bytes of one line, newline excluded */
#define ALERT_PARSE_MAX_STRING 4096u   /* bytes of a stored string field */
#define ALERT_PARSE_MAX_SENSOR 128u    /* bytes of "sensor" (at least 1) */
#define ALERT_PARSE_MAX_IFACE  15u     /* bytes of "in_iface" (Linux IFNAMSIZ - 1) */

/* Parses len bytes at json (need not be NUL-terminated; one trailing
 * newline or other JSON white space is fine).  out need not be initialised
 * and is overwritten (alert_rec_fini a previous fill first).
 * 0: valid; out is filled and owns its strings, out->json a copy of the line.
 * -1: rejected; why (if non-NULL) holds a one-line reason naming the field at
 *     fault, in printable ASCII; out is zeroed and holds nothing allocated. */
int alert_parse(const char *json, size_t len, struct alert_rec *out,
		char *why, size_t whylen);

/* Whether the n bytes at s are an interface name as in_iface may hold one:
 * 1 to ALERT_PARSE_MAX_IFACE bytes of UTF-8 without "/", white space or
 * control characters.  (The filter option --iface checks its value so.) */
bool alert_parse_iface_is_valid(const char *s, size_t n);

#endif
