/* Unit tests: the rule language (rules.h) — every condition field with a
 * match and a non-match, negation (either-side: neither side may match),
 * value lists, AND of conditions, evidence, suppress statements, metadata,
 * placeholder addresses against named lists, and a table of malformed rules
 * with their exact "name:line:col: ..." errors. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "classify.h"
#include "ioc.h"
#include "rules.h"
#include "zones.h"


#define HDR "alert (sid:1; severity:high; msg:\"m\"; threat:dos; "

static struct classify *cls;
static struct zones *zones;
static int z_core, z_lgwan, z_internet, z_dmz;

/* Named lists every test may use. */
static struct {
	const char *name;
	struct ioc_set *set;
} lists[] = {
	{ "bad_ips", NULL }, { "bad_hosts", NULL }, { "bad_ja3", NULL }, { "bad_certs", NULL },
	{ "gateways", NULL }, { "empty", NULL },
};
#define NLISTS (sizeof(lists) / sizeof(lists[0]))

#define JA3_BAD  "e7d705a3286e19ea42f587b344ee6865"
#define JA3_LIT  "0123456789abcdef0123456789abcdef"
#define JA3_GOOD "ffffffffffffffffffffffffffffffff"
#define SHA1_BAD "a9993e364706816aba3e25717850c26c9cd0d89d"
#define SHA1_LIT "0123456789abcdef0123456789abcdef01234567"

static void lists_init(void)
{
	static const char *const items[][8] = {
		{ "203.0.113.0/24", "198.51.100.7", "127.0.0.1", "0.0.0.0", "::1", "::",
		  "2001:db8:bad::/48", NULL },
		{ "evil.example", "*.tracker.example", NULL },
		{ JA3_BAD, NULL },
		{ SHA1_BAD, NULL },
		{ "192.168.9.9", NULL },
		{ NULL },
	};
	static const enum ioc_type types[] = { IOC_IP, IOC_DOMAIN, IOC_JA3, IOC_SHA1, IOC_IP, IOC_IP };
	char err[256];

	for (size_t i = 0; i < NLISTS; i++) {
		lists[i].set = ioc_set_new(lists[i].name, 100);
		for (size_t k = 0; items[i][k]; k++)
			if (ioc_set_add(lists[i].set, types[i], items[i][k], 0, NULL, NULL, "lists.txt",
					(uint32_t)k + 1, err, sizeof(err)) != 0)
				printf("list %s: %s\n", lists[i].name, err);
	}
}

static void lists_bind(struct rules_set *rs)
{
	for (size_t i = 0; i < rules_list_count(rs); i++)
		for (size_t k = 0; k < NLISTS; k++)
			if (!strcmp(rules_list_name(rs, i), lists[k].name))
				rules_bind_list(rs, i, lists[k].set);
}

/* Parse text, bind the known lists; NULL with the error in err. */
static struct rules_set *parse(const char *text, char *err, size_t errlen)
{
	struct rules_set *rs = rules_set_new(cls, zones);

	err[0] = '\0';
	if (rules_parse_buffer(rs, "t.rules", text, strlen(text), err, errlen) < 0) {
		rules_set_free(rs);
		return NULL;
	}
	lists_bind(rs);
	if (rules_check_bound(rs, err, errlen) < 0) {
		rules_set_free(rs);
		return NULL;
	}
	return rs;
}

/* The error a text gives ("" when it parses and every list is bound). */
static const char *parse_err_n(const char *text, size_t len)
{
	static char err[RULES_ERR_MAX + 64];
	struct rules_set *rs = rules_set_new(cls, zones);

	err[0] = '\0';
	if (rules_parse_buffer(rs, "t.rules", text, len, err, sizeof(err)) == 0) {
		lists_bind(rs);
		if (rules_check_bound(rs, err, sizeof(err)) == 0)
			err[0] = '\0';
	}
	rules_set_free(rs);
	return err;
}

static const char *parse_err(const char *text)
{
	return parse_err_n(text, strlen(text));
}

/* ---- flows ---------------------------------------------------------- */

struct tflow {
	struct rules_flow f;
	uint8_t a[2][16];
	struct geo_info g[2];
};

static void tflow_addr(struct tflow *t, int side, const char *text)
{
	memset(t->a[side], 0, 16);
	if (inet_pton(AF_INET, text, t->a[side]) == 1) {
		t->f.ip_version = 4;
	} else if (inet_pton(AF_INET6, text, t->a[side]) == 1) {
		t->f.ip_version = 6;
	} else {
		printf("bad test address %s\n", text);
		abort();
	}
	t->f.addr[side] = t->a[side];
	t->f.zone[side] = zones_lookup(zones, t->f.ip_version, t->a[side]);
}

/* A TCP flow src:sport → dst:dport, zones looked up, nothing else known. */
static void tflow_init(struct tflow *t, const char *src, uint16_t sport, const char *dst,
		       uint16_t dport)
{
	memset(t, 0, sizeof(*t));
	tflow_addr(t, 0, src);
	tflow_addr(t, 1, dst);
	t->f.proto = 6;
	t->f.port[0] = sport;
	t->f.port[1] = dport;
	t->f.geo[0] = &t->g[0];
	t->f.geo[1] = &t->g[1];
	t->f.breed = -1;
}

/* ---- matching ------------------------------------------------------- */

#define MAX_HITS 16

struct hits {
	unsigned n;
	const struct rules_rule *rule[MAX_HITS];
	unsigned nev[MAX_HITS];
	struct rules_evidence ev[MAX_HITS][RULES_MAX_EVIDENCE];
};

/* Records the matches that raise an alert (silenced ones are counted by
 * rules_match's return value). */
static void on_match(void *ctx, const struct rules_rule *r, const struct rules_evidence *ev,
		     unsigned nev, bool silenced)
{
	struct hits *h = ctx;

	if (silenced || h->n >= MAX_HITS)
		return;
	h->rule[h->n] = r;
	h->nev[h->n] = nev;
	memcpy(h->ev[h->n], ev, (nev < RULES_MAX_EVIDENCE ? nev : RULES_MAX_EVIDENCE) * sizeof(*ev));
	h->n++;
}

static unsigned run(const struct rules_set *rs, const struct tflow *t, struct hits *h)
{
	memset(h, 0, sizeof(*h));
	return rules_match(rs, &t->f, on_match, h);
}

/* 1 when a rule with these conditions matches t, 0 when not, -1 when it
 * does not parse (the error is printed). */
static int cond(const char *conds, const struct tflow *t)
{
	char text[2048], err[RULES_ERR_MAX + 64];
	struct rules_set *rs;
	struct hits h;

	snprintf(text, sizeof(text), HDR "%s)", conds);
	rs = parse(text, err, sizeof(err));
	if (!rs) {
		printf("does not parse: %s: %s\n", conds, err);
		return -1;
	}
	run(rs, t, &h);
	rules_set_free(rs);
	return h.n == 1;
}

/* ---- tests ---------------------------------------------------------- */

static void test_fields_l7(void)
{
	struct tflow t;
	int tls = classify_proto_by_name(cls, "TLS"), tor = classify_proto_by_name(cls, "Tor");
	int web = classify_category_by_name(cls, "Web");

	CHECK(tls > 0 && tor > 0 && web > 0, "nDPI names: TLS %d Tor %d Web %d", tls, tor, web);
	tflow_init(&t, "192.168.1.10", 40000, "198.18.0.1", 443);
	t.f.master = (uint16_t)tls;
	t.f.app = (uint16_t)tor;
	t.f.category = (uint16_t)web;
	t.f.breed = classify_breed_by_name(cls, "unsafe");
	t.f.confidence = (uint8_t)classify_confidence_by_name("dpi");

	CHECK(cond("proto:tcp;", &t) == 1, "proto tcp");
	CHECK(cond("proto:6;", &t) == 1, "proto 6");
	CHECK(cond("proto:udp;", &t) == 0, "proto udp: no");
	CHECK(cond("app:Tor;", &t) == 1, "app Tor");
	CHECK(cond("app:tls;", &t) == 0, "app TLS: no (it is the master)");
	CHECK(cond("master:TLS;", &t) == 1, "master TLS");
	CHECK(cond("master:Tor;", &t) == 0, "master Tor: no");
	CHECK(cond("protocol:TLS;", &t) == 1, "protocol: the master");
	CHECK(cond("protocol:tor;", &t) == 1, "protocol: the app (case ignored)");
	CHECK(cond("protocol:DNS;", &t) == 0, "protocol DNS: no");
	CHECK(cond("category:Web;", &t) == 1, "category Web");
	CHECK(cond("category:VPN;", &t) == 0, "category VPN: no");
	CHECK(cond("breed:unsafe;", &t) == 1, "breed unsafe");
	CHECK(cond("breed:safe;", &t) == 0, "breed safe: no");
	CHECK(cond("breed:potentially_dangerous;", &t) == 0, "breed potentially_dangerous: no");
	CHECK(cond("confidence:dpi;", &t) == 1, "confidence dpi");
	CHECK(cond("confidence:match_by_port;", &t) == 0, "confidence match_by_port: no");
	t.f.breed = -1;
	CHECK(cond("breed:safe;", &t) == 0, "unknown breed (-1) matches no breed");

	/* risk: a bitmask, key or nDPI display string */
	t.f.risk = 1ULL << classify_risk_by_name("url_possible_sql_injection");
	CHECK(cond("risk:url_possible_sql_injection;", &t) == 1, "risk by key");
	CHECK(cond("risk:tls_selfsigned_certificate;", &t) == 0, "other risk: no");
	CHECK(cond("risk:tls_selfsigned_certificate, url_possible_sql_injection;", &t) == 1,
	      "risk list: any");
	t.f.risk = 0;
	CHECK(cond("risk:url_possible_sql_injection;", &t) == 0, "no risk: no");
}

static void test_fields_zone(void)
{
	struct tflow t;

	/* internet zone → external */
	tflow_init(&t, "192.168.1.10", 40000, "198.18.0.1", 443);
	CHECK(t.f.zone[0] == z_internet && t.f.zone[1] == ZONES_EXTERNAL, "zones of the flow");
	CHECK(cond("src.zone:internet;", &t) == 1, "src.zone internet");
	CHECK(cond("src.zone:情報系;", &t) == 1, "src.zone by display name");
	CHECK(cond("src.zone:基幹系;", &t) == 0, "src.zone by display name: no");
	CHECK(cond("src.zone:external;", &t) == 0, "src.zone external: no");
	CHECK(cond("dst.zone:external;", &t) == 1, "dst.zone external");
	CHECK(cond("dst.zone:internet;", &t) == 0, "dst.zone internet: no");
	CHECK(cond("zone:internet;", &t) == 1, "zone (either) src side");
	CHECK(cond("zone:external;", &t) == 1, "zone (either) dst side");
	CHECK(cond("zone:core;", &t) == 0, "zone core: neither side");
	CHECK(cond("zone:core, lgwan;", &t) == 0, "zone core or lgwan: neither");
	CHECK(cond("zone:core, internet;", &t) == 1, "value list: core or internet");
	CHECK(cond("zone:dmz;", &t) == 0, "defined zone dmz: no");

	tflow_init(&t, "10.2.0.5", 40000, "172.16.1.1", 22);
	CHECK(t.f.zone[0] == z_lgwan && t.f.zone[1] == z_dmz, "lgwan → dmz");
	CHECK(cond("dst.zone:dmz;", &t) == 1, "dst.zone dmz");
	CHECK(cond("src.zone:lgwan; dst.zone:dmz;", &t) == 1, "AND of two zones");
	CHECK(cond("src.zone:lgwan; dst.zone:core;", &t) == 0, "AND: one fails");
	CHECK(cond("zone:lgwan; zone:dmz;", &t) == 1, "zone:a; zone:b (two either conditions)");
}

static void test_fields_ip_port(void)
{
	struct tflow t;

	tflow_init(&t, "192.168.1.10", 40000, "203.0.113.9", 8443);
	CHECK(cond("src.ip:192.168.1.10;", &t) == 1, "src.ip literal");
	CHECK(cond("src.ip:192.168.1.11;", &t) == 0, "src.ip other literal: no");
	CHECK(cond("dst.ip:192.168.1.10;", &t) == 0, "dst.ip: wrong side");
	CHECK(cond("ip:192.168.1.10;", &t) == 1, "ip (either): src");
	CHECK(cond("ip:203.0.113.9;", &t) == 1, "ip (either): dst");
	CHECK(cond("src.ip:192.168.0.0/16;", &t) == 1, "src.ip CIDR");
	CHECK(cond("src.ip:192.169.0.0/16;", &t) == 0, "src.ip other CIDR: no");
	CHECK(cond("dst.ip:203.0.113.0/25;", &t) == 1, "dst.ip CIDR /25");
	CHECK(cond("dst.ip:203.0.113.128/25;", &t) == 0, "dst.ip other half: no");
	CHECK(cond("dst.ip:@bad_ips;", &t) == 1, "dst.ip @list");
	CHECK(cond("src.ip:@bad_ips;", &t) == 0, "src.ip @list: no");
	CHECK(cond("ip:@bad_ips;", &t) == 1, "ip @list (either)");
	CHECK(cond("ip:@empty;", &t) == 0, "empty list: no");
	CHECK(cond("ip:10.0.0.1, @empty, 203.0.113.9;", &t) == 1, "literal, list, literal: OR");
	CHECK(cond("ip:@empty, @bad_ips;", &t) == 1, "second list matches");
	CHECK(cond("ip:\"203.0.113.9\";", &t) == 1, "quoted literal");

	CHECK(cond("dst.port:8443;", &t) == 1, "dst.port");
	CHECK(cond("dst.port:443;", &t) == 0, "dst.port other: no");
	CHECK(cond("src.port:8443;", &t) == 0, "src.port: wrong side");
	CHECK(cond("src.port:32768-60999;", &t) == 1, "src.port range");
	CHECK(cond("src.port:1-1023;", &t) == 0, "src.port range: no");
	CHECK(cond("port:40000;", &t) == 1, "port (either): src");
	CHECK(cond("port:80, 443, 8000-8999;", &t) == 1, "port list with range");
	CHECK(cond("port:80, 443;", &t) == 0, "port list: no");
	CHECK(cond("port:0-65535;", &t) == 1, "port full range");
	CHECK(cond("dst.port:8443-8443;", &t) == 1, "single-port range");

	/* IPv6 */
	tflow_init(&t, "2001:db8:1::5", 5353, "2001:db8:bad::1", 53);
	CHECK(cond("dst.ip:@bad_ips;", &t) == 1, "IPv6 in a list prefix");
	CHECK(cond("src.ip:2001:db8:1::/48;", &t) == 1, "IPv6 CIDR literal");
	CHECK(cond("src.ip:2001:db8:2::/48;", &t) == 0, "IPv6 CIDR literal: no");
	CHECK(cond("src.ip:2001:db8:1::5;", &t) == 1, "IPv6 address literal");
	CHECK(cond("ip:192.168.1.10;", &t) == 0, "IPv4 literal vs IPv6 flow: no");
}

static void test_fields_geo(void)
{
	struct tflow t;

	tflow_init(&t, "192.168.1.10", 40000, "198.18.0.1", 443);
	memcpy(t.g[0].country, "JP", 3);
	t.g[0].asn = 2497;
	memcpy(t.g[1].country, "US", 3);
	t.g[1].asn = 15169;
	CHECK(cond("src.country:JP;", &t) == 1, "src.country JP");
	CHECK(cond("dst.country:JP;", &t) == 0, "dst.country JP: no");
	CHECK(cond("country:US;", &t) == 1, "country (either) US");
	CHECK(cond("country:CN, RU;", &t) == 0, "country CN or RU: no");
	CHECK(cond("dst.country:CN, US;", &t) == 1, "country list");
	CHECK(cond("src.asn:2497;", &t) == 1, "src.asn");
	CHECK(cond("src.asn:AS2497;", &t) == 1, "src.asn with AS prefix");
	CHECK(cond("src.asn:as2497;", &t) == 1, "src.asn with as prefix");
	CHECK(cond("dst.asn:AS2497;", &t) == 0, "dst.asn: no");
	CHECK(cond("asn:AS15169;", &t) == 1, "asn (either)");
	CHECK(cond("asn:AS1, AS2;", &t) == 0, "asn list: no");
	/* unknown geo never matches */
	t.g[1].country[0] = '\0';
	t.g[1].asn = 0;
	CHECK(cond("dst.country:US;", &t) == 0, "unknown country: no");
	CHECK(cond("!dst.country:US;", &t) == 1, "unknown country: negation holds");
}

static void test_fields_names(void)
{
	struct tflow t;

	tflow_init(&t, "192.168.1.10", 40000, "198.18.0.1", 443);
	CHECK(cond("hostname:evil.example;", &t) == 0, "no hostname: no");
	CHECK(cond("!hostname:evil.example;", &t) == 1, "no hostname: negation holds");
	t.f.hostname = "Evil.Example";
	CHECK(cond("hostname:evil.example;", &t) == 1, "hostname exact (case ignored)");
	CHECK(cond("hostname:www.evil.example;", &t) == 0, "hostname other: no");
	CHECK(cond("hostname:*.example;", &t) == 1, "hostname *.suffix");
	CHECK(cond("hostname:*.evil.example;", &t) == 0, "*.suffix does not match the suffix itself");
	CHECK(cond("hostname:@bad_hosts;", &t) == 1, "hostname @list exact");
	t.f.hostname = "cdn.a.tracker.example";
	CHECK(cond("hostname:@bad_hosts;", &t) == 1, "hostname @list wildcard");
	CHECK(cond("hostname:\"*.tracker.example\";", &t) == 1, "quoted wildcard literal");
	t.f.hostname = "tracker.example";
	CHECK(cond("hostname:@bad_hosts;", &t) == 0, "hostname @list: suffix itself no");
	t.f.hostname = "";
	CHECK(cond("hostname:@bad_hosts, evil.example;", &t) == 0, "empty hostname: no");

	/* sni: TLS flows only (sni NULL otherwise), even when hostname is set */
	t.f.hostname = "evil.example";
	t.f.sni = NULL;
	CHECK(cond("hostname:evil.example;", &t) == 1, "hostname without sni");
	CHECK(cond("sni:evil.example;", &t) == 0, "sni NULL: no match");
	CHECK(cond("sni:@bad_hosts;", &t) == 0, "sni NULL: no list match");
	t.f.sni = "evil.example";
	CHECK(cond("sni:evil.example;", &t) == 1, "sni exact");
	CHECK(cond("sni:@bad_hosts;", &t) == 1, "sni @list");
	CHECK(cond("sni:good.example;", &t) == 0, "sni other: no");

	/* fingerprints */
	CHECK(cond("ja3c:" JA3_LIT ";", &t) == 0, "ja3c NULL: no");
	t.f.ja3c = JA3_LIT;
	t.f.ja3s = JA3_BAD;
	t.f.cert_sha1 = SHA1_BAD;
	CHECK(cond("ja3c:" JA3_LIT ";", &t) == 1, "ja3c literal");
	CHECK(cond("ja3c:0123456789ABCDEF0123456789ABCDEF;", &t) == 1, "ja3c literal upper case");
	CHECK(cond("ja3c:" JA3_GOOD ";", &t) == 0, "ja3c other: no");
	CHECK(cond("ja3c:@bad_ja3;", &t) == 0, "ja3c list: no");
	CHECK(cond("ja3s:@bad_ja3;", &t) == 1, "ja3s list");
	CHECK(cond("ja3s:" JA3_LIT ";", &t) == 0, "ja3s literal: no");
	CHECK(cond("cert.sha1:" SHA1_BAD ";", &t) == 1, "cert.sha1 literal");
	CHECK(cond("cert.sha1:A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C:9C:D0:D8:9D;", &t) == 1,
	      "cert.sha1 literal in colon form");
	CHECK(cond("cert.sha1:@bad_certs;", &t) == 1, "cert.sha1 list");
	CHECK(cond("cert.sha1:" SHA1_LIT ";", &t) == 0, "cert.sha1 other: no");
	t.f.cert_sha1 = NULL;
	CHECK(cond("cert.sha1:@bad_certs;", &t) == 0, "cert.sha1 NULL: no");
}

static void test_fields_counters(void)
{
	struct tflow t;

	tflow_init(&t, "192.168.1.10", 40000, "198.18.0.1", 443);
	t.f.bytes[0] = 1500;
	t.f.bytes[1] = 12000000;          /* 12 M */
	t.f.pkts[0] = 10;
	t.f.pkts[1] = 20;
	t.f.duration_us = 125000000;      /* 125 s */

	CHECK(cond("bytes.toserver:1500;", &t) == 1, "bytes.toserver exact");
	CHECK(cond("bytes.toserver:>1500;", &t) == 0, "bytes.toserver >: no");
	CHECK(cond("bytes.toserver:>=1500;", &t) == 1, "bytes.toserver >=");
	CHECK(cond("bytes.toserver:<1500;", &t) == 0, "bytes.toserver <: no");
	CHECK(cond("bytes.toserver:<=1500;", &t) == 1, "bytes.toserver <=");
	CHECK(cond("bytes.toserver:1k-2k;", &t) == 1, "bytes.toserver range with units");
	CHECK(cond("bytes.toserver:1Ki-1400;", &t) == 0, "bytes.toserver range: no");
	CHECK(cond("bytes.toclient:>10M;", &t) == 1, "bytes.toclient >10M");
	CHECK(cond("bytes.toclient:>12M;", &t) == 0, "bytes.toclient >12M: no");
	CHECK(cond("bytes.toclient:>11Mi;", &t) == 1, "bytes.toclient >11Mi (11534336)");
	CHECK(cond("bytes.toclient:>12Mi;", &t) == 0, "bytes.toclient >12Mi: no");
	CHECK(cond("bytes:12001500;", &t) == 1, "bytes: the total");
	CHECK(cond("bytes:12000000;", &t) == 0, "bytes: not one side");
	CHECK(cond("bytes:>1G;", &t) == 0, "bytes >1G: no");
	CHECK(cond("bytes:<1Gi;", &t) == 1, "bytes <1Gi");
	CHECK(cond("pkts.toserver:10;", &t) == 1, "pkts.toserver");
	CHECK(cond("pkts.toserver:20;", &t) == 0, "pkts.toserver: no");
	CHECK(cond("pkts.toclient:>=20;", &t) == 1, "pkts.toclient");
	CHECK(cond("pkts.toclient:>20;", &t) == 0, "pkts.toclient: no");
	CHECK(cond("pkts:30;", &t) == 1, "pkts total");
	CHECK(cond("pkts:1-29, 31-100;", &t) == 0, "pkts ranges around: no");
	CHECK(cond("pkts:1-29, 30;", &t) == 1, "pkts list");

	CHECK(cond("duration:125;", &t) == 1, "duration seconds (no unit)");
	CHECK(cond("duration:125s;", &t) == 1, "duration 125s");
	CHECK(cond("duration:>2m;", &t) == 1, "duration >2m");
	CHECK(cond("duration:>3m;", &t) == 0, "duration >3m: no");
	CHECK(cond("duration:<125000ms;", &t) == 0, "duration <125000ms: no");
	CHECK(cond("duration:<=125000ms;", &t) == 1, "duration <=125000ms");
	CHECK(cond("duration:2m-3m;", &t) == 1, "duration range 2m-3m");
	CHECK(cond("duration:>1h;", &t) == 0, "duration >1h: no");
	CHECK(cond("duration:<1d;", &t) == 1, "duration <1d");
	t.f.duration_us = 90000ull * 1000000;   /* 25 h */
	CHECK(cond("duration:>1d;", &t) == 1, "duration >1d");
	CHECK(cond("duration:>=25h;", &t) == 1, "duration >=25h");
	CHECK(cond("duration:>25h;", &t) == 0, "duration >25h: no");
}

static void test_negation(void)
{
	struct tflow t;

	tflow_init(&t, "10.1.2.3", 40000, "198.18.0.1", 443);   /* core → external */
	CHECK(cond("!zone:core;", &t) == 0, "!zone: src side matches → no");
	CHECK(cond("!zone:external;", &t) == 0, "!zone: dst side matches → no");
	CHECK(cond("!zone:lgwan;", &t) == 1, "!zone: neither side → yes");
	CHECK(cond("!src.zone:external;", &t) == 1, "!src.zone: only src looked at");
	CHECK(cond("!dst.zone:external;", &t) == 0, "!dst.zone");
	CHECK(cond("!ip:198.18.0.1;", &t) == 0, "!ip: dst matches → no");
	CHECK(cond("!ip:10.1.2.3;", &t) == 0, "!ip: src matches → no");
	CHECK(cond("!ip:10.9.9.9;", &t) == 1, "!ip: neither → yes");
	CHECK(cond("!port:443;", &t) == 0, "!port either: dst matches");
	CHECK(cond("!src.port:443;", &t) == 1, "!src.port");
	CHECK(cond("!proto:tcp;", &t) == 0, "!proto tcp");
	CHECK(cond("!proto:udp, icmp;", &t) == 1, "!proto list: none of them");
	CHECK(cond("!proto:udp, tcp;", &t) == 0, "!proto list: one of them → no");
	CHECK(cond("!ip:@bad_ips;", &t) == 1, "!ip @list: neither listed");
	CHECK(cond("zone:core; !dst.ip:@gateways;", &t) == 1, "positive AND negative");
	tflow_init(&t, "10.1.2.3", 40000, "192.168.9.9", 443);
	CHECK(cond("zone:core; !dst.ip:@gateways;", &t) == 0, "negative list condition fails");
	CHECK(cond("zone:core; !dst.ip:@gateways; !src.ip:@gateways;", &t) == 0, "two negations");
}

static bool ev_is(const struct rules_evidence *e, const char *field, const char *value,
		  const char *list, const char *indicator)
{
	if (!e->field || strcmp(e->field, field) || strcmp(e->value, value))
		return false;
	if (list ? !e->list || strcmp(e->list, list) : e->list != NULL)
		return false;
	if (indicator)
		return e->entry && !strcmp(e->entry->indicator, indicator);
	return true;
}

static void test_evidence(void)
{
	char err[RULES_ERR_MAX + 64];
	struct rules_set *rs;
	struct tflow t;
	struct hits h;
	int tls = classify_proto_by_name(cls, "TLS");
	unsigned sqli = (unsigned)classify_risk_by_name("url_possible_sql_injection");
	unsigned selfsigned = (unsigned)classify_risk_by_name("tls_selfsigned_certificate");

	tflow_init(&t, "192.168.1.10", 40000, "203.0.113.9", 443);
	t.f.master = (uint16_t)tls;
	t.f.hostname = "a.tracker.example";
	t.f.sni = "a.tracker.example";
	t.f.ja3s = JA3_BAD;
	t.f.risk = 1ULL << sqli | 1ULL << selfsigned;
	t.f.bytes[0] = 100;
	t.f.bytes[1] = 200;
	t.f.duration_us = 1500000;
	memcpy(t.g[1].country, "US", 3);
	t.g[1].asn = 64500;

	rs = parse(HDR "ip:@bad_ips; src.zone:internet; dst.port:443; protocol:tls; "
		   "hostname:@bad_hosts; ja3s:@bad_ja3; bytes:300; duration:>1s;)", err, sizeof(err));
	CHECK(rs != NULL, "parse: %s", err);
	if (rs) {
		run(rs, &t, &h);
		CHECK(h.n == 1 && h.nev[0] == 8, "one hit, 8 evidence entries (%u, %u)", h.n, h.nev[0]);
		if (h.n == 1 && h.nev[0] == 8) {
			struct rules_evidence *e = h.ev[0];
			CHECK(ev_is(&e[0], "dst.ip", "203.0.113.9", "bad_ips", "203.0.113.0/24"),
			      "ip evidence: %s %s %s", e[0].field, e[0].value, e[0].list ? e[0].list : "-");
			CHECK(ev_is(&e[1], "src.zone", "internet", NULL, NULL) && !e[1].entry,
			      "zone evidence: %s %s", e[1].field, e[1].value);
			CHECK(ev_is(&e[2], "dst.port", "443", NULL, NULL) && !e[2].entry, "port evidence");
			CHECK(ev_is(&e[3], "protocol", "TLS", NULL, NULL), "protocol evidence: %s",
			      e[3].value);
			CHECK(ev_is(&e[4], "hostname", "a.tracker.example", "bad_hosts", "*.tracker.example"),
			      "hostname evidence: %s %s", e[4].field, e[4].value);
			CHECK(ev_is(&e[5], "ja3s", JA3_BAD, "bad_ja3", JA3_BAD), "ja3s evidence");
			CHECK(ev_is(&e[6], "bytes", "300", NULL, NULL), "bytes evidence: %s", e[6].value);
			CHECK(ev_is(&e[7], "duration", "1.500000", NULL, NULL), "duration evidence: %s",
			      e[7].value);
			CHECK(e[0].entry && !strcmp(e[0].entry->file, "lists.txt") && e[0].entry->line == 1 &&
			      e[0].entry->type == IOC_IP, "list entry keeps file/line/type");
		}
		rules_set_free(rs);
	}

	/* literal: no list name, the entry is the literal as normalised */
	rs = parse(HDR "dst.ip:203.0.113.0/24; sni:*.Tracker.Example; country:US; asn:AS64500; "
		   "risk:tls_selfsigned_certificate, url_possible_sql_injection;)", err, sizeof(err));
	CHECK(rs != NULL, "parse: %s", err);
	if (rs) {
		run(rs, &t, &h);
		CHECK(h.n == 1 && h.nev[0] == 6, "one hit, 6 evidence entries (%u, %u)", h.n, h.nev[0]);
		if (h.n == 1 && h.nev[0] == 6) {
			struct rules_evidence *e = h.ev[0];
			CHECK(ev_is(&e[0], "dst.ip", "203.0.113.9", NULL, "203.0.113.0/24"),
			      "literal ip evidence: %s %s", e[0].field, e[0].value);
			CHECK(e[0].entry && !strcmp(e[0].entry->file, "t.rules") && e[0].entry->line == 1,
			      "literal entry names the rule file and line");
			CHECK(ev_is(&e[1], "sni", "a.tracker.example", NULL, "*.tracker.example"),
			      "sni evidence");
			CHECK(ev_is(&e[2], "dst.country", "US", NULL, NULL), "country evidence: %s %s",
			      e[2].field, e[2].value);
			CHECK(ev_is(&e[3], "dst.asn", "64500", NULL, NULL), "asn evidence: %s %s", e[3].field,
			      e[3].value);
			/* one entry per risk bit, in bit order */
			CHECK(ev_is(&e[4], "risk", "url_possible_sql_injection", NULL, NULL) &&
			      ev_is(&e[5], "risk", "tls_selfsigned_certificate", NULL, NULL),
			      "risk evidence: %s, %s", e[4].value, e[5].value);
		}
		rules_set_free(rs);
	}

	/* negated conditions add no evidence */
	rs = parse(HDR "dst.port:443; !zone:core; !ip:@gateways; !app:Tor; bytes.toserver:100;)", err,
		   sizeof(err));
	CHECK(rs != NULL, "parse: %s", err);
	if (rs) {
		run(rs, &t, &h);
		CHECK(h.n == 1 && h.nev[0] == 2, "negations give no evidence (%u entries)", h.nev[0]);
		if (h.n == 1 && h.nev[0] == 2)
			CHECK(ev_is(&h.ev[0][0], "dst.port", "443", NULL, NULL) &&
			      ev_is(&h.ev[0][1], "bytes.toserver", "100", NULL, NULL), "the positive ones");
		rules_set_free(rs);
	}

	/* only negations: a hit without evidence */
	rs = parse(HDR "!zone:core;)", err, sizeof(err));
	if (rs) {
		run(rs, &t, &h);
		CHECK(h.n == 1 && h.nev[0] == 0, "all-negative rule: no evidence");
		rules_set_free(rs);
	}

	/* at most RULES_MAX_EVIDENCE entries */
	rs = parse(HDR "port:443; port:443; port:443; port:443; port:443; port:443; port:443; "
		   "port:443; port:443; port:443;)", err, sizeof(err));
	if (rs) {
		run(rs, &t, &h);
		CHECK(h.n == 1 && h.nev[0] == RULES_MAX_EVIDENCE, "evidence capped at %u (%u)",
		      RULES_MAX_EVIDENCE, h.nev[0]);
		rules_set_free(rs);
	}
}

static void test_suppress(void)
{
	char err[RULES_ERR_MAX + 64];
	struct rules_set *rs;
	struct tflow t;
	struct hits h;
	const char *text =
		"alert (sid:3000; severity:low; msg:\"a\"; threat:dos; port:443;)\n"
		"alert (sid:3050; severity:low; msg:\"b\"; threat:dos; port:443;)\n"
		"alert (sid:3100; severity:low; msg:\"c\"; threat:dos; port:443;)\n"
		"alert (sid:5;    severity:low; msg:\"d\"; threat:dos; port:443;)\n"
		"suppress (sid:3000-3099; hostname:*.example.jp;)\n"
		"suppress (sid:5, 3100; src.ip:10.0.0.0/8; !dst.port:22;)\n";

	rs = parse(text, err, sizeof(err));
	CHECK(rs != NULL, "parse: %s", err);
	if (!rs)
		return;
	CHECK(rules_count(rs) == 4 && rules_suppress_count(rs) == 2, "4 rules, 2 suppress");

	tflow_init(&t, "192.168.1.1", 40000, "198.18.0.1", 443);
	CHECK(run(rs, &t, &h) == 0 && h.n == 4, "no suppress applies: 4 hits");
	CHECK(h.n == 4 && h.rule[0]->sid == 3000 && h.rule[1]->sid == 3050 && h.rule[2]->sid == 3100 &&
	      h.rule[3]->sid == 5, "hits in file order");

	t.f.hostname = "www.example.jp";
	CHECK(run(rs, &t, &h) == 2 && h.n == 2, "sid range + hostname: 2 silenced, 2 left (%u)", h.n);
	CHECK(h.n == 2 && h.rule[0]->sid == 3100 && h.rule[1]->sid == 5, "3100 and 5 remain");

	tflow_init(&t, "10.0.0.1", 40000, "198.18.0.1", 443);
	CHECK(run(rs, &t, &h) == 2 && h.n == 2, "sid list + src.ip: 2 silenced");
	CHECK(h.n == 2 && h.rule[0]->sid == 3000 && h.rule[1]->sid == 3050, "3000 and 3050 remain");

	/* the negated condition of the second suppress fails: nothing silenced */
	tflow_init(&t, "10.0.0.1", 443, "198.18.0.1", 22);
	CHECK(run(rs, &t, &h) == 0 && h.n == 4, "!dst.port:22 fails: nothing silenced (%u)", h.n);
	rules_set_free(rs);

	/* suppress without conditions silences the sids always */
	rs = parse("alert (sid:7; severity:low; msg:\"a\"; threat:dos; proto:tcp;)\nsuppress (sid:7;)\n", err,
		   sizeof(err));
	CHECK(rs != NULL, "parse: %s", err);
	if (rs) {
		CHECK(run(rs, &t, &h) == 1 && h.n == 0, "unconditional suppress");
		rules_set_free(rs);
	}
	/* a suppress before the rule it names works too; a non-matching rule is not counted */
	rs = parse("suppress (sid:1-10;)\n"
		   "alert (sid:8; severity:low; msg:\"a\"; threat:dos; port:1;)\n"
		   "alert (sid:9; severity:low; msg:\"a\"; threat:dos; port:443;)\n"
		   "alert (sid:11; severity:low; msg:\"a\"; threat:dos; port:443;)\n", err, sizeof(err));
	CHECK(rs != NULL, "parse: %s", err);
	if (rs) {
		tflow_init(&t, "10.0.0.1", 40000, "198.18.0.1", 443);
		CHECK(run(rs, &t, &h) == 1 && h.n == 1 && h.rule[0]->sid == 11,
		      "suppress first: 1 silenced (9), 8 does not match, 11 fires");
		rules_set_free(rs);
	}
}

static void test_metadata(void)
{
	char err[RULES_ERR_MAX + 64];
	struct rules_set *rs;
	struct tflow t;
	struct hits h;
	const char *text =
		"# metadata\n"
		"alert (sid:2001; rev:3; severity:critical; threat:unauthorized-software;\n"
		"       policy:\"第6(3)③\"; msg:\"匿名化通信 \\\"Tor\\\" \\\\ 検知\";\n"
		"       msg_en:\"Anonymiser: Tor\"; proto:tcp;\n"
		"       threshold: type limit, track by_src, count 5, seconds 3600;)\n"
		"alert (sid:2002; severity:info; threat:dos; msg:\"x\"; proto:tcp;)\n"
		"alert (sid:2003; severity:medium; threat:malware; msg:\"y\"; proto:tcp;\n"
		"       threshold: seconds 60, count 10, track by_pair, type both;)\n"
		"alert (sid:2004; severity:low; threat:outage; msg:\"z\"; proto:tcp;\n"
		"       threshold: type threshold, track by_dst, count 2, seconds 1;)\n"
		"alert (sid:2005; severity:high; threat:fault; msg:\"w\"; proto:tcp;\n"
		"       threshold: type limit, track by_rule, count 1, seconds 100000000;)\n";

	rs = parse(text, err, sizeof(err));
	CHECK(rs != NULL, "parse: %s", err);
	if (!rs)
		return;
	tflow_init(&t, "10.0.0.1", 1, "10.0.0.2", 2);
	run(rs, &t, &h);
	CHECK(h.n == 5, "5 hits");
	if (h.n == 5) {
		const struct rules_rule *r = h.rule[0];
		CHECK(r->sid == 2001 && r->rev == 3 && r->severity == RULES_SEV_CRITICAL, "sid/rev/severity");
		CHECK(!strcmp(r->msg, "匿名化通信 \"Tor\" \\ 検知"), "msg with escapes: %s", r->msg);
		CHECK(r->msg_en && !strcmp(r->msg_en, "Anonymiser: Tor"), "msg_en");
		CHECK(r->clause && !strcmp(r->clause, "第6(3)③"), "policy → clause");
		CHECK(!strcmp(r->threat, "unauthorized-software"), "threat");
		CHECK(!strcmp(r->file, "t.rules") && r->line == 2, "file:line %s:%u", r->file, r->line);
		CHECK(r->threshold.type == RULES_THRESH_LIMIT && r->threshold.track == RULES_TRACK_SRC &&
		      r->threshold.count == 5 && r->threshold.seconds == 3600, "threshold limit");

		r = h.rule[1];
		CHECK(r->sid == 2002 && r->rev == 1, "rev defaults to 1");
		CHECK(r->severity == RULES_SEV_INFO && !r->msg_en && !r->clause, "no msg_en, no policy");
		CHECK(r->threshold.type == RULES_THRESH_NONE && r->line == 6, "no threshold, line 6");

		r = h.rule[2];
		CHECK(r->severity == RULES_SEV_MEDIUM && r->threshold.type == RULES_THRESH_BOTH &&
		      r->threshold.track == RULES_TRACK_PAIR && r->threshold.count == 10 &&
		      r->threshold.seconds == 60, "threshold both, keys in any order");
		r = h.rule[3];
		CHECK(r->severity == RULES_SEV_LOW && r->threshold.type == RULES_THRESH_THRESHOLD &&
		      r->threshold.track == RULES_TRACK_DST && r->threshold.count == 2 &&
		      r->threshold.seconds == 1, "threshold threshold by_dst");
		r = h.rule[4];
		CHECK(r->severity == RULES_SEV_HIGH && r->threshold.track == RULES_TRACK_RULE &&
		      r->threshold.seconds == 100000000, "threshold by_rule, max seconds");
	}
	rules_set_free(rs);

	CHECK(!strcmp(rules_severity_name(RULES_SEV_CRITICAL), "critical") &&
	      !strcmp(rules_severity_name(RULES_SEV_INFO), "info") &&
	      !strcmp(rules_severity_name(0), "unknown") && !strcmp(rules_severity_name(6), "unknown"),
	      "severity names");
	CHECK(!strcmp(rules_threat_name_en("malware"), "Malware") &&
	      strstr(rules_threat_name_ja("malware"), "第3(1)") &&
	      !strcmp(rules_threat_name_en("nope"), "") && !strcmp(rules_threat_name_ja(NULL), ""),
	      "threat names");

	/* several buffers into one set; an empty buffer and comments are fine */
	rs = rules_set_new(cls, zones);
	CHECK(rules_parse_buffer(rs, "a.rules", "", 0, err, sizeof(err)) == 0, "empty buffer");
	CHECK(rules_parse_buffer(rs, "b.rules", "# only a comment", 16, err, sizeof(err)) == 0,
	      "comment only");
	CHECK(rules_parse_buffer(rs, "c.rules", "\xef\xbb\xbf" HDR "proto:tcp;)",
				 strlen(HDR) + 14, err, sizeof(err)) == 0,
	      "byte order mark skipped: %s", err);
	CHECK(rules_count(rs) == 1 && rules_suppress_count(rs) == 0, "one rule");
	rules_set_free(rs);
}

static void test_placeholders(void)
{
	struct tflow t;

	/* 127.0.0.1, 0.0.0.0, ::1 and :: are in @bad_ips: never matched there */
	tflow_init(&t, "127.0.0.1", 40000, "192.168.1.1", 443);
	CHECK(cond("ip:@bad_ips;", &t) == 0, "127.0.0.1 does not match a named list");
	CHECK(cond("src.ip:@bad_ips;", &t) == 0, "127.0.0.1 src.ip list: no");
	CHECK(cond("src.ip:127.0.0.1;", &t) == 1, "127.0.0.1 matches a literal");
	CHECK(cond("src.ip:127.0.0.0/8;", &t) == 1, "127.0.0.1 matches a literal prefix");
	CHECK(cond("!ip:@bad_ips;", &t) == 1, "negated list holds for a placeholder");
	tflow_init(&t, "0.0.0.0", 68, "255.255.255.255", 67);
	CHECK(cond("src.ip:@bad_ips;", &t) == 0, "0.0.0.0 does not match a named list");
	CHECK(cond("src.ip:0.0.0.0;", &t) == 1, "0.0.0.0 matches a literal");
	tflow_init(&t, "::1", 40000, "::1", 443);
	CHECK(cond("ip:@bad_ips;", &t) == 0, "::1 does not match a named list");
	CHECK(cond("ip:::1;", &t) == 1, "::1 matches a literal");
	tflow_init(&t, "::", 40000, "2001:db8::1", 443);
	CHECK(cond("src.ip:@bad_ips;", &t) == 0, ":: does not match a named list");
	/* a placeholder on one side does not hide the other side */
	tflow_init(&t, "127.0.0.1", 40000, "203.0.113.1", 443);
	CHECK(cond("ip:@bad_ips;", &t) == 1, "other side still matches the list");
	/* literal and list in one condition: the literal still matches */
	tflow_init(&t, "127.0.0.1", 40000, "192.168.1.1", 443);
	CHECK(cond("src.ip:@bad_ips, 127.0.0.1;", &t) == 1, "literal next to a list");
	CHECK(cond("src.ip:127.0.0.1, @bad_ips;", &t) == 1, "literal before a list");
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

struct bad_case {
	const char *text;
	const char *err;
};

static void test_errors(void)
{
	static const struct bad_case cases[] = {
		/* statements */
		{ "alrt (sid:1;)", "t.rules:1:1: expected 'alert' or 'suppress' at the start of a statement" },
		{ "\n\n   (sid:1;)", "t.rules:3:4: expected 'alert' or 'suppress' at the start of a statement" },
		{ "alert sid:1;", "t.rules:1:7: expected '(' after 'alert', found 'sid:1;'" },
		{ "alert", "t.rules:1:6: expected '(' after 'alert', found end of file" },
		{ "alert\n(sid:1;)", "t.rules:1:1: expected the rule to have severity" },
		{ HDR, "t.rules:1:51: expected ')' to close the statement begun at line 1" },
		{ "\nalert (sid:1;\n  msg:\"x\";\n", "t.rules:4:1: expected ')' to close the statement begun at line 2" },
		{ "alert (sid:1 severity:high)", "t.rules:1:14: expected ';' or ')' after a value, found 'severity:high)'" },
		{ "alert (sid:1; sid:2;)", "t.rules:1:15: expected 'sid' only once" },
		{ "alert (bogus:1;)", "t.rules:1:8: expected an option name (see doc/rules.md), found unknown 'bogus'" },
		{ "alert (!sid:1;)", "t.rules:1:8: expected '!' only before a condition, not before 'sid'" },
		{ "alert (sid;)", "t.rules:1:11: expected ':' after 'sid', found ';)'" },
		{ "alert (sid\n:1;)", "t.rules:1:1: expected the rule to have severity" },
		{ "alert (sid:1;\n  msg:\"x\"\n)x", "t.rules:1:1: expected the rule to have severity" },
		{ "alert (:1;)", "t.rules:1:8: expected an option name (e.g. sid, msg, app, dst.ip), found ':1;)'" },
		{ "alert (sid:1;\n", "t.rules:2:1: expected ')' to close the statement begun at line 1" },
		{ "alert (sid:1; port:80\n", "t.rules:2:1: expected ';' or ')' after a value, found end of file" },
		{ "alert (sid:1; port:80 443;)", "t.rules:1:23: expected ';' or ')' after a value, found '443;)'" },
		/* strings */
		{ "alert (sid:1; msg:\"abc", "t.rules:1:19: expected a closing '\"'" },
		{ "alert (sid:1; msg:\"abc\n\";)", "t.rules:1:19: expected a closing '\"'" },
		{ "alert (sid:1; msg:\"a\\qb\";)", "t.rules:1:22: expected '\"' or '\\' after '\\'" },
		{ "alert (sid:1; msg:\"a\\", "t.rules:1:22: expected '\"' or '\\' after '\\'" },
		{ "alert (sid:1; msg:x;)", "t.rules:1:19: expected a quoted string for msg (\"...\")" },
		{ "alert (sid:1; msg_en:x;)", "t.rules:1:22: expected a quoted string for msg_en (\"...\")" },
		{ "alert (sid:1; policy:6;)", "t.rules:1:22: expected a quoted string for policy (\"...\")" },
		{ "alert (sid:1; msg:\"\";)", "t.rules:1:19: expected a non-empty msg" },
		{ "alert (sid:1; msg:\"x\" \"y\";)", "t.rules:1:23: expected ';' or ')' after a value, found '\"y\";)'" },
		/* metadata values */
		{ "alert (sid:0;)", "t.rules:1:12: expected sid as a number 1-2147483647, found '0'" },
		{ "alert (sid:99999999999999999999;)", "t.rules:1:12: expected sid as a number 1-2147483647, found '99999999999999999999'" },
		{ "alert (sid:2147483648;)", "t.rules:1:12: expected sid as a number 1-2147483647, found '2147483648'" },
		{ "alert (sid:\"5\";)", "t.rules:1:12: expected sid as a number 1-2147483647, found '5'" },
		{ "alert (sid:-1;)", "t.rules:1:12: expected sid as a number 1-2147483647, found '-1'" },
		{ "alert (sid: 1x;)", "t.rules:1:13: expected sid as a number 1-2147483647, found '1x'" },
		{ "alert (sid:1; rev:0;)", "t.rules:1:19: expected rev as a number 1-1000000, found '0'" },
		{ "alert (sid:1; rev:1000001;)", "t.rules:1:19: expected rev as a number 1-1000000, found '1000001'" },
		{ "alert (sid:1; severity: bogus;)", "t.rules:1:25: expected severity critical, high, medium, low or info, found 'bogus'" },
		{ "alert (sid:1; severity:\tbogus;)", "t.rules:1:25: expected severity critical, high, medium, low or info, found 'bogus'" },
		/* the column of the value, however many blanks come before it */
		{ "alert (sid:1; severity:bogus;)", "t.rules:1:24: expected severity critical, high, medium, low or info, found 'bogus'" },
		{ "alert (sid:1; severity:   bogus;)", "t.rules:1:27: expected severity critical, high, medium, low or info, found 'bogus'" },
		{ "alert (sid:1; severity:HIGH;)", "t.rules:1:24: expected severity critical, high, medium, low or info, found 'HIGH'" },
		{ "alert (sid:1; threat:nope;)", "t.rules:1:22: expected a threat class (unauthorized-access, malware, dos, insider, unauthorized-software, policy-violation, misconfiguration, fault, outage), found 'nope'" },
		{ "alert (sid:1; threat:  nope;)", "t.rules:1:24: expected a threat class (unauthorized-access, malware, dos, insider, unauthorized-software, policy-violation, misconfiguration, fault, outage), found 'nope'" },
		/* threshold */
		{ "alert (threshold: type limit;)", "t.rules:1:29: expected threshold to give all of type, track, count and seconds" },
		{ "alert (threshold: ;)", "t.rules:1:19: expected type, track, count or seconds in threshold" },
		{ "alert (threshold: foo limit;)", "t.rules:1:19: expected type, track, count or seconds in threshold, found 'foo'" },
		{ "alert (threshold: type;)", "t.rules:1:23: expected a value, found ';)'" },
		/* a bad threshold value is reported at the value */
		{ "alert (threshold: type x, track by_src, count 1, seconds 1;)", "t.rules:1:24: expected threshold type limit, threshold or both, found 'x'" },
		{ "alert (threshold: type limit, track by_x, count 1, seconds 1;)", "t.rules:1:37: expected track by_src, by_dst, by_pair or by_rule, found 'by_x'" },
		{ "alert (threshold: type limit, track by_src, count 0, seconds 1;)", "t.rules:1:51: expected count as a number 1-100000000, found '0'" },
		{ "alert (threshold: type limit, track by_src, count 1, seconds 100000001;)", "t.rules:1:62: expected seconds as a number 1-100000000, found '100000001'" },
		/* conditions */
		{ "alert (proto:xyz;)", "t.rules:1:14: expected an IP protocol (tcp, udp, icmp, icmp6, sctp, gre or 0-255), found 'xyz'" },
		{ "alert (proto:256;)", "t.rules:1:14: expected an IP protocol (tcp, udp, icmp, icmp6, sctp, gre or 0-255), found '256'" },
		{ "alert (app:NoSuchProto;)", "t.rules:1:12: expected an nDPI protocol name, found 'NoSuchProto'" },
		{ "alert (master:TLS, Nope;)", "t.rules:1:20: expected an nDPI protocol name, found 'Nope'" },
		{ "alert (category:Nope;)", "t.rules:1:17: expected an nDPI category name, found 'Nope'" },
		{ "alert (breed:meh;)", "t.rules:1:14: expected an nDPI breed (safe, acceptable, fun, unsafe, potentially_dangerous, dangerous, tracker_ads, unrated), found 'meh'" },
		{ "alert (confidence:sure;)", "t.rules:1:19: expected an nDPI confidence name (e.g. dpi, match_by_port), found 'sure'" },
		{ "alert (risk:nope;)", "t.rules:1:13: expected an nDPI risk name (e.g. url_possible_sql_injection), found 'nope'" },
		{ "alert (zone:mars;)", "t.rules:1:13: expected a zone key or name defined in the config (or 'external'), found 'mars'" },
		{ "alert (ip:1.2.3;)", "t.rules:1:11: expected an IP address or CIDR prefix (or @list), found '1.2.3' (expected an IP address or CIDR prefix, got '1.2.3')" },
		{ "alert (ip:10.0.0.0/33;)", "t.rules:1:11: expected an IP address or CIDR prefix (or @list), found '10.0.0.0/33' (prefix length /33 out of range for IPv4 (0..32) in '10.0.0.0/33')" },
		{ "alert (ip:\"@foo\";)", "t.rules:1:11: expected an IP address or CIDR prefix (or @list), found '@foo' (expected an IP address or CIDR prefix, got '@foo')" },
		{ "alert (ip:;)", "t.rules:1:11: expected a value, found ';)'" },
		{ "alert (ip:1.2.3.4,;)", "t.rules:1:19: expected a value, found ';)'" },
		{ "alert (ip:@;)", "t.rules:1:11: expected a list name after '@'" },
		{ "alert (ip:@a.b;)", "t.rules:1:11: expected a list name of letters, digits, '_' and '-' after '@'" },
		{ "alert (port:70000;)", "t.rules:1:13: expected a port or range 0-65535 (e.g. 443 or 1024-2048), found '70000'" },
		{ "alert (port:20-10;)", "t.rules:1:13: expected a port or range 0-65535 (e.g. 443 or 1024-2048), found '20-10'" },
		{ "alert (port:@web;)", "t.rules:1:13: expected a port or range 0-65535 (e.g. 443 or 1024-2048), found '@web'" },
		{ "alert (country:jp;)", "t.rules:1:16: expected a two-letter upper-case country code (e.g. JP), found 'jp'" },
		{ "alert (country:JPN;)", "t.rules:1:16: expected a two-letter upper-case country code (e.g. JP), found 'JPN'" },
		{ "alert (asn:AS0;)", "t.rules:1:12: expected an AS number (e.g. 2497 or AS2497), found 'AS0'" },
		{ "alert (asn:AS4294967296;)", "t.rules:1:12: expected an AS number (e.g. 2497 or AS2497), found 'AS4294967296'" },
		{ "alert (hostname:a..b;)", "t.rules:1:17: expected a host name or *.suffix (or @list), found 'a..b' (invalid domain name 'a..b': empty label)" },
		{ "alert (ja3c:abc;)", "t.rules:1:13: expected 32 hex digits (or @list), found 'abc'" },
		{ "alert (ja3s:0123456789abcdef0123456789abcdeg;)", "t.rules:1:13: expected 32 hex digits (or @list), found '0123456789abcdef0123456789abcdeg'" },
		{ "alert (cert.sha1:xyz;)", "t.rules:1:18: expected 40 hex digits (or @list), found 'xyz' (expected a SHA-1 fingerprint (40 hex digits, colons allowed), got 'xyz')" },
		{ "alert (bytes:>abc;)", "t.rules:1:14: expected a count comparison (e.g. >10M, >=100, 1k-5k), found '>abc'" },
		{ "alert (bytes:>18446744073709551615;)", "t.rules:1:14: expected a count comparison (e.g. >10M, >=100, 1k-5k), found '>18446744073709551615'" },
		{ "alert (bytes:<0;)", "t.rules:1:14: expected a count comparison (e.g. >10M, >=100, 1k-5k), found '<0'" },
		{ "alert (bytes:5-2;)", "t.rules:1:14: expected a count comparison (e.g. >10M, >=100, 1k-5k), found '5-2'" },
		{ "alert (pkts.toserver:20000000000G;)", "t.rules:1:22: expected a count comparison (e.g. >10M, >=100, 1k-5k), found '20000000000G'" },
		{ "alert (duration:5y;)", "t.rules:1:17: expected a duration comparison (e.g. >10m, <=30s, 60-120), found '5y'" },
		{ "alert (duration:99999999999999d;)", "t.rules:1:17: expected a duration comparison (e.g. >10m, <=30s, 60-120), found '99999999999999d'" },
		{ "alert (bytes:10m;)", "t.rules:1:14: expected a count comparison (e.g. >10M, >=100, 1k-5k), found '10m'" },
		/* suppress */
		{ "suppress (rev:1;)", "t.rules:1:11: expected only sid and conditions in suppress, found 'rev'" },
		{ "suppress (ip:1.2.3.4;)", "t.rules:1:1: expected suppress to name the sids it silences (sid:N or sid:N-M)" },
		{ "suppress (sid:5-3;)", "t.rules:1:15: expected a sid or sid range (e.g. 3000-3099), found '5-3'" },
		{ "suppress (sid:1, x;)", "t.rules:1:18: expected a sid or sid range (e.g. 3000-3099), found 'x'" },
		/* suppress sids are checked as rule sids are (a long left side
		 * once was cut to 31 digits: 00..009-5 became 0-5) */
		{ "suppress (sid:0;)", "t.rules:1:15: expected a sid or sid range (e.g. 3000-3099), found '0'" },
		{ "suppress (sid:\"5\";)", "t.rules:1:15: expected a sid or sid range (e.g. 3000-3099), found '5'" },
		{ "suppress (sid:1-2147483648;)", "t.rules:1:15: expected a sid or sid range (e.g. 3000-3099), found '1-2147483648'" },
		{ "suppress (sid:0000000000000000000000000000000000000000009-5;)", "t.rules:1:15: expected a sid or sid range (e.g. 3000-3099), found '0000000000000000000000000000000000000000009-5'" },
		/* required options */
		{ "alert (sid:1; severity:high; msg:\"x\"; threat:dos;)", "t.rules:1:1: expected at least one condition (a rule without one would match every flow)" },
		{ "alert (sid:1; severity:high; msg:\"x\"; threat:dos; category:\"\";)", "t.rules:1:60: expected a non-empty value" },
		{ "alert (severity:high; msg:\"x\"; threat:dos;)", "t.rules:1:1: expected the rule to have sid" },
		{ "alert (sid:1; msg:\"x\"; threat:dos;)", "t.rules:1:1: expected the rule to have severity" },
		{ "alert (sid:1; severity:high; threat:dos;)", "t.rules:1:1: expected the rule to have msg" },
		{ "alert (sid:1; severity:high; msg:\"x\";)", "t.rules:1:1: expected the rule to have threat" },
		{ "  alert (sid:1; severity:high; msg:\"x\"; msg_en:\"y\"; policy:\"p\";)", "t.rules:1:3: expected the rule to have threat" },
		/* duplicate sid: the first location */
		{ "alert (sid:1; severity:high; msg:\"x\"; threat:dos; proto:tcp;)\n# c\n  alert (sid:1; severity:high; msg:\"y\"; threat:dos; proto:tcp;)",
		  "t.rules:3:3: expected a unique sid: 1 is already used at t.rules:1" },
		/* unknown list: where it is first used */
		{ HDR "ip:@nolist;)", "t.rules:1:54: unknown list '@nolist' (no lists/nolist.list, .txt or .intel in the rules directory and no lists.nolist in the config)" },
		/* positions: columns count UTF-8 characters, lines count newlines */
		{ "alert (sid:1; msg:\"日本語のメッセージ\"; bogus:1;)", "t.rules:1:32: expected an option name (see doc/rules.md), found unknown 'bogus'" },
		{ "# コメント 日本語\nalert (sid:1; msg:\"x\"; severity:high; threat:dos; zone:火星;)",
		  "t.rules:2:56: expected a zone key or name defined in the config (or 'external'), found '火星'" },
		{ "alert (sid:1;\n  msg:\"基幹系\";\n\tport:99999;)", "t.rules:3:7: expected a port or range 0-65535 (e.g. 443 or 1024-2048), found '99999'" },
		{ "alert (sid:1;\r\n port:;)", "t.rules:2:7: expected a value, found ';)'" },
		{ "\xef\xbb\xbf" "alert (sid:1; port:x-y;)", "t.rules:1:20: expected a port or range 0-65535 (e.g. 443 or 1024-2048), found 'x-y'" },
		{ "alert (sid:1; msg:\"é€𝄞\"; bogus:1;)", "t.rules:1:26: expected an option name (see doc/rules.md), found unknown 'bogus'" },
	};
	char big[1100];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = parse_err(cases[i].text);

		CHECK(!strcmp(got, cases[i].err), "case %zu: %s\n   want %s\n   got  %s", i,
		      cases[i].text, cases[i].err, got);
	}

	/* a NUL byte anywhere: the file is refused before parsing */
	CHECK(starts(parse_err_n(HDR ")\0", sizeof(HDR) + 1), "t.rules:") &&
	      strstr(parse_err_n(HDR ")\0", sizeof(HDR) + 1), "expected a text file, found a NUL byte"),
	      "NUL byte: %s", parse_err_n(HDR ")\0", sizeof(HDR) + 1));
	/* the NUL error has a position too */
	CHECK(!strcmp(parse_err_n("# x\n" HDR ")\0", sizeof(HDR) + 5),
			  "t.rules:2:52: expected a text file, found a NUL byte"),
		  "NUL byte position: %s", parse_err_n("# x\n" HDR ")\0", sizeof(HDR) + 5));
	/* a value longer than the cap */
	memset(big, 'a', sizeof(big));
	memcpy(big, "alert (hostname:", 16);
	memcpy(big + sizeof(big) - 3, ";)", 3);
	CHECK(!strcmp(parse_err(big), "t.rules:1:17: expected a value shorter than 1023 bytes"),
	      "long value: %s", parse_err(big));
	big[16] = '"';
	memcpy(big + sizeof(big) - 4, "\";)", 4);
	CHECK(!strcmp(parse_err(big), "t.rules:1:17: expected a value shorter than 1023 bytes"),
	      "long quoted value: %s", parse_err(big));
}

static void test_sets(void)
{
	char err[RULES_ERR_MAX + 64];
	struct rules_set *rs = rules_set_new(cls, zones);
	const char *a = "alert (sid:7; severity:high; msg:\"x\"; threat:dos;\n       ip:@tor_exits;)\n";
	const char *b = "\n\nalert (sid:7; severity:high; msg:\"y\"; threat:dos; proto:tcp;)\n";

	/* duplicate sid across files: names the first file and line */
	CHECK(rules_parse_buffer(rs, "a.rules", a, strlen(a), err, sizeof(err)) == 0, "a.rules: %s", err);
	CHECK(rules_parse_buffer(rs, "b.rules", b, strlen(b), err, sizeof(err)) < 0 &&
	      !strcmp(err, "b.rules:3:1: expected a unique sid: 7 is already used at a.rules:1"),
	      "duplicate across files: %s", err);
	rules_set_free(rs);

	/* lists: each name once, in order of first use; check_bound names the first use */
	rs = rules_set_new(cls, zones);
	const char *c = "alert (sid:1; severity:high; msg:\"x\"; threat:dos; ip:@tor_exits, @vpn;)\n"
			"alert (sid:2; severity:high; msg:\"x\"; threat:dos;\n  hostname:@doh, @vpn;\n"
			"  !dst.ip:@tor_exits;)\n"
			"suppress (sid:1; ja3c:@ja3list;)\n";
	CHECK(rules_parse_buffer(rs, "a.rules", a, strlen(a), err, sizeof(err)) == 0, "a.rules: %s", err);
	CHECK(rules_parse_buffer(rs, "c.rules", c, strlen(c), err, sizeof(err)) == 0, "c.rules: %s", err);
	CHECK(rules_list_count(rs) == 4, "4 lists (%zu)", rules_list_count(rs));
	CHECK(rules_list_count(rs) == 4 && !strcmp(rules_list_name(rs, 0), "tor_exits") &&
	      !strcmp(rules_list_name(rs, 1), "vpn") && !strcmp(rules_list_name(rs, 2), "doh") &&
	      !strcmp(rules_list_name(rs, 3), "ja3list") && rules_list_name(rs, 4) == NULL,
	      "list names in order of first use");
	CHECK(rules_check_bound(rs, err, sizeof(err)) < 0 &&
	      !strcmp(err, "a.rules:2:11: unknown list '@tor_exits' (no lists/tor_exits.list, .txt or "
			   ".intel in the rules directory and no lists.tor_exits in the config)"),
	      "first unbound: %s", err);
	rules_bind_list(rs, 0, lists[0].set);
	rules_bind_list(rs, 99, lists[0].set);   /* out of range: ignored */
	CHECK(rules_check_bound(rs, err, sizeof(err)) < 0 &&
	      starts(err, "c.rules:1:66: unknown list '@vpn' "), "next unbound: %s", err);
	rules_bind_list(rs, 1, lists[0].set);
	CHECK(rules_check_bound(rs, err, sizeof(err)) < 0 &&
	      starts(err, "c.rules:3:12: unknown list '@doh' "), "third: %s", err);
	rules_bind_list(rs, 2, lists[1].set);
	CHECK(rules_check_bound(rs, err, sizeof(err)) < 0 &&
	      starts(err, "c.rules:5:23: unknown list '@ja3list' "), "in a suppress: %s", err);
	rules_bind_list(rs, 3, lists[2].set);
	CHECK(rules_check_bound(rs, err, sizeof(err)) == 0, "all bound");
	CHECK(rules_count(rs) == 3 && rules_suppress_count(rs) == 1, "3 rules, 1 suppress");
	rules_set_free(rs);

	/* a set made without classify or zones rejects the names it cannot resolve */
	rs = rules_set_new(NULL, NULL);
	CHECK(rules_parse_buffer(rs, "n.rules", HDR "app:TLS;)", strlen(HDR) + 9, err, sizeof(err)) < 0 &&
	      !strcmp(err, "n.rules:1:55: expected an nDPI protocol name, found 'TLS'"), "no classify: %s", err);
	rules_set_free(rs);
	rs = rules_set_new(NULL, NULL);
	CHECK(rules_parse_buffer(rs, "n.rules", HDR "zone:core;)", strlen(HDR) + 11, err, sizeof(err)) < 0 &&
	      !strcmp(err, "n.rules:1:56: expected a zone key or name defined in the config (or 'external'), found 'core'"),
	      "no zones: %s", err);
	rules_set_free(rs);
	rules_set_free(NULL);
}

static void test_shipped(void)
{
	static const char *const files[] = { "signatures/10-zones.rules", "signatures/20-software.rules",
					     "signatures/30-risks.rules", "signatures/40-indicators.rules" };
	char err[RULES_ERR_MAX + 64];
	struct rules_set *rs = rules_set_new(cls, zones);

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		CHECK(rules_parse_file(rs, files[i], err, sizeof(err)) == 0, "%s: %s", files[i], err);
	CHECK(rules_count(rs) > 20, "shipped rules parse (%zu)", rules_count(rs));
	CHECK(rules_parse_file(rs, "signatures/no-such.rules", err, sizeof(err)) < 0 &&
	      strstr(err, "signatures/no-such.rules: cannot open: ") == err, "missing file: %s", err);
	rules_set_free(rs);
}

int main(void)
{
	char err[256];

	cls = classify_new(NULL, err, sizeof(err));
	zones = zones_new();
	if (!cls || !zones) {
		printf("set-up failed: %s\n", cls ? "zones" : err);
		return 1;
	}
	z_core = zones_find(zones, "core");
	z_lgwan = zones_find(zones, "lgwan");
	z_internet = zones_find(zones, "internet");
	z_dmz = zones_define(zones, "dmz", "DMZ", err, sizeof(err));
	CHECK(zones_add_networks(zones, z_core, "10.1.0.0/16", err, sizeof(err)) == 0 &&
	      zones_add_networks(zones, z_lgwan, "10.2.0.0/16", err, sizeof(err)) == 0 &&
	      zones_add_networks(zones, z_internet, "192.168.0.0/16, 2001:db8:1::/48", err, sizeof(err)) == 0 &&
	      zones_add_networks(zones, z_dmz, "172.16.0.0/12", err, sizeof(err)) == 0,
	      "zones: %s", err);
	lists_init();

	test_fields_l7();
	test_fields_zone();
	test_fields_ip_port();
	test_fields_geo();
	test_fields_names();
	test_fields_counters();
	test_negation();
	test_evidence();
	test_suppress();
	test_metadata();
	test_placeholders();
	test_errors();
	test_sets();
	test_shipped();

	for (size_t i = 0; i < NLISTS; i++)
		ioc_set_free(lists[i].set);
	zones_free(zones);
	classify_free(cls);
	return check_done();
}
