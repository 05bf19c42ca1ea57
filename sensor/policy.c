/* policy — see policy.h. */
#include "policy.h"

#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ioc.h"

#define POLICY_MAX_RULE_FILES 1024

struct policy {
	atomic_uint refs;
	struct zones *zones;
	struct rules_set *rules;
	struct ioc_set **lists;       /* one per list the rules reference */
	size_t nlists;
	struct policy_info info;
	uint64_t hash;                /* of the rule and list files read, for info.version */
};

struct policy *policy_ref(struct policy *p)
{
	if (p)
		atomic_fetch_add(&p->refs, 1);
	return p;
}

static void policy_free(struct policy *p)
{
	rules_set_free(p->rules);
	for (size_t i = 0; i < p->nlists; i++)
		ioc_set_free(p->lists[i]);
	free(p->lists);
	zones_free(p->zones);
	free(p);
}

void policy_unref(struct policy *p)
{
	if (p && atomic_fetch_sub(&p->refs, 1) == 1)
		policy_free(p);
}

const struct zones *policy_zones(const struct policy *p)
{
	return p->zones;
}

const struct rules_set *policy_rules(const struct policy *p)
{
	return p->rules;
}

void policy_info_get(const struct policy *p, struct policy_info *out)
{
	*out = p->info;
}

struct zones *policy_zones_build(const struct config *cfg, char *err, size_t errlen)
{
	struct zones *zs = zones_new();
	char why[512];

	if (!zs) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* names first, so that networks may come before the name in the file */
	for (const struct config_pair *z = cfg->zones; z; z = z->next) {
		int idx = zones_find(zs, z->name);
		const char *display = !strcmp(z->attr, "name") ? z->value : NULL;

		if (!strcmp(z->name, "external")) {
			snprintf(err, errlen, "zone.external: 'external' is every address no other zone "
				 "claims; it takes no settings");
			goto fail;
		}
		if (idx >= 0 && !display)
			continue;
		if (zones_define(zs, z->name, display, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "zone.%s.%s: %s", z->name, z->attr, why);
			goto fail;
		}
	}
	for (const struct config_pair *z = cfg->zones; z; z = z->next) {
		if (strcmp(z->attr, "networks"))
			continue;
		if (zones_add_networks(zs, zones_find(zs, z->name), z->value, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "zone.%s.networks: %s", z->name, why);
			goto fail;
		}
	}
	return zs;
fail:
	zones_free(zs);
	return NULL;
}

int policy_site_add(struct ioc_set *set, const char *key, const char *value, char *err,
		    size_t errlen)
{
	const char *q = value ? value : "";
	char tok[128], why[512];
	int cut;

	while ((q = ioc_list_next(q, tok, sizeof(tok), &cut)) != NULL)
		if (ioc_set_add(set, IOC_IP, tok, 0, key, NULL, key, 0, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s: '%s': %.300s", key, tok, why);
			return -1;
		}
	return 0;
}

static int policy_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* FNV-1a over the rule files, for the rule-set version. */
static uint64_t policy_hash(uint64_t h, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t policy_hash_file(uint64_t h, const char *path)
{
	char buf[8192];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		return h;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		h = policy_hash(h, buf, n);
	fclose(f);
	return h;
}

static int policy_rules_load(struct policy *p, const char *dir, char *err, size_t errlen)
{
	DIR *d;
	struct dirent *de;
	char *names[POLICY_MAX_RULE_FILES];
	size_t n = 0;
	int rc = -1;

	if (!dir || !dir[0])
		return 0;
	d = opendir(dir);
	if (!d) {
		snprintf(err, errlen, "rules directory %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || len < 7 || strcmp(de->d_name + len - 6, ".rules"))
			continue;
		if (n == POLICY_MAX_RULE_FILES) {
			snprintf(err, errlen, "rules directory %s: more than %d .rules files", dir,
				 POLICY_MAX_RULE_FILES);
			goto out;
		}
		if (asprintf(&names[n], "%s/%s", dir, de->d_name) < 0) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		n++;
	}
	qsort(names, n, sizeof(names[0]), policy_cmp);
	for (size_t i = 0; i < n; i++) {
		if (rules_parse_file(p->rules, names[i], err, errlen) < 0)
			goto out;
		p->hash = policy_hash_file(p->hash, names[i]);
	}
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	closedir(d);
	return rc;
}

/* Where list @name comes from: lists.<name> in the config, a built-in site
 * list, or <rules dir>/lists/<name>.{list,txt,intel}. */
static struct ioc_set *policy_list_load(const struct config *cfg, const char *dir, const char *name,
					uint64_t *hash, char *err, size_t errlen)
{
	static const char *const exts[] = { "list", "txt", "intel" };
	struct ioc_set *set = ioc_set_new(name, POLICY_MAX_LIST_ENTRIES);
	const char *site = NULL, *site_key = NULL;
	char path[4096];
	struct stat st;

	if (!set) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (const struct config_pair *l = cfg->lists; l; l = l->next)
		if (!strcmp(l->name, name)) {
			if (ioc_set_load_file(set, l->value, err, errlen) < 0)
				goto fail;
			*hash = policy_hash_file(*hash, l->value);
			return set;
		}
	if (!strcmp(name, POLICY_BUILTIN_GATEWAYS)) {
		site = cfg->gateways;
		site_key = "site.sanitizing_gateways";
	} else if (!strcmp(name, POLICY_BUILTIN_PROXIES)) {
		site = cfg->proxies;
		site_key = "site.proxies";
	} else if (!strcmp(name, POLICY_BUILTIN_DNS)) {
		site = cfg->resolvers;
		site_key = "site.dns_resolvers";
	}
	if (site_key) {
		*hash = policy_hash(*hash, site ? site : "", site ? strlen(site) + 1 : 1);
		if (policy_site_add(set, site_key, site, err, errlen) < 0)
			goto fail;
		return set;
	}
	for (size_t i = 0; dir && dir[0] && i < sizeof(exts) / sizeof(exts[0]); i++) {
		snprintf(path, sizeof(path), "%s/lists/%s.%s", dir, name, exts[i]);
		if (stat(path, &st) == 0) {
			if (ioc_set_load_file(set, path, err, errlen) < 0)
				goto fail;
			*hash = policy_hash_file(*hash, path);
			return set;
		}
	}
	err[0] = '\0';   /* not found: the caller reports where it was used */
fail:
	ioc_set_free(set);
	return NULL;
}

struct policy *policy_load(const struct config *cfg, const char *rules_dir,
			   char *err, size_t errlen)
{
	struct policy *p = calloc(1, sizeof(*p));
	struct classify *names = NULL;
	struct classify_files files;
	char why[512];

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	atomic_init(&p->refs, 1);
	p->hash = 0xcbf29ce484222325ULL;   /* FNV-1a offset basis */
	p->zones = policy_zones_build(cfg, err, errlen);
	if (!p->zones)
		goto fail;
	/* nDPI names are looked up in a module of our own, with the same custom
	 * protocol files as the workers' so the ids agree */
	config_ndpi_files(cfg, &files);
	names = classify_new(&files, err, errlen);
	if (!names)
		goto fail;
	p->rules = rules_set_new(names, p->zones);
	if (!p->rules) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (policy_rules_load(p, rules_dir, err, errlen) < 0)
		goto fail;
	p->nlists = rules_list_count(p->rules);
	p->lists = calloc(p->nlists ? p->nlists : 1, sizeof(*p->lists));
	if (!p->lists) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < p->nlists; i++) {
		struct ioc_set_stats st;

		p->lists[i] = policy_list_load(cfg, rules_dir, rules_list_name(p->rules, i), &p->hash,
					       why, sizeof(why));
		if (!p->lists[i]) {
			if (why[0]) {
				snprintf(err, errlen, "%s", why);
				goto fail;
			}
			continue;   /* rules_check_bound names the rule that used it */
		}
		rules_bind_list(p->rules, i, p->lists[i]);
		ioc_set_stats_get(p->lists[i], &st);
		for (int t = 0; t < IOC_TYPE_COUNT; t++)
			p->info.list_entries += st.entries[t];
	}
	if (rules_check_bound(p->rules, err, errlen) < 0)
		goto fail;
	p->info.rules = rules_count(p->rules);
	p->info.suppress = rules_suppress_count(p->rules);
	p->info.lists = p->nlists;
	p->info.zones = zones_count(p->zones);
	snprintf(p->info.version, sizeof(p->info.version), "%016llx", (unsigned long long)p->hash);
	classify_free(names);
	return p;
fail:
	classify_free(names);
	policy_free(p);
	return NULL;
}
