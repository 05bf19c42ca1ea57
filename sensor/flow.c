/* flow — key construction and hashing; see flow.h. */
#include "flow.h"

#include <string.h>

static const char *const flow_end_names[FLOW_END_COUNT] = {
	[FLOW_END_NONE] = "none",
	[FLOW_END_TIMEOUT] = "timeout",
	[FLOW_END_FIN] = "fin",
	[FLOW_END_RST] = "rst",
	[FLOW_END_ACTIVE] = "active",
	[FLOW_END_EVICTED] = "evicted",
	[FLOW_END_REUSED] = "reused",
	[FLOW_END_SHUTDOWN] = "shutdown",
	[FLOW_END_TIME_JUMP] = "time_jump",
};

const char *flow_end_name(enum flow_end reason)
{
	if ((unsigned)reason >= FLOW_END_COUNT)
		return "unknown";
	return flow_end_names[reason];
}

void flow_key_from_decoded(struct flow_key *key, const struct decoded *d)
{
	memset(key, 0, sizeof(*key));
	memcpy(key->addr[0], d->src, 16);
	memcpy(key->addr[1], d->dst, 16);
	key->port[0] = d->sport;
	key->port[1] = d->dport;
	key->vlan_count = d->vlan_count > DECODE_MAX_VLANS ? DECODE_MAX_VLANS : d->vlan_count;
	for (unsigned i = 0; i < key->vlan_count; i++)
		key->vlan[i] = d->vlan[i];
	key->proto = d->l4_proto;
	key->ip_version = d->ip_version;
}

/* 64-bit finaliser (the splitmix64 / murmur3 fmix constants): a cheap,
 * well-mixed permutation of a word. */
static uint64_t flow_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t flow_load64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t flow_addr_hash(const uint8_t *addr)
{
	return flow_mix64(flow_load64(addr) ^ flow_mix64(flow_load64(addr + 8) + 0x9e3779b97f4a7c15ULL));
}

/* The sum of the two endpoint hashes does not depend on their order. */
static uint64_t flow_vlan_word(const struct flow_key *key)
{
	return ((uint64_t)key->iface << 48) | ((uint64_t)key->vlan[0] << 32) |
	       ((uint64_t)key->vlan[1] << 16) | key->vlan_count;
}

uint64_t flow_key_shard_hash(const struct flow_key *key)
{
	uint64_t h = flow_addr_hash(key->addr[0]) + flow_addr_hash(key->addr[1]);
	return flow_mix64(h ^ flow_vlan_word(key));
}

uint64_t flow_key_hash(const struct flow_key *key)
{
	uint64_t e0 = flow_mix64(flow_addr_hash(key->addr[0]) ^ key->port[0]);
	uint64_t e1 = flow_mix64(flow_addr_hash(key->addr[1]) ^ key->port[1]);
	uint64_t meta = ((uint64_t)key->proto << 56) ^ flow_vlan_word(key);
	return flow_mix64((e0 + e1) ^ meta);
}

static int flow_same_meta(const struct flow_key *a, const struct flow_key *b)
{
	return a->proto == b->proto && a->ip_version == b->ip_version &&
	       a->vlan_count == b->vlan_count && a->vlan[0] == b->vlan[0] &&
	       a->vlan[1] == b->vlan[1] && a->iface == b->iface;
}

int flow_key_match(const struct flow_key *s, const struct flow_key *p)
{
	if (!flow_same_meta(s, p))
		return 0;
	if (s->port[0] == p->port[0] && s->port[1] == p->port[1] &&
	    !memcmp(s->addr[0], p->addr[0], 16) && !memcmp(s->addr[1], p->addr[1], 16))
		return 1;
	if (s->port[0] == p->port[1] && s->port[1] == p->port[0] &&
	    !memcmp(s->addr[0], p->addr[1], 16) && !memcmp(s->addr[1], p->addr[0], 16))
		return 2;
	return 0;
}
