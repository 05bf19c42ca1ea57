/*
 * run — `zw-collector run`: the consumer loop.  Read a batch from the
 * group (own pending entries first after a (re)connect, entries idle too
 * long at another consumer every claim_interval, else new ones), take
 * each entry apart (entry.c, alert_parse.c), store the valid alerts in one
 * durable transaction and each invalid entry in the quarantine, and only
 * then XACK the batch.  Between batches: copy the sensors' heartbeats,
 * trim the stream, apply retention, log counters.
 *
 * Two stages overlap while the stream is busy: a thread parses batch k+1
 * (entry.c and alert_parse.c: no store, no Redis, no logging) while this
 * one stores and acknowledges batch k; acknowledgements stay in order.
 * Everything that touches the store or Redis is on this thread.
 *
 * Failures: Redis lost -> reconnect with backoff (1 s doubling to 30 s),
 * the batch in hand is kept and acknowledged after; store failure (busy,
 * disk full) -> the batch is retried, never acknowledged unstored.
 * SIGTERM/SIGINT: the batch in hand is finished (stored and acknowledged if
 * Redis is there), then exit 0.  What was read and not acknowledged stays
 * pending in Redis for the next start or another collector.
 */
#include <getopt.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alert_parse.h"
#include "cmd.h"
#include "conf.h"
#include "consume.h"
#include "entry.h"
#include "rlink.h"
#include "store.h"

#define RUN_BACKOFF_MIN_MS   1000u
#define RUN_BACKOFF_MAX_MS   30000u
#define RUN_SENSORS_MAX      10000u      /* heartbeats read per poll */
#define RUN_PURGE_ROWS       20000u      /* rows deleted per retention step */
#define RUN_CLAIM_ROUNDS     1000u       /* XAUTOCLAIM calls per pass, at most */
#define RUN_STATS_INTERVAL_S 60u
#define RUN_ERR_MAX          1024

struct run_counters {
	uint64_t read, stored, duplicates, quarantined, gone, acked, claimed, pending_reread,
		 trimmed, purged, heartbeats, redis_errors, store_errors, ack_errors;
};

/* An entry that is not a valid alert, as the parser found it. */
struct run_quar {
	size_t idx;                      /* in the slot's batch */
	bool has_view;                   /* v holds the entry's fields */
	struct entry_view v;
	char why[STORE_REASON_MAX];
};

/* A batch as read, and what the parser made of it. */
struct run_slot {
	struct consume_batch b;
	struct alert_rec *recs;          /* the valid alerts */
	size_t nrec;
	struct run_quar *quar;           /* the others */
	size_t nquar;
	size_t gone;                     /* deleted before read: nothing to store */
};

#define RUN_HB_CHUNK 64   /* heartbeats per store transaction */

struct run_hb_ctx {
	struct run *r;
	struct store_sensor hb[RUN_HB_CHUNK];
	size_t n;
	int failed;
};

#define RUN_SLOTS     3
#define RUN_SLOT_SYNC 2                  /* own pending entries, claims */

struct run {
	const struct cmd_env *env;
	const struct settings *st;
	const struct log *lg;
	struct store *store;
	struct consume *cons;
	struct run_slot slot[RUN_SLOTS];  /* two for the pipeline, one for pending/claims */
	int parsed;                      /* slot parsed, not yet stored; -1: none */
	int next;                        /* slot the next new batch is read into */
	const char **ids;                /* a batch's ids to acknowledge */
	size_t cap;
	const char *consumer;            /* this process in the group */
	uint64_t exit_idle_s;            /* --exit-idle: 0 = run until stopped */
	struct run_counters n;
	uint64_t backoff_ms;
	bool need_pending;               /* read own pending list before new entries */
	uint64_t next_claim_us, next_hb_us, next_trim_us, next_purge_us, next_stats_us;
	uint64_t last_activity_us;       /* monotonic: last entry read */
	struct log_ratelimit rl_redis, rl_store, rl_quarantine;
	char raw[STORE_RAW_MAX];         /* an entry's fields, as quarantined */
	struct run_hb_ctx hb;            /* heartbeats read, to store together */
};

static uint64_t run_clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t run_mono_us(void)
{
	return run_clock_us(CLOCK_MONOTONIC);
}

static int64_t run_wall_us(void)
{
	return (int64_t)run_clock_us(CLOCK_REALTIME);
}

static bool run_stopping(const struct run *r)
{
	return *r->env->stop != 0;
}

/* Sleep ms, waking early when a stop is asked. */
static void run_sleep(const struct run *r, uint64_t ms)
{
	while (ms && !run_stopping(r)) {
		uint64_t step = ms < 100 ? ms : 100;
		struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)step * 1000000L };

		nanosleep(&ts, NULL);
		ms -= step;
	}
}

static void run_redis_failed(struct run *r, const char *what)
{
	uint64_t suppressed;

	r->n.redis_errors++;
	consume_disconnect(r->cons);
	if (log_ratelimit_ok(&r->rl_redis, run_mono_us(), 10000000u, &suppressed))
		log_warn(r->lg, "%s: %s; retrying in %" PRIu64 " ms%s", what, consume_error(r->cons),
			 r->backoff_ms, suppressed ? " (similar messages suppressed)" : "");
	run_sleep(r, r->backoff_ms);
	r->backoff_ms = r->backoff_ms * 2 > RUN_BACKOFF_MAX_MS ? RUN_BACKOFF_MAX_MS : r->backoff_ms * 2;
}

/* Keep an entry that is not an alert.  Retries until stored or stopping:
 * 0, or -1 (stopping, not stored: do not acknowledge). */
static int run_quarantine(struct run *r, const struct consume_entry *e, const struct entry_view *v,
			  const char *why)
{
	char sensor[ALERT_PARSE_MAX_SENSOR + 1], err[RUN_ERR_MAX];
	const char *raw = v && v->json ? v->json : "";
	size_t rawlen = v && v->json ? v->json_len : 0;
	const char *sensor_p = NULL;
	uint64_t suppressed;

	if (v && v->sensor && v->sensor_len && v->sensor_len <= ALERT_PARSE_MAX_SENSOR &&
	    !memchr(v->sensor, '\0', v->sensor_len)) {
		memcpy(sensor, v->sensor, v->sensor_len);
		sensor[v->sensor_len] = '\0';
		sensor_p = sensor;
	}
	/* no usable json field: keep the names and values, "name=value\n" each
	 * (the strings are separate allocations: copied, up to the cap) */
	if (!raw[0] && e->n_fv) {
		size_t off = 0;

		rawlen = 0;
		for (size_t i = 0; i < e->n_fv; i++) {
			const char *part[2] = { e->fv[i], i % 2 ? "\n" : "=" };
			size_t plen[2] = { e->fvlen[i], 1 };

			for (int k = 0; k < 2; k++) {
				size_t take = off < sizeof(r->raw) ? sizeof(r->raw) - off : 0;

				if (take > plen[k])
					take = plen[k];
				memcpy(r->raw + off, part[k], take);
				off += take;
				rawlen += plen[k];
			}
		}
		raw = r->raw;
	}
	for (;;) {
		if (store_quarantine(r->store, e->id, sensor_p, raw, rawlen, why, run_wall_us(), err,
				     sizeof(err)) == 0)
			break;
		r->n.store_errors++;
		log_error(r->lg, "store: quarantining entry %s: %s; retrying", e->id, err);
		if (run_stopping(r))
			return -1;
		run_sleep(r, 1000);
	}
	r->n.quarantined++;
	if (log_ratelimit_ok(&r->rl_quarantine, run_mono_us(), 10000000u, &suppressed))
		log_warn(r->lg, "entry %s%s%s quarantined: %s%s", e->id, sensor_p ? " from " : "",
			 sensor_p ? sensor_p : "", why,
			 suppressed ? " (more quarantined: see the counters)" : "");
	return 0;
}

/* Parse a slot's batch: each entry into recs or quar.  Touches nothing
 * but the slot, so it runs on the parser thread. */
static void run_parse(struct run_slot *sl)
{
	sl->nrec = sl->nquar = sl->gone = 0;
	for (size_t i = 0; i < sl->b.n; i++) {
		const struct consume_entry *e = &sl->b.e[i];
		struct run_quar *q = &sl->quar[sl->nquar];
		struct alert_rec *rec = &sl->recs[sl->nrec];

		if (e->gone) {
			sl->gone++;
			continue;
		}
		q->idx = i;
		q->has_view = false;
		if (e->bad) {
			snprintf(q->why, sizeof(q->why), "entry: its fields are not strings");
			sl->nquar++;
			continue;
		}
		if (entry_decode(e->fv, e->fvlen, e->n_fv, &q->v, q->why, sizeof(q->why)) < 0) {
			sl->nquar++;
			continue;
		}
		q->has_view = true;
		if (alert_parse(q->v.json, q->v.json_len, rec, q->why, sizeof(q->why)) < 0) {
			sl->nquar++;
			continue;
		}
		if (entry_check(&q->v, rec, q->why, sizeof(q->why)) < 0) {
			alert_rec_fini(rec);
			sl->nquar++;
			continue;
		}
		sl->nrec++;
	}
}

static void *run_parse_thread(void *arg)
{
	run_parse(arg);
	return NULL;
}

static void run_slot_clear(struct run_slot *sl)
{
	for (size_t i = 0; i < sl->nrec; i++)
		alert_rec_fini(&sl->recs[i]);
	sl->nrec = sl->nquar = sl->gone = 0;
}

/* Store a parsed slot (its quarantined entries, then its alerts in one
 * transaction), retrying until stored.  0, or -1 when stopping first
 * (nothing of it may be acknowledged then). */
static int run_store(struct run *r, struct run_slot *sl)
{
	struct store_put_result res;
	char err[RUN_ERR_MAX];
	uint64_t suppressed;

	for (size_t i = 0; i < sl->nquar; i++) {
		const struct run_quar *q = &sl->quar[i];

		if (run_quarantine(r, &sl->b.e[q->idx], q->has_view ? &q->v : NULL, q->why) < 0)
			return -1;
	}
	while (store_put_batch(r->store, sl->recs, sl->nrec, run_wall_us(), &res, err, sizeof(err)) < 0) {
		r->n.store_errors++;
		if (log_ratelimit_ok(&r->rl_store, run_mono_us(), 10000000u, &suppressed))
			log_error(r->lg, "store: %s; the batch of %zu is kept and retried", err, sl->nrec);
		if (run_stopping(r))
			return -1;
		run_sleep(r, 1000);
	}
	r->n.read += sl->b.n;
	r->n.gone += sl->gone;
	r->n.stored += res.inserted;
	r->n.duplicates += res.duplicates;
	return 0;
}

/* Store a parsed slot, then acknowledge it; the slot is cleared either
 * way.  0; -1 when stopping before it was stored (nothing acknowledged);
 * 1 when stored but the XACK failed (the entries stay pending and come
 * back: dedup makes that harmless). */
static int run_store_ack(struct run *r, struct run_slot *sl)
{
	size_t nid = 0;
	int rc = run_store(r, sl);

	run_slot_clear(sl);
	if (rc < 0)
		return -1;
	for (size_t i = 0; i < sl->b.n; i++)
		r->ids[nid++] = sl->b.e[i].id;
	if (consume_ack(r->cons, r->ids, nid) < 0) {
		r->n.ack_errors++;
		return 1;
	}
	r->n.acked += nid;
	return 0;
}

/* A batch read into the sync slot: parse, store, acknowledge. */
static int run_batch(struct run *r, struct run_slot *sl)
{
	run_parse(sl);
	return run_store_ack(r, sl);
}

/* Own pending entries (after a start or reconnect), from the start of the
 * list.  0, or -1 (Redis failed). */
static int run_pending(struct run *r)
{
	char from[STORE_STREAM_ID_MAX + 1] = "0";

	while (!run_stopping(r)) {
		struct run_slot *sl = &r->slot[RUN_SLOT_SYNC];

		if (consume_read_pending(r->cons, from, &sl->b) < 0)
			return -1;
		if (sl->b.n == 0)
			break;
		r->n.pending_reread += sl->b.n;
		r->last_activity_us = run_mono_us();
		snprintf(from, sizeof(from), "%s", sl->b.e[sl->b.n - 1].id);
		if (run_batch(r, sl) != 0)
			return -1;
	}
	r->need_pending = false;
	return 0;
}

/* Entries idle at other (dead) consumers.  0, or -1 (Redis failed). */
static int run_claim(struct run *r, bool *found)
{
	char cursor[STORE_STREAM_ID_MAX + 1] = "0-0";

	*found = false;
	for (unsigned round = 0; round < RUN_CLAIM_ROUNDS && !run_stopping(r); round++) {
		struct run_slot *sl = &r->slot[RUN_SLOT_SYNC];

		if (consume_claim(r->cons, cursor, sizeof(cursor), &sl->b) < 0)
			return -1;
		if (sl->b.n) {
			*found = true;
			r->n.claimed += sl->b.n;
			r->last_activity_us = run_mono_us();
			log_info(r->lg, "took over %zu entries left pending by another consumer", sl->b.n);
			if (run_batch(r, sl) != 0)
				return -1;
		}
		if (!strcmp(cursor, "0-0"))
			break;
	}
	return 0;
}

static int run_heartbeat_flush(struct run_hb_ctx *h)
{
	char err[RUN_ERR_MAX];

	if (h->n && store_heartbeats(h->r->store, h->hb, h->n, err, sizeof(err)) < 0) {
		h->failed = 1;
		h->r->n.store_errors++;
		log_warn(h->r->lg, "store: %zu heartbeats: %s", h->n, err);
		h->n = 0;
		return 1;
	}
	h->r->n.heartbeats += h->n;
	h->n = 0;
	return 0;
}

static int run_heartbeat(void *ctx, const char *sensor, size_t len, int64_t hb_s, const char *const *fv,
			 const size_t *fvlen, size_t n_fv)
{
	struct run_hb_ctx *h = ctx;
	struct store_sensor *hb = &h->hb[h->n];

	if (len == 0 || len >= sizeof(hb->sensor) || memchr(sensor, '\0', len) || hb_s <= 0)
		return 0;
	memset(hb, 0, sizeof(*hb));
	memcpy(hb->sensor, sensor, len);
	hb->last_heartbeat_us = hb_s * 1000000;
	entry_heartbeat(fv, fvlen, n_fv, hb);
	if (++h->n == RUN_HB_CHUNK)
		return run_heartbeat_flush(h);
	return 0;
}

/* The between-batches work that is due (all of it when final).  -1 when
 * Redis failed. */
static int run_timers(struct run *r, bool final)
{
	uint64_t now = run_mono_us();
	char err[RUN_ERR_MAX];

	if (now >= r->next_hb_us || final) {
		struct run_hb_ctx *h = &r->hb;
		int rc;

		h->r = r;
		h->n = 0;
		h->failed = 0;
		r->next_hb_us = now + r->st->sensor_poll_s * 1000000u;
		rc = consume_sensors(r->cons, RUN_SENSORS_MAX, run_heartbeat, h);
		if (rc < 0 && !h->failed)
			return -1;
		if (rc == 0)
			run_heartbeat_flush(h);
	}
	if (r->st->trim && (now >= r->next_trim_us || final)) {
		uint64_t trimmed;

		r->next_trim_us = now + r->st->trim_interval_s * 1000000u;
		if (consume_trim(r->cons, &trimmed) < 0) {
			log_warn(r->lg, "trimming the stream: %s", consume_error(r->cons));
			return -1;
		}
		r->n.trimmed += trimmed;
	}
	if (r->st->retention_days && now >= r->next_purge_us && !final) {
		int64_t before = run_wall_us() - (int64_t)r->st->retention_days * 86400 * 1000000;
		uint64_t deleted = RUN_PURGE_ROWS;

		r->next_purge_us = now + r->st->purge_interval_s * 1000000u;
		/* a few steps now; a big backlog goes on at the next batches */
		for (int i = 0; i < 5 && deleted == RUN_PURGE_ROWS && !run_stopping(r); i++) {
			if (store_purge_before(r->store, before, RUN_PURGE_ROWS, &deleted, err, sizeof(err)) < 0) {
				r->n.store_errors++;
				log_warn(r->lg, "store: retention: %s", err);
				break;
			}
			r->n.purged += deleted;
			if (deleted == RUN_PURGE_ROWS)
				r->next_purge_us = now;   /* more to do */
		}
	}
	return 0;
}

static void run_log_counters(const struct run *r, const char *when)
{
	log_info(r->lg,
		 "%s: read %" PRIu64 ", stored %" PRIu64 ", duplicates %" PRIu64 ", quarantined %" PRIu64
		 ", acknowledged %" PRIu64 ", taken over %" PRIu64 ", re-read pending %" PRIu64
		 ", gone %" PRIu64 ", trimmed %" PRIu64 ", purged %" PRIu64 ", heartbeats %" PRIu64
		 ", redis errors %" PRIu64 ", store errors %" PRIu64 ", ack errors %" PRIu64,
		 when, r->n.read, r->n.stored, r->n.duplicates, r->n.quarantined, r->n.acked, r->n.claimed,
		 r->n.pending_reread, r->n.gone, r->n.trimmed, r->n.purged, r->n.heartbeats,
		 r->n.redis_errors, r->n.store_errors, r->n.ack_errors);
}

/* Store and acknowledge the parsed batch the pipeline holds, if any.  As
 * run_store_ack; 1 also sets need_pending. */
static int run_flush(struct run *r)
{
	int rc;

	if (r->parsed < 0)
		return 0;
	rc = run_store_ack(r, &r->slot[r->parsed]);
	r->parsed = -1;
	if (rc > 0)
		r->need_pending = true;
	return rc;
}

/* New entries.  With nothing in hand: wait for a batch and parse it.  With
 * a parsed batch in hand: read the next without waiting, parse it on the
 * parser thread while this one stores and acknowledges the first.  0, or
 * -1 after a Redis failure (handled). */
static int run_new(struct run *r)
{
	struct run_slot *cur, *nxt;
	pthread_t th;
	bool threaded = false;
	int rc;

	if (r->parsed < 0) {
		nxt = &r->slot[r->next];
		if (consume_read_new(r->cons, true, &nxt->b) < 0)
			goto fail;
		if (nxt->b.n == 0)
			return 0;
		r->last_activity_us = run_mono_us();
		run_parse(nxt);
		r->parsed = r->next;
		r->next = 1 - r->next;
		return 0;
	}
	cur = &r->slot[r->parsed];
	nxt = &r->slot[r->next];
	if (consume_read_new(r->cons, false, &nxt->b) < 0)
		goto fail;   /* the parsed batch is kept: stored and acknowledged after the reconnect */
	if (nxt->b.n) {
		r->last_activity_us = run_mono_us();
		threaded = pthread_create(&th, NULL, run_parse_thread, nxt) == 0;
	}
	rc = run_store_ack(r, cur);
	if (threaded)
		pthread_join(th, NULL);
	else if (nxt->b.n)
		run_parse(nxt);
	if (nxt->b.n) {
		r->parsed = r->next;
		r->next = 1 - r->next;
	} else {
		r->parsed = -1;
	}
	if (rc > 0) {
		r->need_pending = true;
		goto fail;
	}
	return 0;
fail:
	run_redis_failed(r, "stream");
	return -1;
}

/* One step of the loop.  0 to go on, -1 after a Redis failure (handled). */
static int run_step(struct run *r)
{
	bool found;

	if (!consume_is_connected(r->cons)) {
		if (consume_connect(r->cons) < 0) {
			run_redis_failed(r, "connect");
			return -1;
		}
		log_info(r->lg, "connected to %s, group %s, consumer %s", consume_stream_key(r->cons),
			 r->st->group, r->consumer);
		r->backoff_ms = RUN_BACKOFF_MIN_MS;
		r->need_pending = true;
	}
	if (r->need_pending && (run_flush(r) != 0 || run_pending(r) < 0))
		goto fail;
	if (run_mono_us() >= r->next_claim_us) {
		if (run_flush(r) != 0)
			goto fail;
		r->next_claim_us = run_mono_us() + r->st->claim_interval_s * 1000000u;
		if (run_claim(r, &found) < 0)
			goto fail;
	}
	if (run_timers(r, false) < 0)
		goto fail;
	if (run_mono_us() >= r->next_stats_us) {
		r->next_stats_us = run_mono_us() + RUN_STATS_INTERVAL_S * 1000000u;
		run_log_counters(r, "counters");
	}
	if (run_stopping(r))
		return 0;
	return run_new(r) < 0 ? -1 : 0;
fail:
	run_redis_failed(r, "stream");
	return -1;
}

static void run_usage(FILE *out)
{
	fputs("usage: zw-collector [-c FILE] run [options]\n"
	      "\n"
	      "Read the sensors' alert stream from Redis as a member of a consumer group,\n"
	      "store each alert once, acknowledge what is stored.  Runs until SIGTERM or\n"
	      "SIGINT (the batch in hand is finished; exit 0).\n"
	      "\n"
	      "  -c, --config FILE     config file (default " SETTINGS_DEFAULT_PATH " if present)\n"
	      "  -s, --store PATH      the store: sqlite:PATH or PATH          [store]\n"
	      "  -r, --redis URL       redis://[user:pass@]host:port/db, unix:///path [redis.url]\n"
	      "      --prefix P        key prefix, as the sensors' (zw)        [redis.prefix]\n"
	      "      --group G         consumer group (zw-collectors)          [redis.group]\n"
	      "      --consumer NAME   this process in the group (host-pid)    [redis.consumer]\n"
	      "      --batch N         entries per read and transaction (5000) [collector.batch]\n"
	      "      --block-ms MS     wait for new entries this long (1000)   [collector.block_ms]\n"
	      "      --claim-idle T    take over entries pending longer (60s)  [collector.claim_idle]\n"
	      "      --claim-interval T  how often to look for them (10s)      [collector.claim_interval]\n"
	      "      --no-trim         leave the stream's length to the sensors [collector.trim]\n"
	      "      --retention-days N  delete alerts older (180; 0 keeps all) [store.retention_days]\n"
	      "      --exit-idle T     exit 0 after T with nothing to read (tests, batch jobs)\n"
	      "      --log-level L     error, warn, info, debug (info)         [log.level]\n"
	      "  -h, --help            this text\n"
	      "\n"
	      "Times T: 90, 90s, 15m, 2h, 1d.  Every setting in [brackets] can be in the\n"
	      "config file; doc/collector.md describes them all.\n",
	      out);
}

enum {
	RUN_OPT_PREFIX = 256, RUN_OPT_GROUP, RUN_OPT_CONSUMER, RUN_OPT_BATCH, RUN_OPT_BLOCK,
	RUN_OPT_CLAIM_IDLE, RUN_OPT_CLAIM_INTERVAL, RUN_OPT_NO_TRIM, RUN_OPT_RETENTION,
	RUN_OPT_EXIT_IDLE, RUN_OPT_LOG_LEVEL
};

/* Options into settings; 0, 1 (--help shown), or 2 (usage error). */
static int run_options(const struct cmd_env *env, int argc, char **argv, uint64_t *exit_idle_s)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "redis", required_argument, NULL, 'r' },
		{ "prefix", required_argument, NULL, RUN_OPT_PREFIX },
		{ "group", required_argument, NULL, RUN_OPT_GROUP },
		{ "consumer", required_argument, NULL, RUN_OPT_CONSUMER },
		{ "batch", required_argument, NULL, RUN_OPT_BATCH },
		{ "block-ms", required_argument, NULL, RUN_OPT_BLOCK },
		{ "claim-idle", required_argument, NULL, RUN_OPT_CLAIM_IDLE },
		{ "claim-interval", required_argument, NULL, RUN_OPT_CLAIM_INTERVAL },
		{ "no-trim", no_argument, NULL, RUN_OPT_NO_TRIM },
		{ "retention-days", required_argument, NULL, RUN_OPT_RETENTION },
		{ "exit-idle", required_argument, NULL, RUN_OPT_EXIT_IDLE },
		{ "log-level", required_argument, NULL, RUN_OPT_LOG_LEVEL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct {
		int opt;
		const char *key;
	} keys[] = {
		{ 's', "store" }, { 'r', "redis.url" }, { RUN_OPT_PREFIX, "redis.prefix" },
		{ RUN_OPT_GROUP, "redis.group" }, { RUN_OPT_CONSUMER, "redis.consumer" },
		{ RUN_OPT_BATCH, "collector.batch" }, { RUN_OPT_BLOCK, "collector.block_ms" },
		{ RUN_OPT_CLAIM_IDLE, "collector.claim_idle" },
		{ RUN_OPT_CLAIM_INTERVAL, "collector.claim_interval" },
		{ RUN_OPT_RETENTION, "store.retention_days" }, { RUN_OPT_LOG_LEVEL, "log.level" },
	};
	char err[512];
	int c, li;

	optind = 1;
	for (;;) {
		const char *key = NULL, *name;

		li = -1;
		c = getopt_long(argc, argv, "s:r:h", opts, &li);
		if (c == -1)
			break;
		/* the option as the user named it: a long option by its index,
		 * -s and -r by their long names */
		name = li >= 0 ? opts[li].name : c == 's' ? "store" : "redis";

		if (c == 'h') {
			run_usage(stdout);
			return 1;
		}
		if (c == RUN_OPT_NO_TRIM) {
			env->settings->trim = 0;
			continue;
		}
		if (c == RUN_OPT_EXIT_IDLE) {
			if (conf_value_duration(optarg, 1, 86400, exit_idle_s, err, sizeof(err)) < 0) {
				fprintf(stderr, "zw-collector run: --exit-idle: %s\n", err);
				return 2;
			}
			continue;
		}
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (keys[i].opt == c)
				key = keys[i].key;
		if (!key) {
			run_usage(stderr);
			return 2;
		}
		if (settings_set(env->settings, key, optarg, err, sizeof(err)) < 0) {
			fprintf(stderr, "zw-collector run: --%s: %s\n", name, err);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "zw-collector run: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	return 0;
}

/* The settings' Redis part as the consumer's config.  0 or 2. */
static int run_consume_config(const struct settings *st, struct consume_config *cc, char *name, size_t namelen)
{
	char err[512], host[128];

	memset(cc, 0, sizeof(*cc));
	if (rlink_url_parse(st->redis_url, &cc->link.url, err, sizeof(err)) < 0) {
		fprintf(stderr, "zw-collector run: redis.url: %s\n", err);
		return 2;
	}
	cc->link.connect_timeout_ms = (uint32_t)st->connect_timeout_ms;
	cc->link.command_timeout_ms = (uint32_t)st->command_timeout_ms;
	cc->link.keepalive_s = 30;
	cc->prefix = st->prefix;
	cc->group = st->group;
	if (st->consumer[0]) {
		snprintf(name, namelen, "%s", st->consumer);
	} else {
		if (gethostname(host, sizeof(host)) < 0)
			snprintf(host, sizeof(host), "collector");
		host[sizeof(host) - 1] = '\0';
		snprintf(name, namelen, "%.100s-%ld", host, (long)getpid());
	}
	cc->consumer = name;
	cc->count = (uint32_t)st->batch;
	cc->block_ms = (uint32_t)st->block_ms;
	cc->claim_idle_ms = st->claim_idle_s * 1000u;
	return 0;
}

static int run_loop(struct run *r)
{
	uint64_t start = run_mono_us();

	r->backoff_ms = RUN_BACKOFF_MIN_MS;
	r->last_activity_us = start;
	r->next_stats_us = start + RUN_STATS_INTERVAL_S * 1000000u;
	while (!run_stopping(r)) {
		bool was_connected = consume_is_connected(r->cons);

		if (run_step(r) == 0 && r->exit_idle_s && was_connected && r->parsed < 0 &&
		    run_mono_us() - r->last_activity_us >= r->exit_idle_s * 1000000u) {
			log_info(r->lg, "nothing to read for %" PRIu64 " s: exiting (--exit-idle)",
				 r->exit_idle_s);
			break;
		}
	}
	/* the batch in hand, the last heartbeats, and a trim of what this run
	 * acknowledged */
	if (r->parsed >= 0 && run_flush(r) > 0)
		log_warn(r->lg, "the last batch is stored but not acknowledged: it stays pending"
			 " and is counted as duplicates when read again");
	if (consume_is_connected(r->cons))
		run_timers(r, true);
	run_log_counters(r, run_stopping(r) ? "stopped" : "done");
	return 0;
}

int run_main(const struct cmd_env *env, int argc, char **argv)
{
	struct consume_config cc;
	char err[RUN_ERR_MAX], consumer[CONSUME_NAME_MAX + 1], shown[RLINK_MAX_URL];
	struct run r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.env = env;
	r.st = env->settings;
	r.lg = env->log;
	rc = run_options(env, argc, argv, &r.exit_idle_s);
	if (rc)
		return rc == 1 ? 0 : 2;
	env->log->level = settings_log_level(r.st);
	if (run_consume_config(r.st, &cc, consumer, sizeof(consumer)))
		return 2;
	if (r.st->command_timeout_ms && r.st->command_timeout_ms <= 100) {
		fprintf(stderr, "zw-collector run: redis.command_timeout_ms must be over 100\n");
		return 2;
	}
	r.store = store_open(r.st->store, err, sizeof(err));
	if (!r.store) {
		log_error(r.lg, "%s", err);
		return 1;
	}
	r.consumer = consumer;
	r.cap = r.st->batch;
	r.parsed = -1;
	r.cons = consume_new(&cc);
	r.ids = calloc(r.cap, sizeof(*r.ids));
	rc = !r.cons || !r.ids;
	for (int i = 0; i < RUN_SLOTS && !rc; i++) {
		r.slot[i].recs = calloc(r.cap, sizeof(*r.slot[i].recs));
		r.slot[i].quar = calloc(r.cap, sizeof(*r.slot[i].quar));
		rc = !r.slot[i].recs || !r.slot[i].quar || consume_batch_init(&r.slot[i].b, r.cap) < 0;
	}
	if (rc) {
		log_error(r.lg, "out of memory");
		rc = 1;
		goto out;
	}
	rlink_url_redacted(&cc.link.url, shown, sizeof(shown));
	log_info(r.lg, "zw-collector %s: store %s, redis %s, stream %s, group %s, consumer %s",
		 ZW_VERSION, r.st->store, shown, consume_stream_key(r.cons), r.st->group, consumer);
	rc = run_loop(&r);
out:
	for (int i = 0; i < RUN_SLOTS; i++) {
		run_slot_clear(&r.slot[i]);
		consume_batch_fini(&r.slot[i].b);
		free(r.slot[i].recs);
		free(r.slot[i].quar);
	}
	free(r.ids);
	consume_free(r.cons);
	store_close(r.store);
	return rc;
}
