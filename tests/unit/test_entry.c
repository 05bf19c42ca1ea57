/* Unit tests: collector/entry.h — a stream entry's fields (pairs, json
 * required and capped, repeated fields, sensor/alert_id cross-checks) and a
 * heartbeat hash (numbers, texts, unknown and bad values). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert_parse.h"
#include "check.h"
#include "entry.h"

/* a real alert line (the alert parser's corpus; tests run from the top) */
#define LINE_FILE "tests/fuzz/corpus/alert_parse/rule-doc-geo.json"
static char line[8192];

static void load_line(void)
{
	FILE *f = fopen(LINE_FILE, "r");
	size_t n = f ? fread(line, 1, sizeof(line) - 1, f) : 0;

	if (f)
		fclose(f);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	line[n] = '\0';
	if (!n) {
		printf("cannot read %s (run from the repository's top)\n", LINE_FILE);
		exit(1);
	}
}

/* argv-like list of C strings into fv/fvlen */
static size_t split(const char *const *s, const char **fv, size_t *fvlen)
{
	size_t n = 0;

	for (; s[n]; n++) {
		fv[n] = s[n];
		fvlen[n] = strlen(s[n]);
	}
	return n;
}

static void test_decode(void)
{
	const char *fv[40];
	size_t fvlen[40], n;
	struct entry_view v;
	char why[256];
	const char *ok[] = { "sensor", "city-joho-01", "seq", "7", "sid", "2001", "severity", "2", "alert_id",
			     "bb5c55f86b629bafdc6f16a99db8a0e2", "json", line, NULL };
	const char *only_json[] = { "json", line, NULL };
	const char *odd[] = { "json", line, "sensor", NULL };
	const char *twice[] = { "json", line, "json", line, NULL };
	const char *twice_sensor[] = { "sensor", "a", "sensor", "b", "json", line, NULL };
	const char *none[] = { "sensor", "a", NULL };

	n = split(ok, fv, fvlen);
	CHECK(entry_decode(fv, fvlen, n, &v, why, sizeof(why)) == 0, "all fields: %s", why);
	CHECK(v.json == line && v.json_len == strlen(line), "json points at the value");
	CHECK(v.sensor_len == 12 && !memcmp(v.sensor, "city-joho-01", 12), "sensor");
	CHECK(v.alert_id_len == 32, "alert_id");
	n = split(only_json, fv, fvlen);
	CHECK(entry_decode(fv, fvlen, n, &v, why, sizeof(why)) == 0 && !v.sensor && !v.alert_id,
	      "json alone is enough");
	n = split(odd, fv, fvlen);
	CHECK(entry_decode(fv, fvlen, n, &v, why, sizeof(why)) == -1 && strstr(why, "not name/value"),
	      "odd count: %s", why);
	n = split(twice, fv, fvlen);
	CHECK(entry_decode(fv, fvlen, n, &v, why, sizeof(why)) == -1 && strstr(why, "'json' given twice"),
	      "json twice: %s", why);
	n = split(twice_sensor, fv, fvlen);
	CHECK(entry_decode(fv, fvlen, n, &v, why, sizeof(why)) == -1 && strstr(why, "'sensor' given twice"),
	      "sensor twice: %s", why);
	n = split(none, fv, fvlen);
	CHECK(entry_decode(fv, fvlen, n, &v, why, sizeof(why)) == -1 && strstr(why, "no 'json'"),
	      "no json: %s", why);
	CHECK(entry_decode(fv, fvlen, 0, &v, why, sizeof(why)) == -1, "no fields at all");

	/* too many fields */
	for (n = 0; n < 34; n++) {
		fv[n] = n % 2 ? "v" : "k";
		fvlen[n] = 1;
	}
	CHECK(entry_decode(fv, fvlen, 34, &v, why, sizeof(why)) == -1 && strstr(why, "at most 16"),
	      "17 fields: %s", why);

	/* the cap on json, at the byte */
	{
		char *big = malloc(ALERT_PARSE_MAX_LINE + 1);
		memset(big, ' ', ALERT_PARSE_MAX_LINE + 1);
		fv[0] = "json";
		fvlen[0] = 4;
		fv[1] = big;
		fvlen[1] = ALERT_PARSE_MAX_LINE;
		CHECK(entry_decode(fv, fvlen, 2, &v, why, sizeof(why)) == 0, "json at the cap");
		fvlen[1] = ALERT_PARSE_MAX_LINE + 1;
		CHECK(entry_decode(fv, fvlen, 2, &v, why, sizeof(why)) == -1 && strstr(why, "cap"),
		      "json over the cap: %s", why);
		free(big);
	}
	/* field names are compared with their length, not as C strings */
	fv[0] = "json\0x";
	fvlen[0] = 6;
	fv[1] = line;
	fvlen[1] = strlen(line);
	CHECK(entry_decode(fv, fvlen, 2, &v, why, sizeof(why)) == -1, "'json\\0x' is not 'json'");
}

static void test_check(void)
{
	struct alert_rec rec;
	struct entry_view v = { .json = line, .json_len = strlen(line) };
	char why[256];

	if (alert_parse(line, strlen(line), &rec, why, sizeof(why)) < 0) {
		CHECK(0, "the line does not parse: %s", why);
		return;
	}
	CHECK(entry_check(&v, &rec, why, sizeof(why)) == 0, "no sensor/alert_id fields: fine");
	v.sensor = "city-joho-01";
	v.sensor_len = 12;
	v.alert_id = "bb5c55f86b629bafdc6f16a99db8a0e2";
	v.alert_id_len = 32;
	CHECK(entry_check(&v, &rec, why, sizeof(why)) == 0, "the same sensor and alert_id");
	v.sensor_len = 11;
	CHECK(entry_check(&v, &rec, why, sizeof(why)) == -1 && strstr(why, "sensor 'city-joho-0'"),
	      "a prefix of the sensor: %s", why);
	v.sensor = "evil\x01\xff";
	v.sensor_len = 6;
	CHECK(entry_check(&v, &rec, why, sizeof(why)) == -1 && strstr(why, "evil\\x01\\xff"),
	      "bytes shown escaped: %s", why);
	v.sensor = "city-joho-01";
	v.sensor_len = 12;
	v.alert_id = "bb5c55f86b629bafdc6f16a99db8a0e3";
	CHECK(entry_check(&v, &rec, why, sizeof(why)) == -1 && strstr(why, "alert_id"),
	      "another alert_id: %s", why);
	alert_rec_fini(&rec);
}

static void test_heartbeat(void)
{
	const char *fv[40];
	size_t fvlen[40], n;
	struct store_sensor hb;
	const char *hash[] = { "version", "0.1.0", "ruleset", "8fc3552aaf00e647", "uptime", "12",
			       "packets", "987", "kernel_drops", "3", "queue_drops", "0", "flows", "43",
			       "flows_active", "2", "alerts", "58", "alerts_dropped", "1",
			       "spool_records", "4", "spool_bytes", "4096", "unknown", "x", NULL };
	const char *bad[] = { "version", "0.1\n.0", "packets", "-5", "uptime", "12x", "flows",
			      "99999999999999999999", "alerts", "", "spool_bytes", "1e3", NULL };

	memset(&hb, 0, sizeof(hb));
	n = split(hash, fv, fvlen);
	entry_heartbeat(fv, fvlen, n, &hb);
	CHECK(!strcmp(hb.version, "0.1.0") && !strcmp(hb.ruleset, "8fc3552aaf00e647"), "texts");
	CHECK(hb.uptime_s == 12 && hb.packets == 987 && hb.kernel_drops == 3 && hb.queue_drops == 0 &&
	      hb.flows == 43 && hb.flows_active == 2 && hb.alerts == 58 && hb.alerts_dropped == 1 &&
	      hb.spool_records == 4 && hb.spool_bytes == 4096, "numbers");
	n = split(bad, fv, fvlen);
	entry_heartbeat(fv, fvlen, n, &hb);
	CHECK(hb.version[0] == '\0', "a version with a control character is dropped");
	CHECK(hb.packets == -1 && hb.uptime_s == -1 && hb.flows == -1 && hb.alerts == -1 &&
	      hb.spool_bytes == -1, "bad numbers are unknown");
	CHECK(hb.queue_drops == -1 && hb.ruleset[0] == '\0', "missing fields are unknown (not kept)");
	entry_heartbeat(fv, fvlen, 0, &hb);
	CHECK(hb.kernel_drops == -1, "an expired hash: all unknown");
}

int main(void)
{
	load_line();
	test_decode();
	test_check();
	test_heartbeat();
	return check_done();
}
