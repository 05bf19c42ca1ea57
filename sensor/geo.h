/*
 * geo — country and autonomous system of an address, from MaxMind DB files
 * (libmaxminddb).  The only file that includes maxminddb.h.
 *
 * struct geo_db is opened once by the main thread and then shared read-only
 * by all workers (libmaxminddb lookups on an opened database are
 * thread-safe).  struct geo_cache belongs to one worker thread: a small
 * direct-mapped cache in front of the database.  Pointers returned by
 * geo_lookup stay valid until the next geo_lookup on the same cache.
 */
#ifndef ZW_GEO_H
#define ZW_GEO_H

#include <stddef.h>
#include <stdint.h>

#define GEO_ORG_MAX 96

struct geo_info {
	char     country[3];          /* ISO 3166-1 alpha-2, "" when unknown */
	uint32_t asn;                 /* 0 when unknown */
	char     org[GEO_ORG_MAX];    /* AS organisation, "" when unknown */
};

struct geo_cache_stats {
	uint64_t lookups, hits, misses, errors;
};

struct geo_db;
struct geo_cache;

/* Open the country database and the ASN database; either path may be NULL
 * or "" (not configured).  A file that is missing or not a MaxMind DB is not
 * fatal: it is left out and a one-line warning naming the file and the
 * reason is written into warn (empty when all is well).  NULL only when out
 * of memory.  Country: "country.iso_code", else "registered_country.iso_code"
 * (GeoLite2/GeoIP2 Country and City), else a top-level "country_code"
 * (ip-location-db).  ASN: "autonomous_system_number" and
 * "autonomous_system_organization" (GeoLite2-ASN layout). */
struct geo_db *geo_db_open(const char *country_path, const char *asn_path,
			   char *warn, size_t warnlen);
void geo_db_close(struct geo_db *db);
int geo_db_has_country(const struct geo_db *db);
int geo_db_has_asn(const struct geo_db *db);
/* "GeoLite2-Country 2019-..." style description of what is loaded, for logs. */
void geo_db_describe(const struct geo_db *db, char *buf, size_t len);

/* entries: rounded up to a power of two, at least 16. */
struct geo_cache *geo_cache_new(const struct geo_db *db, uint32_t entries);
void geo_cache_free(struct geo_cache *c);
/* addr: 4 bytes (IPv4) or 16 (IPv6).  Never NULL: an all-empty geo_info
 * when nothing is known. */
const struct geo_info *geo_lookup(struct geo_cache *c, int ip_version, const uint8_t *addr);
void geo_cache_stats_get(const struct geo_cache *c, struct geo_cache_stats *out);

#endif
