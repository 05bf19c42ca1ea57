/* Fuzz target: the sensor's config keys (config.h) — every fixed key, the
 * dynamic zone.<key>.name / zone.<key>.networks and lists.<name> keys, the
 * site.* address lists, and the cross-checks.  (fuzz_conf covers the generic
 * parser; this target goes on with what the sensor does with the values.)
 *
 * After config_check, the zones and site lists go through policy_load's own
 * policy_zones_build and policy_site_add, so fuzzed values reach
 * zones_define, zones_add_networks and ioc_set_add.  No file named in the
 * config is opened (and no nDPI module is made). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "config.h"
#include "ioc.h"
#include "policy.h"
#include "zones.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_config_handler(void *ctx, const char *key, const char *value, char *err,
			       size_t errlen)
{
	return config_set(ctx, key, value, err, errlen);
}

/* The zone.* keys, through the code policy_load uses. */
static void fuzz_config_zones(const struct config *cfg)
{
	struct zones *z;
	char why[512];

	for (const struct config_pair *p = cfg->zones; p; p = p->next) {
		if (!p->name || !p->attr || !p->value)
			abort();
		if (strcmp(p->attr, "name") && strcmp(p->attr, "networks"))
			abort();   /* config_set must refuse other attributes */
	}
	z = policy_zones_build(cfg, why, sizeof(why));
	if (!z) {
		if (strncmp(why, "zone.", 5) && strcmp(why, "out of memory"))
			abort();   /* errors name the key */
		return;
	}
	for (unsigned i = 0; i < zones_count(z); i++)
		if (!zones_key(z, (int)i)[0] || !zones_name(z, (int)i)[0])
			abort();
	zones_free(z);
}

/* site.* lists, through the code policy_load uses. */
static void fuzz_config_site(const char *key, const char *site)
{
	struct ioc_set *set = ioc_set_new("site", 1000);
	char why[512];

	if (!set)
		return;
	if (policy_site_add(set, key, site, why, sizeof(why)) < 0 && strncmp(why, key, strlen(key)))
		abort();   /* errors name the key */
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
		fuzz_config_site("site.sanitizing_gateways", cfg.gateways);
		fuzz_config_site("site.proxies", cfg.proxies);
		fuzz_config_site("site.dns_resolvers", cfg.resolvers);
	}
	config_fini(&cfg);
	return 0;
}
