/*
 * stream — see stream.h.
 *
 * hiredis 0.14 in blocking mode.  Commands are appended to hiredis's output
 * buffer (redisAppendCommandArgv) and the replies read one by one, so a
 * batch is one write and one round trip.  Instead of redisGetReply (whose
 * socket timeout applies to every read(2) and write(2) again, so a server
 * that answers slowly can hold a call for far longer than the timeout) the
 * buffer is flushed with redisBufferWrite and replies are taken with
 * redisGetReplyFromReader/redisBufferRead, re-arming SO_RCVTIMEO/SO_SNDTIMEO
 * (redisSetTimeout) with what is left of the call's deadline before each
 * system call: command_timeout_ms bounds a whole call.  The deadline is read
 * from CLOCK_MONOTONIC: it is about I/O, not about packet time.
 *
 * Any failure after a command was appended drops the connection: hiredis's
 * output buffer or reader may hold half a pipeline, and the next
 * stream_connect must start clean.
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

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include <hiredis/hiredis.h>

#if !defined(HIREDIS_MAJOR) || !defined(HIREDIS_MINOR) || !defined(HIREDIS_PATCH)
#error "hiredis headers not found (Debian: libhiredis-dev)"
#endif
#if HIREDIS_MAJOR != 0 || HIREDIS_MINOR != 14
#error "hiredis 0.14 required (Debian 12: libhiredis-dev 0.14.1): stream.c uses its blocking API"
#endif

#define STREAM_DEFAULT_PORT 6379
#define STREAM_DB_MAX 1000000
#define STREAM_ID_MAX 128            /* prefix and sensor_id */
#define STREAM_NAME_MAX 64           /* stream name ("alerts", "flows") */
#define STREAM_KEY_MAX (2 * STREAM_ID_MAX + STREAM_NAME_MAX + 16)
#define STREAM_XADD_ARGS 18          /* the most an XADD of ours has */
#define STREAM_HB_PAIRS 64           /* heartbeat fields at most */
#define STREAM_BATCH_MAX_BYTES (64u << 20) /* payload of one MULTI/EXEC */
#define STREAM_SUN_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
#define STREAM_ERR_MAX 512

struct stream {
	struct stream_url url;
	char prefix[STREAM_ID_MAX + 1];
	char sensor_id[STREAM_ID_MAX + 1];
	uint64_t maxlen;
	uint32_t connect_timeout_ms, command_timeout_ms, keepalive_s;
	char key_sensor[STREAM_KEY_MAX];    /* <prefix>:sensor:<id> */
	char key_seq[STREAM_KEY_MAX];       /* <prefix>:delivered (field <id>: last seq) */
	char key_sensors[STREAM_KEY_MAX];   /* <prefix>:sensors */
	char maxlen_txt[24];                /* MAXLEN's argument */
	char addr[sizeof(((struct stream_url *)0)->path) + 16]; /* for messages: host:port or path */
	char cfg_err[128];                  /* a config problem, reported by connect */
	redisContext *ctx;                  /* NULL when disconnected */
	struct timespec deadline;           /* of the call in progress */
	char err[STREAM_ERR_MAX];
};

/* ---- URLs -------------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static int stream_url_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Decimal digits only (no sign, no space), at most max.  0 or -1. */
static int stream_parse_uint(const char *p, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		uint64_t d = (uint64_t)(p[i] - '0');

		if (p[i] < '0' || p[i] > '9' || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int stream_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode [p, p+len) into out (size cap).  what names the part for
 * errors; show=false keeps the text itself out of them (passwords). */
static int stream_url_decode(const char *p, size_t len, char *out, size_t cap, const char *what,
			     bool show, char *err, size_t errlen)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)p[i];

		if (c == '%') {
			int hi = i + 2 < len ? stream_hex(p[i + 1]) : -1;
			int lo = i + 2 < len ? stream_hex(p[i + 2]) : -1;

			if (hi < 0 || lo < 0) {
				if (show)
					return stream_url_fail(err, errlen,
							       "%s '%.*s': bad percent-encoding (%%XX with two hex digits)",
							       what, (int)(len > 64 ? 64 : len), p);
				return stream_url_fail(err, errlen, "%s: bad percent-encoding (%%XX with two hex digits)",
						       what);
			}
			c = hi * 16 + lo;
			if (c == 0)
				return stream_url_fail(err, errlen, "%s contains %%00", what);
			i += 2;
		}
		if (o + 1 >= cap)
			return stream_url_fail(err, errlen, "%s is longer than %zu bytes", what, cap - 1);
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

/* [user]:password before the '@'. */
static int stream_url_userinfo(const char *p, size_t len, struct stream_url *out, char *err, size_t errlen)
{
	const char *colon = memchr(p, ':', len);

	if (!colon)
		return stream_url_fail(err, errlen,
				       "user info without ':': write :password@ (password only) or user:password@ (ACL user)");
	if (stream_url_decode(p, (size_t)(colon - p), out->user, sizeof(out->user), "user", true, err, errlen) < 0)
		return -1;
	if (stream_url_decode(colon + 1, len - (size_t)(colon - p) - 1, out->password, sizeof(out->password),
			      "password", false, err, errlen) < 0)
		return -1;
	if (!out->password[0])
		return stream_url_fail(err, errlen, "empty password: leave out '[user]:password@' for no AUTH");
	return 0;
}

static int stream_db(const char *p, size_t len, int *db, char *err, size_t errlen)
{
	uint64_t v;

	if (stream_parse_uint(p, len, STREAM_DB_MAX, &v) < 0)
		return stream_url_fail(err, errlen, "db '%.*s' is not a number 0-%d", (int)(len > 64 ? 64 : len), p,
				       STREAM_DB_MAX);
	*db = (int)v;
	return 0;
}

static bool stream_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '.' || c == '_';
}

/* host[:port] or [v6][:port] */
static int stream_url_hostport(const char *p, size_t len, struct stream_url *out, char *err, size_t errlen)
{
	const char *end = p + len, *port = NULL;
	size_t hlen;

	if (len == 0)
		return stream_url_fail(err, errlen, "no host: expected redis://host[:port][/db]");
	if (*p == '[') {
		const char *close = memchr(p, ']', len);
		struct in6_addr a6;

		if (!close)
			return stream_url_fail(err, errlen, "unclosed '[' in '%.*s'", (int)(len > 64 ? 64 : len), p);
		hlen = (size_t)(close - p - 1);
		if (hlen >= sizeof(out->host))
			return stream_url_fail(err, errlen, "host is longer than %zu bytes", sizeof(out->host) - 1);
		memcpy(out->host, p + 1, hlen);
		out->host[hlen] = '\0';
		if (inet_pton(AF_INET6, out->host, &a6) != 1)
			return stream_url_fail(err, errlen, "'%.64s' is not an IPv6 address", out->host);
		if (close + 1 < end) {
			if (close[1] != ':')
				return stream_url_fail(err, errlen, "unexpected '%.*s' after ']'",
						       (int)(end - close - 1 > 64 ? 64 : end - close - 1), close + 1);
			port = close + 2;
		}
	} else {
		const char *colon = memchr(p, ':', len);

		if (colon && memchr(colon + 1, ':', (size_t)(end - colon - 1)))
			return stream_url_fail(err, errlen, "IPv6 address '%.*s' must be in brackets: redis://[%.*s]:%d",
					       (int)(len > 64 ? 64 : len), p, (int)(len > 64 ? 64 : len), p,
					       STREAM_DEFAULT_PORT);
		hlen = colon ? (size_t)(colon - p) : len;
		if (hlen == 0)
			return stream_url_fail(err, errlen, "no host: expected redis://host[:port][/db]");
		if (hlen >= sizeof(out->host))
			return stream_url_fail(err, errlen, "host is longer than %zu bytes", sizeof(out->host) - 1);
		for (size_t i = 0; i < hlen; i++)
			if (!stream_host_char(p[i]))
				return stream_url_fail(err, errlen, "host '%.*s' has an invalid character '%c'",
						       (int)(hlen > 64 ? 64 : hlen), p, p[i]);
		memcpy(out->host, p, hlen);
		out->host[hlen] = '\0';
		if (colon)
			port = colon + 1;
	}
	if (port) {
		uint64_t v;
		size_t plen = (size_t)(end - port);

		if (stream_parse_uint(port, plen, 65535, &v) < 0 || v == 0)
			return stream_url_fail(err, errlen, "port '%.*s' is not 1-65535", (int)(plen > 32 ? 32 : plen),
					       port);
		out->port = (int)v;
	}
	return 0;
}

/* ?db=N[&db=N] of unix URLs. */
static int stream_url_query(const char *q, struct stream_url *out, char *err, size_t errlen)
{
	while (*q) {
		size_t plen = strcspn(q, "&");
		const char *eq = memchr(q, '=', plen);
		size_t klen = eq ? (size_t)(eq - q) : plen;

		if (klen != 2 || memcmp(q, "db", 2) != 0 || !eq)
			return stream_url_fail(err, errlen, "unknown parameter '%.*s' (only db=N)",
					       (int)(klen > 32 ? 32 : klen), q);
		if (stream_db(eq + 1, plen - klen - 1, &out->db, err, errlen) < 0)
			return -1;
		q += plen;
		if (*q == '&')
			q++;
	}
	return 0;
}

static int stream_url_parse_into(const char *url, struct stream_url *out, char *err, size_t errlen)
{
	const char *sep, *rest, *at, *tail;
	size_t slen, alen;
	bool unix_sock;

	if (!url || !*url)
		return stream_url_fail(err, errlen, "empty URL: expected redis://host[:port][/db] or unix:///path");
	if (strlen(url) >= STREAM_MAX_URL)
		return stream_url_fail(err, errlen, "URL is longer than %d bytes", STREAM_MAX_URL - 1);
	sep = strstr(url, "://");
	slen = sep ? (size_t)(sep - url) : 0;
	if (!sep || slen == 0 || strcspn(url, ":/@") < slen)
		return stream_url_fail(err, errlen, "no scheme: expected redis://host[:port][/db] or unix:///path");
	if (slen == 5 && !strncasecmp(url, "redis", 5)) {
		unix_sock = false;
	} else if (slen == 4 && !strncasecmp(url, "unix", 4)) {
		unix_sock = true;
	} else if (slen == 6 && !strncasecmp(url, "rediss", 6)) {
		return stream_url_fail(err, errlen,
				       "unknown scheme 'rediss': TLS is not supported (hiredis 0.14); expected redis:// or unix://");
	} else {
		return stream_url_fail(err, errlen, "unknown scheme '%.*s': expected redis:// or unix://",
				       (int)(slen > 32 ? 32 : slen), url);
	}
	rest = sep + 3;
	/* The user info ends at the last '@' (redis://: neither the host nor
	 * the db has one), or at the "@/" before a socket path (a path may
	 * have '@'): a password with an unencoded '/', '?' or '#' is still
	 * one password, and never shows up in an error as a host or a db. */
	if (unix_sock) {
		const char *slash = rest + strcspn(rest, "/");

		at = NULL;
		if (*rest != '/' && !(at = strstr(rest, "@/")))
			for (const char *p = rest; p < slash; p++)
				if (*p == '@')
					at = p;
	} else {
		at = strrchr(rest, '@');
	}
	if (at && stream_url_userinfo(rest, (size_t)(at - rest), out, err, errlen) < 0)
		return -1;
	if (at)
		rest = at + 1;
	alen = strcspn(rest, unix_sock ? "/" : "/?#");
	tail = rest + alen;
	if (unix_sock) {
		size_t plen;

		if (alen)
			return stream_url_fail(err, errlen, "unix URL with a host '%.*s': write unix:///path (three slashes)",
					       (int)(alen > 64 ? 64 : alen), rest);
		plen = strcspn(tail, "?");
		if (plen == 0 || (plen == 1 && tail[0] == '/'))
			return stream_url_fail(err, errlen, "no socket path: expected unix:///path/to/sock");
		if (plen > STREAM_SUN_PATH_MAX)
			return stream_url_fail(err, errlen, "socket path '%.*s...' is longer than %zu bytes", 48, tail,
					       STREAM_SUN_PATH_MAX);
		memcpy(out->path, tail, plen);
		out->path[plen] = '\0';
		if (tail[plen] == '?')
			return stream_url_query(tail + plen + 1, out, err, errlen);
		return 0;
	}
	if (stream_url_hostport(rest, alen, out, err, errlen) < 0)
		return -1;
	if (*tail == '/') {
		size_t dlen = strcspn(tail + 1, "?#");

		if (dlen && stream_db(tail + 1, dlen, &out->db, err, errlen) < 0)
			return -1;
		tail += 1 + dlen;
	}
	if (*tail == '?')
		return stream_url_fail(err, errlen, "query '%.32s': only unix:// URLs take ?db=N; write redis://host[:port]/N",
				       tail);
	if (*tail)
		return stream_url_fail(err, errlen, "unexpected '%.32s' at the end", tail);
	return 0;
}

int stream_url_parse(const char *url, struct stream_url *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->port = STREAM_DEFAULT_PORT;
	if (stream_url_parse_into(url, out, err, errlen) == 0)
		return 0;
	/* no half-parsed URL (nor a decoded password) left behind */
	memset(out, 0, sizeof(*out));
	out->port = STREAM_DEFAULT_PORT;
	return -1;
}

/* Append to buf at *off, truncating; buf stays NUL-terminated. */
__attribute__((format(printf, 4, 5)))
static void stream_cat(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off = *off + (size_t)n < len ? *off + (size_t)n : len - 1;
}

void stream_url_redacted(const struct stream_url *u, char *buf, size_t len)
{
	size_t off = 0;

	if (!buf || !len)
		return;
	buf[0] = '\0';
	stream_cat(buf, len, &off, "%s", u->path[0] ? "unix://" : "redis://");
	if (u->password[0]) {
		for (const char *p = u->user; *p; p++) {
			unsigned char c = (unsigned char)*p;

			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			    c == '-' || c == '.' || c == '_' || c == '~')
				stream_cat(buf, len, &off, "%c", c);
			else
				stream_cat(buf, len, &off, "%%%02X", c);
		}
		stream_cat(buf, len, &off, ":***@");
	}
	if (u->path[0]) {
		stream_cat(buf, len, &off, "%s", u->path);
		if (u->db)
			stream_cat(buf, len, &off, "?db=%d", u->db);
		return;
	}
	stream_cat(buf, len, &off, strchr(u->host, ':') ? "[%s]:%d" : "%s:%d", u->host, u->port);
	if (u->db)
		stream_cat(buf, len, &off, "/%d", u->db);
}

/* ---- the connection ---------------------------------------------------- */

__attribute__((format(printf, 2, 3)))
static void stream_seterr(struct stream *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
}

void stream_disconnect(struct stream *s)
{
	if (s && s->ctx) {
		redisFree(s->ctx);
		s->ctx = NULL;
	}
}

/* The connection's error (I/O, EOF, protocol), as text; drops it.  -1. */
static int stream_io_fail(struct stream *s, const char *what, int saved_errno)
{
	if (s->ctx->err == REDIS_ERR_IO && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK))
		stream_seterr(s, "redis %s: %s: timeout, no answer within %" PRIu32 " ms", s->addr, what,
			      s->command_timeout_ms);
	else
		stream_seterr(s, "redis %s: %s: %s", s->addr, what,
			      s->ctx->errstr[0] ? s->ctx->errstr : "connection error");
	stream_disconnect(s);
	return -1;
}

static void stream_deadline_start(struct stream *s)
{
	clock_gettime(CLOCK_MONOTONIC, &s->deadline);
	s->deadline.tv_sec += s->command_timeout_ms / 1000;
	s->deadline.tv_nsec += (long)(s->command_timeout_ms % 1000) * 1000000L;
	if (s->deadline.tv_nsec >= 1000000000L) {
		s->deadline.tv_sec++;
		s->deadline.tv_nsec -= 1000000000L;
	}
}

/* Give the next system call what is left of the deadline.  0, or -1
 * (timed out: disconnected). */
static int stream_arm(struct stream *s, const char *what)
{
	struct timespec now;
	int64_t left_us;
	struct timeval tv;

	if (!s->command_timeout_ms)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	left_us = (int64_t)(s->deadline.tv_sec - now.tv_sec) * 1000000 +
		  (s->deadline.tv_nsec - now.tv_nsec) / 1000;
	if (left_us < 1000) {
		stream_seterr(s, "redis %s: %s: timeout, no answer within %" PRIu32 " ms", s->addr, what,
			      s->command_timeout_ms);
		stream_disconnect(s);
		return -1;
	}
	tv.tv_sec = (time_t)(left_us / 1000000);
	tv.tv_usec = (suseconds_t)(left_us % 1000000);
	if (redisSetTimeout(s->ctx, tv) != REDIS_OK)
		return stream_io_fail(s, what, errno);
	return 0;
}

/* Write all appended commands. */
static int stream_flush(struct stream *s, const char *what)
{
	int done = 0;

	do {
		if (stream_arm(s, what) < 0)
			return -1;
		if (redisBufferWrite(s->ctx, &done) != REDIS_OK)
			return stream_io_fail(s, what, errno);
	} while (!done);
	return 0;
}

/* The next reply (the caller frees it).  0, or -1 (disconnected). */
static int stream_reply(struct stream *s, const char *what, redisReply **out)
{
	void *r = NULL;

	for (;;) {
		if (redisGetReplyFromReader(s->ctx, &r) != REDIS_OK)
			return stream_io_fail(s, what, errno);
		if (r)
			break;
		if (stream_arm(s, what) < 0)
			return -1;
		if (redisBufferRead(s->ctx) != REDIS_OK)
			return stream_io_fail(s, what, errno);
	}
	*out = r;
	return 0;
}

static int stream_append(struct stream *s, const char *what, int argc, const char **argv, const size_t *argvlen)
{
	if (redisAppendCommandArgv(s->ctx, argc, argv, argvlen) != REDIS_OK) {
		stream_seterr(s, "redis %s: %s: %s", s->addr, what,
			      s->ctx->errstr[0] ? s->ctx->errstr : "out of memory");
		stream_disconnect(s);
		return -1;
	}
	return 0;
}

/* Copy the reply's error text (the first one wins) as "what failed: text". */
static void stream_note_error(struct stream *s, bool *failed, const redisReply *r, const char *what)
{
	if (*failed)
		return;
	*failed = true;
	if (r->type == REDIS_REPLY_ERROR)
		stream_seterr(s, "redis %s: %s failed: %.*s", s->addr, what, (int)(r->len > 300 ? 300 : r->len),
			      r->str);
	else
		stream_seterr(s, "redis %s: %s: unexpected reply (type %d)", s->addr, what, r->type);
}

/* Send the pipelined commands, read one reply per command (what[i] names
 * it), each of the type wanted; on any other reply keep the first error and
 * drop the connection.  0 or -1. */
static int stream_finish(struct stream *s, const char *const *what, int ncmd, int want)
{
	bool failed = false;

	if (stream_flush(s, what[0]) < 0)
		return -1;
	for (int i = 0; i < ncmd; i++) {
		redisReply *r;

		if (stream_reply(s, what[i], &r) < 0)
			return -1;
		if (r->type != want)
			stream_note_error(s, &failed, r, what[i]);
		freeReplyObject(r);
	}
	if (failed) {
		stream_disconnect(s);
		return -1;
	}
	return 0;
}

static size_t stream_u64(char *buf, size_t len, uint64_t v)
{
	int n = snprintf(buf, len, "%" PRIu64, v);

	return n > 0 ? (size_t)n : 0;
}

static struct timeval stream_tv(uint32_t ms)
{
	struct timeval tv = { .tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000 };

	return tv;
}

struct stream *stream_new(const struct stream_config *cfg)
{
	struct stream *s = calloc(1, sizeof(*s));
	const char *prefix = cfg->prefix && cfg->prefix[0] ? cfg->prefix : "zw";
	const char *id = cfg->sensor_id ? cfg->sensor_id : "";

	if (!s)
		return NULL;
	s->url = cfg->url;
	s->maxlen = cfg->maxlen;
	s->connect_timeout_ms = cfg->connect_timeout_ms;
	s->command_timeout_ms = cfg->command_timeout_ms;
	s->keepalive_s = cfg->keepalive_s;
	if (!id[0])
		snprintf(s->cfg_err, sizeof(s->cfg_err), "sensor_id is empty");
	else if (strlen(id) > STREAM_ID_MAX)
		snprintf(s->cfg_err, sizeof(s->cfg_err), "sensor_id is longer than %d bytes", STREAM_ID_MAX);
	else if (strlen(prefix) > STREAM_ID_MAX)
		snprintf(s->cfg_err, sizeof(s->cfg_err), "key prefix is longer than %d bytes", STREAM_ID_MAX);
	else if (!s->url.path[0] && !s->url.host[0])
		snprintf(s->cfg_err, sizeof(s->cfg_err), "no Redis host or socket path");
	snprintf(s->prefix, sizeof(s->prefix), "%s", prefix);
	snprintf(s->sensor_id, sizeof(s->sensor_id), "%s", id);
	snprintf(s->key_sensor, sizeof(s->key_sensor), "%s:sensor:%s", s->prefix, s->sensor_id);
	snprintf(s->key_seq, sizeof(s->key_seq), "%s:delivered", s->prefix);
	snprintf(s->key_sensors, sizeof(s->key_sensors), "%s:sensors", s->prefix);
	if (s->maxlen)
		stream_u64(s->maxlen_txt, sizeof(s->maxlen_txt), s->maxlen);
	if (s->url.path[0])
		snprintf(s->addr, sizeof(s->addr), "%s", s->url.path);
	else
		snprintf(s->addr, sizeof(s->addr), strchr(s->url.host, ':') ? "[%s]:%d" : "%s:%d", s->url.host,
			 s->url.port);
	return s;
}

void stream_free(struct stream *s)
{
	if (!s)
		return;
	stream_disconnect(s);
	free(s);
}

bool stream_connected(const struct stream *s)
{
	return s->ctx != NULL;
}

const char *stream_error(const struct stream *s)
{
	return s->err;
}

/* hiredis 0.14's redisEnableKeepAlive uses a fixed 15 s; set ours after it
 * the same way (idle, interval idle/3, 3 probes). */
static int stream_keepalive(struct stream *s)
{
	int idle = s->keepalive_s > 86400 ? 86400 : (int)s->keepalive_s;
	int intvl = idle / 3 ? idle / 3 : 1, cnt = 3;

	if (redisEnableKeepAlive(s->ctx) != REDIS_OK ||
	    setsockopt(s->ctx->fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) < 0 ||
	    setsockopt(s->ctx->fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) < 0 ||
	    setsockopt(s->ctx->fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) < 0) {
		stream_seterr(s, "connect %s: keep-alive: %s", s->addr,
			      s->ctx->errstr[0] ? s->ctx->errstr : strerror(errno));
		stream_disconnect(s);
		return -1;
	}
	return 0;
}

int stream_connect(struct stream *s)
{
	const char *argv[3], *what[3];
	size_t argvlen[3];
	char dbtxt[16], whatdb[32];
	int ncmd = 0;

	if (s->ctx)
		return 0;
	if (s->cfg_err[0]) {
		stream_seterr(s, "redis: %s", s->cfg_err);
		return -1;
	}
	if (s->url.path[0])
		s->ctx = s->connect_timeout_ms ? redisConnectUnixWithTimeout(s->url.path, stream_tv(s->connect_timeout_ms))
					       : redisConnectUnix(s->url.path);
	else
		s->ctx = s->connect_timeout_ms
				 ? redisConnectWithTimeout(s->url.host, s->url.port, stream_tv(s->connect_timeout_ms))
				 : redisConnect(s->url.host, s->url.port);
	if (!s->ctx) {
		stream_seterr(s, "connect %s: out of memory", s->addr);
		return -1;
	}
	if (s->ctx->err) {
		stream_seterr(s, "connect %s: %s", s->addr, s->ctx->errstr);
		stream_disconnect(s);
		return -1;
	}
	if (s->keepalive_s && !s->url.path[0] && stream_keepalive(s) < 0)
		return -1;
	/* a timeout of zero is none */
	if (redisSetTimeout(s->ctx, stream_tv(s->command_timeout_ms)) != REDIS_OK)
		return stream_io_fail(s, "setting the command timeout", errno);

	/* AUTH, SELECT and a PING (so that "connected" means the server
	 * answers, also when neither is needed), pipelined */
	stream_deadline_start(s);
	if (s->url.password[0]) {
		argv[0] = "AUTH";
		argvlen[0] = 4;
		if (s->url.user[0]) {
			argv[1] = s->url.user;
			argvlen[1] = strlen(s->url.user);
			argv[2] = s->url.password;
			argvlen[2] = strlen(s->url.password);
			if (stream_append(s, "AUTH", 3, argv, argvlen) < 0)
				return -1;
		} else {
			argv[1] = s->url.password;
			argvlen[1] = strlen(s->url.password);
			if (stream_append(s, "AUTH", 2, argv, argvlen) < 0)
				return -1;
		}
		what[ncmd++] = "AUTH";
	}
	if (s->url.db) {
		argv[0] = "SELECT";
		argvlen[0] = 6;
		argv[1] = dbtxt;
		argvlen[1] = (size_t)snprintf(dbtxt, sizeof(dbtxt), "%d", s->url.db);
		if (stream_append(s, "SELECT", 2, argv, argvlen) < 0)
			return -1;
		snprintf(whatdb, sizeof(whatdb), "SELECT %d", s->url.db);
		what[ncmd++] = whatdb;
	}
	argv[0] = "PING";
	argvlen[0] = 4;
	if (stream_append(s, "PING", 1, argv, argvlen) < 0)
		return -1;
	what[ncmd++] = "PING";
	return stream_finish(s, what, ncmd, REDIS_REPLY_STATUS);
}

static int stream_not_connected(struct stream *s)
{
	stream_seterr(s, "redis %s: not connected", s->addr);
	return -1;
}

int stream_last_seq(struct stream *s, uint64_t *seq)
{
	const char *argv[3] = { "HGET", s->key_seq, s->sensor_id };
	size_t argvlen[3] = { 4, strlen(s->key_seq), strlen(s->sensor_id) };
	redisReply *r;
	int rc = 0;

	if (!s->ctx)
		return stream_not_connected(s);
	stream_deadline_start(s);
	if (stream_append(s, "HGET last_seq", 3, argv, argvlen) < 0 || stream_flush(s, "HGET last_seq") < 0 ||
	    stream_reply(s, "HGET last_seq", &r) < 0)
		return -1;
	if (r->type == REDIS_REPLY_NIL) {
		*seq = 0;
	} else if (r->type == REDIS_REPLY_STRING) {
		uint64_t v;

		if (stream_parse_uint(r->str, r->len, UINT64_MAX, &v) < 0) {
			stream_seterr(s, "redis %s: last_seq '%.*s' in %s is not a number", s->addr,
				      (int)(r->len > 32 ? 32 : r->len), r->str, s->key_seq);
			rc = -1;
		} else {
			*seq = v;
		}
	} else {
		bool failed = false;

		stream_note_error(s, &failed, r, "HGET last_seq");
		rc = -1;
	}
	freeReplyObject(r);
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
	return stream_append(s, "XADD", n, argv, argvlen);
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

	if (!s->ctx)
		return stream_not_connected(s);
	if (n == 0)
		return 0;
	if (namelen == 0 || namelen > STREAM_NAME_MAX) {
		stream_seterr(s, "redis %s: stream name '%.64s' is empty or longer than %d bytes", s->addr,
			      name ? name : "", STREAM_NAME_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!e[i].json && e[i].len) {
			stream_seterr(s, "redis %s: entry seq %" PRIu64 " has no JSON", s->addr, e[i].seq);
			return -1;
		}
		bytes += e[i].len;
	}
	if (bytes > STREAM_BATCH_MAX_BYTES || n > (size_t)INT32_MAX / 2) {
		stream_seterr(s, "redis %s: batch of %zu entries, %" PRIu64 " bytes, is over the %u MiB cap", s->addr,
			      n, bytes, STREAM_BATCH_MAX_BYTES >> 20);
		return -1;
	}
	*keylen = (size_t)snprintf(key, keysize, "%s:%s", s->prefix, name);
	stream_deadline_start(s);
	return 1;
}

int stream_send(struct stream *s, const char *name, const struct stream_entry *e, size_t n)
{
	char key[STREAM_KEY_MAX], lastseq[24], what[STREAM_KEY_MAX + 64];
	const char *argv[4];
	size_t argvlen[4], keylen;
	bool failed = false;
	redisReply *r;
	int rc;

	if ((rc = stream_batch_start(s, name, e, n, key, sizeof(key), &keylen)) <= 0)
		return rc;
	snprintf(what, sizeof(what), "MULTI/EXEC of %zu entries to %s", n, key);

	argv[0] = "MULTI";
	argvlen[0] = 5;
	if (stream_append(s, what, 1, argv, argvlen) < 0)
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
	if (stream_append(s, what, 4, argv, argvlen) < 0)
		return -1;
	argv[0] = "EXEC";
	argvlen[0] = 4;
	if (stream_append(s, what, 1, argv, argvlen) < 0 || stream_flush(s, what) < 0)
		return -1;

	/* MULTI: +OK; each XADD and the HSET: +QUEUED */
	for (size_t i = 0; i < n + 2; i++) {
		if (stream_reply(s, what, &r) < 0)
			return -1;
		if (r->type != REDIS_REPLY_STATUS) {
			char cmd[STREAM_KEY_MAX + 64];

			if (i == 0)
				snprintf(cmd, sizeof(cmd), "MULTI");
			else if (i <= n)
				snprintf(cmd, sizeof(cmd), "XADD %s seq %" PRIu64, key, e[i - 1].seq);
			else
				snprintf(cmd, sizeof(cmd), "HSET %.60s %.60s", s->key_seq, s->sensor_id);
			stream_note_error(s, &failed, r, cmd);
		}
		freeReplyObject(r);
	}
	/* EXEC: one reply per queued command, or an error (EXECABORT after an
	 * error above: nothing applied) */
	if (stream_reply(s, what, &r) < 0)
		return -1;
	if (r->type != REDIS_REPLY_ARRAY) {
		stream_note_error(s, &failed, r, "EXEC");
	} else if (r->elements != n + 1) {
		if (!failed)
			stream_seterr(s, "redis %s: EXEC: %zu replies for %zu commands", s->addr, r->elements, n + 1);
		failed = true;
	} else {
		for (size_t i = 0; i < r->elements; i++) {
			const redisReply *el = r->element[i];

			if (el->type == REDIS_REPLY_ERROR && !failed) {
				char cmd[STREAM_KEY_MAX + 64];
				size_t off;

				if (i < n)
					snprintf(cmd, sizeof(cmd), "EXEC: XADD %s seq %" PRIu64, key, e[i].seq);
				else
					snprintf(cmd, sizeof(cmd), "EXEC: HSET %.60s %.60s", s->key_seq, s->sensor_id);
				stream_note_error(s, &failed, el, cmd);
				/* the other commands were applied: say so */
				off = strlen(s->err);
				stream_cat(s->err, sizeof(s->err), &off, " (the batch's other commands were applied)");
			}
		}
	}
	freeReplyObject(r);
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
	redisReply *r;
	int rc;

	if ((rc = stream_batch_start(s, name, e, n, key, sizeof(key), &keylen)) <= 0)
		return rc;
	snprintf(what, sizeof(what), "%zu XADD to %s", n, key);
	for (size_t i = 0; i < n; i++)
		if (stream_xadd(s, key, keylen, &e[i]) < 0)
			return -1;
	if (stream_flush(s, what) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (stream_reply(s, what, &r) < 0)
			return -1;
		if (r->type == REDIS_REPLY_ERROR)
			stream_note_error(s, &failed, r, "XADD");
		freeReplyObject(r);
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

	if (!s->ctx)
		return stream_not_connected(s);
	for (; fields && fields[2 * pairs]; pairs++) {
		if (!fields[2 * pairs + 1]) {
			stream_seterr(s, "redis %s: heartbeat field '%.64s' has no value", s->addr, fields[2 * pairs]);
			return -1;
		}
		if (pairs == STREAM_HB_PAIRS) {
			stream_seterr(s, "redis %s: more than %d heartbeat fields", s->addr, STREAM_HB_PAIRS);
			return -1;
		}
	}
	stream_deadline_start(s);
	if (pairs) {
		argv[0] = "HSET";
		argvlen[0] = 4;
		argv[1] = s->key_sensor;
		argvlen[1] = strlen(s->key_sensor);
		for (size_t i = 0; i < 2 * pairs; i++) {
			argv[2 + i] = fields[i];
			argvlen[2 + i] = strlen(fields[i]);
		}
		if (stream_append(s, "heartbeat HSET", (int)(2 + 2 * pairs), argv, argvlen) < 0)
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
		if (stream_append(s, "heartbeat EXPIRE", 3, argv, argvlen) < 0)
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
	if (stream_append(s, "heartbeat ZADD", 4, argv, argvlen) < 0)
		return -1;
	what[ncmd++] = "heartbeat ZADD";
	return stream_finish(s, what, ncmd, REDIS_REPLY_INTEGER);
}

#define STREAM_STR2(x) #x
#define STREAM_STR(x) STREAM_STR2(x)

const char *stream_lib_version(void)
{
	return STREAM_STR(HIREDIS_MAJOR) "." STREAM_STR(HIREDIS_MINOR) "." STREAM_STR(HIREDIS_PATCH);
}
