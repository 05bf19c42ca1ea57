/* Unit tests: indicator sets (ioc.h) — each type, longest prefix, wildcard
 * domains, normalisation, duplicates, the cap, errors with file:line:col,
 * plain lists and the real Zeek Intel feeds in test-data/ioc/ (run from the
 * top of the tree, as tests/run.sh does). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ioc.h"

#define FEEDS "test-data/ioc/"

static const struct ioc_entry *match4(const struct ioc_set *s, uint8_t a, uint8_t b, uint8_t c,
				      uint8_t d)
{
	uint8_t addr[16] = { a, b, c, d };

	return ioc_set_match_ip(s, 4, addr);
}

static const struct ioc_entry *match6(const struct ioc_set *s, const char *text)
{
	uint8_t addr[16];

	if (inet_pton(AF_INET6, text, addr) != 1)
		return NULL;
	return ioc_set_match_ip(s, 6, addr);
}

static int32_t value_of(const struct ioc_entry *e)
{
	return e ? e->value : -1;
}

static int add(struct ioc_set *s, enum ioc_type t, const char *text, int32_t value)
{
	char err[256];

	return ioc_set_add(s, t, text, value, NULL, NULL, NULL, 0, err, sizeof(err));
}

/* The reason ioc_set_add gives for text, "" if it was accepted. */
static const char *add_err(struct ioc_set *s, enum ioc_type t, const char *text)
{
	static char err[512];

	err[0] = '\0';
	if (ioc_set_add(s, t, text, 0, NULL, NULL, NULL, 0, err, sizeof(err)) >= 0)
		err[0] = '\0';
	return err;
}

/* The error of loading text into a fresh set, "" if it loaded. */
static const char *load_err(const char *name, const char *text)
{
	static char err[512];
	struct ioc_set *s = ioc_set_new("t", 1000);

	err[0] = '\0';
	if (ioc_set_load_buffer(s, name, text, strlen(text), err, sizeof(err)) == 0)
		err[0] = '\0';
	ioc_set_free(s);
	return err;
}

static void test_types(void)
{
	struct ioc_set *s = ioc_set_new("types", 100);
	struct ioc_set_stats st;
	const struct ioc_entry *e;
	char err[256];

	CHECK(s != NULL, "new");
	if (s == NULL)
		return;
	CHECK(strcmp(ioc_set_name(s), "types") == 0, "name");
	CHECK(ioc_set_add(s, IOC_IP, "192.0.2.7", 7, "src", "desc", "here.txt", 3, err,
			  sizeof(err)) == 0, "add ip: %s", err);
	CHECK(add(s, IOC_DOMAIN, "Evil.Example.", 8) == 0, "add domain");
	CHECK(add(s, IOC_JA3, "E7D705A3286E19EA42F587B344EE6865", 9) == 0, "add ja3");
	CHECK(add(s, IOC_SHA1, "A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C:9C:D0:D8:9D", 10) == 0,
	      "add sha1 (colon form)");

	e = match4(s, 192, 0, 2, 7);
	CHECK(e && e->value == 7 && e->type == IOC_IP && strcmp(e->indicator, "192.0.2.7") == 0,
	      "ip match");
	CHECK(e && strcmp(e->source, "src") == 0 && strcmp(e->desc, "desc") == 0 &&
	      strcmp(e->file, "here.txt") == 0 && e->line == 3, "ip entry meta");
	CHECK(match4(s, 192, 0, 2, 8) == NULL, "other ip: no match");

	e = ioc_set_match_domain(s, "evil.example");
	CHECK(e && e->value == 8 && strcmp(e->indicator, "evil.example") == 0 && e->type == IOC_DOMAIN,
	      "domain normalised to lower case without the dot: %s", e ? e->indicator : "-");
	CHECK(e && strcmp(e->file, "") == 0 && e->source == NULL && e->desc == NULL,
	      "no file, no meta");
	CHECK(value_of(ioc_set_match_domain(s, "EVIL.EXAMPLE.")) == 8, "domain lookup ignores case, dot");
	CHECK(ioc_set_match_domain(s, "x.evil.example") == NULL, "exact entry does not match below");

	e = ioc_set_match_hash(s, IOC_JA3, "e7d705a3286e19ea42f587b344ee6865");
	CHECK(e && e->value == 9 && strcmp(e->indicator, "e7d705a3286e19ea42f587b344ee6865") == 0,
	      "ja3 match, lower case");
	CHECK(value_of(ioc_set_match_hash(s, IOC_JA3, "E7D705A3286E19EA42F587B344EE6865")) == 9,
	      "ja3 lookup ignores case");
	CHECK(ioc_set_match_hash(s, IOC_SHA1, "e7d705a3286e19ea42f587b344ee6865") == NULL,
	      "ja3 text is no sha1");
	e = ioc_set_match_hash(s, IOC_SHA1, "a9993e364706816aba3e25717850c26c9cd0d89d");
	CHECK(e && e->value == 10 && strcmp(e->indicator, "a9993e364706816aba3e25717850c26c9cd0d89d") == 0,
	      "sha1 match, colons removed");
	CHECK(value_of(ioc_set_match_hash(s, IOC_SHA1,
					  "a9:99:3e:36:47:06:81:6a:ba:3e:25:71:78:50:c2:6c:9c:d0:d8:9d")) == 10,
	      "sha1 lookup in colon form");
	CHECK(ioc_set_match_hash(s, IOC_DOMAIN, "evil.example") == NULL, "match_hash: hex types only");

	/* guessing the type */
	CHECK(add(s, IOC_TYPE_COUNT, "198.51.100.0/24", 11) == 0, "guess cidr");
	CHECK(add(s, IOC_TYPE_COUNT, "2001:db8::5", 12) == 0, "guess ipv6");
	CHECK(add(s, IOC_TYPE_COUNT, "0123456789abcdef0123456789ABCDEF", 13) == 0, "guess ja3");
	CHECK(add(s, IOC_TYPE_COUNT, "0123456789abcdef0123456789abcdef01234567", 14) == 0, "guess sha1");
	CHECK(add(s, IOC_TYPE_COUNT, "*.Bad.Example", 15) == 0, "guess wildcard domain");
	CHECK(value_of(match4(s, 198, 51, 100, 200)) == 11, "guessed cidr matches");
	CHECK(value_of(match6(s, "2001:db8::5")) == 12, "guessed ipv6 matches");
	CHECK(value_of(ioc_set_match_hash(s, IOC_JA3, "0123456789abcdef0123456789abcdef")) == 13,
	      "guessed ja3");
	CHECK(value_of(ioc_set_match_hash(s, IOC_SHA1, "0123456789ABCDEF0123456789ABCDEF01234567")) == 14,
	      "guessed sha1");
	CHECK(value_of(ioc_set_match_domain(s, "a.bad.example")) == 15, "guessed wildcard");

	ioc_set_stats_get(s, &st);
	CHECK(st.entries[IOC_IP] == 3 && st.entries[IOC_DOMAIN] == 2 && st.entries[IOC_JA3] == 2 &&
	      st.entries[IOC_SHA1] == 2, "entries per type %llu %llu %llu %llu",
	      (unsigned long long)st.entries[0], (unsigned long long)st.entries[1],
	      (unsigned long long)st.entries[2], (unsigned long long)st.entries[3]);
	CHECK(st.duplicates == 0 && st.refused == 0 && st.skipped == 0, "no dups, refused, skipped");
	CHECK(st.memory > 1000, "memory counted (%zu)", st.memory);

	CHECK(strcmp(ioc_type_name(IOC_IP), "ip") == 0 && strcmp(ioc_type_name(IOC_DOMAIN), "domain") == 0 &&
	      strcmp(ioc_type_name(IOC_JA3), "ja3") == 0 && strcmp(ioc_type_name(IOC_SHA1), "sha1") == 0 &&
	      strcmp(ioc_type_name(IOC_TYPE_COUNT), "unknown") == 0, "type names");
	ioc_set_free(s);
	ioc_set_free(NULL);
}

static void test_prefixes(void)
{
	struct ioc_set *s = ioc_set_new("nets", 100);
	const struct ioc_entry *e;
	char err[256];

	CHECK(add(s, IOC_IP, "10.0.0.0/8", 1) == 0, "add /8");
	CHECK(add(s, IOC_IP, "10.1.0.0/16", 2) == 0, "add /16");
	CHECK(add(s, IOC_IP, "10.1.2.3", 3) == 0, "add host");
	CHECK(value_of(match4(s, 10, 1, 2, 3)) == 3, "host wins");
	CHECK(value_of(match4(s, 10, 1, 2, 4)) == 2, "then /16");
	CHECK(value_of(match4(s, 10, 1, 255, 255)) == 2, "end of /16");
	CHECK(value_of(match4(s, 10, 2, 0, 0)) == 1, "then /8");
	CHECK(value_of(match4(s, 10, 255, 255, 255)) == 1, "end of /8");
	CHECK(match4(s, 11, 0, 0, 0) == NULL && match4(s, 9, 255, 255, 255) == NULL, "outside");

	/* normalisation: host bits masked, /32 is the host */
	CHECK(ioc_set_add(s, IOC_IP, "10.1.2.3/8", 4, NULL, NULL, NULL, 0, err, sizeof(err)) == 1,
	      "10.1.2.3/8 is 10.0.0.0/8 again");
	e = match4(s, 10, 200, 0, 1);
	CHECK(e && e->value == 1 && strcmp(e->indicator, "10.0.0.0/8") == 0, "first entry kept");
	CHECK(add(s, IOC_IP, "10.1.2.3/32", 5) == 1, "/32 is the host");
	CHECK(add(s, IOC_IP, "172.16.5.4/12", 6) == 0, "add 172.16.5.4/12");
	e = match4(s, 172, 31, 0, 1);
	CHECK(e && strcmp(e->indicator, "172.16.0.0/12") == 0, "masked text: %s", e ? e->indicator : "-");
	CHECK(match4(s, 172, 32, 0, 1) == NULL, "outside /12");

	/* /0 matches everything, but loses to any longer prefix */
	CHECK(add(s, IOC_IP, "0.0.0.0/0", 7) == 0, "add /0");
	CHECK(value_of(match4(s, 1, 2, 3, 4)) == 7, "/0 matches");
	CHECK(value_of(match4(s, 10, 3, 3, 3)) == 1, "/8 still wins");
	CHECK(match6(s, "::1") == NULL, "an IPv4 /0 does not match IPv6");

	/* IPv6 */
	CHECK(add(s, IOC_IP, "2001:db8::/32", 61) == 0, "add v6 /32");
	CHECK(add(s, IOC_IP, "2001:DB8:1::/48", 62) == 0, "add v6 /48");
	CHECK(add(s, IOC_IP, "2001:db8:1::1", 63) == 0, "add v6 host");
	CHECK(add(s, IOC_IP, "2001:db8:1:0:ffff::/65", 64) == 0, "add v6 /65 (host bits in the low half)");
	CHECK(value_of(match6(s, "2001:db8:1::1")) == 63, "v6 host");
	CHECK(value_of(match6(s, "2001:db8:1::2")) == 62, "v6 /48");
	CHECK(value_of(match6(s, "2001:db8:1:0:8000::9")) == 64, "v6 /65");
	CHECK(value_of(match6(s, "2001:db8:ffff::1")) == 61, "v6 /32");
	CHECK(match6(s, "2001:db9::1") == NULL, "v6 outside");
	e = match6(s, "2001:db8:1::2");
	CHECK(e && strcmp(e->indicator, "2001:db8:1::/48") == 0, "v6 text lower case: %s",
	      e ? e->indicator : "-");
	e = match6(s, "2001:db8:1:0:8000::9");
	CHECK(e && strcmp(e->indicator, "2001:db8:1:0:8000::/65") == 0, "v6 /65 masked: %s",
	      e ? e->indicator : "-");
	CHECK(add(s, IOC_IP, "2001:DB8:1::1/128", 65) == 1, "v6 /128 is the host");
	CHECK(add(s, IOC_IP, "::/0", 66) == 0, "add v6 /0");
	CHECK(value_of(match6(s, "fe80::1")) == 66, "v6 /0 matches");
	CHECK(value_of(match4(s, 8, 8, 8, 8)) == 7, "v4 lookups still the v4 /0");
	CHECK(ioc_set_match_ip(s, 5, (const uint8_t *)"\1\2\3\4") == NULL, "bad ip version");

	/* bad text */
	CHECK(strcmp(add_err(s, IOC_IP, "10.0.0.0/33"),
		     "prefix length /33 out of range for IPv4 (0..32) in '10.0.0.0/33'") == 0,
	      "v4 /33: %s", add_err(s, IOC_IP, "10.0.0.0/33"));
	CHECK(strcmp(add_err(s, IOC_IP, "::/129"),
		     "prefix length /129 out of range for IPv6 (0..128) in '::/129'") == 0,
	      "v6 /129");
	CHECK(strcmp(add_err(s, IOC_IP, "10.0.0.0/"), "bad prefix length in '10.0.0.0/'") == 0,
	      "empty length");
	CHECK(strcmp(add_err(s, IOC_IP, "10.0.0.0/-8"), "bad prefix length in '10.0.0.0/-8'") == 0,
	      "negative length");
	CHECK(strcmp(add_err(s, IOC_IP, "example.com"),
		     "expected an IP address or CIDR prefix, got 'example.com'") == 0, "not an ip");
	CHECK(strcmp(add_err(s, IOC_IP, "1.2.3.256"),
		     "expected an IP address or CIDR prefix, got '1.2.3.256'") == 0, "octet > 255");
	CHECK(strcmp(add_err(s, IOC_IP, "fe80::1%eth0"),
		     "expected an IP address or CIDR prefix, got 'fe80::1%eth0'") == 0, "zone id");
	CHECK(strcmp(add_err(s, IOC_TYPE_COUNT, "1.2.3.4/40"),
		     "prefix length /40 out of range for IPv4 (0..32) in '1.2.3.4/40'") == 0,
	      "guess: an address with a bad length says so");
	ioc_set_free(s);
}

static uint64_t test_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Longest-prefix match against a linear scan, with n random IPv4 prefixes
 * (n >= 1024 turns on the /16 summary) and some IPv6 ones. */
static void test_lpm_random(unsigned n)
{
	struct ioc_set *s = ioc_set_new("random", 100000);
	uint32_t *net = malloc(n * sizeof(*net));
	uint8_t *len = malloc(n);
	uint64_t x = 0x9e3779b97f4a7c15ull ^ n;
	unsigned i, j, bad = 0, hits = 0;
	char text[64];

	for (i = 0; i < n; i++) {
		uint32_t a = (uint32_t)test_rand(&x);

		/* lengths 0..32 with short ones rare; addresses from a few /8s so
		 * that prefixes nest */
		len[i] = (uint8_t)(i % 50 == 0 ? test_rand(&x) % 16 : 16 + test_rand(&x) % 17);
		a = (a & 0x00ffffffu) | (uint32_t)(10 + test_rand(&x) % 3) << 24;
		net[i] = len[i] ? a & (0xffffffffu << (32 - len[i])) : 0;
		snprintf(text, sizeof(text), "%u.%u.%u.%u/%u", a >> 24, a >> 16 & 255, a >> 8 & 255,
			 a & 255, len[i]);
		if (add(s, IOC_IP, text, (int32_t)i) < 0)
			bad++;
	}
	CHECK(bad == 0, "random prefixes added");
	for (j = 0; j < 20000; j++) {
		uint32_t a = (uint32_t)test_rand(&x);
		uint8_t b[16];
		int want = -1, wantlen = -1;
		const struct ioc_entry *e;

		if (j & 1)       /* inside a listed prefix */
			a = net[j % n] | (len[j % n] < 32 ? a >> len[j % n] : 0);
		for (i = 0; i < n; i++) {
			uint32_t m = len[i] ? 0xffffffffu << (32 - len[i]) : 0;

			if ((a & m) == net[i] && len[i] > wantlen) {
				want = (int)i;
				wantlen = len[i];
			}
		}
		b[0] = (uint8_t)(a >> 24);
		b[1] = (uint8_t)(a >> 16);
		b[2] = (uint8_t)(a >> 8);
		b[3] = (uint8_t)a;
		e = ioc_set_match_ip(s, 4, b);
		if (value_of(e) != want)
			bad++;
		hits += e != NULL;
	}
	CHECK(bad == 0, "%u prefixes: %u of 20000 lookups differ from a linear scan", n, bad);
	CHECK(hits >= 10000, "%u prefixes: %u hits", n, hits);
	free(net);
	free(len);
	ioc_set_free(s);
}

static void test_domains(void)
{
	struct ioc_set *s = ioc_set_new("names", 100);
	char long_label[80], long_name[300];
	const struct ioc_entry *e;

	CHECK(add(s, IOC_DOMAIN, "*.example.com", 1) == 0, "add wildcard");
	CHECK(add(s, IOC_DOMAIN, "www.example.com", 2) == 0, "add exact below the wildcard");
	CHECK(add(s, IOC_DOMAIN, "example.org", 3) == 0, "add exact");
	CHECK(ioc_set_match_domain(s, "example.com") == NULL, "*.example.com does not match example.com");
	CHECK(value_of(ioc_set_match_domain(s, "a.example.com")) == 1, "one label below");
	CHECK(value_of(ioc_set_match_domain(s, "a.b.c.example.com")) == 1, "several labels below");
	CHECK(value_of(ioc_set_match_domain(s, "www.example.com")) == 2, "exact wins over wildcard");
	CHECK(value_of(ioc_set_match_domain(s, "x.www.example.com")) == 1, "below the exact: wildcard");
	CHECK(value_of(ioc_set_match_domain(s, "A.Example.COM.")) == 1, "case and dot");
	CHECK(ioc_set_match_domain(s, "www.example.org") == NULL, "exact does not match below");
	CHECK(ioc_set_match_domain(s, "badexample.com") == NULL, "suffix on a label boundary only");
	CHECK(ioc_set_match_domain(s, "com") == NULL && ioc_set_match_domain(s, "") == NULL &&
	      ioc_set_match_domain(s, ".") == NULL, "short names");
	e = ioc_set_match_domain(s, "q.example.com");
	CHECK(e && strcmp(e->indicator, "*.example.com") == 0, "wildcard text kept");

	/* the closest wildcard wins */
	CHECK(add(s, IOC_DOMAIN, "*.com", 4) == 0, "add *.com");
	CHECK(add(s, IOC_DOMAIN, "*.b.example.com", 5) == 0, "add *.b.example.com");
	CHECK(value_of(ioc_set_match_domain(s, "example.com")) == 4, "example.com is below com");
	CHECK(value_of(ioc_set_match_domain(s, "x.b.example.com")) == 5, "closest wildcard");
	CHECK(value_of(ioc_set_match_domain(s, "b.example.com")) == 1, "b.example.com: *.example.com");
	CHECK(value_of(ioc_set_match_domain(s, "other.com")) == 4, "*.com");
	CHECK(ioc_set_match_domain(s, "example.net") == NULL, "other tld");

	/* normalisation and duplicates */
	CHECK(add(s, IOC_DOMAIN, "EXAMPLE.ORG.", 6) == 1, "same name in other case is a duplicate");
	CHECK(add(s, IOC_DOMAIN, "*.EXAMPLE.com.", 7) == 1, "same wildcard is a duplicate");
	CHECK(add(s, IOC_DOMAIN, "under_score-x.example.net", 8) == 0, "underscore and hyphen");
	CHECK(value_of(ioc_set_match_domain(s, "under_score-x.example.net")) == 8, "found");

	memset(long_label, 'a', 64);
	strcpy(long_label + 64, ".com");
	CHECK(strcmp(add_err(s, IOC_DOMAIN, long_label + 1), "") == 0, "63-byte label is fine");
	CHECK(strstr(add_err(s, IOC_DOMAIN, long_label), ": label longer than 63 characters") != NULL,
	      "64-byte label: %s", add_err(s, IOC_DOMAIN, long_label));
	for (int i = 0; i < 254; i++)
		long_name[i] = i % 2 ? '.' : 'a';
	long_name[253] = 'z';
	long_name[254] = '\0';
	CHECK(strstr(add_err(s, IOC_DOMAIN, long_name), ": longer than 253 characters") != NULL,
	      "254-byte name");
	long_name[253] = '\0';
	CHECK(strcmp(add_err(s, IOC_DOMAIN, long_name), "") == 0, "253-byte name is fine");
	CHECK(strcmp(add_err(s, IOC_DOMAIN, "a..b"), "invalid domain name 'a..b': empty label") == 0,
	      "empty label: %s", add_err(s, IOC_DOMAIN, "a..b"));
	CHECK(strcmp(add_err(s, IOC_DOMAIN, "exa mple.com"),
		     "invalid domain name 'exa mple.com': character ' ' not allowed") == 0, "space");
	CHECK(strcmp(add_err(s, IOC_DOMAIN, "caf\xc3\xa9.fr"),
		     "invalid domain name 'caf\\xc3\\xa9.fr': byte 0xc3 not allowed") == 0,
	      "non-ASCII: %s", add_err(s, IOC_DOMAIN, "caf\xc3\xa9.fr"));
	CHECK(strcmp(add_err(s, IOC_DOMAIN, "*.*.example.com"),
		     "invalid domain name '*.*.example.com': character '*' not allowed") == 0,
	      "double wildcard");
	CHECK(strcmp(add_err(s, IOC_DOMAIN, "*."), "invalid domain name '*.': empty name") == 0,
	      "bare wildcard");
	CHECK(strcmp(add_err(s, IOC_DOMAIN, "1.2.3"),
		     "invalid domain name '1.2.3': the last label is all digits") == 0, "numeric tld");
	CHECK(strcmp(add_err(s, IOC_DOMAIN, "a.b.."), "invalid domain name 'a.b..': empty label") == 0,
	      "two trailing dots");
	CHECK(strcmp(add_err(s, IOC_JA3, "abc"), "expected a JA3 fingerprint (32 hex digits), got 'abc'") == 0,
	      "short ja3");
	CHECK(strcmp(add_err(s, IOC_SHA1, "g9993e364706816aba3e25717850c26c9cd0d89d"),
		     "expected a SHA-1 fingerprint (40 hex digits, colons allowed), got "
		     "'g9993e364706816aba3e25717850c26c9cd0d89d'") == 0, "non-hex sha1");
	CHECK(add(s, IOC_SHA1, "a9:993e364706816aba3e25717850c26c9cd0d89d", 0) == -1, "partial colons");
	CHECK(strcmp(add_err(s, IOC_TYPE_COUNT, "1.2.3"),
		     "expected an IP address, CIDR prefix, domain, JA3 or SHA-1, got '1.2.3'") == 0,
	      "guess fails");
	ioc_set_free(s);
}

static void test_cap(void)
{
	struct ioc_set *s = ioc_set_new("small", 3);
	struct ioc_set_stats st;
	char err[256] = "";

	CHECK(add(s, IOC_IP, "1.1.1.1", 1) == 0 && add(s, IOC_DOMAIN, "a.example", 2) == 0 &&
	      add(s, IOC_JA3, "0123456789abcdef0123456789abcdef", 3) == 0, "three fit");
	CHECK(ioc_set_add(s, IOC_IP, "2.2.2.2", 4, NULL, NULL, NULL, 0, err, sizeof(err)) == -1,
	      "fourth refused");
	CHECK(strcmp(err, "indicator set 'small' is full (3 entries)") == 0, "full: %s", err);
	CHECK(add(s, IOC_IP, "1.1.1.1", 5) == 1, "a duplicate of a full set is still a duplicate");
	CHECK(match4(s, 2, 2, 2, 2) == NULL, "refused one not there");
	/* a loader counts what does not fit and goes on */
	CHECK(ioc_set_load_buffer(s, "more.txt", "3.3.3.3\n4.4.4.4\n1.1.1.1\n", 24, err, sizeof(err)) == 0,
	      "load into a full set: %s", err);
	ioc_set_stats_get(s, &st);
	CHECK(st.refused == 3 && st.duplicates == 2, "refused %llu duplicates %llu",
	      (unsigned long long)st.refused, (unsigned long long)st.duplicates);
	CHECK(st.entries[IOC_IP] + st.entries[IOC_DOMAIN] + st.entries[IOC_JA3] == 3, "still three");
	ioc_set_free(s);

	s = ioc_set_new("none", 0);
	CHECK(s && add(s, IOC_IP, "1.1.1.1", 1) == -1, "cap 0 refuses all");
	ioc_set_free(s);
}

static void test_plain(void)
{
	static const char text[] =
		"\xef\xbb\xbf# a plain list\r\n"
		"\r\n"
		"   \t\n"
		"  192.0.2.1  \r\n"
		"198.51.100.0/24 # a trailing comment\n"
		"\t# indented comment\n"
		"Evil.Example.\r\n"
		"*.wild.example\t#x\n"
		"192.0.2.1\n"
		"a9:99:3e:36:47:06:81:6a:ba:3e:25:71:78:50:c2:6c:9c:d0:d8:9d\n"
		"e7d705a3286e19ea42f587b344ee6865"; /* no final newline */
	struct ioc_set *s = ioc_set_new("plain", 100);
	struct ioc_set_stats st;
	const struct ioc_entry *e, *e2;
	char err[256] = "";

	CHECK(ioc_set_load_buffer(s, "lists/plain.txt", text, sizeof(text) - 1, err, sizeof(err)) == 0,
	      "load: %s", err);
	ioc_set_stats_get(s, &st);
	CHECK(st.entries[IOC_IP] == 2 && st.entries[IOC_DOMAIN] == 2 && st.entries[IOC_JA3] == 1 &&
	      st.entries[IOC_SHA1] == 1 && st.duplicates == 1, "counts");
	e = match4(s, 192, 0, 2, 1);
	CHECK(e && e->line == 4 && strcmp(e->file, "lists/plain.txt") == 0 && e->value == 0,
	      "first 192.0.2.1 kept, line 4");
	e2 = match4(s, 198, 51, 100, 9);
	CHECK(e2 && e2->line == 5 && e && e2->file == e->file, "one interned file name");
	e = ioc_set_match_domain(s, "evil.example");
	CHECK(e && e->line == 7, "CRLF line, trailing dot");
	CHECK(value_of(ioc_set_match_domain(s, "a.wild.example")) == 0, "wildcard with tab comment");
	CHECK(ioc_set_match_hash(s, IOC_SHA1, "a9993e364706816aba3e25717850c26c9cd0d89d") != NULL, "sha1");
	e = ioc_set_match_hash(s, IOC_JA3, "e7d705a3286e19ea42f587b344ee6865");
	CHECK(e && e->line == 11, "last line without newline");
	ioc_set_free(s);

	CHECK(strcmp(load_err("", ""), "") == 0, "empty buffer");
	CHECK(strcmp(load_err("x", "\n\n# only comments\n"), "") == 0, "only comments");
}

static void test_errors(void)
{
	char big[5100];
	char err[256];
	struct ioc_set *s;

	CHECK(strcmp(load_err("lists/tor.txt", "1.2.3.4\n# c\n\n1.2.3\n"),
		     "lists/tor.txt:4:1: expected an IP address, CIDR prefix, domain, JA3 or SHA-1, got '1.2.3'") == 0,
	      "bad indicator: %s", load_err("lists/tor.txt", "1.2.3.4\n# c\n\n1.2.3\n"));
	CHECK(strcmp(load_err("x.txt", "a.example\n  1.2.3.4 foo\n"),
		     "x.txt:2:11: expected one indicator per line, found a second token 'foo'") == 0,
	      "two tokens: %s", load_err("x.txt", "a.example\n  1.2.3.4 foo\n"));
	CHECK(strcmp(load_err("x.txt", "1.2.3.4\t\tbar # c\r\n"),
		     "x.txt:1:10: expected one indicator per line, found a second token 'bar'") == 0,
	      "two tokens, tabs");
	CHECK(strcmp(load_err("x.txt", "\n   10.0.0.0/33\n"),
		     "x.txt:2:4: prefix length /33 out of range for IPv4 (0..32) in '10.0.0.0/33'") == 0,
	      "column of the indicator: %s", load_err("x.txt", "\n   10.0.0.0/33\n"));
	CHECK(strcmp(load_err("x.txt", "ok.example\nbad..example\n"),
		     "x.txt:2:1: expected an IP address, CIDR prefix, domain, JA3 or SHA-1, got 'bad..example'") == 0,
	      "bad domain in a plain list");
	CHECK(strcmp(load_err("x.txt", "a.example#notcomment\n"),
		     "x.txt:1:1: expected an IP address, CIDR prefix, domain, JA3 or SHA-1, got 'a.example#notcomment'") == 0,
	      "'#' inside a token is no comment");
	memset(big, 'a', 5000);
	big[5000] = '\n';
	big[5001] = '\0';
	CHECK(strcmp(load_err("big.txt", big), "big.txt:1:4097: line longer than 4096 bytes") == 0,
	      "long line: %s", load_err("big.txt", big));
	memset(big, 'a', 4092);
	memcpy(big + 4092, ".com\n", 6);
	CHECK(strncmp(load_err("big.txt", big), "big.txt:1:1: expected an IP address", 35) == 0 &&
	      strstr(load_err("big.txt", big), "got 'aaaa") && strstr(load_err("big.txt", big), "aaa...'"),
	      "a 4096-byte line is read (and rejected as a domain, quote cut): %s", load_err("big.txt", big));

	s = ioc_set_new("nul", 10);
	CHECK(ioc_set_load_buffer(s, "nul.txt", "1.2.3.4\n5.6\0.7.8\n", 17, err, sizeof(err)) == -1 &&
	      strcmp(err, "nul.txt:2:4: NUL byte in line") == 0, "NUL byte: %s", err);
	CHECK(match4(s, 1, 2, 3, 4) != NULL, "lines before the error stay loaded");
	CHECK(ioc_set_load_file(s, "test-data/ioc/no-such-file.intel", err, sizeof(err)) == -1 &&
	      strcmp(err, "test-data/ioc/no-such-file.intel: No such file or directory") == 0,
	      "missing file: %s", err);
	CHECK(ioc_set_load_file(s, "test-data/ioc", err, sizeof(err)) == -1 &&
	      strcmp(err, "test-data/ioc: is a directory") == 0, "directory: %s", err);
	ioc_set_free(s);

	/* Zeek files */
	CHECK(strcmp(load_err("z.intel", "#fields\tindicator\tindicator_type\n1.2.3.4\tIntel::FOO\n"),
		     "z.intel:2:9: unknown indicator_type 'Intel::FOO'") == 0, "unknown type: %s",
	      load_err("z.intel", "#fields\tindicator\tindicator_type\n1.2.3.4\tIntel::FOO\n"));
	CHECK(strcmp(load_err("z.intel", "#fields\tindicator_type\tmeta.source\n"),
		     "z.intel:1:1: #fields header has no 'indicator' column") == 0, "no indicator column");
	CHECK(strcmp(load_err("z.intel", "#fields\tindicator\tmeta.source\n"),
		     "z.intel:1:1: #fields header has no 'indicator_type' column") == 0, "no type column");
	CHECK(strcmp(load_err("z.intel", "#fields indicator indicator_type\n"),
		     "z.intel:1:1: #fields header must separate its column names by tabs") == 0,
	      "header with spaces");
	CHECK(strcmp(load_err("z.intel", "#fields\tindicator\tindicator\tindicator_type\n"),
		     "z.intel:1:19: column 'indicator' named twice") == 0, "column twice: %s",
	      load_err("z.intel", "#fields\tindicator\tindicator\tindicator_type\n"));
	CHECK(strcmp(load_err("z.intel", "#fields\tindicator\tindicator_type\n10.0.0.0/8\tIntel::ADDR\n"),
		     "z.intel:2:1: Intel::ADDR needs an address, got the prefix '10.0.0.0/8'") == 0,
	      "ADDR with a prefix");
	CHECK(strcmp(load_err("z.intel", "#fields\tindicator\tindicator_type\n10.0.0.1\tIntel::SUBNET\n"),
		     "z.intel:2:1: Intel::SUBNET needs a CIDR prefix, got '10.0.0.1'") == 0,
	      "SUBNET without a length");
	CHECK(strcmp(load_err("z.intel", "#fields\tindicator_type\tindicator\nIntel::ADDR\texample.com\n"),
		     "z.intel:2:13: expected an IP address or CIDR prefix, got 'example.com'") == 0,
	      "ADDR not an address, column: %s",
	      load_err("z.intel", "#fields\tindicator_type\tindicator\nIntel::ADDR\texample.com\n"));
	CHECK(strcmp(load_err("z.intel", "#fields\tindicator\tindicator_type\n*.a.example\tIntel::DOMAIN\n"),
		     "z.intel:2:1: Intel::DOMAIN takes no wildcard, got '*.a.example'") == 0, "wildcard");
	CHECK(strcmp(load_err("z.intel", "#fields\tindicator\tindicator_type\n-\tIntel::DOMAIN\n"),
		     "z.intel:2:1: empty indicator") == 0, "'-' indicator");
	CHECK(strcmp(load_err("z.intel", "#fields\tindicator\tindicator_type\tmeta.source\n"
					 "1.2.3.4\tIntel::ADDR\n"),
		     "z.intel:2:20: 2 tab-separated fields where the #fields header names 3") == 0,
	      "too few fields: %s",
	      load_err("z.intel", "#fields\tindicator\tindicator_type\tmeta.source\n1.2.3.4\tIntel::ADDR\n"));
	CHECK(strcmp(load_err("z.intel", "#fields\tindicator\tindicator_type\n1.2.3.4\tIntel::ADDR\tx\n"),
		     "z.intel:2:21: more tab-separated fields than the 2 the #fields header names") == 0,
	      "too many fields: %s",
	      load_err("z.intel", "#fields\tindicator\tindicator_type\n1.2.3.4\tIntel::ADDR\tx\n"));
	CHECK(strcmp(load_err("z.intel", "#fields\tindicator\tindicator_type\n1.2.3.4 \tIntel::ADDR\n"),
		     "z.intel:2:1: expected an IP address or CIDR prefix, got '1.2.3.4 '") == 0,
	      "Zeek fields are not trimmed");
	CHECK(strcmp(load_err("z.intel", "#fields\tindicator\tindicator_type\nab\tIntel::JA3\n"),
		     "z.intel:2:1: expected a JA3 fingerprint (32 hex digits), got 'ab'") == 0, "bad JA3");
}

static void test_zeek_buffer(void)
{
	static const char text[] =
		"#fields\tmeta.desc\tindicator\tindicator_type\tmeta.source\r\n"
		"#path\tintel\r\n"
		"\r\n"
		"d1\t192.0.2.0/24\tIntel::SUBNET\tS1\r\n"
		"-\t192.0.2.9\tIntel::ADDR\t-\r\n"
		"(empty)\tExample.COM\tIntel::DOMAIN\tS1\r\n"
		"d4\thttp://example.com/x\tIntel::URL\tS1\r\n"
		"d5\tbad@example.com\tIntel::EMAIL\tS1\r\n"
		"d6\tA9993E364706816ABA3E25717850C26C9CD0D89D\tIntel::CERT_HASH\tS2\r\n"
		"d7\te7d705a3286e19ea42f587b344ee6865\tIntel::JA3\tS2\r\n"
		"d8\t192.0.2.9\tIntel::ADDR\tS3\r\n"
		"d9\t0123\tIntel::FILE_HASH\tS1\r\n";
	static const char cat[] =
		"#separator \\x09\n\n#fields\tindicator\tindicator_type\tmeta.source\n"
		"192.0.2.1\tIntel::ADDR\tA\n"
		"#fields\tmeta.source\tindicator_type\tindicator\n"
		"B\tIntel::DOMAIN\tb.example\n";
	struct ioc_set *s = ioc_set_new("zeek", 100);
	struct ioc_set_stats st;
	const struct ioc_entry *e, *e2;
	char err[256] = "";

	CHECK(ioc_set_load_buffer(s, "feed.intel", text, sizeof(text) - 1, err, sizeof(err)) == 0,
	      "load: %s", err);
	ioc_set_stats_get(s, &st);
	CHECK(st.entries[IOC_IP] == 2 && st.entries[IOC_DOMAIN] == 1 && st.entries[IOC_SHA1] == 1 &&
	      st.entries[IOC_JA3] == 1, "entries");
	CHECK(st.skipped == 3 && st.duplicates == 1, "skipped %llu duplicates %llu",
	      (unsigned long long)st.skipped, (unsigned long long)st.duplicates);
	e = match4(s, 192, 0, 2, 1);
	CHECK(e && e->line == 4 && strcmp(e->source, "S1") == 0 && strcmp(e->desc, "d1") == 0 &&
	      strcmp(e->indicator, "192.0.2.0/24") == 0, "subnet with meta");
	e2 = match4(s, 192, 0, 2, 9);
	CHECK(e2 && e2->line == 5 && e2->source == NULL && e2->desc == NULL, "'-' meta is NULL, first kept");
	e2 = ioc_set_match_domain(s, "example.com");
	CHECK(e2 && e2->desc == NULL && e && e2->source == e->source, "(empty) desc; source interned");
	CHECK(ioc_set_match_domain(s, "www.example.com") == NULL, "Intel::DOMAIN is exact");
	e = ioc_set_match_hash(s, IOC_SHA1, "a9993e364706816aba3e25717850c26c9cd0d89d");
	CHECK(e && strcmp(e->source, "S2") == 0 && e->line == 9, "cert hash");
	CHECK(ioc_set_match_hash(s, IOC_JA3, "E7D705A3286E19EA42F587B344EE6865") != NULL, "ja3");
	ioc_set_free(s);

	/* a Zeek log preamble before "#fields", and concatenated files whose
	 * second "#fields" orders the columns differently */
	s = ioc_set_new("zeek2", 100);
	CHECK(ioc_set_load_buffer(s, "cat.intel", cat, sizeof(cat) - 1, err, sizeof(err)) == 0,
	      "concatenated: %s", err);
	e = match4(s, 192, 0, 2, 1);
	e2 = ioc_set_match_domain(s, "b.example");
	CHECK(e && e->line == 4 && strcmp(e->source, "A") == 0, "after the preamble");
	CHECK(e2 && e2->line == 6 && strcmp(e2->source, "B") == 0, "second header's columns");
	ioc_set_free(s);
	CHECK(strcmp(load_err("p.txt", "# list\n192.0.2.1\n#fields\tindicator\tindicator_type\n"
				       "a.example\tIntel::DOMAIN\n"),
		     "p.txt:4:11: expected one indicator per line, found a second token 'Intel::DOMAIN'") == 0,
	      "#fields after a plain indicator is a comment");
}

struct feed {
	const char *file;
	uint64_t entries, duplicates;
	enum ioc_type type;
};

static void test_feeds(void)
{
	/* Expected counts, computed from the files themselves (in test-data/ioc):
	 *   for f in $(ls | grep 'intel$'); do
	 *     awk -F'\t' '!/^#/ && NF {n++} END {print n}' $f            # lines
	 *     awk -F'\t' '!/^#/ && NF {print $1}' $f | sort -u | wc -l    # unique indicators
	 *   done
	 * duplicates = lines - unique.  Across all six files (no indicator is
	 * in two files), with F="$(ls | grep 'intel$')":
	 *   awk -F'\t' '!/^#/ && NF && $2=="Intel::ADDR" {print $1}' $F | sort -u | wc -l    16068
	 *   awk -F'\t' '!/^#/ && NF && $2=="Intel::DOMAIN" {print $1}' $F | sort -u | wc -l  11219
	 *   awk -F'\t' '!/^#/ && NF {n++} END {print n}' $F                                  30822 */
	static const struct feed feeds[] = {
		{ "abuse-ch-ipblocklist.intel", 7607, 7980 - 7607, IOC_IP },
		{ "cobaltstrike_ips.intel", 804, 2087 - 804, IOC_IP },
		{ "doh-domains.intel", 1425, 0, IOC_DOMAIN },
		{ "filetransferportals.intel", 9794, 0, IOC_DOMAIN },
		{ "protonvpn.intel", 6285, 0, IOC_IP },
		{ "tor-exit.intel", 1372, 3251 - 1372, IOC_IP },
	};
	struct ioc_set *all = ioc_set_new("all", 100000);
	struct ioc_set_stats st, before;
	const struct ioc_entry *e;
	char err[512];
	size_t i;

	for (i = 0; i < sizeof(feeds) / sizeof(feeds[0]); i++) {
		struct ioc_set *s = ioc_set_new(feeds[i].file, 100000);
		char path[256];

		snprintf(path, sizeof(path), FEEDS "%s", feeds[i].file);
		err[0] = '\0';
		CHECK(ioc_set_load_file(s, path, err, sizeof(err)) == 0, "%s: %s", path, err);
		ioc_set_stats_get(s, &st);
		CHECK(st.entries[feeds[i].type] == feeds[i].entries &&
		      st.entries[IOC_IP] + st.entries[IOC_DOMAIN] == feeds[i].entries,
		      "%s: %llu entries, expected %llu", feeds[i].file,
		      (unsigned long long)st.entries[feeds[i].type], (unsigned long long)feeds[i].entries);
		CHECK(st.duplicates == feeds[i].duplicates && st.skipped == 0 && st.refused == 0,
		      "%s: %llu duplicates, expected %llu", feeds[i].file,
		      (unsigned long long)st.duplicates, (unsigned long long)feeds[i].duplicates);
		ioc_set_free(s);

		ioc_set_stats_get(all, &before);
		CHECK(ioc_set_load_file(all, path, err, sizeof(err)) == 0, "all: %s", err);
		ioc_set_stats_get(all, &st);
		CHECK(st.entries[feeds[i].type] - before.entries[feeds[i].type] == feeds[i].entries,
		      "%s into the shared set", feeds[i].file);
	}
	ioc_set_stats_get(all, &st);
	CHECK(st.entries[IOC_IP] == 16068 && st.entries[IOC_DOMAIN] == 11219 &&
	      st.duplicates == 30822 - 16068 - 11219, "all six: %llu ip %llu domains %llu duplicates",
	      (unsigned long long)st.entries[IOC_IP], (unsigned long long)st.entries[IOC_DOMAIN],
	      (unsigned long long)st.duplicates);
	CHECK(st.memory > 27287 * 16 && st.memory < 27287 * 400, "memory plausible: %zu", st.memory);

	/* first data line of tor-exit.intel:
	 * 171.25.193.25	Intel::ADDR	CPS-TOR-INTEL	F	CPS-TOR-INTEL */
	e = match4(all, 171, 25, 193, 25);
	CHECK(e && strcmp(e->indicator, "171.25.193.25") == 0 && strcmp(e->source, "CPS-TOR-INTEL") == 0 &&
	      strcmp(e->desc, "CPS-TOR-INTEL") == 0 && e->line == 2 &&
	      strcmp(e->file, FEEDS "tor-exit.intel") == 0, "tor exit, first line");
	/* cobaltstrike_ips.intel line 2, repeated on lines 3 and 4 */
	e = match4(all, 106, 12, 219, 245);
	CHECK(e && e->line == 2 && strcmp(e->source, "CobaltStrike-IP") == 0 &&
	      strcmp(e->desc, "CobaltStrike") == 0, "cobalt strike, first of three copies kept");
	/* abuse-ch-ipblocklist.intel line 2 */
	e = match4(all, 67, 213, 75, 205);
	CHECK(e && strcmp(e->source, "ABUSE-CH") == 0 && strcmp(e->desc, "BOTNET") == 0, "abuse.ch");
	e = match4(all, 102, 218, 103, 10);
	CHECK(e && strcmp(e->source, "Proton") == 0 && e->line == 3, "protonvpn line 3");
	e = ioc_set_match_domain(all, "003153.xyz");
	CHECK(e && strcmp(e->source, "DNS-OVER-HTTPS") == 0 && e->line == 2, "doh first line");
	e = ioc_set_match_domain(all, "ZZCTZG.com.cn.mega.nz.");
	CHECK(e && strcmp(e->source, "CPS-CTI") == 0 && e->line == 9795, "file transfer, last line");
	CHECK(ioc_set_match_domain(all, "sub.003153.xyz") == NULL, "Zeek domains are exact");
	CHECK(match4(all, 192, 0, 2, 1) == NULL, "documentation address not listed");
	ioc_set_free(all);
}

/* A temp file: CRLF plain list through ioc_set_load_file. */
static void test_file(void)
{
	char path[] = "/tmp/test_ioc.XXXXXX", err[256] = "";
	static const char text[] = "# list\r\n203.0.113.5\r\n\r\n*.tracker.example # trailing\r\n";
	struct ioc_set *s = ioc_set_new("file", 10);
	const struct ioc_entry *e;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	CHECK(fd >= 0, "mkstemp");
	if (fd < 0)
		goto out;
	f = fdopen(fd, "w");
	fwrite(text, 1, sizeof(text) - 1, f);
	fclose(f);
	CHECK(ioc_set_load_file(s, path, err, sizeof(err)) == 0, "load: %s", err);
	e = match4(s, 203, 0, 113, 5);
	CHECK(e && e->line == 2 && strcmp(e->file, path) == 0, "entry from file");
	CHECK(value_of(ioc_set_match_domain(s, "a.tracker.example")) == 0, "wildcard from file");
	unlink(path);
out:
	ioc_set_free(s);
}

/* Items of a comma- or blank-separated config value. */
static void test_list_next(void)
{
	const char *p = " 10.0.0.0/8,192.0.2.1\t, ,2001:db8::/32 ";
	char tok[16];
	int cut;

	p = ioc_list_next(p, tok, sizeof(tok), &cut);
	CHECK(p && !strcmp(tok, "10.0.0.0/8") && !cut, "first item '%s'", tok);
	p = ioc_list_next(p, tok, sizeof(tok), &cut);
	CHECK(p && !strcmp(tok, "192.0.2.1") && !cut, "second item '%s'", tok);
	p = ioc_list_next(p, tok, sizeof(tok), &cut);
	CHECK(p && !strcmp(tok, "2001:db8::/32") && !cut, "third item '%s'", tok);
	CHECK(ioc_list_next(p, tok, sizeof(tok), &cut) == NULL, "then none");
	CHECK(ioc_list_next(" ,\t", tok, sizeof(tok), &cut) == NULL, "separators only: none");
	p = ioc_list_next("0123456789abcdefXYZ, 1.2.3.4", tok, sizeof(tok), &cut);
	CHECK(p && cut && !strcmp(tok, "0123456789abcde"), "a long item is cut and says so ('%s')", tok);
	p = ioc_list_next(p, tok, sizeof(tok), &cut);
	CHECK(p && !strcmp(tok, "1.2.3.4") && !cut, "the next item after a long one '%s'", tok);
}

int main(void)
{
	test_list_next();
	test_types();
	test_prefixes();
	test_lpm_random(300);
	test_lpm_random(5000);
	test_domains();
	test_cap();
	test_plain();
	test_errors();
	test_zeek_buffer();
	test_feeds();
	test_file();
	return check_done();
}
