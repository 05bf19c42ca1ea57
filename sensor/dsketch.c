/*
 * dsketch — see dsketch.h.
 *
 * dcount is linear counting (Whang, Vander-Zanden, Taylor 1990): with m
 * bits of which z are still zero after n distinct items were hashed in,
 * n is about m * ln(m / z).  Four bitmaps, one per quarter of the window,
 * are ORed to read the window; the oldest quarter is dropped whole, so the
 * window read is between 3/4 and all of the configured one.
 */
#include "dsketch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t dsketch_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* Words are folded in with a multiply and a rotation each (a short chain
 * of dependent instructions: keys are hashed on every packet), then the
 * whole is mixed once. */
uint64_t dsketch_hash(const void *p, size_t n, uint64_t salt)
{
	const unsigned char *b = p;
	uint64_t h = salt ^ ((uint64_t)n * 0x9e3779b97f4a7c15ULL);
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, b + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h = (h << 31) | (h >> 33);
	}
	if (i < n) {
		uint64_t w = 0;
		memcpy(&w, b + i, n - i);
		h = (h ^ w ^ 0x9e3779b97f4a7c15ULL) * 0xff51afd7ed558ccdULL;
	}
	return dsketch_mix(h);
}

static uint32_t dsketch_period(uint64_t now_us, uint64_t window_us, unsigned parts)
{
	uint64_t part = window_us / parts;

	if (part == 0)
		part = 1;
	return (uint32_t)(now_us / part + 1);
}

bool dcount_add(struct dcount *c, uint64_t item_hash, uint64_t now_us, uint64_t window_us)
{
	uint32_t q = dsketch_period(now_us, window_us, DCOUNT_SLOTS);
	unsigned bit = (unsigned)(item_hash % DCOUNT_BITS);
	unsigned word = bit / 64;
	uint64_t mask = 1ULL << (bit % 64);
	unsigned s = q % DCOUNT_SLOTS;
	bool seen = false;

	if (c->quarter[s] != q) {
		if (c->quarter[s] > q)
			return false;   /* older than the window this slot now holds */
		memset(c->bits[s], 0, sizeof(c->bits[s]));
		c->quarter[s] = q;
	}
	for (unsigned i = 0; i < DCOUNT_SLOTS; i++)
		if (c->quarter[i] && q - c->quarter[i] < DCOUNT_SLOTS && (c->bits[i][word] & mask))
			seen = true;
	c->bits[s][word] |= mask;
	return !seen;
}

double dcount_estimate(const struct dcount *c, uint64_t now_us, uint64_t window_us)
{
	uint32_t q = dsketch_period(now_us, window_us, DCOUNT_SLOTS);
	unsigned zeros = 0;

	for (unsigned w = 0; w < DCOUNT_BITS / 64; w++) {
		uint64_t u = 0;
		for (unsigned i = 0; i < DCOUNT_SLOTS; i++)
			if (c->quarter[i] && q - c->quarter[i] < DCOUNT_SLOTS)
				u |= c->bits[i][w];
		zeros += (unsigned)(64 - __builtin_popcountll(u));
	}
	if (zeros == 0)
		return DCOUNT_SATURATED;
	return (double)DCOUNT_BITS * log((double)DCOUNT_BITS / (double)zeros);
}

void dwin_add(struct dwin *w, uint64_t n, uint64_t now_us, uint64_t window_us)
{
	uint32_t t = dsketch_period(now_us, window_us, DWIN_SLOTS);
	unsigned s = t % DWIN_SLOTS;

	if (w->tenth[s] != t) {
		if (w->tenth[s] > t)
			return;         /* older than the window this slot now holds */
		w->tenth[s] = t;
		w->sum[s] = 0;
	}
	w->sum[s] += n;
}

uint64_t dwin_sum(const struct dwin *w, uint64_t now_us, uint64_t window_us)
{
	uint32_t t = dsketch_period(now_us, window_us, DWIN_SLOTS);
	uint64_t sum = 0;

	for (unsigned i = 0; i < DWIN_SLOTS; i++)
		if (w->tenth[i] && t - w->tenth[i] < DWIN_SLOTS)
			sum += w->sum[i];
	return sum;
}

void dperiod_add(struct dperiod *p, uint64_t ts_us)
{
	p->t[p->head] = ts_us;
	p->head = (p->head + 1) % DPERIOD_MAX;
	if (p->n < DPERIOD_MAX)
		p->n++;
}

static void dsketch_sort(uint64_t *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		uint64_t x = v[i];
		unsigned j = i;
		while (j > 0 && v[j - 1] > x) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

/* Median of sorted v[0..n), n >= 1. */
static double dsketch_median(const uint64_t *v, unsigned n)
{
	if (n % 2)
		return (double)v[n / 2];
	return ((double)v[n / 2 - 1] + (double)v[n / 2]) / 2.0;
}

void dperiod_score_times(const uint64_t *t, unsigned n, struct dperiod_score *out)
{
	uint64_t d[DPERIOD_MAX], dev[DPERIOD_MAX];
	unsigned k = 0;
	double med;

	memset(out, 0, sizeof(*out));
	if (n > DPERIOD_MAX)
		n = DPERIOD_MAX;
	if (n < 3)
		return;
	for (unsigned i = 0; i + 1 < n; i++)
		d[k++] = t[i + 1] >= t[i] ? t[i + 1] - t[i] : 0;
	dsketch_sort(d, k);
	med = dsketch_median(d, k);
	for (unsigned i = 0; i < k; i++) {
		double x = (double)d[i] - med;
		dev[i] = (uint64_t)(x < 0 ? -x : x);
	}
	dsketch_sort(dev, k);
	out->intervals = k;
	out->period_s = med / 1e6;
	out->jitter = med > 0 ? dsketch_median(dev, k) / med : 1e9;
	out->span_s = t[n - 1] > t[0] ? (double)(t[n - 1] - t[0]) / 1e6 : 0;
}

void dperiod_score(const struct dperiod *p, struct dperiod_score *out)
{
	uint64_t t[DPERIOD_MAX];
	unsigned n = p->n, start = (p->head + DPERIOD_MAX - n) % DPERIOD_MAX;

	for (unsigned i = 0; i < n; i++)
		t[i] = p->t[(start + i) % DPERIOD_MAX];
	dperiod_score_times(t, n, out);
}

/* ------------------------------------------------------------------ */
/* dvol                                                                */

int dvol_init(struct dvol *v, uint32_t slots)
{
	uint32_t n = 64;

	while (n <= slots / 2)
		n *= 2;
	memset(v, 0, sizeof(*v));
	v->c = calloc((size_t)4 * n, sizeof(*v->c));
	if (!v->c)
		return -1;
	v->mask = n - 1;
	return 0;
}

void dvol_free(struct dvol *v)
{
	free(v->c);
	v->c = NULL;
}

void dvol_clear(struct dvol *v)
{
	memset(v->c, 0, dvol_bytes(v));
	v->cur = 0;
	v->epoch_us = 0;
}

size_t dvol_bytes(const struct dvol *v)
{
	return v->c ? (size_t)4 * ((size_t)v->mask + 1) * sizeof(*v->c) : 0;
}

/* Counter i of a row for an epoch: the two epochs of a counter side by
 * side, so an update reads one cache line per row. */
static uint64_t *dvol_at(const struct dvol *v, uint32_t row, uint32_t i, uint32_t epoch)
{
	return v->c + (((size_t)row * ((size_t)v->mask + 1) + i) * 2 + epoch);
}

/* Make the current epoch the one that holds now_us. */
static void dvol_roll(struct dvol *v, uint64_t now_us, uint64_t window_us)
{
	if (window_us == 0)
		window_us = 1;
	if (v->epoch_us && now_us < v->epoch_us + window_us)
		return;
	if (v->epoch_us && now_us < v->epoch_us + 2 * window_us) {
		/* one epoch on: the current one becomes the previous one */
		v->cur ^= 1u;
		v->epoch_us += window_us;
		for (uint32_t row = 0; row < 2; row++)
			for (uint32_t i = 0; i <= v->mask; i++)
				*dvol_at(v, row, i, v->cur) = 0;
		return;
	}
	/* the first time, or two epochs or more on: all forgotten */
	dvol_clear(v);
	v->epoch_us = now_us ? now_us : 1;
}

void dvol_prefetch(const struct dvol *v, uint64_t key_hash)
{
	__builtin_prefetch(dvol_at(v, 0, (uint32_t)key_hash & v->mask, 0), 1);
	__builtin_prefetch(dvol_at(v, 1, (uint32_t)(key_hash >> 32) & v->mask, 0), 1);
}

uint64_t dvol_add(struct dvol *v, uint64_t key_hash, uint64_t n, uint64_t now_us,
		  uint64_t window_us)
{
	uint32_t i0 = (uint32_t)key_hash & v->mask, i1 = (uint32_t)(key_hash >> 32) & v->mask;
	uint64_t *a, *b, e0, e1;

	dvol_roll(v, now_us, window_us);
	a = dvol_at(v, 0, i0, 0);
	b = dvol_at(v, 1, i1, 0);
	a[v->cur] += n;
	b[v->cur] += n;
	e0 = a[0] + a[1];
	e1 = b[0] + b[1];
	return e0 < e1 ? e0 : e1;
}
