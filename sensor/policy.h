/*
 * policy — everything SIGHUP reloads, as one immutable, reference-counted
 * object: the zones, the named lists and the rule set.  The main thread
 * builds a new policy (policy_load), hands a reference to each worker
 * through its ring, and drops its own; a worker drops the old one when the
 * new one reaches it.  The last reference frees it.  A load that fails
 * leaves nothing behind: the caller keeps the policy it had.
 */
#ifndef ZW_POLICY_H
#define ZW_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ioc.h"
#include "rules.h"
#include "zones.h"

#define POLICY_MAX_LIST_ENTRIES 20000000u   /* per list */
#define POLICY_BUILTIN_GATEWAYS "sanitizing_gateways"
#define POLICY_BUILTIN_PROXIES  "proxies"
#define POLICY_BUILTIN_DNS      "dns_resolvers"

struct policy_info {
	size_t rules, suppress, lists;
	uint64_t list_entries;
	unsigned zones;
	char version[17];          /* hash of the rule and list files' contents, hex */
};

struct policy;

/* Build from the config: zones, site lists, the rule files of rules_dir
 * (every *.rules, in name order; NULL or "" for none) and the lists they
 * reference.  NULL with "file:line:col: reason" (or another reason naming
 * the file/key) in err. */
struct policy *policy_load(const struct config *cfg, const char *rules_dir,
			   char *err, size_t errlen);
struct policy *policy_ref(struct policy *p);
void policy_unref(struct policy *p);

const struct zones *policy_zones(const struct policy *p);

/* The parts of policy_load that read the config, for callers that need only
 * them (the config fuzz target).  The zones of the zone.* keys: NULL with
 * "zone.<key>.<attr>: reason" in err.  The addresses of a site.* value
 * (comma or blank separated) into set: -1 with "key: 'item': reason". */
struct zones *policy_zones_build(const struct config *cfg, char *err, size_t errlen);
int policy_site_add(struct ioc_set *set, const char *key, const char *value, char *err,
		    size_t errlen);
const struct rules_set *policy_rules(const struct policy *p);
void policy_info_get(const struct policy *p, struct policy_info *out);

#endif
