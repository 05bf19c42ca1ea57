/*
 * health — see health.h.
 *
 * Each condition is a two-state machine (clear / raised).  A transition
 * happens only when its alert was handed over: if the output queue refused
 * it, the same transition is tried at the next check, so an alert is never
 * skipped and never sent twice.
 */
#include "health.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "record.h"

#define HEALTH_CLAUSE "第6(7)"   /* 運用: 情報システムの監視 */

static const struct {
	const char *name, *threat, *unit;
	uint8_t severity;
	const char *msg, *msg_en, *clear, *clear_en;
} health_conds[HEALTH_NCONDS] = {
	[HEALTH_CAPTURE_DROPS] = {
		"capture_drops", "fault", "percent", 3,
		"センサーのパケット取りこぼし率がしきい値を超過",
		"Sensor: capture drop rate above the threshold",
		"センサーのパケット取りこぼし率がしきい値以下に回復",
		"Sensor: capture drop rate back below the threshold" },
	[HEALTH_CAPTURE_STOPPED] = {
		"capture_stopped", "outage", "seconds", 2,
		"センサーのパケット取得が停止",
		"Sensor: capture stopped",
		"センサーのパケット取得が再開",
		"Sensor: capture resumed" },
	[HEALTH_SPOOL_HIGH] = {
		"spool_high", "outage", "percent", 3,
		"アラートのスプール使用量がしきい値を超過（送信の遅延）",
		"Sensor: alert spool above the threshold (delivery is behind)",
		"アラートのスプール使用量がしきい値未満に回復",
		"Sensor: alert spool back below the threshold" },
	[HEALTH_REDIS_DOWN] = {
		"redis_unreachable", "outage", "seconds", 2,
		"セキュリティクラウド（Redis）に接続できない状態が継続",
		"Sensor: Redis (security cloud) unreachable",
		"セキュリティクラウド（Redis）への接続が回復",
		"Sensor: Redis (security cloud) reachable again" },
	[HEALTH_ALERTS_LOST] = {
		"alerts_lost", "fault", "alerts", 2,
		"キュー又はスプールが満杯のためアラートを破棄",
		"Sensor: alerts lost (queue or spool full)",
		NULL, NULL },
};

uint32_t health_sid(enum health_cond c)
{
	return HEALTH_SID_MIN + 1u + (uint32_t)c;
}

uint8_t health_severity(enum health_cond c, bool cleared)
{
	return cleared ? 5 : health_conds[c].severity;
}

const char *health_cond_name(enum health_cond c)
{
	return c < HEALTH_NCONDS ? health_conds[c].name : "unknown";
}

void health_alert_id(char out[33], const struct health_event *e)
{
	/* the start time stands where a rule alert has its flow id */
	alert_id(out, e->sensor_id, e->since_us ^ (e->cleared ? UINT64_C(1) << 63 : 0) ^
		 (uint64_t)e->part << 55, health_sid(e->cond));
}

int health_format(struct jsonw *w, const struct health_event *e, const char *id)
{
	size_t mark = w->len;
	const char *threat = health_conds[e->cond].threat;
	char buf[64];

	jsonw_obj_begin(w);
	record_time(buf, sizeof(buf), e->ts_us);
	jsonw_kv_str(w, "timestamp", buf);
	jsonw_kv_str(w, "event_type", "health");
	jsonw_kv_u64(w, "schema_version", ALERT_SCHEMA_VERSION);
	jsonw_kv_str(w, "sensor", e->sensor_id);
	jsonw_kv_str(w, "alert_id", id);

	alert_format_sig(w, &(struct alert_sig){
		.sid = health_sid(e->cond), .rev = 1,
		.msg = e->cleared ? health_conds[e->cond].clear : health_conds[e->cond].msg,
		.msg_en = e->cleared ? health_conds[e->cond].clear_en : health_conds[e->cond].msg_en,
		.severity = health_severity(e->cond, e->cleared), .threat = threat,
		.clause = HEALTH_CLAUSE });

	jsonw_key(w, "health");
	jsonw_obj_begin(w);
	jsonw_kv_str(w, "condition", health_conds[e->cond].name);
	jsonw_kv_str(w, "state", e->cleared ? "cleared" : "raised");
	record_time(buf, sizeof(buf), e->since_us);
	jsonw_kv_str(w, "since", buf);
	jsonw_key(w, "value");
	jsonw_double(w, e->value);
	jsonw_key(w, "threshold");
	jsonw_double(w, e->threshold);
	jsonw_kv_str(w, "unit", health_conds[e->cond].unit);
	jsonw_kv_u64(w, "count", e->count);
	if (e->detail)
		jsonw_kv_str(w, "detail", e->detail);
	jsonw_obj_end(w);
	jsonw_obj_end(w);
	if (!jsonw_ok(w)) {
		jsonw_truncate(w, mark);
		return -1;
	}
	return 0;
}

int health_emit_event(const struct health_event *e, health_emit_fn emit, void *ctx)
{
	struct jsonw w;
	char id[33];
	int rc = -1;

	health_alert_id(id, e);
	jsonw_init(&w, 4096);
	if (health_format(&w, e, id) == 0)
		rc = emit(ctx, w.buf, w.len, health_sid(e->cond), health_severity(e->cond, e->cleared),
			  id);
	jsonw_fini(&w);
	return rc;
}

/* ---- the checks -------------------------------------------------------- */

struct health_state {
	bool raised;
	uint64_t since_us;
	uint64_t count;      /* drops while raised */
};

/* capture_stopped of the whole capture (0) or of one interface (i + 1) */
struct health_watch {
	struct health_state st;
	uint64_t last_packets, moved_mono_s, moved_now_us;   /* when the count last moved */
};

struct health {
	struct health_config cfg;
	char *sensor_id;
	const struct log *log;
	health_emit_fn emit;
	void *ctx;
	struct health_state st[HEALTH_NCONDS];
	bool started, capture_failed;
	/* drop-rate window */
	uint64_t win_mono_s, win_now_us, win_packets;
	uint64_t win_kernel, win_if, win_queue;
	struct health_watch idle[1 + HEALTH_MAX_IFACES];
};

struct health *health_new(const struct health_config *cfg, const char *sensor_id,
			  const struct log *lg, health_emit_fn emit, void *ctx)
{
	struct health *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->sensor_id = strdup(sensor_id ? sensor_id : "");
	if (!h->sensor_id) {
		free(h);
		return NULL;
	}
	h->cfg = *cfg;
	if (!h->cfg.drop_window_s)
		h->cfg.drop_window_s = 10;
	h->log = lg;
	h->emit = emit;
	h->ctx = ctx;
	return h;
}

void health_free(struct health *h)
{
	if (!h)
		return;
	free(h->sensor_id);
	free(h);
}

/* Hand over one alert; true when it was taken. */
static bool health_send_part(struct health *h, enum health_cond c, uint8_t part, bool cleared,
			     uint64_t now_us, uint64_t since_us, double value, double threshold,
			     uint64_t count, const char *detail)
{
	struct health_event e = {
		.sensor_id = h->sensor_id, .cond = c, .cleared = cleared, .ts_us = now_us,
		.since_us = since_us, .value = value, .threshold = threshold, .count = count,
		.detail = detail, .part = part,
	};

	if (health_emit_event(&e, h->emit, h->ctx) < 0)
		return false;
	if (h->log && cleared)
		log_info(h->log, "health: %s cleared (sid %u)%s%s", health_conds[c].name, health_sid(c),
			 detail ? ": " : "", detail ? detail : "");
	else if (h->log)
		log_warn(h->log, "health: %s (sid %u)%s%s", health_conds[c].name, health_sid(c),
			 detail ? ": " : "", detail ? detail : "");
	return true;
}

static bool health_send(struct health *h, enum health_cond c, bool cleared, uint64_t now_us,
			uint64_t since_us, double value, double threshold, uint64_t count,
			const char *detail)
{
	return health_send_part(h, c, 0, cleared, now_us, since_us, value, threshold, count,
				detail);
}

static void health_drop_window_start(struct health *h, const struct health_sample *s)
{
	h->win_mono_s = s->mono_s;
	h->win_now_us = s->now_us;
	h->win_packets = s->packets;
	h->win_kernel = s->kernel_drops;
	h->win_if = s->if_drops;
	h->win_queue = s->queue_drops;
}

static void health_check_drops(struct health *h, const struct health_sample *s)
{
	struct health_state *st = &h->st[HEALTH_CAPTURE_DROPS];
	uint64_t dp, dd, dk, di, dq;
	double rate;
	bool bad;

	if (s->mono_s - h->win_mono_s < h->cfg.drop_window_s)
		return;
	dk = s->kernel_drops - h->win_kernel;
	di = s->if_drops - h->win_if;
	dq = s->queue_drops - h->win_queue;
	dd = dk + di + dq;
	dp = s->packets - h->win_packets;
	rate = dp ? 100.0 * (double)dd / (double)dp : 0.0;
	bad = dd >= h->cfg.drop_min && dd > 0 && rate > h->cfg.drop_rate;
	if (bad && !st->raised) {
		char detail[200];
		snprintf(detail, sizeof(detail),
			 "%llu of %llu packets dropped in %llu s (kernel buffer %llu, interface %llu, "
			 "worker queues %llu)",
			 (unsigned long long)dd, (unsigned long long)dp,
			 (unsigned long long)(s->mono_s - h->win_mono_s),
			 (unsigned long long)dk, (unsigned long long)di, (unsigned long long)dq);
		if (!health_send(h, HEALTH_CAPTURE_DROPS, false, s->now_us, h->win_now_us, rate,
				 h->cfg.drop_rate, dd, detail))
			return;   /* the same window is judged again */
		st->raised = true;
		st->since_us = h->win_now_us;
		st->count = dd;
	} else if (bad) {
		st->count += dd;
	} else if (st->raised) {
		if (health_send(h, HEALTH_CAPTURE_DROPS, true, s->now_us, st->since_us, rate,
				h->cfg.drop_rate, st->count, "packets dropped while the rate was high"))
			st->raised = false;
		else
			return;   /* the same window is judged again */
	}
	health_drop_window_start(h, s);
}

static uint64_t health_watch_packets(const struct health_sample *s, unsigned part)
{
	return part ? s->iface_packets[part - 1] : s->packets;
}

/* capture_stopped for watch part: the whole capture, or one interface. */
static void health_check_idle(struct health *h, const struct health_sample *s, unsigned part)
{
	struct health_watch *w = &h->idle[part];
	const char *name = part ? s->iface[part - 1] : NULL;
	uint64_t packets = health_watch_packets(s, part), idle;
	char detail[160];

	if (packets != w->last_packets) {
		if (name)
			snprintf(detail, sizeof(detail), "packets are arriving again on %s", name);
		if (w->st.raised &&
		    !health_send_part(h, HEALTH_CAPTURE_STOPPED, (uint8_t)part, true, s->now_us,
				      w->st.since_us, (double)(s->now_us - w->st.since_us) / 1e6,
				      h->cfg.capture_idle_s, 0,
				      name ? detail : "packets are arriving again"))
			return;   /* the clear is tried again at the next check */
		w->st.raised = false;
		w->last_packets = packets;
		w->moved_mono_s = s->mono_s;
		w->moved_now_us = s->now_us;
		return;
	}
	idle = s->mono_s - w->moved_mono_s;
	if (!w->st.raised && idle >= h->cfg.capture_idle_s) {
		if (name)
			snprintf(detail, sizeof(detail), "no packet on %s for %llu s", name,
				 (unsigned long long)idle);
		else
			snprintf(detail, sizeof(detail), "no packet for %llu s", (unsigned long long)idle);
		if (health_send_part(h, HEALTH_CAPTURE_STOPPED, (uint8_t)part, false, s->now_us,
				     w->moved_now_us, (double)idle, h->cfg.capture_idle_s, 0, detail)) {
			w->st.raised = true;
			w->st.since_us = w->moved_now_us;
		}
	}
}

static void health_check_spool(struct health *h, const struct health_sample *s)
{
	struct health_state *st = &h->st[HEALTH_SPOOL_HIGH];
	double pct = 100.0 * (double)s->spool_bytes / (double)s->spool_max_bytes;
	char detail[160];

	snprintf(detail, sizeof(detail), "%llu of %llu bytes", (unsigned long long)s->spool_bytes,
		 (unsigned long long)s->spool_max_bytes);
	if (!st->raised && pct >= h->cfg.spool_percent) {
		if (health_send(h, HEALTH_SPOOL_HIGH, false, s->now_us, s->now_us, pct,
				h->cfg.spool_percent, s->spool_bytes, detail)) {
			st->raised = true;
			st->since_us = s->now_us;
		}
	} else if (st->raised && pct < 0.8 * h->cfg.spool_percent) {
		/* cleared below 80% of the threshold: no alert storm at the edge */
		if (health_send(h, HEALTH_SPOOL_HIGH, true, s->now_us, st->since_us, pct,
				h->cfg.spool_percent, s->spool_bytes, detail))
			st->raised = false;
	}
}

static void health_check_redis(struct health *h, const struct health_sample *s)
{
	struct health_state *st = &h->st[HEALTH_REDIS_DOWN];
	uint64_t now_s = s->now_us / 1000000u, down;

	if (!s->redis_down_since_s) {
		if (st->raised &&
		    health_send(h, HEALTH_REDIS_DOWN, true, s->now_us, st->since_us,
				(double)(s->now_us - st->since_us) / 1e6, h->cfg.redis_down_s, 0,
				"connected again; alerts held in the spool meanwhile are delivered first"))
			st->raised = false;
		return;
	}
	down = now_s > s->redis_down_since_s ? now_s - s->redis_down_since_s : 0;
	if (!st->raised && down >= h->cfg.redis_down_s) {
		char detail[160];
		snprintf(detail, sizeof(detail), "unreachable for %llu s; alerts go to the spool",
			 (unsigned long long)down);
		if (health_send(h, HEALTH_REDIS_DOWN, false, s->now_us,
				s->redis_down_since_s * 1000000u, (double)down, h->cfg.redis_down_s, 0,
				detail)) {
			st->raised = true;
			st->since_us = s->redis_down_since_s * 1000000u;
		}
	}
}

void health_check(struct health *h, const struct health_sample *s)
{
	if (!h->started) {
		h->started = true;
		health_drop_window_start(h, s);
		for (unsigned i = 0; i <= HEALTH_MAX_IFACES; i++) {
			h->idle[i].moved_mono_s = s->mono_s;
			h->idle[i].moved_now_us = s->now_us;
			h->idle[i].last_packets = i <= s->nifaces ? health_watch_packets(s, i) : 0;
		}
	}
	if (s->live && h->cfg.drop_rate > 0)
		health_check_drops(h, s);
	if (s->live && h->cfg.capture_idle_s && s->nifaces > 1)
		for (unsigned i = 1; i <= s->nifaces && i <= HEALTH_MAX_IFACES; i++)
			health_check_idle(h, s, i);
	else if (s->live && h->cfg.capture_idle_s)
		health_check_idle(h, s, 0);
	if (s->redis && h->cfg.spool_percent > 0 && s->spool_max_bytes)
		health_check_spool(h, s);
	if (s->redis && h->cfg.redis_down_s)
		health_check_redis(h, s);
}

void health_capture_failed(struct health *h, const struct health_sample *s, const char *reason)
{
	struct health_state *st = &h->idle[0].st;
	char detail[512];

	/* said even when an idle capture was reported: this is the cause */
	if (h->capture_failed)
		return;
	snprintf(detail, sizeof(detail), "the capture failed: %s", reason ? reason : "unknown error");
	if (health_send(h, HEALTH_CAPTURE_STOPPED, false, s->now_us, s->now_us, 0, 0, 0, detail)) {
		h->capture_failed = true;
		st->raised = true;
		st->since_us = s->now_us;
	}
}

void health_lost(struct health *h, uint64_t now_us, uint64_t count, uint64_t first_us,
		 uint64_t last_us)
{
	char detail[160], a[40], b[40];

	record_time(a, sizeof(a), first_us);
	record_time(b, sizeof(b), last_us);
	snprintf(detail, sizeof(detail), "%llu alerts lost between %s and %s",
		 (unsigned long long)count, a, b);
	health_send(h, HEALTH_ALERTS_LOST, false, now_us, first_us, (double)count, 0, count, detail);
}
