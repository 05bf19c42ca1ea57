/*
 * rlink — a Redis connection for zonewatch programs: hiredis 0.14 (no TLS,
 * no RESP3) in blocking mode, the only file that includes it.  A URL
 * parser; connect with AUTH, SELECT and a PING, connect and command
 * timeouts and TCP keep-alive; pipelined commands (append, flush, read the
 * replies) where one deadline bounds a whole call; replies read through
 * accessors.  The sensor's stream.c and the collector's consume.c build on
 * it.
 *
 * One struct rlink per thread.  The process must ignore SIGPIPE (hiredis
 * 0.14 writes with write(2)).  rlink_error's pointer and a reply's strings
 * stay valid until the next call on the link / rlink_reply_free.
 *
 * Any failure after a command was appended drops the connection (hiredis's
 * buffers may hold half a pipeline): the next rlink_connect starts clean.
 */
#ifndef ZW_RLINK_H
#define ZW_RLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RLINK_MAX_URL 1024

/* Accepted (the scheme in any case):
 *   redis://[[user]:password@]host[:port][/db]
 *   unix://[[user]:password@]/absolute/path[?db=N]
 * host: a name or IPv4 address ([A-Za-z0-9._-]), or an IPv6 address in
 * brackets ([::1]; no zone).  port: 1-65535, default 6379.  db: 0-1000000,
 * default 0 ("/" alone is 0); a unix URL takes it as ?db=N (the only
 * parameter).  user and password are percent-decoded (%40 is '@'; encode
 * '@' ':' '/' '?' '#' '%' and spaces); ":password@" is AUTH password,
 * "user:password@" is AUTH user password (Redis 6 ACL); the password may not
 * be empty, and "word@" without ':' is refused as ambiguous.  The user info
 * ends at the last '@' (redis://) or at the "@/" before the socket path
 * (unix://), so an unencoded '@' '/' '?' '#' in a password still parses.
 * The socket path is taken as is (no decoding), at most 107 bytes.  No
 * rediss:// (hiredis 0.14 has no TLS), no query on redis:// URLs. */
struct rlink_url {
	char host[256];          /* "" for unix sockets */
	int port;                /* 6379 by default */
	char path[512];          /* unix socket path, "" for TCP */
	char user[128];          /* "" = no ACL user (AUTH password only) */
	char password[256];      /* "" = no AUTH */
	int db;                  /* SELECT, 0 by default */
};

/* 0, or -1 with a reason (which part is wrong) in err (may be NULL); the
 * reason never quotes the password. */
int rlink_url_parse(const char *url, struct rlink_url *out, char *err, size_t errlen);
/* The URL with the password replaced by "***", for logs. */
void rlink_url_redacted(const struct rlink_url *u, char *buf, size_t len);

struct rlink_config {
	struct rlink_url url;
	uint32_t connect_timeout_ms; /* the TCP/unix connect; 0 = none */
	uint32_t command_timeout_ms; /* a whole call, from rlink_call_start to
				      * its last reply; 0 = none */
	uint32_t keepalive_s;    /* TCP keep-alive idle time (probes every
				  * keepalive_s/3, 3 of them); 0 = off */
};

struct rlink;

/* NULL only when out of memory; a URL without host or path makes every
 * rlink_connect fail with the reason. */
struct rlink *rlink_new(const struct rlink_config *cfg);
void rlink_free(struct rlink *l);

/* Connect (AUTH, SELECT, PING) if not connected.  0, or -1 with the reason
 * kept.  Never blocks longer than the timeouts (except for a host name's
 * DNS lookup). */
int rlink_connect(struct rlink *l);
bool rlink_is_connected(const struct rlink *l);
void rlink_disconnect(struct rlink *l);
const char *rlink_error(const struct rlink *l);
/* "host:port" or the socket path, for messages. */
const char *rlink_addr(const struct rlink *l);
uint32_t rlink_command_timeout_ms(const struct rlink *l);

/* Keep a reason (printf format), as rlink_error will return it; -1. */
int rlink_fail(struct rlink *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append text to the kept reason. */
void rlink_error_append(struct rlink *l, const char *text);
/* 0 if connected, else -1 with "not connected" kept. */
int rlink_require(struct rlink *l);

/* A call: rlink_call_start (its deadline begins), rlink_append each
 * command, rlink_flush, then rlink_reply once per command in order.  what
 * names the call in error messages.  Each returns 0 or -1 (reason kept,
 * disconnected). */
void rlink_call_start(struct rlink *l);
/* The same, for a call the server may hold extra_ms on purpose (a BLOCK). */
void rlink_call_start_extra(struct rlink *l, uint32_t extra_ms);
int rlink_append(struct rlink *l, const char *what, int argc, const char **argv, const size_t *argvlen);
int rlink_flush(struct rlink *l, const char *what);

enum rlink_type {
	RLINK_STRING, RLINK_ARRAY, RLINK_INTEGER, RLINK_NIL, RLINK_STATUS, RLINK_ERROR, RLINK_OTHER
};

struct rlink_reply;   /* read through the accessors below */

/* The next reply; the caller frees it with rlink_reply_free. */
int rlink_reply(struct rlink *l, const char *what, struct rlink_reply **out);
void rlink_reply_free(struct rlink_reply *r);
enum rlink_type rlink_reply_type(const struct rlink_reply *r);
/* STRING, STATUS, ERROR: the bytes and *len; else NULL, 0 */
const char *rlink_reply_str(const struct rlink_reply *r, size_t *len);
long long rlink_reply_int(const struct rlink_reply *r);      /* INTEGER, else 0 */
size_t rlink_reply_len(const struct rlink_reply *r);         /* ARRAY: elements, else 0 */
const struct rlink_reply *rlink_reply_elem(const struct rlink_reply *r, size_t i); /* NULL past the end */
/* A STRING or STATUS reply equal to text. */
bool rlink_reply_is(const struct rlink_reply *r, const char *text);

/* One command, one round trip: require the connection, start the call
 * (extra_ms as for rlink_call_start_extra), send, and take the reply of
 * whatever type (an error reply too: the caller judges it; the caller
 * frees it).  0 or -1 (reason kept, disconnected). */
int rlink_command(struct rlink *l, const char *what, int argc, const char **argv, const size_t *argvlen,
		  uint32_t extra_ms, struct rlink_reply **out);

/* Keep r's error text (or "unexpected reply") as "what failed: ...",
 * unless *failed is already set; sets *failed. */
void rlink_note_error(struct rlink *l, bool *failed, const struct rlink_reply *r, const char *what);
/* Flush, then read ncmd replies (what[i] names the i-th), each of type want;
 * on any other keep the first error and disconnect.  0 or -1. */
int rlink_finish(struct rlink *l, const char *const *what, int ncmd, enum rlink_type want);

/* A decimal in p[0..len) that is at most max: 0, or -1. */
int rlink_parse_u64(const char *p, size_t len, uint64_t max, uint64_t *out);

/* hiredis's version (of the headers built against), "0.14.1". */
const char *rlink_lib_version(void);

#endif
