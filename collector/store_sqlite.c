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
 * Schema, version 3 (PRAGMA user_version; PRAGMA application_id "ZWCL"
 * marks the file as ours).  A file of a newer version is refused; an older
 * one is migrated in one transaction by the steps in store_sqlite_migrations.
 * Version 2 added behaviour alerts (kind 'behaviour'): their
 * behaviour.detector and behaviour.kind in columns of their own, next to
 * health_condition and health_state.  Columns of their own rather than
 * those two reused: a column means one thing for every row (`top --by
 * detector` groups by it without a condition on kind, and the sqlite3 shell
 * shows what is there), and the migration costs nothing: ALTER TABLE ADD
 * COLUMN with no default only rewrites the schema, not the rows, so a store
 * of millions of alerts is migrated at once, older rows reading NULL.
 * Version 3 added in_iface, the capture interface of schema_version 4
 * lines, the same way.  Its older rows rightly read NULL: they were stored
 * by a collector that refused version-4 lines, and no older line has it.
 *
 * alerts: INTEGER PRIMARY KEY id (the rowid); rows are appended at the end
 * of the table.  A WITHOUT ROWID table keyed by alert_id would insert every
 * whole row at a random place (alert_ids are hashes), splitting pages of
 * large rows, and make every other index carry the key.
 *
 * The dedup: a UNIQUE index on (ts_us, alert_id), not on alert_id alone.  A
 * re-sent alert is the same line, so it has the same time and alert_id and
 * is refused (ON CONFLICT DO NOTHING).  A unique index on alert_id alone
 * takes each insert at a random place (a hash): once it outgrows the page
 * cache every transaction dirties, and writes to the WAL, one page per
 * alert; bench-collector.sh measured the store going from 17,000 to 5,400
 * alerts/s between 0 and 1M alerts that way.  Led by the time, inserts land
 * near the end of the index (alerts arrive roughly in time order), and the
 * same index serves time ranges and sorting by time, so there is one index
 * fewer.  The difference: two lines with the same alert_id and different
 * times are both stored (two alerts; a sensor never sends that as a re-send).
 * AUTOINCREMENT: a plain rowid is max(id) + 1, so after retention deleted
 * the alert with the highest id (an old alert stored late) its id would be
 * given again, and `tail`, which asks for ids above the last it printed,
 * would miss the new alert.  The price is one row of sqlite_sequence
 * updated per insert, on a page that stays in the cache.
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
 *   alerts_ts (ts_us, alert_id)    UNIQUE: the dedup; time range alone;
 *                                  sort by time; top-N counts over a range
 *   alerts_src (src_ip_bin, ts_us) IP or CIDR, either side (the query ORs
 *   alerts_dest (dest_ip_bin, ts)  the two), within a time range: the
 *                                  benchmarked query
 *   alerts_sensor (sensor, ts_us)  one sensor's alerts (sensor pages)
 *   alerts_sid (sid, ts_us)        one rule's alerts (drill-down from top)
 * Not indexed: severity (5 values), zones, countries, app_proto, category,
 * clause, kind, behaviour_detector, in_iface: few distinct values, so an
 * index would rarely beat scanning the time range, which the query always has.  Add one
 * when a benchmark shows a need.  Retention deletes from the lowest rowid up (the order received),
 * looking at no more than a chunk of rows each time, so it never scans the
 * table; received_us needs no index.  (A row stored while the clock was
 * set ahead holds back the rows after it until it expires too.)
 *
 * sensors: per sensor, when its first and last alerts arrived, the newest
 * alert time, how many of its alerts are stored (kept by the insert and by
 * the delete trigger, so listing sensors counts no rows), and the newest
 * heartbeat's fields (store_sensor; an older heartbeat changes nothing).
 * counters: totals kept in the same transactions as the rows, so stats
 * need no COUNT(*) over a million rows.
 *
 * The read side (store_query, store_count_by, store_sensors) is at the end
 * of the file: statements built from the filter with bound parameters.
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

#define STORE_SQLITE_VERSION      3
#define STORE_SQLITE_APP_ID       0x5a57434c   /* "ZWCL" */
#define STORE_SQLITE_CACHE_KIB    262144
#define STORE_SQLITE_WAL_LIMIT    (128 * 1024 * 1024)
#define STORE_SQLITE_CHECKPOINT   16384   /* pages (64 MiB): checkpoint when the WAL is this big */
#define STORE_SQLITE_BUSY_MS      5000
#define STORE_SQLITE_PURGE_CHUNK  2000
#define STORE_SQLITE_PATH_MAX     4096

/* store_sqlite_migrations[v] takes a file from version v to v + 1. */
static const char *const store_sqlite_migrations[STORE_SQLITE_VERSION] = {
	/* 0 -> 1: the first schema */
	"CREATE TABLE alerts ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" alert_id TEXT NOT NULL,"
	" ts_us INTEGER NOT NULL,"
	" received_us INTEGER NOT NULL,"
	" sensor TEXT NOT NULL,"
	" kind TEXT NOT NULL,"                 /* event_type: 'alert', 'health' (and 'behaviour': 2) */
	" schema_version INTEGER,"
	" sid INTEGER NOT NULL, rev INTEGER, severity INTEGER NOT NULL,"
	" signature TEXT, signature_en TEXT, category TEXT, clause TEXT, threat TEXT,"
	" flow_id INTEGER, proto TEXT, app_proto TEXT,"
	" src_ip TEXT, src_ip_bin BLOB, dest_ip TEXT, dest_ip_bin BLOB,"
	" src_port INTEGER, dest_port INTEGER,"
	" src_zone TEXT, dest_zone TEXT, src_zone_name TEXT, dest_zone_name TEXT,"
	" src_country TEXT, dest_country TEXT, src_asn INTEGER, dest_asn INTEGER,"
	" health_condition TEXT, health_state TEXT);"
	"CREATE UNIQUE INDEX alerts_ts ON alerts(ts_us, alert_id);"
	"CREATE INDEX alerts_src ON alerts(src_ip_bin, ts_us);"
	"CREATE INDEX alerts_dest ON alerts(dest_ip_bin, ts_us);"
	"CREATE INDEX alerts_sensor ON alerts(sensor, ts_us);"
	"CREATE INDEX alerts_sid ON alerts(sid, ts_us);"
	"CREATE TABLE alert_json (id INTEGER PRIMARY KEY, json TEXT NOT NULL);"
	"CREATE TRIGGER alerts_delete_json AFTER DELETE ON alerts"
	" BEGIN DELETE FROM alert_json WHERE id = old.id;"
	" UPDATE sensors SET stored = stored - 1 WHERE sensor = old.sensor; END;"
	"CREATE TABLE quarantine ("
	" id INTEGER PRIMARY KEY, received_us INTEGER NOT NULL, stream_id TEXT NOT NULL,"
	" sensor TEXT, reason TEXT NOT NULL, raw BLOB NOT NULL, raw_len INTEGER NOT NULL);"
	"CREATE INDEX quarantine_received ON quarantine(received_us);"
	"CREATE TABLE sensors ("
	" sensor TEXT PRIMARY KEY, first_received_us INTEGER, last_received_us INTEGER,"
	" last_alert_us INTEGER, stored INTEGER NOT NULL DEFAULT 0,"
	" last_heartbeat_us INTEGER, version TEXT, ruleset TEXT, uptime_s INTEGER,"
	" packets INTEGER, kernel_drops INTEGER, queue_drops INTEGER, flows INTEGER,"
	" flows_active INTEGER, alerts INTEGER, alerts_dropped INTEGER,"
	" spool_records INTEGER, spool_bytes INTEGER) WITHOUT ROWID;"
	"CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
	"INSERT INTO counters VALUES ('alerts', 0), ('duplicates', 0), ('quarantined', 0),"
	" ('purged', 0);",
	/* 1 -> 2: behaviour alerts (schema_version 3 lines) */
	"ALTER TABLE alerts ADD COLUMN behaviour_detector TEXT;"
	"ALTER TABLE alerts ADD COLUMN behaviour_kind TEXT;",
	/* 2 -> 3: the capture interface (schema_version 4 lines) */
	"ALTER TABLE alerts ADD COLUMN in_iface TEXT;",
};

enum store_sqlite_stmt {
	SQ_BEGIN, SQ_COMMIT, SQ_ROLLBACK, SQ_PUT, SQ_PUT_JSON, SQ_SENSOR_ALERT, SQ_COUNT,
	SQ_QUARANTINE, SQ_HEARTBEAT, SQ_PURGE_ALERTS, SQ_PURGE_QUARANTINE, SQ_STATS,
	SQ_JSON, SQ_SENSORS,
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
		" src_country, dest_country, src_asn, dest_asn, health_condition, health_state,"
		" behaviour_detector, behaviour_kind, in_iface)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
		" ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31,"
		" ?32, ?33, ?34, ?35, ?36)"
		" ON CONFLICT(ts_us, alert_id) DO NOTHING",
	[SQ_PUT_JSON] = "INSERT INTO alert_json (id, json) VALUES (?1, ?2)",
	[SQ_SENSOR_ALERT] =
		"INSERT INTO sensors (sensor, first_received_us, last_received_us, last_alert_us, stored)"
		" VALUES (?1, ?2, ?2, ?3, ?4) ON CONFLICT(sensor) DO UPDATE SET stored = stored + excluded.stored,"
		" last_received_us = max(coalesce(last_received_us, 0), excluded.last_received_us),"
		" first_received_us = coalesce(first_received_us, excluded.first_received_us),"
		" last_alert_us = max(coalesce(last_alert_us, excluded.last_alert_us),"
		" excluded.last_alert_us)",
	[SQ_COUNT] = "UPDATE counters SET value = value + ?2 WHERE name = ?1",
	[SQ_QUARANTINE] =
		"INSERT INTO quarantine (received_us, stream_id, sensor, reason, raw, raw_len)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	/* an older heartbeat (a slow collector's copy) changes nothing */
	[SQ_HEARTBEAT] =
		"INSERT INTO sensors (sensor, last_heartbeat_us, version, ruleset, uptime_s, packets,"
		" kernel_drops, queue_drops, flows, flows_active, alerts, alerts_dropped,"
		" spool_records, spool_bytes)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
		" ON CONFLICT(sensor) DO UPDATE SET last_heartbeat_us = excluded.last_heartbeat_us,"
		" version = excluded.version, ruleset = excluded.ruleset, uptime_s = excluded.uptime_s,"
		" packets = excluded.packets, kernel_drops = excluded.kernel_drops,"
		" queue_drops = excluded.queue_drops, flows = excluded.flows,"
		" flows_active = excluded.flows_active, alerts = excluded.alerts,"
		" alerts_dropped = excluded.alerts_dropped, spool_records = excluded.spool_records,"
		" spool_bytes = excluded.spool_bytes"
		" WHERE sensors.last_heartbeat_us IS NULL"
		" OR sensors.last_heartbeat_us <= excluded.last_heartbeat_us",
	[SQ_PURGE_ALERTS] =
		"DELETE FROM alerts WHERE id IN"
		" (SELECT id FROM alerts ORDER BY id LIMIT ?2) AND received_us < ?1",
	[SQ_PURGE_QUARANTINE] =
		"DELETE FROM quarantine WHERE id IN"
		" (SELECT id FROM quarantine WHERE received_us < ?1 ORDER BY received_us LIMIT ?2)",
	[SQ_STATS] = "SELECT name, value FROM counters",
	[SQ_JSON] = "SELECT json FROM alert_json WHERE id = ?1",
	[SQ_SENSORS] =
		"SELECT sensor, last_heartbeat_us, version, ruleset, uptime_s, packets, kernel_drops,"
		" queue_drops, flows, flows_active, alerts, alerts_dropped, spool_records, spool_bytes,"
		" first_received_us, last_received_us, last_alert_us, stored"
		" FROM sensors ORDER BY sensor",
};

/* A batch's alerts per sensor, written to the sensors table once per batch
 * (not once per alert: a batch holds few sensors). */
#define STORE_SQLITE_SEEN_MAX 32
struct store_sqlite_seen {
	char sensor[STORE_SENSOR_ID_MAX];
	int64_t received_us, last_alert_us;
	int64_t n;
};

struct store_sqlite {
	sqlite3 *db;
	char path[STORE_SQLITE_PATH_MAX];
	sqlite3_stmt *st[SQ_N];
	struct store_sqlite_seen seen[STORE_SQLITE_SEEN_MAX];   /* of the open batch */
	size_t nseen;
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
	    store_sqlite_pragmas(q, err, errlen) < 0)
		goto fail;
	/* a current file needs no write lock: readers (query, tail) opening
	 * it do not wait for, or hold up, a collector's batch */
	if (version < STORE_SQLITE_VERSION && store_sqlite_migrate(q, err, errlen) < 0)
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
	struct store_sqlite *q = be;

	q->nseen = 0;
	return store_sqlite_run(q, SQ_BEGIN, err, errlen);
}

static int store_sqlite_commit(void *be, char *err, size_t errlen)
{
	return store_sqlite_run(be, SQ_COMMIT, err, errlen);
}

static void store_sqlite_rollback(void *be)
{
	struct store_sqlite *q = be;
	char ignored[8];

	q->nseen = 0;
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

/* The sensors seen in the batch so far into the sensors table. */
static int store_sqlite_seen_flush(struct store_sqlite *q, char *err, size_t errlen)
{
	sqlite3_stmt *st = q->st[SQ_SENSOR_ALERT];

	for (size_t i = 0; i < q->nseen; i++) {
		sqlite3_bind_text(st, 1, q->seen[i].sensor, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, q->seen[i].received_us);
		sqlite3_bind_int64(st, 3, q->seen[i].last_alert_us);
		sqlite3_bind_int64(st, 4, q->seen[i].n);
		if (store_sqlite_run(q, SQ_SENSOR_ALERT, err, errlen) < 0)
			return -1;
	}
	q->nseen = 0;
	return 0;
}

static int store_sqlite_seen_add(struct store_sqlite *q, const char *sensor, int64_t received_us,
				 int64_t ts_us, char *err, size_t errlen)
{
	struct store_sqlite_seen *sn = NULL;

	for (size_t i = 0; i < q->nseen && !sn; i++)
		if (!strcmp(q->seen[i].sensor, sensor))
			sn = &q->seen[i];
	if (!sn) {
		if (q->nseen == STORE_SQLITE_SEEN_MAX && store_sqlite_seen_flush(q, err, errlen) < 0)
			return -1;
		sn = &q->seen[q->nseen++];
		snprintf(sn->sensor, sizeof(sn->sensor), "%s", sensor);
		sn->received_us = received_us;
		sn->last_alert_us = ts_us;
		sn->n = 0;
	}
	if (ts_us > sn->last_alert_us)
		sn->last_alert_us = ts_us;
	sn->n++;
	return 0;
}

/* The kind column: the line's event_type. */
static const char *store_sqlite_kind_name(enum alert_rec_kind k)
{
	return k == ALERT_REC_HEALTH ? "health" : k == ALERT_REC_BEHAVIOUR ? "behaviour" : "alert";
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
	sqlite3_bind_text(st, 5, store_sqlite_kind_name(r->kind), -1, SQLITE_STATIC);
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
	store_sqlite_text(st, 34, r->behaviour_detector);
	store_sqlite_text(st, 35, r->behaviour_kind);
	store_sqlite_text(st, 36, r->in_iface);
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

	return store_sqlite_seen_add(q, r->sensor, received_us, r->ts_us, err, errlen);
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

	if (store_sqlite_seen_flush(q, err, errlen) < 0 ||
	    store_sqlite_add(q, "alerts", (int64_t)inserted, err, errlen) < 0)
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

static int store_sqlite_heartbeat(void *be, const struct store_sensor *hb, char *err, size_t errlen)
{
	struct store_sqlite *q = be;
	sqlite3_stmt *st = q->st[SQ_HEARTBEAT];
	const int64_t counters[] = { hb->uptime_s, hb->packets, hb->kernel_drops, hb->queue_drops,
				     hb->flows, hb->flows_active, hb->alerts, hb->alerts_dropped,
				     hb->spool_records, hb->spool_bytes };

	/* one statement: its own (durable) transaction */
	sqlite3_bind_text(st, 1, hb->sensor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, hb->last_heartbeat_us);
	store_sqlite_text(st, 3, hb->version[0] ? hb->version : NULL);
	store_sqlite_text(st, 4, hb->ruleset[0] ? hb->ruleset : NULL);
	for (int i = 0; i < (int)(sizeof(counters) / sizeof(counters[0])); i++)
		store_sqlite_opt(st, 5 + i, counters[i]);
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

/*
 * The read side.  Each query is one statement built from the filter: fixed
 * SQL text chosen by which fields are set, every value a bound parameter
 * (numbered ?N, in the order they are added), never pasted.
 *
 * An IP or CIDR on either side is
 *   ((src_ip_bin BETWEEN ?lo AND ?hi AND <time>) OR
 *    (dest_ip_bin BETWEEN ?lo AND ?hi AND <time>))
 * with "= ?" instead of BETWEEN for one address, and the time range inside
 * each arm only.  SQLite then answers it as a MULTI-INDEX OR: one search
 * of alerts_src and one of alerts_dest, each on (address, ts_us) (for one
 * address both columns bound the search; for a CIDR the address range
 * does, and ts_us is checked in the index before the row is read), the
 * rowids merged once.  A time range outside the OR would let the planner
 * pick alerts_ts instead and read every alert of the range.
 * tests/unit/test_query.c checks these plans with EXPLAIN QUERY PLAN on the
 * text store_sqlite_explain_sql gives.
 *
 * A row's line is read by its own statement (SQ_JSON) for the rows handed
 * out only, so a sort over many matches carries the small columns, not
 * kilobytes of JSON each.
 */
#define STORE_SQLITE_SQL_MAX   4096
#define STORE_SQLITE_BIND_MAX  32

enum store_sqlite_bind_type { STORE_SQLITE_INT, STORE_SQLITE_TEXT, STORE_SQLITE_BLOB };

struct store_sqlite_bind {
	enum store_sqlite_bind_type type;
	int64_t i;
	const void *p;      /* text or blob; lives as long as the build */
	int n;              /* blob bytes */
};

struct store_sqlite_build {
	char sql[STORE_SQLITE_SQL_MAX];
	size_t len;
	bool overflow;      /* SQL or parameters past their caps: refused */
	bool where;         /* " WHERE " written */
	struct store_sqlite_bind bind[STORE_SQLITE_BIND_MAX];
	int nbind;
	char app_prefix[QUERY_TEXT_MAX + 1];   /* "TLS." */
	char app_suffix[QUERY_TEXT_MAX + 1];   /* ".Tor" */
	char clause_prefix[QUERY_TEXT_MAX];    /* "第6" of "第6*" */
};

static void store_sqlite_emit(struct store_sqlite_build *b, const char *s)
{
	size_t n = strlen(s);

	if (b->overflow || b->len + n >= sizeof(b->sql)) {
		b->overflow = true;
		return;
	}
	memcpy(b->sql + b->len, s, n + 1);
	b->len += n;
}

/* Adds a parameter and writes its "?N". */
static void store_sqlite_param(struct store_sqlite_build *b, struct store_sqlite_bind v)
{
	char ph[16];

	if (b->nbind >= STORE_SQLITE_BIND_MAX) {
		b->overflow = true;
		return;
	}
	b->bind[b->nbind++] = v;
	snprintf(ph, sizeof(ph), "?%d", b->nbind);
	store_sqlite_emit(b, ph);
}

static void store_sqlite_p_int(struct store_sqlite_build *b, int64_t v)
{
	store_sqlite_param(b, (struct store_sqlite_bind){ .type = STORE_SQLITE_INT, .i = v });
}

static void store_sqlite_p_text(struct store_sqlite_build *b, const char *s)
{
	store_sqlite_param(b, (struct store_sqlite_bind){ .type = STORE_SQLITE_TEXT, .p = s });
}

static void store_sqlite_p_blob(struct store_sqlite_build *b, const void *p, int n)
{
	store_sqlite_param(b, (struct store_sqlite_bind){ .type = STORE_SQLITE_BLOB, .p = p, .n = n });
}

/* " WHERE " before the first condition, " AND " before the others */
static void store_sqlite_cond(struct store_sqlite_build *b, const char *s)
{
	store_sqlite_emit(b, b->where ? " AND " : " WHERE ");
	b->where = true;
	store_sqlite_emit(b, s);
}

/* The time range: as conditions of their own, or inside an address arm
 * ("+ts_us": checked, but not a search bound the planner may prefer). */
enum store_sqlite_time_use { STORE_SQLITE_TIME_TOP, STORE_SQLITE_TIME_ARM, STORE_SQLITE_TIME_ARM_CHECK };

static void store_sqlite_time(struct store_sqlite_build *b, const struct query_filter *f,
			      enum store_sqlite_time_use use)
{
	static const char *const from[] = { "ts_us >= ", " AND ts_us >= ", " AND +ts_us >= " };
	static const char *const to[] = { "ts_us < ", " AND ts_us < ", " AND +ts_us < " };

	if (f->from_us) {
		if (use == STORE_SQLITE_TIME_TOP)
			store_sqlite_cond(b, from[use]);
		else
			store_sqlite_emit(b, from[use]);
		store_sqlite_p_int(b, f->from_us);
	}
	if (f->to_us) {
		if (use == STORE_SQLITE_TIME_TOP)
			store_sqlite_cond(b, to[use]);
		else
			store_sqlite_emit(b, to[use]);
		store_sqlite_p_int(b, f->to_us);
	}
}

/* "(col = ?1 OR col2 = ?2)": a value on either side */
static void store_sqlite_either(struct store_sqlite_build *b, const char *col1, const char *col2,
				const char *v)
{
	store_sqlite_cond(b, "(");
	store_sqlite_emit(b, col1);
	store_sqlite_emit(b, " = ");
	store_sqlite_p_text(b, v);
	store_sqlite_emit(b, " OR ");
	store_sqlite_emit(b, col2);
	store_sqlite_emit(b, " = ");
	store_sqlite_p_text(b, v);
	store_sqlite_emit(b, ")");
}

static void store_sqlite_where(struct store_sqlite_build *b, const struct query_filter *f)
{
	if (f->has_net) {
		static const char *const cols[2] = { "src_ip_bin", "dest_ip_bin" };
		bool one = !memcmp(f->net_lo, f->net_hi, sizeof(f->net_lo));

		store_sqlite_cond(b, "(");
		for (int i = 0; i < 2; i++) {
			store_sqlite_emit(b, i ? " OR (" : "(");
			store_sqlite_emit(b, cols[i]);
			store_sqlite_emit(b, one ? " = " : " BETWEEN ");
			store_sqlite_p_blob(b, f->net_lo, (int)sizeof(f->net_lo));
			if (!one) {
				store_sqlite_emit(b, " AND ");
				store_sqlite_p_blob(b, f->net_hi, (int)sizeof(f->net_hi));
			}
			store_sqlite_time(b, f, one ? STORE_SQLITE_TIME_ARM : STORE_SQLITE_TIME_ARM_CHECK);
			store_sqlite_emit(b, ")");
		}
		store_sqlite_emit(b, ")");
	} else {
		store_sqlite_time(b, f, STORE_SQLITE_TIME_TOP);
	}
	/* with an address, its indexes are the search ("+": no other index) */
	if (f->sensor[0]) {
		store_sqlite_cond(b, f->has_net ? "+sensor = " : "sensor = ");
		store_sqlite_p_text(b, f->sensor);
	}
	if (f->severity_max) {
		store_sqlite_cond(b, "severity <= ");
		store_sqlite_p_int(b, f->severity_max);
	}
	if (f->sid) {
		store_sqlite_cond(b, f->has_net ? "+sid = " : "sid = ");
		store_sqlite_p_int(b, f->sid);
	}
	if (f->category[0]) {
		store_sqlite_cond(b, "category = ");
		store_sqlite_p_text(b, f->category);
	}
	if (f->clause[0]) {
		size_t n = strlen(f->clause);
		if (f->clause[n - 1] == '*') {
			/* a prefix: compared by characters on both sides */
			memcpy(b->clause_prefix, f->clause, n - 1);
			b->clause_prefix[n - 1] = '\0';
			if (n > 1) {
				store_sqlite_cond(b, "substr(clause, 1, length(");
				store_sqlite_p_text(b, b->clause_prefix);
				store_sqlite_emit(b, ")) = ");
				store_sqlite_p_text(b, b->clause_prefix);
			}
		} else {
			store_sqlite_cond(b, "clause = ");
			store_sqlite_p_text(b, f->clause);
		}
	}
	if (f->zone[0])
		store_sqlite_either(b, "src_zone", "dest_zone", f->zone);
	if (f->country[0])
		store_sqlite_either(b, "src_country", "dest_country", f->country);
	if (f->app_proto[0]) {
		/* nDPI's "master.app": the whole, or either part (ASCII case ignored) */
		snprintf(b->app_prefix, sizeof(b->app_prefix), "%s.", f->app_proto);
		snprintf(b->app_suffix, sizeof(b->app_suffix), ".%s", f->app_proto);
		store_sqlite_cond(b, "(app_proto = ");
		store_sqlite_p_text(b, f->app_proto);
		store_sqlite_emit(b, " COLLATE NOCASE OR substr(app_proto, 1, length(");
		store_sqlite_p_text(b, b->app_prefix);
		store_sqlite_emit(b, ")) = ");
		store_sqlite_p_text(b, b->app_prefix);
		store_sqlite_emit(b, " COLLATE NOCASE OR substr(app_proto, -length(");
		store_sqlite_p_text(b, b->app_suffix);
		store_sqlite_emit(b, ")) = ");
		store_sqlite_p_text(b, b->app_suffix);
		store_sqlite_emit(b, " COLLATE NOCASE)");
	}
	if (f->kind[0]) {
		store_sqlite_cond(b, "kind = ");
		store_sqlite_p_text(b, f->kind);
	}
	if (f->iface[0]) {
		store_sqlite_cond(b, "in_iface = ");
		store_sqlite_p_text(b, f->iface);
	}
	if (f->after_id) {
		store_sqlite_cond(b, "id > ");
		store_sqlite_p_int(b, f->after_id);
	}
}

enum store_sqlite_col {
	SC_ID, SC_RECEIVED, SC_ALERT_ID, SC_TS, SC_SENSOR, SC_KIND, SC_SCHEMA, SC_SID, SC_REV,
	SC_SEVERITY, SC_SIGNATURE, SC_SIGNATURE_EN, SC_CATEGORY, SC_CLAUSE, SC_THREAT, SC_FLOW_ID,
	SC_PROTO, SC_APP_PROTO, SC_SRC_IP, SC_SRC_BIN, SC_DEST_IP, SC_DEST_BIN, SC_SRC_PORT,
	SC_DEST_PORT, SC_SRC_ZONE, SC_DEST_ZONE, SC_SRC_ZONE_NAME, SC_DEST_ZONE_NAME,
	SC_SRC_COUNTRY, SC_DEST_COUNTRY, SC_SRC_ASN, SC_DEST_ASN, SC_HEALTH_CONDITION,
	SC_HEALTH_STATE, SC_BEHAVIOUR_DETECTOR, SC_BEHAVIOUR_KIND, SC_IN_IFACE
};

static const char store_sqlite_select[] =
	"SELECT id, received_us, alert_id, ts_us, sensor, kind, schema_version, sid, rev, severity,"
	" signature, signature_en, category, clause, threat, flow_id, proto, app_proto,"
	" src_ip, src_ip_bin, dest_ip, dest_ip_bin, src_port, dest_port, src_zone, dest_zone,"
	" src_zone_name, dest_zone_name, src_country, dest_country, src_asn, dest_asn,"
	" health_condition, health_state, behaviour_detector, behaviour_kind, in_iface FROM alerts";

static void store_sqlite_build_query(struct store_sqlite_build *b, const struct query_filter *f)
{
	static const char *const order[3][2] = {
		[QUERY_SORT_TIME] = { " ORDER BY ts_us DESC, id DESC", " ORDER BY ts_us, id" },
		[QUERY_SORT_SEVERITY] = { " ORDER BY severity, ts_us DESC, id DESC",
					  " ORDER BY severity DESC, ts_us, id" },
		[QUERY_SORT_ID] = { " ORDER BY id DESC", " ORDER BY id" },
	};

	store_sqlite_emit(b, store_sqlite_select);
	store_sqlite_where(b, f);
	store_sqlite_emit(b, order[f->sort][f->ascending]);
	if (f->limit) {
		store_sqlite_emit(b, " LIMIT ");
		store_sqlite_p_int(b, (int64_t)f->limit);
	}
}

/* Key, labels, count, most severe, first, last: grouped by the key. */
static void store_sqlite_build_count(struct store_sqlite_build *b, const struct query_filter *f,
				     enum query_key key, uint64_t limit)
{
	static const char *const expr[QUERY_KEY_COUNT_] = {
		[QUERY_KEY_SID] = "+sid, max(signature), max(signature_en)",
		[QUERY_KEY_SRC] = "coalesce(src_ip, ''), NULL, NULL",
		[QUERY_KEY_DEST] = "coalesce(dest_ip, ''), NULL, NULL",
		[QUERY_KEY_SENSOR] = "+sensor, NULL, NULL",
		[QUERY_KEY_SRC_COUNTRY] = "coalesce(src_country, ''), NULL, NULL",
		[QUERY_KEY_DEST_COUNTRY] = "coalesce(dest_country, ''), NULL, NULL",
		[QUERY_KEY_CLAUSE] = "coalesce(clause, ''), NULL, NULL",
		[QUERY_KEY_SRC_ZONE] = "coalesce(src_zone, ''), max(src_zone_name), NULL",
		[QUERY_KEY_DEST_ZONE] = "coalesce(dest_zone, ''), max(dest_zone_name), NULL",
		[QUERY_KEY_SEVERITY] = "+severity, NULL, NULL",
		[QUERY_KEY_CATEGORY] = "coalesce(category, ''), NULL, NULL",
		[QUERY_KEY_APP] = "coalesce(app_proto, ''), NULL, NULL",
		[QUERY_KEY_DETECTOR] = "coalesce(behaviour_detector, ''), NULL, NULL",
		[QUERY_KEY_IFACE] = "coalesce(in_iface, ''), NULL, NULL",
	};
	const int64_t day_us = 86400LL * 1000000, tz_us = (int64_t)f->tz_offset_s * 1000000;

	store_sqlite_emit(b, "SELECT ");
	if (key == QUERY_KEY_DAY) {
		/* the day number in the filter's zone, floor division */
		store_sqlite_emit(b, "(ts_us + ");
		store_sqlite_p_int(b, tz_us);
		store_sqlite_emit(b, ") / ");
		store_sqlite_p_int(b, day_us);
		store_sqlite_emit(b, " - ((ts_us + ");
		store_sqlite_p_int(b, tz_us);
		store_sqlite_emit(b, ") % ");
		store_sqlite_p_int(b, day_us);
		store_sqlite_emit(b, " < 0), NULL, NULL");
	} else {
		store_sqlite_emit(b, expr[key]);
	}
	store_sqlite_emit(b, ", count(*), min(severity), min(ts_us), max(ts_us) FROM alerts");
	store_sqlite_where(b, f);
	store_sqlite_emit(b, " GROUP BY 1 ORDER BY ");
	store_sqlite_emit(b, key == QUERY_KEY_DAY || key == QUERY_KEY_SEVERITY ? "1" : "4 DESC, 1");
	if (limit) {
		store_sqlite_emit(b, " LIMIT ");
		store_sqlite_p_int(b, (int64_t)limit);
	}
}

int store_sqlite_explain_sql(const struct query_filter *f, int key, char *buf, size_t len)
{
	struct store_sqlite_build *b = calloc(1, sizeof(*b));
	int rc = -1;

	if (!b)
		return -1;
	if (key < 0)
		store_sqlite_build_query(b, f);
	else if (key < QUERY_KEY_COUNT_)
		store_sqlite_build_count(b, f, (enum query_key)key, 10);
	else
		b->overflow = true;
	if (!b->overflow && b->len < len) {
		memcpy(buf, b->sql, b->len + 1);
		rc = 0;
	}
	free(b);
	return rc;
}

/* Prepare b's statement and bind its parameters; NULL with err set. */
static sqlite3_stmt *store_sqlite_prepare(struct store_sqlite *q, const struct store_sqlite_build *b,
					  char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;

	if (b->overflow) {
		snprintf(err, errlen, "%s: query too long", q->path);
		return NULL;
	}
	if (sqlite3_prepare_v2(q->db, b->sql, (int)b->len + 1, &st, NULL) != SQLITE_OK) {
		store_sqlite_fail(q, b->sql, err, errlen);
		return NULL;
	}
	for (int i = 0; i < b->nbind; i++) {
		const struct store_sqlite_bind *v = &b->bind[i];
		int rc;
		if (v->type == STORE_SQLITE_INT)
			rc = sqlite3_bind_int64(st, i + 1, v->i);
		else if (v->type == STORE_SQLITE_TEXT)
			rc = sqlite3_bind_text(st, i + 1, v->p, -1, SQLITE_STATIC);
		else
			rc = sqlite3_bind_blob(st, i + 1, v->p, v->n, SQLITE_STATIC);
		if (rc != SQLITE_OK) {
			store_sqlite_fail(q, "binding a query parameter", err, errlen);
			sqlite3_finalize(st);
			return NULL;
		}
	}
	return st;
}

static char *store_sqlite_col_text(sqlite3_stmt *st, int i)
{
	/* the row's strings are the statement's, valid until its next step */
	return (char *)sqlite3_column_text(st, i);
}

static int64_t store_sqlite_col_opt(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, i);
}

static void store_sqlite_col_addr(sqlite3_stmt *st, int text, int bin, struct alert_rec_addr *a)
{
	const void *p;

	a->text = store_sqlite_col_text(st, text);
	p = sqlite3_column_blob(st, bin);
	if (!a->text)
		return;
	if (p && sqlite3_column_bytes(st, bin) == (int)sizeof(a->bytes))
		memcpy(a->bytes, p, sizeof(a->bytes));
	a->family = strchr(a->text, ':') ? 6 : 4;
}

static void store_sqlite_row(sqlite3_stmt *st, struct query_row *row)
{
	struct alert_rec *r = &row->rec;
	const char *s;

	memset(row, 0, sizeof(*row));
	row->id = sqlite3_column_int64(st, SC_ID);
	row->received_us = sqlite3_column_int64(st, SC_RECEIVED);
	s = (const char *)sqlite3_column_text(st, SC_ALERT_ID);
	snprintf(r->alert_id, sizeof(r->alert_id), "%s", s ? s : "");
	s = (const char *)sqlite3_column_text(st, SC_KIND);
	r->kind = s && !strcmp(s, "health") ? ALERT_REC_HEALTH
		  : s && !strcmp(s, "behaviour") ? ALERT_REC_BEHAVIOUR : ALERT_REC_RULE;
	r->ts_us = sqlite3_column_int64(st, SC_TS);
	r->sensor = store_sqlite_col_text(st, SC_SENSOR);
	r->schema_version = (uint32_t)sqlite3_column_int64(st, SC_SCHEMA);
	r->sid = (uint32_t)sqlite3_column_int64(st, SC_SID);
	r->rev = (uint32_t)sqlite3_column_int64(st, SC_REV);
	r->severity = (uint8_t)sqlite3_column_int(st, SC_SEVERITY);
	r->signature = store_sqlite_col_text(st, SC_SIGNATURE);
	r->signature_en = store_sqlite_col_text(st, SC_SIGNATURE_EN);
	r->category = store_sqlite_col_text(st, SC_CATEGORY);
	r->clause = store_sqlite_col_text(st, SC_CLAUSE);
	r->threat = store_sqlite_col_text(st, SC_THREAT);
	r->flow_id = (uint64_t)sqlite3_column_int64(st, SC_FLOW_ID);
	r->proto = store_sqlite_col_text(st, SC_PROTO);
	r->app_proto = store_sqlite_col_text(st, SC_APP_PROTO);
	store_sqlite_col_addr(st, SC_SRC_IP, SC_SRC_BIN, &r->src);
	store_sqlite_col_addr(st, SC_DEST_IP, SC_DEST_BIN, &r->dest);
	r->src_port = (int)store_sqlite_col_opt(st, SC_SRC_PORT);
	r->dest_port = (int)store_sqlite_col_opt(st, SC_DEST_PORT);
	r->src_zone = store_sqlite_col_text(st, SC_SRC_ZONE);
	r->dest_zone = store_sqlite_col_text(st, SC_DEST_ZONE);
	r->src_zone_name = store_sqlite_col_text(st, SC_SRC_ZONE_NAME);
	r->dest_zone_name = store_sqlite_col_text(st, SC_DEST_ZONE_NAME);
	r->src_country = store_sqlite_col_text(st, SC_SRC_COUNTRY);
	r->dest_country = store_sqlite_col_text(st, SC_DEST_COUNTRY);
	r->src_asn = store_sqlite_col_opt(st, SC_SRC_ASN);
	r->dest_asn = store_sqlite_col_opt(st, SC_DEST_ASN);
	r->health_condition = store_sqlite_col_text(st, SC_HEALTH_CONDITION);
	r->health_state = store_sqlite_col_text(st, SC_HEALTH_STATE);
	r->behaviour_detector = store_sqlite_col_text(st, SC_BEHAVIOUR_DETECTOR);
	r->behaviour_kind = store_sqlite_col_text(st, SC_BEHAVIOUR_KIND);
	r->in_iface = store_sqlite_col_text(st, SC_IN_IFACE);
}

/* The row's line, from alert_json ("" if it is missing). */
static int store_sqlite_row_json(struct store_sqlite *q, struct query_row *row, char *err, size_t errlen)
{
	sqlite3_stmt *st = q->st[SQ_JSON];
	int rc;

	sqlite3_bind_int64(st, 1, row->id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_text(st, 0)) {
		row->rec.json = store_sqlite_col_text(st, 0);
		row->rec.json_len = (size_t)sqlite3_column_bytes(st, 0);
		return 0;
	}
	if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		row->rec.json = (char *)"";
		row->rec.json_len = 0;
		return 0;
	}
	return store_sqlite_fail(q, "reading an alert's line", err, errlen);
}

static int store_sqlite_query(void *be, const struct query_filter *f, query_row_fn cb, void *ctx,
			      char *err, size_t errlen)
{
	struct store_sqlite *q = be;
	struct store_sqlite_build *b = calloc(1, sizeof(*b));
	struct query_row row;
	sqlite3_stmt *st;
	int rc, ret = 0;

	if (!b) {
		snprintf(err, errlen, "%s: out of memory", q->path);
		return -1;
	}
	store_sqlite_build_query(b, f);
	st = store_sqlite_prepare(q, b, err, errlen);
	if (!st) {
		free(b);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_sqlite_row(st, &row);
		if (store_sqlite_row_json(q, &row, err, errlen) < 0) {
			ret = -1;
		} else {
			ret = cb(ctx, &row);
		}
		sqlite3_reset(q->st[SQ_JSON]);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = store_sqlite_fail(q, "query", err, errlen);
	sqlite3_finalize(st);
	free(b);
	return ret;
}

static int store_sqlite_count_by(void *be, const struct query_filter *f, enum query_key key,
				 uint64_t limit, query_count_fn cb, void *ctx, char *err, size_t errlen)
{
	struct store_sqlite *q = be;
	struct store_sqlite_build *b = calloc(1, sizeof(*b));
	sqlite3_stmt *st;
	int rc, ret = 0;

	if (!b) {
		snprintf(err, errlen, "%s: out of memory", q->path);
		return -1;
	}
	store_sqlite_build_count(b, f, key, limit);
	st = store_sqlite_prepare(q, b, err, errlen);
	if (!st) {
		free(b);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct query_count c;
		char day[40];
		memset(&c, 0, sizeof(c));
		if (key == QUERY_KEY_DAY) {
			/* a day number: its date (formatted as UTC, it is already shifted) */
			query_time_format(sqlite3_column_int64(st, 0) * 86400 * 1000000, 0, 0, day, sizeof(day));
			day[10] = '\0';
			c.key = day;
		} else {
			c.key = (const char *)sqlite3_column_text(st, 0);
			if (!c.key)
				c.key = "";
		}
		c.label = (const char *)sqlite3_column_text(st, 1);
		c.label_en = (const char *)sqlite3_column_text(st, 2);
		c.count = (uint64_t)sqlite3_column_int64(st, 3);
		c.severity_min = (uint8_t)sqlite3_column_int(st, 4);
		c.first_us = sqlite3_column_int64(st, 5);
		c.last_us = sqlite3_column_int64(st, 6);
		ret = cb(ctx, &c);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = store_sqlite_fail(q, "count", err, errlen);
	sqlite3_finalize(st);
	free(b);
	return ret;
}

static int store_sqlite_sensors(void *be, store_sensor_fn cb, void *ctx, char *err, size_t errlen)
{
	struct store_sqlite *q = be;
	sqlite3_stmt *st = q->st[SQ_SENSORS];
	struct store_sensor *sn = malloc(sizeof(*sn));
	int rc, ret = 0;

	if (!sn) {
		snprintf(err, errlen, "%s: out of memory", q->path);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t *const counters[] = { &sn->uptime_s, &sn->packets, &sn->kernel_drops,
					      &sn->queue_drops, &sn->flows, &sn->flows_active,
					      &sn->alerts, &sn->alerts_dropped, &sn->spool_records,
					      &sn->spool_bytes };
		const char *s;

		memset(sn, 0, sizeof(*sn));
		s = (const char *)sqlite3_column_text(st, 0);
		snprintf(sn->sensor, sizeof(sn->sensor), "%s", s ? s : "");
		sn->last_heartbeat_us = sqlite3_column_int64(st, 1);   /* NULL: 0 */
		s = (const char *)sqlite3_column_text(st, 2);
		snprintf(sn->version, sizeof(sn->version), "%s", s ? s : "");
		s = (const char *)sqlite3_column_text(st, 3);
		snprintf(sn->ruleset, sizeof(sn->ruleset), "%s", s ? s : "");
		for (int i = 0; i < (int)(sizeof(counters) / sizeof(counters[0])); i++)
			*counters[i] = store_sqlite_col_opt(st, 4 + i);
		sn->first_received_us = sqlite3_column_int64(st, 14);
		sn->last_received_us = sqlite3_column_int64(st, 15);
		sn->last_alert_us = sqlite3_column_int64(st, 16);
		sn->stored = (uint64_t)sqlite3_column_int64(st, 17);
		ret = cb(ctx, sn);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = store_sqlite_fail(q, "listing sensors", err, errlen);
	sqlite3_reset(st);
	free(sn);
	return ret;
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
	.query = store_sqlite_query,
	.count_by = store_sqlite_count_by,
	.sensors = store_sqlite_sensors,
};
