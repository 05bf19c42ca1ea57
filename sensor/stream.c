/*
 * stream — see stream.h.
 *
 * The connection, its timeouts and pipelining are common/rlink.c's (the
 * only includer of hiredis): a batch is one write and one round trip, and
 * any failure drops the connection.
 *
 * MULTI/EXEC (https://redis.io/docs/interact/transactions/): an error when a
 * command is queued (wrong arity, NOPERM, OOM) makes EXEC fail with
 * EXECABORT and nothing is applied.  An error while EXEC runs (WRONGTYPE:
 * <prefix>:<name> is not a stream) fails that command only; the others,
 * including HSET last_seq, are applied.  That can only come from a key
 * clobbered by something else; the error says so.  Likewise an ACL user
 * refused MULTI but allowed XADD would run the XADDs outside a transaction
 * (EXEC then fails "without MULTI"): waiting for MULTI's reply before the
 * batch would cost a round trip per batch for a misconfiguration.
 *
 * A timeout or a lost connection after the batch was written says nothing
 * about whether the server ran it (a stopped server runs it when resumed):
 * stream_last_seq after reconnecting does.
 */
#include "stream.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rlink.h"

#define STREAM_ID_MAX 128            /* prefix and sensor_id */
#define STREAM_NAME_MAX 64           /* stream name ("alerts", "flows") */
#define STREAM_KEY_MAX (2 * STREAM_ID_MAX + STREAM_NAME_MAX + 16)
#define STREAM_XADD_ARGS 18          /* the most an XADD of ours has */
#define STREAM_HB_PAIRS 64           /* heartbeat fields at most */
#define STREAM_BATCH_MAX_BYTES (64u << 20) /* payload of one MULTI/EXEC */

struct stream {
	struct rlink *link;
	char prefix[STREAM_ID_MAX + 1];
	char sensor_id[STREAM_ID_MAX + 1];
	uint64_t maxlen;
	char key_sensor[STREAM_KEY_MAX];    /* <prefix>:sensor:<id> */
	char key_seq[STREAM_KEY_MAX];       /* <prefix>:delivered (field <id>: last seq) */
	char key_sensors[STREAM_KEY_MAX];   /* <prefix>:sensors */
	char maxlen_txt[24];                /* MAXLEN's argument */
	char cfg_err[128];                  /* a config problem, reported by connect */
};

static size_t stream_u64(char *buf, size_t len, uint64_t v)
{
	int n = snprintf(buf, len, "%" PRIu64, v);

	return n > 0 ? (size_t)n : 0;
}

struct stream *stream_new(const struct stream_config *cfg)
{
	struct stream *s = calloc(1, sizeof(*s));
	const char *prefix = cfg->prefix && cfg->prefix[0] ? cfg->prefix : "zw";
	const char *id = cfg->sensor_id ? cfg->sensor_id : "";

	struct rlink_config lc = {
		.url = cfg->url,
		.connect_timeout_ms = cfg->connect_timeout_ms,
		.command_timeout_ms = cfg->command_timeout_ms,
		.keepalive_s = cfg->keepalive_s,
	};

	if (!s)
		return NULL;
	s->link = rlink_new(&lc);
	if (!s->link) {
		free(s);
		return NULL;
	}
	s->maxlen = cfg->maxlen;
	if (!id[0])
		snprintf(s->cfg_err, sizeof(s->cfg_err), "sensor_id is empty");
	else if (strlen(id) > STREAM_ID_MAX)
		snprintf(s->cfg_err, sizeof(s->cfg_err), "sensor_id is longer than %d bytes", STREAM_ID_MAX);
	else if (strlen(prefix) > STREAM_ID_MAX)
		snprintf(s->cfg_err, sizeof(s->cfg_err), "key prefix is longer than %d bytes", STREAM_ID_MAX);
	else if (!cfg->url.path[0] && !cfg->url.host[0])
		snprintf(s->cfg_err, sizeof(s->cfg_err), "no Redis host or socket path");
	snprintf(s->prefix, sizeof(s->prefix), "%s", prefix);
	snprintf(s->sensor_id, sizeof(s->sensor_id), "%s", id);
	snprintf(s->key_sensor, sizeof(s->key_sensor), "%s:sensor:%s", s->prefix, s->sensor_id);
	snprintf(s->key_seq, sizeof(s->key_seq), "%s:delivered", s->prefix);
	snprintf(s->key_sensors, sizeof(s->key_sensors), "%s:sensors", s->prefix);
	if (s->maxlen)
		stream_u64(s->maxlen_txt, sizeof(s->maxlen_txt), s->maxlen);
	return s;
}

void stream_free(struct stream *s)
{
	if (!s)
		return;
	rlink_free(s->link);
	free(s);
}

bool stream_connected(const struct stream *s)
{
	return rlink_is_connected(s->link);
}

const char *stream_error(const struct stream *s)
{
	return rlink_error(s->link);
}

void stream_disconnect(struct stream *s)
{
	if (s)
		rlink_disconnect(s->link);
}

int stream_connect(struct stream *s)
{
	if (s->cfg_err[0])
		return rlink_fail(s->link, "redis: %s", s->cfg_err);
	return rlink_connect(s->link);
}

int stream_last_seq(struct stream *s, uint64_t *seq)
{
	const char *argv[3] = { "HGET", s->key_seq, s->sensor_id };
	size_t argvlen[3] = { 4, strlen(s->key_seq), strlen(s->sensor_id) };
	struct rlink_reply *r;
	int rc = 0;

	if (rlink_command(s->link, "HGET last_seq", 3, argv, argvlen, 0, &r) < 0)
		return -1;
	if (rlink_reply_type(r) == RLINK_NIL) {
		*seq = 0;
	} else if (rlink_reply_type(r) == RLINK_STRING) {
		size_t len;
		const char *str = rlink_reply_str(r, &len);
		uint64_t v;

		if (rlink_parse_u64(str, len, UINT64_MAX, &v) < 0) {
			rlink_fail(s->link, "redis %s: last_seq '%.*s' in %s is not a number", rlink_addr(s->link),
				   (int)(len > 32 ? 32 : len), str, s->key_seq);
			rc = -1;
		} else {
			*seq = v;
		}
	} else {
		bool failed = false;

		rlink_note_error(s->link, &failed, r, "HGET last_seq");
		rc = -1;
	}
	rlink_reply_free(r);
	if (rc < 0)
		stream_disconnect(s);
	return rc;
}

/* Append one XADD. */
static int stream_xadd(struct stream *s, const char *key, size_t keylen, const struct stream_entry *e)
{
	const char *argv[STREAM_XADD_ARGS];
	size_t argvlen[STREAM_XADD_ARGS];
	char seq[24], sid[12], sev[4];
	int n = 0;

#define STREAM_ARG(p, l)              \
	do {                          \
		argv[n] = (p);        \
		argvlen[n++] = (l);   \
	} while (0)
#define STREAM_LIT(lit) STREAM_ARG(lit, sizeof(lit) - 1)
	STREAM_LIT("XADD");
	STREAM_ARG(key, keylen);
	if (s->maxlen_txt[0]) {
		STREAM_LIT("MAXLEN");
		STREAM_LIT("~");
		STREAM_ARG(s->maxlen_txt, strlen(s->maxlen_txt));
	}
	STREAM_LIT("*");
	STREAM_LIT("sensor");
	STREAM_ARG(s->sensor_id, strlen(s->sensor_id));
	if (e->seq) {
		STREAM_LIT("seq");
		STREAM_ARG(seq, stream_u64(seq, sizeof(seq), e->seq));
	}
	if (e->sid) {
		STREAM_LIT("sid");
		STREAM_ARG(sid, stream_u64(sid, sizeof(sid), e->sid));
	}
	if (e->severity) {
		STREAM_LIT("severity");
		STREAM_ARG(sev, stream_u64(sev, sizeof(sev), e->severity));
	}
	if (e->alert_id[0]) {
		STREAM_LIT("alert_id");
		STREAM_ARG(e->alert_id, strnlen(e->alert_id, sizeof(e->alert_id)));
	}
	STREAM_LIT("json");
	STREAM_ARG(e->json ? e->json : "", e->json ? e->len : 0);
#undef STREAM_LIT
#undef STREAM_ARG
	return rlink_append(s->link, "XADD", n, argv, argvlen);
}

/* Before a batch is sent: connected, the arguments sane, its key
 * <prefix>:<name> into key (*keylen), the call's deadline started.  1: go
 * on; 0: nothing to send (n == 0); -1: not connected, or bad arguments (the
 * reason kept, the connection untouched). */
static int stream_batch_start(struct stream *s, const char *name, const struct stream_entry *e,
			      size_t n, char *key, size_t keysize, size_t *keylen)
{
	size_t namelen = name ? strlen(name) : 0;
	uint64_t bytes = 0;

	if (rlink_require(s->link) < 0)
		return -1;
	if (n == 0)
		return 0;
	if (namelen == 0 || namelen > STREAM_NAME_MAX) {
		rlink_fail(s->link, "redis %s: stream name '%.64s' is empty or longer than %d bytes", rlink_addr(s->link),
			      name ? name : "", STREAM_NAME_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!e[i].json && e[i].len) {
			rlink_fail(s->link, "redis %s: entry seq %" PRIu64 " has no JSON", rlink_addr(s->link), e[i].seq);
			return -1;
		}
		bytes += e[i].len;
	}
	if (bytes > STREAM_BATCH_MAX_BYTES || n > (size_t)INT32_MAX / 2) {
		rlink_fail(s->link, "redis %s: batch of %zu entries, %" PRIu64 " bytes, is over the %u MiB cap", rlink_addr(s->link),
			      n, bytes, STREAM_BATCH_MAX_BYTES >> 20);
		return -1;
	}
	*keylen = (size_t)snprintf(key, keysize, "%s:%s", s->prefix, name);
	rlink_call_start(s->link);
	return 1;
}

int stream_send(struct stream *s, const char *name, const struct stream_entry *e, size_t n)
{
	char key[STREAM_KEY_MAX], lastseq[24], what[STREAM_KEY_MAX + 64];
	const char *argv[4];
	size_t argvlen[4], keylen;
	bool failed = false;
	struct rlink_reply *r;
	int rc;

	if ((rc = stream_batch_start(s, name, e, n, key, sizeof(key), &keylen)) <= 0)
		return rc;
	snprintf(what, sizeof(what), "MULTI/EXEC of %zu entries to %s", n, key);

	argv[0] = "MULTI";
	argvlen[0] = 5;
	if (rlink_append(s->link, what, 1, argv, argvlen) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (stream_xadd(s, key, keylen, &e[i]) < 0)
			return -1;
	argv[0] = "HSET";
	argvlen[0] = 4;
	argv[1] = s->key_seq;
	argvlen[1] = strlen(s->key_seq);
	argv[2] = s->sensor_id;
	argvlen[2] = strlen(s->sensor_id);
	argv[3] = lastseq;
	argvlen[3] = stream_u64(lastseq, sizeof(lastseq), e[n - 1].seq);
	if (rlink_append(s->link, what, 4, argv, argvlen) < 0)
		return -1;
	argv[0] = "EXEC";
	argvlen[0] = 4;
	if (rlink_append(s->link, what, 1, argv, argvlen) < 0 || rlink_flush(s->link, what) < 0)
		return -1;

	/* MULTI: +OK; each XADD and the HSET: +QUEUED */
	for (size_t i = 0; i < n + 2; i++) {
		if (rlink_reply(s->link, what, &r) < 0)
			return -1;
		if (rlink_reply_type(r) != RLINK_STATUS) {
			char cmd[STREAM_KEY_MAX + 64];

			if (i == 0)
				snprintf(cmd, sizeof(cmd), "MULTI");
			else if (i <= n)
				snprintf(cmd, sizeof(cmd), "XADD %s seq %" PRIu64, key, e[i - 1].seq);
			else
				snprintf(cmd, sizeof(cmd), "HSET %.60s %.60s", s->key_seq, s->sensor_id);
			rlink_note_error(s->link, &failed, r, cmd);
		}
		rlink_reply_free(r);
	}
	/* EXEC: one reply per queued command, or an error (EXECABORT after an
	 * error above: nothing applied) */
	if (rlink_reply(s->link, what, &r) < 0)
		return -1;
	if (rlink_reply_type(r) != RLINK_ARRAY) {
		rlink_note_error(s->link, &failed, r, "EXEC");
	} else if (rlink_reply_len(r) != n + 1) {
		if (!failed)
			rlink_fail(s->link, "redis %s: EXEC: %zu replies for %zu commands", rlink_addr(s->link),
				   rlink_reply_len(r), n + 1);
		failed = true;
	} else {
		for (size_t i = 0; i < n + 1; i++) {
			const struct rlink_reply *el = rlink_reply_elem(r, i);

			if (rlink_reply_type(el) == RLINK_ERROR && !failed) {
				char cmd[STREAM_KEY_MAX + 64];

				if (i < n)
					snprintf(cmd, sizeof(cmd), "EXEC: XADD %s seq %" PRIu64, key, e[i].seq);
				else
					snprintf(cmd, sizeof(cmd), "EXEC: HSET %.60s %.60s", s->key_seq, s->sensor_id);
				rlink_note_error(s->link, &failed, el, cmd);
				/* the other commands were applied: say so */
				rlink_error_append(s->link, " (the batch's other commands were applied)");
			}
		}
	}
	rlink_reply_free(r);
	if (failed) {
		stream_disconnect(s);
		return -1;
	}
	return 0;
}

int stream_send_plain(struct stream *s, const char *name, const struct stream_entry *e, size_t n)
{
	char key[STREAM_KEY_MAX], what[STREAM_KEY_MAX + 64];
	size_t keylen;
	bool failed = false;
	struct rlink_reply *r;
	int rc;

	if ((rc = stream_batch_start(s, name, e, n, key, sizeof(key), &keylen)) <= 0)
		return rc;
	snprintf(what, sizeof(what), "%zu XADD to %s", n, key);
	for (size_t i = 0; i < n; i++)
		if (stream_xadd(s, key, keylen, &e[i]) < 0)
			return -1;
	if (rlink_flush(s->link, what) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (rlink_reply(s->link, what, &r) < 0)
			return -1;
		if (rlink_reply_type(r) == RLINK_ERROR)
			rlink_note_error(s->link, &failed, r, "XADD");
		rlink_reply_free(r);
	}
	if (failed) {
		stream_disconnect(s);
		return -1;
	}
	return 0;
}

int stream_heartbeat(struct stream *s, const char *const *fields, uint32_t ttl_s, uint64_t now_s)
{
	const char *argv[2 + 2 * STREAM_HB_PAIRS];
	size_t argvlen[2 + 2 * STREAM_HB_PAIRS];
	char ttl[16], now[24];
	size_t pairs = 0;
	int ncmd = 0;
	const char *what[3];

	if (rlink_require(s->link) < 0)
		return -1;
	for (; fields && fields[2 * pairs]; pairs++) {
		if (!fields[2 * pairs + 1]) {
			rlink_fail(s->link, "redis %s: heartbeat field '%.64s' has no value", rlink_addr(s->link), fields[2 * pairs]);
			return -1;
		}
		if (pairs == STREAM_HB_PAIRS) {
			rlink_fail(s->link, "redis %s: more than %d heartbeat fields", rlink_addr(s->link), STREAM_HB_PAIRS);
			return -1;
		}
	}
	rlink_call_start(s->link);
	if (pairs) {
		argv[0] = "HSET";
		argvlen[0] = 4;
		argv[1] = s->key_sensor;
		argvlen[1] = strlen(s->key_sensor);
		for (size_t i = 0; i < 2 * pairs; i++) {
			argv[2 + i] = fields[i];
			argvlen[2 + i] = strlen(fields[i]);
		}
		if (rlink_append(s->link, "heartbeat HSET", (int)(2 + 2 * pairs), argv, argvlen) < 0)
			return -1;
		what[ncmd++] = "heartbeat HSET";
	}
	if (ttl_s) {
		argv[0] = "EXPIRE";
		argvlen[0] = 6;
		argv[1] = s->key_sensor;
		argvlen[1] = strlen(s->key_sensor);
		argv[2] = ttl;
		argvlen[2] = stream_u64(ttl, sizeof(ttl), ttl_s);
		if (rlink_append(s->link, "heartbeat EXPIRE", 3, argv, argvlen) < 0)
			return -1;
		what[ncmd++] = "heartbeat EXPIRE";
	}
	argv[0] = "ZADD";
	argvlen[0] = 4;
	argv[1] = s->key_sensors;
	argvlen[1] = strlen(s->key_sensors);
	argv[2] = now;
	argvlen[2] = stream_u64(now, sizeof(now), now_s);
	argv[3] = s->sensor_id;
	argvlen[3] = strlen(s->sensor_id);
	if (rlink_append(s->link, "heartbeat ZADD", 4, argv, argvlen) < 0)
		return -1;
	what[ncmd++] = "heartbeat ZADD";
	return rlink_finish(s->link, what, ncmd, RLINK_INTEGER);
}
