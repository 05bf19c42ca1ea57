/* Unit tests: the store's write side (store.h) on SQLite: batches, dedup,
 * reopen, quarantine, retention, refused files, behaviour alerts and the
 * migration of a version-1 file that brought their columns, in_iface and the
 * migration of a version-2 file that brought its column, a reader during
 * writes, and a timing line for 200k inserts.  The test reads the file back
 * with the SQLite API directly. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "alert_fixture.h"
#include "check.h"
#include "sql_plan.h"
#include "store.h"

#define T0 1700000000000000LL   /* 2023-11-14, unix microseconds */

static const char test_json[] =
	"{\"timestamp\":\"2013-11-07T10:54:26.558024+0000\",\"flow_id\":4067309231430204879,"
	"\"event_type\":\"alert\",\"schema_version\":2,\"sensor\":\"city-joho-01\","
	"\"alert_id\":\"bb5c55f86b629bafdc6f16a99db8a0e2\",\"proto\":\"TCP\","
	"\"src_ip\":\"192.168.1.252\",\"src_port\":51111,\"dest_ip\":\"46.59.52.31\","
	"\"dest_port\":443,\"app_proto\":\"TLS.Tor\",\"alert\":{\"action\":\"allowed\","
	"\"gid\":1,\"signature_id\":2001,\"rev\":1,\"signature\":\"匿名化通信（Tor）を検知\","
	"\"signature_en\":\"Anonymiser: Tor traffic\",\"severity\":2,\"severity_name\":\"high\","
	"\"category\":\"Unauthorised software\"},\"policy\":{\"clause\":\"第6(3)③\","
	"\"threat\":\"unauthorized-software\",\"threat_name\":\"無許可ソフトウェアの使用 (第3(2))\","
	"\"threat_name_en\":\"Unauthorised software\"},\"src_zone\":{\"key\":\"internet\","
	"\"name\":\"情報系\"},\"dest_zone\":{\"key\":\"external\",\"name\":\"external\"},"
	"\"geo\":{\"src\":{},\"dest\":{\"country\":\"SE\",\"asn\":8473,\"org\":\"Bahnhof AB\"}},"
	"\"ndpi\":{\"master\":\"TLS\",\"app\":\"Tor\",\"category\":\"VPN\",\"breed\":"
	"\"Potentially Dangerous\",\"confidence\":\"DPI\",\"risks\":[\"tls_obsolete_version\","
	"\"suspicious_dga_domain\",\"unsafe_protocol\"],\"risk_score\":210,\"hostname\":"
	"\"www.e6r5p57kbafwrxj3plz.com\",\"ja3c\":\"581a3c7f54555512b8cd16e87dfe165b\","
	"\"ja3s\":\"184d532a16876b78846ae6a03f654890\",\"cert_sha1\":"
	"\"3ab18a6fc3f641ed77d540c385798b6246bc659c\"},\"flow\":{\"pkts_toserver\":3,"
	"\"pkts_toclient\":3,\"bytes_toserver\":402,\"bytes_toclient\":923,\"start\":"
	"\"2013-11-07T10:54:26.407384+0000\"},\"evidence\":[{\"field\":\"protocol\","
	"\"value\":\"Tor\"}],\"trigger\":\"classified\",\"rule_file\":"
	"\"signatures/20-software.rules\",\"rule_line\":7}";

static void rule_rec(struct alert_rec *r, unsigned id, const char *sensor, int64_t ts_us,
		     const char *src, const char *dest)
{
	const struct alert_fixture fx = {
		.kind = ALERT_REC_RULE, .id = id, .sensor = sensor, .ts_us = ts_us, .sid = 2001, .severity = 2,
		.signature = "匿名化通信（Tor）を検知", .signature_en = "Anonymiser: Tor traffic",
		.category = "Unauthorised software", .clause = "第6(3)③", .threat = "unauthorized-software",
		.flow_id = 4067309231430204879ULL, .proto = "TCP", .app_proto = "TLS.Tor",
		.src = src, .dest = dest, .src_port = 51111, .dest_port = 443,
		.src_zone = "internet", .dest_zone = "external", .src_zone_name = "情報系",
		.dest_zone_name = "external", .dest_country = "SE", .src_asn = -1, .dest_asn = 8473,
		.json = test_json,
	};

	alert_fixture_rec(r, &fx);
}

static void health_rec(struct alert_rec *r, unsigned id, const char *sensor, int64_t ts_us)
{
	const struct alert_fixture fx = {
		.kind = ALERT_REC_HEALTH, .id = id, .sensor = sensor, .ts_us = ts_us, .sid = 9001, .severity = 3,
		.signature = "センサーのパケット取りこぼし率がしきい値を超過",
		.signature_en = "Sensor: capture drop rate above the threshold",
		.category = "Fault", .clause = "第6(7)", .threat = "fault",
		.src_port = -1, .dest_port = -1, .src_asn = -1, .dest_asn = -1,
		.health_condition = "capture_drops", .health_state = "raised",
		.json = "{\"event_type\":\"health\"}",
	};

	alert_fixture_rec(r, &fx);
}

/* A behaviour alert: src and dest each optional (NULL), dest_port -1 for none. */
static void behaviour_rec(struct alert_rec *r, unsigned id, int64_t ts_us, const char *detector,
			  const char *kind, const char *src, const char *dest, int dest_port)
{
	const struct alert_fixture fx = {
		.kind = ALERT_REC_BEHAVIOUR, .id = id, .sensor = "kobe-01", .ts_us = ts_us, .sid = 9101,
		.severity = 3, .signature = "ポートスキャンを検知", .signature_en = "Port scan",
		.category = "Unauthorised access", .clause = "第6(6)", .threat = "unauthorized-access",
		.proto = dest_port >= 0 ? "TCP" : NULL, .src = src, .dest = dest, .src_port = -1,
		.dest_port = dest_port, .src_zone = src ? "internet" : NULL,
		.src_zone_name = src ? "情報系" : NULL, .dest_zone = dest ? "external" : NULL,
		.dest_zone_name = dest ? "external" : NULL, .src_asn = -1, .dest_asn = -1,
		.behaviour_detector = detector, .behaviour_kind = kind,
		.json = "{\"event_type\":\"behaviour\"}",
	};

	alert_fixture_rec(r, &fx);
}

static int64_t q_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -999;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		printf("sql error: %s: %s\n", sql, sqlite3_errmsg(db));
		return v;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* First column of the first row as text, into buf ("" for none / NULL). */
static const char *q_text(sqlite3 *db, const char *sql, char *buf, size_t len)
{
	sqlite3_stmt *st;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		printf("sql error: %s: %s\n", sql, sqlite3_errmsg(db));
		return buf;
	}
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return buf;
}

static sqlite3 *db_open(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		printf("cannot open %s\n", path);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_put_dedup_reopen(const char *dir)
{
	char path[512], err[512], buf[512];
	struct alert_rec r[4];
	struct store_put_result res;
	struct store_stats sst;
	struct store *s;
	struct stat sb;
	sqlite3 *db;
	int rc;

	snprintf(path, sizeof(path), "%s/a.db", dir);
	s = store_open(path, err, sizeof(err));
	CHECK(s != NULL, "open new store: %s", err);
	if (!s)
		return;
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0640, "file mode %o", (unsigned)(sb.st_mode & 0777));

	rule_rec(&r[0], 1, "kobe-01", T0 + 1, "192.168.1.252", "46.59.52.31");
	rule_rec(&r[1], 2, "kobe-01", T0 + 2, "2001:db8::1", "2001:db8:ffff::53");
	health_rec(&r[2], 3, "himeji-02", T0 + 3);
	rc = store_put_batch(s, r, 3, T0 + 100, &res, err, sizeof(err));
	CHECK(rc == 0 && res.inserted == 3 && res.duplicates == 0, "first batch rc %d ins %llu dup %llu %s",
	      rc, (unsigned long long)res.inserted, (unsigned long long)res.duplicates, err);

	/* re-sent: same ids with a different signature, nothing changes */
	free(r[0].signature);
	r[0].signature = strdup("changed");
	rc = store_put_batch(s, r, 3, T0 + 200, &res, err, sizeof(err));
	CHECK(rc == 0 && res.inserted == 0 && res.duplicates == 3, "re-sent batch ins %llu dup %llu",
	      (unsigned long long)res.inserted, (unsigned long long)res.duplicates);

	/* one new, one old in the same batch */
	rule_rec(&r[3], 4, "kobe-01", T0 + 4, "10.1.2.3", "10.2.0.1");
	rc = store_put_batch(s, &r[2], 2, T0 + 300, &res, err, sizeof(err));
	CHECK(rc == 0 && res.inserted == 1 && res.duplicates == 1, "mixed batch ins %llu dup %llu",
	      (unsigned long long)res.inserted, (unsigned long long)res.duplicates);

	/* a duplicate inside one batch */
	rc = store_put_batch(s, (struct alert_rec[]){ r[3], r[3] }, 2, T0 + 300, &res, err, sizeof(err));
	CHECK(rc == 0 && res.inserted == 0 && res.duplicates == 2, "dup within batch");

	/* an invalid record: the whole batch refused, nothing written */
	{
		struct alert_rec bad[2];
		memcpy(bad, r, sizeof(bad));
		snprintf(bad[1].alert_id, sizeof(bad[1].alert_id), "%s", "NOT-HEX");
		bad[0].alert_id[0] = 'f';
		rc = store_put_batch(s, bad, 2, T0, &res, err, sizeof(err));
		CHECK(rc == -1 && strstr(err, "record 1") && strstr(err, "alert_id"), "invalid record: %s", err);
		bad[1] = r[1];
		bad[1].severity = 0;
		rc = store_put_batch(s, bad, 2, T0, &res, err, sizeof(err));
		CHECK(rc == -1 && strstr(err, "severity"), "severity 0: %s", err);
		bad[1] = r[1];
		bad[1].sensor = NULL;
		rc = store_put_batch(s, bad, 2, T0, &res, err, sizeof(err));
		CHECK(rc == -1 && strstr(err, "sensor"), "no sensor: %s", err);
		rc = store_put_batch(s, bad, STORE_BATCH_MAX + 1, T0, &res, err, sizeof(err));
		CHECK(rc == -1 && strstr(err, "at most"), "batch too large: %s", err);
	}
	rc = store_put_batch(s, r, 0, T0, &res, err, sizeof(err));
	CHECK(rc == 0 && res.inserted == 0, "empty batch");

	{
		struct store_sensor hb = { .sensor = "kobe-01", .last_heartbeat_us = T0 + 500 };

		CHECK(store_heartbeat(s, &hb, err, sizeof(err)) == 0, "heartbeat: %s", err);
		snprintf(hb.sensor, sizeof(hb.sensor), "never-alerted");
		hb.last_heartbeat_us = T0 + 600;
		CHECK(store_heartbeat(s, &hb, err, sizeof(err)) == 0, "heartbeat: %s", err);
	}

	CHECK(store_stats_get(s, &sst, err, sizeof(err)) == 0, "stats: %s", err);
	CHECK(sst.alerts == 4 && sst.duplicates == 6 && sst.quarantined == 0 && sst.bytes > 0,
	      "stats alerts %llu dup %llu q %llu bytes %llu", (unsigned long long)sst.alerts,
	      (unsigned long long)sst.duplicates, (unsigned long long)sst.quarantined,
	      (unsigned long long)sst.bytes);
	store_close(s);

	/* reopen: the schema is accepted, counters persist */
	s = store_open(path, err, sizeof(err));
	CHECK(s != NULL, "reopen: %s", err);
	if (s) {
		CHECK(store_stats_get(s, &sst, err, sizeof(err)) == 0 && sst.alerts == 4 &&
		      sst.duplicates == 6, "stats after reopen");
		store_close(s);
	}
	s = store_open("sqlite:does/not/exist/x.db", err, sizeof(err));
	CHECK(!s && strstr(err, "does/not/exist/x.db"), "missing directory: %s", err);

	/* read it back directly */
	db = db_open(path);
	CHECK(q_int(db, "SELECT count(*) FROM alerts") == 4, "4 rows");
	CHECK(q_int(db, "SELECT count(*) FROM alert_json") == 4, "4 json rows");
	CHECK(!strcmp(q_text(db, "PRAGMA journal_mode", buf, sizeof(buf)), "wal"), "journal %s", buf);
	CHECK(q_int(db, "PRAGMA user_version") == 3, "user_version");
	CHECK(!strcmp(q_text(db, "SELECT signature FROM alerts WHERE alert_id = "
			     "'00000000000000000000000000000001'", buf, sizeof(buf)),
		      "匿名化通信（Tor）を検知"), "signature not changed by re-send: %s", buf);
	CHECK(q_int(db, "SELECT received_us FROM alerts WHERE alert_id = "
		    "'00000000000000000000000000000001'") == T0 + 100, "received_us of the first write");
	q_text(db, "SELECT j.json FROM alerts a JOIN alert_json j USING (id) WHERE"
	       " a.alert_id = '00000000000000000000000000000001'", buf, sizeof(buf));
	CHECK(buf[0] && !strncmp(buf, test_json, sizeof(buf) - 1), "json kept");
	CHECK(q_int(db, "SELECT length(CAST(j.json AS BLOB)) FROM alerts a JOIN alert_json j USING (id) WHERE"
		    " a.alert_id = '00000000000000000000000000000001'") == (int64_t)strlen(test_json),
	      "json length");
	CHECK(!strcmp(q_text(db, "SELECT hex(src_ip_bin) FROM alerts WHERE sid = 2001 AND ts_us = "
			     "1700000000000001", buf, sizeof(buf)),
		      "00000000000000000000FFFFC0A801FC"), "v4-mapped blob %s", buf);
	CHECK(!strcmp(q_text(db, "SELECT src_ip || ' ' || dest_ip || ' ' || src_port || ' ' ||"
			     " dest_port || ' ' || dest_country || ' ' || dest_asn || ' ' || flow_id ||"
			     " ' ' || kind FROM alerts WHERE ts_us = 1700000000000002", buf, sizeof(buf)),
		      "2001:db8::1 2001:db8:ffff::53 51111 443 SE 8473 4067309231430204879 alert"),
	      "v6 row: %s", buf);
	CHECK(q_int(db, "SELECT length(dest_ip_bin) FROM alerts WHERE ts_us = 1700000000000002") == 16,
	      "16-byte v6 blob");
	CHECK(!strcmp(q_text(db, "SELECT kind || ' ' || health_condition || ' ' || health_state || ' '"
			     " || coalesce(src_ip, 'null') || ' ' || coalesce(src_port, 'null') || ' ' ||"
			     " coalesce(src_asn, 'null') || ' ' || coalesce(flow_id, 'null')"
			     " FROM alerts WHERE sid = 9001", buf, sizeof(buf)),
		      "health capture_drops raised null null null null"), "health row: %s", buf);
	/* a CIDR (10.1.0.0/16 as v4-mapped) within a time range, on the index */
	CHECK(q_int(db, "SELECT count(*) FROM alerts WHERE src_ip_bin BETWEEN"
		    " x'00000000000000000000FFFF0A010000' AND x'00000000000000000000FFFF0A01FFFF'"
		    " AND ts_us BETWEEN 1700000000000000 AND 1700000000000010") == 1, "CIDR query");
	sql_plan(db, "SELECT id FROM alerts WHERE src_ip_bin BETWEEN ?1 AND ?2 AND ts_us BETWEEN ?3 AND ?4",
	       buf, sizeof(buf));
	CHECK(strstr(buf, "alerts_src") != NULL, "CIDR plan: %s", buf);
	sql_plan(db, "SELECT id FROM alerts WHERE sensor = ?1 AND ts_us BETWEEN ?3 AND ?4", buf, sizeof(buf));
	CHECK(strstr(buf, "alerts_sensor") != NULL, "sensor plan: %s", buf);
	sql_plan(db, "DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE received_us < ?1"
	       " ORDER BY id LIMIT ?2)", buf, sizeof(buf));
	CHECK(strstr(buf, "TEMP B-TREE") == NULL, "purge plan (rowid order, no sort): %s", buf);
	CHECK(q_int(db, "SELECT last_alert_us FROM sensors WHERE sensor = 'kobe-01'") == T0 + 4,
	      "sensor last alert");
	CHECK(q_int(db, "SELECT last_heartbeat_us FROM sensors WHERE sensor = 'kobe-01'") == T0 + 500,
	      "sensor heartbeat");
	CHECK(q_int(db, "SELECT last_received_us FROM sensors WHERE sensor = 'himeji-02'") == T0 + 100,
	      "sensor last received");
	CHECK(q_int(db, "SELECT count(*) FROM sensors WHERE sensor = 'never-alerted'"
		    " AND last_alert_us IS NULL") == 1, "heartbeat-only sensor");
	sqlite3_close(db);
	for (int i = 0; i < 4; i++)
		alert_fixture_free(&r[i]);
}

static void test_quarantine_purge(const char *dir)
{
	char path[512], err[512], buf[128];
	struct alert_rec r[100];
	struct store_put_result res;
	struct store_stats sst;
	struct store *s;
	uint64_t deleted;
	size_t biglen = 100 * 1024;
	char *big = malloc(biglen);
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/q.db", dir);
	s = store_open(path, err, sizeof(err));
	CHECK(s != NULL, "open: %s", err);
	if (!s || !big) {
		free(big);
		return;
	}
	memset(big, 'x', biglen);
	big[0] = '{';
	CHECK(store_quarantine(s, "1700000000000-0", NULL, big, biglen, "not JSON: line 1",
			       T0 + 10, err, sizeof(err)) == 0, "quarantine big: %s", err);
	CHECK(store_quarantine(s, "1700000000001-0", "kobe-01", "{\"a\":1}", 7,
			       "missing field alert_id", T0 + 90 * 1000000LL, err, sizeof(err)) == 0,
	      "quarantine small: %s", err);
	CHECK(store_quarantine(s, NULL, NULL, NULL, 0, NULL, T0 + 90 * 1000000LL, err, sizeof(err)) == 0,
	      "quarantine empty: %s", err);

	/* alert times decreasing, received times increasing: retention goes by
	 * when an alert was received */
	for (unsigned i = 0; i < 100; i++)
		rule_rec(&r[i], 1000 + i, i % 2 ? "a" : "b", T0 - (int64_t)i * 1000000, "10.0.0.1", "10.0.0.2");
	for (unsigned k = 0; k < 10; k++)
		CHECK(store_put_batch(s, r + 10 * k, 10, T0 + (int64_t)k * 10 * 1000000, &res, err,
				      sizeof(err)) == 0 && res.inserted == 10, "10 in: %s", err);

	db = db_open(path);
	CHECK(q_int(db, "SELECT length(raw) FROM quarantine WHERE stream_id = '1700000000000-0'") ==
	      STORE_RAW_MAX, "raw capped");
	CHECK(q_int(db, "SELECT raw_len FROM quarantine WHERE stream_id = '1700000000000-0'") ==
	      (int64_t)biglen, "raw_len kept");
	CHECK(!strcmp(q_text(db, "SELECT reason || '/' || coalesce(sensor, 'null') FROM quarantine"
			     " WHERE stream_id = '1700000000000-0'", buf, sizeof(buf)), "not JSON: line 1/null"),
	      "reason %s", buf);
	CHECK(!strcmp(q_text(db, "SELECT sensor FROM quarantine WHERE stream_id = '1700000000001-0'",
			     buf, sizeof(buf)), "kobe-01"), "quarantine sensor");

	CHECK(store_stats_get(s, &sst, err, sizeof(err)) == 0 && sst.quarantined == 3 && sst.alerts == 100,
	      "stats q %llu", (unsigned long long)sst.quarantined);

	/* retention: 50 alerts received before T0+50s, one quarantined entry */
	CHECK(store_purge_before(s, T0 + 50 * 1000000LL, 20, &deleted, err, sizeof(err)) == 0 &&
	      deleted == 20, "purge capped at 20: %llu", (unsigned long long)deleted);
	CHECK(store_purge_before(s, T0 + 50 * 1000000LL, 1000, &deleted, err, sizeof(err)) == 0 &&
	      deleted == 31, "purge the rest: %llu", (unsigned long long)deleted);
	CHECK(store_purge_before(s, T0 + 50 * 1000000LL, 1000, &deleted, err, sizeof(err)) == 0 &&
	      deleted == 0, "nothing left: %llu", (unsigned long long)deleted);
	CHECK(q_int(db, "SELECT count(*) FROM alerts") == 50 &&
	      q_int(db, "SELECT min(received_us) FROM alerts") == T0 + 50 * 1000000LL &&
	      q_int(db, "SELECT max(ts_us) FROM alerts") == T0 - 50 * 1000000LL, "50 received last left");
	CHECK(q_int(db, "SELECT count(*) FROM alert_json") == 50 &&
	      q_int(db, "SELECT count(*) FROM alert_json WHERE id NOT IN (SELECT id FROM alerts)") == 0,
	      "json purged with its alert");
	CHECK(q_int(db, "SELECT count(*) FROM quarantine") == 2, "old quarantined entry purged");
	CHECK(store_stats_get(s, &sst, err, sizeof(err)) == 0 && sst.alerts == 50 && sst.purged == 50 &&
	      sst.quarantined == 2, "stats after purge: %llu %llu %llu", (unsigned long long)sst.alerts,
	      (unsigned long long)sst.purged, (unsigned long long)sst.quarantined);
	/* a purged alert re-sent is stored again: retention, not dedup, decides */
	CHECK(store_put_batch(s, r, 1, T0, &res, err, sizeof(err)) == 0 && res.inserted == 1,
	      "purged id stored again");
	sqlite3_close(db);
	store_close(s);
	for (unsigned i = 0; i < 100; i++)
		alert_fixture_free(&r[i]);
	free(big);
}

static void test_refused(const char *dir)
{
	char path[512], err[512], buf[32];
	struct store *s;
	sqlite3 *db;
	FILE *f;

	snprintf(path, sizeof(path), "%s/text.db", dir);
	f = fopen(path, "w");
	if (f) {
		for (int i = 0; i < 100; i++)
			fputs("this is a text file, not a database\n", f);
		fclose(f);
	}
	s = store_open(path, err, sizeof(err));
	CHECK(!s && strstr(err, path) && strstr(err, "not an SQLite database"), "text file: %s", err);
	store_close(s);

	snprintf(path, sizeof(path), "%s/other.db", dir);
	db = db_open(path);
	sqlite3_exec(db, "CREATE TABLE foo (x)", NULL, NULL, NULL);
	sqlite3_close(db);
	s = store_open(path, err, sizeof(err));
	CHECK(!s && strstr(err, path) && strstr(err, "not a zonewatch store"), "foreign db: %s", err);
	store_close(s);
	db = NULL;
	sqlite3_open(path, &db);
	CHECK(q_int(db, "SELECT count(*) FROM sqlite_master") == 1 &&
	      !strcmp(q_text(db, "PRAGMA journal_mode", buf, sizeof(buf)), "delete"),
	      "foreign db untouched: journal %s", buf);
	sqlite3_close(db);

	snprintf(path, sizeof(path), "%s/newer.db", dir);
	s = store_open(path, err, sizeof(err));
	CHECK(s != NULL, "open: %s", err);
	store_close(s);
	db = db_open(path);
	sqlite3_exec(db, "PRAGMA user_version = 4", NULL, NULL, NULL);
	sqlite3_close(db);
	s = store_open(path, err, sizeof(err));
	CHECK(!s && strstr(err, path) && strstr(err, "version 4 is newer"), "newer: %s", err);
	store_close(s);

	s = store_open("postgres://db/zw", err, sizeof(err));
	CHECK(!s && strstr(err, "unknown store type \"postgres\""), "scheme: %s", err);
	s = store_open("", err, sizeof(err));
	CHECK(!s, "empty path: %s", err);
}

/* Behaviour alerts (kind 'behaviour', columns behaviour_detector and
 * behaviour_kind, each end optional), and a version-1 file (before those
 * columns) migrated when opened, its rows kept. */
static void test_behaviour(const char *dir)
{
	char path[512], err[512], buf[512];
	struct alert_rec r[4];
	struct store_put_result res;
	struct store_stats sst;
	struct store *s;
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/b.db", dir);
	s = store_open(path, err, sizeof(err));
	CHECK(s != NULL, "open: %s", err);
	if (!s)
		return;
	behaviour_rec(&r[0], 1, T0 + 1, "port_scan", "syn", "10.100.25.14", "10.100.18.12", 445);
	behaviour_rec(&r[1], 2, T0 + 2, "udp_flood", "pps", NULL, "2001:db8::53", -1);
	behaviour_rec(&r[2], 3, T0 + 3, "host_sweep", "icmp_echo", "192.168.10.7", NULL, 445);
	rule_rec(&r[3], 4, "kobe-01", T0 + 4, "10.0.0.1", "10.0.0.2");
	CHECK(store_put_batch(s, r, 4, T0 + 100, &res, err, sizeof(err)) == 0 && res.inserted == 4,
	      "behaviour batch: %s", err);
	CHECK(store_put_batch(s, r, 3, T0 + 200, &res, err, sizeof(err)) == 0 && res.inserted == 0 &&
	      res.duplicates == 3, "behaviour alerts re-sent: duplicates");
	store_close(s);

	db = db_open(path);
	CHECK(!strcmp(q_text(db, "SELECT kind || ' ' || schema_version || ' ' || behaviour_detector || ' ' ||"
			     " behaviour_kind || ' ' || src_ip || ' ' || dest_ip || ' ' || dest_port || ' ' ||"
			     " coalesce(src_port, 'null') || ' ' || coalesce(flow_id, 'null') || ' ' ||"
			     " coalesce(app_proto, 'null') || ' ' || coalesce(health_condition, 'null') || ' ' ||"
			     " src_zone || ' ' || dest_zone FROM alerts WHERE ts_us = 1700000000000001",
			     buf, sizeof(buf)),
		      "behaviour 3 port_scan syn 10.100.25.14 10.100.18.12 445 null null null null internet external"),
	      "behaviour row: %s", buf);
	CHECK(!strcmp(q_text(db, "SELECT coalesce(src_ip, 'null') || ' ' || coalesce(src_ip_bin, 'null') || ' ' ||"
			     " coalesce(src_zone, 'null') || ' ' || dest_ip || ' ' || length(dest_ip_bin) || ' ' ||"
			     " coalesce(dest_port, 'null') || ' ' || coalesce(proto, 'null') FROM alerts"
			     " WHERE behaviour_detector = 'udp_flood'", buf, sizeof(buf)),
		      "null null null 2001:db8::53 16 null null"), "flood row (no source): %s", buf);
	CHECK(!strcmp(q_text(db, "SELECT src_ip || ' ' || coalesce(dest_ip, 'null') || ' ' ||"
			     " coalesce(dest_ip_bin, 'null') || ' ' || dest_port FROM alerts"
			     " WHERE behaviour_detector = 'host_sweep'", buf, sizeof(buf)),
		      "192.168.10.7 null null 445"), "sweep row (no destination): %s", buf);
	CHECK(!strcmp(q_text(db, "SELECT kind || ' ' || coalesce(behaviour_detector, 'null') FROM alerts"
			     " WHERE sid = 2001", buf, sizeof(buf)), "alert null"), "rule row: %s", buf);
	sqlite3_close(db);
	for (int i = 0; i < 4; i++)
		alert_fixture_free(&r[i]);

	/* a version-1 file: the store of an older zw-collector, with a row */
	if (sqlite3_libversion_number() < 3035000) {
		printf("SQLite %s has no ALTER TABLE DROP COLUMN: migration not tested\n", sqlite3_libversion());
		return;
	}
	snprintf(path, sizeof(path), "%s/v1.db", dir);
	s = store_open(path, err, sizeof(err));
	CHECK(s != NULL, "open: %s", err);
	if (!s)
		return;
	rule_rec(&r[0], 1, "kobe-01", T0 + 1, "10.0.0.1", "10.0.0.2");
	CHECK(store_put_batch(s, r, 1, T0 + 100, &res, err, sizeof(err)) == 0 && res.inserted == 1, "v1 row");
	store_close(s);
	db = db_open(path);
	CHECK(sqlite3_exec(db, "ALTER TABLE alerts DROP COLUMN in_iface;"
			   " ALTER TABLE alerts DROP COLUMN behaviour_kind;"
			   " ALTER TABLE alerts DROP COLUMN behaviour_detector; PRAGMA user_version = 1",
			   NULL, NULL, NULL) == SQLITE_OK, "make a version-1 file: %s", sqlite3_errmsg(db));
	CHECK(q_int(db, "SELECT count(*) FROM pragma_table_info('alerts') WHERE name LIKE 'behaviour%'") == 0,
	      "version 1: no behaviour columns");
	sqlite3_close(db);
	s = store_open(path, err, sizeof(err));
	CHECK(s != NULL, "open a version-1 file: %s", err);
	if (s) {
		behaviour_rec(&r[1], 2, T0 + 2, "beacon", "periodic", "10.0.0.1", "203.0.113.9", 443);
		CHECK(store_put_batch(s, &r[1], 1, T0 + 200, &res, err, sizeof(err)) == 0 && res.inserted == 1,
		      "a behaviour alert into the migrated file: %s", err);
		CHECK(store_put_batch(s, r, 1, T0 + 200, &res, err, sizeof(err)) == 0 && res.duplicates == 1,
		      "the version-1 row still dedups");
		CHECK(store_stats_get(s, &sst, err, sizeof(err)) == 0 && sst.alerts == 2 && sst.duplicates == 1,
		      "counters kept: %llu %llu", (unsigned long long)sst.alerts, (unsigned long long)sst.duplicates);
		store_close(s);
		alert_fixture_free(&r[1]);
	}
	alert_fixture_free(&r[0]);
	db = db_open(path);
	CHECK(q_int(db, "PRAGMA user_version") == 3, "migrated to the current version");
	CHECK(!strcmp(q_text(db, "SELECT group_concat(kind || ':' || coalesce(behaviour_detector, '-') || ':' ||"
			     " coalesce(behaviour_kind, '-'), ' ') FROM (SELECT * FROM alerts ORDER BY id)",
			     buf, sizeof(buf)), "alert:-:- behaviour:beacon:periodic"), "migrated rows: %s", buf);
	sqlite3_close(db);
}

/* in_iface (schema_version 4 lines): stored in its column, NULL when the
 * alert has none; and a version-2 file (before that column), the store of
 * the zw-collector before, migrated when opened, its rows kept. */
static void test_iface(const char *dir)
{
	char path[512], err[512], buf[512];
	struct alert_rec r[4];
	struct store_put_result res;
	struct store_stats sst;
	struct store *s;
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/iface.db", dir);
	s = store_open(path, err, sizeof(err));
	CHECK(s != NULL, "open: %s", err);
	if (!s)
		return;
	rule_rec(&r[0], 1, "kobe-01", T0 + 1, "10.0.0.1", "10.0.0.2");
	free(r[0].in_iface);
	r[0].in_iface = strdup("eth1");
	r[0].schema_version = 4;
	behaviour_rec(&r[1], 2, T0 + 2, "port_scan", "syn", "10.100.25.14", "10.100.18.12", 445);
	r[1].in_iface = strdup("enp0s31f6");
	r[1].schema_version = 4;
	rule_rec(&r[2], 3, "kobe-01", T0 + 3, "10.0.0.1", "10.0.0.2");   /* a replay's: none */
	health_rec(&r[3], 4, "kobe-01", T0 + 4);
	CHECK(store_put_batch(s, r, 4, T0 + 100, &res, err, sizeof(err)) == 0 && res.inserted == 4,
	      "batch with in_iface: %s", err);
	store_close(s);
	db = db_open(path);
	CHECK(!strcmp(q_text(db, "SELECT group_concat(kind || ':' || schema_version || ':' ||"
			     " coalesce(in_iface, 'null'), ' ') FROM (SELECT * FROM alerts ORDER BY id)",
			     buf, sizeof(buf)), "alert:4:eth1 behaviour:4:enp0s31f6 alert:2:null health:2:null"),
	      "in_iface column: %s", buf);
	sqlite3_close(db);

	/* a version-2 file: the store of the zw-collector before in_iface */
	if (sqlite3_libversion_number() < 3035000) {
		printf("SQLite %s has no ALTER TABLE DROP COLUMN: migration not tested\n", sqlite3_libversion());
		goto out;
	}
	db = db_open(path);
	CHECK(sqlite3_exec(db, "ALTER TABLE alerts DROP COLUMN in_iface; PRAGMA user_version = 2",
			   NULL, NULL, NULL) == SQLITE_OK, "make a version-2 file: %s", sqlite3_errmsg(db));
	CHECK(q_int(db, "SELECT count(*) FROM pragma_table_info('alerts') WHERE name = 'in_iface'") == 0,
	      "version 2: no in_iface column");
	sqlite3_close(db);
	s = store_open(path, err, sizeof(err));
	CHECK(s != NULL, "open a version-2 file: %s", err);
	if (s) {
		free(r[0].in_iface);
		r[0].in_iface = strdup("eth2");
		r[0].ts_us = T0 + 5;
		snprintf(r[0].alert_id, sizeof(r[0].alert_id), "%032x", 5u);
		CHECK(store_put_batch(s, r, 1, T0 + 200, &res, err, sizeof(err)) == 0 && res.inserted == 1,
		      "an alert with in_iface into the migrated file: %s", err);
		CHECK(store_put_batch(s, r + 1, 3, T0 + 200, &res, err, sizeof(err)) == 0 && res.duplicates == 3,
		      "the version-2 rows still dedup");
		CHECK(store_stats_get(s, &sst, err, sizeof(err)) == 0 && sst.alerts == 5 && sst.duplicates == 3,
		      "counters kept: %llu %llu", (unsigned long long)sst.alerts, (unsigned long long)sst.duplicates);
		store_close(s);
	}
	db = db_open(path);
	CHECK(q_int(db, "PRAGMA user_version") == 3, "migrated to version 3");
	CHECK(!strcmp(q_text(db, "SELECT group_concat(kind || ':' || coalesce(in_iface, '-') || ':' ||"
			     " coalesce(behaviour_detector, '-'), ' ') FROM (SELECT * FROM alerts ORDER BY id)",
			     buf, sizeof(buf)), "alert:-:- behaviour:-:port_scan alert:-:- health:-:- alert:eth2:-"),
	      "migrated rows (older ones without in_iface): %s", buf);
	sqlite3_close(db);
out:
	for (int i = 0; i < 4; i++)
		alert_fixture_free(&r[i]);
}

/* WAL: a reader keeps its snapshot while the store commits batches; a
 * second store on the same file writes between the first one's batches. */
static void test_concurrent(const char *dir)
{
	char path[512], err[512];
	struct alert_rec r[10];
	struct store_put_result res;
	struct store *s, *s2;
	sqlite3 *rd;
	sqlite3_stmt *st;
	int rc;

	snprintf(path, sizeof(path), "%s/c.db", dir);
	s = store_open(path, err, sizeof(err));
	s2 = store_open(path, err, sizeof(err));
	CHECK(s && s2, "two stores on one file: %s", err);
	if (!s || !s2) {
		store_close(s);
		store_close(s2);
		return;
	}
	for (unsigned i = 0; i < 10; i++)
		rule_rec(&r[i], 5000 + i, "c", T0 + i, "10.9.9.9", "10.8.8.8");
	CHECK(store_put_batch(s, r, 5, T0, &res, err, sizeof(err)) == 0, "first 5");

	sqlite3_open_v2(path, &rd, SQLITE_OPEN_READONLY, NULL);
	CHECK(sqlite3_exec(rd, "BEGIN", NULL, NULL, NULL) == SQLITE_OK, "reader begin");
	CHECK(q_int(rd, "SELECT count(*) FROM alerts") == 5, "reader sees 5");
	/* an open statement mid-scan while the writer commits */
	sqlite3_prepare_v2(rd, "SELECT alert_id FROM alerts ORDER BY id", -1, &st, NULL);
	CHECK(sqlite3_step(st) == SQLITE_ROW, "reader row");

	rc = store_put_batch(s, r + 5, 5, T0, &res, err, sizeof(err));
	CHECK(rc == 0 && res.inserted == 5, "write while reading: %s", err);
	rc = store_put_batch(s2, r, 10, T0, &res, err, sizeof(err));
	CHECK(rc == 0 && res.inserted == 0 && res.duplicates == 10, "second store sees all: %s", err);
	CHECK(q_int(rd, "SELECT count(*) FROM alerts") == 5, "reader snapshot still 5");
	sqlite3_finalize(st);
	sqlite3_exec(rd, "COMMIT", NULL, NULL, NULL);
	CHECK(q_int(rd, "SELECT count(*) FROM alerts") == 10, "reader sees 10 after its transaction");
	sqlite3_close(rd);
	store_close(s2);
	store_close(s);
	for (unsigned i = 0; i < 10; i++)
		alert_fixture_free(&r[i]);
}

/* Timing only, with ZW_TEST_STORE_RATE=1 (not in the suite: a benchmark
 * is the place for rates): 200k records in batches of 500, the shape of a busy day's
 * traffic (a few sensors, addresses spread over a /16). */
static void test_rate(const char *dir)
{
	enum { TOTAL = 200000 };
	const char *env = getenv("ZW_TEST_STORE_BATCH");
	unsigned BATCH = env ? (unsigned)atoi(env) : 500;
	char path[512], err[512];
	static const char *const sensors[] = { "kobe-01", "himeji-02", "osaka-03", "nara-04" };
	struct store_put_result res;
	struct store *s;
	uint64_t total = 0;
	double t0, t1;
	int rc = 0;
	struct alert_rec *r = calloc(BATCH ? BATCH : 1, sizeof(*r));

	snprintf(path, sizeof(path), "%s/rate.db", dir);
	s = store_open(path, err, sizeof(err));
	CHECK(s && r && BATCH > 0 && BATCH <= STORE_BATCH_MAX && TOTAL % BATCH == 0, "open: %s", err);
	if (!s || !r || BATCH == 0 || BATCH > STORE_BATCH_MAX || TOTAL % BATCH) {
		free(r);
		store_close(s);
		return;
	}
	for (unsigned i = 0; i < BATCH; i++)
		rule_rec(&r[i], 0, sensors[i % 4], 0, "10.1.0.1", "203.0.113.9");
	t0 = now_s();
	for (unsigned b = 0; b < TOTAL / BATCH && rc == 0; b++) {
		for (unsigned i = 0; i < BATCH; i++) {
			unsigned n = b * BATCH + i;
			/* ids spread like hashes: random positions in the index */
			snprintf(r[i].alert_id, sizeof(r[i].alert_id), "%08x%08x%08x%08x",
				 n * 2654435761u, n ^ 0x5bd1e995u, n * 40503u, n);
			r[i].ts_us = T0 + (int64_t)n * 1000;
			r[i].src.bytes[14] = (uint8_t)(n >> 8);
			r[i].src.bytes[15] = (uint8_t)n;
		}
		rc = store_put_batch(s, r, BATCH, T0, &res, err, sizeof(err));
		total += res.inserted;
	}
	t1 = now_s();
	CHECK(rc == 0 && total == TOTAL, "200k inserted: %llu %s", (unsigned long long)total, err);
	printf("store rate: %d alerts in %.2f s = %.0f alerts/s (batches of %u, synchronous=FULL)\n",
	       TOTAL, t1 - t0, TOTAL / (t1 - t0), BATCH);
	store_close(s);
	for (unsigned i = 0; i < BATCH; i++)
		alert_fixture_free(&r[i]);
	free(r);
}

int main(void)
{
	char dir[] = "/tmp/zw-test-store-XXXXXX";
	char cmd[600];

	umask(022);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_put_dedup_reopen(dir);
	test_quarantine_purge(dir);
	test_refused(dir);
	test_behaviour(dir);
	test_iface(dir);
	test_concurrent(dir);
	if (getenv("ZW_TEST_STORE_RATE"))   /* a rough rate, by hand: the benchmark measures */
		test_rate(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("could not remove %s\n", dir);
	return check_done();
}
