/*
 * output — see output.h.
 *
 * The thread's loop, every wake-up (an alert queued, or 100 ms):
 *   1. not connected and the retry time has come: connect; on success read
 *      the last sequence number Redis has from this sensor and drop from the
 *      spool and the queue what it already has;
 *   2. connected: send the spool first (oldest first, a batch at a time,
 *      committing each batch Redis acknowledged); when the spool is empty,
 *      send from the memory queue;
 *   3. whatever could not be sent from the memory queue goes to the spool,
 *      so the queue drains even while Redis is down;
 *   4. heartbeat when due.
 * A send that fails drops the connection; nothing of that batch was added
 * (MULTI/EXEC), and it is kept (spool) or spooled (queue) for later.
 */
#include "output.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define OUTPUT_MAX_BATCH 4096u

struct output_item {
	uint64_t seq;
	uint32_t sid;
	uint8_t severity;
	char alert_id[33];
	size_t len;
	char json[];
};

struct output {
	struct output_config cfg;
	char prefix[64], sensor_id[256];
	struct stream *stream;
	struct spool *spool;
	pthread_t thread;

	pthread_mutex_t mu;            /* guards everything below */
	pthread_cond_t cond;           /* to the thread: work to do */
	pthread_cond_t room;           /* to producers: the queue has room */
	struct output_item **q;        /* ring */
	size_t qcap, qhead, qlen, qbytes;
	struct output_item **fq;       /* flow records: ring */
	size_t fqcap, fqhead, fqlen, fqbytes;
	uint64_t next_seq;
	bool stopping;
	uint64_t stop_deadline_ms;
	char *hb[2 * OUTPUT_MAX_FIELDS];   /* heartbeat name/value copies */
	size_t hb_pairs;
	size_t busy;                   /* taken from the queue, not yet sent or spooled */
	struct output_lost lost;       /* not yet taken */
	uint64_t corrupt_seen;         /* spool.corrupt already counted as lost */
	struct output_stats st;
};

static uint64_t output_now_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- losses ------------------------------------------------------------ */

#define OUTPUT_LOST_FILE "lost"

/* n alerts lost now (o->mu held). */
static void output_lost_note(struct output *o, uint64_t n)
{
	uint64_t now = output_now_ms(CLOCK_REALTIME) * 1000u;

	if (!n)
		return;
	if (!o->lost.count)
		o->lost.first_us = now;
	o->lost.count += n;
	o->lost.last_us = now;
	o->st.lost_unreported = o->lost.count;
}

static void output_lost_path(const struct output *o, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", o->cfg.spool.dir, OUTPUT_LOST_FILE);
}

/* What a previous run lost and could not report (a missing file: none). */
static void output_lost_load(struct output *o)
{
	char path[4096];
	unsigned long long n, first, last;
	FILE *f;

	output_lost_path(o, path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return;
	if (fscanf(f, "zonewatch-lost 1 %llu %llu %llu", &n, &first, &last) == 3 && n) {
		o->lost.count = n;
		o->lost.first_us = first;
		o->lost.last_us = last;
		o->st.lost_unreported = n;
	} else if (o->cfg.log) {
		log_warn(o->cfg.log, "%s: not a count of lost alerts; ignored", path);
	}
	fclose(f);
}

/* Keep the count for the next run (written to a temporary name, then
 * renamed: a crash leaves the old count or the new one). */
static void output_lost_save(struct output *o)
{
	char path[4096], tmp[4200];
	FILE *f;
	int bad;

	output_lost_path(o, path, sizeof(path));
	if (!o->lost.count) {
		unlink(path);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		goto fail;
	fprintf(f, "zonewatch-lost 1 %llu %llu %llu\n", (unsigned long long)o->lost.count,
		(unsigned long long)o->lost.first_us, (unsigned long long)o->lost.last_us);
	bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
	bad |= fclose(f) != 0;
	if (bad || rename(tmp, path) != 0)
		goto fail;
	return;
fail:
	if (o->cfg.log)
		log_error(o->cfg.log, "%s: cannot keep the count of %llu lost alerts: %s", path,
			  (unsigned long long)o->lost.count, strerror(errno));
}

int output_lost_take(struct output *o, struct output_lost *out)
{
	char path[4096];

	pthread_mutex_lock(&o->mu);
	*out = o->lost;
	memset(&o->lost, 0, sizeof(o->lost));
	o->st.lost_unreported = 0;
	pthread_mutex_unlock(&o->mu);
	if (!out->count)
		return 0;
	output_lost_path(o, path, sizeof(path));
	unlink(path);   /* taken: if the report is lost in turn, it is counted anew */
	return 1;
}

/* ---- producers ------------------------------------------------------- */

void output_push(struct output *o, const char *json, size_t len, uint32_t sid, uint8_t severity,
		 const char *alert_id)
{
	struct output_item *it;

	pthread_mutex_lock(&o->mu);
	while (o->cfg.wait_when_full && !o->stopping && len <= o->cfg.queue_bytes &&
	       (o->qlen == o->qcap || o->qbytes + len > o->cfg.queue_bytes)) {
		o->st.queue_waits++;
		pthread_cond_wait(&o->room, &o->mu);
	}
	if (o->qlen == o->qcap || o->qbytes + len > o->cfg.queue_bytes ||
	    !(it = malloc(sizeof(*it) + len))) {
		o->st.queue_dropped++;
		output_lost_note(o, 1);
		pthread_mutex_unlock(&o->mu);
		return;
	}
	it->seq = ++o->next_seq;
	it->sid = sid;
	it->severity = severity;
	snprintf(it->alert_id, sizeof(it->alert_id), "%s", alert_id ? alert_id : "");
	it->len = len;
	memcpy(it->json, json, len);
	o->q[(o->qhead + o->qlen) % o->qcap] = it;
	o->qlen++;
	o->qbytes += len;
	o->st.queued++;
	pthread_cond_signal(&o->cond);
	pthread_mutex_unlock(&o->mu);
}

void output_set_wait_when_full(struct output *o, bool on)
{
	pthread_mutex_lock(&o->mu);
	o->cfg.wait_when_full = on;
	pthread_mutex_unlock(&o->mu);
}

void output_push_flows(struct output *o, const char *lines, size_t len)
{
	const char *p = lines, *end = lines + len;

	pthread_mutex_lock(&o->mu);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		struct output_item *it;

		if (n && (o->fqlen == o->fqcap || o->fqbytes + n > o->cfg.flows_queue_bytes ||
			  !(it = malloc(sizeof(*it) + n)))) {
			o->st.flows_dropped++;
		} else if (n) {
			memset(it, 0, sizeof(*it));
			it->len = n;
			memcpy(it->json, p, n);
			o->fq[(o->fqhead + o->fqlen) % o->fqcap] = it;
			o->fqlen++;
			o->fqbytes += n;
			o->st.flows_queued++;
		}
		p += n + 1;
	}
	pthread_cond_signal(&o->cond);
	pthread_mutex_unlock(&o->mu);
}

void output_set_heartbeat(struct output *o, const char *const *fields, size_t npairs)
{
	char *copy[2 * OUTPUT_MAX_FIELDS] = { NULL };
	size_t n = npairs < OUTPUT_MAX_FIELDS ? npairs : OUTPUT_MAX_FIELDS;

	for (size_t i = 0; i < 2 * n; i++)
		copy[i] = strdup(fields[i] ? fields[i] : "");
	pthread_mutex_lock(&o->mu);
	for (size_t i = 0; i < 2 * o->hb_pairs; i++)
		free(o->hb[i]);
	memcpy(o->hb, copy, 2 * n * sizeof(copy[0]));
	o->hb_pairs = n;
	pthread_mutex_unlock(&o->mu);
}

/* ---- the thread ------------------------------------------------------- */

/* Take up to max items from the queue (oldest first). */
static size_t output_take(struct output *o, struct output_item **out, size_t max)
{
	size_t n = 0;

	while (n < max && o->qlen) {
		out[n] = o->q[o->qhead];
		o->qbytes -= out[n]->len;
		o->qhead = (o->qhead + 1) % o->qcap;
		o->qlen--;
		n++;
	}
	if (n)
		pthread_cond_broadcast(&o->room);
	return n;
}

/* A connect or a send failed: count it (a field of o->st), note since when
 * Redis is down, say why, drop the connection. */
static void output_down(struct output *o, uint64_t *failures, const char *what)
{
	pthread_mutex_lock(&o->mu);
	(*failures)++;
	if (!o->st.down_since_s)
		o->st.down_since_s = (uint64_t)time(NULL);
	pthread_mutex_unlock(&o->mu);
	if (o->cfg.log)
		log_warn(o->cfg.log, "redis: %s: %s (alerts go to the spool)", what,
			 stream_error(o->stream));
	stream_disconnect(o->stream);
}

/* Connect, then forget what Redis already has. */
static void output_connect(struct output *o, uint64_t *last_seq)
{
	uint64_t seq = 0;
	const void *rec;
	size_t len, n = 0;
	uint64_t rseq;

	pthread_mutex_lock(&o->mu);
	o->st.connects++;
	pthread_mutex_unlock(&o->mu);
	if (stream_connect(o->stream) < 0 || stream_last_seq(o->stream, &seq) < 0) {
		output_down(o, &o->st.connect_failures, "cannot connect");
		return;
	}
	*last_seq = seq;
	while (spool_peek(o->spool, n, &rec, &len, &rseq) == 1 && rseq <= seq)
		n++;
	if (n)
		spool_commit(o->spool, n);
	pthread_mutex_lock(&o->mu);
	/* Redis knows a later number than ours (the clock went back and the
	 * spool was lost): continue after it, or new alerts would look sent */
	if (o->next_seq < seq)
		o->next_seq = seq;
	o->st.skipped += n;
	if (o->st.down_since_s && o->cfg.log)
		log_info(o->cfg.log, "redis: connected again after %llu s",
			 (unsigned long long)((uint64_t)time(NULL) - o->st.down_since_s));
	o->st.down_since_s = 0;
	pthread_mutex_unlock(&o->mu);
}

static void output_failed(struct output *o)
{
	output_down(o, &o->st.send_failures, "send failed");
}

/* A spooled record: the fields sent beside the alert, then its line.
 *   u32 sid (little-endian), u8 severity, 32 bytes alert_id (NUL padded) */
#define OUTPUT_SPOOL_HDR 37u

static void output_put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t output_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Send the spool's oldest records; true while there may be more to do. */
static bool output_send_spool(struct output *o, struct stream_entry *e)
{
	size_t n = 0, len;
	const void *rec;
	uint64_t seq;
	char *bufs[OUTPUT_MAX_BATCH];
	bool ok;

	/* spool_peek's buffer lasts until the next call: copy the batch */
	while (n < o->cfg.batch && spool_peek(o->spool, n, &rec, &len, &seq) == 1) {
		const uint8_t *r = rec;

		bufs[n] = malloc(len ? len : 1);
		if (!bufs[n])
			break;
		memcpy(bufs[n], rec, len);
		memset(&e[n], 0, sizeof(e[n]));
		e[n].seq = seq;
		if (len >= OUTPUT_SPOOL_HDR) {   /* else a record we cannot read: its line only */
			e[n].sid = output_get_u32(r);
			e[n].severity = r[4];
			memcpy(e[n].alert_id, r + 5, 32);
			e[n].alert_id[32] = '\0';
			e[n].json = bufs[n] + OUTPUT_SPOOL_HDR;
			e[n].len = len - OUTPUT_SPOOL_HDR;
		} else {
			e[n].json = bufs[n];
			e[n].len = len;
		}
		n++;
	}
	if (!n)
		return false;
	ok = stream_send(o->stream, "alerts", e, n) == 0;
	for (size_t i = 0; i < n; i++)
		free(bufs[i]);
	if (!ok) {
		output_failed(o);
		return false;
	}
	spool_commit(o->spool, n);
	pthread_mutex_lock(&o->mu);
	o->st.sent += n;
	o->st.batches++;
	pthread_mutex_unlock(&o->mu);
	return true;
}

/* Items the queue gave that cannot be sent now: into the spool. */
static void output_spool_items(struct output *o, struct output_item **it, size_t n)
{
	uint64_t spooled = 0, dropped = 0;

	for (size_t i = 0; i < n; i++) {
		size_t len = OUTPUT_SPOOL_HDR + it[i]->len;
		uint8_t *rec = malloc(len);

		if (rec) {
			output_put_u32(rec, it[i]->sid);
			rec[4] = it[i]->severity;
			memset(rec + 5, 0, 32);
			memcpy(rec + 5, it[i]->alert_id, strnlen(it[i]->alert_id, 32));
			memcpy(rec + OUTPUT_SPOOL_HDR, it[i]->json, it[i]->len);
		}
		if (rec && spool_append(o->spool, it[i]->seq, rec, len) == 0)
			spooled++;
		else
			dropped++;
		free(rec);
		free(it[i]);
	}
	pthread_mutex_lock(&o->mu);
	o->st.spooled += spooled;
	o->st.spool_dropped += dropped;
	output_lost_note(o, dropped);
	pthread_mutex_unlock(&o->mu);
}

static void output_send_items(struct output *o, struct output_item **it, size_t n,
			      struct stream_entry *e, uint64_t last_seq)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		if (it[i]->seq <= last_seq)   /* Redis has it (an EXEC whose reply was lost) */
			continue;
		memset(&e[m], 0, sizeof(e[m]));
		e[m].seq = it[i]->seq;
		e[m].json = it[i]->json;
		e[m].len = it[i]->len;
		e[m].sid = it[i]->sid;
		e[m].severity = it[i]->severity;
		memcpy(e[m].alert_id, it[i]->alert_id, sizeof(e[m].alert_id));
		m++;
	}
	if (m && stream_send(o->stream, "alerts", e, m) < 0) {
		output_failed(o);
		output_spool_items(o, it, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		free(it[i]);
	pthread_mutex_lock(&o->mu);
	o->st.sent += m;
	o->st.skipped += n - m;
	o->st.batches += m ? 1 : 0;
	pthread_mutex_unlock(&o->mu);
}

/* Send a batch of flow records (o->mu not held); what fails is dropped. */
static void output_send_flows(struct output *o, struct stream_entry *e)
{
	struct output_item *it[OUTPUT_MAX_BATCH];
	size_t n = 0;
	int rc;

	pthread_mutex_lock(&o->mu);
	while (n < o->cfg.batch && o->fqlen) {
		it[n] = o->fq[o->fqhead];
		o->fqbytes -= it[n]->len;
		o->fqhead = (o->fqhead + 1) % o->fqcap;
		o->fqlen--;
		n++;
	}
	pthread_mutex_unlock(&o->mu);
	if (!n)
		return;
	for (size_t i = 0; i < n; i++) {
		memset(&e[i], 0, sizeof(e[i]));
		e[i].json = it[i]->json;
		e[i].len = it[i]->len;
	}
	rc = stream_send_plain(o->stream, "flows", e, n);
	for (size_t i = 0; i < n; i++)
		free(it[i]);
	pthread_mutex_lock(&o->mu);
	if (rc == 0)
		o->st.flows_sent += n;
	else
		o->st.flows_dropped += n;
	pthread_mutex_unlock(&o->mu);
	if (rc < 0)
		output_failed(o);
}

static void output_heartbeat(struct output *o)
{
	const char *fields[2 * OUTPUT_MAX_FIELDS + 1];
	char *copy[2 * OUTPUT_MAX_FIELDS];
	size_t n;

	pthread_mutex_lock(&o->mu);
	n = o->hb_pairs;
	for (size_t i = 0; i < 2 * n; i++)
		copy[i] = o->hb[i] ? strdup(o->hb[i]) : NULL;   /* NULL: no memory, sent as "" */
	pthread_mutex_unlock(&o->mu);
	if (!n)
		return;   /* nothing to say yet */
	for (size_t i = 0; i < 2 * n; i++)
		fields[i] = copy[i] ? copy[i] : "";
	fields[2 * n] = NULL;
	if (stream_heartbeat(o->stream, fields, o->cfg.heartbeat_ttl_s, (uint64_t)time(NULL)) == 0) {
		pthread_mutex_lock(&o->mu);
		o->st.heartbeats++;
		pthread_mutex_unlock(&o->mu);
	} else {
		output_failed(o);
	}
	for (size_t i = 0; i < 2 * n; i++)
		free(copy[i]);
}

static void *output_main(void *arg)
{
	struct output *o = arg;
	struct output_item *items[OUTPUT_MAX_BATCH];
	struct stream_entry *e = calloc(OUTPUT_MAX_BATCH, sizeof(*e));
	uint64_t next_try = 0, next_beat = 0, last_seq = 0;
	uint32_t backoff = o->cfg.retry_ms;

	for (;;) {
		uint64_t now = output_now_ms(CLOCK_MONOTONIC);
		struct spool_stats ss;
		bool stopping, deadline, more_spool;
		size_t n;

		if (!stream_connected(o->stream) && now >= next_try) {
			output_connect(o, &last_seq);
			if (stream_connected(o->stream)) {
				backoff = o->cfg.retry_ms;
			} else {
				next_try = now + backoff;
				if (backoff < 8 * o->cfg.retry_ms)
					backoff *= 2;
			}
		}
		/* the spool first: order is the spool's, then the queue's; a few
		 * batches per round, so the queue keeps draining into the spool
		 * behind them */
		more_spool = false;
		for (int b = 0; b < 8 && e && stream_connected(o->stream); b++) {
			more_spool = output_send_spool(o, e);
			if (!more_spool)
				break;
		}
		spool_stats_get(o->spool, &ss);
		pthread_mutex_lock(&o->mu);
		o->st.spool = ss;
		if (ss.corrupt > o->corrupt_seen) {   /* records the spool had to skip */
			output_lost_note(o, ss.corrupt - o->corrupt_seen);
			o->corrupt_seen = ss.corrupt;
		}
		o->st.connected = stream_connected(o->stream);
		n = output_take(o, items, o->cfg.batch);
		o->busy = n;
		stopping = o->stopping;
		deadline = stopping && now >= o->stop_deadline_ms;
		pthread_mutex_unlock(&o->mu);
		if (n) {
			if (e && stream_connected(o->stream) && ss.records == 0 && !deadline)
				output_send_items(o, items, n, e, last_seq);
			else
				output_spool_items(o, items, n);
			spool_stats_get(o->spool, &ss);
			pthread_mutex_lock(&o->mu);
			o->busy = 0;
			o->st.spool = ss;
			o->st.connected = stream_connected(o->stream);
			pthread_mutex_unlock(&o->mu);
		}
		/* flow records after the alerts, and only when no alert waits */
		if (e && o->fq && stream_connected(o->stream) && ss.records == 0)
			output_send_flows(o, e);
		if (stream_connected(o->stream) && o->cfg.heartbeat_s && now >= next_beat) {
			output_heartbeat(o);
			next_beat = now + (uint64_t)o->cfg.heartbeat_s * 1000u;
		}
		pthread_mutex_lock(&o->mu);
		if (o->stopping && o->qlen == 0) {
			/* until the deadline, keep trying to deliver the spool,
			 * reconnecting if need be; what is left stays spooled */
			spool_stats_get(o->spool, &ss);
			if ((ss.records == 0 && o->fqlen == 0) ||
			    output_now_ms(CLOCK_MONOTONIC) >= o->stop_deadline_ms) {
				pthread_mutex_unlock(&o->mu);
				break;
			}
		}
		/* sleep unless there is something to send now: the queue, or on
		 * a connection the spool (the last round sent a batch from it:
		 * records it cannot read must not make this loop spin) or flow
		 * records (only once no alert is spooled) */
		if (o->qlen == 0 &&
		    (!stream_connected(o->stream) ||
		     (!more_spool && (o->fqlen == 0 || o->st.spool.records != 0)))) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 100 * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&o->cond, &o->mu, &ts);
		}
		pthread_mutex_unlock(&o->mu);
	}
	if (stream_connected(o->stream) && o->cfg.heartbeat_s)
		output_heartbeat(o);   /* the final counters */
	free(e);
	return NULL;
}

/* ---- life ------------------------------------------------------------- */

static void output_free(struct output *o)
{
	if (!o)
		return;
	while (o->qlen) {
		free(o->q[o->qhead]);
		o->qhead = (o->qhead + 1) % o->qcap;
		o->qlen--;
	}
	while (o->fqlen) {
		free(o->fq[o->fqhead]);
		o->fqhead = (o->fqhead + 1) % o->fqcap;
		o->fqlen--;
	}
	free(o->fq);
	for (size_t i = 0; i < 2 * o->hb_pairs; i++)
		free(o->hb[i]);
	free(o->q);
	stream_free(o->stream);
	spool_close(o->spool);
	pthread_cond_destroy(&o->cond);
	pthread_cond_destroy(&o->room);
	pthread_mutex_destroy(&o->mu);
	free(o);
}

struct output *output_start(const struct output_config *cfg, char *err, size_t errlen)
{
	struct output *o = calloc(1, sizeof(*o));
	uint64_t now_us;
	int rc;

	if (!o) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&o->mu, NULL);
	pthread_cond_init(&o->cond, NULL);
	pthread_cond_init(&o->room, NULL);
	o->cfg = *cfg;
	snprintf(o->prefix, sizeof(o->prefix), "%s", cfg->stream.prefix ? cfg->stream.prefix : "zw");
	snprintf(o->sensor_id, sizeof(o->sensor_id), "%s", cfg->stream.sensor_id);
	o->cfg.stream.prefix = o->prefix;
	o->cfg.stream.sensor_id = o->sensor_id;
	if (o->cfg.batch == 0 || o->cfg.batch > OUTPUT_MAX_BATCH)
		o->cfg.batch = o->cfg.batch ? OUTPUT_MAX_BATCH : 256;
	if (!o->cfg.retry_ms)
		o->cfg.retry_ms = 500;
	/* room for queue_bytes of alerts of 256 bytes or more */
	o->qcap = o->cfg.queue_bytes / 256 > 65536 ? (size_t)(o->cfg.queue_bytes / 256) : 65536;
	o->q = calloc(o->qcap, sizeof(*o->q));
	if (cfg->flows_queue_bytes) {
		o->fqcap = 65536;
		o->fq = calloc(o->fqcap, sizeof(*o->fq));
	}
	o->stream = stream_new(&o->cfg.stream);
	if (!o->q || !o->stream || (cfg->flows_queue_bytes && !o->fq)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	o->spool = spool_open(&cfg->spool, err, errlen);
	if (!o->spool)
		goto fail;
	output_lost_load(o);
	/* sequence numbers keep increasing across restarts: past what the
	 * spool has seen, and past the clock (a spool that was lost) */
	now_us = output_now_ms(CLOCK_REALTIME) * 1000u;
	o->next_seq = spool_last_seq(o->spool);
	if (o->next_seq < now_us)
		o->next_seq = now_us;
	rc = pthread_create(&o->thread, NULL, output_main, o);
	if (rc) {
		snprintf(err, errlen, "cannot start the output thread: %s", strerror(rc));
		goto fail;
	}
	pthread_setname_np(o->thread, "zw-output");
	return o;
fail:
	output_free(o);
	return NULL;
}

void output_stop(struct output *o, uint32_t timeout_ms, struct output_stats *final)
{
	if (!o)
		return;
	pthread_mutex_lock(&o->mu);
	o->stopping = true;
	o->stop_deadline_ms = output_now_ms(CLOCK_MONOTONIC) + timeout_ms;
	pthread_cond_signal(&o->cond);
	pthread_cond_broadcast(&o->room);
	pthread_mutex_unlock(&o->mu);
	pthread_join(o->thread, NULL);
	output_lost_save(o);
	o->st.flows_dropped += o->fqlen;   /* not delivered by the deadline */
	if (final) {
		*final = o->st;
		spool_stats_get(o->spool, &final->spool);   /* the thread has ended */
	}
	output_free(o);
}

void output_drain(struct output *o, uint32_t timeout_ms)
{
	uint64_t deadline = output_now_ms(CLOCK_MONOTONIC) + timeout_ms;

	for (;;) {
		bool done;

		pthread_mutex_lock(&o->mu);
		done = o->qlen == 0 && o->busy == 0 && o->st.spool.records == 0;
		pthread_mutex_unlock(&o->mu);
		if (done || output_now_ms(CLOCK_MONOTONIC) >= deadline)
			return;
		nanosleep(&(struct timespec){ 0, 10 * 1000000L }, NULL);
	}
}

void output_stats_get(struct output *o, struct output_stats *out)
{
	pthread_mutex_lock(&o->mu);
	*out = o->st;   /* st.spool: the output thread's copy of the last round */
	pthread_mutex_unlock(&o->mu);
}
