/* Unit tests: geo — lookups in MaxMind's test databases and in the synthetic
 * fixtures of test-data/mmdb (every expected value was checked with
 * mmdblookup), private addresses, the cache, and databases that are missing,
 * unreadable or of the wrong kind.  Run from the top of the repository, or
 * set ZW_TOP to it. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "geo.h"

#define GEO_TEST_DIR "test-data/mmdb/"

struct test_paths {
	char country[512], asn[512], city[512], zw_country[512], zw_asn[512], not_mmdb[512];
};

static void test_paths_init(struct test_paths *p)
{
	const char *top = getenv("ZW_TOP");

	if (!top || !*top)
		top = ".";
	snprintf(p->country, sizeof(p->country), "%s/" GEO_TEST_DIR "GeoLite2-Country-Test.mmdb", top);
	snprintf(p->asn, sizeof(p->asn), "%s/" GEO_TEST_DIR "GeoLite2-ASN-Test.mmdb", top);
	snprintf(p->city, sizeof(p->city), "%s/" GEO_TEST_DIR "GeoIP2-City-Test.mmdb", top);
	snprintf(p->zw_country, sizeof(p->zw_country), "%s/" GEO_TEST_DIR "zw-country-Test.mmdb", top);
	snprintf(p->zw_asn, sizeof(p->zw_asn), "%s/" GEO_TEST_DIR "zw-asn-Test.mmdb", top);
	snprintf(p->not_mmdb, sizeof(p->not_mmdb), "%s/" GEO_TEST_DIR "README.md", top);
}

/* Look an address given as text up; NULL (and a failed check) if the text
 * is not an address. */
static const struct geo_info *look(struct geo_cache *c, const char *text)
{
	uint8_t a[16];

	if (inet_pton(AF_INET, text, a) == 1)
		return geo_lookup(c, 4, a);
	if (inet_pton(AF_INET6, text, a) == 1)
		return geo_lookup(c, 6, a);
	CHECK(0, "test bug: '%s' is not an address", text);
	return NULL;
}

/* One expected answer; country/org "" and asn 0 mean "nothing known". */
static void expect(struct geo_cache *c, const char *ip, const char *country, uint32_t asn,
		   const char *org)
{
	const struct geo_info *g = look(c, ip);

	if (!g)
		return;
	CHECK(!strcmp(g->country, country), "%s: country '%s', want '%s'", ip, g->country, country);
	CHECK(g->asn == asn, "%s: asn %u, want %u", ip, g->asn, asn);
	CHECK(!strcmp(g->org, org), "%s: org '%s', want '%s'", ip, g->org, org);
}

static int has(const char *s, const char *part)
{
	return strstr(s, part) != NULL;
}

static void test_maxmind_test_dbs(const struct test_paths *p)
{
	char warn[512] = "x", desc[512];
	struct geo_db *db = geo_db_open(p->country, p->asn, warn, sizeof(warn));
	struct geo_cache *c;

	CHECK(db != NULL, "open");
	if (!db)
		return;
	CHECK(warn[0] == '\0', "no warning, got '%s'", warn);
	CHECK(geo_db_has_country(db) && geo_db_has_asn(db), "both loaded");
	geo_db_describe(db, desc, sizeof(desc));
	CHECK(has(desc, "country: GeoLite2-Country (built 2026-02-04)") &&
	      has(desc, "asn: GeoLite2-ASN (built 2026-02-04)"), "describe: %s", desc);

	c = geo_cache_new(db, 100);
	CHECK(c != NULL, "cache");
	if (!c) {
		geo_db_close(db);
		return;
	}
	/* country.iso_code wins over registered_country (DE here) */
	expect(c, "89.160.20.112", "SE", 29518, "Bredband2 AB");
	expect(c, "81.2.69.142", "GB", 0, "");
	expect(c, "2001:218::1", "JP", 0, "");
	expect(c, "216.160.83.56", "US", 209, "");       /* AS without a name */
	expect(c, "1.128.0.0", "", 1221, "Telstra Pty Ltd");
	expect(c, "2600:7000::1", "", 6939, "Hurricane Electric, Inc.");
	expect(c, "175.16.199.0", "", 0, "");            /* in City, not in Country */
	expect(c, "8.8.8.8", "", 0, "");                 /* in no test database */
	expect(c, "::ffff:89.160.20.112", "SE", 29518, "Bredband2 AB");   /* v4-mapped */

	struct geo_cache_stats st;
	geo_cache_stats_get(c, &st);
	CHECK(st.lookups == 9 && st.errors == 0, "lookups %llu errors %llu",
	      (unsigned long long)st.lookups, (unsigned long long)st.errors);
	CHECK(st.hits + st.misses == 9, "hits %llu + misses %llu",
	      (unsigned long long)st.hits, (unsigned long long)st.misses);
	geo_cache_free(c);
	geo_db_close(db);
}

static void test_city_db(const struct test_paths *p)
{
	char warn[256];
	struct geo_db *db = geo_db_open(p->city, NULL, warn, sizeof(warn));
	struct geo_cache *c = geo_cache_new(db, 16);

	CHECK(db && c && warn[0] == '\0' && geo_db_has_country(db) && !geo_db_has_asn(db),
	      "City database as country database: '%s'", warn);
	if (!db || !c)
		goto out;
	expect(c, "81.2.69.142", "GB", 0, "");
	expect(c, "2.125.160.216", "GB", 0, "");
	expect(c, "175.16.199.0", "CN", 0, "");
	expect(c, "214.78.120.1", "US", 0, "");
out:
	geo_cache_free(c);
	geo_db_close(db);
}

/* The layouts the MaxMind test files do not have: registered_country only,
 * ip-location-db's top-level country_code, lower case, a malformed code;
 * organisation names at and across GEO_ORG_MAX; an unaligned range. */
static void test_fixtures(const struct test_paths *p)
{
	char warn[256], want[GEO_ORG_MAX];
	struct geo_db *db = geo_db_open(p->zw_country, p->zw_asn, warn, sizeof(warn));
	struct geo_cache *c = geo_cache_new(db, 64);
	struct geo_cache_stats st;

	CHECK(db && c && warn[0] == '\0' && geo_db_has_country(db) && geo_db_has_asn(db),
	      "fixtures open: '%s'", warn);
	if (!db || !c)
		goto out;
	expect(c, "1.2.3.1", "AU", 64500, "Example \"Quoted\", Inc.");
	expect(c, "1.2.6.1", "", 64503, "");            /* "XYZ" is no country; no name */
	expect(c, "2a00:1450::1", "IE", 64510, "IPv6 Example Net");
	expect(c, "1.2.7.4", "", 0, "");
	expect(c, "1.2.7.5", "", 64505, "Odd Range");
	expect(c, "1.2.7.10", "", 64505, "Odd Range");
	expect(c, "1.2.7.11", "", 0, "");

	/* registered_country when there is no country */
	const struct geo_info *g = look(c, "1.2.4.1");
	CHECK(g && !strcmp(g->country, "DE"), "registered_country fallback: '%s'", g ? g->country : "");
	/* "fr" in country.iso_code (over registered BE), upper-cased */
	g = look(c, "1.2.5.1");
	CHECK(g && !strcmp(g->country, "FR"), "lower-case code: '%s'", g ? g->country : "");

	/* 94 'A' then U+00E9 (2 bytes) crossing the 95-byte limit: é dropped */
	memset(want, 'A', 94);
	want[94] = '\0';
	g = look(c, "1.2.4.1");
	CHECK(g && g->asn == 64501 && !strcmp(g->org, want), "2-byte cut: '%s'", g ? g->org : "");
	/* 93 'B' then a 4-byte emoji across the limit */
	memset(want, 'B', 93);
	want[93] = '\0';
	g = look(c, "1.2.5.1");
	CHECK(g && g->asn == 64502 && !strcmp(g->org, want), "4-byte cut: '%s'", g ? g->org : "");
	/* exactly 95 bytes: all kept */
	memset(want, 'C', 95);
	want[95] = '\0';
	g = look(c, "1.2.8.1");
	CHECK(g && !strcmp(g->org, want), "95 bytes kept: '%s'", g ? g->org : "");
	/* 93 'E' + é ends exactly at 95 bytes: all kept */
	memset(want, 'E', 93);
	memcpy(want + 93, "\xc3\xa9", 3);
	g = look(c, "1.2.9.1");
	CHECK(g && !strcmp(g->org, want) && strlen(g->org) == 95, "sequence ending at the limit: '%s'",
	      g ? g->org : "");

	geo_cache_stats_get(c, &st);
	CHECK(st.errors == 0, "no lookup errors (%llu)", (unsigned long long)st.errors);
out:
	geo_cache_free(c);
	geo_db_close(db);
}

static void test_private(const struct test_paths *p)
{
	static const char *const special[] = {
		"10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "127.0.0.1",
		"169.254.10.20", "100.64.0.1", "100.127.255.255", "224.0.0.251", "239.255.255.250",
		"255.255.255.255", "0.0.0.0", "::", "::1", "fe80::1", "fc00::1", "fd12:3456::1",
		"ff02::fb", "::ffff:10.0.0.1", "::ffff:192.168.0.1",
	};
	struct geo_db *db = geo_db_open(p->country, p->asn, NULL, 0);
	struct geo_cache *c = geo_cache_new(db, 16);
	struct geo_cache_stats st;
	size_t n = sizeof(special) / sizeof(special[0]);

	CHECK(db && c, "open");
	if (!db || !c)
		goto out;
	for (size_t i = 0; i < n; i++)
		expect(c, special[i], "", 0, "");
	geo_cache_stats_get(c, &st);
	CHECK(st.lookups == n && st.hits == 0 && st.misses == 0 && st.errors == 0,
	      "private: %llu lookups, %llu hits, %llu misses (no database access)",
	      (unsigned long long)st.lookups, (unsigned long long)st.hits, (unsigned long long)st.misses);
	/* just outside 100.64.0.0/10 and 172.16.0.0/12: public, so looked up */
	expect(c, "100.63.255.255", "", 0, "");
	expect(c, "100.128.0.1", "", 0, "");
	expect(c, "172.32.0.1", "", 0, "");
	geo_cache_stats_get(c, &st);
	CHECK(st.misses == 3, "public neighbours looked up: %llu misses", (unsigned long long)st.misses);
out:
	geo_cache_free(c);
	geo_db_close(db);
}

static void test_cache(const struct test_paths *p)
{
	static const struct {
		const char *ip, *country;
		uint32_t asn;
	} known[] = {
		{ "89.160.20.112", "SE", 29518 }, { "81.2.69.142", "GB", 0 },
		{ "2001:218::1", "JP", 0 },       { "216.160.83.56", "US", 209 },
		{ "1.128.0.0", "", 1221 },        { "2600:7000::1", "", 6939 },
		{ "67.43.156.0", "BT", 35908 },   { "202.196.224.0", "PH", 0 },
	};
	struct geo_db *db = geo_db_open(p->country, p->asn, NULL, 0);
	struct geo_cache *c = geo_cache_new(db, 0);   /* the minimum, 16 */
	struct geo_cache_stats st;
	const struct geo_info *g;
	int wrong = 0;

	CHECK(db && c, "open");
	if (!db || !c)
		goto out;
	g = look(c, "89.160.20.112");
	g = look(c, "89.160.20.112");
	CHECK(g && g->asn == 29518 && !strcmp(g->country, "SE"), "cached answer");
	geo_cache_stats_get(c, &st);
	CHECK(st.lookups == 2 && st.misses == 1 && st.hits == 1, "first miss then hit: %llu/%llu/%llu",
	      (unsigned long long)st.lookups, (unsigned long long)st.misses, (unsigned long long)st.hits);
	/* same bytes, other family: a different key */
	uint8_t a6[16] = { 89, 160, 20, 112 };
	g = geo_lookup(c, 6, a6);
	CHECK(g && g->asn == 0 && g->country[0] == '\0', "59a0:1470:: is not 89.160.20.112");
	geo_cache_stats_get(c, &st);
	CHECK(st.misses == 2, "IPv6 key missed");

	/* many rounds through a small cache: colliding slots never give
	 * another address's answer */
	for (int round = 0; round < 50; round++) {
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
			g = look(c, known[i].ip);
			if (!g || strcmp(g->country, known[i].country) || g->asn != known[i].asn)
				wrong++;
		}
		/* and some addresses that are in no database, to churn slots */
		char ip[32];
		snprintf(ip, sizeof(ip), "8.8.%d.%d", round, round * 7 % 256);
		look(c, ip);
	}
	CHECK(wrong == 0, "%d wrong answers under collisions", wrong);
	geo_cache_stats_get(c, &st);
	CHECK(st.hits > 0 && st.hits + st.misses == st.lookups && st.errors == 0,
	      "totals: %llu lookups = %llu hits + %llu misses",
	      (unsigned long long)st.lookups, (unsigned long long)st.hits, (unsigned long long)st.misses);

	/* a bad ip_version is an error, and empty */
	g = geo_lookup(c, 5, a6);
	geo_cache_stats_get(c, &st);
	CHECK(g && g->country[0] == '\0' && g->asn == 0 && st.errors == 1, "bad version: %llu errors",
	      (unsigned long long)st.errors);
out:
	geo_cache_free(c);
	geo_db_close(db);
}

static void test_missing_and_wrong(const struct test_paths *p)
{
	char warn[512], desc[256];
	struct geo_db *db;
	struct geo_cache *c;

	/* a missing country file: a warning naming it, the ASN side still works */
	db = geo_db_open("/nonexistent/zw-missing.mmdb", p->asn, warn, sizeof(warn));
	CHECK(db != NULL, "missing file is not fatal");
	if (db) {
		CHECK(has(warn, "/nonexistent/zw-missing.mmdb") && has(warn, "No such file or directory") &&
		      has(warn, "country lookups disabled"), "warning: %s", warn);
		CHECK(!geo_db_has_country(db) && geo_db_has_asn(db), "only ASN loaded");
		c = geo_cache_new(db, 16);
		expect(c, "89.160.20.112", "", 29518, "Bredband2 AB");
		geo_cache_free(c);
		geo_db_describe(db, desc, sizeof(desc));
		CHECK(has(desc, "country: none") && has(desc, "asn: GeoLite2-ASN"), "describe: %s", desc);
		geo_db_close(db);
	}

	/* both missing: two warnings, all lookups empty */
	db = geo_db_open("/nonexistent/a.mmdb", "/nonexistent/b.mmdb", warn, sizeof(warn));
	CHECK(db && has(warn, "/nonexistent/a.mmdb") && has(warn, "/nonexistent/b.mmdb") &&
	      has(warn, "ASN lookups disabled"), "two warnings: %s", warn);
	c = geo_cache_new(db, 16);
	expect(c, "89.160.20.112", "", 0, "");
	geo_cache_free(c);
	geo_db_close(db);

	/* not a MaxMind DB at all */
	db = geo_db_open(p->not_mmdb, NULL, warn, sizeof(warn));
	CHECK(db && !geo_db_has_country(db) && has(warn, p->not_mmdb) && has(warn, "metadata"),
	      "not a database: %s", warn);
	geo_db_close(db);

	/* a directory */
	db = geo_db_open("/", NULL, warn, sizeof(warn));
	CHECK(db && !geo_db_has_country(db) && has(warn, "database /:"), "directory: %s", warn);
	geo_db_close(db);

	/* the ASN database given as the country database, and the other way */
	db = geo_db_open(p->asn, p->country, warn, sizeof(warn));
	CHECK(db && !geo_db_has_country(db) && !geo_db_has_asn(db), "wrong kinds refused");
	CHECK(has(warn, p->asn) && has(warn, "GeoLite2-ASN") && has(warn, "not a country database"),
	      "ASN as country: %s", warn);
	CHECK(has(warn, p->country) && has(warn, "not an AS number database"), "country as ASN: %s", warn);
	geo_db_close(db);

	/* nothing configured: no warning, empty answers */
	strcpy(warn, "x");
	db = geo_db_open(NULL, NULL, warn, sizeof(warn));
	CHECK(db && warn[0] == '\0' && !geo_db_has_country(db) && !geo_db_has_asn(db),
	      "NULL paths: '%s'", warn);
	c = geo_cache_new(db, 16);
	expect(c, "89.160.20.112", "", 0, "");
	expect(c, "2001:218::1", "", 0, "");
	geo_cache_free(c);
	geo_db_describe(db, desc, sizeof(desc));
	CHECK(has(desc, "country: none, asn: none"), "describe: %s", desc);
	geo_db_close(db);
	db = geo_db_open("", "", warn, sizeof(warn));
	CHECK(db && warn[0] == '\0' && !geo_db_has_country(db), "empty paths: '%s'", warn);
	geo_db_close(db);

	/* a short warning buffer is cut, still terminated */
	char small[12];
	memset(small, 'z', sizeof(small));
	db = geo_db_open("/nonexistent/a.mmdb", "/nonexistent/b.mmdb", small, sizeof(small));
	CHECK(db && strlen(small) == sizeof(small) - 1, "short buffer: '%s'", small);
	geo_db_close(db);

	/* closing and freeing nothing */
	geo_db_close(NULL);
	geo_cache_free(NULL);
}

int main(void)
{
	struct test_paths p = { .country = "" };

	test_paths_init(&p);
	test_maxmind_test_dbs(&p);
	test_city_db(&p);
	test_fixtures(&p);
	test_private(&p);
	test_cache(&p);
	test_missing_and_wrong(&p);
	return check_done();
}
