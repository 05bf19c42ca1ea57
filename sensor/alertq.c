/* alertq — see alertq.h. */
#include "alertq.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALERTQ_MAX_SIDS 4096u     /* per-sid counts of thresholded alerts */

struct alertq_mark {
	uint32_t epoch;
	uint64_t ts_us;
	bool closed;
};

struct alertq_state {
	uint8_t used;
	uint32_t sid;
	uint8_t track;
	uint8_t key[33];          /* version + one or two addresses */
	uint32_t epoch;           /* of window_start: a new epoch starts a new window */
	uint32_t seconds;         /* the window's length (the rule's, when it started) */
	uint64_t window_start;    /* us */
	uint32_t count;           /* events in the window */
	uint32_t emitted;         /* alerts written in the window */
	uint64_t held;            /* held back since the last alert written */
};

struct alertq_sidcount {
	uint32_t sid;
	uint64_t n;
};

struct alertq {
	pthread_mutex_t mu;
	struct sink *out;
	alertq_emit_fn emit;
	void *emit_ctx;
	unsigned producers;
	struct alertq_mark *marks;
	struct alertq_item **heap;
	size_t nheap, capheap;
	struct alertq_state *states;   /* open addressing, ALERTQ_MAX_THRESHOLDS * 2 slots */
	size_t nstates;
	bool swept;                    /* sweep_epoch/sweep_ts: time of the last sweep */
	uint32_t sweep_epoch;
	uint64_t sweep_ts;
	struct alertq_sidcount sids[ALERTQ_MAX_SIDS];
	size_t nsids;
	struct alertq_stats st;
};

#define ALERTQ_STATE_SLOTS (ALERTQ_MAX_THRESHOLDS * 2u)
#define ALERTQ_SWEEP_GAP_US 1000000u   /* packet time between two sweeps */

struct alertq *alertq_new(unsigned producers, struct sink *out, alertq_emit_fn emit, void *ctx)
{
	struct alertq *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->marks = calloc(producers ? producers : 1, sizeof(*q->marks));
	q->states = calloc(ALERTQ_STATE_SLOTS, sizeof(*q->states));
	if (!q->marks || !q->states) {
		free(q->marks);
		free(q->states);
		free(q);
		return NULL;
	}
	pthread_mutex_init(&q->mu, NULL);
	q->producers = producers;
	q->out = out;
	q->emit = emit;
	q->emit_ctx = ctx;
	return q;
}

static void alertq_item_free(struct alertq_item *it)
{
	if (it) {
		free(it->json);
		free(it);
	}
}

void alertq_free(struct alertq *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->nheap; i++)
		alertq_item_free(q->heap[i]);
	free(q->heap);
	free(q->states);
	free(q->marks);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

static int alertq_before(const struct alertq_item *a, const struct alertq_item *b)
{
	if (a->epoch != b->epoch)
		return a->epoch < b->epoch;
	if (a->ts_us != b->ts_us)
		return a->ts_us < b->ts_us;
	return strcmp(a->id, b->id) < 0;
}

static void alertq_heap_up(struct alertq *q, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		struct alertq_item *t;

		if (!alertq_before(q->heap[i], q->heap[parent]))
			break;
		t = q->heap[i];
		q->heap[i] = q->heap[parent];
		q->heap[parent] = t;
		i = parent;
	}
}

static struct alertq_item *alertq_heap_pop(struct alertq *q)
{
	struct alertq_item *top = q->heap[0];
	size_t i = 0;

	q->heap[0] = q->heap[--q->nheap];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct alertq_item *t;

		if (l < q->nheap && alertq_before(q->heap[l], q->heap[m]))
			m = l;
		if (r < q->nheap && alertq_before(q->heap[r], q->heap[m]))
			m = r;
		if (m == i)
			break;
		t = q->heap[i];
		q->heap[i] = q->heap[m];
		q->heap[m] = t;
		i = m;
	}
	return top;
}

static uint64_t alertq_hash(const uint8_t *p, size_t len, uint64_t h)
{
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t alertq_hash(const uint8_t *p, size_t len, uint64_t h);

/* The table is full: drop every state whose window has closed by now (it's
 * epoch and time), rehashing the rest.  A closed window restarts anyway at
 * the next event, so only the held-back count of the last window is lost
 * (it stays in the statistics).  False when nothing could be dropped. */
static bool alertq_sweep(struct alertq *q, const struct alertq_item *now)
{
	struct alertq_state *old = q->states, *fresh;
	size_t kept = 0;

	/* a sweep costs a pass over the table: at most one per second of
	 * packet time (or per time jump), else a full table of open windows
	 * would be swept again for every alert */
	if (q->swept && now->epoch == q->sweep_epoch &&
	    now->ts_us < q->sweep_ts + ALERTQ_SWEEP_GAP_US)
		return false;
	q->swept = true;
	q->sweep_epoch = now->epoch;
	q->sweep_ts = now->ts_us;
	fresh = calloc(ALERTQ_STATE_SLOTS, sizeof(*fresh));
	if (!fresh)
		return false;
	for (size_t i = 0; i < ALERTQ_STATE_SLOTS; i++) {
		const struct alertq_state *s = &old[i];
		size_t slot;

		if (!s->used || s->epoch < now->epoch ||
		    now->ts_us >= s->window_start + (uint64_t)s->seconds * 1000000u)
			continue;
		slot = alertq_hash(s->key, sizeof(s->key), 0xcbf29ce484222325ULL ^ s->sid) &
		       (ALERTQ_STATE_SLOTS - 1);
		while (fresh[slot].used)
			slot = (slot + 1) & (ALERTQ_STATE_SLOTS - 1);
		fresh[slot] = *s;
		kept++;
	}
	if (kept == q->nstates) {
		free(fresh);
		return false;
	}
	q->st.threshold_swept += q->nstates - kept;
	q->states = fresh;
	q->nstates = kept;
	free(old);
	return true;
}

/* The threshold state of it's (sid, tracked addresses); NULL when full. */
static struct alertq_state *alertq_state(struct alertq *q, const struct alertq_item *it)
{
	uint8_t key[33] = { 0 };
	size_t alen = it->ip_version == 6 ? 16 : 4;
	uint64_t h;
	size_t slot;

	key[0] = (uint8_t)it->ip_version;
	if (it->th.track == RULES_TRACK_SRC || it->th.track == RULES_TRACK_PAIR)
		memcpy(key + 1, it->src, alen);
	if (it->th.track == RULES_TRACK_DST)
		memcpy(key + 1, it->dst, alen);
	if (it->th.track == RULES_TRACK_PAIR)
		memcpy(key + 17, it->dst, alen);
	if (it->th.track == RULES_TRACK_RULE)
		key[0] = 0;
	h = alertq_hash(key, sizeof(key), 0xcbf29ce484222325ULL ^ it->sid);
	for (slot = h & (ALERTQ_STATE_SLOTS - 1);; slot = (slot + 1) & (ALERTQ_STATE_SLOTS - 1)) {
		struct alertq_state *s = &q->states[slot];

		if (!s->used) {
			if (q->nstates >= ALERTQ_MAX_THRESHOLDS) {
				if (!alertq_sweep(q, it))
					return NULL;
				return alertq_state(q, it);   /* the slots moved */
			}
			q->nstates++;
			s->used = 1;
			s->sid = it->sid;
			s->track = it->th.track;
			memcpy(s->key, key, sizeof(key));
			s->epoch = it->epoch;
			s->seconds = it->th.seconds;
			s->window_start = it->ts_us;
			return s;
		}
		if (s->sid == it->sid && s->track == it->th.track && !memcmp(s->key, key, sizeof(key)))
			return s;
	}
}

static void alertq_count_held(struct alertq *q, uint32_t sid)
{
	size_t i;

	for (i = 0; i < q->nsids; i++)
		if (q->sids[i].sid == sid)
			break;
	if (i == q->nsids) {
		if (q->nsids == ALERTQ_MAX_SIDS)
			return;   /* the total still counts it */
		/* keep sid order */
		while (i > 0 && q->sids[i - 1].sid > sid) {
			q->sids[i] = q->sids[i - 1];
			i--;
		}
		q->sids[i] = (struct alertq_sidcount){ sid, 0 };
		q->nsids++;
	}
	q->sids[i].n++;
}

/* Does the threshold let it through?  *held_before: alerts of the same
 * state held back since the last one written. */
static bool alertq_pass(struct alertq *q, const struct alertq_item *it, uint64_t *held_before)
{
	struct alertq_state *s;
	bool pass;

	*held_before = 0;
	if (it->th.type == RULES_THRESH_NONE)
		return true;
	s = alertq_state(q, it);
	if (!s) {
		q->st.threshold_full++;
		return true;
	}
	if (it->epoch != s->epoch || it->ts_us < s->window_start ||
	    it->ts_us >= s->window_start + (uint64_t)it->th.seconds * 1000000u) {
		s->epoch = it->epoch;
		s->seconds = it->th.seconds;
		s->window_start = it->ts_us;
		s->count = 0;
		s->emitted = 0;
	}
	s->count++;
	switch (it->th.type) {
	case RULES_THRESH_LIMIT:        /* the first count of each window */
		pass = s->count <= it->th.count;
		break;
	case RULES_THRESH_THRESHOLD:    /* every count-th */
		pass = s->count % it->th.count == 0;
		break;
	default:                        /* both: once per window, at the count-th */
		pass = s->count == it->th.count;
		break;
	}
	if (!pass) {
		s->held++;
		q->st.thresholded++;
		alertq_count_held(q, it->sid);
		return false;
	}
	*held_before = s->held;
	s->held = 0;
	s->emitted++;
	return true;
}

static void alertq_write(struct alertq *q, struct alertq_item *it)
{
	uint64_t held;
	char tail[64];
	int n;

	if (alertq_pass(q, it, &held)) {
		if (held)
			n = snprintf(tail, sizeof(tail), ",\"suppressed_before\":%llu}\n",
				     (unsigned long long)held);
		else
			n = snprintf(tail, sizeof(tail), "}\n");
		/* the item has room for the tail: see alertq_push */
		memcpy(it->json + it->len, tail, (size_t)n);
		if (q->out && sink_enabled(q->out))
			sink_write(q->out, it->json, it->len + (size_t)n);
		if (q->emit)
			q->emit(q->emit_ctx, it->json, it->len + (size_t)n - 1, it);
		q->st.emitted++;
	}
	alertq_item_free(it);
}

void alertq_write_line(struct alertq *q, const char *line, size_t len, uint32_t sid,
		       uint8_t severity, const char *id)
{
	struct alertq_item it;
	char *buf = malloc(len + 1);

	pthread_mutex_lock(&q->mu);
	if (!buf) {
		q->st.dropped++;
		pthread_mutex_unlock(&q->mu);
		return;
	}
	memcpy(buf, line, len);
	buf[len] = '\n';
	memset(&it, 0, sizeof(it));
	it.sid = sid;
	it.severity = severity;
	snprintf(it.id, sizeof(it.id), "%s", id);
	if (q->out && sink_enabled(q->out))
		sink_write(q->out, buf, len + 1);
	if (q->emit)
		q->emit(q->emit_ctx, buf, len, &it);
	q->st.emitted++;
	pthread_mutex_unlock(&q->mu);
	free(buf);
}

/* Write what every producer has moved past. */
static void alertq_release(struct alertq *q)
{
	struct alertq_mark low = { UINT32_MAX, UINT64_MAX, true };

	for (unsigned p = 0; p < q->producers; p++) {
		const struct alertq_mark *m = &q->marks[p];

		if (m->closed)
			continue;
		if (m->epoch < low.epoch || (m->epoch == low.epoch && m->ts_us < low.ts_us)) {
			low = *m;
			low.closed = false;
		}
	}
	while (q->nheap) {
		const struct alertq_item *top = q->heap[0];

		if (!low.closed && (top->epoch > low.epoch ||
				    (top->epoch == low.epoch && top->ts_us >= low.ts_us)))
			break;
		alertq_write(q, alertq_heap_pop(q));
	}
}

void alertq_push(struct alertq *q, unsigned p, struct alertq_item *in)
{
	struct alertq_item *it = malloc(sizeof(*it));
	char *json = in->json ? realloc(in->json, in->len + 64) : NULL;  /* room for the tail */

	(void)p;
	pthread_mutex_lock(&q->mu);
	if (!it || !json) {
		q->st.dropped++;
		pthread_mutex_unlock(&q->mu);
		free(it);
		free(json ? json : in->json);
		return;
	}
	*it = *in;
	it->json = json;
	if (q->nheap == q->capheap) {
		size_t cap = q->capheap ? q->capheap * 2 : 256;
		struct alertq_item **h = realloc(q->heap, cap * sizeof(*h));
		if (!h) {
			q->st.dropped++;
			pthread_mutex_unlock(&q->mu);
			alertq_item_free(it);
			return;
		}
		q->heap = h;
		q->capheap = cap;
	}
	q->heap[q->nheap++] = it;
	alertq_heap_up(q, q->nheap - 1);
	while (q->nheap > ALERTQ_MAX_PENDING) {
		q->st.order_forced++;
		alertq_write(q, alertq_heap_pop(q));
	}
	pthread_mutex_unlock(&q->mu);
}

void alertq_advance(struct alertq *q, unsigned p, uint32_t epoch, uint64_t ts_us)
{
	pthread_mutex_lock(&q->mu);
	if (p < q->producers) {
		q->marks[p].epoch = epoch;
		q->marks[p].ts_us = ts_us;
	}
	alertq_release(q);
	pthread_mutex_unlock(&q->mu);
}

void alertq_close(struct alertq *q, unsigned p)
{
	pthread_mutex_lock(&q->mu);
	if (p < q->producers)
		q->marks[p].closed = true;
	alertq_release(q);
	pthread_mutex_unlock(&q->mu);
}

void alertq_stats_get(struct alertq *q, struct alertq_stats *out)
{
	pthread_mutex_lock(&q->mu);
	*out = q->st;
	pthread_mutex_unlock(&q->mu);
}

void alertq_thresholded_each(struct alertq *q, void (*cb)(void *ctx, uint32_t sid, uint64_t n),
			     void *ctx)
{
	pthread_mutex_lock(&q->mu);
	for (size_t i = 0; i < q->nsids; i++)
		cb(ctx, q->sids[i].sid, q->sids[i].n);
	pthread_mutex_unlock(&q->mu);
}
