/* stats — see stats.h. */
#include "stats.h"

#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>

#include "record.h"

void stats_add_worker(struct worker_stats *sum, const struct worker_stats *s)
{
	sum->packets += s->packets;
	sum->bytes += s->bytes;
	sum->records += s->records;
	sum->records_dropped += s->records_dropped;
	sum->fragments_attributed += s->fragments_attributed;
	sum->fragments_unattributed += s->fragments_unattributed;
	sum->frags.evicted += s->frags.evicted;
	sum->memory += s->memory;
	sum->alerts += s->alerts;
	sum->alerts_silenced += s->alerts_silenced;
	sum->alerts_fired_full += s->alerts_fired_full;
	sum->alerts_dropped += s->alerts_dropped;
	sum->geo.lookups += s->geo.lookups;
	sum->geo.hits += s->geo.hits;
	sum->geo.misses += s->geo.misses;
	sum->geo.errors += s->geo.errors;
	sum->flows.created += s->flows.created;
	sum->flows.alloc_failed += s->flows.alloc_failed;
	sum->flows.active += s->flows.active;
	sum->flows.peak += s->flows.peak;
	for (int r = 0; r < FLOW_END_COUNT; r++)
		sum->flows.ended[r] += s->flows.ended[r];
	sum->dpi.flows_dissected += s->dpi.flows_dissected;
	sum->dpi.flows_given_up += s->dpi.flows_given_up;
	sum->dpi.packets_dissected += s->dpi.packets_dissected;
	sum->dpi.alloc_failed += s->dpi.alloc_failed;
	sum->dpi.state_bytes += s->dpi.state_bytes;
}

static void stats_add_kernel(struct capture_stats *sum, const struct capture_stats *s)
{
	sum->received += s->received;
	sum->kernel_drops += s->kernel_drops;
	sum->if_drops += s->if_drops;
}

void stats_add_capture(struct stats_capture *sum, const struct stats_capture *s, unsigned iface)
{
	sum->packets += s->packets;
	sum->bytes += s->bytes;
	for (int r = 0; r < DECODE_NREASONS; r++)
		sum->decode[r] += s->decode[r];
	sum->queue_drops += s->queue_drops;
	sum->queue_waits += s->queue_waits;
	stats_add_kernel(&sum->kernel, &s->kernel);
	if (iface < sum->nifaces) {
		struct stats_iface *i = &sum->iface[iface];

		i->packets += s->packets;
		i->bytes += s->bytes;
		i->queue_drops += s->queue_drops;
		stats_add_kernel(&i->kernel, &s->kernel);
	}
}

static void stats_json_capture(struct jsonw *w, const struct stats_capture *cap)
{
	jsonw_key(w, "capture");
	jsonw_obj_begin(w);
	jsonw_kv_u64(w, "packets", cap->packets);
	jsonw_kv_u64(w, "bytes", cap->bytes);
	jsonw_kv_u64(w, "kernel_received", cap->kernel.received);
	jsonw_kv_u64(w, "kernel_drops", cap->kernel.kernel_drops);
	jsonw_kv_u64(w, "if_drops", cap->kernel.if_drops);
	jsonw_kv_u64(w, "queue_drops", cap->queue_drops);
	jsonw_kv_u64(w, "queue_waits", cap->queue_waits);
	jsonw_kv_u64(w, "input_errors", cap->input_errors);
	jsonw_kv_u64(w, "time_jumps", cap->time_jumps);
	jsonw_kv_u64(w, "reloads", cap->reloads);
	if (cap->nifaces) {
		jsonw_key(w, "interfaces");
		jsonw_obj_begin(w);
		for (unsigned i = 0; i < cap->nifaces; i++) {
			const struct stats_iface *f = &cap->iface[i];

			jsonw_key(w, f->name);
			jsonw_obj_begin(w);
			jsonw_kv_u64(w, "packets", f->packets);
			jsonw_kv_u64(w, "bytes", f->bytes);
			jsonw_kv_u64(w, "kernel_received", f->kernel.received);
			jsonw_kv_u64(w, "kernel_drops", f->kernel.kernel_drops);
			jsonw_kv_u64(w, "if_drops", f->kernel.if_drops);
			jsonw_kv_u64(w, "queue_drops", f->queue_drops);
			jsonw_obj_end(w);
		}
		jsonw_obj_end(w);
	}
	jsonw_obj_end(w);

	jsonw_key(w, "decoder");
	jsonw_obj_begin(w);
	for (int r = 0; r < DECODE_NREASONS; r++)
		jsonw_kv_u64(w, decode_result_name(r), cap->decode[r]);
	jsonw_obj_end(w);
}

static void stats_json_workers(struct jsonw *w, const struct worker_stats *s)
{
	jsonw_key(w, "fragments");
	jsonw_obj_begin(w);
	jsonw_kv_u64(w, "attributed", s->fragments_attributed);
	jsonw_kv_u64(w, "unattributed", s->fragments_unattributed);
	jsonw_kv_u64(w, "datagrams_evicted", s->frags.evicted);
	jsonw_obj_end(w);

	jsonw_key(w, "flows");
	jsonw_obj_begin(w);
	jsonw_kv_u64(w, "created", s->flows.created);
	jsonw_kv_u64(w, "active", s->flows.active);
	jsonw_kv_u64(w, "peak", s->flows.peak);
	jsonw_kv_u64(w, "alloc_failed", s->flows.alloc_failed);
	jsonw_key(w, "ended");
	jsonw_obj_begin(w);
	for (int r = FLOW_END_TIMEOUT; r < FLOW_END_COUNT; r++)
		if (r != FLOW_END_ACTIVE)
			jsonw_kv_u64(w, flow_end_name(r), s->flows.ended[r]);
	jsonw_obj_end(w);
	jsonw_kv_u64(w, "records", s->records);
	jsonw_kv_u64(w, "records_dropped", s->records_dropped);
	jsonw_obj_end(w);

	jsonw_key(w, "dpi");
	jsonw_obj_begin(w);
	jsonw_kv_u64(w, "packets", s->dpi.packets_dissected);
	jsonw_kv_u64(w, "flows_done", s->dpi.flows_dissected);
	jsonw_kv_u64(w, "flows_given_up", s->dpi.flows_given_up);
	jsonw_kv_u64(w, "alloc_failed", s->dpi.alloc_failed);
	jsonw_obj_end(w);
}

static void stats_sid(void *ctx, uint32_t sid, uint64_t n)
{
	char key[16];

	snprintf(key, sizeof(key), "%u", sid);
	jsonw_kv_u64(ctx, key, n);
}

static void stats_alerts(struct jsonw *w, const struct worker_stats *s, struct alertq *aq)
{
	struct alertq_stats q;

	jsonw_key(w, "alerts");
	jsonw_obj_begin(w);
	jsonw_kv_u64(w, "matched", s->alerts);
	jsonw_kv_u64(w, "silenced", s->alerts_silenced);
	jsonw_kv_u64(w, "dropped", s->alerts_dropped);
	jsonw_kv_u64(w, "fired_list_full", s->alerts_fired_full);
	if (aq) {
		alertq_stats_get(aq, &q);
		jsonw_kv_u64(w, "written", q.emitted);
		jsonw_kv_u64(w, "thresholded", q.thresholded);
		jsonw_kv_u64(w, "order_forced", q.order_forced);
		jsonw_kv_u64(w, "threshold_full", q.threshold_full);
		jsonw_kv_u64(w, "threshold_swept", q.threshold_swept);
		jsonw_kv_u64(w, "queue_dropped", q.dropped);
		jsonw_key(w, "thresholded_by_sid");
		jsonw_obj_begin(w);
		alertq_thresholded_each(aq, stats_sid, w);
		jsonw_obj_end(w);
	}
	jsonw_obj_end(w);

	jsonw_key(w, "geoip");
	jsonw_obj_begin(w);
	jsonw_kv_u64(w, "lookups", s->geo.lookups);
	jsonw_kv_u64(w, "cache_hits", s->geo.hits);
	jsonw_kv_u64(w, "errors", s->geo.errors);
	jsonw_obj_end(w);
}

static void stats_redis(struct jsonw *w, const struct output_stats *r)
{
	jsonw_key(w, "redis");
	jsonw_obj_begin(w);
	jsonw_kv_u64(w, "queued", r->queued);
	jsonw_kv_u64(w, "queue_dropped", r->queue_dropped);
	jsonw_kv_u64(w, "sent", r->sent);
	jsonw_kv_u64(w, "spooled", r->spooled);
	jsonw_kv_u64(w, "spool_dropped", r->spool_dropped);
	jsonw_kv_u64(w, "skipped_already_sent", r->skipped);
	jsonw_kv_u64(w, "batches", r->batches);
	jsonw_kv_u64(w, "send_failures", r->send_failures);
	jsonw_kv_u64(w, "connects", r->connects);
	jsonw_kv_u64(w, "connect_failures", r->connect_failures);
	jsonw_kv_u64(w, "heartbeats", r->heartbeats);
	jsonw_kv_u64(w, "down_since", r->down_since_s);
	jsonw_kv_bool(w, "connected", r->connected);
	jsonw_kv_u64(w, "lost_unreported", r->lost_unreported);
	jsonw_kv_u64(w, "queue_waits", r->queue_waits);
	jsonw_kv_u64(w, "flows_queued", r->flows_queued);
	jsonw_kv_u64(w, "flows_sent", r->flows_sent);
	jsonw_kv_u64(w, "flows_dropped", r->flows_dropped);
	jsonw_key(w, "spool");
	jsonw_obj_begin(w);
	jsonw_kv_u64(w, "records", r->spool.records);
	jsonw_kv_u64(w, "bytes", r->spool.bytes);
	jsonw_kv_u64(w, "segments", r->spool.segments);
	jsonw_kv_u64(w, "appended", r->spool.appended);
	jsonw_kv_u64(w, "refused", r->spool.refused);
	jsonw_kv_u64(w, "consumed", r->spool.consumed);
	jsonw_kv_u64(w, "corrupt", r->spool.corrupt);
	jsonw_kv_u64(w, "io_errors", r->spool.io_errors);
	jsonw_obj_end(w);
	jsonw_obj_end(w);
}

void stats_json(struct jsonw *w, const struct stats_capture *cap, const struct worker_stats *wk,
		struct alertq *aq, const struct output_stats *redis, const struct detect *det,
		const char *sensor_id, uint64_t now_us, uint64_t uptime_s, bool final)
{
	struct detect_stats ds = { 0 };

	char ts[40];
	struct mallinfo2 mi = mallinfo2();

	record_time(ts, sizeof(ts), now_us);
	jsonw_obj_begin(w);
	jsonw_kv_str(w, "timestamp", ts);
	jsonw_kv_str(w, "event_type", "stats");
	jsonw_kv_str(w, "sensor", sensor_id);
	jsonw_kv_bool(w, "final", final);
	jsonw_kv_u64(w, "uptime", uptime_s);
	stats_json_capture(w, cap);
	stats_json_workers(w, wk);
	stats_alerts(w, wk, aq);
	if (redis)
		stats_redis(w, redis);
	if (det) {
		detect_stats_get(det, &ds);
		jsonw_key(w, "detect");
		jsonw_obj_begin(w);
		jsonw_kv_u64(w, "packets", ds.packets);
		jsonw_kv_u64(w, "alerts", ds.alerts);
		jsonw_kv_u64(w, "alerts_dropped", ds.alerts_dropped);
		jsonw_kv_u64(w, "entries", ds.entries);
		jsonw_kv_u64(w, "evicted", ds.evicted);
		jsonw_kv_u64(w, "expired", ds.expired);
		jsonw_kv_u64(w, "memory", ds.memory);
		detect_stats_json(det, w);
		jsonw_obj_end(w);
	}
	jsonw_key(w, "memory");
	jsonw_obj_begin(w);
	jsonw_kv_u64(w, "flow_tables", wk->memory);
	jsonw_kv_u64(w, "detectors", ds.memory);
	jsonw_kv_u64(w, "heap_in_use", (uint64_t)(mi.uordblks + mi.hblkhd));
	jsonw_obj_end(w);
	jsonw_obj_end(w);
	jsonw_raw(w, "\n", 1);
}

void stats_log(const struct log *lg, const struct stats_capture *cap,
	       const struct worker_stats *wk, const struct detect *det)
{
	char reasons[1024];
	size_t n = 0;

	reasons[0] = '\0';
	for (int r = 1; r < DECODE_NREASONS && n < sizeof(reasons); r++) {
		if (cap->decode[r] && r != DECODE_FRAGMENT)
			n += (size_t)snprintf(reasons + n, sizeof(reasons) - n, " %s=%" PRIu64,
					      decode_result_name(r), cap->decode[r]);
	}
	log_info(lg, "packets %" PRIu64 " (%" PRIu64 " bytes), decoded %" PRIu64
		 ", later fragments %" PRIu64 " (%" PRIu64 " in their flow), not decoded:%s",
		 cap->packets, cap->bytes, cap->decode[DECODE_OK], cap->decode[DECODE_FRAGMENT],
		 wk->fragments_attributed, n ? reasons : " 0");
	log_info(lg, "drops: kernel %" PRIu64 ", interface %" PRIu64 ", queue %" PRIu64
		 " (waits for a worker %" PRIu64 ")",
		 cap->kernel.kernel_drops, cap->kernel.if_drops, cap->queue_drops, cap->queue_waits);
	for (unsigned i = 0; cap->nifaces > 1 && i < cap->nifaces; i++) {
		const struct stats_iface *f = &cap->iface[i];

		log_info(lg, "  %s: packets %" PRIu64 ", drops: kernel %" PRIu64 ", interface %" PRIu64
			 ", queue %" PRIu64, f->name, f->packets, f->kernel.kernel_drops,
			 f->kernel.if_drops, f->queue_drops);
	}
	log_info(lg, "flows: created %" PRIu64 ", active %" PRIu64 ", evicted %" PRIu64
		 ", records %" PRIu64 " (dropped %" PRIu64 "), flow memory %" PRIu64 " KiB",
		 wk->flows.created, wk->flows.active, wk->flows.ended[FLOW_END_EVICTED], wk->records,
		 wk->records_dropped, wk->memory / 1024);
	if (det) {
		struct detect_stats ds;

		detect_stats_get(det, &ds);
		log_info(lg, "detectors: alerts %" PRIu64 " (lost %" PRIu64 "), state entries %" PRIu64
			 ", evicted %" PRIu64 ", memory %" PRIu64 " KiB", ds.alerts,
			 ds.alerts_dropped, ds.entries, ds.evicted, ds.memory / 1024);
	}
}
