/* Fuzz target: the rule language (rules.h).  Rule files are operator input
 * and shipped feeds: a bad one must give an error, never a crash.
 *
 * Input: the bytes of a rules file.  If it parses, every list it references
 * is bound to one small indicator set and a few fixed flows are matched
 * against it.  Checked invariants: an error starts with the file name; a
 * rule that fires has the required metadata and at most RULES_MAX_EVIDENCE
 * evidence entries.
 *
 * The nDPI names module (expensive to make) and the zones are made once and
 * kept for the life of the process; the rule set is made and freed per
 * input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "ioc.h"
#include "rules.h"
#include "zones.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NAME "fuzz.rules"

static struct classify *fuzz_cls;
static struct zones *fuzz_zones;
static struct ioc_set *fuzz_list;

static const uint8_t fuzz_a4[3][16] = {
	{ 192, 168, 1, 10 }, { 203, 0, 113, 9 }, { 127, 0, 0, 1 },
};
static const uint8_t fuzz_a6[2][16] = {
	{ 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 5 },
	{ 0x20, 0x01, 0x0d, 0xb8, 0x0b, 0xad, [15] = 1 },
};
static const struct geo_info fuzz_geo[2] = {
	{ "JP", 2497, "IIJ" },
	{ "US", 15169, "Google" },
};
static const struct geo_info fuzz_nogeo;

static struct rules_flow fuzz_flows[3];

static void fuzz_setup(void)
{
	static const char *const items[] = {
		"203.0.113.0/24", "127.0.0.1", "2001:db8:bad::/48", "evil.example", "*.tracker.example",
		"e7d705a3286e19ea42f587b344ee6865", "a9993e364706816aba3e25717850c26c9cd0d89d",
	};
	char err[256];
	int core, inet;

	if (fuzz_cls)
		return;
	fuzz_cls = classify_new(NULL, err, sizeof(err));
	fuzz_zones = zones_new();
	fuzz_list = ioc_set_new("fuzzlist", 64);
	if (!fuzz_cls || !fuzz_zones || !fuzz_list)
		abort();
	core = zones_find(fuzz_zones, "core");
	inet = zones_find(fuzz_zones, "internet");
	if (zones_define(fuzz_zones, "dmz", "DMZ", err, sizeof(err)) < 0 ||
	    zones_add_networks(fuzz_zones, core, "10.1.0.0/16", err, sizeof(err)) < 0 ||
	    zones_add_networks(fuzz_zones, inet, "192.168.0.0/16, 2001:db8:1::/48", err, sizeof(err)) < 0)
		abort();
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++)
		if (ioc_set_add(fuzz_list, IOC_TYPE_COUNT, items[i], (int32_t)i, NULL, NULL, "fuzz", 1,
				err, sizeof(err)) < 0)
			abort();

	/* a TLS flow internet → external, everything known */
	struct rules_flow *f = &fuzz_flows[0];
	f->ip_version = 4;
	f->proto = 6;
	f->addr[0] = fuzz_a4[0];
	f->addr[1] = fuzz_a4[1];
	f->port[0] = 40000;
	f->port[1] = 443;
	f->zone[0] = zones_lookup(fuzz_zones, 4, fuzz_a4[0]);
	f->zone[1] = zones_lookup(fuzz_zones, 4, fuzz_a4[1]);
	f->geo[0] = &fuzz_geo[0];
	f->geo[1] = &fuzz_geo[1];
	f->master = (uint16_t)classify_proto_by_name(fuzz_cls, "TLS");
	f->app = (uint16_t)classify_proto_by_name(fuzz_cls, "Tor");
	f->category = (uint16_t)classify_category_by_name(fuzz_cls, "Web");
	f->breed = classify_breed_by_name(fuzz_cls, "unsafe");
	f->confidence = 4;
	f->risk = ~0ULL << 1;
	f->hostname = "a.tracker.example";
	f->sni = "evil.example";
	f->ja3c = "e7d705a3286e19ea42f587b344ee6865";
	f->ja3s = "0123456789abcdef0123456789abcdef";
	f->cert_sha1 = "a9993e364706816aba3e25717850c26c9cd0d89d";
	f->pkts[0] = 10;
	f->pkts[1] = 20;
	f->bytes[0] = 1500;
	f->bytes[1] = 12000000;
	f->duration_us = 125000000;

	/* IPv6, nothing classified, no names */
	f = &fuzz_flows[1];
	f->ip_version = 6;
	f->proto = 17;
	f->addr[0] = fuzz_a6[0];
	f->addr[1] = fuzz_a6[1];
	f->port[0] = 5353;
	f->port[1] = 53;
	f->zone[0] = zones_lookup(fuzz_zones, 6, fuzz_a6[0]);
	f->zone[1] = zones_lookup(fuzz_zones, 6, fuzz_a6[1]);
	f->geo[0] = &fuzz_nogeo;
	f->geo[1] = &fuzz_nogeo;
	f->breed = -1;
	f->bytes[0] = UINT64_MAX / 2;
	f->bytes[1] = UINT64_MAX / 2;
	f->duration_us = UINT64_MAX;

	/* a placeholder address, empty strings */
	f = &fuzz_flows[2];
	f->ip_version = 4;
	f->proto = 1;
	f->addr[0] = fuzz_a4[2];
	f->addr[1] = fuzz_a4[2];
	f->geo[0] = &fuzz_nogeo;
	f->geo[1] = &fuzz_geo[0];
	f->hostname = "";
	f->sni = "";
	f->ja3c = "";
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup();
	return 0;
}

static void fuzz_on_match(void *ctx, const struct rules_rule *r, const struct rules_evidence *ev,
			  unsigned nev, bool silenced)
{
	(void)silenced;
	unsigned *hits = ctx;

	if (!r->msg || !r->msg[0] || !r->threat || !r->threat[0] || r->sid == 0 || r->rev == 0 ||
	    r->severity < RULES_SEV_CRITICAL || r->severity > RULES_SEV_INFO || !r->file)
		abort();
	if (nev > RULES_MAX_EVIDENCE)
		abort();
	for (unsigned i = 0; i < nev; i++)
		if (!ev[i].field || memchr(ev[i].value, '\0', sizeof(ev[i].value)) == NULL)
			abort();
	(*hits)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules_set *rs;
	char err[RULES_ERR_MAX];
	unsigned hits = 0;

	fuzz_setup();
	rs = rules_set_new(fuzz_cls, fuzz_zones);
	if (!rs)
		return 0;
	err[0] = '\0';
	if (rules_parse_buffer(rs, FUZZ_NAME, (const char *)data, size, err, sizeof(err)) < 0) {
		if (strncmp(err, FUZZ_NAME ":", sizeof(FUZZ_NAME)) != 0)
			abort();
		goto out;
	}
	if (rules_count(rs) > RULES_MAX_RULES)
		abort();
	for (size_t i = 0; i < rules_list_count(rs); i++) {
		if (!rules_list_name(rs, i))
			abort();
		rules_bind_list(rs, i, fuzz_list);
	}
	if (rules_check_bound(rs, err, sizeof(err)) < 0)
		abort();
	for (size_t i = 0; i < sizeof(fuzz_flows) / sizeof(fuzz_flows[0]); i++) {
		unsigned silenced = rules_match(rs, &fuzz_flows[i], fuzz_on_match, &hits);
		if (silenced > rules_count(rs))
			abort();
	}
out:
	rules_set_free(rs);
	return 0;
}
