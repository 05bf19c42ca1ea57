/*
 * store_sqlite — the embedded store: one SQLite file (Debian's libsqlite3,
 * 3.24 or newer for UPSERT; bookworm has 3.40).  The only file that includes
 * sqlite3.h.
 *
 * Durability.  The file is in WAL mode with synchronous=FULL: each COMMIT
 * fsyncs the WAL, so a batch that store_put_batch reported is on disk before
 * the caller XACKs its stream entries.  synchronous=NORMAL (the usual WAL
 * setting) fsyncs only at checkpoints: it survives a crash of the process
 * but a power cut or kernel crash may roll back the last commits, and those
 * alerts would already be acknowledged in Redis, so lost for good.  The
 * price is one fsync per batch, which batching makes small.
 *
 * Schema, version 1 (PRAGMA user_version; PRAGMA application_id "ZWCL"
 * marks the file as ours).  A file of a newer version is refused; an older
 * one is migrated in one transaction by the steps in store_sqlite_migrations.
 *
 * alerts: INTEGER PRIMARY KEY id (the rowid) plus a UNIQUE alert_id, not
 * alert_id as the key.  A rowid table keyed by the text would still need a
 * separate index for it; a WITHOUT ROWID table keyed by alert_id would
 * insert every whole row at a random place (alert_ids are hashes), splitting
 * pages of large rows, and make every other index carry the 33-byte key
 * instead of an 8-byte rowid.  With the rowid, rows are appended at the end
 * of the table and only the small alert_id index takes random inserts.
 *
 * alert_json holds the line as received, in its own table (same id), so the
 * alerts rows stay small (a few hundred bytes, not 1-2 KB): queries that scan
 * a time range to filter or count by unindexed columns read a fifth of the
 * pages.  A trigger deletes the line with its alert.
 *
 * Addresses: the text (display, exact match) and 16 bytes (IPv4 as
 * ::ffff:a.b.c.d), so a CIDR is a range [low, high] of the blob on an index.
 *
 * Indexes, each paid on every insert, so only those a common query needs:
 *   alerts_ts (ts_us)              time range alone; sort by time; top-N
 *                                  counts over a range; retention
 *   alerts_src (src_ip_bin, ts_us) IP or CIDR, either side (the query ORs
 *   alerts_dest (dest_ip_bin, ts)  the two), within a time range: the
 *                                  benchmarked query
 *   alerts_sensor (sensor, ts_us)  one sensor's alerts (sensor pages)
 *   alerts_sid (sid, ts_us)        one rule's alerts (drill-down from top)
 * Not indexed: severity (5 values), zones, countries, app_proto, category,
 * clause: few distinct values, so an index would rarely beat scanning the
 * time range, which the query always has.  Add one when a benchmark shows a
 * need.  The UNIQUE alert_id index is the dedup.
 *
 * sensors: per sensor, when its first and last alerts arrived, the newest
 * alert time and the last heartbeat.  counters: totals kept in the same
 * transactions as the rows, so stats need no COUNT(*) over a million rows.
 *
 * Caps: page cache STORE_SQLITE_CACHE_KIB; WAL truncated to
 * STORE_SQLITE_WAL_LIMIT after checkpoints; purge in transactions of
 * STORE_SQLITE_PURGE_CHUNK rows.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store_backend.h"

#if SQLITE_VERSION_NUMBER < 3024000
#error "SQLite 3.24 or newer needed (UPSERT): apt-get install libsqlite3-dev"
#endif

#define STORE_SQLITE_VERSION      1
#define STORE_SQLITE_APP_ID       0x5a57434c   /* "ZWCL" */
#define STORE_SQLITE_CACHE_KIB    32768
#define STORE_SQLITE_WAL_LIMIT    (128 * 1024 * 1024)
#define STORE_SQLITE_CHECKPOINT   16384   /* pages (64 MiB): checkpoint when the WAL is this big */
#define STORE_SQLITE_BUSY_MS      5000
#define STORE_SQLITE_PURGE_CHUNK  2000
#define STORE_SQLITE_PATH_MAX     4096

/* store_sqlite_migrations[v] takes a file from version v to v + 1. */
static const char *const store_sqlite_migrations[STORE_SQLITE_VERSION] = {
	/* 0 -> 1: the first schema */
	"CREATE TABLE alerts ("
	" id INTEGER PRIMARY KEY,"
	" alert_id TEXT NOT NULL UNIQUE,"
	" ts_us INTEGER NOT NULL,"
	" received_us INTEGER NOT NULL,"
	" sensor TEXT NOT NULL,"
	" kind TEXT NOT NULL,"                 /* event_type: 'alert' or 'health' */
	" schema_version INTEGER,"
	" sid INTEGER NOT NULL, rev INTEGER, severity INTEGER NOT NULL,"
	" signature TEXT, signature_en TEXT, category TEXT, clause TEXT, threat TEXT,"
	" flow_id INTEGER, proto TEXT, app_proto TEXT,"
	" src_ip TEXT, src_ip_bin BLOB, dest_ip TEXT, dest_ip_bin BLOB,"
	" src_port INTEGER, dest_port INTEGER,"
	" src_zone TEXT, dest_zone TEXT, src_zone_name TEXT, dest_zone_name TEXT,"
	" src_country TEXT, dest_country TEXT, src_asn INTEGER, dest_asn INTEGER,"
	" health_condition TEXT, health_state TEXT);"
	"CREATE INDEX alerts_ts ON alerts(ts_us);"
	"CREATE INDEX alerts_src ON alerts(src_ip_bin, ts_us);"
	"CREATE INDEX alerts_dest ON alerts(dest_ip_bin, ts_us);"
	"CREATE INDEX alerts_sensor ON alerts(sensor, ts_us);"
	"CREATE INDEX alerts_sid ON alerts(sid, ts_us);"
	"CREATE TABLE alert_json (id INTEGER PRIMARY KEY, json TEXT NOT NULL);"
	"CREATE TRIGGER alerts_delete_json AFTER DELETE ON alerts"
	" BEGIN DELETE FROM alert_json WHERE id = old.id; END;"
	"CREATE TABLE quarantine ("
	" id INTEGER PRIMARY KEY, received_us INTEGER NOT NULL, stream_id TEXT NOT NULL,"
	" sensor TEXT, reason TEXT NOT NULL, raw BLOB NOT NULL, raw_len INTEGER NOT NULL);"
	"CREATE INDEX quarantine_received ON quarantine(received_us);"
	"CREATE TABLE sensors ("
	" sensor TEXT PRIMARY KEY, first_received_us INTEGER, last_received_us INTEGER,"
	" last_alert_us INTEGER, last_heartbeat_us INTEGER) WITHOUT ROWID;"
	"CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
	"INSERT INTO counters VALUES ('alerts', 0), ('duplicates', 0), ('quarantined', 0),"
	" ('purged', 0);",
};

enum store_sqlite_stmt {
	SQ_BEGIN, SQ_COMMIT, SQ_ROLLBACK, SQ_PUT, SQ_PUT_JSON, SQ_SENSOR_ALERT, SQ_COUNT,
	SQ_QUARANTINE, SQ_HEARTBEAT, SQ_PURGE_ALERTS, SQ_PURGE_QUARANTINE, SQ_STATS,
	SQ_N
};

static const char *const store_sqlite_sql[SQ_N] = {
	[SQ_BEGIN] = "BEGIN IMMEDIATE",
	[SQ_COMMIT] = "COMMIT",
	[SQ_ROLLBACK] = "ROLLBACK",
	[SQ_PUT] =
		"INSERT INTO alerts (alert_id, ts_us, received_us, sensor, kind, schema_version,"
		" sid, rev, severity, signature, signature_en, category, clause, threat,"
		" flow_id, proto, app_proto, src_ip, src_ip_bin, dest_ip, dest_ip_bin,"
		" src_port, dest_port, src_zone, dest_zone, src_zone_name, dest_zone_name,"
		" src_country, dest_country, src_asn, dest_asn, health_condition, health_state)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
		" ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31,"
		" ?32, ?33)"
		" ON CONFLICT(alert_id) DO NOTHING",
	[SQ_PUT_JSON] = "INSERT INTO alert_json (id, json) VALUES (?1, ?2)",
	[SQ_SENSOR_ALERT] =
		"INSERT INTO sensors (sensor, first_received_us, last_received_us, last_alert_us)"
		" VALUES (?1, ?2, ?2, ?3) ON CONFLICT(sensor) DO UPDATE SET"
		" last_received_us = max(coalesce(last_received_us, 0), excluded.last_received_us),"
		" first_received_us = coalesce(first_received_us, excluded.first_received_us),"
		" last_alert_us = max(coalesce(last_alert_us, excluded.last_alert_us),"
		" excluded.last_alert_us)",
	[SQ_COUNT] = "UPDATE counters SET value = value + ?2 WHERE name = ?1",
	[SQ_QUARANTINE] =
		"INSERT INTO quarantine (received_us, stream_id, sensor, reason, raw, raw_len)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[SQ_HEARTBEAT] =
		"INSERT INTO sensors (sensor, last_heartbeat_us) VALUES (?1, ?2)"
		" ON CONFLICT(sensor) DO UPDATE SET last_heartbeat_us ="
		" max(coalesce(last_heartbeat_us, excluded.last_heartbeat_us), excluded.last_heartbeat_us)",
	[SQ_PURGE_ALERTS] =
		"DELETE FROM alerts WHERE id IN"
		" (SELECT id FROM alerts WHERE ts_us < ?1 ORDER BY ts_us LIMIT ?2)",
	[SQ_PURGE_QUARANTINE] =
		"DELETE FROM quarantine WHERE id IN"
		" (SELECT id FROM quarantine WHERE received_us < ?1 ORDER BY received_us LIMIT ?2)",
	[SQ_STATS] = "SELECT name, value FROM counters",
};

struct store_sqlite {
	sqlite3 *db;
	char path[STORE_SQLITE_PATH_MAX];
	sqlite3_stmt *st[SQ_N];
};

static int store_sqlite_fail(struct store_sqlite *q, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %.48s: %s", q->path, what, sqlite3_errmsg(q->db));
	return -1;
}

/* Step a statement that returns no rows, then reset it (and its bindings). */
static int store_sqlite_run(struct store_sqlite *q, enum store_sqlite_stmt i, char *err, size_t errlen)
{
	int rc = sqlite3_step(q->st[i]);

	if (rc != SQLITE_DONE) {
		store_sqlite_fail(q, store_sqlite_sql[i], err, errlen);
		sqlite3_reset(q->st[i]);
		sqlite3_clear_bindings(q->st[i]);
		return -1;
	}
	sqlite3_reset(q->st[i]);
	sqlite3_clear_bindings(q->st[i]);
	return 0;
}

/* One integer from a PRAGMA (or any one-value statement). */
static int store_sqlite_int(struct store_sqlite *q, const char *sql, int64_t *out, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return store_sqlite_fail(q, sql, err, errlen);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		store_sqlite_fail(q, sql, err, errlen);
		sqlite3_finalize(st);
		return -1;
	}
	*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

static int store_sqlite_exec(struct store_sqlite *q, const char *sql, char *err, size_t errlen)
{
	if (sqlite3_exec(q->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_sqlite_fail(q, sql, err, errlen);
	return 0;
}

static int store_sqlite_pragmas(struct store_sqlite *q, char *err, size_t errlen)
{
	char sql[256];
	sqlite3_stmt *st;
	bool wal;

	if (sqlite3_prepare_v2(q->db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK)
		return store_sqlite_fail(q, "PRAGMA journal_mode", err, errlen);
	wal = sqlite3_step(st) == SQLITE_ROW &&
	      !strcmp((const char *)sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "", "wal");
	sqlite3_finalize(st);
	if (!wal) {
		snprintf(err, errlen, "%s: cannot switch to WAL mode: %s", q->path, sqlite3_errmsg(q->db));
		return -1;
	}
	snprintf(sql, sizeof(sql),
		 "PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF; PRAGMA cache_size = -%d;"
		 " PRAGMA journal_size_limit = %d; PRAGMA wal_autocheckpoint = %d;"
		 " PRAGMA temp_store = MEMORY",
		 STORE_SQLITE_CACHE_KIB, STORE_SQLITE_WAL_LIMIT, STORE_SQLITE_CHECKPOINT);
	return store_sqlite_exec(q, sql, err, errlen);
}

/* Is this file ours, and of a version this program knows?  *version gets
 * its version (0: new, empty).  The first read of a file that is not a
 * database fails here. */
static int store_sqlite_check(struct store_sqlite *q, int64_t *version, char *err, size_t errlen)
{
	int64_t app_id, objects;

	if (store_sqlite_int(q, "PRAGMA user_version", version, err, errlen) < 0) {
		if (sqlite3_errcode(q->db) == SQLITE_NOTADB)
			snprintf(err, errlen, "%s: not an SQLite database, so not a zonewatch store",
				 q->path);
		return -1;
	}
	if (store_sqlite_int(q, "PRAGMA application_id", &app_id, err, errlen) < 0 ||
	    store_sqlite_int(q, "SELECT count(*) FROM sqlite_master", &objects, err, errlen) < 0)
		return -1;
	if (app_id != STORE_SQLITE_APP_ID && (app_id != 0 || objects != 0)) {
		snprintf(err, errlen, "%s: an SQLite database, but not a zonewatch store"
			 " (application_id %lld, %lld schema objects)", q->path,
			 (long long)app_id, (long long)objects);
		return -1;
	}
	if (*version > STORE_SQLITE_VERSION) {
		snprintf(err, errlen, "%s: store schema version %lld is newer than this"
			 " zw-collector's (%d): run a newer zw-collector", q->path,
			 (long long)*version, STORE_SQLITE_VERSION);
		return -1;
	}
	if (*version < 0) {
		snprintf(err, errlen, "%s: store schema version %lld is invalid", q->path,
			 (long long)*version);
		return -1;
	}
	return 0;
}

/* Bring the schema to STORE_SQLITE_VERSION in one transaction, checking
 * again inside it (another process may have just done it). */
static int store_sqlite_migrate(struct store_sqlite *q, char *err, size_t errlen)
{
	int64_t version;
	char sql[96];

	if (store_sqlite_exec(q, "BEGIN IMMEDIATE", err, errlen) < 0)
		return -1;
	if (store_sqlite_check(q, &version, err, errlen) < 0)
		goto fail;
	for (int64_t v = version; v < STORE_SQLITE_VERSION; v++)
		if (store_sqlite_exec(q, store_sqlite_migrations[v], err, errlen) < 0)
			goto fail;
	if (version < STORE_SQLITE_VERSION) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d; PRAGMA application_id = %d",
			 STORE_SQLITE_VERSION, STORE_SQLITE_APP_ID);
		if (store_sqlite_exec(q, sql, err, errlen) < 0)
			goto fail;
	}
	return store_sqlite_exec(q, "COMMIT", err, errlen);
fail:
	sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static void store_sqlite_close(void *be)
{
	struct store_sqlite *q = be;

	if (!q)
		return;
	for (int i = 0; i < SQ_N; i++)
		sqlite3_finalize(q->st[i]);
	sqlite3_close(q->db);   /* also checkpoints the WAL when last */
	free(q);
}

/* SQLite creates a missing file with mode 0644 (less the umask); create it
 * ourselves with 0640 first.  Its -wal and -shm files take the same mode. */
static int store_sqlite_create(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);

	if (fd < 0) {
		if (errno == EEXIST)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

static void *store_sqlite_open(const char *path, char *err, size_t errlen)
{
	struct store_sqlite *q;
	int64_t version;
	int rc;

	if (sqlite3_libversion_number() < 3024000) {
		snprintf(err, errlen, "%s: SQLite %s is too old (3.24 or newer needed)", path,
			 sqlite3_libversion());
		return NULL;
	}
	if (!*path || strlen(path) >= STORE_SQLITE_PATH_MAX) {
		snprintf(err, errlen, "store: database path empty or too long");
		return NULL;
	}
	if (store_sqlite_create(path, err, errlen) < 0)
		return NULL;
	q = calloc(1, sizeof(*q));
	if (!q) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	snprintf(q->path, sizeof(q->path), "%s", path);
	rc = sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(q->db, 1);
	sqlite3_busy_timeout(q->db, STORE_SQLITE_BUSY_MS);
	/* refuse a foreign or newer file before changing anything in it */
	if (store_sqlite_check(q, &version, err, errlen) < 0 ||
	    store_sqlite_pragmas(q, err, errlen) < 0 || store_sqlite_migrate(q, err, errlen) < 0)
		goto fail;
	for (int i = 0; i < SQ_N; i++)
		if (sqlite3_prepare_v3(q->db, store_sqlite_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &q->st[i], NULL) != SQLITE_OK) {
			store_sqlite_fail(q, store_sqlite_sql[i], err, errlen);
			goto fail;
		}
	return q;
fail:
	store_sqlite_close(q);
	return NULL;
}

static int store_sqlite_begin(void *be, char *err, size_t errlen)
{
	return store_sqlite_run(be, SQ_BEGIN, err, errlen);
}

static int store_sqlite_commit(void *be, char *err, size_t errlen)
{
	return store_sqlite_run(be, SQ_COMMIT, err, errlen);
}

static void store_sqlite_rollback(void *be)
{
	struct store_sqlite *q = be;
	char ignored[8];

	if (!sqlite3_get_autocommit(q->db))
		store_sqlite_run(q, SQ_ROLLBACK, ignored, sizeof(ignored));
}

static void store_sqlite_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* -1 (absent) as NULL */
static void store_sqlite_opt(sqlite3_stmt *st, int i, int64_t v)
{
	if (v < 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

static void store_sqlite_addr(sqlite3_stmt *st, int i, const struct alert_rec_addr *a)
{
	store_sqlite_text(st, i, a->family ? a->text : NULL);
	if (a->family)
		sqlite3_bind_blob(st, i + 1, a->bytes, sizeof(a->bytes), SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i + 1);
}

static int store_sqlite_put(void *be, const struct alert_rec *r, int64_t received_us, bool *inserted,
			    char *err, size_t errlen)
{
	struct store_sqlite *q = be;
	sqlite3_stmt *st = q->st[SQ_PUT];
	bool rule = r->kind == ALERT_REC_RULE;

	sqlite3_bind_text(st, 1, r->alert_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, r->ts_us);
	sqlite3_bind_int64(st, 3, received_us);
	sqlite3_bind_text(st, 4, r->sensor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, rule ? "alert" : "health", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, r->schema_version);
	sqlite3_bind_int64(st, 7, r->sid);
	sqlite3_bind_int64(st, 8, r->rev);
	sqlite3_bind_int(st, 9, r->severity);
	store_sqlite_text(st, 10, r->signature);
	store_sqlite_text(st, 11, r->signature_en);
	store_sqlite_text(st, 12, r->category);
	store_sqlite_text(st, 13, r->clause);
	store_sqlite_text(st, 14, r->threat);
	if (rule && r->flow_id)
		sqlite3_bind_int64(st, 15, (int64_t)r->flow_id);   /* 63-bit ids */
	store_sqlite_text(st, 16, r->proto);
	store_sqlite_text(st, 17, r->app_proto);
	store_sqlite_addr(st, 18, &r->src);
	store_sqlite_addr(st, 20, &r->dest);
	store_sqlite_opt(st, 22, r->src_port);
	store_sqlite_opt(st, 23, r->dest_port);
	store_sqlite_text(st, 24, r->src_zone);
	store_sqlite_text(st, 25, r->dest_zone);
	store_sqlite_text(st, 26, r->src_zone_name);
	store_sqlite_text(st, 27, r->dest_zone_name);
	store_sqlite_text(st, 28, r->src_country);
	store_sqlite_text(st, 29, r->dest_country);
	store_sqlite_opt(st, 30, r->src_asn);
	store_sqlite_opt(st, 31, r->dest_asn);
	store_sqlite_text(st, 32, r->health_condition);
	store_sqlite_text(st, 33, r->health_state);
	if (store_sqlite_run(q, SQ_PUT, err, errlen) < 0)
		return -1;
	*inserted = sqlite3_changes(q->db) == 1;
	if (!*inserted)
		return 0;

	st = q->st[SQ_PUT_JSON];
	sqlite3_bind_int64(st, 1, sqlite3_last_insert_rowid(q->db));
	sqlite3_bind_text64(st, 2, r->json, r->json_len, SQLITE_STATIC, SQLITE_UTF8);
	if (store_sqlite_run(q, SQ_PUT_JSON, err, errlen) < 0)
		return -1;

	st = q->st[SQ_SENSOR_ALERT];
	sqlite3_bind_text(st, 1, r->sensor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, received_us);
	sqlite3_bind_int64(st, 3, r->ts_us);
	return store_sqlite_run(q, SQ_SENSOR_ALERT, err, errlen);
}

static int store_sqlite_add(struct store_sqlite *q, const char *name, int64_t delta, char *err, size_t errlen)
{
	sqlite3_stmt *st = q->st[SQ_COUNT];

	if (!delta)
		return 0;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, delta);
	return store_sqlite_run(q, SQ_COUNT, err, errlen);
}

static int store_sqlite_count(void *be, uint64_t inserted, uint64_t duplicates, char *err, size_t errlen)
{
	struct store_sqlite *q = be;

	if (store_sqlite_add(q, "alerts", (int64_t)inserted, err, errlen) < 0)
		return -1;
	return store_sqlite_add(q, "duplicates", (int64_t)duplicates, err, errlen);
}

static int store_sqlite_quarantine(void *be, const struct store_quarantine_rec *r, char *err, size_t errlen)
{
	struct store_sqlite *q = be;
	sqlite3_stmt *st = q->st[SQ_QUARANTINE];

	if (store_sqlite_begin(q, err, errlen) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, r->received_us);
	sqlite3_bind_text(st, 2, r->stream_id, -1, SQLITE_STATIC);
	store_sqlite_text(st, 3, r->sensor);
	sqlite3_bind_text(st, 4, r->reason, -1, SQLITE_STATIC);
	/* a blob: the entry may not be UTF-8, and a cut may split a character */
	sqlite3_bind_blob64(st, 5, r->raw, r->raw_kept, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (int64_t)r->raw_len);
	if (store_sqlite_run(q, SQ_QUARANTINE, err, errlen) < 0 ||
	    store_sqlite_add(q, "quarantined", 1, err, errlen) < 0 ||
	    store_sqlite_commit(q, err, errlen) < 0) {
		store_sqlite_rollback(q);
		return -1;
	}
	return 0;
}

static int store_sqlite_heartbeat(void *be, const char *sensor, int64_t hb_us, char *err, size_t errlen)
{
	struct store_sqlite *q = be;
	sqlite3_stmt *st = q->st[SQ_HEARTBEAT];

	/* one statement: its own (durable) transaction */
	sqlite3_bind_text(st, 1, sensor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, hb_us);
	return store_sqlite_run(q, SQ_HEARTBEAT, err, errlen);
}

/* One chunk: at most `limit` alerts, then quarantined entries, in one
 * transaction.  *n: rows deleted. */
static int store_sqlite_purge_chunk(struct store_sqlite *q, int64_t before_us, int64_t limit,
				    uint64_t *n, char *err, size_t errlen)
{
	int64_t alerts = 0, quarantined = 0;

	*n = 0;
	if (store_sqlite_begin(q, err, errlen) < 0)
		return -1;
	sqlite3_bind_int64(q->st[SQ_PURGE_ALERTS], 1, before_us);
	sqlite3_bind_int64(q->st[SQ_PURGE_ALERTS], 2, limit);
	if (store_sqlite_run(q, SQ_PURGE_ALERTS, err, errlen) < 0)
		goto fail;
	alerts = sqlite3_changes(q->db);   /* the trigger's rows are not counted */
	if (alerts < limit) {
		sqlite3_bind_int64(q->st[SQ_PURGE_QUARANTINE], 1, before_us);
		sqlite3_bind_int64(q->st[SQ_PURGE_QUARANTINE], 2, limit - alerts);
		if (store_sqlite_run(q, SQ_PURGE_QUARANTINE, err, errlen) < 0)
			goto fail;
		quarantined = sqlite3_changes(q->db);
	}
	if (store_sqlite_add(q, "alerts", -alerts, err, errlen) < 0 ||
	    store_sqlite_add(q, "purged", alerts, err, errlen) < 0 ||
	    store_sqlite_add(q, "quarantined", -quarantined, err, errlen) < 0 ||
	    store_sqlite_commit(q, err, errlen) < 0)
		goto fail;
	*n = (uint64_t)(alerts + quarantined);
	return 0;
fail:
	store_sqlite_rollback(q);
	return -1;
}

static int store_sqlite_purge(void *be, int64_t before_us, uint64_t max_rows, uint64_t *deleted,
			      char *err, size_t errlen)
{
	*deleted = 0;
	while (*deleted < max_rows) {
		uint64_t left = max_rows - *deleted, n;
		int64_t limit = left < STORE_SQLITE_PURGE_CHUNK ? (int64_t)left : STORE_SQLITE_PURGE_CHUNK;

		if (store_sqlite_purge_chunk(be, before_us, limit, &n, err, errlen) < 0)
			return -1;
		*deleted += n;
		if ((int64_t)n < limit)
			break;
	}
	return 0;
}

static uint64_t store_sqlite_file_size(const char *path, const char *suffix)
{
	char name[STORE_SQLITE_PATH_MAX + 8];
	struct stat sb;

	snprintf(name, sizeof(name), "%s%s", path, suffix);
	return stat(name, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

static int store_sqlite_stats(void *be, struct store_stats *out, char *err, size_t errlen)
{
	struct store_sqlite *q = be;
	sqlite3_stmt *st = q->st[SQ_STATS];
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		uint64_t v = (uint64_t)sqlite3_column_int64(st, 1);
		if (!name)
			continue;
		if (!strcmp(name, "alerts"))
			out->alerts = v;
		else if (!strcmp(name, "duplicates"))
			out->duplicates = v;
		else if (!strcmp(name, "quarantined"))
			out->quarantined = v;
		else if (!strcmp(name, "purged"))
			out->purged = v;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_sqlite_fail(q, "reading counters", err, errlen);
	out->bytes = store_sqlite_file_size(q->path, "") + store_sqlite_file_size(q->path, "-wal");
	return 0;
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.open = store_sqlite_open,
	.close = store_sqlite_close,
	.begin = store_sqlite_begin,
	.put = store_sqlite_put,
	.count = store_sqlite_count,
	.commit = store_sqlite_commit,
	.rollback = store_sqlite_rollback,
	.quarantine = store_sqlite_quarantine,
	.heartbeat = store_sqlite_heartbeat,
	.purge = store_sqlite_purge,
	.stats = store_sqlite_stats,
};
