/*
 * geo — see geo.h.
 *
 * Two MaxMind DB files opened with MMDB_MODE_MMAP: one read for the country
 * code, one for the autonomous system.  Either may be absent; a file that
 * cannot be used becomes a warning, never a failure, so a sensor without
 * GeoIP data still runs.
 *
 * Addresses that no public database can know (RFC 1918, RFC 6598 CGNAT,
 * loopback, link-local, RFC 4193 ULA, multicast, documentation and other
 * special-purpose ranges from the IANA registries, RFC 6890) are answered
 * with an empty geo_info without a database lookup.  IPv4-mapped IPv6
 * addresses (::ffff:a.b.c.d, RFC 4291 2.5.5.2) are looked up as IPv4.
 *
 * The cache is direct mapped: one slot per hash value, a new key overwrites
 * the slot.  No locks: a cache belongs to one thread.
 */
#include "geo.h"

#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <maxminddb.h>

/* What this file uses of libmaxminddb: present since 1.0; Debian 12 ships
 * 1.7.1.  The Linux headers carry no version macro, so check the API. */
#if !defined(MMDB_MODE_MMAP) || !defined(MMDB_DATA_TYPE_UTF8_STRING) || \
	!defined(MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR)
#error "libmaxminddb >= 1.0 required (Debian: libmaxminddb-dev)"
#endif

#define GEO_CACHE_MIN_ENTRIES 16u
#define GEO_CACHE_MAX_ENTRIES (1u << 20)   /* ~120 MiB: more is a config mistake */
#define GEO_DESC_MAX          160

enum geo_kind { GEO_KIND_COUNTRY, GEO_KIND_ASN };

struct geo_file {
	MMDB_s mmdb;
	bool open;
	char desc[GEO_DESC_MAX];     /* "GeoLite2-Country (built 2019-10-24)" */
};

struct geo_db {
	struct geo_file country, asn;
};

struct geo_cache_slot {
	uint8_t ip_version;          /* 0: slot empty */
	uint8_t addr[16];            /* IPv4 in the first 4 bytes, rest zero */
	struct geo_info info;
};

struct geo_cache {
	const struct geo_db *db;
	struct geo_cache_slot *slots;
	uint32_t mask;
	struct geo_info empty;       /* what private addresses and errors return */
	struct geo_cache_stats stats;
};

/* ---- opening ---------------------------------------------------------- */

static void geo_warn_append(char *warn, size_t warnlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void geo_warn_append(char *warn, size_t warnlen, const char *fmt, ...)
{
	va_list ap;
	size_t used;

	if (!warn || warnlen == 0)
		return;
	used = strnlen(warn, warnlen);
	if (used + 1 >= warnlen)
		return;
	if (used > 0) {
		snprintf(warn + used, warnlen - used, "; ");
		used = strnlen(warn, warnlen);
		if (used + 1 >= warnlen)
			return;
	}
	va_start(ap, fmt);
	vsnprintf(warn + used, warnlen - used, fmt, ap);
	va_end(ap);
}

static bool geo_str_contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; hay && *hay; hay++)
		if (!strncasecmp(hay, needle, n))
			return true;
	return false;
}

/* Reason why a file of this database_type cannot serve kind, or NULL.  Only
 * types that clearly name the other kind are refused: unknown types (such as
 * ip-location-db's "country ipvAll") are accepted. */
static const char *geo_type_mismatch(const char *type, enum geo_kind kind)
{
	bool asn = geo_str_contains(type, "ASN") || geo_str_contains(type, "ISP");
	bool country = geo_str_contains(type, "Country") || geo_str_contains(type, "City") ||
		       geo_str_contains(type, "Enterprise");

	if (kind == GEO_KIND_COUNTRY && asn && !country)
		return "an AS number database, not a country database";
	if (kind == GEO_KIND_ASN && country && !asn)
		return "a country database, not an AS number database";
	return NULL;
}

static void geo_file_describe(struct geo_file *f)
{
	const char *type = f->mmdb.metadata.database_type;
	time_t t = (time_t)f->mmdb.metadata.build_epoch;
	char day[16] = "?";
	struct tm tm;

	if (gmtime_r(&t, &tm))
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	snprintf(f->desc, sizeof(f->desc), "%s (built %s)",
		 type && *type ? type : "unnamed", day);
}

static void geo_file_open(struct geo_file *f, const char *path, enum geo_kind kind,
			  char *warn, size_t warnlen)
{
	const char *what = kind == GEO_KIND_COUNTRY ? "country" : "ASN";
	const char *mismatch;
	int status;

	if (!path || !*path)
		return;
	errno = 0;
	status = MMDB_open(path, MMDB_MODE_MMAP, &f->mmdb);
	if (status != MMDB_SUCCESS) {
		/* on failure MMDB_open has already released what it took */
		int err = errno;
		if ((status == MMDB_FILE_OPEN_ERROR || status == MMDB_IO_ERROR) && err)
			geo_warn_append(warn, warnlen,
					"GeoIP %s database %s: cannot open: %s \xe2\x80\x94 %s lookups disabled",
					what, path, strerror(err), what);
		else
			geo_warn_append(warn, warnlen,
					"GeoIP %s database %s: %s \xe2\x80\x94 %s lookups disabled",
					what, path, MMDB_strerror(status), what);
		return;
	}
	mismatch = geo_type_mismatch(f->mmdb.metadata.database_type, kind);
	if (mismatch) {
		geo_warn_append(warn, warnlen,
				"GeoIP %s database %s: type \"%s\" is %s \xe2\x80\x94 %s lookups disabled",
				what, path, f->mmdb.metadata.database_type, mismatch, what);
		MMDB_close(&f->mmdb);
		return;
	}
	f->open = true;
	geo_file_describe(f);
}

struct geo_db *geo_db_open(const char *country_path, const char *asn_path,
			   char *warn, size_t warnlen)
{
	struct geo_db *db = calloc(1, sizeof(*db));

	if (warn && warnlen)
		warn[0] = '\0';
	if (!db)
		return NULL;
	geo_file_open(&db->country, country_path, GEO_KIND_COUNTRY, warn, warnlen);
	geo_file_open(&db->asn, asn_path, GEO_KIND_ASN, warn, warnlen);
	return db;
}

void geo_db_close(struct geo_db *db)
{
	if (!db)
		return;
	if (db->country.open)
		MMDB_close(&db->country.mmdb);
	if (db->asn.open)
		MMDB_close(&db->asn.mmdb);
	free(db);
}

int geo_db_has_country(const struct geo_db *db)
{
	return db && db->country.open;
}

int geo_db_has_asn(const struct geo_db *db)
{
	return db && db->asn.open;
}

void geo_db_describe(const struct geo_db *db, char *buf, size_t len)
{
	if (!buf || len == 0)
		return;
	snprintf(buf, len, "country: %s, asn: %s (libmaxminddb %s)",
		 geo_db_has_country(db) ? db->country.desc : "none",
		 geo_db_has_asn(db) ? db->asn.desc : "none", MMDB_lib_version());
}

/* ---- reading one record ----------------------------------------------- */

/* 0 found or absent, -1 a real error (corrupt data). */
static int geo_get(MMDB_entry_s *entry, MMDB_entry_data_s *out, const char *const *path)
{
	int status = MMDB_aget_value(entry, out, path);

	if (status == MMDB_SUCCESS)
		return 0;
	out->has_data = false;
	/* a path that walks into a value of another shape is just "not there" */
	return status == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR ? 0 : -1;
}

static int geo_read_country(MMDB_entry_s *entry, char country[3])
{
	static const char *const paths[][3] = {
		{ "country", "iso_code", NULL },
		{ "registered_country", "iso_code", NULL },
		{ "country_code", NULL, NULL },
	};
	int rc = 0;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		MMDB_entry_data_s d;
		MMDB_entry_s e = *entry;

		if (geo_get(&e, &d, paths[i]) < 0) {
			rc = -1;
			continue;
		}
		if (!d.has_data || d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size != 2)
			continue;
		char a = d.utf8_string[0], b = d.utf8_string[1];
		if (a >= 'a' && a <= 'z')
			a = (char)(a - 'a' + 'A');
		if (b >= 'a' && b <= 'z')
			b = (char)(b - 'a' + 'A');
		if (a < 'A' || a > 'Z' || b < 'A' || b > 'Z')
			continue;
		country[0] = a;
		country[1] = b;
		country[2] = '\0';
		return 0;
	}
	return rc;
}

/* Copy at most dstlen-1 bytes of a (not NUL-terminated) string, stopping at
 * an embedded NUL, and never ending in the middle of a UTF-8 sequence. */
static void geo_copy_utf8(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	const char *nul = memchr(src, '\0', srclen);
	size_t n;

	if (nul)
		srclen = (size_t)(nul - src);
	n = srclen < dstlen - 1 ? srclen : dstlen - 1;
	if (n < srclen) {
		/* src[n] is the first byte left out: if it continues a sequence,
		 * drop that sequence's first bytes too */
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int geo_read_asn(MMDB_entry_s *entry, struct geo_info *info)
{
	static const char *const num_path[] = { "autonomous_system_number", NULL };
	static const char *const org_path[] = { "autonomous_system_organization", NULL };
	MMDB_entry_data_s d;
	MMDB_entry_s e = *entry;
	int rc = 0;

	if (geo_get(&e, &d, num_path) < 0) {
		rc = -1;
	} else if (d.has_data) {
		switch (d.type) {
		case MMDB_DATA_TYPE_UINT32:
			info->asn = d.uint32;
			break;
		case MMDB_DATA_TYPE_UINT16:
			info->asn = d.uint16;
			break;
		case MMDB_DATA_TYPE_UINT64:
			if (d.uint64 <= UINT32_MAX)
				info->asn = (uint32_t)d.uint64;
			break;
		case MMDB_DATA_TYPE_INT32:
			if (d.int32 > 0)
				info->asn = (uint32_t)d.int32;
			break;
		default:
			break;
		}
	}
	e = *entry;
	if (geo_get(&e, &d, org_path) < 0)
		rc = -1;
	else if (d.has_data && d.type == MMDB_DATA_TYPE_UTF8_STRING)
		geo_copy_utf8(info->org, sizeof(info->org), d.utf8_string, d.data_size);
	return rc;
}

/* One database lookup.  0 (found or not), -1 on an error. */
static int geo_file_lookup(const struct geo_file *f, const struct sockaddr *sa,
			   enum geo_kind kind, struct geo_info *info)
{
	MMDB_lookup_result_s res;
	int err = MMDB_SUCCESS;

	if (!f->open)
		return 0;
	if (sa->sa_family == AF_INET6 && f->mmdb.metadata.ip_version != 6)
		return 0;    /* an IPv4-only file knows nothing about IPv6 */
	res = MMDB_lookup_sockaddr(&f->mmdb, sa, &err);
	if (err != MMDB_SUCCESS)
		return -1;
	if (!res.found_entry)
		return 0;
	return kind == GEO_KIND_COUNTRY ? geo_read_country(&res.entry, info->country)
					: geo_read_asn(&res.entry, info);
}

/* ---- addresses no database knows ------------------------------------- */

struct geo_prefix {
	uint8_t bytes[16];
	uint8_t len;
};

static bool geo_prefix_match(const uint8_t *addr, const struct geo_prefix *p)
{
	uint8_t full = p->len / 8, rest = p->len % 8;

	if (memcmp(addr, p->bytes, full))
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xFF << (8 - rest));
	return (addr[full] & mask) == (p->bytes[full] & mask);
}

/* RFC 6890 and the IANA special-purpose registries: not routed on the
 * public Internet, or shared by many networks. */
static bool geo_is_special(int ip_version, const uint8_t *a)
{
	static const struct geo_prefix v4[] = {
		{ { 0 }, 8 },                       /* "this network" */
		{ { 10 }, 8 },                      /* RFC 1918 */
		{ { 100, 64 }, 10 },                /* RFC 6598 CGNAT */
		{ { 127 }, 8 },                     /* loopback */
		{ { 169, 254 }, 16 },               /* link-local */
		{ { 172, 16 }, 12 },                /* RFC 1918 */
		{ { 192, 0, 0 }, 24 },              /* IETF protocol assignments */
		{ { 192, 0, 2 }, 24 },              /* TEST-NET-1 */
		{ { 192, 168 }, 16 },               /* RFC 1918 */
		{ { 198, 18 }, 15 },                /* benchmarking */
		{ { 198, 51, 100 }, 24 },           /* TEST-NET-2 */
		{ { 203, 0, 113 }, 24 },            /* TEST-NET-3 */
		{ { 224 }, 4 },                     /* multicast */
		{ { 240 }, 4 },                     /* reserved, broadcast */
	};
	static const struct geo_prefix v6[] = {
		{ { 0 }, 128 },                     /* unspecified */
		{ { [15] = 1 }, 128 },              /* loopback */
		{ { 0x20, 0x01, 0x0d, 0xb8 }, 32 }, /* documentation */
		{ { 0xfc }, 7 },                    /* RFC 4193 unique local */
		{ { 0xfe, 0x80 }, 10 },             /* link-local */
		{ { 0xfe, 0xc0 }, 10 },             /* deprecated site-local */
		{ { 0xff }, 8 },                    /* multicast */
	};
	const struct geo_prefix *t = ip_version == 4 ? v4 : v6;
	size_t n = ip_version == 4 ? sizeof(v4) / sizeof(v4[0]) : sizeof(v6) / sizeof(v6[0]);

	for (size_t i = 0; i < n; i++)
		if (geo_prefix_match(a, &t[i]))
			return true;
	return false;
}

/* ---- the cache -------------------------------------------------------- */

struct geo_cache *geo_cache_new(const struct geo_db *db, uint32_t entries)
{
	struct geo_cache *c;
	uint32_t n = GEO_CACHE_MIN_ENTRIES;

	while (n < entries && n < GEO_CACHE_MAX_ENTRIES)
		n <<= 1;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->slots = calloc(n, sizeof(*c->slots));
	if (!c->slots) {
		free(c);
		return NULL;
	}
	c->db = db;
	c->mask = n - 1;
	return c;
}

void geo_cache_free(struct geo_cache *c)
{
	if (!c)
		return;
	free(c->slots);
	free(c);
}

void geo_cache_stats_get(const struct geo_cache *c, struct geo_cache_stats *out)
{
	*out = c->stats;
}

static uint32_t geo_cache_hash(int ip_version, const uint8_t key[16])
{
	uint64_t h = (uint64_t)ip_version, w;

	for (int i = 0; i < 16; i += 8) {
		memcpy(&w, key + i, sizeof(w));
		h ^= w;
		h *= 0x9E3779B97F4A7C15ULL;
		h ^= h >> 29;
	}
	return (uint32_t)(h >> 32);
}

const struct geo_info *geo_lookup(struct geo_cache *c, int ip_version, const uint8_t *addr)
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	uint8_t key[16] = { 0 };
	struct geo_cache_slot *s;
	union {
		struct sockaddr sa;
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
	} sa;
	int rc;

	c->stats.lookups++;
	if (!addr || (ip_version != 4 && ip_version != 6)) {
		c->stats.errors++;
		return &c->empty;
	}
	if (ip_version == 6 && !memcmp(addr, v4mapped, sizeof(v4mapped))) {
		ip_version = 4;
		addr += 12;
	}
	memcpy(key, addr, ip_version == 4 ? 4 : 16);
	if (geo_is_special(ip_version, key))
		return &c->empty;
	if (!c->db || (!c->db->country.open && !c->db->asn.open))
		return &c->empty;

	s = &c->slots[geo_cache_hash(ip_version, key) & c->mask];
	if (s->ip_version == ip_version && !memcmp(s->addr, key, sizeof(key))) {
		c->stats.hits++;
		return &s->info;
	}
	c->stats.misses++;

	memset(&sa, 0, sizeof(sa));
	if (ip_version == 4) {
		sa.in4.sin_family = AF_INET;
		memcpy(&sa.in4.sin_addr, key, 4);
	} else {
		sa.in6.sin6_family = AF_INET6;
		memcpy(&sa.in6.sin6_addr, key, 16);
	}
	memset(&s->info, 0, sizeof(s->info));
	rc = geo_file_lookup(&c->db->country, &sa.sa, GEO_KIND_COUNTRY, &s->info);
	if (geo_file_lookup(&c->db->asn, &sa.sa, GEO_KIND_ASN, &s->info) < 0)
		rc = -1;
	if (rc < 0) {
		/* keep what was read but do not cache it: the next lookup retries */
		c->stats.errors++;
		s->ip_version = 0;
		return &s->info;
	}
	s->ip_version = (uint8_t)ip_version;
	memcpy(s->addr, key, sizeof(key));
	return &s->info;
}
