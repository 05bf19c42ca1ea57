/*
 * stats — the sensor's counters, summed over the capture thread and the
 * workers, as a JSON statistics record and as log lines.
 * Field reference: doc/flow-records.md, "Statistics records".
 *
 * Main thread only.
 */
#ifndef ZW_STATS_H
#define ZW_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "capture.h"
#include "decode.h"
#include "detect.h"
#include "jsonw.h"
#include "log.h"
#include "alertq.h"
#include "output.h"
#include "worker.h"

/* Counters of the capture thread. */
#define STATS_MAX_IFACES 8

/* One interface's share of the counters below (live capture). */
struct stats_iface {
	const char *name;                   /* borrowed */
	uint64_t packets, bytes, queue_drops;
	struct capture_stats kernel;
};

struct stats_capture {
	uint64_t packets, bytes;
	uint64_t decode[DECODE_NREASONS];   /* by decode_frame() result */
	uint64_t queue_drops;      /* live: worker ring full for 50 ms (or congested) */
	uint64_t queue_waits;      /* live: packets that waited for room in a worker ring */
	uint64_t input_errors;     /* files that could not be opened or read to the end */
	uint64_t time_jumps;       /* files older than the one before: flows flushed */
	uint64_t reloads;          /* SIGHUP reloads that took effect */
	struct capture_stats kernel;
	struct stats_iface iface[STATS_MAX_IFACES];   /* live: by interface */
	unsigned nifaces;
};

/* sum += s: the counters of one capture thread, whose interface is
 * sum->iface[iface] (iface >= sum->nifaces: none).  The per-run counters
 * (input_errors, time_jumps, reloads) are not added. */
void stats_add_capture(struct stats_capture *sum, const struct stats_capture *s, unsigned iface);

/* sum += s */
void stats_add_worker(struct worker_stats *sum, const struct worker_stats *s);

/* One statistics record and a newline. */
void stats_json(struct jsonw *w, const struct stats_capture *cap, const struct worker_stats *wk,
		struct alertq *aq, const struct output_stats *redis, const struct detect *det,
		const char *sensor_id, uint64_t now_us, uint64_t uptime_s, bool final);

/* Three log lines at level info. */
void stats_log(const struct log *lg, const struct stats_capture *cap,
	       const struct worker_stats *wk, const struct detect *det);

#endif
