/*
 * rlink — see rlink.h.
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
 * rlink_connect must start clean.
 *
 */
#include "rlink.h"

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
#error "hiredis 0.14 required (Debian 12: libhiredis-dev 0.14.1): rlink.c uses its blocking API"
#endif

#define RLINK_DEFAULT_PORT 6379
#define RLINK_DB_MAX 1000000
#define RLINK_SUN_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
#define RLINK_ERR_MAX 768

struct rlink {
	struct rlink_url url;
	uint32_t connect_timeout_ms, command_timeout_ms, keepalive_s;
	char addr[sizeof(((struct rlink_url *)0)->path) + 16]; /* for messages: host:port or path */
	redisContext *ctx;                  /* NULL when disconnected */
	struct timespec deadline;           /* of the call in progress */
	char err[RLINK_ERR_MAX];
};

/* ---- URLs -------------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static int rlink_url_fail(char *err, size_t errlen, const char *fmt, ...)
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
int rlink_parse_u64(const char *p, size_t len, uint64_t max, uint64_t *out)
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

static int rlink_hex(char c)
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
static int rlink_url_decode(const char *p, size_t len, char *out, size_t cap, const char *what,
			     bool show, char *err, size_t errlen)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)p[i];

		if (c == '%') {
			int hi = i + 2 < len ? rlink_hex(p[i + 1]) : -1;
			int lo = i + 2 < len ? rlink_hex(p[i + 2]) : -1;

			if (hi < 0 || lo < 0) {
				if (show)
					return rlink_url_fail(err, errlen,
							       "%s '%.*s': bad percent-encoding (%%XX with two hex digits)",
							       what, (int)(len > 64 ? 64 : len), p);
				return rlink_url_fail(err, errlen, "%s: bad percent-encoding (%%XX with two hex digits)",
						       what);
			}
			c = hi * 16 + lo;
			if (c == 0)
				return rlink_url_fail(err, errlen, "%s contains %%00", what);
			i += 2;
		}
		if (o + 1 >= cap)
			return rlink_url_fail(err, errlen, "%s is longer than %zu bytes", what, cap - 1);
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

/* [user]:password before the '@'. */
static int rlink_url_userinfo(const char *p, size_t len, struct rlink_url *out, char *err, size_t errlen)
{
	const char *colon = memchr(p, ':', len);

	if (!colon)
		return rlink_url_fail(err, errlen,
				       "user info without ':': write :password@ (password only) or user:password@ (ACL user)");
	if (rlink_url_decode(p, (size_t)(colon - p), out->user, sizeof(out->user), "user", true, err, errlen) < 0)
		return -1;
	if (rlink_url_decode(colon + 1, len - (size_t)(colon - p) - 1, out->password, sizeof(out->password),
			      "password", false, err, errlen) < 0)
		return -1;
	if (!out->password[0])
		return rlink_url_fail(err, errlen, "empty password: leave out '[user]:password@' for no AUTH");
	return 0;
}

static int rlink_db(const char *p, size_t len, int *db, char *err, size_t errlen)
{
	uint64_t v;

	if (rlink_parse_u64(p, len, RLINK_DB_MAX, &v) < 0)
		return rlink_url_fail(err, errlen, "db '%.*s' is not a number 0-%d", (int)(len > 64 ? 64 : len), p,
				       RLINK_DB_MAX);
	*db = (int)v;
	return 0;
}

static bool rlink_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '.' || c == '_';
}

/* host[:port] or [v6][:port] */
static int rlink_url_hostport(const char *p, size_t len, struct rlink_url *out, char *err, size_t errlen)
{
	const char *end = p + len, *port = NULL;
	size_t hlen;

	if (len == 0)
		return rlink_url_fail(err, errlen, "no host: expected redis://host[:port][/db]");
	if (*p == '[') {
		const char *close = memchr(p, ']', len);
		struct in6_addr a6;

		if (!close)
			return rlink_url_fail(err, errlen, "unclosed '[' in '%.*s'", (int)(len > 64 ? 64 : len), p);
		hlen = (size_t)(close - p - 1);
		if (hlen >= sizeof(out->host))
			return rlink_url_fail(err, errlen, "host is longer than %zu bytes", sizeof(out->host) - 1);
		memcpy(out->host, p + 1, hlen);
		out->host[hlen] = '\0';
		if (inet_pton(AF_INET6, out->host, &a6) != 1)
			return rlink_url_fail(err, errlen, "'%.64s' is not an IPv6 address", out->host);
		if (close + 1 < end) {
			if (close[1] != ':')
				return rlink_url_fail(err, errlen, "unexpected '%.*s' after ']'",
						       (int)(end - close - 1 > 64 ? 64 : end - close - 1), close + 1);
			port = close + 2;
		}
	} else {
		const char *colon = memchr(p, ':', len);

		if (colon && memchr(colon + 1, ':', (size_t)(end - colon - 1)))
			return rlink_url_fail(err, errlen, "IPv6 address '%.*s' must be in brackets: redis://[%.*s]:%d",
					       (int)(len > 64 ? 64 : len), p, (int)(len > 64 ? 64 : len), p,
					       RLINK_DEFAULT_PORT);
		hlen = colon ? (size_t)(colon - p) : len;
		if (hlen == 0)
			return rlink_url_fail(err, errlen, "no host: expected redis://host[:port][/db]");
		if (hlen >= sizeof(out->host))
			return rlink_url_fail(err, errlen, "host is longer than %zu bytes", sizeof(out->host) - 1);
		for (size_t i = 0; i < hlen; i++)
			if (!rlink_host_char(p[i]))
				return rlink_url_fail(err, errlen, "host '%.*s' has an invalid character '%c'",
						       (int)(hlen > 64 ? 64 : hlen), p, p[i]);
		memcpy(out->host, p, hlen);
		out->host[hlen] = '\0';
		if (colon)
			port = colon + 1;
	}
	if (port) {
		uint64_t v;
		size_t plen = (size_t)(end - port);

		if (rlink_parse_u64(port, plen, 65535, &v) < 0 || v == 0)
			return rlink_url_fail(err, errlen, "port '%.*s' is not 1-65535", (int)(plen > 32 ? 32 : plen),
					       port);
		out->port = (int)v;
	}
	return 0;
}

/* ?db=N[&db=N] of unix URLs. */
static int rlink_url_query(const char *q, struct rlink_url *out, char *err, size_t errlen)
{
	while (*q) {
		size_t plen = strcspn(q, "&");
		const char *eq = memchr(q, '=', plen);
		size_t klen = eq ? (size_t)(eq - q) : plen;

		if (klen != 2 || memcmp(q, "db", 2) != 0 || !eq)
			return rlink_url_fail(err, errlen, "unknown parameter '%.*s' (only db=N)",
					       (int)(klen > 32 ? 32 : klen), q);
		if (rlink_db(eq + 1, plen - klen - 1, &out->db, err, errlen) < 0)
			return -1;
		q += plen;
		if (*q == '&')
			q++;
	}
	return 0;
}

static int rlink_url_parse_into(const char *url, struct rlink_url *out, char *err, size_t errlen)
{
	const char *sep, *rest, *at, *tail;
	size_t slen, alen;
	bool unix_sock;

	if (!url || !*url)
		return rlink_url_fail(err, errlen, "empty URL: expected redis://host[:port][/db] or unix:///path");
	if (strlen(url) >= RLINK_MAX_URL)
		return rlink_url_fail(err, errlen, "URL is longer than %d bytes", RLINK_MAX_URL - 1);
	sep = strstr(url, "://");
	slen = sep ? (size_t)(sep - url) : 0;
	if (!sep || slen == 0 || strcspn(url, ":/@") < slen)
		return rlink_url_fail(err, errlen, "no scheme: expected redis://host[:port][/db] or unix:///path");
	if (slen == 5 && !strncasecmp(url, "redis", 5)) {
		unix_sock = false;
	} else if (slen == 4 && !strncasecmp(url, "unix", 4)) {
		unix_sock = true;
	} else if (slen == 6 && !strncasecmp(url, "rediss", 6)) {
		return rlink_url_fail(err, errlen,
				       "unknown scheme 'rediss': TLS is not supported (hiredis 0.14); expected redis:// or unix://");
	} else {
		return rlink_url_fail(err, errlen, "unknown scheme '%.*s': expected redis:// or unix://",
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
	if (at && rlink_url_userinfo(rest, (size_t)(at - rest), out, err, errlen) < 0)
		return -1;
	if (at)
		rest = at + 1;
	alen = strcspn(rest, unix_sock ? "/" : "/?#");
	tail = rest + alen;
	if (unix_sock) {
		size_t plen;

		if (alen)
			return rlink_url_fail(err, errlen, "unix URL with a host '%.*s': write unix:///path (three slashes)",
					       (int)(alen > 64 ? 64 : alen), rest);
		plen = strcspn(tail, "?");
		if (plen == 0 || (plen == 1 && tail[0] == '/'))
			return rlink_url_fail(err, errlen, "no socket path: expected unix:///path/to/sock");
		if (plen > RLINK_SUN_PATH_MAX)
			return rlink_url_fail(err, errlen, "socket path '%.*s...' is longer than %zu bytes", 48, tail,
					       RLINK_SUN_PATH_MAX);
		memcpy(out->path, tail, plen);
		out->path[plen] = '\0';
		if (tail[plen] == '?')
			return rlink_url_query(tail + plen + 1, out, err, errlen);
		return 0;
	}
	if (rlink_url_hostport(rest, alen, out, err, errlen) < 0)
		return -1;
	if (*tail == '/') {
		size_t dlen = strcspn(tail + 1, "?#");

		if (dlen && rlink_db(tail + 1, dlen, &out->db, err, errlen) < 0)
			return -1;
		tail += 1 + dlen;
	}
	if (*tail == '?')
		return rlink_url_fail(err, errlen, "query '%.32s': only unix:// URLs take ?db=N; write redis://host[:port]/N",
				       tail);
	if (*tail)
		return rlink_url_fail(err, errlen, "unexpected '%.32s' at the end", tail);
	return 0;
}

int rlink_url_parse(const char *url, struct rlink_url *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->port = RLINK_DEFAULT_PORT;
	if (rlink_url_parse_into(url, out, err, errlen) == 0)
		return 0;
	/* no half-parsed URL (nor a decoded password) left behind */
	memset(out, 0, sizeof(*out));
	out->port = RLINK_DEFAULT_PORT;
	return -1;
}

/* Append to buf at *off, truncating; buf stays NUL-terminated. */
__attribute__((format(printf, 4, 5)))
static void rlink_cat(char *buf, size_t len, size_t *off, const char *fmt, ...)
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

void rlink_url_redacted(const struct rlink_url *u, char *buf, size_t len)
{
	size_t off = 0;

	if (!buf || !len)
		return;
	buf[0] = '\0';
	rlink_cat(buf, len, &off, "%s", u->path[0] ? "unix://" : "redis://");
	if (u->password[0]) {
		for (const char *p = u->user; *p; p++) {
			unsigned char c = (unsigned char)*p;

			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			    c == '-' || c == '.' || c == '_' || c == '~')
				rlink_cat(buf, len, &off, "%c", c);
			else
				rlink_cat(buf, len, &off, "%%%02X", c);
		}
		rlink_cat(buf, len, &off, ":***@");
	}
	if (u->path[0]) {
		rlink_cat(buf, len, &off, "%s", u->path);
		if (u->db)
			rlink_cat(buf, len, &off, "?db=%d", u->db);
		return;
	}
	rlink_cat(buf, len, &off, strchr(u->host, ':') ? "[%s]:%d" : "%s:%d", u->host, u->port);
	if (u->db)
		rlink_cat(buf, len, &off, "/%d", u->db);
}

/* ---- the connection ---------------------------------------------------- */

__attribute__((format(printf, 2, 0)))
static void rlink_vseterr(struct rlink *s, const char *fmt, va_list ap)
{
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
}

__attribute__((format(printf, 2, 3)))
static void rlink_seterr(struct rlink *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rlink_vseterr(s, fmt, ap);
	va_end(ap);
}

int rlink_fail(struct rlink *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rlink_vseterr(l, fmt, ap);
	va_end(ap);
	return -1;
}

void rlink_error_append(struct rlink *l, const char *text)
{
	size_t off = strlen(l->err);

	rlink_cat(l->err, sizeof(l->err), &off, "%s", text);
}

void rlink_disconnect(struct rlink *s)
{
	if (s && s->ctx) {
		redisFree(s->ctx);
		s->ctx = NULL;
	}
}

/* The connection's error (I/O, EOF, protocol), as text; drops it.  -1. */
static int rlink_io_fail(struct rlink *s, const char *what, int saved_errno)
{
	if (s->ctx->err == REDIS_ERR_IO && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK))
		rlink_seterr(s, "redis %s: %s: timeout, no answer within %" PRIu32 " ms", s->addr, what,
			      s->command_timeout_ms);
	else
		rlink_seterr(s, "redis %s: %s: %s", s->addr, what,
			      s->ctx->errstr[0] ? s->ctx->errstr : "connection error");
	rlink_disconnect(s);
	return -1;
}

void rlink_call_start_extra(struct rlink *s, uint32_t extra_ms)
{
	uint64_t ms = (uint64_t)s->command_timeout_ms + extra_ms;

	clock_gettime(CLOCK_MONOTONIC, &s->deadline);
	s->deadline.tv_sec += (time_t)(ms / 1000);
	s->deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (s->deadline.tv_nsec >= 1000000000L) {
		s->deadline.tv_sec++;
		s->deadline.tv_nsec -= 1000000000L;
	}
}

void rlink_call_start(struct rlink *s)
{
	rlink_call_start_extra(s, 0);
}

/* Give the next system call what is left of the deadline.  0, or -1
 * (timed out: disconnected). */
static int rlink_arm(struct rlink *s, const char *what)
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
		rlink_seterr(s, "redis %s: %s: timeout, no answer within %" PRIu32 " ms", s->addr, what,
			      s->command_timeout_ms);
		rlink_disconnect(s);
		return -1;
	}
	tv.tv_sec = (time_t)(left_us / 1000000);
	tv.tv_usec = (suseconds_t)(left_us % 1000000);
	if (redisSetTimeout(s->ctx, tv) != REDIS_OK)
		return rlink_io_fail(s, what, errno);
	return 0;
}

/* Write all appended commands. */
int rlink_flush(struct rlink *s, const char *what)
{
	int done = 0;

	do {
		if (rlink_arm(s, what) < 0)
			return -1;
		if (redisBufferWrite(s->ctx, &done) != REDIS_OK)
			return rlink_io_fail(s, what, errno);
	} while (!done);
	return 0;
}

/* The next reply (the caller frees it).  0, or -1 (disconnected). */
static int rlink_reply_raw(struct rlink *s, const char *what, redisReply **out)
{
	void *r = NULL;

	for (;;) {
		if (redisGetReplyFromReader(s->ctx, &r) != REDIS_OK)
			return rlink_io_fail(s, what, errno);
		if (r)
			break;
		if (rlink_arm(s, what) < 0)
			return -1;
		if (redisBufferRead(s->ctx) != REDIS_OK)
			return rlink_io_fail(s, what, errno);
	}
	*out = r;
	return 0;
}

int rlink_append(struct rlink *s, const char *what, int argc, const char **argv, const size_t *argvlen)
{
	if (redisAppendCommandArgv(s->ctx, argc, argv, argvlen) != REDIS_OK) {
		rlink_seterr(s, "redis %s: %s: %s", s->addr, what,
			      s->ctx->errstr[0] ? s->ctx->errstr : "out of memory");
		rlink_disconnect(s);
		return -1;
	}
	return 0;
}

void rlink_note_error(struct rlink *l, bool *failed, const struct rlink_reply *rr, const char *what)
{
	const redisReply *r = (const redisReply *)rr;

	if (*failed)
		return;
	*failed = true;
	if (r->type == REDIS_REPLY_ERROR)
		rlink_seterr(l, "redis %s: %s failed: %.*s", l->addr, what, (int)(r->len > 300 ? 300 : r->len),
			     r->str);
	else
		rlink_seterr(l, "redis %s: %s: unexpected reply (type %d)", l->addr, what, r->type);
}

int rlink_reply(struct rlink *l, const char *what, struct rlink_reply **out)
{
	redisReply *r = NULL;

	if (rlink_reply_raw(l, what, &r) < 0)
		return -1;
	*out = (struct rlink_reply *)r;
	return 0;
}

void rlink_reply_free(struct rlink_reply *r)
{
	if (r)
		freeReplyObject(r);
}

enum rlink_type rlink_reply_type(const struct rlink_reply *rr)
{
	switch (((const redisReply *)rr)->type) {
	case REDIS_REPLY_STRING:
		return RLINK_STRING;
	case REDIS_REPLY_ARRAY:
		return RLINK_ARRAY;
	case REDIS_REPLY_INTEGER:
		return RLINK_INTEGER;
	case REDIS_REPLY_NIL:
		return RLINK_NIL;
	case REDIS_REPLY_STATUS:
		return RLINK_STATUS;
	case REDIS_REPLY_ERROR:
		return RLINK_ERROR;
	default:
		return RLINK_OTHER;
	}
}

const char *rlink_reply_str(const struct rlink_reply *rr, size_t *len)
{
	const redisReply *r = (const redisReply *)rr;

	if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS && r->type != REDIS_REPLY_ERROR) {
		*len = 0;
		return NULL;
	}
	*len = r->len;
	return r->str;
}

long long rlink_reply_int(const struct rlink_reply *rr)
{
	const redisReply *r = (const redisReply *)rr;

	return r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
}

size_t rlink_reply_len(const struct rlink_reply *rr)
{
	const redisReply *r = (const redisReply *)rr;

	return r->type == REDIS_REPLY_ARRAY ? r->elements : 0;
}

const struct rlink_reply *rlink_reply_elem(const struct rlink_reply *rr, size_t i)
{
	const redisReply *r = (const redisReply *)rr;

	if (r->type != REDIS_REPLY_ARRAY || i >= r->elements)
		return NULL;
	return (const struct rlink_reply *)r->element[i];
}

bool rlink_reply_is(const struct rlink_reply *rr, const char *text)
{
	const redisReply *r = (const redisReply *)rr;

	return (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) &&
	       r->len == strlen(text) && !memcmp(r->str, text, r->len);
}

int rlink_command(struct rlink *l, const char *what, int argc, const char **argv, const size_t *argvlen,
		  uint32_t extra_ms, struct rlink_reply **out)
{
	if (rlink_require(l) < 0)
		return -1;
	rlink_call_start_extra(l, extra_ms);
	if (rlink_append(l, what, argc, argv, argvlen) < 0 || rlink_flush(l, what) < 0)
		return -1;
	return rlink_reply(l, what, out);
}

int rlink_finish(struct rlink *l, const char *const *what, int ncmd, enum rlink_type want)
{
	bool failed = false;

	if (rlink_flush(l, what[0]) < 0)
		return -1;
	for (int i = 0; i < ncmd; i++) {
		struct rlink_reply *r;

		if (rlink_reply(l, what[i], &r) < 0)
			return -1;
		if (rlink_reply_type(r) != want)
			rlink_note_error(l, &failed, r, what[i]);
		rlink_reply_free(r);
	}
	if (failed) {
		rlink_disconnect(l);
		return -1;
	}
	return 0;
}

static struct timeval rlink_tv(uint32_t ms)
{
	struct timeval tv = { .tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000 };

	return tv;
}

/* hiredis 0.14's redisEnableKeepAlive uses a fixed 15 s; set ours after it
 * the same way (idle, interval idle/3, 3 probes). */
static int rlink_keepalive(struct rlink *s)
{
	int idle = s->keepalive_s > 86400 ? 86400 : (int)s->keepalive_s;
	int intvl = idle / 3 ? idle / 3 : 1, cnt = 3;

	if (redisEnableKeepAlive(s->ctx) != REDIS_OK ||
	    setsockopt(s->ctx->fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) < 0 ||
	    setsockopt(s->ctx->fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) < 0 ||
	    setsockopt(s->ctx->fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) < 0) {
		rlink_seterr(s, "connect %s: keep-alive: %s", s->addr,
			      s->ctx->errstr[0] ? s->ctx->errstr : strerror(errno));
		rlink_disconnect(s);
		return -1;
	}
	return 0;
}

int rlink_connect(struct rlink *s)
{
	const char *argv[3], *what[3];
	size_t argvlen[3];
	char dbtxt[16], whatdb[32];
	int ncmd = 0;

	if (s->ctx)
		return 0;
	if (!s->url.path[0] && !s->url.host[0]) {
		rlink_seterr(s, "redis: no host or socket path");
		return -1;
	}
	if (s->url.path[0])
		s->ctx = s->connect_timeout_ms ? redisConnectUnixWithTimeout(s->url.path, rlink_tv(s->connect_timeout_ms))
					       : redisConnectUnix(s->url.path);
	else
		s->ctx = s->connect_timeout_ms
				 ? redisConnectWithTimeout(s->url.host, s->url.port, rlink_tv(s->connect_timeout_ms))
				 : redisConnect(s->url.host, s->url.port);
	if (!s->ctx) {
		rlink_seterr(s, "connect %s: out of memory", s->addr);
		return -1;
	}
	if (s->ctx->err) {
		rlink_seterr(s, "connect %s: %s", s->addr, s->ctx->errstr);
		rlink_disconnect(s);
		return -1;
	}
	if (s->keepalive_s && !s->url.path[0] && rlink_keepalive(s) < 0)
		return -1;
	/* a timeout of zero is none */
	if (redisSetTimeout(s->ctx, rlink_tv(s->command_timeout_ms)) != REDIS_OK)
		return rlink_io_fail(s, "setting the command timeout", errno);

	/* AUTH, SELECT and a PING (so that "connected" means the server
	 * answers, also when neither is needed), pipelined */
	rlink_call_start(s);
	if (s->url.password[0]) {
		argv[0] = "AUTH";
		argvlen[0] = 4;
		if (s->url.user[0]) {
			argv[1] = s->url.user;
			argvlen[1] = strlen(s->url.user);
			argv[2] = s->url.password;
			argvlen[2] = strlen(s->url.password);
			if (rlink_append(s, "AUTH", 3, argv, argvlen) < 0)
				return -1;
		} else {
			argv[1] = s->url.password;
			argvlen[1] = strlen(s->url.password);
			if (rlink_append(s, "AUTH", 2, argv, argvlen) < 0)
				return -1;
		}
		what[ncmd++] = "AUTH";
	}
	if (s->url.db) {
		argv[0] = "SELECT";
		argvlen[0] = 6;
		argv[1] = dbtxt;
		argvlen[1] = (size_t)snprintf(dbtxt, sizeof(dbtxt), "%d", s->url.db);
		if (rlink_append(s, "SELECT", 2, argv, argvlen) < 0)
			return -1;
		snprintf(whatdb, sizeof(whatdb), "SELECT %d", s->url.db);
		what[ncmd++] = whatdb;
	}
	argv[0] = "PING";
	argvlen[0] = 4;
	if (rlink_append(s, "PING", 1, argv, argvlen) < 0)
		return -1;
	what[ncmd++] = "PING";
	return rlink_finish(s, what, ncmd, RLINK_STATUS);
}

int rlink_require(struct rlink *l)
{
	if (l->ctx)
		return 0;
	rlink_seterr(l, "redis %s: not connected", l->addr);
	return -1;
}

struct rlink *rlink_new(const struct rlink_config *cfg)
{
	struct rlink *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->url = cfg->url;
	l->connect_timeout_ms = cfg->connect_timeout_ms;
	l->command_timeout_ms = cfg->command_timeout_ms;
	l->keepalive_s = cfg->keepalive_s;
	if (l->url.path[0])
		snprintf(l->addr, sizeof(l->addr), "%s", l->url.path);
	else
		snprintf(l->addr, sizeof(l->addr), strchr(l->url.host, ':') ? "[%s]:%d" : "%s:%d",
			 l->url.host, l->url.port);
	return l;
}

void rlink_free(struct rlink *l)
{
	if (!l)
		return;
	rlink_disconnect(l);
	free(l);
}

bool rlink_is_connected(const struct rlink *l)
{
	return l->ctx != NULL;
}

const char *rlink_error(const struct rlink *l)
{
	return l->err;
}

const char *rlink_addr(const struct rlink *l)
{
	return l->addr;
}

uint32_t rlink_command_timeout_ms(const struct rlink *l)
{
	return l->command_timeout_ms;
}

#define RLINK_STR2(x) #x
#define RLINK_STR(x) RLINK_STR2(x)

const char *rlink_lib_version(void)
{
	return RLINK_STR(HIREDIS_MAJOR) "." RLINK_STR(HIREDIS_MINOR) "." RLINK_STR(HIREDIS_PATCH);
}
