/*
 * ioc — see ioc.h.
 *
 * Layout.  Entries (struct ioc_entry) live in fixed chunks of
 * IOC_ENTRY_CHUNK, so their addresses never change; hash tables hold an
 * entry's index + 1 (0 = empty slot).  All strings (indicator text, file
 * names, Zeek meta fields) are copied into an arena of chunks growing from
 * 4 to 64 KiB; file names and meta fields are interned, so a feed with one
 * meta.source for 100k lines stores it once.
 *
 * Tables use open addressing with linear probing, double when 3/4 full and
 * never shrink (entries are never removed).  They are:
 *   - IPv4: one table per prefix length (0..32), key = masked address, kept
 *     in the slot so a miss touches no entry;
 *   - IPv6: one table per prefix length (0..128), key = masked address;
 *   - domains: exact names, and "*.suffix" names keyed by "suffix";
 *   - JA3 and SHA-1: normalised lower-case hex.
 * String tables keep the 32-bit hash in the slot and compare the text only
 * when it matches.  A list of the prefix lengths present, longest first, per
 * family, makes an IP lookup probe only those tables; the first hit is the
 * longest matching prefix.  Once a set holds IOC_SUM16_MIN IPv4 entries of
 * IOC_SUM16_LENGTHS prefix lengths or more (a feed of addresses alone needs
 * one probe anyway), a 256 KiB summary indexed by the top 16 bits of an
 * address tells which lengths 16..32 have an entry inside that /16, so a
 * lookup probes only those (and the lengths below 16): a random address
 * that matches nothing costs one or two probes instead of one per length.
 *
 * The string hash is FNV-1a run from the last byte to the first, so one
 * backward pass over a name yields the hash of every suffix: a domain lookup
 * hashes the name once for all its wildcard probes.
 *
 * Lookups read the tables and nothing else: after loading, a set may be
 * shared by any number of threads.
 *
 * Validation choices (documented for operators in the error text):
 *   - a CIDR prefix with host bits set ("10.1.2.3/8") is masked to
 *     "10.0.0.0/8"; "1.2.3.4/32" is the host "1.2.3.4";
 *   - domain labels are 1..63 bytes of [A-Za-z0-9_-], at most 253 bytes in
 *     all, and the last label may not be all digits (RFC 3696 section 2), so
 *     that a mistyped address such as "1.2.3" is an error, not a domain;
 *   - "*.example.com" matches names strictly below example.com.
 */
#include "ioc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define IOC_SET_MAX_ENTRIES   (1u << 28)    /* larger max_entries are lowered to this */
#define IOC_LINE_MAX          4096          /* bytes per line, without the newline */
#define IOC_FILE_MAX          (256u << 20)  /* bytes per file */
#define IOC_ARENA_FIRST       (4u << 10)    /* arena chunks double from this... */
#define IOC_ARENA_CHUNK       (64u << 10)   /* ...up to this */
#define IOC_ENTRY_SHIFT       8             /* 256 entries (12 KiB) per chunk */
#define IOC_ENTRY_CHUNK       (1u << IOC_ENTRY_SHIFT)
#define IOC_TAB_MIN           16
#define IOC_DOMAIN_MAX        253
#define IOC_LABEL_MAX         63
#define IOC_TEXT_MAX          (IOC_DOMAIN_MAX + 3)   /* "*." + name + NUL */
#define IOC_ZEEK_MAX_FIELDS   64
#define IOC_SHOW_MAX          64            /* bytes of bad input quoted in an error */
#define IOC_WHY_MAX           512
#define IOC_SUM16_MIN         1024          /* IPv4 entries and ... */
#define IOC_SUM16_LENGTHS     3             /* ... prefix lengths before the /16 summary is built */
#define IOC_SUM16_SIZE        65536

struct ioc_slot {            /* IPv4 tables: key = masked address; string tables: key = hash */
	uint32_t key;
	uint32_t ref;        /* entry index + 1, 0 = empty */
};

struct ioc_slot6 {
	uint64_t hi, lo;     /* masked address, host order */
	uint32_t ref;
};

struct ioc_islot {           /* interned string */
	const char *str;
	uint32_t hash;
	uint32_t len;
};

struct ioc_tab {
	struct ioc_slot *slots;
	uint32_t count, cap;         /* cap: 0 or a power of two */
};

struct ioc_tab6 {
	struct ioc_slot6 *slots;
	uint32_t count, cap;
};

struct ioc_itab {
	struct ioc_islot *slots;
	uint32_t count, cap;
};

struct ioc_chunk {
	struct ioc_chunk *next;
	size_t used, size;
	char data[];
};

struct ioc_set {
	char *name;
	uint32_t max_entries;
	uint32_t nentries;
	struct ioc_entry **echunks;
	uint32_t nechunks, echunks_cap;
	struct ioc_tab v4[33];
	struct ioc_tab6 v6[129];
	uint8_t plen4[33], plen6[129];   /* prefix lengths present, longest first */
	uint32_t nplen4, nplen6;
	uint32_t nv4;                    /* IPv4 entries */
	uint32_t *sum16;                 /* see the top; NULL until worth it */
	struct ioc_tab domain;           /* exact names */
	struct ioc_tab wild;             /* "*.suffix", keyed by suffix */
	struct ioc_tab hex[2];           /* JA3, SHA-1 */
	struct ioc_itab intern;
	struct ioc_chunk *arena;
	struct ioc_set_stats st;
};

/* A parsed, normalised indicator. */
struct ioc_key {
	enum ioc_type type;
	bool wild;
	bool has_slash;      /* the text had "/len" */
	uint8_t family;      /* 4 or 6 */
	uint8_t plen;
	uint32_t a4;
	uint64_t hi, lo;
	size_t len;
	char text[IOC_TEXT_MAX];
};

/* Per-entry data the loaders and ioc_set_add pass on. */
struct ioc_meta {
	const char *file;            /* interned */
	uint32_t line;
	int32_t value;
	const char *source, *desc;   /* not NUL-terminated; NULL = none */
	size_t source_len, desc_len;
};

enum ioc_add_rc {
	IOC_ADD_OK = 0,
	IOC_ADD_DUP = 1,
	IOC_ADD_FULL = -2,
	IOC_ADD_NOMEM = -3,
};

enum ioc_zeek_kind {
	IOC_ZEEK_ADDR,
	IOC_ZEEK_SUBNET,
	IOC_ZEEK_DOMAIN,
	IOC_ZEEK_CERT_HASH,
	IOC_ZEEK_JA3,
	IOC_ZEEK_SKIP,
};

static const struct {
	const char *name;
	enum ioc_zeek_kind kind;
} ioc_zeek_types[] = {
	{ "Intel::ADDR", IOC_ZEEK_ADDR },
	{ "Intel::SUBNET", IOC_ZEEK_SUBNET },
	{ "Intel::DOMAIN", IOC_ZEEK_DOMAIN },
	{ "Intel::CERT_HASH", IOC_ZEEK_CERT_HASH },
	{ "Intel::JA3", IOC_ZEEK_JA3 },
	{ "Intel::URL", IOC_ZEEK_SKIP },
	{ "Intel::SOFTWARE", IOC_ZEEK_SKIP },
	{ "Intel::EMAIL", IOC_ZEEK_SKIP },
	{ "Intel::USER_NAME", IOC_ZEEK_SKIP },
	{ "Intel::FILE_HASH", IOC_ZEEK_SKIP },
	{ "Intel::FILE_NAME", IOC_ZEEK_SKIP },
	{ "Intel::PUBKEY_HASH", IOC_ZEEK_SKIP },
};

static const char *const ioc_type_names[IOC_TYPE_COUNT] = { "ip", "domain", "ja3", "sha1" };

const char *ioc_type_name(enum ioc_type t)
{
	return (unsigned)t < IOC_TYPE_COUNT ? ioc_type_names[t] : "unknown";
}

/* ---- hashing ---------------------------------------------------------- */

static uint32_t ioc_mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

#define IOC_FNV_BASIS 2166136261u
#define IOC_FNV_PRIME 16777619u

/* FNV-1a from the last byte to the first (see the top of the file). */
static uint32_t ioc_hash_str(const char *p, size_t len)
{
	uint32_t h = IOC_FNV_BASIS;

	while (len)
		h = (h ^ (uint8_t)p[--len]) * IOC_FNV_PRIME;
	return ioc_mix32(h);
}

static uint32_t ioc_hash6(uint64_t hi, uint64_t lo)
{
	uint64_t x = hi ^ (lo * 0x9e3779b97f4a7c15ull);

	x ^= x >> 32;
	return ioc_mix32((uint32_t)x);
}

/* ---- memory ----------------------------------------------------------- */

static void *ioc_calloc(struct ioc_set *s, size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p)
		s->st.memory += n * size;
	return p;
}

static void ioc_release(struct ioc_set *s, void *p, size_t bytes)
{
	if (p) {
		free(p);
		s->st.memory -= bytes;
	}
}

/* Copy n bytes and a NUL into the arena. */
static char *ioc_arena_put(struct ioc_set *s, const char *p, size_t n)
{
	struct ioc_chunk *c = s->arena;
	char *d;

	if (c == NULL || c->size - c->used < n + 1) {
		size_t size = c == NULL ? IOC_ARENA_FIRST : c->size < IOC_ARENA_CHUNK ? c->size * 2 :
			      IOC_ARENA_CHUNK;

		if (size < n + 1)
			size = n + 1;

		c = malloc(sizeof(*c) + size);
		if (c == NULL)
			return NULL;
		s->st.memory += sizeof(*c) + size;
		c->next = s->arena;
		c->used = 0;
		c->size = size;
		s->arena = c;
	}
	d = c->data + c->used;
	memcpy(d, p, n);
	d[n] = '\0';
	c->used += n + 1;
	return d;
}

static const struct ioc_entry *ioc_entry_at(const struct ioc_set *s, uint32_t idx)
{
	return &s->echunks[idx >> IOC_ENTRY_SHIFT][idx & (IOC_ENTRY_CHUNK - 1)];
}

/* ---- tables ----------------------------------------------------------- */

static bool ioc_tab_needs_grow(uint32_t count, uint32_t cap)
{
	return (uint64_t)(count + 1) * 4 > (uint64_t)cap * 3;
}

static uint32_t ioc_tab_next_cap(uint32_t cap)
{
	return cap ? cap * 2 : IOC_TAB_MIN;
}

static void ioc_tab_put(struct ioc_tab *t, uint32_t key, uint32_t ref)
{
	uint32_t mask = t->cap - 1, i = ioc_mix32(key) & mask;

	while (t->slots[i].ref)
		i = (i + 1) & mask;
	t->slots[i].key = key;
	t->slots[i].ref = ref;
	t->count++;
}

/* Make room for one more slot.  0 or -1 (out of memory). */
static int ioc_tab_reserve(struct ioc_set *s, struct ioc_tab *t)
{
	struct ioc_tab old = *t;
	uint32_t i;

	if (!ioc_tab_needs_grow(t->count, t->cap))
		return 0;
	t->cap = ioc_tab_next_cap(old.cap);
	t->slots = ioc_calloc(s, t->cap, sizeof(*t->slots));
	if (t->slots == NULL) {
		*t = old;
		return -1;
	}
	t->count = 0;
	for (i = 0; i < old.cap; i++)
		if (old.slots[i].ref)
			ioc_tab_put(t, old.slots[i].key, old.slots[i].ref);
	ioc_release(s, old.slots, (size_t)old.cap * sizeof(*old.slots));
	return 0;
}

static const struct ioc_entry *ioc_tab_find_key(const struct ioc_set *s,
						const struct ioc_tab *t, uint32_t key)
{
	uint32_t mask, i, ref;

	if (t->count == 0)
		return NULL;
	mask = t->cap - 1;
	for (i = ioc_mix32(key) & mask; (ref = t->slots[i].ref) != 0; i = (i + 1) & mask)
		if (t->slots[i].key == key)
			return ioc_entry_at(s, ref - 1);
	return NULL;
}

/* String tables: key is the hash; the entry's indicator from byte skip on
 * must equal text[0..len). */
static const struct ioc_entry *ioc_tab_find_str(const struct ioc_set *s,
						const struct ioc_tab *t, uint32_t hash,
						const char *text, size_t len, size_t skip)
{
	uint32_t mask, i, ref;

	if (t->count == 0)
		return NULL;
	mask = t->cap - 1;
	for (i = ioc_mix32(hash) & mask; (ref = t->slots[i].ref) != 0; i = (i + 1) & mask) {
		const struct ioc_entry *e;

		if (t->slots[i].key != hash)
			continue;
		e = ioc_entry_at(s, ref - 1);
		if (strncmp(e->indicator + skip, text, len) == 0 && e->indicator[skip + len] == '\0')
			return e;
	}
	return NULL;
}

static void ioc_tab6_put(struct ioc_tab6 *t, uint64_t hi, uint64_t lo, uint32_t ref)
{
	uint32_t mask = t->cap - 1, i = ioc_hash6(hi, lo) & mask;

	while (t->slots[i].ref)
		i = (i + 1) & mask;
	t->slots[i].hi = hi;
	t->slots[i].lo = lo;
	t->slots[i].ref = ref;
	t->count++;
}

static int ioc_tab6_reserve(struct ioc_set *s, struct ioc_tab6 *t)
{
	struct ioc_tab6 old = *t;
	uint32_t i;

	if (!ioc_tab_needs_grow(t->count, t->cap))
		return 0;
	t->cap = ioc_tab_next_cap(old.cap);
	t->slots = ioc_calloc(s, t->cap, sizeof(*t->slots));
	if (t->slots == NULL) {
		*t = old;
		return -1;
	}
	t->count = 0;
	for (i = 0; i < old.cap; i++)
		if (old.slots[i].ref)
			ioc_tab6_put(t, old.slots[i].hi, old.slots[i].lo, old.slots[i].ref);
	ioc_release(s, old.slots, (size_t)old.cap * sizeof(*old.slots));
	return 0;
}

static const struct ioc_entry *ioc_tab6_find(const struct ioc_set *s, const struct ioc_tab6 *t,
					     uint64_t hi, uint64_t lo)
{
	uint32_t mask, i, ref;

	if (t->count == 0)
		return NULL;
	mask = t->cap - 1;
	for (i = ioc_hash6(hi, lo) & mask; (ref = t->slots[i].ref) != 0; i = (i + 1) & mask)
		if (t->slots[i].hi == hi && t->slots[i].lo == lo)
			return ioc_entry_at(s, ref - 1);
	return NULL;
}

static void ioc_itab_put(struct ioc_itab *t, const struct ioc_islot *in)
{
	uint32_t mask = t->cap - 1, i = in->hash & mask;

	while (t->slots[i].str)
		i = (i + 1) & mask;
	t->slots[i] = *in;
	t->count++;
}

/* One shared copy of p[0..n).  NULL: out of memory. */
static const char *ioc_intern(struct ioc_set *s, const char *p, size_t n)
{
	struct ioc_itab *t = &s->intern;
	struct ioc_islot in;
	uint32_t mask, i;

	in.hash = ioc_hash_str(p, n);
	in.len = (uint32_t)n;
	if (t->count) {
		mask = t->cap - 1;
		for (i = in.hash & mask; t->slots[i].str; i = (i + 1) & mask)
			if (t->slots[i].hash == in.hash && t->slots[i].len == n &&
			    memcmp(t->slots[i].str, p, n) == 0)
				return t->slots[i].str;
	}
	if (ioc_tab_needs_grow(t->count, t->cap)) {
		struct ioc_itab old = *t;

		t->cap = ioc_tab_next_cap(old.cap);
		t->slots = ioc_calloc(s, t->cap, sizeof(*t->slots));
		if (t->slots == NULL) {
			*t = old;
			return NULL;
		}
		t->count = 0;
		for (i = 0; i < old.cap; i++)
			if (old.slots[i].str)
				ioc_itab_put(t, &old.slots[i]);
		ioc_release(s, old.slots, (size_t)old.cap * sizeof(*old.slots));
	}
	in.str = ioc_arena_put(s, p, n);
	if (in.str == NULL)
		return NULL;
	ioc_itab_put(t, &in);
	return in.str;
}

/* ---- set -------------------------------------------------------------- */

struct ioc_set *ioc_set_new(const char *name, uint32_t max_entries)
{
	struct ioc_set *s;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->st.memory = sizeof(*s);
	s->name = strdup(name ? name : "");
	if (s->name == NULL) {
		free(s);
		return NULL;
	}
	s->st.memory += strlen(s->name) + 1;
	s->max_entries = max_entries < IOC_SET_MAX_ENTRIES ? max_entries : IOC_SET_MAX_ENTRIES;
	return s;
}

void ioc_set_free(struct ioc_set *s)
{
	struct ioc_chunk *c, *next;
	uint32_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nechunks; i++)
		free(s->echunks[i]);
	free(s->echunks);
	for (i = 0; i < 33; i++)
		free(s->v4[i].slots);
	for (i = 0; i < 129; i++)
		free(s->v6[i].slots);
	free(s->domain.slots);
	free(s->wild.slots);
	free(s->hex[0].slots);
	free(s->hex[1].slots);
	free(s->intern.slots);
	free(s->sum16);
	for (c = s->arena; c; c = next) {
		next = c->next;
		free(c);
	}
	free(s->name);
	free(s);
}

const char *ioc_set_name(const struct ioc_set *s)
{
	return s->name;
}

void ioc_set_stats_get(const struct ioc_set *s, struct ioc_set_stats *out)
{
	*out = s->st;
}

/* A free entry for index s->nentries.  NULL: out of memory. */
static struct ioc_entry *ioc_entry_slot(struct ioc_set *s)
{
	uint32_t c = s->nentries >> IOC_ENTRY_SHIFT;

	if (c == s->nechunks) {
		if (s->nechunks == s->echunks_cap) {
			uint32_t ncap = s->echunks_cap ? s->echunks_cap * 2 : 16;
			struct ioc_entry **n = realloc(s->echunks, ncap * sizeof(*n));

			if (n == NULL)
				return NULL;
			s->st.memory += (size_t)(ncap - s->echunks_cap) * sizeof(*n);
			s->echunks = n;
			s->echunks_cap = ncap;
		}
		s->echunks[c] = ioc_calloc(s, IOC_ENTRY_CHUNK, sizeof(struct ioc_entry));
		if (s->echunks[c] == NULL)
			return NULL;
		s->nechunks++;
	}
	return &s->echunks[c][s->nentries & (IOC_ENTRY_CHUNK - 1)];
}

/* Insert plen into a descending list of lengths. */
static void ioc_plen_add(uint8_t *list, uint32_t *n, uint8_t plen)
{
	uint32_t i = *n;

	while (i > 0 && list[i - 1] < plen) {
		list[i] = list[i - 1];
		i--;
	}
	list[i] = plen;
	(*n)++;
}

static const struct ioc_entry *ioc_find_key(const struct ioc_set *s, const struct ioc_key *k,
					    uint32_t hash)
{
	switch (k->type) {
	case IOC_IP:
		if (k->family == 4)
			return ioc_tab_find_key(s, &s->v4[k->plen], k->a4);
		return ioc_tab6_find(s, &s->v6[k->plen], k->hi, k->lo);
	case IOC_DOMAIN:
		if (k->wild)
			return ioc_tab_find_str(s, &s->wild, hash, k->text + 2, k->len - 2, 2);
		return ioc_tab_find_str(s, &s->domain, hash, k->text, k->len, 0);
	case IOC_JA3:
	case IOC_SHA1:
		return ioc_tab_find_str(s, &s->hex[k->type - IOC_JA3], hash, k->text, k->len, 0);
	default:
		return NULL;
	}
}

static uint32_t ioc_key_hash(const struct ioc_key *k)
{
	if (k->type == IOC_IP)
		return 0;
	if (k->type == IOC_DOMAIN && k->wild)
		return ioc_hash_str(k->text + 2, k->len - 2);
	return ioc_hash_str(k->text, k->len);
}

static struct ioc_tab *ioc_str_tab(struct ioc_set *s, const struct ioc_key *k)
{
	if (k->type == IOC_DOMAIN)
		return k->wild ? &s->wild : &s->domain;
	return &s->hex[k->type - IOC_JA3];
}

/* The /16 summary from the IPv4 tables of lengths 16..32.  Optional: without
 * memory for it lookups probe every length. */
static void ioc_sum16_build(struct ioc_set *s)
{
	uint32_t plen, i;

	s->sum16 = ioc_calloc(s, IOC_SUM16_SIZE, sizeof(*s->sum16));
	if (s->sum16 == NULL)
		return;
	for (plen = 16; plen <= 32; plen++)
		for (i = 0; i < s->v4[plen].cap; i++)
			if (s->v4[plen].slots[i].ref)
				s->sum16[s->v4[plen].slots[i].key >> 16] |= 1u << (plen - 16);
}

/* Make the entry at index s->nentries reachable: count it, put it in its
 * table (room was reserved) and in the prefix length list / summary. */
static void ioc_publish(struct ioc_set *s, const struct ioc_key *k, uint32_t hash)
{
	s->nentries++;
	s->st.entries[k->type]++;
	if (k->type == IOC_IP && k->family == 4) {
		s->nv4++;
		ioc_tab_put(&s->v4[k->plen], k->a4, s->nentries);
		if (s->v4[k->plen].count == 1)
			ioc_plen_add(s->plen4, &s->nplen4, k->plen);
		if (s->sum16 && k->plen >= 16)
			s->sum16[k->a4 >> 16] |= 1u << (k->plen - 16);
		else if (s->sum16 == NULL && s->nv4 >= IOC_SUM16_MIN && s->nplen4 >= IOC_SUM16_LENGTHS)
			ioc_sum16_build(s);
	} else if (k->type == IOC_IP) {
		ioc_tab6_put(&s->v6[k->plen], k->hi, k->lo, s->nentries);
		if (s->v6[k->plen].count == 1)
			ioc_plen_add(s->plen6, &s->nplen6, k->plen);
	} else {
		ioc_tab_put(ioc_str_tab(s, k), hash, s->nentries);
	}
}

static int ioc_insert(struct ioc_set *s, const struct ioc_key *k, const struct ioc_meta *m)
{
	uint32_t hash = ioc_key_hash(k);
	struct ioc_entry *e;
	const char *text;
	int rc;

	if (ioc_find_key(s, k, hash)) {
		s->st.duplicates++;
		return IOC_ADD_DUP;
	}
	if (s->nentries >= s->max_entries) {
		s->st.refused++;
		return IOC_ADD_FULL;
	}
	if (k->type == IOC_IP && k->family == 6)
		rc = ioc_tab6_reserve(s, &s->v6[k->plen]);
	else if (k->type == IOC_IP)
		rc = ioc_tab_reserve(s, &s->v4[k->plen]);
	else
		rc = ioc_tab_reserve(s, ioc_str_tab(s, k));
	if (rc < 0)
		return IOC_ADD_NOMEM;
	e = ioc_entry_slot(s);
	text = ioc_arena_put(s, k->text, k->len);
	if (e == NULL || text == NULL)
		return IOC_ADD_NOMEM;
	e->indicator = text;
	e->source = e->desc = NULL;
	if (m->source && !(e->source = ioc_intern(s, m->source, m->source_len)))
		return IOC_ADD_NOMEM;
	if (m->desc && !(e->desc = ioc_intern(s, m->desc, m->desc_len)))
		return IOC_ADD_NOMEM;
	e->file = m->file;
	e->line = m->line;
	e->type = k->type;
	e->value = m->value;
	ioc_publish(s, k, hash);
	return IOC_ADD_OK;
}

/* ---- validation ------------------------------------------------------- */

static void ioc_why(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void ioc_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* Quote bad input for an error: printable ASCII as is, other bytes as \xNN,
 * at most IOC_SHOW_MAX bytes then "...". */
static const char *ioc_show(const char *p, size_t n, char *out, size_t outlen)
{
	size_t i, o = 0;

	for (i = 0; i < n && i < IOC_SHOW_MAX && o + 5 < outlen; i++) {
		uint8_t c = (uint8_t)p[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
	}
	if (i < n && o + 4 <= outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

#define IOC_SHOW_BUF (IOC_SHOW_MAX * 4 + 8)

static char ioc_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool ioc_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool ioc_is_hex(char c)
{
	return ioc_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool ioc_is_label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || ioc_is_digit(c) || c == '-' ||
	       c == '_';
}

static uint32_t ioc_mask4(uint32_t a, unsigned plen)
{
	return plen ? a & (0xffffffffu << (32 - plen)) : 0;
}

/* 16 bytes, network order, into two host-order halves. */
static void ioc_load6(const uint8_t *b, uint64_t *hi, uint64_t *lo)
{
	int i;

	*hi = *lo = 0;
	for (i = 0; i < 8; i++) {
		*hi = *hi << 8 | b[i];
		*lo = *lo << 8 | b[8 + i];
	}
}

static void ioc_mask6(uint64_t *hi, uint64_t *lo, unsigned plen)
{
	if (plen == 0) {
		*hi = *lo = 0;
	} else if (plen <= 64) {
		*hi &= ~0ull << (64 - plen);
		*lo = 0;
	} else {
		*lo &= ~0ull << (128 - plen);
	}
}

/* The digits after '/': 1..3 of them (the range is the caller's).  0 or -1. */
static int ioc_parse_plen(const char *d, size_t dn, unsigned *plen)
{
	size_t i;

	if (dn == 0 || dn > 3)
		return -1;
	*plen = 0;
	for (i = 0; i < dn; i++) {
		if (!ioc_is_digit(d[i]))
			return -1;
		*plen = *plen * 10 + (unsigned)(d[i] - '0');
	}
	return 0;
}

/* Decimal, no NUL; returns the length. */
static size_t ioc_fmt_u8(uint8_t v, char *out)
{
	size_t n = 0;

	if (v >= 100)
		out[n++] = (char)('0' + v / 100);
	if (v >= 10)
		out[n++] = (char)('0' + v / 10 % 10);
	out[n++] = (char)('0' + v % 10);
	return n;
}

/* Dotted quad as inet_ntop prints it (without its sprintf), NUL-terminated. */
static size_t ioc_fmt4(uint32_t a, char *out)
{
	size_t n = 0;
	int i;

	for (i = 3; i >= 0; i--) {
		n += ioc_fmt_u8((uint8_t)(a >> (8 * i)), out + n);
		if (i)
			out[n++] = '.';
	}
	out[n] = '\0';
	return n;
}

/* k->text from the masked address in k. */
static int ioc_ip_text(struct ioc_key *k)
{
	unsigned maxlen = k->family == 4 ? 32 : 128;

	if (k->family == 4) {
		k->len = ioc_fmt4(k->a4, k->text);
	} else {
		uint8_t bin[16];
		int i;

		for (i = 0; i < 8; i++) {
			bin[i] = (uint8_t)(k->hi >> (56 - 8 * i));
			bin[8 + i] = (uint8_t)(k->lo >> (56 - 8 * i));
		}
		if (inet_ntop(AF_INET6, bin, k->text, sizeof(k->text)) == NULL)
			return -1;
		k->len = strlen(k->text);
	}
	if (k->plen < maxlen) {
		k->text[k->len++] = '/';
		k->len += ioc_fmt_u8(k->plen, k->text + k->len);
		k->text[k->len] = '\0';
	}
	return 0;
}

/* 0; -1 the address part is not an address; -2 the address is fine but
 * "/len" is not. */
static int ioc_parse_ip(const char *t, size_t n, struct ioc_key *k, char *why, size_t whylen)
{
	char abuf[INET6_ADDRSTRLEN + 1], show[IOC_SHOW_BUF];
	const char *slash = memchr(t, '/', n);
	size_t alen = slash ? (size_t)(slash - t) : n;
	unsigned plen, maxlen;
	uint8_t bin[16];

	if (alen == 0 || alen >= sizeof(abuf))
		goto bad_addr;
	memcpy(abuf, t, alen);
	abuf[alen] = '\0';
	if (inet_pton(AF_INET, abuf, bin) == 1) {
		k->family = 4;
		maxlen = 32;
	} else if (inet_pton(AF_INET6, abuf, bin) == 1) {
		k->family = 6;
		maxlen = 128;
	} else {
		goto bad_addr;
	}
	plen = maxlen;
	if (slash && ioc_parse_plen(slash + 1, n - alen - 1, &plen) < 0) {
		ioc_why(why, whylen, "bad prefix length in '%s'", ioc_show(t, n, show, sizeof(show)));
		return -2;
	}
	if (plen > maxlen) {
		ioc_why(why, whylen, "prefix length /%u out of range for IPv%u (0..%u) in '%s'", plen,
			k->family, maxlen, ioc_show(t, n, show, sizeof(show)));
		return -2;
	}
	k->type = IOC_IP;
	k->plen = (uint8_t)plen;
	k->has_slash = slash != NULL;
	k->wild = false;
	k->a4 = 0;
	k->hi = k->lo = 0;
	if (k->family == 4) {
		k->a4 = ioc_mask4((uint32_t)bin[0] << 24 | (uint32_t)bin[1] << 16 |
				  (uint32_t)bin[2] << 8 | bin[3], plen);
	} else {
		ioc_load6(bin, &k->hi, &k->lo);
		ioc_mask6(&k->hi, &k->lo, plen);
	}
	if (ioc_ip_text(k) == 0)
		return 0;

bad_addr:
	ioc_why(why, whylen, "expected an IP address or CIDR prefix, got '%s'",
		ioc_show(t, n, show, sizeof(show)));
	return -1;
}

static int ioc_parse_domain(const char *t, size_t n, struct ioc_key *k, char *why, size_t whylen)
{
	char show[IOC_SHOW_BUF];
	const char *orig = t;
	size_t orig_n = n, i, label = 0, o = 0;
	bool wild = false, digits = true;

	if (n >= 2 && t[0] == '*' && t[1] == '.') {
		wild = true;
		t += 2;
		n -= 2;
	}
	if (n > 0 && t[n - 1] == '.')
		n--;
	if (n == 0) {
		ioc_why(why, whylen, "invalid domain name '%s': empty name",
			ioc_show(orig, orig_n, show, sizeof(show)));
		return -1;
	}
	if (n > IOC_DOMAIN_MAX) {
		ioc_why(why, whylen, "invalid domain name '%s': longer than %u characters",
			ioc_show(orig, orig_n, show, sizeof(show)), IOC_DOMAIN_MAX);
		return -1;
	}
	if (wild) {
		k->text[o++] = '*';
		k->text[o++] = '.';
	}
	for (i = 0; i < n; i++) {
		char c = t[i];

		if (c == '.') {
			if (label == 0)
				break;
			label = 0;
			digits = true;
		} else if (!ioc_is_label_char(c)) {
			if ((uint8_t)c >= 0x20 && (uint8_t)c < 0x7f)
				ioc_why(why, whylen, "invalid domain name '%s': character '%c' not allowed",
					ioc_show(orig, orig_n, show, sizeof(show)), c);
			else
				ioc_why(why, whylen, "invalid domain name '%s': byte 0x%02x not allowed",
					ioc_show(orig, orig_n, show, sizeof(show)), (uint8_t)c);
			return -1;
		} else if (++label > IOC_LABEL_MAX) {
			ioc_why(why, whylen, "invalid domain name '%s': label longer than %u characters",
				ioc_show(orig, orig_n, show, sizeof(show)), IOC_LABEL_MAX);
			return -1;
		} else if (!ioc_is_digit(c)) {
			digits = false;
		}
		k->text[o++] = ioc_lower(c);
	}
	if (label == 0) {
		ioc_why(why, whylen, "invalid domain name '%s': empty label",
			ioc_show(orig, orig_n, show, sizeof(show)));
		return -1;
	}
	if (digits) {
		ioc_why(why, whylen, "invalid domain name '%s': the last label is all digits",
			ioc_show(orig, orig_n, show, sizeof(show)));
		return -1;
	}
	k->text[o] = '\0';
	k->len = o;
	k->type = IOC_DOMAIN;
	k->wild = wild;
	k->has_slash = false;
	return 0;
}

/* digits hex digits, or (colons) the same as colon-separated pairs. */
static int ioc_parse_hex(const char *t, size_t n, size_t digits, bool colons, struct ioc_key *k)
{
	size_t i, o = 0;

	if (colons && n == digits / 2 * 3 - 1 && n > 2 && t[2] == ':') {
		for (i = 0; i < n; i++) {
			if (i % 3 == 2) {
				if (t[i] != ':')
					return -1;
			} else if (!ioc_is_hex(t[i])) {
				return -1;
			} else {
				k->text[o++] = ioc_lower(t[i]);
			}
		}
	} else {
		if (n != digits)
			return -1;
		for (i = 0; i < n; i++) {
			if (!ioc_is_hex(t[i]))
				return -1;
			k->text[o++] = ioc_lower(t[i]);
		}
	}
	k->text[o] = '\0';
	k->len = o;
	k->wild = false;
	k->has_slash = false;
	return 0;
}

/* Parse t[0..n) (no NUL inside) as type, or guess with IOC_TYPE_COUNT. */
static int ioc_parse(enum ioc_type type, const char *t, size_t n, struct ioc_key *k, char *why,
		     size_t whylen)
{
	char show[IOC_SHOW_BUF];
	int rc;

	switch (type) {
	case IOC_IP:
		return ioc_parse_ip(t, n, k, why, whylen) == 0 ? 0 : -1;
	case IOC_DOMAIN:
		return ioc_parse_domain(t, n, k, why, whylen);
	case IOC_JA3:
	case IOC_SHA1:
		if (ioc_parse_hex(t, n, type == IOC_JA3 ? 32 : 40, type == IOC_SHA1, k) == 0) {
			k->type = type;
			return 0;
		}
		if (type == IOC_JA3)
			ioc_why(why, whylen, "expected a JA3 fingerprint (32 hex digits), got '%s'",
				ioc_show(t, n, show, sizeof(show)));
		else
			ioc_why(why, whylen,
				"expected a SHA-1 fingerprint (40 hex digits, colons allowed), got '%s'",
				ioc_show(t, n, show, sizeof(show)));
		return -1;
	case IOC_TYPE_COUNT:
		break;
	default:
		ioc_why(why, whylen, "unknown indicator type %d", (int)type);
		return -1;
	}
	rc = ioc_parse_ip(t, n, k, NULL, 0);
	if (rc == 0)
		return 0;
	if (rc == -2)           /* an address with a bad "/len": say so */
		return ioc_parse_ip(t, n, k, why, whylen);
	if (ioc_parse_hex(t, n, 32, false, k) == 0) {
		k->type = IOC_JA3;
		return 0;
	}
	if (ioc_parse_hex(t, n, 40, true, k) == 0) {
		k->type = IOC_SHA1;
		return 0;
	}
	if (ioc_parse_domain(t, n, k, NULL, 0) == 0)
		return 0;
	ioc_why(why, whylen, "expected an IP address, CIDR prefix, domain, JA3 or SHA-1, got '%s'",
		ioc_show(t, n, show, sizeof(show)));
	return -1;
}

int ioc_set_add(struct ioc_set *s, enum ioc_type type, const char *text, int32_t value,
		const char *source, const char *desc, const char *file, uint32_t line,
		char *err, size_t errlen)
{
	struct ioc_meta m = { .line = line, .value = value };
	struct ioc_key k;
	size_t n;
	int rc;

	if (text == NULL) {
		ioc_why(err, errlen, "no indicator");
		return -1;
	}
	n = strnlen(text, IOC_LINE_MAX + 1);
	if (n > IOC_LINE_MAX) {
		ioc_why(err, errlen, "indicator longer than %u bytes", IOC_LINE_MAX);
		return -1;
	}
	if (ioc_parse(type, text, n, &k, err, errlen) < 0)
		return -1;
	m.file = "";
	if (file && file[0] && !(m.file = ioc_intern(s, file, strlen(file))))
		goto nomem;
	if (source) {
		m.source = source;
		m.source_len = strlen(source);
	}
	if (desc) {
		m.desc = desc;
		m.desc_len = strlen(desc);
	}
	rc = ioc_insert(s, &k, &m);
	if (rc == IOC_ADD_OK || rc == IOC_ADD_DUP)
		return rc;
	if (rc == IOC_ADD_FULL) {
		ioc_why(err, errlen, "indicator set '%s' is full (%u entries)", s->name, s->max_entries);
		return -1;
	}
nomem:
	ioc_why(err, errlen, "out of memory");
	return -1;
}

/* ---- loaders ---------------------------------------------------------- */

struct ioc_loader {
	struct ioc_set *s;
	const char *name;        /* for messages */
	const char *file;        /* interned, stored in entries */
	uint32_t line;
	char *err;
	size_t errlen;
};

static int ioc_line_error(struct ioc_loader *l, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int ioc_line_error(struct ioc_loader *l, size_t col, const char *fmt, ...)
{
	char why[IOC_WHY_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	ioc_why(l->err, l->errlen, "%s:%u:%zu: %s", l->name, l->line, col, why);
	return -1;
}

static bool ioc_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Add a parsed key; a full set is counted, not an error. */
static int ioc_loader_insert(struct ioc_loader *l, const struct ioc_key *k, struct ioc_meta *m)
{
	m->file = l->file;
	m->line = l->line;
	if (ioc_insert(l->s, k, m) == IOC_ADD_NOMEM)
		return ioc_line_error(l, 1, "out of memory");
	return 0;
}

static bool ioc_is_comment_or_blank(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && ioc_is_blank(p[i]))
		i++;
	return i == n || p[i] == '#';
}

static int ioc_plain_line(struct ioc_loader *l, const char *p, size_t n)
{
	struct ioc_meta m = { .file = NULL };
	char why[IOC_WHY_MAX], show[IOC_SHOW_BUF];
	struct ioc_key k;
	size_t i = 0, start, end;

	while (i < n && ioc_is_blank(p[i]))
		i++;
	if (i == n || p[i] == '#')
		return 0;
	start = i;
	while (i < n && !ioc_is_blank(p[i]))
		i++;
	end = i;
	while (i < n && ioc_is_blank(p[i]))
		i++;
	if (i < n && p[i] != '#') {
		size_t j = i;

		while (j < n && !ioc_is_blank(p[j]))
			j++;
		return ioc_line_error(l, i + 1,
				      "expected one indicator per line, found a second token '%s'",
				      ioc_show(p + i, j - i, show, sizeof(show)));
	}
	if (ioc_parse(IOC_TYPE_COUNT, p + start, end - start, &k, why, sizeof(why)) < 0)
		return ioc_line_error(l, start + 1, "%s", why);
	return ioc_loader_insert(l, &k, &m);
}

struct ioc_zeek_cols {
	int indicator, type, source, desc;
	int nfields;
};

/* Split p[0..n) at tabs: up to max fields, start offsets in at[], lengths
 * in len[].  Returns the number of fields (max + 1 when there are more). */
static int ioc_split_tabs(const char *p, size_t n, size_t *at, size_t *len, int max)
{
	size_t start = 0, i;
	int nf = 0;

	for (i = 0; i <= n; i++) {
		if (i < n && p[i] != '\t')
			continue;
		if (nf == max)
			return max + 1;
		at[nf] = start;
		len[nf] = i - start;
		nf++;
		start = i + 1;
	}
	return nf;
}

static bool ioc_field_is(const char *p, size_t n, const char *name)
{
	return n == strlen(name) && memcmp(p, name, n) == 0;
}

static int ioc_zeek_header(struct ioc_loader *l, const char *p, size_t n, struct ioc_zeek_cols *c)
{
	size_t at[IOC_ZEEK_MAX_FIELDS + 1], len[IOC_ZEEK_MAX_FIELDS + 1];
	static const char *const names[4] = { "indicator", "indicator_type", "meta.source", "meta.desc" };
	int *cols[4] = { &c->indicator, &c->type, &c->source, &c->desc };
	int nf, i, j;

	c->indicator = c->type = c->source = c->desc = -1;
	nf = ioc_split_tabs(p, n, at, len, IOC_ZEEK_MAX_FIELDS + 1);
	if (nf > IOC_ZEEK_MAX_FIELDS + 1)
		return ioc_line_error(l, 1, "#fields header names more than %d columns",
				      IOC_ZEEK_MAX_FIELDS);
	if (!ioc_field_is(p, len[0], "#fields"))
		return ioc_line_error(l, 1, "#fields header must separate its column names by tabs");
	for (i = 1; i < nf; i++) {
		for (j = 0; j < 4; j++) {
			if (!ioc_field_is(p + at[i], len[i], names[j]))
				continue;
			if (*cols[j] >= 0)
				return ioc_line_error(l, at[i] + 1, "column '%s' named twice", names[j]);
			*cols[j] = i - 1;
		}
	}
	if (c->indicator < 0)
		return ioc_line_error(l, 1, "#fields header has no 'indicator' column");
	if (c->type < 0)
		return ioc_line_error(l, 1, "#fields header has no 'indicator_type' column");
	c->nfields = nf - 1;
	return 0;
}

/* A Zeek meta field: "-" (unset), "(empty)" and "" give NULL. */
static void ioc_zeek_meta(const char *p, size_t n, const char **out, size_t *outlen)
{
	if (n == 0 || (n == 1 && p[0] == '-') || ioc_field_is(p, n, "(empty)")) {
		*out = NULL;
		*outlen = 0;
	} else {
		*out = p;
		*outlen = n;
	}
}

static int ioc_zeek_line(struct ioc_loader *l, const char *p, size_t n, const struct ioc_zeek_cols *c)
{
	size_t at[IOC_ZEEK_MAX_FIELDS + 1], len[IOC_ZEEK_MAX_FIELDS + 1];
	char why[IOC_WHY_MAX], show[IOC_SHOW_BUF];
	struct ioc_meta m = { .file = NULL };
	enum ioc_zeek_kind kind = IOC_ZEEK_SKIP;
	const char *ind, *typ;
	size_t ind_n, typ_n, i;
	struct ioc_key k;
	int nf, rc;

	for (i = 0; i < n && ioc_is_blank(p[i]); i++)
		;
	if (i == n || p[0] == '#')
		return 0;
	nf = ioc_split_tabs(p, n, at, len, c->nfields);
	if (nf > c->nfields)
		return ioc_line_error(l, at[c->nfields - 1] + len[c->nfields - 1] + 2,
				      "more tab-separated fields than the %d the #fields header names",
				      c->nfields);
	if (nf < c->nfields)
		return ioc_line_error(l, n + 1, "%d tab-separated fields where the #fields header names %d",
				      nf, c->nfields);
	typ = p + at[c->type];
	typ_n = len[c->type];
	for (i = 0; i < sizeof(ioc_zeek_types) / sizeof(ioc_zeek_types[0]); i++) {
		if (ioc_field_is(typ, typ_n, ioc_zeek_types[i].name)) {
			kind = ioc_zeek_types[i].kind;
			break;
		}
	}
	if (i == sizeof(ioc_zeek_types) / sizeof(ioc_zeek_types[0]))
		return ioc_line_error(l, at[c->type] + 1, "unknown indicator_type '%s'",
				      ioc_show(typ, typ_n, show, sizeof(show)));
	if (kind == IOC_ZEEK_SKIP) {
		l->s->st.skipped++;
		return 0;
	}
	ind = p + at[c->indicator];
	ind_n = len[c->indicator];
	if (ind_n == 0 || (ind_n == 1 && ind[0] == '-'))
		return ioc_line_error(l, at[c->indicator] + 1, "empty indicator");
	switch (kind) {
	case IOC_ZEEK_ADDR:
	case IOC_ZEEK_SUBNET:
		rc = ioc_parse(IOC_IP, ind, ind_n, &k, why, sizeof(why));
		if (rc == 0 && kind == IOC_ZEEK_ADDR && k.has_slash)
			snprintf(why, sizeof(why), "Intel::ADDR needs an address, got the prefix '%s'",
				 ioc_show(ind, ind_n, show, sizeof(show)));
		else if (rc == 0 && kind == IOC_ZEEK_SUBNET && !k.has_slash)
			snprintf(why, sizeof(why), "Intel::SUBNET needs a CIDR prefix, got '%s'",
				 ioc_show(ind, ind_n, show, sizeof(show)));
		else if (rc == 0)
			break;
		return ioc_line_error(l, at[c->indicator] + 1, "%s", why);
	case IOC_ZEEK_DOMAIN:
		rc = ioc_parse(IOC_DOMAIN, ind, ind_n, &k, why, sizeof(why));
		if (rc == 0 && k.wild)
			snprintf(why, sizeof(why), "Intel::DOMAIN takes no wildcard, got '%s'",
				 ioc_show(ind, ind_n, show, sizeof(show)));
		else if (rc == 0)
			break;
		return ioc_line_error(l, at[c->indicator] + 1, "%s", why);
	case IOC_ZEEK_CERT_HASH:
	case IOC_ZEEK_JA3:
		if (ioc_parse(kind == IOC_ZEEK_JA3 ? IOC_JA3 : IOC_SHA1, ind, ind_n, &k, why,
			      sizeof(why)) < 0)
			return ioc_line_error(l, at[c->indicator] + 1, "%s", why);
		break;
	case IOC_ZEEK_SKIP:
		break;
	}
	if (c->source >= 0)
		ioc_zeek_meta(p + at[c->source], len[c->source], &m.source, &m.source_len);
	if (c->desc >= 0)
		ioc_zeek_meta(p + at[c->desc], len[c->desc], &m.desc, &m.desc_len);
	return ioc_loader_insert(l, &k, &m);
}

int ioc_set_load_buffer(struct ioc_set *s, const char *name, const char *buf, size_t len,
			char *err, size_t errlen)
{
	struct ioc_loader l = { .s = s, .name = name ? name : "", .err = err, .errlen = errlen };
	const char *p = buf, *end = buf + len;
	enum { IOC_MODE_UNKNOWN, IOC_MODE_PLAIN, IOC_MODE_ZEEK } mode = IOC_MODE_UNKNOWN;
	struct ioc_zeek_cols cols = { .nfields = 0 };

	l.file = ioc_intern(s, l.name, strlen(l.name));
	if (l.file == NULL) {
		ioc_why(err, errlen, "%s: out of memory", l.name);
		return -1;
	}
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)   /* UTF-8 byte order mark */
		p += 3;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		const char *nul;
		int rc;

		l.line++;
		if (n > IOC_LINE_MAX)
			return ioc_line_error(&l, IOC_LINE_MAX + 1, "line longer than %u bytes",
					      IOC_LINE_MAX);
		nul = memchr(p, '\0', n);
		if (nul)
			return ioc_line_error(&l, (size_t)(nul - p) + 1, "NUL byte in line");
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (mode != IOC_MODE_PLAIN && n >= 7 && memcmp(p, "#fields", 7) == 0) {
			/* a Zeek header, or a new one in concatenated files */
			mode = IOC_MODE_ZEEK;
			rc = ioc_zeek_header(&l, p, n, &cols);
		} else if (mode == IOC_MODE_ZEEK) {
			rc = ioc_zeek_line(&l, p, n, &cols);
		} else {
			/* '#' and blank lines before a "#fields" leave the format open */
			if (mode == IOC_MODE_UNKNOWN && !ioc_is_comment_or_blank(p, n))
				mode = IOC_MODE_PLAIN;
			rc = ioc_plain_line(&l, p, n);
		}
		if (rc < 0)
			return -1;
		p = nl ? nl + 1 : end;
	}
	return 0;
}

int ioc_set_load_file(struct ioc_set *s, const char *path, char *err, size_t errlen)
{
	size_t cap, len = 0;
	char *buf = NULL;
	struct stat st;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ioc_why(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		ioc_why(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		ioc_why(err, errlen, "%s: is a directory", path);
		goto out;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > IOC_FILE_MAX)
		goto too_large;
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536;
	buf = malloc(cap);
	if (buf == NULL) {
		ioc_why(err, errlen, "%s: out of memory", path);
		goto out;
	}
	for (;;) {
		ssize_t r;

		if (len == cap) {
			char *nb;

			if (cap > IOC_FILE_MAX)
				goto too_large;
			cap *= 2;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				ioc_why(err, errlen, "%s: out of memory", path);
				goto out;
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ioc_why(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > IOC_FILE_MAX)
		goto too_large;
	rc = ioc_set_load_buffer(s, path, buf, len, err, errlen);
	goto out;

too_large:
	ioc_why(err, errlen, "%s: larger than %u MiB", path, IOC_FILE_MAX >> 20);
out:
	free(buf);
	close(fd);
	return rc;
}

/* ---- lookups ---------------------------------------------------------- */

static const struct ioc_entry *ioc_match4(const struct ioc_set *s, uint32_t a)
{
	const struct ioc_entry *e;
	uint32_t i;

	if (s->sum16) {
		uint32_t m = s->sum16[a >> 16];

		while (m) {      /* highest bit first: longest prefix first */
			unsigned b = (31 - (unsigned)__builtin_clz(m)) & 31;

			e = ioc_tab_find_key(s, &s->v4[16 + b], ioc_mask4(a, 16 + b));
			if (e)
				return e;
			m &= ~(1u << b);
		}
	}
	for (i = 0; i < s->nplen4; i++) {
		unsigned plen = s->plen4[i];

		if (s->sum16 && plen >= 16)
			continue;
		e = ioc_tab_find_key(s, &s->v4[plen], ioc_mask4(a, plen));
		if (e)
			return e;
	}
	return NULL;
}

static const struct ioc_entry *ioc_match6(const struct ioc_set *s, const uint8_t *addr)
{
	const struct ioc_entry *e;
	uint64_t hi, lo;
	uint32_t i;

	ioc_load6(addr, &hi, &lo);
	for (i = 0; i < s->nplen6; i++) {
		uint64_t h = hi, l = lo;

		ioc_mask6(&h, &l, s->plen6[i]);
		e = ioc_tab6_find(s, &s->v6[s->plen6[i]], h, l);
		if (e)
			return e;
	}
	return NULL;
}

const struct ioc_entry *ioc_set_match_ip(const struct ioc_set *s, int ip_version,
					 const uint8_t *addr)
{
	if (addr == NULL)
		return NULL;
	if (ip_version == 4)
		return ioc_match4(s, (uint32_t)addr[0] << 24 | (uint32_t)addr[1] << 16 |
				     (uint32_t)addr[2] << 8 | addr[3]);
	if (ip_version == 6)
		return ioc_match6(s, addr);
	return NULL;
}

const struct ioc_entry *ioc_set_match_domain(const struct ioc_set *s, const char *name)
{
	char buf[IOC_DOMAIN_MAX + 1];
	uint32_t hashes[IOC_DOMAIN_MAX / 2 + 1], h = IOC_FNV_BASIS;
	size_t at[IOC_DOMAIN_MAX / 2 + 1];
	const struct ioc_entry *e;
	size_t n, i, ns = 0;

	if (name == NULL)
		return NULL;
	n = strnlen(name, IOC_DOMAIN_MAX + 2);
	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > IOC_DOMAIN_MAX)
		return NULL;
	for (i = 0; i < n; i++)
		buf[i] = ioc_lower(name[i]);
	buf[n] = '\0';
	/* one backward pass: the hash of every suffix that follows a dot */
	for (i = n; i-- > 0;) {
		h = (h ^ (uint8_t)buf[i]) * IOC_FNV_PRIME;
		if (i > 0 && buf[i - 1] == '.' && ns < sizeof(at) / sizeof(at[0])) {
			at[ns] = i;
			hashes[ns++] = ioc_mix32(h);
		}
	}
	e = ioc_tab_find_str(s, &s->domain, ioc_mix32(h), buf, n, 0);
	if (e)
		return e;
	/* closest wildcard first: the longest suffix was found last */
	while (ns-- > 0) {
		e = ioc_tab_find_str(s, &s->wild, hashes[ns], buf + at[ns], n - at[ns], 2);
		if (e)
			return e;
	}
	return NULL;
}

const struct ioc_entry *ioc_set_match_hash(const struct ioc_set *s, enum ioc_type type,
					   const char *hex)
{
	struct ioc_key k;
	size_t n;

	if (hex == NULL || (type != IOC_JA3 && type != IOC_SHA1))
		return NULL;
	n = strnlen(hex, 64);
	if (ioc_parse_hex(hex, n, type == IOC_JA3 ? 32 : 40, type == IOC_SHA1, &k) < 0)
		return NULL;
	return ioc_tab_find_str(s, &s->hex[type - IOC_JA3], ioc_hash_str(k.text, k.len), k.text,
				k.len, 0);
}

const char *ioc_list_next(const char *p, char *tok, size_t toklen, int *cut)
{
	size_t len;

	p += strspn(p, ", \t");
	if (!*p || toklen == 0)
		return NULL;
	len = strcspn(p, ", \t");
	*cut = len >= toklen;
	snprintf(tok, toklen, "%.*s", (int)(*cut ? toklen - 1 : len), p);
	return p + len;
}
