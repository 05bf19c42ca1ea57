/*
 * store — the backend-independent half: picks the backend from the URI,
 * checks arguments and caps lengths, brackets a batch in one transaction
 * (begin, put each, count, commit; rollback on any failure); the read
 * side (store_query, store_count_by of query.h; store_sensors) checks the
 * filter and hands it to the backend, which builds its statement with
 * bound parameters only.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "store.h"
#include "store_backend.h"

struct store {
	const struct store_ops *ops;
	void *be;
};

struct store_scheme {
	const char *prefix;        /* "sqlite:" */
	const struct store_ops *ops;
};

static const struct store_scheme store_schemes[] = {
	{ "sqlite:", &store_sqlite_ops },
};

/* "scheme:" at the start of uri, as URI schemes are spelt (RFC 3986 3.1);
 * a path such as "./a:b" or "/x" is not one. */
static size_t store_scheme_len(const char *uri)
{
	size_t i = 0;

	if (!((uri[0] >= 'a' && uri[0] <= 'z') || (uri[0] >= 'A' && uri[0] <= 'Z')))
		return 0;
	while (uri[i] && uri[i] != ':') {
		char c = uri[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '-' || c == '.'))
			return 0;
		i++;
	}
	return uri[i] == ':' ? i + 1 : 0;
}

struct store *store_open(const char *uri, char *err, size_t errlen)
{
	const struct store_ops *ops = store_schemes[0].ops;
	const char *target = uri;
	size_t slen;
	struct store *s;

	if (!uri || !*uri) {
		snprintf(err, errlen, "store: no database given");
		return NULL;
	}
	slen = store_scheme_len(uri);
	if (slen) {
		size_t i;
		for (i = 0; i < sizeof(store_schemes) / sizeof(store_schemes[0]); i++)
			if (!strncmp(uri, store_schemes[i].prefix, slen) &&
			    strlen(store_schemes[i].prefix) == slen)
				break;
		if (i == sizeof(store_schemes) / sizeof(store_schemes[0])) {
			snprintf(err, errlen, "%s: unknown store type \"%.*s\" (known: sqlite:PATH or a path)",
				 uri, (int)(slen - 1), uri);
			return NULL;
		}
		ops = store_schemes[i].ops;
		target = uri + slen;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "%s: out of memory", uri);
		return NULL;
	}
	s->ops = ops;
	s->be = ops->open(target, err, errlen);
	if (!s->be) {
		free(s);
		return NULL;
	}
	return s;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	s->ops->close(s->be);
	free(s);
}

static bool store_id_is_valid(const char *id)
{
	for (size_t i = 0; i < 32; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return id[32] == '\0';
}

static bool store_addr_is_valid(const struct alert_rec_addr *a)
{
	if (a->family == 0)
		return a->text == NULL;
	return (a->family == 4 || a->family == 6) && a->text != NULL;
}

/* The fields the schema needs; NULL if r is fine, else what is wrong. */
static const char *store_rec_problem(const struct alert_rec *r)
{
	if (r->kind != ALERT_REC_RULE && r->kind != ALERT_REC_HEALTH && r->kind != ALERT_REC_BEHAVIOUR)
		return "kind";
	if (!store_id_is_valid(r->alert_id))
		return "alert_id is not 32 lower-case hex digits";
	if (!r->sensor || !*r->sensor)
		return "no sensor";
	if (strlen(r->sensor) >= STORE_SENSOR_ID_MAX)
		return "sensor id too long";
	if (r->severity < 1 || r->severity > 5)
		return "severity not 1..5";
	if (!store_addr_is_valid(&r->src) || !store_addr_is_valid(&r->dest))
		return "address family";
	if (!r->json)
		return "no json";
	return NULL;
}

int store_put_batch(struct store *s, const struct alert_rec *recs, size_t n, int64_t now_us,
		    struct store_put_result *res, char *err, size_t errlen)
{
	uint64_t ins = 0, dup = 0;

	memset(res, 0, sizeof(*res));
	if (n > STORE_BATCH_MAX) {
		snprintf(err, errlen, "store: batch of %zu records, at most %u", n, STORE_BATCH_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *why = store_rec_problem(&recs[i]);
		if (why) {
			snprintf(err, errlen, "store: record %zu of the batch: %s", i, why);
			return -1;
		}
	}
	if (n == 0)
		return 0;
	if (s->ops->begin(s->be, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		bool inserted;
		if (s->ops->put(s->be, &recs[i], now_us, &inserted, err, errlen) < 0)
			goto fail;
		if (inserted)
			ins++;
		else
			dup++;
	}
	if (s->ops->count(s->be, ins, dup, err, errlen) < 0 || s->ops->commit(s->be, err, errlen) < 0)
		goto fail;
	res->inserted = ins;
	res->duplicates = dup;
	return 0;
fail:
	s->ops->rollback(s->be);
	return -1;
}

int store_quarantine(struct store *s, const char *stream_id, const char *sensor_or_null,
		     const char *raw, size_t rawlen, const char *reason, int64_t now_us,
		     char *err, size_t errlen)
{
	char id[STORE_STREAM_ID_MAX + 1], why[STORE_REASON_MAX + 1], sensor[256];
	struct store_quarantine_rec q = {
		.raw = raw ? raw : "",
		.raw_len = raw ? rawlen : 0,
		.received_us = now_us,
	};

	q.raw_kept = q.raw_len < STORE_RAW_MAX ? q.raw_len : STORE_RAW_MAX;
	snprintf(id, sizeof(id), "%s", stream_id ? stream_id : "");
	snprintf(why, sizeof(why), "%s", reason ? reason : "");
	q.stream_id = id;
	q.reason = why;
	if (sensor_or_null) {
		snprintf(sensor, sizeof(sensor), "%s", sensor_or_null);
		q.sensor = sensor;
	}
	return s->ops->quarantine(s->be, &q, err, errlen);
}

/* A fixed-size text field of a struct handed in: NUL-terminated inside it. */
static bool store_text_is_valid(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static int store_heartbeat_check(const struct store_sensor *hb, char *err, size_t errlen)
{
	if (!hb || !store_text_is_valid(hb->sensor, sizeof(hb->sensor)) || !hb->sensor[0]) {
		snprintf(err, errlen, "store: heartbeat without a valid sensor id");
		return -1;
	}
	if (hb->last_heartbeat_us <= 0) {
		snprintf(err, errlen, "store: heartbeat of %s without a time", hb->sensor);
		return -1;
	}
	if (!store_text_is_valid(hb->version, sizeof(hb->version)) ||
	    !store_text_is_valid(hb->ruleset, sizeof(hb->ruleset))) {
		snprintf(err, errlen, "store: heartbeat of %s: version or ruleset not terminated", hb->sensor);
		return -1;
	}
	return 0;
}

int store_heartbeat(struct store *s, const struct store_sensor *hb, char *err, size_t errlen)
{
	if (store_heartbeat_check(hb, err, errlen) < 0)
		return -1;
	return s->ops->heartbeat(s->be, hb, err, errlen);
}

int store_heartbeats(struct store *s, const struct store_sensor *hb, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		if (store_heartbeat_check(&hb[i], err, errlen) < 0)
			return -1;
	if (n == 0)
		return 0;
	if (s->ops->begin(s->be, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (s->ops->heartbeat(s->be, &hb[i], err, errlen) < 0)
			goto fail;
	if (s->ops->commit(s->be, err, errlen) < 0)
		goto fail;
	return 0;
fail:
	s->ops->rollback(s->be);
	return -1;
}

int store_sensors(struct store *s, store_sensor_fn cb, void *ctx, char *err, size_t errlen)
{
	return s->ops->sensors(s->be, cb, ctx, err, errlen);
}

/* The filter's text fields are terminated and its enums in range: a filter
 * is built by code, but a backend pastes nothing, so check once here. */
static int store_filter_check(const struct query_filter *f, char *err, size_t errlen)
{
	const char *bad = NULL;

	if (!store_text_is_valid(f->sensor, sizeof(f->sensor)) ||
	    !store_text_is_valid(f->category, sizeof(f->category)) ||
	    !store_text_is_valid(f->clause, sizeof(f->clause)) ||
	    !store_text_is_valid(f->zone, sizeof(f->zone)) ||
	    !store_text_is_valid(f->country, sizeof(f->country)) ||
	    !store_text_is_valid(f->app_proto, sizeof(f->app_proto)) ||
	    !store_text_is_valid(f->kind, sizeof(f->kind)) ||
	    !store_text_is_valid(f->iface, sizeof(f->iface)))
		bad = "a text field is not terminated";
	else if (f->sort != QUERY_SORT_TIME && f->sort != QUERY_SORT_SEVERITY && f->sort != QUERY_SORT_ID)
		bad = "unknown sort";
	else if (f->limit > QUERY_LIMIT_MAX)
		bad = "limit too large";
	else if (f->tz_offset_s <= -86400 || f->tz_offset_s >= 86400)
		bad = "time zone offset out of range";
	if (bad) {
		snprintf(err, errlen, "store: query filter: %s", bad);
		return -1;
	}
	return 0;
}

int store_query(struct store *s, const struct query_filter *f, query_row_fn cb, void *ctx,
		char *err, size_t errlen)
{
	if (store_filter_check(f, err, errlen) < 0)
		return -1;
	return s->ops->query(s->be, f, cb, ctx, err, errlen);
}

int store_count_by(struct store *s, const struct query_filter *f, enum query_key key,
		   uint64_t limit, query_count_fn cb, void *ctx, char *err, size_t errlen)
{
	if (store_filter_check(f, err, errlen) < 0)
		return -1;
	if ((unsigned)key >= QUERY_KEY_COUNT_) {
		snprintf(err, errlen, "store: count by an unknown key %d", (int)key);
		return -1;
	}
	if (limit > QUERY_LIMIT_MAX)
		limit = QUERY_LIMIT_MAX;
	return s->ops->count_by(s->be, f, key, limit, cb, ctx, err, errlen);
}

int store_purge_before(struct store *s, int64_t ts_us, uint64_t max_rows, uint64_t *deleted,
		       char *err, size_t errlen)
{
	return s->ops->purge(s->be, ts_us, max_rows, deleted, err, errlen);
}

int store_stats_get(struct store *s, struct store_stats *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	return s->ops->stats(s->be, out, err, errlen);
}
