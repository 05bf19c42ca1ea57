/*
 * zones — the site's network zones: named lists of CIDR prefixes, looked up
 * by longest prefix.  Zone 0 is always "external" (every address no other
 * zone claims).  Keys are ASCII ([a-z0-9_-]) and stable: alerts and rules use
 * them; display names are free UTF-8 text (基幹系).  The policy's three
 * zones always exist, without networks until given some: "core" (基幹系),
 * "lgwan" (LGWAN接続系) and "internet" (情報系).
 *
 * Built by one thread, then read-only: lookups are safe from any thread.
 */
#ifndef ZW_ZONES_H
#define ZW_ZONES_H

#include <stddef.h>
#include <stdint.h>

#define ZONES_MAX 64
#define ZONES_EXTERNAL 0

struct zones;

struct zones *zones_new(void);
void zones_free(struct zones *z);

/* Define a zone or rename it; returns its index, or -1 with a reason (bad
 * key, too many zones). */
int zones_define(struct zones *z, const char *key, const char *display_name,
		 char *err, size_t errlen);
/* Add "a.b.c.d/len, 2001:db8::/32, ..." (comma or blank separated) to zone
 * idx.  A prefix already given to another zone is an error naming both. */
int zones_add_networks(struct zones *z, int idx, const char *list, char *err, size_t errlen);

/* Zone of an address (4 or 16 bytes as in struct flow_key). */
int zones_lookup(const struct zones *z, int ip_version, const uint8_t *addr);
/* Index of a key, -1 when not defined. */
int zones_find(const struct zones *z, const char *key);
/* Index of a key or, failing that, of a display name ("基幹系"). */
int zones_find_any(const struct zones *z, const char *key_or_name);
unsigned zones_count(const struct zones *z);
/* Whether any zone has networks (else every address is external). */
int zones_has_networks(const struct zones *z);
const char *zones_key(const struct zones *z, int idx);
const char *zones_name(const struct zones *z, int idx);   /* display name */

#endif
