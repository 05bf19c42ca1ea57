/*
 * store_backend — the table of operations a store backend provides
 * (store_sqlite.c now; a server database later).  Only store.c calls them;
 * the same threading rules as store.h.
 *
 * store.c validates arguments and caps lengths before calling; a backend
 * writes what it is given.  begin/put.../commit bracket one batch: commit
 * returns only when the batch is durable; after a failed put or commit,
 * store.c calls rollback.
 */
#ifndef ZW_STORE_BACKEND_H
#define ZW_STORE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert_rec.h"
#include "query.h"
#include "store.h"

struct store_quarantine_rec {
	const char *stream_id;      /* capped at STORE_STREAM_ID_MAX */
	const char *sensor;         /* NULL when unknown */
	const char *raw;            /* the first raw_kept bytes of the entry */
	size_t raw_kept, raw_len;
	const char *reason;         /* capped at STORE_REASON_MAX */
	int64_t received_us;
};

struct store_ops {
	const char *name;
	void *(*open)(const char *target, char *err, size_t errlen);
	void (*close)(void *be);
	int (*begin)(void *be, char *err, size_t errlen);
	/* *inserted: false when the alert_id was already stored */
	int (*put)(void *be, const struct alert_rec *r, int64_t received_us, bool *inserted,
		   char *err, size_t errlen);
	/* one batch's totals, in the same transaction */
	int (*count)(void *be, uint64_t inserted, uint64_t duplicates, char *err, size_t errlen);
	int (*commit)(void *be, char *err, size_t errlen);
	void (*rollback)(void *be);
	/* a transaction of its own each */
	int (*quarantine)(void *be, const struct store_quarantine_rec *q, char *err, size_t errlen);
	/* hb->sensor set; stored only if not older than the stored one */
	int (*heartbeat)(void *be, const struct store_sensor *hb, char *err, size_t errlen);
	/* at most max_rows in one transaction of its own */
	int (*purge)(void *be, int64_t before_us, uint64_t max_rows, uint64_t *deleted,
		     char *err, size_t errlen);
	int (*stats)(void *be, struct store_stats *out, char *err, size_t errlen);
	/* the read side (query.h, store_sensors): f already checked by store.c;
	 * a callback's non-zero return ends the statement and is returned */
	int (*query)(void *be, const struct query_filter *f, query_row_fn cb, void *ctx,
		     char *err, size_t errlen);
	int (*count_by)(void *be, const struct query_filter *f, enum query_key key, uint64_t limit,
			query_count_fn cb, void *ctx, char *err, size_t errlen);
	int (*sensors)(void *be, store_sensor_fn cb, void *ctx, char *err, size_t errlen);
};

extern const struct store_ops store_sqlite_ops;

/* For tests: the SQL text store_sqlite would run for f (key < 0: store_query;
 * else store_count_by by that key, limit 10), to EXPLAIN QUERY PLAN it.
 * -1 if it does not fit in len. */
int store_sqlite_explain_sql(const struct query_filter *f, int key, char *buf, size_t len);

#endif
