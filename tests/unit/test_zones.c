/* Unit tests: network zones (zones.h) — the built-in zones, define and
 * rename, networks (comma and blank separated, IPv4 and IPv6), longest
 * prefix across zones, errors, and unlisted addresses → external. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "zones.h"


/* Zone of a textual address (IPv4 or IPv6); -2 for a bad test address. */
static int zone_of(const struct zones *z, const char *text)
{
	uint8_t a[16] = { 0 };

	if (inet_pton(AF_INET, text, a) == 1)
		return zones_lookup(z, 4, a);
	if (inet_pton(AF_INET6, text, a) == 1)
		return zones_lookup(z, 6, a);
	return -2;
}

static void test_builtin(void)
{
	struct zones *z = zones_new();

	CHECK(z != NULL, "new");
	if (!z)
		return;
	CHECK(zones_count(z) == 4, "four zones to start with (%u)", zones_count(z));
	CHECK(ZONES_EXTERNAL == 0 && zones_find(z, "external") == ZONES_EXTERNAL, "external is 0");
	CHECK(zones_find(z, "core") == 1 && zones_find(z, "lgwan") == 2 && zones_find(z, "internet") == 3,
	      "core, lgwan, internet in that order");
	CHECK(!strcmp(zones_key(z, 0), "external") && !strcmp(zones_name(z, 0), "external"),
	      "external key and name");
	CHECK(!strcmp(zones_key(z, 1), "core") && !strcmp(zones_name(z, 1), "基幹系"), "core: 基幹系");
	CHECK(!strcmp(zones_key(z, 2), "lgwan") && !strcmp(zones_name(z, 2), "LGWAN接続系"),
	      "lgwan: LGWAN接続系");
	CHECK(!strcmp(zones_key(z, 3), "internet") && !strcmp(zones_name(z, 3), "情報系"),
	      "internet: 情報系");
	CHECK(zones_find(z, "dmz") == -1 && zones_find(z, "") == -1 && zones_find(z, "Core") == -1,
	      "unknown keys: -1 (keys are case-sensitive)");
	/* out-of-range indexes read as external */
	CHECK(!strcmp(zones_key(z, 4), "external") && !strcmp(zones_key(z, -1), "external") &&
	      !strcmp(zones_name(z, 99), "external"), "bad index → external");
	/* without networks, everything is external */
	CHECK(zone_of(z, "10.0.0.1") == ZONES_EXTERNAL && zone_of(z, "2001:db8::1") == ZONES_EXTERNAL &&
	      zone_of(z, "0.0.0.0") == ZONES_EXTERNAL, "no networks: external");
	zones_free(z);
	zones_free(NULL);
}

static void test_define(void)
{
	struct zones *z = zones_new();
	char err[256];
	int dmz, i, n;

	if (!z)
		return;
	dmz = zones_define(z, "dmz", "DMZ セグメント", err, sizeof(err));
	CHECK(dmz == 4 && zones_count(z) == 5, "new zone gets the next index (%d)", dmz);
	CHECK(!strcmp(zones_key(z, dmz), "dmz") && !strcmp(zones_name(z, dmz), "DMZ セグメント"),
	      "key and display name");
	CHECK(zones_find(z, "dmz") == dmz, "found");
	/* rename: same index, new display name */
	CHECK(zones_define(z, "dmz", "非武装", err, sizeof(err)) == dmz && zones_count(z) == 5,
	      "redefine keeps the index");
	CHECK(!strcmp(zones_name(z, dmz), "非武装"), "renamed");
	CHECK(zones_define(z, "core", "Core network", err, sizeof(err)) == 1 &&
	      !strcmp(zones_name(z, 1), "Core network") && !strcmp(zones_key(z, 1), "core"),
	      "built-in zone renamed, key kept");
	/* no display name: the key */
	CHECK(zones_define(z, "lab-2_x", NULL, err, sizeof(err)) == 5 &&
	      !strcmp(zones_name(z, 5), "lab-2_x"), "NULL display name → key");
	CHECK(zones_define(z, "lab3", "", err, sizeof(err)) == 6 && !strcmp(zones_name(z, 6), "lab3"),
	      "empty display name → key");
	/* bad keys */
	static const char *const bad[] = { "", "Core", "a b", "a.b", "基幹", "x/y",
					   "abcdefghijklmnopqrstuvwxyz0123456" /* 33 */ };
	for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++) {
		char want[128];

		err[0] = '\0';
		snprintf(want, sizeof(want), "zone key '%s': expected 1-32 of a-z 0-9 _ -", bad[i]);
		CHECK(zones_define(z, bad[i], "x", err, sizeof(err)) == -1 && !strcmp(err, want),
		      "bad key '%s': %s", bad[i], err);
	}
	CHECK(zones_define(z, "abcdefghijklmnopqrstuvwxyz012345", NULL, err, sizeof(err)) == 7,
	      "32-character key is fine");
	CHECK(zones_count(z) == 8, "bad keys added nothing (%u)", zones_count(z));
	/* the cap */
	n = (int)zones_count(z);
	for (i = n; i < ZONES_MAX; i++) {
		char key[16];
		snprintf(key, sizeof(key), "z%d", i);
		if (zones_define(z, key, NULL, err, sizeof(err)) != i)
			break;
	}
	CHECK(i == ZONES_MAX && zones_count(z) == ZONES_MAX, "up to %d zones (%d)", ZONES_MAX, i);
	CHECK(zones_define(z, "one-more", NULL, err, sizeof(err)) == -1 &&
	      !strcmp(err, "zone 'one-more': more than 64 zones"), "too many: %s", err);
	CHECK(zones_define(z, "z10", "renamed", err, sizeof(err)) == 10, "renaming still works at the cap");
	zones_free(z);
}

static void test_networks(void)
{
	struct zones *z = zones_new();
	char err[256];
	int core, lgwan, inet, dmz;

	if (!z)
		return;
	core = zones_find(z, "core");
	lgwan = zones_find(z, "lgwan");
	inet = zones_find(z, "internet");
	dmz = zones_define(z, "dmz", NULL, err, sizeof(err));

	CHECK(zones_add_networks(z, core, "10.0.0.0/8", err, sizeof(err)) == 0, "core: %s", err);
	CHECK(zones_add_networks(z, lgwan, "10.1.0.0/16,10.200.0.0/16 , 2001:db8:1::/48", err,
				 sizeof(err)) == 0, "lgwan, comma separated: %s", err);
	CHECK(zones_add_networks(z, inet, "10.1.2.0/24\t192.168.0.0/16  2001:db8:1:2::/64", err,
				 sizeof(err)) == 0, "internet, blank separated: %s", err);
	CHECK(zones_add_networks(z, dmz, "10.1.2.128/25, 2001:db8::1, 198.51.100.7", err, sizeof(err)) == 0,
	      "dmz, single addresses: %s", err);
	CHECK(zones_add_networks(z, dmz, "", err, sizeof(err)) == 0 &&
	      zones_add_networks(z, dmz, " , ,\t", err, sizeof(err)) == 0, "empty lists are fine");

	/* longest prefix wins across zones */
	CHECK(zone_of(z, "10.9.9.9") == core, "10.9.9.9: core /8");
	CHECK(zone_of(z, "10.1.9.9") == lgwan, "10.1.9.9: lgwan /16");
	CHECK(zone_of(z, "10.1.2.3") == inet, "10.1.2.3: internet /24");
	CHECK(zone_of(z, "10.1.2.200") == dmz, "10.1.2.200: dmz /25");
	CHECK(zone_of(z, "10.1.2.127") == inet, "10.1.2.127: internet /24 (below the /25)");
	CHECK(zone_of(z, "10.200.255.255") == lgwan, "second lgwan network");
	CHECK(zone_of(z, "192.168.44.1") == inet, "192.168/16");
	CHECK(zone_of(z, "198.51.100.7") == dmz && zone_of(z, "198.51.100.8") == ZONES_EXTERNAL,
	      "a single address");
	CHECK(zone_of(z, "11.0.0.1") == ZONES_EXTERNAL && zone_of(z, "9.255.255.255") == ZONES_EXTERNAL,
	      "unlisted: external");
	CHECK(zone_of(z, "2001:db8:1:5::1") == lgwan, "IPv6 /48");
	CHECK(zone_of(z, "2001:db8:1:2::99") == inet, "IPv6 /64 inside the /48");
	CHECK(zone_of(z, "2001:db8::1") == dmz && zone_of(z, "2001:db8::2") == ZONES_EXTERNAL,
	      "IPv6 single address");
	CHECK(zone_of(z, "::ffff:10.1.2.3") == ZONES_EXTERNAL, "IPv4-mapped IPv6 is not IPv4");
	CHECK(zone_of(z, "2001:db9::1") == ZONES_EXTERNAL, "unlisted IPv6: external");

	/* errors */
	CHECK(zones_add_networks(z, lgwan, "10.0.0.0/8", err, sizeof(err)) == -1 &&
	      strstr(err, "zone lgwan: '10.0.0.0/8' is listed twice") == err,
	      "prefix of another zone: %s", err);
	CHECK(strstr(err, "core") != NULL,
		  "duplicate prefix error should name the zone that has it (core): %s", err);
	CHECK(zones_add_networks(z, core, "10.0.0.0/8", err, sizeof(err)) == -1 &&
	      !strcmp(err, "zone core: '10.0.0.0/8' is listed twice (in this zone or another)"),
	      "same zone twice: %s", err);
	CHECK(zones_add_networks(z, inet, "10.99.0.1/8", err, sizeof(err)) == -1 &&
	      strstr(err, "zone internet: '10.99.0.1/8' is listed twice") == err,
	      "same prefix written with host bits: %s", err);
	CHECK(strstr(err, "core") != NULL, "should name core: %s", err);
	CHECK(zones_add_networks(z, dmz, "2001:DB8:1::/48", err, sizeof(err)) == -1 &&
	      strstr(err, "is listed twice") != NULL, "IPv6 duplicate in another spelling: %s", err);
	CHECK(zones_add_networks(z, dmz, "bogus", err, sizeof(err)) == -1 &&
	      !strcmp(err, "zone dmz: 'bogus': expected an IP address or CIDR prefix, got 'bogus'"),
	      "not an address: %s", err);
	CHECK(zones_add_networks(z, dmz, "172.16.0.0/33", err, sizeof(err)) == -1 &&
	      !strcmp(err, "zone dmz: '172.16.0.0/33': prefix length /33 out of range for IPv4 (0..32) "
			   "in '172.16.0.0/33'"), "bad length: %s", err);
	CHECK(zones_add_networks(z, dmz, "172.16.0.0/12;", err, sizeof(err)) == -1 &&
	      strstr(err, "zone dmz: '172.16.0.0/12;': ") == err, "';' is no separator: %s", err);
	CHECK(zones_add_networks(z, dmz, "example.com", err, sizeof(err)) == -1 &&
	      !strcmp(err, "zone dmz: 'example.com': expected an IP address or CIDR prefix, got "
			   "'example.com'"), "a name: %s", err);
	CHECK(zones_add_networks(z, ZONES_EXTERNAL, "1.2.3.0/24", err, sizeof(err)) == -1 &&
	      !strcmp(err, "zone 0: not a zone that can hold networks"), "external holds none: %s", err);
	CHECK(zones_add_networks(z, 9, "1.2.3.0/24", err, sizeof(err)) == -1 &&
	      !strcmp(err, "zone 9: not a zone that can hold networks"), "undefined index: %s", err);
	CHECK(zones_add_networks(z, -1, "1.2.3.0/24", err, sizeof(err)) == -1, "negative index");
	{
		char big[300];
		memset(big, '1', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		CHECK(zones_add_networks(z, dmz, big, err, sizeof(err)) == -1 &&
		      !strcmp(err, "zone dmz: network '1111111111111111111111111111111111111111...' too long"),
		      "too long: %s", err);
	}
	/* the earlier networks are all still in place */
	CHECK(zone_of(z, "10.1.2.3") == inet && zone_of(z, "172.16.0.1") == ZONES_EXTERNAL,
	      "errors changed no lookup");
	/* an error in the middle of a list: what came before it stays (documented nowhere) */
	CHECK(zones_add_networks(z, dmz, "172.20.0.0/16, nope", err, sizeof(err)) == -1 &&
	      zone_of(z, "172.20.1.1") == dmz, "prefixes before the bad one are kept");
	zones_free(z);
}

int main(void)
{
	test_builtin();
	test_define();
	test_networks();
	return check_done();
}
