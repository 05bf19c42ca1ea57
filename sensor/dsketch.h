/*
 * dsketch — small fixed-size summaries that the behavioural detectors keep
 * per host or pair, all over a sliding window of packet time:
 *
 *   dcount   distinct items (ports, hosts, names) seen in the window:
 *            linear counting over a 512-bit bitmap per quarter window,
 *            272 bytes; standard error about 5 % at 1,000 items (less
 *            below), a lower bound beyond ~1,500 (saturated).
 *   dwin     a sum (packets, bytes) over the window, in tenths.
 *   dperiod  the times of the last DPERIOD_MAX events and how periodic
 *            they are (median interval, relative median absolute deviation).
 *   dvol     not per key: one array shared by all keys that estimates each
 *            key's total over the last one to two windows, never below
 *            the truth (a count-min sketch).  A detector asks it whether a
 *            key has come near a threshold before it gives the key an
 *            entry of its own.
 *
 * dcount, dwin and dperiod are plain data, embedded in dtab values (zeroed
 * = empty); dvol allocates its array once.  No clock: every call takes the
 * time.  The window is the caller's, and must be the same on every call
 * for one summary.
 */
#ifndef ZW_DSKETCH_H
#define ZW_DSKETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DCOUNT_SLOTS 4
#define DCOUNT_BITS  512
#define DCOUNT_SATURATED 3000.0   /* what a full bitmap reads as: at least this */

struct dcount {
	uint32_t quarter[DCOUNT_SLOTS];   /* time / (window / 4) + 1 of each bitmap; 0: empty */
	uint64_t bits[DCOUNT_SLOTS][DCOUNT_BITS / 64];
};

/* Add an item (by a well-mixed 64-bit hash of it).  Returns true when it was
 * not yet in the window (its bit was clear in every live quarter).  An item
 * at a time older than the window its quarter now holds is ignored. */
bool dcount_add(struct dcount *c, uint64_t item_hash, uint64_t now_us, uint64_t window_us);
/* Distinct items in the window ending at now_us (the last 3 to 4 quarters). */
double dcount_estimate(const struct dcount *c, uint64_t now_us, uint64_t window_us);

#define DWIN_SLOTS 10

struct dwin {
	uint32_t tenth[DWIN_SLOTS];       /* time / (window / 10) + 1; 0: empty */
	uint64_t sum[DWIN_SLOTS];
};

/* Add n at now_us (ignored when older than the window its tenth now holds). */
void dwin_add(struct dwin *w, uint64_t n, uint64_t now_us, uint64_t window_us);
/* The sum over the window ending at now_us (the last 9 to 10 tenths). */
uint64_t dwin_sum(const struct dwin *w, uint64_t now_us, uint64_t window_us);

#define DPERIOD_MAX 32

struct dperiod {
	uint64_t t[DPERIOD_MAX];          /* event times, a ring */
	uint32_t n;                       /* events recorded (capped at DPERIOD_MAX in the ring) */
	uint32_t head;                    /* next slot to write */
};

struct dperiod_score {
	unsigned intervals;               /* intervals looked at */
	double period_s;                  /* their median, seconds */
	double jitter;                    /* median |interval - median| / median */
	double span_s;                    /* first to last event, seconds */
};

void dperiod_add(struct dperiod *p, uint64_t ts_us);
/* Score the recorded events.  intervals 0 when fewer than 3 events. */
void dperiod_score(const struct dperiod *p, struct dperiod_score *out);
/* The same over n times in order (used by dperiod_score; for tests). */
void dperiod_score_times(const uint64_t *t, unsigned n, struct dperiod_score *out);

/* Two rows of counters, each key in one counter per row (by the low and
 * the high half of its hash), for the current and the previous epoch (an
 * epoch is a window long).  A key's estimate is the smaller of its two
 * rows' sums over both epochs: at least what the key added within the last
 * window (more when other keys share both its counters, or from up to a
 * window before that), exact while no other key shares a counter with it. */
struct dvol {
	uint64_t *c;                      /* [row 2][slots][epoch 2] */
	uint32_t mask;                    /* slots - 1 */
	uint32_t cur;                     /* the current epoch: 0 or 1 */
	uint64_t epoch_us;                /* start of the current epoch; 0: none yet */
};

/* slots per row: rounded down to a power of two, at least 64.  0 or -1
 * (out of memory). */
int dvol_init(struct dvol *v, uint32_t slots);
void dvol_free(struct dvol *v);
void dvol_clear(struct dvol *v);
size_t dvol_bytes(const struct dvol *v);
/* Start fetching a key's counters into the CPU cache (for a batch). */
void dvol_prefetch(const struct dvol *v, uint64_t key_hash);
/* Add n to a key (by a well-mixed 64-bit hash) at now_us; returns its
 * estimate, n included.  Times must not go back by more than a window. */
uint64_t dvol_add(struct dvol *v, uint64_t key_hash, uint64_t n, uint64_t now_us,
		  uint64_t window_us);

/* A well-mixed 64-bit hash of a few bytes (items for dcount). */
uint64_t dsketch_hash(const void *p, size_t n, uint64_t salt);

#endif
