/* Unit tests: the detectors' summaries (dsketch.h) — distinct counting
 * (accuracy, duplicates, the sliding window, saturation), windowed sums,
 * periodicity scoring, the shared volume estimate (never below the truth,
 * exact alone, its epochs) — and their bounded table (dtab.h: cap, least
 * recently used eviction, touch, expiry, clear, delete, a million keys
 * through ten thousand entries). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dsketch.h"
#include "dtab.h"

#define SEC 1000000ULL

/* A deterministic generator for the tests (splitmix64). */
static uint64_t rnd_state = 0x1234567887654321ULL;

static uint64_t rnd(void)
{
	uint64_t z = (rnd_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double rnd_unit(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static uint64_t item(uint64_t i, uint64_t salt)
{
	return dsketch_hash(&i, sizeof(i), salt);
}

/* ---- dcount ---------------------------------------------------------- */

static void test_dcount_accuracy(void)
{
	static const unsigned ns[] = { 1, 5, 20, 50, 100, 300, 1000 };
	const uint64_t win = 60 * SEC, now = 1000 * SEC;

	for (unsigned k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		for (uint64_t salt = 1; salt <= 4; salt++) {
			struct dcount c;
			double est;

			memset(&c, 0, sizeof(c));
			for (unsigned i = 0; i < ns[k]; i++)
				dcount_add(&c, item(i, salt), now, win);
			est = dcount_estimate(&c, now, win);
			if (ns[k] <= 5)
				CHECK(fabs(est - ns[k]) <= 1.0, "dcount n=%u salt %llu: %.2f", ns[k],
				      (unsigned long long)salt, est);
			else
				CHECK(fabs(est - ns[k]) <= 0.1 * ns[k], "dcount n=%u salt %llu: %.1f",
				      ns[k], (unsigned long long)salt, est);
		}
	}
	{
		struct dcount c;

		memset(&c, 0, sizeof(c));
		CHECK(dcount_estimate(&c, now, win) == 0.0, "empty dcount reads 0");
	}
	/* One estimate is a random variable: linear counting with 512 bits has
	 * a standard error of about 3 % at 100 items and 4.6 % at 1,000, so
	 * 10 % is not a bound for every hash.  Over 200 salts: unbiased (mean
	 * error within 2 %), and at least 90 % of the estimates within 10 %. */
	for (unsigned k = 2; k < sizeof(ns) / sizeof(ns[0]); k++) {
		double sum = 0;
		unsigned within = 0;

		for (uint64_t salt = 100; salt < 300; salt++) {
			struct dcount c;
			double err;

			memset(&c, 0, sizeof(c));
			for (unsigned i = 0; i < ns[k]; i++)
				dcount_add(&c, item(i, salt), now, win);
			err = (dcount_estimate(&c, now, win) - ns[k]) / ns[k];
			sum += err;
			within += fabs(err) <= 0.1;
		}
		CHECK(fabs(sum / 200) < 0.02, "dcount n=%u: mean error %.4f", ns[k], sum / 200);
		CHECK(within >= 180, "dcount n=%u: %u of 200 within 10 %%", ns[k], within);
	}
}

static void test_dcount_duplicates(void)
{
	const uint64_t win = 60 * SEC, now = 5000 * SEC;
	struct dcount c;
	unsigned fresh = 0, bits_set = 0;
	uint8_t bit_seen[DCOUNT_BITS] = { 0 };
	double once, thrice;

	memset(&c, 0, sizeof(c));
	CHECK(dcount_add(&c, item(7, 9), now, win), "the first item is new");
	CHECK(!dcount_add(&c, item(7, 9), now, win), "the same item again is not");
	CHECK(!dcount_add(&c, item(7, 9), now + 5 * SEC, win), "nor a little later, in the window");

	memset(&c, 0, sizeof(c));
	for (unsigned i = 0; i < 200; i++) {
		uint64_t h = item(i, 3);

		if (!bit_seen[h % DCOUNT_BITS]) {
			bit_seen[h % DCOUNT_BITS] = 1;
			bits_set++;
		}
		fresh += dcount_add(&c, h, now, win);
	}
	/* new exactly when its bit was clear: two items sharing a bit read as one */
	CHECK(fresh == bits_set, "true for each new bit (%u, %u bits)", fresh, bits_set);
	once = dcount_estimate(&c, now, win);
	for (unsigned r = 0; r < 2; r++)
		for (unsigned i = 0; i < 200; i++)
			CHECK(!dcount_add(&c, item(i, 3), now + r * SEC, win), "repeat %u of item %u", r, i);
	thrice = dcount_estimate(&c, now + SEC, win);
	CHECK(once == thrice, "duplicates do not raise the count (%.1f, %.1f)", once, thrice);
}

static void test_dcount_window(void)
{
	const uint64_t win = 60 * SEC;
	unsigned bad_in = 0, bad_out = 0, bad_readd = 0;

	/* one item at many phases of the quarters: counted for 3/4 of a window
	 * at least, never after a whole window */
	for (unsigned phase = 0; phase < 200; phase++) {
		uint64_t t0 = 10000 * SEC + phase * (win / 137);
		struct dcount c;

		memset(&c, 0, sizeof(c));
		dcount_add(&c, item(phase, 5), t0, win);
		for (uint64_t d = 0; d <= win * 3 / 4; d += SEC / 2)
			if (dcount_estimate(&c, t0 + d, win) < 0.5)
				bad_in++;
		for (uint64_t d = win; d <= 3 * win; d += SEC / 2)
			if (dcount_estimate(&c, t0 + d, win) != 0.0)
				bad_out++;
		if (!dcount_add(&c, item(phase, 5), t0 + win, win))
			bad_readd++;
	}
	CHECK(bad_in == 0, "items of the last 3/4 window are counted (%u misses)", bad_in);
	CHECK(bad_out == 0, "items older than a window are not (%u)", bad_out);
	CHECK(bad_readd == 0, "an item a window old is new again (%u)", bad_readd);

	/* a steady stream of 10 new items a second over a 60 s window reads
	 * 450 to 600 */
	{
		struct dcount c;
		uint64_t t = 20000 * SEC, i = 0;
		double est;

		memset(&c, 0, sizeof(c));
		for (unsigned s = 0; s < 300; s++, t += SEC)
			for (unsigned j = 0; j < 10; j++)
				dcount_add(&c, item(i++, 11), t, win);
		est = dcount_estimate(&c, t - SEC, win);
		CHECK(est >= 450 * 0.9 && est <= 600 * 1.1, "sliding stream: %.0f in the window", est);
	}
}

static void test_dcount_saturation(void)
{
	const uint64_t win = 60 * SEC, now = 100 * SEC;
	struct dcount c;

	memset(&c, 0, sizeof(c));
	for (unsigned i = 0; i < 20000; i++)
		dcount_add(&c, item(i, 17), now, win);
	CHECK(dcount_estimate(&c, now, win) == DCOUNT_SATURATED, "full bitmap: saturated");
	/* the full bitmap spreads over quarters too */
	memset(&c, 0, sizeof(c));
	for (unsigned i = 0; i < 20000; i++)
		dcount_add(&c, item(i, 19), now + (i % 4) * (win / 4), win);
	CHECK(dcount_estimate(&c, now + 3 * (win / 4), win) == DCOUNT_SATURATED,
	      "full across quarters: saturated");
}

/* ---- dwin ------------------------------------------------------------- */

static void test_dwin(void)
{
	const uint64_t win = 10 * SEC;
	struct dwin w;
	unsigned bad = 0;
	uint64_t t;

	memset(&w, 0, sizeof(w));
	CHECK(dwin_sum(&w, 50 * SEC, win) == 0, "empty dwin: 0");
	dwin_add(&w, 5, 50 * SEC, win);
	dwin_add(&w, 7, 50 * SEC + SEC / 2, win);
	dwin_add(&w, 30, 53 * SEC, win);
	CHECK(dwin_sum(&w, 53 * SEC, win) == 42, "sum %llu", (unsigned long long)dwin_sum(&w, 53 * SEC, win));
	CHECK(dwin_sum(&w, 59 * SEC, win) == 42, "still all in at 9 s");
	CHECK(dwin_sum(&w, 60 * SEC, win) == 30, "the first second slid out at 10 s (%llu)",
	      (unsigned long long)dwin_sum(&w, 60 * SEC, win));
	CHECK(dwin_sum(&w, 63 * SEC, win) == 0, "all out at 13 s");
	CHECK(dwin_sum(&w, 500 * SEC, win) == 0, "and much later");

	/* 1 a second: the window holds 9 or 10 of them */
	memset(&w, 0, sizeof(w));
	for (t = 1000 * SEC; t < 1100 * SEC; t += SEC) {
		uint64_t s;

		dwin_add(&w, 1, t, win);
		s = dwin_sum(&w, t, win);
		if (t >= 1010 * SEC && (s < 9 || s > 10))
			bad++;
	}
	CHECK(bad == 0, "steady 1/s reads 9 or 10 (%u off)", bad);

	/* at any phase: counted for 9/10 of a window, gone after a window */
	bad = 0;
	for (unsigned phase = 0; phase < 100; phase++) {
		uint64_t t0 = 2000 * SEC + phase * (win / 37);

		memset(&w, 0, sizeof(w));
		dwin_add(&w, 100, t0, win);
		if (dwin_sum(&w, t0 + win * 9 / 10, win) != 100 || dwin_sum(&w, t0 + win, win) != 0)
			bad++;
	}
	CHECK(bad == 0, "slides at every phase (%u off)", bad);

	/* large amounts (bytes) */
	memset(&w, 0, sizeof(w));
	dwin_add(&w, UINT64_C(3) << 32, 10 * SEC, win);
	dwin_add(&w, UINT64_C(5) << 32, 11 * SEC, win);
	CHECK(dwin_sum(&w, 11 * SEC, win) == UINT64_C(8) << 32, "64-bit sums");
}

/* ---- dvol ------------------------------------------------------------- */

#define DVOL_KEYS 2000
#define DVOL_ADDS 200000

static void test_dvol(void)
{
	const uint64_t win = 100 * SEC;
	static uint64_t hist_t[DVOL_ADDS];
	static uint32_t hist_k[DVOL_ADDS], hist_n[DVOL_ADDS];
	uint64_t keys[DVOL_KEYS], t = 5000 * SEC, over = 0, truth_sum = 0;
	unsigned below = 0, checked = 0;
	struct dvol v;

	CHECK(dvol_init(&v, 1000) == 0, "dvol_init");
	CHECK(dvol_bytes(&v) == 4u * 512u * 8u, "1000 slots round down to 512 per row (%zu bytes)",
	      dvol_bytes(&v));

	/* one key alone: exact, within and across one epoch; forgotten after two */
	CHECK(dvol_add(&v, item(1, 7), 10, t, win) == 10, "alone: 10");
	CHECK(dvol_add(&v, item(1, 7), 5, t + 50 * SEC, win) == 15, "alone: 15 in the window");
	CHECK(dvol_add(&v, item(1, 7), 1, t + 150 * SEC, win) == 16,
	      "the previous epoch still counts (a window later)");
	CHECK(dvol_add(&v, item(2, 7), 3, t + 150 * SEC, win) == 3, "another key alone: 3");
	CHECK(dvol_add(&v, item(1, 7), 1, t + 420 * SEC, win) == 1, "two epochs on: forgotten");
	dvol_clear(&v);
	CHECK(dvol_add(&v, item(1, 7), 2, t, win) == 2, "cleared");
	dvol_free(&v);

	/* many keys sharing 4096 counters a row: never below what each added
	 * within the last window, and not far above on average */
	CHECK(dvol_init(&v, 4096) == 0, "dvol_init 4096");
	for (unsigned i = 0; i < DVOL_KEYS; i++)
		keys[i] = item(i, 99);
	for (unsigned a = 0; a < DVOL_ADDS; a++) {
		unsigned k = (unsigned)(rnd() % DVOL_KEYS);
		uint32_t n = (uint32_t)(1 + rnd() % 1500);
		uint64_t est, truth = 0;

		t += rnd() % (2 * SEC);
		hist_t[a] = t;
		hist_k[a] = k;
		hist_n[a] = n;
		est = dvol_add(&v, keys[k], n, t, win);
		if (a % 97 != 0)
			continue;
		/* this key's total over (t - win, t] */
		for (unsigned b = a + 1; b-- > 0 && hist_t[b] + win > t;)
			if (hist_k[b] == k)
				truth += hist_n[b];
		checked++;
		if (est < truth)
			below++;
		else
			over += est - truth;
		truth_sum += truth;
	}
	CHECK(checked > 2000, "checked %u estimates", checked);
	CHECK(below == 0, "never below the truth (%u below)", below);
	CHECK(over < truth_sum, "on average less than the truth above it (%llu over %llu)",
	      (unsigned long long)over, (unsigned long long)truth_sum);
	dvol_free(&v);
}

/* ---- dperiod ---------------------------------------------------------- */

static void test_dperiod(void)
{
	struct dperiod p;
	struct dperiod_score sc;
	uint64_t t;

	/* exact period */
	memset(&p, 0, sizeof(p));
	for (unsigned i = 0; i < 12; i++)
		dperiod_add(&p, 1000 * SEC + i * 60 * SEC);
	dperiod_score(&p, &sc);
	CHECK(sc.intervals == 11, "12 events, 11 intervals (%u)", sc.intervals);
	CHECK(sc.period_s == 60.0 && sc.jitter == 0.0, "exact 60 s: period %.3f jitter %.3f",
	      sc.period_s, sc.jitter);
	CHECK(sc.span_s == 660.0, "span %.1f", sc.span_s);

	/* 60 s with +-10 % uniform jitter, several draws */
	for (unsigned run = 0; run < 20; run++) {
		memset(&p, 0, sizeof(p));
		t = 1000 * SEC;
		for (unsigned i = 0; i < 32; i++) {
			dperiod_add(&p, t);
			t += (uint64_t)(60.0 * SEC * (0.9 + 0.2 * rnd_unit()));
		}
		dperiod_score(&p, &sc);
		CHECK(sc.jitter < 0.1 && fabs(sc.period_s - 60.0) < 3.0,
		      "jittered 60 s run %u: period %.2f jitter %.3f", run, sc.period_s, sc.jitter);
	}
	/* also with as few events as the default threshold (12) */
	for (unsigned run = 0; run < 20; run++) {
		memset(&p, 0, sizeof(p));
		t = 1000 * SEC;
		for (unsigned i = 0; i < 12; i++) {
			dperiod_add(&p, t);
			t += (uint64_t)(60.0 * SEC * (0.9 + 0.2 * rnd_unit()));
		}
		dperiod_score(&p, &sc);
		CHECK(sc.jitter < 0.1 && fabs(sc.period_s - 60.0) < 6.0,
		      "jittered 60 s, 12 events, run %u: period %.2f jitter %.3f", run, sc.period_s,
		      sc.jitter);
	}

	/* exponential intervals (mean 60 s): no timer */
	for (unsigned run = 0; run < 20; run++) {
		memset(&p, 0, sizeof(p));
		t = 1000 * SEC;
		for (unsigned i = 0; i < 32; i++) {
			dperiod_add(&p, t);
			t += (uint64_t)(-60.0 * SEC * log(1.0 - rnd_unit())) + 1;
		}
		dperiod_score(&p, &sc);
		CHECK(sc.jitter > 0.3, "random run %u: jitter %.3f", run, sc.jitter);
	}

	/* a few missed check-ins do not hide the timer */
	memset(&p, 0, sizeof(p));
	t = 0;
	for (unsigned i = 0; i < 20; i++) {
		t += (i == 5 || i == 13) ? 180 * SEC : 60 * SEC;
		dperiod_add(&p, t);
	}
	dperiod_score(&p, &sc);
	CHECK(sc.period_s == 60.0 && sc.jitter == 0.0, "two gaps: period %.1f jitter %.3f",
	      sc.period_s, sc.jitter);

	/* fewer than 3 events: nothing */
	memset(&p, 0, sizeof(p));
	dperiod_score(&p, &sc);
	CHECK(sc.intervals == 0, "0 events");
	dperiod_add(&p, 10 * SEC);
	dperiod_score(&p, &sc);
	CHECK(sc.intervals == 0, "1 event");
	dperiod_add(&p, 20 * SEC);
	dperiod_score(&p, &sc);
	CHECK(sc.intervals == 0 && sc.period_s == 0.0, "2 events");
	dperiod_add(&p, 30 * SEC);
	dperiod_score(&p, &sc);
	CHECK(sc.intervals == 2 && sc.period_s == 10.0, "3 events: 2 intervals of 10 s");

	/* the ring keeps the latest 32: 8 irregular events, then 32 regular */
	memset(&p, 0, sizeof(p));
	t = 100 * SEC;
	for (unsigned i = 0; i < 8; i++) {
		t += (1 + i * 7) * SEC;
		dperiod_add(&p, t);
	}
	for (unsigned i = 0; i < 32; i++) {
		t += 30 * SEC;
		dperiod_add(&p, t);
	}
	CHECK(p.n == DPERIOD_MAX, "n capped at %u (%u)", DPERIOD_MAX, p.n);
	dperiod_score(&p, &sc);
	CHECK(sc.intervals == 31 && sc.period_s == 30.0 && sc.jitter == 0.0 && sc.span_s == 930.0,
	      "after wrap: %u intervals, period %.1f, jitter %.3f, span %.1f", sc.intervals,
	      sc.period_s, sc.jitter, sc.span_s);
	/* and one more irregular one shows as the newest */
	dperiod_add(&p, t + 1 * SEC);
	dperiod_score(&p, &sc);
	CHECK(sc.intervals == 31 && sc.span_s == 901.0, "newest kept, oldest dropped (span %.1f)",
	      sc.span_s);

	/* dperiod_score_times: the same on a plain array, capped at 32 */
	{
		uint64_t times[40];

		for (unsigned i = 0; i < 40; i++)
			times[i] = i * 5 * SEC;
		dperiod_score_times(times, 40, &sc);
		CHECK(sc.intervals == 31 && sc.period_s == 5.0, "score_times caps at 32 events");
		dperiod_score_times(times, 2, &sc);
		CHECK(sc.intervals == 0, "score_times, 2 events");
	}
	/* all at once: period 0, jitter huge (never a beacon) */
	memset(&p, 0, sizeof(p));
	for (unsigned i = 0; i < 10; i++)
		dperiod_add(&p, 7 * SEC);
	dperiod_score(&p, &sc);
	CHECK(sc.period_s == 0.0 && sc.jitter > 1.0, "simultaneous events: period 0, jitter %g",
	      sc.jitter);
}

/* ---- dtab ------------------------------------------------------------- */

struct left {
	unsigned n;
	uint64_t last_key;
	uint64_t last_used;
	uint64_t last_val;
};

static void on_leave(void *ctx, const void *key, void *val, uint64_t last_us)
{
	struct left *l = ctx;

	l->n++;
	memcpy(&l->last_key, key, sizeof(l->last_key));
	memcpy(&l->last_val, val, sizeof(l->last_val));
	l->last_used = last_us;
}

struct tval {
	uint64_t v;
	uint64_t w;
};

static struct tval *put(struct dtab *t, uint64_t key, uint64_t now, int *created)
{
	return dtab_put(t, &key, now, created);
}

static struct tval *get(struct dtab *t, uint64_t key)
{
	return dtab_get(t, &key);
}

static void test_dtab_basic(void)
{
	struct left l = { 0 };
	struct dtab *t = dtab_new(sizeof(uint64_t), sizeof(struct tval), 4, on_leave, &l);
	struct dtab_stats st;
	struct tval *v;
	int created;
	uint64_t k;

	CHECK(t != NULL, "dtab_new");
	if (!t)
		return;
	CHECK(dtab_new(8, 8, 0, NULL, NULL) == NULL, "0 entries: NULL");
	CHECK(dtab_new(DTAB_KEY_MAX + 1, 8, 4, NULL, NULL) == NULL, "key too large: NULL");
	CHECK(dtab_entries_for(8, 8, 0) == 1, "entries_for: at least 1");
	CHECK(dtab_entries_for(8, 8, 1u << 20) > 1000, "entries_for 1 MiB of 16-byte entries");

	/* up to the cap */
	for (k = 1; k <= 4; k++) {
		v = put(t, k, k * SEC, &created);
		CHECK(created && v->v == 0 && v->w == 0, "key %llu made, zeroed", (unsigned long long)k);
		v->v = k * 100;
	}
	dtab_stats_get(t, &st);
	CHECK(st.entries == 4 && st.max_entries == 4 && st.inserted == 4 && st.evicted == 0,
	      "4 of 4 entries");
	CHECK(dtab_bytes(t) > 0 && st.bytes == dtab_bytes(t), "bytes reserved");
	v = put(t, 2, 5 * SEC, &created);
	CHECK(!created && v->v == 200, "existing key: same value");
	/* key 2 is now the most recent: order 1, 3, 4, 2 */
	memcpy(&k, dtab_key(t, v), sizeof(k));
	CHECK(k == 2, "dtab_key");

	/* full: the least recently used (1) goes, through the callback */
	v = put(t, 5, 6 * SEC, &created);
	CHECK(created && v->v == 0, "key 5 made zeroed in a reused slot");
	v->v = 500;
	dtab_stats_get(t, &st);
	CHECK(st.entries == 4 && st.evicted == 1, "entries %llu, evicted %llu",
	      (unsigned long long)st.entries, (unsigned long long)st.evicted);
	CHECK(l.n == 1 && l.last_key == 1 && l.last_val == 100 && l.last_used == 1 * SEC,
	      "leave(1) with its value and last use");
	CHECK(get(t, 1) == NULL && get(t, 5) != NULL, "1 gone, 5 in");

	/* order now 3, 4, 2, 5: a get does not reorder, so 3 goes next */
	CHECK(get(t, 3) && get(t, 3)->v == 300, "get 3");
	put(t, 6, 7 * SEC, &created);
	CHECK(l.n == 2 && l.last_key == 3, "get did not save 3 (left %llu)",
	      (unsigned long long)l.last_key);
	/* order 4, 2, 5, 6: a touch does reorder, so 4 stays and 2 goes */
	v = get(t, 4);
	CHECK(v != NULL, "4 still there");
	if (v)
		dtab_touch(t, v, 8 * SEC);
	put(t, 7, 9 * SEC, &created);
	CHECK(l.n == 3 && l.last_key == 2 && get(t, 4) != NULL, "touch saved 4 (left %llu)",
	      (unsigned long long)l.last_key);

	/* order 5 (6 s), 6 (7 s), 4 (8 s), 7 (9 s): expire before 8 s takes 5 and 6 */
	CHECK(dtab_expire(t, 8 * SEC, 0) == 2, "expire: 2 idle");
	CHECK(get(t, 5) == NULL && get(t, 6) == NULL && get(t, 4) && get(t, 7), "only the idle went");
	dtab_stats_get(t, &st);
	CHECK(st.expired == 2 && st.entries == 2 && st.evicted == 3 && l.n == 5,
	      "expired %llu entries %llu", (unsigned long long)st.expired,
	      (unsigned long long)st.entries);
	CHECK(dtab_expire(t, 8 * SEC, 0) == 0, "nothing more before 8 s");
	/* max limits an expiry */
	put(t, 8, 10 * SEC, &created);
	CHECK(dtab_expire(t, 100 * SEC, 1) == 1 && get(t, 4) == NULL && get(t, 7) != NULL,
	      "expire at most 1: the oldest");

	/* delete: no callback */
	v = get(t, 7);
	if (v)
		dtab_del(t, v);
	CHECK(get(t, 7) == NULL && l.n == 6, "del: gone without the callback (n %u)", l.n);
	dtab_stats_get(t, &st);
	CHECK(st.entries == 1, "1 left (%llu)", (unsigned long long)st.entries);
	/* the freed slots are reused up to the cap again */
	for (k = 20; k < 23; k++)
		put(t, k, 20 * SEC, &created);
	dtab_stats_get(t, &st);
	CHECK(st.entries == 4 && st.evicted == 3, "refilled without eviction");

	/* clear: empty, no callback */
	dtab_clear(t);
	dtab_stats_get(t, &st);
	CHECK(st.entries == 0 && get(t, 8) == NULL && get(t, 20) == NULL && l.n == 6,
	      "clear empties silently");
	v = put(t, 8, 30 * SEC, &created);
	CHECK(created && v->v == 0, "usable after clear");
	dtab_free(t);
	dtab_free(NULL);
}

static void test_dtab_million(void)
{
	struct left l = { 0 };
	struct dtab *t = dtab_new(sizeof(uint64_t), sizeof(struct tval), 10000, on_leave, &l);
	struct dtab_stats st;
	unsigned missing = 0;
	uint64_t keys[100];
	int created;

	CHECK(t != NULL, "10,000-entry table");
	if (!t)
		return;
	rnd_state = 42;
	/* splitmix64 of a counter is a bijection: a million distinct keys */
	for (uint64_t i = 0; i < 1000000; i++) {
		uint64_t k = rnd();
		struct tval *v = dtab_put(t, &k, i * 1000, &created);   /* 1 ms apart */

		v->v = k;
		if (i >= 1000000 - 100)
			keys[i - (1000000 - 100)] = k;
	}
	dtab_stats_get(t, &st);
	CHECK(st.entries == 10000 && st.evicted == 990000 && st.inserted == 1000000,
	      "entries %llu, evicted %llu", (unsigned long long)st.entries,
	      (unsigned long long)st.evicted);
	CHECK(l.n == 990000, "callback for each eviction (%u)", l.n);
	for (unsigned i = 0; i < 100; i++) {
		struct tval *v = dtab_get(t, &keys[i]);

		if (!v || v->v != keys[i])
			missing++;
	}
	CHECK(missing == 0, "the newest keys are all there (%u missing)", missing);
	/* entries last moved a second or more before the cut go: those of
	 * 990000..994999 ms (the one-second slack of dtab.h) */
	CHECK(dtab_expire(t, (uint64_t)994999 * 1000 + 1000000 + 1, 0) == 5000,
	      "expire the older half");
	dtab_stats_get(t, &st);
	CHECK(st.entries == 5000, "5,000 left");
	dtab_free(t);
}

int main(void)
{
	test_dcount_accuracy();
	test_dcount_duplicates();
	test_dcount_window();
	test_dcount_saturation();
	test_dwin();
	test_dvol();
	test_dperiod();
	test_dtab_basic();
	test_dtab_million();
	return check_done();
}
