/*
 * consume — see consume.h.
 *
 * Exactly once into the store rests on three things: an entry is
 * acknowledged only after the store has it durably (run.c), so a crash
 * leaves it pending, never lost; a pending entry comes back (the same
 * consumer reads its pending list after a restart, or another takes it over
 * with XAUTOCLAIM once it has been idle claim_idle_ms); and the store keeps
 * each alert_id once, so an entry stored twice (stored, then the collector
 * died before XACK) changes nothing the second time.
 *
 * Trimming: XTRIM MINID removes entries with smaller ids.  For each group
 * the first id it still needs is its oldest pending entry (XPENDING), or,
 * with none pending, the one after its last-delivered-id; the stream is
 * trimmed to the least of these over all groups, so a second group (a SIEM
 * export, say) is never trimmed from under.  No group: no trimming (the
 * sensors' MAXLEN still caps the stream).
 *
 * Everything in a reply is checked for type before use: Redis is shared,
 * and a key of the wrong type or an odd reply must become an error, not a
 * crash.
 */
#include "consume.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONSUME_KEY_MAX (CONSUME_NAME_MAX + 64)
#define CONSUME_HB_CHUNK 64          /* HGETALLs per pipelined call */
#define CONSUME_HB_STRINGS 64       /* strings of a heartbeat hash read */

struct consume {
	struct rlink *link;
	char key[CONSUME_KEY_MAX];          /* <prefix>:alerts */
	char key_sensors[CONSUME_KEY_MAX];  /* <prefix>:sensors */
	char prefix[CONSUME_NAME_MAX + 1];
	char group[CONSUME_NAME_MAX + 1];
	char consumer[CONSUME_NAME_MAX + 1];
	char count_txt[16], block_txt[16], idle_txt[24];
	uint32_t block_ms;
	char cfg_err[160];
	char err[160];                      /* reply-shape errors of our own */
	bool own_err;
};

static int consume_fail(struct consume *c, const char *what)
{
	snprintf(c->err, sizeof(c->err), "redis %s: %s", rlink_addr(c->link), what);
	c->own_err = true;
	rlink_disconnect(c->link);
	return -1;
}

struct consume *consume_new(const struct consume_config *cfg)
{
	struct consume *c = calloc(1, sizeof(*c));
	const char *names[3] = { cfg->prefix, cfg->group, cfg->consumer };
	const char *what[3] = { "key prefix", "group", "consumer" };

	if (!c)
		return NULL;
	c->link = rlink_new(&cfg->link);
	if (!c->link) {
		free(c);
		return NULL;
	}
	for (int i = 0; i < 3; i++)
		if (!names[i] || !*names[i] || strlen(names[i]) > CONSUME_NAME_MAX)
			snprintf(c->cfg_err, sizeof(c->cfg_err), "redis: %s is empty or longer than %u bytes",
				 what[i], CONSUME_NAME_MAX);
	if (cfg->count == 0 || cfg->count > STORE_BATCH_MAX)
		snprintf(c->cfg_err, sizeof(c->cfg_err), "redis: batch of %" PRIu32 " entries (1 to %u)",
			 cfg->count, STORE_BATCH_MAX);
	if (c->cfg_err[0])
		return c;
	snprintf(c->prefix, sizeof(c->prefix), "%s", cfg->prefix);
	snprintf(c->group, sizeof(c->group), "%s", cfg->group);
	snprintf(c->consumer, sizeof(c->consumer), "%s", cfg->consumer);
	snprintf(c->key, sizeof(c->key), "%s:alerts", c->prefix);
	snprintf(c->key_sensors, sizeof(c->key_sensors), "%s:sensors", c->prefix);
	snprintf(c->count_txt, sizeof(c->count_txt), "%" PRIu32, cfg->count);
	snprintf(c->block_txt, sizeof(c->block_txt), "%" PRIu32, cfg->block_ms);
	snprintf(c->idle_txt, sizeof(c->idle_txt), "%" PRIu64, cfg->claim_idle_ms);
	c->block_ms = cfg->block_ms;
	return c;
}

void consume_free(struct consume *c)
{
	if (!c)
		return;
	rlink_free(c->link);
	free(c);
}

const char *consume_error(const struct consume *c)
{
	if (c->cfg_err[0])
		return c->cfg_err;
	return c->own_err ? c->err : rlink_error(c->link);
}

const char *consume_stream_key(const struct consume *c)
{
	return c->key;
}

bool consume_is_connected(const struct consume *c)
{
	return rlink_is_connected(c->link);
}

void consume_disconnect(struct consume *c)
{
	rlink_disconnect(c->link);
}

/* One command: the reply of whatever type (the caller judges and frees
 * it).  argvlen NULL: the arguments are C strings (at most 16).  0 or -1. */
static int consume_send(struct consume *c, const char *what, int argc, const char **argv,
			const size_t *argvlen, uint32_t extra_ms, struct rlink_reply **out)
{
	size_t lens[16];

	c->own_err = false;
	if (c->cfg_err[0])
		return -1;
	if (!argvlen) {
		if (argc > 16)
			return consume_fail(c, "internal: more than 16 arguments");
		for (int i = 0; i < argc; i++)
			lens[i] = strlen(argv[i]);
		argvlen = lens;
	}
	return rlink_command(c->link, what, argc, argv, argvlen, extra_ms, out);
}

/* A reply the command must not give: keep it as the error, free it,
 * disconnect.  -1. */
static int consume_reject(struct consume *c, struct rlink_reply *r, const char *what)
{
	bool failed = false;

	rlink_note_error(c->link, &failed, r, what);
	rlink_reply_free(r);
	rlink_disconnect(c->link);
	return -1;
}

/* One command whose reply may be anything but an error.  0 or -1. */
static int consume_call(struct consume *c, const char *what, int argc, const char **argv,
			uint32_t extra_ms, struct rlink_reply **out)
{
	if (consume_send(c, what, argc, argv, NULL, extra_ms, out) < 0)
		return -1;
	if (rlink_reply_type(*out) == RLINK_ERROR) {
		consume_reject(c, *out, what);
		*out = NULL;
		return -1;
	}
	return 0;
}

int consume_connect(struct consume *c)
{
	const char *argv[] = { "XGROUP", "CREATE", c->key, c->group, "0", "MKSTREAM" };
	struct rlink_reply *r;
	size_t len;
	const char *s;

	c->own_err = false;
	if (c->cfg_err[0])
		return -1;
	if (rlink_is_connected(c->link))
		return 0;
	if (rlink_connect(c->link) < 0 || consume_send(c, "XGROUP CREATE", 6, argv, NULL, 0, &r) < 0)
		return -1;
	s = rlink_reply_str(r, &len);
	/* the group exists already: what every start after the first sees */
	if (!rlink_reply_is(r, "OK") &&
	    !(rlink_reply_type(r) == RLINK_ERROR && len >= 9 && !memcmp(s, "BUSYGROUP", 9)))
		return consume_reject(c, r, "XGROUP CREATE");
	rlink_reply_free(r);
	return 0;
}

int consume_batch_init(struct consume_batch *b, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->e = calloc(cap, sizeof(*b->e));
	b->cap_fv = cap * 16;
	b->fv = calloc(b->cap_fv, sizeof(*b->fv));
	b->fvlen = calloc(b->cap_fv, sizeof(*b->fvlen));
	if (!b->e || !b->fv || !b->fvlen) {
		consume_batch_fini(b);
		return -1;
	}
	b->cap = cap;
	return 0;
}

void consume_batch_fini(struct consume_batch *b)
{
	rlink_reply_free(b->reply);
	free(b->e);
	free(b->fv);
	free(b->fvlen);
	memset(b, 0, sizeof(*b));
}

static void consume_batch_reset(struct consume_batch *b)
{
	rlink_reply_free(b->reply);
	b->reply = NULL;
	b->n = 0;
	b->n_fv_total = 0;
}

/* Room for n more strings. */
static int consume_batch_room(struct consume_batch *b, size_t n)
{
	const char **fv;
	size_t *fvlen, cap = b->cap_fv;

	if (b->n_fv_total + n <= b->cap_fv)
		return 0;
	while (cap < b->n_fv_total + n)
		cap *= 2;
	fv = realloc(b->fv, cap * sizeof(*fv));
	if (!fv)
		return -1;
	b->fv = fv;
	fvlen = realloc(b->fvlen, cap * sizeof(*fvlen));
	if (!fvlen)
		return -1;
	b->fvlen = fvlen;
	b->cap_fv = cap;
	return 0;
}

/* A list of entries [[id, [name, value, ...] or nil], ...] into b.  The
 * strings are pointed to after the whole list is read (the arrays may
 * move while it is). */
static int consume_entries(struct consume *c, const struct rlink_reply *list, struct consume_batch *b)
{
	size_t n = rlink_reply_len(list);

	if (rlink_reply_type(list) != RLINK_ARRAY)
		return consume_fail(c, "reply: the entry list is not an array");
	for (size_t i = 0; i < n && b->n < b->cap; i++) {
		const struct rlink_reply *ent = rlink_reply_elem(list, i), *id, *fields;
		struct consume_entry *e = &b->e[b->n];
		const char *s;
		size_t len;

		memset(e, 0, sizeof(*e));
		if (rlink_reply_type(ent) == RLINK_NIL)
			continue;   /* 6.2's XAUTOCLAIM: an id deleted meanwhile */
		id = rlink_reply_elem(ent, 0);
		fields = rlink_reply_elem(ent, 1);
		if (rlink_reply_type(ent) != RLINK_ARRAY || !id || rlink_reply_type(id) != RLINK_STRING)
			return consume_fail(c, "reply: an entry without an id");
		s = rlink_reply_str(id, &len);
		if (len == 0 || len > STORE_STREAM_ID_MAX)
			return consume_fail(c, "reply: an entry id of a bad length");
		memcpy(e->id, s, len);
		e->id[len] = '\0';
		b->n++;
		if (!fields || rlink_reply_type(fields) == RLINK_NIL) {
			e->gone = true;
			continue;
		}
		if (rlink_reply_type(fields) != RLINK_ARRAY) {
			e->bad = true;
			continue;
		}
		if (consume_batch_room(b, rlink_reply_len(fields)) < 0)
			return consume_fail(c, "out of memory");
		e->n_fv = rlink_reply_len(fields);
		for (size_t k = 0; k < e->n_fv; k++) {
			const struct rlink_reply *f = rlink_reply_elem(fields, k);

			if (rlink_reply_type(f) != RLINK_STRING) {
				e->bad = true;
				e->n_fv = 0;
				break;
			}
		}
		/* the offset now; pointers once the arrays stop moving */
		e->fv = (const char *const *)(uintptr_t)b->n_fv_total;
		for (size_t k = 0; k < e->n_fv; k++) {
			b->fv[b->n_fv_total] = rlink_reply_str(rlink_reply_elem(fields, k), &len);
			b->fvlen[b->n_fv_total++] = len;
		}
	}
	for (size_t i = 0; i < b->n; i++) {
		size_t off = (size_t)(uintptr_t)b->e[i].fv;

		b->e[i].fv = b->e[i].n_fv ? b->fv + off : NULL;
		b->e[i].fvlen = b->e[i].n_fv ? b->fvlen + off : NULL;
	}
	return 0;
}

/* XREADGROUP's reply: nil (nothing), or [[key, entries]]. */
static int consume_readgroup(struct consume *c, const char *from, bool block, struct consume_batch *b)
{
	const char *argv[12] = { "XREADGROUP", "GROUP", c->group, c->consumer, "COUNT", c->count_txt };
	const struct rlink_reply *stream;
	int argc = 6;

	consume_batch_reset(b);
	if (block) {
		argv[argc++] = "BLOCK";
		argv[argc++] = c->block_txt;
	}
	argv[argc++] = "STREAMS";
	argv[argc++] = c->key;
	argv[argc++] = from;
	if (consume_call(c, "XREADGROUP", argc, argv, block ? c->block_ms : 0, &b->reply) < 0)
		return -1;
	if (rlink_reply_type(b->reply) == RLINK_NIL)
		return 0;
	stream = rlink_reply_elem(b->reply, 0);
	if (rlink_reply_type(b->reply) != RLINK_ARRAY || !stream || rlink_reply_len(stream) != 2)
		return consume_fail(c, "XREADGROUP: a reply not of the form [[key, entries]]");
	return consume_entries(c, rlink_reply_elem(stream, 1), b);
}

int consume_read_pending(struct consume *c, const char *from, struct consume_batch *b)
{
	return consume_readgroup(c, from, false, b);
}

int consume_read_new(struct consume *c, bool block, struct consume_batch *b)
{
	return consume_readgroup(c, ">", block, b);
}

int consume_claim(struct consume *c, char *cursor, size_t cursor_len, struct consume_batch *b)
{
	const char *argv[] = { "XAUTOCLAIM", c->key, c->group, c->consumer, c->idle_txt, cursor,
			       "COUNT", c->count_txt };
	const struct rlink_reply *next;
	const char *s;
	size_t len;

	consume_batch_reset(b);
	if (consume_call(c, "XAUTOCLAIM", 8, argv, 0, &b->reply) < 0)
		return -1;
	next = rlink_reply_elem(b->reply, 0);
	if (rlink_reply_type(b->reply) != RLINK_ARRAY || rlink_reply_len(b->reply) < 2 || !next ||
	    rlink_reply_type(next) != RLINK_STRING)
		return consume_fail(c, "XAUTOCLAIM: a reply not of the form [next, entries, ...]");
	s = rlink_reply_str(next, &len);
	if (len == 0 || len >= cursor_len)
		return consume_fail(c, "XAUTOCLAIM: a bad cursor");
	if (consume_entries(c, rlink_reply_elem(b->reply, 1), b) < 0)
		return -1;
	memcpy(cursor, s, len);
	cursor[len] = '\0';
	return 0;
}

int consume_ack(struct consume *c, const char *const *ids, size_t n)
{
	const char **all;
	size_t *lens;
	struct rlink_reply *r;
	int rc;

	c->own_err = false;
	if (n == 0)
		return 0;
	all = calloc(n + 3, sizeof(*all));
	lens = calloc(n + 3, sizeof(*lens));
	if (!all || !lens) {
		free(all);
		free(lens);
		return consume_fail(c, "XACK: out of memory");
	}
	all[0] = "XACK";
	all[1] = c->key;
	all[2] = c->group;
	for (size_t i = 0; i < n; i++)
		all[3 + i] = ids[i];
	for (size_t i = 0; i < n + 3; i++)
		lens[i] = strlen(all[i]);
	rc = consume_send(c, "XACK", (int)(n + 3), all, lens, 0, &r);
	free(all);
	free(lens);
	if (rc < 0)
		return -1;
	if (rlink_reply_type(r) != RLINK_INTEGER)
		return consume_reject(c, r, "XACK");
	rlink_reply_free(r);
	return 0;
}

/* "ms-seq" into its two numbers.  0 or -1. */
static int consume_id_parse(const char *s, size_t len, uint64_t *ms, uint64_t *seq)
{
	const char *dash = memchr(s, '-', len);

	if (!dash || rlink_parse_u64(s, (size_t)(dash - s), UINT64_MAX, ms) < 0 ||
	    rlink_parse_u64(dash + 1, len - (size_t)(dash - s) - 1, UINT64_MAX, seq) < 0)
		return -1;
	return 0;
}

/* In a flat [name, value, ...] reply, the value of name, or NULL. */
static const struct rlink_reply *consume_field(const struct rlink_reply *r, const char *name)
{
	for (size_t i = 0; i + 1 < rlink_reply_len(r); i += 2)
		if (rlink_reply_is(rlink_reply_elem(r, i), name))
			return rlink_reply_elem(r, i + 1);
	return NULL;
}

/* The first id group g still needs, into (*ms, *seq).  0 or -1. */
static int consume_group_floor(struct consume *c, const struct rlink_reply *g, uint64_t *ms, uint64_t *seq)
{
	const struct rlink_reply *name = consume_field(g, "name"), *pending = consume_field(g, "pending"),
				 *last = consume_field(g, "last-delivered-id");
	struct rlink_reply *r;
	const char *s, *argv[3];
	char gname[CONSUME_NAME_MAX * 4];
	size_t len;
	int rc;

	if (!name || !pending || !last || rlink_reply_type(pending) != RLINK_INTEGER)
		return consume_fail(c, "XINFO GROUPS: a group without name, pending or last-delivered-id");
	if (rlink_reply_int(pending) > 0) {
		s = rlink_reply_str(name, &len);
		if (!s || len >= sizeof(gname))
			return consume_fail(c, "XINFO GROUPS: a bad group name");
		memcpy(gname, s, len);
		gname[len] = '\0';
		argv[0] = "XPENDING";
		argv[1] = c->key;
		argv[2] = gname;
		if (consume_call(c, "XPENDING", 3, argv, 0, &r) < 0)
			return -1;
		if (rlink_reply_type(r) == RLINK_ARRAY && rlink_reply_elem(r, 1) &&
		    rlink_reply_type(rlink_reply_elem(r, 1)) == RLINK_NIL) {
			rc = 1;   /* nothing pending any more (acknowledged since XINFO) */
		} else {
			s = rlink_reply_type(r) == RLINK_ARRAY && rlink_reply_elem(r, 1) ?
				    rlink_reply_str(rlink_reply_elem(r, 1), &len) : NULL;
			rc = s && consume_id_parse(s, len, ms, seq) == 0 ? 0 : -1;
		}
		rlink_reply_free(r);
		if (rc == 0)
			return 0;
		if (rc < 0)
			return consume_fail(c, "XPENDING: no smallest pending id");
		/* as with none pending: the last-delivered-id read before
		 * XPENDING is at most the true one, so this trims no more */
	}
	s = rlink_reply_str(last, &len);
	if (!s || consume_id_parse(s, len, ms, seq) < 0)
		return consume_fail(c, "XINFO GROUPS: a bad last-delivered-id");
	if (*seq == UINT64_MAX) {
		(*ms)++;
		*seq = 0;
	} else {
		(*seq)++;
	}
	return 0;
}

int consume_trim(struct consume *c, uint64_t *trimmed)
{
	const char *argv[5] = { "XINFO", "GROUPS", c->key };
	struct rlink_reply *r;
	uint64_t min_ms = UINT64_MAX, min_seq = UINT64_MAX;
	char minid[48];
	size_t n;

	*trimmed = 0;
	if (consume_call(c, "XINFO GROUPS", 3, argv, 0, &r) < 0)
		return -1;
	if (rlink_reply_type(r) != RLINK_ARRAY) {
		rlink_reply_free(r);
		return consume_fail(c, "XINFO GROUPS: not an array");
	}
	n = rlink_reply_len(r);
	for (size_t i = 0; i < n; i++) {
		uint64_t ms, seq;

		if (consume_group_floor(c, rlink_reply_elem(r, i), &ms, &seq) < 0) {
			rlink_reply_free(r);
			return -1;
		}
		if (ms < min_ms || (ms == min_ms && seq < min_seq)) {
			min_ms = ms;
			min_seq = seq;
		}
	}
	rlink_reply_free(r);
	if (n == 0)
		return 0;
	snprintf(minid, sizeof(minid), "%" PRIu64 "-%" PRIu64, min_ms, min_seq);
	argv[0] = "XTRIM";
	argv[1] = c->key;
	argv[2] = "MINID";
	argv[3] = minid;
	if (consume_call(c, "XTRIM", 4, argv, 0, &r) < 0)
		return -1;
	if (rlink_reply_type(r) == RLINK_INTEGER && rlink_reply_int(r) > 0)
		*trimmed = (uint64_t)rlink_reply_int(r);
	rlink_reply_free(r);
	return 0;
}

/* One pipelined chunk of HGETALLs for members [from, to) of zs. */
static int consume_hb_chunk(struct consume *c, const struct rlink_reply *zs, size_t from, size_t to,
			    consume_sensor_fn cb, void *ctx)
{
	char key[CONSUME_KEY_MAX + STORE_SENSOR_ID_MAX];
	const char *argv[2];
	size_t argvlen[2];
	int rc = 0;

	rlink_call_start(c->link);
	for (size_t i = from; i < to; i++) {
		size_t len;
		const char *id = rlink_reply_str(rlink_reply_elem(zs, 2 * i), &len);

		argv[0] = "HGETALL";
		argvlen[0] = 7;
		argv[1] = key;
		argvlen[1] = (size_t)snprintf(key, sizeof(key), "%s:sensor:%.*s", c->prefix,
					      (int)(len < STORE_SENSOR_ID_MAX ? len : STORE_SENSOR_ID_MAX),
					      id ? id : "");
		if (argvlen[1] >= sizeof(key))
			argvlen[1] = sizeof(key) - 1;
		if (rlink_append(c->link, "HGETALL", 2, argv, argvlen) < 0)
			return -1;
	}
	if (rlink_flush(c->link, "HGETALL") < 0)
		return -1;
	for (size_t i = from; i < to; i++) {
		const char *fv[CONSUME_HB_STRINGS];
		size_t fvlen[CONSUME_HB_STRINGS], n = 0, idlen, sclen;
		const char *id = rlink_reply_str(rlink_reply_elem(zs, 2 * i), &idlen);
		const char *score = rlink_reply_str(rlink_reply_elem(zs, 2 * i + 1), &sclen);
		struct rlink_reply *r;
		uint64_t hb_s = 0;
		char num[32];

		if (rlink_reply(c->link, "HGETALL", &r) < 0)
			return -1;
		for (size_t k = 0; k < rlink_reply_len(r) && n < CONSUME_HB_STRINGS; k++) {
			fv[n] = rlink_reply_str(rlink_reply_elem(r, k), &fvlen[n]);
			if (fv[n])
				n++;
		}
		n -= n % 2;
		/* a score is a float's text ("1764201600" or "1.7642016e9" in
		 * theory): only whole seconds are taken */
		if (score && sclen < sizeof(num)) {
			memcpy(num, score, sclen);
			num[sclen] = '\0';
			hb_s = strtoull(num, NULL, 10);
		}
		if (!rc && id && idlen)
			rc = cb(ctx, id, idlen, (int64_t)(hb_s > INT64_MAX / 1000000 ? 0 : hb_s), fv, fvlen, n);
		rlink_reply_free(r);
	}
	return rc;
}

int consume_sensors(struct consume *c, size_t max, consume_sensor_fn cb, void *ctx)
{
	char stop[24];
	const char *argv[5] = { "ZRANGE", c->key_sensors, "0", stop, "WITHSCORES" };
	struct rlink_reply *zs;
	size_t n;
	int rc = 0;

	snprintf(stop, sizeof(stop), "%zu", max ? max - 1 : 0);
	if (consume_call(c, "ZRANGE sensors", 5, argv, 0, &zs) < 0)
		return -1;
	if (rlink_reply_type(zs) != RLINK_ARRAY || rlink_reply_len(zs) % 2) {
		rlink_reply_free(zs);
		return consume_fail(c, "ZRANGE sensors: not member/score pairs");
	}
	n = rlink_reply_len(zs) / 2;
	for (size_t i = 0; i < n && !rc; i += CONSUME_HB_CHUNK)
		rc = consume_hb_chunk(c, zs, i, i + CONSUME_HB_CHUNK < n ? i + CONSUME_HB_CHUNK : n, cb, ctx);
	rlink_reply_free(zs);
	return rc;
}
