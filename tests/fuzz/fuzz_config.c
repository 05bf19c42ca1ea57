/* Fuzz target: the sensor's config keys (config.h) — every fixed key, the
 * dynamic zone.<key>.name / zone.<key>.networks and lists.<name> keys, the
 * site.* address lists, and the cross-checks.  (fuzz_conf covers the generic
 * parser; this target goes on with what the sensor does with the values.)
 *
 * After config_check, the zones are built as policy_load builds them (names
 * first, then networks) and the site lists are split into addresses, so
 * fuzzed values reach zones_define, zones_add_networks and ioc_set_add.  No
 * file named in the config is opened. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "config.h"
#include "ioc.h"
#include "zones.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_config_handler(void *ctx, const char *key, const char *value, char *err,
			       size_t errlen)
{
	return config_set(ctx, key, value, err, errlen);
}

/* The zone.* keys, as policy_load applies them. */
static void fuzz_config_zones(const struct config *cfg)
{
	struct zones *z = zones_new();
	char why[512];

	if (!z)
		return;
	for (const struct config_pair *p = cfg->zones; p; p = p->next) {
		const char *display;

		if (!p->name || !p->attr || !p->value)
			abort();
		if (strcmp(p->attr, "name") && strcmp(p->attr, "networks"))
			abort();   /* config_set must refuse other attributes */
		display = !strcmp(p->attr, "name") ? p->value : NULL;
		if (!strcmp(p->name, "external"))
			goto out;
		if (zones_find(z, p->name) >= 0 && !display)
			continue;
		if (zones_define(z, p->name, display, why, sizeof(why)) < 0)
			goto out;
	}
	for (const struct config_pair *p = cfg->zones; p; p = p->next) {
		int idx;

		if (strcmp(p->attr, "networks"))
			continue;
		idx = zones_find(z, p->name);
		if (idx <= ZONES_EXTERNAL)
			abort();   /* defined in the first pass */
		if (zones_add_networks(z, idx, p->value, why, sizeof(why)) < 0)
			goto out;
	}
	for (unsigned i = 0; i < zones_count(z); i++)
		if (!zones_key(z, (int)i)[0] || !zones_name(z, (int)i)[0])
			abort();
out:
	zones_free(z);
}

/* site.* lists: blank or comma separated addresses, as policy_load splits them. */
static void fuzz_config_site(const char *site)
{
	struct ioc_set *set;
	char tok[128], why[512];
	const char *q = site;

	if (!site)
		return;
	set = ioc_set_new("site", 1000);
	if (!set)
		return;
	while (*q) {
		size_t len = strcspn(q, ", \t");

		if (!len) {
			q++;
			continue;
		}
		snprintf(tok, sizeof(tok), "%.*s", (int)len, q);
		q += len;
		if (ioc_set_add(set, IOC_IP, tok, 0, "site", NULL, "site", 0, why, sizeof(why)) < 0)
			break;
	}
	ioc_set_free(set);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char err[512];

	config_init(&cfg);
	err[0] = '\0';
	if (conf_parse_buffer("fuzz.conf", (const char *)data, size, fuzz_config_handler, &cfg, err,
			      sizeof(err)) < 0) {
		if (strncmp(err, "fuzz.conf:", 10) != 0)
			abort();
	} else {
		/* a config check may fail (no -r/-i here); the values are still set */
		config_check(&cfg, err, sizeof(err));
		if (cfg.workers < 1 || cfg.workers > CONFIG_MAX_WORKERS || cfg.snaplen < 64 ||
		    cfg.snaplen > 262144 || cfg.max_flows < 1)
			abort();
		for (const struct config_pair *p = cfg.lists; p; p = p->next)
			if (!p->name || !p->name[0] || p->attr || !p->value)
				abort();
		fuzz_config_zones(&cfg);
		fuzz_config_site(cfg.gateways);
		fuzz_config_site(cfg.proxies);
		fuzz_config_site(cfg.resolvers);
	}
	config_fini(&cfg);
	return 0;
}
