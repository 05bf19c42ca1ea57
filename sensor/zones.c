/* zones — see zones.h.  The prefixes live in one ioc_set whose entries carry
 * the zone index, so a lookup is the set's longest-prefix match. */
#include "zones.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ioc.h"

#define ZONES_MAX_PREFIXES 1000000u

struct zones {
	unsigned n;
	char *key[ZONES_MAX];
	char *name[ZONES_MAX];
	struct ioc_set *nets;
	unsigned nnets;          /* prefixes added */
};

struct zones *zones_new(void)
{
	struct zones *z = calloc(1, sizeof(*z));

	if (!z)
		return NULL;
	z->nets = ioc_set_new("zones", ZONES_MAX_PREFIXES);
	z->key[0] = strdup("external");
	z->name[0] = strdup("external");
	if (!z->nets || !z->key[0] || !z->name[0]) {
		zones_free(z);
		return NULL;
	}
	z->n = 1;
	/* the three zones of policy 第6(3) always exist; the config gives them
	 * networks (and may rename them) */
	if (zones_define(z, "core", "基幹系", NULL, 0) < 0 ||
	    zones_define(z, "lgwan", "LGWAN接続系", NULL, 0) < 0 ||
	    zones_define(z, "internet", "情報系", NULL, 0) < 0) {
		zones_free(z);
		return NULL;
	}
	return z;
}

void zones_free(struct zones *z)
{
	if (!z)
		return;
	for (unsigned i = 0; i < ZONES_MAX; i++) {
		free(z->key[i]);
		free(z->name[i]);
	}
	ioc_set_free(z->nets);
	free(z);
}

static int zones_key_ok(const char *key)
{
	if (!key[0] || strlen(key) > 32)
		return 0;
	for (const char *p = key; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return 0;
	return 1;
}

int zones_define(struct zones *z, const char *key, const char *display_name,
		 char *err, size_t errlen)
{
	int idx = zones_find(z, key);
	char *name;

	if (!zones_key_ok(key)) {
		snprintf(err, errlen, "zone key '%s': expected 1-32 of a-z 0-9 _ -", key);
		return -1;
	}
	if (idx < 0) {
		if (z->n >= ZONES_MAX) {
			snprintf(err, errlen, "zone '%s': more than %d zones", key, ZONES_MAX);
			return -1;
		}
		idx = (int)z->n;
		z->key[idx] = strdup(key);
		if (!z->key[idx])
			goto oom;
		z->n++;
	}
	name = strdup(display_name && display_name[0] ? display_name : key);
	if (!name)
		goto oom;
	free(z->name[idx]);
	z->name[idx] = name;
	return idx;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* The zone that already holds prefix tok, -1 when it cannot be told (a
 * longer prefix starts at the same address). */
static int zones_holder(const struct zones *z, const char *tok)
{
	char addr[INET6_ADDRSTRLEN + 1], why[256];
	uint8_t a[16] = { 0 };
	const char *slash = strchr(tok, '/');
	size_t n = slash ? (size_t)(slash - tok) : strlen(tok);
	const struct ioc_entry *mine, *e;
	struct ioc_set *one;
	int ver, holder = -1;

	if (n >= sizeof(addr))
		return -1;
	memcpy(addr, tok, n);
	addr[n] = '\0';
	ver = inet_pton(AF_INET, addr, a) == 1 ? 4 : inet_pton(AF_INET6, addr, a) == 1 ? 6 : 0;
	if (!ver || !(one = ioc_set_new("one", 1)))
		return -1;
	if (ioc_set_add(one, IOC_IP, tok, 0, NULL, NULL, "", 0, why, sizeof(why)) == 0 &&
	    (mine = ioc_set_match_ip(one, ver, a)) != NULL &&
	    (e = ioc_set_match_ip(z->nets, ver, a)) != NULL && !strcmp(e->indicator, mine->indicator))
		holder = e->value;
	ioc_set_free(one);
	return holder;
}

int zones_add_networks(struct zones *z, int idx, const char *list, char *err, size_t errlen)
{
	const char *p = list;
	char tok[128], why[256];
	int cut;

	if (idx <= ZONES_EXTERNAL || (unsigned)idx >= z->n) {
		snprintf(err, errlen, "zone %d: not a zone that can hold networks", idx);
		return -1;
	}
	while ((p = ioc_list_next(p, tok, sizeof(tok), &cut)) != NULL) {
		int rc;

		if (cut) {
			snprintf(err, errlen, "zone %s: network '%.40s...' too long", z->key[idx], tok);
			return -1;
		}
		rc = ioc_set_add(z->nets, IOC_IP, tok, idx, NULL, NULL, "", 0, why, sizeof(why));
		if (rc < 0) {
			snprintf(err, errlen, "zone %s: '%s': %s", z->key[idx], tok, why);
			return -1;
		}
		if (rc == 1) {
			int other = zones_holder(z, tok);

			if (other > ZONES_EXTERNAL && other != idx)
				snprintf(err, errlen, "zone %s: '%s' is listed twice (also in zone %s)",
					 z->key[idx], tok, z->key[other]);
			else
				snprintf(err, errlen, "zone %s: '%s' is listed twice (in this zone or another)",
					 z->key[idx], tok);
			return -1;
		}
		z->nnets++;
	}
	return 0;
}

int zones_lookup(const struct zones *z, int ip_version, const uint8_t *addr)
{
	const struct ioc_entry *e = ioc_set_match_ip(z->nets, ip_version, addr);

	return e ? e->value : ZONES_EXTERNAL;
}

int zones_find(const struct zones *z, const char *key)
{
	for (unsigned i = 0; i < z->n; i++)
		if (!strcmp(z->key[i], key))
			return (int)i;
	return -1;
}

int zones_find_any(const struct zones *z, const char *key_or_name)
{
	int idx = zones_find(z, key_or_name);

	for (unsigned i = 0; idx < 0 && i < z->n; i++)
		if (!strcmp(z->name[i], key_or_name))
			idx = (int)i;
	return idx;
}

unsigned zones_count(const struct zones *z)
{
	return z->n;
}

int zones_has_networks(const struct zones *z)
{
	return z->nnets > 0;
}

const char *zones_key(const struct zones *z, int idx)
{
	return idx >= 0 && (unsigned)idx < z->n ? z->key[idx] : "external";
}

const char *zones_name(const struct zones *z, int idx)
{
	return idx >= 0 && (unsigned)idx < z->n ? z->name[idx] : "external";
}
