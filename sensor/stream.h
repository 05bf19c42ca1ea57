/*
 * stream — the sensor output thread's Redis side: alert batches into the
 * stream exactly once, and the heartbeat, over an rlink (common/rlink.h:
 * the connection, hiredis 0.14).  One struct stream per thread.  The process
 * must ignore SIGPIPE (main.c does): hiredis 0.14 writes with write(2).
 * stream_error's pointer stays valid until the next call on the stream.
 *
 * Key names (prefix "zw" by default; doc/redis.md):
 *   <prefix>:alerts            stream of alerts (XADD ... MAXLEN ~ N *)
 *   <prefix>:flows             stream of flow records (optional)
 *   <prefix>:sensor:<id>       hash: heartbeat fields, with a TTL
 *   <prefix>:delivered         hash: sensor id -> last sequence number in
 *                              the stream (no TTL: outlives a long outage)
 *   <prefix>:sensors           sorted set: sensor id -> last heartbeat (unix s)
 *
 * Exactly once into the stream: each batch is sent as
 *   MULTI; XADD <stream> MAXLEN ~ N * sensor <id> seq <n> sid <sid>
 *   severity <s> alert_id <id> json <line> ...; HSET <prefix>:delivered
 *   <id> <n of the batch's last>; EXEC
 * so the entries and the sensor's last delivered sequence number change
 * together.  After a reconnect, stream_last_seq() tells which spooled
 * records Redis already has.
 */
#ifndef ZW_STREAM_H
#define ZW_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rlink.h"

/* The URL (rlink.h): rlink_url_parse, rlink_url_redacted. */
struct stream_config {
	struct rlink_url url;
	const char *prefix;      /* "zw" */
	const char *sensor_id;
	uint64_t maxlen;         /* MAXLEN ~ for the streams; 0 = no trimming */
	uint32_t connect_timeout_ms; /* the TCP/unix connect; 0 = none */
	uint32_t command_timeout_ms; /* a whole call: AUTH+SELECT+PING of connect,
				      * a batch's writes and all its replies; 0 = none */
	uint32_t keepalive_s;    /* TCP keep-alive idle time (probes every
				  * keepalive_s/3, 3 of them); 0 = off */
};

/* One entry to send. */
struct stream_entry {
	uint64_t seq;
	const char *json;        /* the alert line, without its newline */
	size_t len;
	uint32_t sid;            /* 0 for flow records */
	uint8_t severity;
	char alert_id[33];       /* "" for flow records */
};

struct stream;

/* Copies cfg (strings too).  NULL only when out of memory; a config that
 * cannot work (empty or over 128-byte sensor_id or prefix) makes every
 * stream_connect fail with the reason. */
struct stream *stream_new(const struct stream_config *cfg);
void stream_free(struct stream *s);

/* Connect (AUTH, SELECT, PING) if not connected.  0, or -1 with the reason
 * kept (stream_error).  Never blocks longer than the timeouts (except for a
 * host name's DNS lookup: use an address where that matters). */
int stream_connect(struct stream *s);
bool stream_connected(const struct stream *s);
void stream_disconnect(struct stream *s);
const char *stream_error(const struct stream *s);

/* The last sequence number Redis has from this sensor (0 when none).
 * 0 or -1 (then disconnected, error kept). */
int stream_last_seq(struct stream *s, uint64_t *seq);

/* Send entries as one MULTI/EXEC (see above) to <prefix>:<name> ("alerts"
 * or "flows").  0 when EXEC succeeded (all were added), -1 otherwise (the
 * connection is dropped).  After -1 none were added, except: a timeout or
 * lost connection after the batch was written (the server may still run
 * it: stream_last_seq after reconnecting tells), and an error while EXEC
 * runs (WRONGTYPE: <prefix>:<name> is not a stream; the error says the rest
 * was applied).  n == 0 sends nothing and returns 0.  Bad arguments (empty
 * or over 64-byte name, NULL json with len > 0, a batch over 64 MiB of
 * JSON) return -1 without touching the connection. */
int stream_send(struct stream *s, const char *name, const struct stream_entry *e, size_t n);
/* Best effort: the entries as pipelined XADDs to <prefix>:<name>, no
 * transaction, no delivered mark, no seq field when seq is 0 (flow
 * records).  0, or -1 (some may have been added). */
int stream_send_plain(struct stream *s, const char *name, const struct stream_entry *e, size_t n);

/* Heartbeat: HSET <prefix>:sensor:<id> fields...; EXPIRE ttl_s;
 * ZADD <prefix>:sensors now_s <id>, pipelined.  fields: NULL-terminated
 * name/value pairs, at most 64 (none: no HSET); ttl_s 0: no EXPIRE.  0 or
 * -1 (a Redis error: disconnected; a name without a value: not). */
int stream_heartbeat(struct stream *s, const char *const *fields, uint32_t ttl_s,
		     uint64_t now_s);

#endif
