/*
 * test_alert_parse — alert_parse over real sensor lines (every stored field
 * checked), over behaviour alerts as doc/alerts.md describes them (each
 * optional field absent and present), over version-4 lines with and without
 * in_iface, and over malformed variants of them (each refused, with a reason
 * that names the field at fault, and nothing left allocated: run under
 * ASan).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert_parse.h"
#include "check.h"

/* doc/alerts.md example: tor.pcap with GeoIP (geo.dest known) */
static const char line_geo[] =
	"{\"timestamp\":\"2013-11-07T10:54:26.558024+0000\",\"flow_id\":4067309231430204879,\"event_type\":\"alert\""
	",\"schema_version\":2,\"sensor\":\"city-joho-01\",\"alert_id\":\"bb5c55f86b629bafdc6f16a99db8a0e2\""
	",\"proto\":\"TCP\",\"src_ip\":\"192.168.1.252\",\"src_port\":51111,\"dest_ip\":\"46.59.52.31\""
	",\"dest_port\":443,\"app_proto\":\"TLS.Tor\",\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":2001"
	",\"rev\":1,\"signature\":\"匿名化通信（Tor）を検知\",\"signature_en\":\"Anonymiser: Tor traffic\""
	",\"severity\":2,\"severity_name\":\"high\",\"category\":\"Unauthorised software\"},\"policy\":"
	"{\"clause\":\"第6(3)③\",\"threat\":\"unauthorized-software\",\"threat_name\":\"無許可ソフトウェアの使用 (第3(2))\""
	",\"threat_name_en\":\"Unauthorised software\"},\"src_zone\":{\"key\":\"internet\",\"name\":\"情報系\"}"
	",\"dest_zone\":{\"key\":\"external\",\"name\":\"external\"},\"geo\":{\"src\":{},\"dest\":{\"country\":\"SE\""
	",\"asn\":8473,\"org\":\"Bahnhof AB\"}},\"ndpi\":{\"master\":\"TLS\",\"app\":\"Tor\",\"category\":\"VPN\""
	",\"breed\":\"Potentially Dangerous\",\"confidence\":\"DPI\",\"risks\":[\"tls_obsolete_version\""
	",\"suspicious_dga_domain\",\"unsafe_protocol\"],\"risk_score\":210,\"hostname\":\"www.e6r5p57kbafwrxj3plz.com\""
	",\"ja3c\":\"581a3c7f54555512b8cd16e87dfe165b\",\"ja3s\":\"184d532a16876b78846ae6a03f654890\""
	",\"cert_sha1\":\"3ab18a6fc3f641ed77d540c385798b6246bc659c\"},\"flow\":{\"pkts_toserver\":3"
	",\"pkts_toclient\":3,\"bytes_toserver\":402,\"bytes_toclient\":923,\"start\":\"2013-11-07T10:54:26.407384+0000\"}"
	",\"evidence\":[{\"field\":\"protocol\",\"value\":\"Tor\"}],\"trigger\":\"classified\",\"rule_file\":\"signatures/20-software.rules\""
	",\"rule_line\":7}"
	;

/* tor.pcap, UDP broadcast, tests/replay/conf/zones.conf */
static const char line_udp[] =
	"{\"timestamp\":\"2013-11-07T10:54:33.254958+0000\",\"flow_id\":3662035687378580773,\"event_type\":\"alert\""
	",\"schema_version\":2,\"sensor\":\"test-zones\",\"alert_id\":\"0c0d04efd37a360b58bbb3e9e248521a\""
	",\"proto\":\"UDP\",\"src_ip\":\"192.168.1.1\",\"src_port\":17500,\"dest_ip\":\"192.168.1.255\""
	",\"dest_port\":17500,\"app_proto\":\"Dropbox\",\"alert\":{\"action\":\"allowed\",\"gid\":1"
	",\"signature_id\":2006,\"rev\":1,\"signature\":\"未承認のクラウドストレージの利用\""
	",\"signature_en\":\"Cloud storage that is not approved\",\"severity\":3,\"severity_name\":\"medium\""
	",\"category\":\"Insider misuse / data theft\"},\"policy\":{\"clause\":\"第6(3)③\",\"threat\":\"insider\""
	",\"threat_name\":\"内部不正・情報の詐取 (第3(1))\",\"threat_name_en\":\"Insider misuse / data theft\"}"
	",\"src_zone\":{\"key\":\"internet\",\"name\":\"情報系\"},\"dest_zone\":{\"key\":\"internet\""
	",\"name\":\"情報系\"},\"geo\":{\"src\":{},\"dest\":{}},\"ndpi\":{\"master\":\"Unknown\""
	",\"app\":\"Dropbox\",\"category\":\"Cloud\",\"breed\":\"Acceptable\",\"confidence\":\"DPI\""
	",\"risks\":[],\"risk_score\":0},\"flow\":{\"pkts_toserver\":1,\"pkts_toclient\":0,\"bytes_toserver\":186"
	",\"bytes_toclient\":0,\"start\":\"2013-11-07T10:54:33.254958+0000\"},\"evidence\":[{\"field\":\"protocol\""
	",\"value\":\"Dropbox\"}],\"trigger\":\"classified\",\"rule_file\":\"signatures/20-software.rules\""
	",\"rule_line\":32}"
	;

/* ndpi/ipv6_in_gtp.pcap: IPv6, ESP (no ports) */
static const char line_v6[] =
	"{\"timestamp\":\"2018-09-13T12:08:14.424533+0000\",\"flow_id\":5589496580336570283,\"event_type\":\"alert\""
	",\"schema_version\":2,\"sensor\":\"test-zones\",\"alert_id\":\"8274a8c391d3928c94ead456d000fb62\""
	",\"proto\":\"ESP\",\"src_ip\":\"2a01:4c8:c014:144e:1:2:945b:6761\",\"dest_ip\":\"2a01:4c8:f000:f49::4\""
	",\"app_proto\":\"IPsec\",\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":2002"
	",\"rev\":1,\"signature\":\"VPN・プロキシ型の匿名化/検閲回避ツールを検知\""
	",\"signature_en\":\"VPN or proxy tool used to bypass monitoring\",\"severity\":2,\"severity_name\":\"high\""
	",\"category\":\"Unauthorised software\"},\"policy\":{\"clause\":\"第6(3)③\",\"threat\":\"unauthorized-software\""
	",\"threat_name\":\"無許可ソフトウェアの使用 (第3(2))\",\"threat_name_en\":\"Unauthorised software\"}"
	",\"src_zone\":{\"key\":\"external\",\"name\":\"external\"},\"dest_zone\":{\"key\":\"external\""
	",\"name\":\"external\"},\"geo\":{\"src\":{},\"dest\":{}},\"ndpi\":{\"master\":\"Unknown\",\"app\":\"IPsec\""
	",\"category\":\"VPN\",\"breed\":\"Safe\",\"confidence\":\"DPI\",\"risks\":[],\"risk_score\":0}"
	",\"flow\":{\"pkts_toserver\":1,\"pkts_toclient\":0,\"bytes_toserver\":166,\"bytes_toclient\":0"
	",\"start\":\"2018-09-13T12:08:14.424533+0000\"},\"evidence\":[{\"field\":\"protocol\",\"value\":\"IPsec\"}]"
	",\"trigger\":\"classified\",\"rule_file\":\"signatures/20-software.rules\",\"rule_line\":12}"
	;

/* doc/alerts.md health example (tests/live/health.sh) */
static const char line_health[] =
	"{\"timestamp\":\"2026-11-26T20:57:52.575585+0000\",\"event_type\":\"health\",\"schema_version\":2"
	",\"sensor\":\"health-1\",\"alert_id\":\"15dc1cac520e45609d440e3d1c13921e\",\"alert\":{\"action\":\"allowed\""
	",\"gid\":1,\"signature_id\":9001,\"rev\":1,\"signature\":\"センサーのパケット取りこぼし率がしきい値を超過\""
	",\"signature_en\":\"Sensor: capture drop rate above the threshold\",\"severity\":3,\"severity_name\":\"medium\""
	",\"category\":\"Fault\"},\"policy\":{\"clause\":\"第6(7)\",\"threat\":\"fault\",\"threat_name\":\"機器故障・プログラムの欠陥 (第3(2))\""
	",\"threat_name_en\":\"Fault\"},\"health\":{\"condition\":\"capture_drops\",\"state\":\"raised\""
	",\"since\":\"2026-11-26T20:57:51.548083+0000\",\"value\":83.7068,\"threshold\":1,\"unit\":\"percent\""
	",\"count\":25965,\"detail\":\"25965 of 31019 packets dropped in 1 s\"}}"
	;

/* doc/alerts.md behaviour example (schema_version 3): a port scan */
static const char line_behaviour[] =
	"{\"timestamp\":\"2006-08-24T14:35:28.237462+0000\",\"event_type\":\"behaviour\",\"schema_version\":3"
	",\"sensor\":\"city-joho-01\",\"alert_id\":\"5f0c1b9a7e3d4c2b8a6f1e0d9c8b7a65\",\"proto\":\"TCP\""
	",\"src_ip\":\"10.100.25.14\",\"dest_ip\":\"10.100.18.12\",\"dest_port\":445"
	",\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":9101,\"rev\":1"
	",\"signature\":\"ポートスキャンを検知\",\"signature_en\":\"Port scan\",\"severity\":3"
	",\"severity_name\":\"medium\",\"category\":\"Unauthorised access\"},\"policy\":{\"clause\":\"第6(6)\""
	",\"threat\":\"unauthorized-access\",\"threat_name\":\"不正アクセス (第3(1))\""
	",\"threat_name_en\":\"Unauthorised access\"},\"src_zone\":{\"key\":\"internet\",\"name\":\"情報系\"}"
	",\"dest_zone\":{\"key\":\"external\",\"name\":\"external\"},\"geo\":{\"src\":{}"
	",\"dest\":{\"country\":\"JP\",\"asn\":2497,\"org\":\"IIJ\"}},\"behaviour\":{\"detector\":\"port_scan\""
	",\"kind\":\"syn\",\"direction\":\"inbound\",\"since\":\"2006-08-24T14:35:25.417872+0000\",\"window\":60"
	",\"value\":29,\"threshold\":20,\"unit\":\"ports\",\"count\":29"
	",\"sample\":[\"139\",\"135\",\"445\",\"80\",\"22\",\"515\",\"23\",\"21\"]"
	",\"detail\":\"10.100.25.14 probed 29 ports of 10.100.18.12 in 3 s, none answered\"}}"
	;

/* a UDP flood from many sources (no src_ip, no src_zone) at an IPv6 host,
 * with the optional members of "behaviour" a beacon or a DNS tunnel has */
static const char line_flood[] =
	"{\"timestamp\":\"2026-11-26T09:00:00.000001+0000\",\"event_type\":\"behaviour\",\"schema_version\":3"
	",\"sensor\":\"city-core-02\",\"alert_id\":\"00112233445566778899aabbccddeeff\",\"proto\":\"UDP\""
	",\"dest_ip\":\"2001:db8::53\",\"dest_port\":53"
	",\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":9104,\"rev\":2"
	",\"signature\":\"UDPフラッドを検知\",\"signature_en\":\"UDP flood\",\"severity\":2"
	",\"severity_name\":\"high\",\"category\":\"Denial of service\"},\"policy\":{\"clause\":\"第6(6)\""
	",\"threat\":\"dos\",\"threat_name\":\"サービス不能攻撃 (第3(1))\",\"threat_name_en\":\"Denial of service\"}"
	",\"dest_zone\":{\"key\":\"core\",\"name\":\"基幹系\"},\"geo\":{\"src\":{},\"dest\":{}}"
	",\"behaviour\":{\"detector\":\"udp_flood\",\"kind\":\"pps\",\"direction\":\"inbound\""
	",\"since\":\"2026-11-26T08:59:50.000000+0000\",\"window\":10,\"value\":51234.5,\"threshold\":20000"
	",\"unit\":\"packets_per_second\",\"count\":512345,\"domain\":\"x.example.jp\",\"period\":60.5"
	",\"jitter\":0.25,\"country\":\"CN\",\"asn\":4134,\"detail\":\"512345 UDP packets in 10 s to 2001:db8::53\"}}"
	;

/* a host sweep: a source, no destination, no proto, no ports, no sample */
static const char line_sweep[] =
	"{\"timestamp\":\"2026-11-26T09:00:00.000001+0000\",\"event_type\":\"behaviour\",\"schema_version\":3"
	",\"sensor\":\"city-joho-01\",\"alert_id\":\"ffeeddccbbaa99887766554433221100\""
	",\"src_ip\":\"192.168.10.7\""
	",\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":9102,\"rev\":1"
	",\"signature\":\"ホストスイープを検知\",\"signature_en\":\"Host sweep\",\"severity\":4"
	",\"severity_name\":\"low\",\"category\":\"Unauthorised access\"},\"policy\":{\"clause\":\"第6(6)\""
	",\"threat\":\"unauthorized-access\",\"threat_name\":\"不正アクセス (第3(1))\""
	",\"threat_name_en\":\"Unauthorised access\"},\"src_zone\":{\"key\":\"internet\",\"name\":\"情報系\"}"
	",\"geo\":{\"src\":{},\"dest\":{}},\"behaviour\":{\"detector\":\"host_sweep\",\"kind\":\"icmp_echo\""
	",\"direction\":\"internal\",\"since\":\"2026-11-26T08:59:00.000000+0000\",\"window\":0,\"value\":-1.5"
	",\"threshold\":0,\"unit\":\"hosts\",\"count\":0,\"detail\":\"192.168.10.7 swept 64 hosts\"}}"
	;

#define STREQ(a, b) ((a) != NULL && strcmp((a), (b)) == 0)

/* A malloc'd copy of line with the first occurrence of from replaced by to;
 * NULL (and a FAIL) when from is not in line. */
static char *subst(const char *line, const char *from, const char *to)
{
	const char *p = strstr(line, from);
	size_t a, b, c;
	char *s;

	CHECK(p != NULL, "subst: \"%s\" not in the line", from);
	if (p == NULL)
		return NULL;
	a = (size_t)(p - line);
	b = strlen(to);
	c = strlen(p + strlen(from));
	s = malloc(a + b + c + 1);
	if (s == NULL)
		abort();
	memcpy(s, line, a);
	memcpy(s + a, to, b);
	memcpy(s + a + b, p + strlen(from), c + 1);
	return s;
}

static bool rec_is_zero(const struct alert_rec *r)
{
	static const struct alert_rec zero;

	return memcmp(r, &zero, sizeof(zero)) == 0;
}

/* line (len bytes) must be refused with a reason containing each of
 * want (NULL-terminated). */
static void expect_reject_n(int lineno, const char *what, const char *line, size_t len,
			    const char *want1, const char *want2)
{
	struct alert_rec r;
	char why[256];
	int rc;

	memset(why, 'x', sizeof(why));
	rc = alert_parse(line, len, &r, why, sizeof(why));
	CHECK(rc == -1, "line %d: %s: accepted", lineno, what);
	CHECK(rec_is_zero(&r), "line %d: %s: record not zeroed", lineno, what);
	CHECK(strlen(why) > 0 && strlen(why) < sizeof(why), "line %d: %s: no reason", lineno, what);
	if (want1 != NULL)
		CHECK(strstr(why, want1) != NULL, "line %d: %s: reason \"%s\" lacks \"%s\"", lineno, what, why, want1);
	if (want2 != NULL)
		CHECK(strstr(why, want2) != NULL, "line %d: %s: reason \"%s\" lacks \"%s\"", lineno, what, why, want2);
	alert_rec_fini(&r);
}

#define REJECT(what, line, want1, want2) \
	expect_reject_n(__LINE__, what, line, strlen(line), want1, want2)

/* line with from replaced by to must be refused, the reason naming want. */
#define REJECT_SUBST(base, from, to, want1, want2)                                    \
	do {                                                                          \
		char *s_ = subst(base, from, to);                                     \
		if (s_ != NULL)                                                       \
			expect_reject_n(__LINE__, from " -> " to, s_, strlen(s_), want1, want2); \
		free(s_);                                                             \
	} while (0)

/* line with from replaced by to must still be accepted. */
static void accept_subst(int lineno, const char *base, const char *from, const char *to)
{
	char *s = subst(base, from, to);
	struct alert_rec r;
	char why[256];

	if (s == NULL)
		return;
	CHECK(alert_parse(s, strlen(s), &r, why, sizeof(why)) == 0,
	      "line %d: %s -> %s refused: %s", lineno, from, to, why);
	alert_rec_fini(&r);
	free(s);
}
#define ACCEPT_SUBST(base, from, to) accept_subst(__LINE__, base, from, to)

static const uint8_t v4_mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static void test_rule_geo(void)
{
	static const uint8_t dst[4] = { 46, 59, 52, 31 };
	struct alert_rec r;
	char why[256];

	CHECK(alert_parse(line_geo, strlen(line_geo), &r, why, sizeof(why)) == 0, "geo: %s", why);
	CHECK(r.kind == ALERT_REC_RULE, "kind");
	CHECK(STREQ(r.alert_id, "bb5c55f86b629bafdc6f16a99db8a0e2"), "alert_id");
	CHECK(STREQ(r.sensor, "city-joho-01"), "sensor");
	CHECK(r.ts_us == INT64_C(1383821666558024), "ts_us %lld", (long long)r.ts_us);
	CHECK(r.schema_version == 2, "schema_version");
	CHECK(r.sid == 2001 && r.rev == 1 && r.severity == 2, "sid rev severity");
	CHECK(STREQ(r.signature, "匿名化通信（Tor）を検知"), "signature");
	CHECK(STREQ(r.signature_en, "Anonymiser: Tor traffic"), "signature_en");
	CHECK(STREQ(r.category, "Unauthorised software"), "category");
	CHECK(STREQ(r.clause, "第6(3)③"), "clause");
	CHECK(STREQ(r.threat, "unauthorized-software"), "threat");
	CHECK(r.flow_id == UINT64_C(4067309231430204879), "flow_id");
	CHECK(STREQ(r.proto, "TCP") && STREQ(r.app_proto, "TLS.Tor"), "proto app_proto");
	CHECK(STREQ(r.src.text, "192.168.1.252") && r.src.family == 4, "src");
	CHECK(memcmp(r.src.bytes, v4_mapped_prefix, 12) == 0 && r.src.bytes[12] == 192 &&
	      r.src.bytes[13] == 168 && r.src.bytes[14] == 1 && r.src.bytes[15] == 252, "src bytes");
	CHECK(STREQ(r.dest.text, "46.59.52.31") && r.dest.family == 4, "dest");
	CHECK(memcmp(r.dest.bytes, v4_mapped_prefix, 12) == 0 && memcmp(r.dest.bytes + 12, dst, 4) == 0, "dest bytes");
	CHECK(r.src_port == 51111 && r.dest_port == 443, "ports");
	CHECK(STREQ(r.src_zone, "internet") && STREQ(r.src_zone_name, "情報系"), "src_zone");
	CHECK(STREQ(r.dest_zone, "external") && STREQ(r.dest_zone_name, "external"), "dest_zone");
	CHECK(r.src_country == NULL && r.src_asn == -1, "geo.src unknown");
	CHECK(STREQ(r.dest_country, "SE") && r.dest_asn == 8473, "geo.dest");
	CHECK(r.health_condition == NULL && r.health_state == NULL, "no health");
	CHECK(r.json != NULL && r.json_len == strlen(line_geo) && strcmp(r.json, line_geo) == 0, "json copy");
	alert_rec_fini(&r);
	CHECK(rec_is_zero(&r), "fini zeroes");
	alert_rec_fini(&r);   /* twice is fine */
}

static void test_rule_udp(void)
{
	struct alert_rec r;
	char why[256];
	char *nl;

	CHECK(alert_parse(line_udp, strlen(line_udp), &r, why, sizeof(why)) == 0, "udp: %s", why);
	CHECK(r.kind == ALERT_REC_RULE && r.sid == 2006 && r.severity == 3, "sid severity");
	CHECK(STREQ(r.alert_id, "0c0d04efd37a360b58bbb3e9e248521a"), "alert_id");
	CHECK(STREQ(r.sensor, "test-zones"), "sensor");
	CHECK(r.ts_us == INT64_C(1383821673254958), "ts_us");
	CHECK(r.flow_id == UINT64_C(3662035687378580773), "flow_id");
	CHECK(STREQ(r.proto, "UDP") && STREQ(r.app_proto, "Dropbox"), "proto");
	CHECK(STREQ(r.src.text, "192.168.1.1") && STREQ(r.dest.text, "192.168.1.255"), "addrs");
	CHECK(r.dest.bytes[15] == 255 && r.dest.family == 4, "dest bytes");
	CHECK(r.src_port == 17500 && r.dest_port == 17500, "ports");
	CHECK(STREQ(r.category, "Insider misuse / data theft") && STREQ(r.threat, "insider"), "threat");
	CHECK(STREQ(r.src_zone, "internet") && STREQ(r.dest_zone, "internet"), "zones");
	CHECK(r.src_country == NULL && r.dest_country == NULL && r.src_asn == -1 && r.dest_asn == -1, "geo");
	alert_rec_fini(&r);

	/* as read from a file: with its newline */
	nl = malloc(strlen(line_udp) + 2);
	if (nl == NULL)
		abort();
	sprintf(nl, "%s\n", line_udp);
	CHECK(alert_parse(nl, strlen(nl), &r, why, sizeof(why)) == 0, "with newline: %s", why);
	CHECK(r.json_len == strlen(nl), "json_len with newline");
	alert_rec_fini(&r);
	free(nl);
}

static void test_rule_v6(void)
{
	static const uint8_t src[16] = { 0x2a, 0x01, 0x04, 0xc8, 0xc0, 0x14, 0x14, 0x4e,
					 0x00, 0x01, 0x00, 0x02, 0x94, 0x5b, 0x67, 0x61 };
	static const uint8_t dst[16] = { 0x2a, 0x01, 0x04, 0xc8, 0xf0, 0x00, 0x0f, 0x49,
					 0, 0, 0, 0, 0, 0, 0, 0x04 };
	struct alert_rec r;
	char why[256];

	CHECK(alert_parse(line_v6, strlen(line_v6), &r, why, sizeof(why)) == 0, "v6: %s", why);
	CHECK(STREQ(r.proto, "ESP") && STREQ(r.app_proto, "IPsec"), "proto");
	CHECK(r.src_port == -1 && r.dest_port == -1, "no ports for ESP");
	CHECK(STREQ(r.src.text, "2a01:4c8:c014:144e:1:2:945b:6761") && r.src.family == 6, "src");
	CHECK(memcmp(r.src.bytes, src, 16) == 0, "src bytes");
	CHECK(STREQ(r.dest.text, "2a01:4c8:f000:f49::4") && r.dest.family == 6, "dest");
	CHECK(memcmp(r.dest.bytes, dst, 16) == 0, "dest bytes");
	CHECK(r.ts_us == INT64_C(1536840494424533), "ts_us");
	CHECK(r.flow_id == UINT64_C(5589496580336570283) && r.sid == 2002, "flow_id sid");
	CHECK(STREQ(r.src_zone, "external") && STREQ(r.dest_zone_name, "external"), "zones");
	alert_rec_fini(&r);
}

static void test_health(void)
{
	struct alert_rec r;
	char why[256];

	CHECK(alert_parse(line_health, strlen(line_health), &r, why, sizeof(why)) == 0, "health: %s", why);
	CHECK(r.kind == ALERT_REC_HEALTH, "kind");
	CHECK(STREQ(r.alert_id, "15dc1cac520e45609d440e3d1c13921e"), "alert_id");
	CHECK(STREQ(r.sensor, "health-1") && r.schema_version == 2, "sensor version");
	CHECK(r.ts_us == INT64_C(1795726672575585), "ts_us");
	CHECK(r.sid == 9001 && r.rev == 1 && r.severity == 3, "sid rev severity");
	CHECK(STREQ(r.signature, "センサーのパケット取りこぼし率がしきい値を超過"), "signature");
	CHECK(STREQ(r.signature_en, "Sensor: capture drop rate above the threshold"), "signature_en");
	CHECK(STREQ(r.category, "Fault") && STREQ(r.clause, "第6(7)") && STREQ(r.threat, "fault"), "policy");
	CHECK(STREQ(r.health_condition, "capture_drops") && STREQ(r.health_state, "raised"), "health");
	CHECK(r.flow_id == 0 && r.proto == NULL && r.app_proto == NULL, "no flow");
	CHECK(r.src.text == NULL && r.src.family == 0 && r.dest.text == NULL && r.dest.family == 0, "no addrs");
	CHECK(r.src_port == -1 && r.dest_port == -1 && r.src_asn == -1 && r.dest_asn == -1, "no ports, asn");
	CHECK(r.src_zone == NULL && r.dest_zone_name == NULL && r.src_country == NULL, "no zones");
	CHECK(STREQ(r.json, line_health) && r.json_len == strlen(line_health), "json copy");
	alert_rec_fini(&r);
}

static void test_behaviour(void)
{
	static const uint8_t dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53 };
	struct alert_rec r;
	char why[256];

	CHECK(alert_parse(line_behaviour, strlen(line_behaviour), &r, why, sizeof(why)) == 0, "behaviour: %s", why);
	CHECK(r.kind == ALERT_REC_BEHAVIOUR && r.schema_version == 3, "kind version");
	CHECK(STREQ(r.alert_id, "5f0c1b9a7e3d4c2b8a6f1e0d9c8b7a65") && STREQ(r.sensor, "city-joho-01"), "id sensor");
	CHECK(r.ts_us == INT64_C(1156430128237462), "ts_us %lld", (long long)r.ts_us);
	CHECK(r.sid == 9101 && r.rev == 1 && r.severity == 3, "sid rev severity");
	CHECK(STREQ(r.signature, "ポートスキャンを検知") && STREQ(r.signature_en, "Port scan"), "signature");
	CHECK(STREQ(r.category, "Unauthorised access") && STREQ(r.clause, "第6(6)") &&
	      STREQ(r.threat, "unauthorized-access"), "policy");
	CHECK(STREQ(r.behaviour_detector, "port_scan") && STREQ(r.behaviour_kind, "syn"), "detector kind");
	CHECK(r.flow_id == 0 && STREQ(r.proto, "TCP") && r.app_proto == NULL, "no flow, proto");
	CHECK(STREQ(r.src.text, "10.100.25.14") && r.src.family == 4 && r.src.bytes[15] == 14, "src");
	CHECK(STREQ(r.dest.text, "10.100.18.12") && r.dest.family == 4, "dest");
	CHECK(r.src_port == -1 && r.dest_port == 445, "ports");
	CHECK(STREQ(r.src_zone, "internet") && STREQ(r.src_zone_name, "情報系") &&
	      STREQ(r.dest_zone, "external") && STREQ(r.dest_zone_name, "external"), "zones");
	CHECK(r.src_country == NULL && r.src_asn == -1 && STREQ(r.dest_country, "JP") && r.dest_asn == 2497, "geo");
	CHECK(r.health_condition == NULL && r.health_state == NULL, "no health");
	CHECK(STREQ(r.json, line_behaviour) && r.json_len == strlen(line_behaviour), "json copy");
	alert_rec_fini(&r);
	CHECK(rec_is_zero(&r), "fini zeroes");

	/* no source; IPv6 destination; every optional member of "behaviour" */
	CHECK(alert_parse(line_flood, strlen(line_flood), &r, why, sizeof(why)) == 0, "flood: %s", why);
	CHECK(r.kind == ALERT_REC_BEHAVIOUR && STREQ(r.behaviour_detector, "udp_flood") &&
	      STREQ(r.behaviour_kind, "pps"), "flood detector kind");
	CHECK(r.src.text == NULL && r.src.family == 0 && r.src_zone == NULL && r.src_zone_name == NULL, "no src");
	CHECK(STREQ(r.dest.text, "2001:db8::53") && r.dest.family == 6 && memcmp(r.dest.bytes, dst6, 16) == 0,
	      "v6 dest");
	CHECK(STREQ(r.dest_zone, "core") && STREQ(r.dest_zone_name, "基幹系") && r.dest_port == 53 &&
	      STREQ(r.proto, "UDP"), "dest zone, port, proto");
	CHECK(r.rev == 2 && r.severity == 2 && r.sid == 9104, "rev severity sid");
	alert_rec_fini(&r);

	/* no destination, no proto, no port */
	CHECK(alert_parse(line_sweep, strlen(line_sweep), &r, why, sizeof(why)) == 0, "sweep: %s", why);
	CHECK(STREQ(r.src.text, "192.168.10.7") && r.dest.text == NULL && r.dest.family == 0 &&
	      r.dest_zone == NULL && r.proto == NULL && r.dest_port == -1 && r.src_port == -1, "sweep ends");
	CHECK(STREQ(r.behaviour_detector, "host_sweep") && STREQ(r.behaviour_kind, "icmp_echo"), "sweep detector");
	alert_rec_fini(&r);

	/* rule and health alerts of version 3: as in version 2 */
	ACCEPT_SUBST(line_geo, "\"schema_version\":2", "\"schema_version\":3");
	ACCEPT_SUBST(line_health, "\"schema_version\":2", "\"schema_version\":3");
	/* a rule's sid in 9100-9199: reserved from version 3 only */
	ACCEPT_SUBST(line_geo, "\"signature_id\":2001", "\"signature_id\":9150");
	{
		char *v3 = subst(line_geo, "\"schema_version\":2", "\"schema_version\":3");
		if (v3 != NULL) {
			REJECT_SUBST(v3, "\"signature_id\":2001", "\"signature_id\":9150",
				     "alert.signature_id", "reserved for behaviour alerts (9100-9199)");
			REJECT_SUBST(v3, "\"signature_id\":2001", "\"signature_id\":9000",
				     "alert.signature_id", "reserved for health alerts");
			REJECT_SUBST(v3, "\"signature_id\":2001", "\"signature_id\":9199",
				     "alert.signature_id", "9100-9199");
			ACCEPT_SUBST(v3, "\"signature_id\":2001", "\"signature_id\":9200");
			ACCEPT_SUBST(v3, "\"signature_id\":2001", "\"signature_id\":8999");
		}
		free(v3);
	}

	/* each optional field absent, or present */
	ACCEPT_SUBST(line_behaviour, "\"proto\":\"TCP\",", "");
	ACCEPT_SUBST(line_behaviour, "\"dest_port\":445,", "");
	ACCEPT_SUBST(line_behaviour, "\"src_ip\":\"10.100.25.14\",", "\"src_ip\":\"::1\",");
	ACCEPT_SUBST(line_behaviour, ",\"sample\":[\"139\",\"135\",\"445\",\"80\",\"22\",\"515\",\"23\",\"21\"]", "");
	ACCEPT_SUBST(line_behaviour, "\"sample\":[\"139\",", "\"sample\":[");
	ACCEPT_SUBST(line_behaviour, "\"sample\":[\"139\",\"135\",\"445\",\"80\",\"22\",\"515\",\"23\",\"21\"]",
		     "\"sample\":[\"\"]");
	ACCEPT_SUBST(line_behaviour, "\"dest_port\":445", "\"dest_port\":0");
	ACCEPT_SUBST(line_sweep, "\"src_ip\":", "\"dest_port\":445,\"src_ip\":");   /* a port, no proto */
	ACCEPT_SUBST(line_flood, "\"proto\":\"UDP\"", "\"proto\":\"SCTP\"");
	ACCEPT_SUBST(line_sweep, "\"src_ip\":", "\"proto\":\"ICMP\",\"src_ip\":");
	ACCEPT_SUBST(line_sweep, "\"src_ip\":", "\"proto\":\"58\",\"src_ip\":");
	ACCEPT_SUBST(line_behaviour, "\"detail\":", "\"future\":{},\"detail\":");   /* unknown members tolerated */
	ACCEPT_SUBST(line_behaviour, "\"value\":29", "\"value\":1e300");
	ACCEPT_SUBST(line_behaviour, "\"window\":60", "\"window\":0");
	ACCEPT_SUBST(line_behaviour, "\"kind\":\"syn\"", "\"kind\":\"a_0123456789_abcdefghijklmnopqrs\"");  /* 32 */
	ACCEPT_SUBST(line_behaviour, "\"direction\":\"inbound\"", "\"direction\":\"external\"");
	ACCEPT_SUBST(line_behaviour, "\"detector\":\"port_scan\"", "\"detector\":\"first_seen\"");
	ACCEPT_SUBST(line_behaviour, "\"signature_id\":9101", "\"signature_id\":9100");
	ACCEPT_SUBST(line_behaviour, "\"signature_id\":9101", "\"signature_id\":9199");
}

static void test_behaviour_refused(void)
{
	char s255[300], big[400];

	/* the version */
	REJECT_SUBST(line_behaviour, "\"schema_version\":3", "\"schema_version\":2",
		     "schema_version 2 has no behaviour alerts", "version 3");
	REJECT_SUBST(line_behaviour, "\"schema_version\":3", "\"schema_version\":1",
		     "schema_version 1 has no behaviour alerts", NULL);
	REJECT_SUBST(line_behaviour, "\"schema_version\":3", "\"schema_version\":5",
		     "schema_version 5 is not supported", "1 to 4");
	REJECT_SUBST(line_behaviour, "\"event_type\":\"behaviour\"", "\"event_type\":\"behavior\"",
		     "event_type", "\"behavior\"");
	REJECT_SUBST(line_behaviour, "\"event_type\":\"behaviour\"", "\"event_type\":\"behaviour\\u0000\"",
		     "not JSON", NULL);

	/* the sid range: 9100-9199 */
	REJECT_SUBST(line_behaviour, "\"signature_id\":9101", "\"signature_id\":2001",
		     "alert.signature_id", "9100-9199");
	REJECT_SUBST(line_behaviour, "\"signature_id\":9101", "\"signature_id\":9001",
		     "alert.signature_id", "found 9001");
	REJECT_SUBST(line_behaviour, "\"signature_id\":9101", "\"signature_id\":9200",
		     "alert.signature_id", NULL);
	REJECT_SUBST(line_health, "\"signature_id\":9001", "\"signature_id\":9101",
		     "alert.signature_id", "9001-9099");

	/* fields every behaviour alert has */
	REJECT_SUBST(line_behaviour, "\"signature_en\":\"Port scan\",", "", "alert.signature_en", "missing");
	REJECT_SUBST(line_behaviour, "\"clause\":\"第6(6)\",", "", "policy.clause", "missing");
	REJECT_SUBST(line_behaviour, "\"geo\":{\"src\":{},", "\"geo\":{", "geo.src", "missing");
	REJECT_SUBST(line_behaviour, "\"geo\":{", "\"nogeo\":{", "geo", "missing");
	REJECT_SUBST(line_behaviour, "\"behaviour\":{", "\"nobehaviour\":{", "behaviour", "missing");
	REJECT_SUBST(line_behaviour, "\"behaviour\":{", "\"behaviour\":[],\"x\":{", "behaviour", "array");

	/* no flow */
	REJECT_SUBST(line_behaviour, "\"proto\":", "\"flow_id\":1,\"proto\":", "flow_id", "behaviour");
	REJECT_SUBST(line_behaviour, "\"proto\":", "\"src_port\":1,\"proto\":", "src_port", "behaviour");
	REJECT_SUBST(line_behaviour, "\"proto\":", "\"app_proto\":\"TLS\",\"proto\":", "app_proto", NULL);

	/* addresses, zones, proto, port */
	REJECT_SUBST(line_behaviour, "\"src_zone\":{\"key\":\"internet\",\"name\":\"情報系\"},", "",
		     "src_zone", "missing");
	REJECT_SUBST(line_behaviour, "\"src_ip\":\"10.100.25.14\",", "", "src_zone", "without src_ip");
	REJECT_SUBST(line_behaviour, "\"dest_ip\":\"10.100.18.12\",", "", "dest_zone", "without dest_ip");
	REJECT_SUBST(line_flood, "\"dest_zone\":{\"key\":\"core\",\"name\":\"基幹系\"},", "", "dest_zone", "missing");
	REJECT_SUBST(line_behaviour, "\"src_ip\":\"10.100.25.14\"", "\"src_ip\":\"10.100.25\"", "src_ip", "10.100.25");
	REJECT_SUBST(line_behaviour, "\"dest_ip\":\"10.100.18.12\"", "\"dest_ip\":null", "dest_ip", "null");
	REJECT_SUBST(line_behaviour, "{\"key\":\"internet\"", "{\"key\":\"Internet\"", "src_zone.key", NULL);
	REJECT_SUBST(line_behaviour, "\"proto\":\"TCP\"", "\"proto\":\"tcp\"", "proto", "\"tcp\"");
	REJECT_SUBST(line_behaviour, "\"dest_port\":445", "\"dest_port\":65536", "dest_port", "0-65535");
	REJECT_SUBST(line_behaviour, "\"dest_port\":445", "\"dest_port\":\"445\"", "dest_port", NULL);
	REJECT_SUBST(line_behaviour, "\"proto\":\"TCP\"", "\"proto\":\"ICMP\"", "dest_port", "ICMP");
	REJECT_SUBST(line_behaviour, "\"country\":\"JP\"", "\"country\":\"jp\"", "geo.dest.country", NULL);

	/* the behaviour object */
	REJECT_SUBST(line_behaviour, "\"detector\":\"port_scan\"", "\"detector\":\"port-scan\"",
		     "behaviour.detector", "port-scan");
	REJECT_SUBST(line_behaviour, "\"detector\":\"port_scan\",", "", "behaviour.detector", "missing");
	REJECT_SUBST(line_behaviour, "\"detector\":\"port_scan\"", "\"detector\":7", "behaviour.detector", "string");
	REJECT_SUBST(line_behaviour, "\"kind\":\"syn\",", "", "behaviour.kind", "missing");
	REJECT_SUBST(line_behaviour, "\"kind\":\"syn\"", "\"kind\":\"SYN\"", "behaviour.kind", "[a-z0-9_]{1,32}");
	REJECT_SUBST(line_behaviour, "\"kind\":\"syn\"", "\"kind\":\"\"", "behaviour.kind", "empty");
	REJECT_SUBST(line_behaviour, "\"kind\":\"syn\"", "\"kind\":\"a_0123456789_abcdefghijklmnopqrst\"",
		     "behaviour.kind", NULL);   /* 33 */
	REJECT_SUBST(line_behaviour, "\"direction\":\"inbound\"", "\"direction\":\"in\"",
		     "behaviour.direction", "\"in\"");
	REJECT_SUBST(line_behaviour, "\"direction\":\"inbound\",", "", "behaviour.direction", "missing");
	REJECT_SUBST(line_behaviour, "\"since\":\"2006-08-24T14:35:25.417872+0000\"",
		     "\"since\":\"2006-08-24T14:35:25Z\"", "behaviour.since", "YYYY");
	REJECT_SUBST(line_behaviour, "\"since\":\"2006-08-24T14:35:25.417872+0000\",", "", "behaviour.since", "missing");
	REJECT_SUBST(line_behaviour, "\"window\":60", "\"window\":-1", "behaviour.window", "found -1");
	REJECT_SUBST(line_behaviour, "\"window\":60", "\"window\":60.5", "behaviour.window", NULL);
	REJECT_SUBST(line_behaviour, "\"value\":29", "\"value\":\"29\"", "behaviour.value", "number");
	REJECT_SUBST(line_behaviour, "\"value\":29,", "", "behaviour.value", "missing");
	REJECT_SUBST(line_behaviour, "\"threshold\":20", "\"threshold\":null", "behaviour.threshold", "null");
	REJECT_SUBST(line_behaviour, "\"unit\":\"ports\"", "\"unit\":\"ports/s\"", "behaviour.unit", "[a-z_]{1,32}");
	REJECT_SUBST(line_behaviour, "\"unit\":\"ports\",", "", "behaviour.unit", "missing");
	REJECT_SUBST(line_behaviour, "\"count\":29", "\"count\":-29", "behaviour.count", NULL);
	REJECT_SUBST(line_behaviour, "\"count\":29,", "", "behaviour.count", "missing");
	REJECT_SUBST(line_behaviour, "\"detail\":\"10.100.25.14", "\"no_detail\":\"10.100.25.14",
		     "behaviour.detail", "missing");
	REJECT_SUBST(line_behaviour, "\"detail\":\"10.100.25.14 probed 29 ports of 10.100.18.12 in 3 s, none answered\"",
		     "\"detail\":\"\"", "behaviour.detail", "empty");
	REJECT_SUBST(line_flood, "\"domain\":\"x.example.jp\"", "\"domain\":\"\"", "behaviour.domain", "empty");
	REJECT_SUBST(line_flood, "\"period\":60.5", "\"period\":-60.5", "behaviour.period", "at least 0");
	REJECT_SUBST(line_flood, "\"jitter\":0.25", "\"jitter\":true", "behaviour.jitter", "true");
	REJECT_SUBST(line_flood, "\"country\":\"CN\"", "\"country\":\"CHN\"", "behaviour.country", "CHN");
	REJECT_SUBST(line_flood, "\"asn\":4134", "\"asn\":0", "behaviour.asn", NULL);
	/* sample: 1-8 strings of at most 255 bytes */
	REJECT_SUBST(line_behaviour, "\"21\"]", "\"21\",\"20\"]", "behaviour.sample", "found 9");
	REJECT_SUBST(line_behaviour, "\"sample\":[\"139\",\"135\",\"445\",\"80\",\"22\",\"515\",\"23\",\"21\"]",
		     "\"sample\":[]", "behaviour.sample", "found 0");
	REJECT_SUBST(line_behaviour, "\"sample\":[", "\"sample\":{\"a\":[", "not JSON", NULL);
	REJECT_SUBST(line_behaviour, "\"sample\":[\"139\",\"135\",\"445\",\"80\",\"22\",\"515\",\"23\",\"21\"]",
		     "\"sample\":\"139\"", "behaviour.sample", "array");
	REJECT_SUBST(line_behaviour, "\"135\"", "135", "behaviour.sample[1]", "string");
	REJECT_SUBST(line_behaviour, "\"135\"", "\"1\\u00005\"", "not JSON", NULL);
	memset(s255, 'p', 255);
	s255[255] = '\0';
	snprintf(big, sizeof(big), "\"%s\"", s255);
	ACCEPT_SUBST(line_behaviour, "\"515\"", big);                     /* 255 bytes */
	snprintf(big, sizeof(big), "\"%sq\"", s255);
	{
		char *t = subst(line_behaviour, "\"515\"", big);
		if (t != NULL)
			REJECT("a sample of 256 bytes", t, "behaviour.sample[5]", "256 bytes");
		free(t);
	}
}

static void test_accepted_variants(void)
{
	/* version-1 rule alerts have the same fields */
	ACCEPT_SUBST(line_geo, "\"schema_version\":2", "\"schema_version\":1");
	/* optional fields absent; unknown fields tolerated */
	ACCEPT_SUBST(line_geo, "\"signature_en\":\"Anonymiser: Tor traffic\",", "");
	ACCEPT_SUBST(line_geo, "\"clause\":\"第6(3)③\",", "");
	ACCEPT_SUBST(line_geo, "\"ndpi\":", "\"future_field\":[1,2,{}],\"ndpi\":");
	ACCEPT_SUBST(line_geo, ",\"ndpi\":{", ",\"ndpi_gone\":{");     /* not stored: not required */
	ACCEPT_SUBST(line_v6, "\"proto\":\"ESP\"", "\"proto\":\"47\"");
	ACCEPT_SUBST(line_geo, "\"dest_ip\":\"46.59.52.31\"", "\"dest_ip\":\"::ffff:46.59.52.31\"");
	ACCEPT_SUBST(line_geo, "2013-11-07T10:54:26.558024", "2024-02-29T23:59:59.999999");
	ACCEPT_SUBST(line_geo, "\"flow_id\":4067309231430204879", "\"flow_id\":9223372036854775807");
	ACCEPT_SUBST(line_geo, "\"asn\":8473", "\"asn\":4294967295");
	ACCEPT_SUBST(line_health, "\"state\":\"raised\"", "\"state\":\"cleared\"");
	ACCEPT_SUBST(line_geo, "\"sensor\":\"city-joho-01\"",
		     "\"sensor\":\"12345678901234567890123456789012345678901234567890123456789012345678901234567890"
		     "123456789012345678901234567890123456789012345678\"");   /* 128 bytes */
}

static void test_not_json(void)
{
	static const char nul_line[] = "{\"a\":1}\0{}";
	char *depth;
	size_t i;

	REJECT("empty", "", "not JSON", NULL);
	REJECT("garbage", "hello", "not JSON", "column");
	REJECT("array", "[1,2]", "not a JSON object", "array");
	REJECT("two objects", "{} {}", "not JSON", NULL);
	expect_reject_n(__LINE__, "raw NUL byte", nul_line, sizeof(nul_line) - 1, "NUL", NULL);
	{
		char trunc[201];

		memcpy(trunc, line_geo, 200);
		trunc[200] = '\0';
		REJECT("truncated", trunc, "not JSON", NULL);
	}
	REJECT_SUBST(line_geo, "\"gid\":1,", "\"gid\":1,\"gid\":2,", "not JSON", "duplicate");
	REJECT_SUBST(line_geo, "Bahnhof AB", "Bahnhof \\u0000AB", "not JSON", "u0000");
	REJECT_SUBST(line_geo, "Bahnhof AB", "Bahnhof \xff\xfe", "not JSON", NULL);   /* not UTF-8 */

	/* nesting bomb: jansson stops at its depth cap (2048) */
	depth = malloc(60001);
	if (depth == NULL)
		abort();
	for (i = 0; i < 30000; i++)
		depth[i] = '[';
	for (; i < 60000; i++)
		depth[i] = ']';
	depth[60000] = '\0';
	REJECT("depth bomb", depth, "not JSON", "depth");
	memcpy(depth, "{\"a\":", 5);
	for (i = 5; i < 50000; i++)
		depth[i] = '[';
	depth[50000] = '\0';
	REJECT("depth bomb in object", depth, "not JSON", NULL);
	free(depth);
}

static void test_caps(void)
{
	size_t n = 70000, len;
	char *big, *s, pad[5001];

	/* a line over 64 KiB, even a valid one */
	big = malloc(n + 1);
	if (big == NULL)
		abort();
	len = strlen(line_geo);
	memcpy(big, line_geo, len - 1);
	memcpy(big + len - 1, ",\"pad\":\"", 8);
	memset(big + len + 7, 'a', n - len - 9);
	memcpy(big + n - 2, "\"}", 2);
	big[n] = '\0';
	REJECT("70 KB line", big, "line of 70000 bytes", "65536-byte cap");
	/* exactly at the cap: parsed (a large unknown field is fine) */
	memcpy(big + ALERT_PARSE_MAX_LINE - 2, "\"}", 3);
	CHECK(strlen(big) == ALERT_PARSE_MAX_LINE, "cap line");
	{
		struct alert_rec r;
		char why[256];

		CHECK(alert_parse(big, ALERT_PARSE_MAX_LINE, &r, why, sizeof(why)) == 0, "line at the cap: %s", why);
		alert_rec_fini(&r);
	}
	free(big);

	/* a stored string over 4 KiB */
	memset(pad, 'x', 5000);
	pad[5000] = '\0';
	s = subst(line_geo, "Anonymiser: Tor traffic", pad);
	if (s != NULL)
		REJECT("huge signature_en", s, "alert.signature_en", "cap");
	free(s);
	REJECT_SUBST(line_geo, "\"sensor\":\"city-joho-01\"",
		     "\"sensor\":\"12345678901234567890123456789012345678901234567890123456789012345678901234567890"
		     "1234567890123456789012345678901234567890123456789\"", "sensor", "129 bytes");
	REJECT_SUBST(line_geo, "\"sensor\":\"city-joho-01\"", "\"sensor\":\"\"", "sensor", "empty");
}

static void test_fields(void)
{
	/* kind and version */
	REJECT_SUBST(line_geo, "\"schema_version\":2", "\"schema_version\":5",
		     "schema_version 5 is not supported (this collector reads 1 to 4)", NULL);
	REJECT_SUBST(line_geo, "\"schema_version\":2", "\"schema_version\":0", "schema_version 0", NULL);
	REJECT_SUBST(line_geo, "\"schema_version\":2", "\"schema_version\":\"2\"", "schema_version", "\"2\"");
	REJECT_SUBST(line_geo, "\"schema_version\":2,", "", "schema_version", "missing");
	REJECT_SUBST(line_health, "\"schema_version\":2", "\"schema_version\":1", "schema_version 1", "health");
	REJECT_SUBST(line_geo, "\"event_type\":\"alert\"", "\"event_type\":\"flow\"", "event_type", "\"flow\"");
	REJECT_SUBST(line_geo, "\"event_type\":\"alert\"", "\"event_type\":\"behaviour\"", "schema_version 2",
		     "behaviour");
	REJECT_SUBST(line_geo, "\"event_type\":\"alert\",", "", "event_type", "missing");

	/* common fields */
	REJECT_SUBST(line_geo, "\"severity\":2", "\"severity\":\"high\"",
		     "alert.severity: expected an integer 1-5, found \"high\"", NULL);
	REJECT_SUBST(line_geo, "\"severity\":2", "\"severity\":0", "alert.severity", "found 0");
	REJECT_SUBST(line_geo, "\"severity\":2", "\"severity\":6", "alert.severity", "found 6");
	REJECT_SUBST(line_geo, "\"severity\":2", "\"severity\":2.0", "alert.severity", NULL);
	REJECT_SUBST(line_geo, "\"severity\":2", "\"severity\":99999999999999999999", "not JSON", NULL);
	REJECT_SUBST(line_geo, "bb5c55f86b629bafdc6f16a99db8a0e2", "BB5C55F86B629BAFDC6F16A99DB8A0E2", "alert_id", "BB5C");
	REJECT_SUBST(line_geo, "bb5c55f86b629bafdc6f16a99db8a0e2", "bb5c55f86b629bafdc6f16a99db8a0e", "alert_id", "hex");
	REJECT_SUBST(line_geo, "bb5c55f86b629bafdc6f16a99db8a0e2", "bb5c55f86b629bafdc6f16a99db8a0eg", "alert_id", NULL);
	REJECT_SUBST(line_geo, "\"alert_id\":\"bb5c55f86b629bafdc6f16a99db8a0e2\"", "\"alert_id\":7", "alert_id", "string");
	REJECT_SUBST(line_geo, "2013-11-07T10:54:26.558024", "2013-02-30T10:54:26.558024", "timestamp", "date");
	REJECT_SUBST(line_geo, "2013-11-07T10:54:26.558024", "2013-02-29T10:54:26.558024", "timestamp", "date");
	REJECT_SUBST(line_geo, "2013-11-07T10:54:26.558024", "2100-02-29T10:54:26.558024", "timestamp", "date");
	REJECT_SUBST(line_geo, "2013-11-07T10:54:26.558024", "2013-13-07T10:54:26.558024", "timestamp", NULL);
	REJECT_SUBST(line_geo, "2013-11-07T10:54:26.558024", "2013-11-07T24:00:00.000000", "timestamp", "time of day");
	REJECT_SUBST(line_geo, "2013-11-07T10:54:26.558024", "2013-11-07T10:54:60.000000", "timestamp", NULL);
	REJECT_SUBST(line_geo, "2013-11-07T10:54:26.558024+0000", "2013-11-07T10:54:26+0000", "timestamp", "YYYY");
	REJECT_SUBST(line_geo, "2013-11-07T10:54:26.558024+0000", "2013-11-07T10:54:26.558024+0900", "timestamp", "+0900");
	REJECT_SUBST(line_geo, "2013-11-07T10:54:26.558024+0000", "2013-11-07T10:54:26.558024Z", "timestamp", NULL);
	REJECT_SUBST(line_geo, "2013-11-07T10:54:26.558024+0000", "2013-11-07 10:54:26.558024+0000", "timestamp", NULL);
	REJECT_SUBST(line_geo, "2013-11-07T10:54:26.558024+0000", "2013-11-07T10:54:26.55802a+0000", "timestamp", NULL);
	REJECT_SUBST(line_geo, "\"timestamp\":\"2013-11-07T10:54:26.558024+0000\"", "\"timestamp\":1383821666",
		     "timestamp", "string");
	REJECT_SUBST(line_geo, "\"signature_id\":2001", "\"signature_id\":9001", "alert.signature_id", "reserved");
	REJECT_SUBST(line_geo, "\"signature_id\":2001", "\"signature_id\":-1", "alert.signature_id", NULL);
	REJECT_SUBST(line_geo, "\"signature_id\":2001", "\"signature_id\":4294967296", "alert.signature_id", NULL);
	REJECT_SUBST(line_geo, "\"rev\":1", "\"rev\":0", "alert.rev", NULL);
	REJECT_SUBST(line_geo, "\"signature\":\"匿名化通信（Tor）を検知\",", "", "alert.signature", "missing");
	REJECT_SUBST(line_geo, "\"signature\":\"匿名化通信（Tor）を検知\"", "\"signature\":[]", "alert.signature", "array");
	REJECT_SUBST(line_geo, "\"category\":\"Unauthorised software\"", "\"category\":null", "alert.category", "null");
	REJECT_SUBST(line_geo, "\"alert\":{", "\"alert\":[],\"x\":{", "alert", "array");
	REJECT_SUBST(line_geo, "\"threat\":\"unauthorized-software\"", "\"threat\":\"bad\\nthing\"", "policy.threat", NULL);
	REJECT_SUBST(line_geo, "\"threat\":\"unauthorized-software\",", "", "policy.threat", "missing");
	REJECT_SUBST(line_geo, "\"clause\":\"第6(3)③\"", "\"clause\":\"\"", "policy.clause", "empty");
	REJECT_SUBST(line_geo, "\"policy\":{", "\"xpolicy\":{", "policy", "missing");

	/* rule alerts: required fields, types, ranges */
	REJECT_SUBST(line_geo, "\"flow_id\":4067309231430204879,", "", "flow_id", "missing");
	REJECT_SUBST(line_geo, "\"flow_id\":4067309231430204879", "\"flow_id\":-5", "flow_id", NULL);
	REJECT_SUBST(line_geo, "\"flow_id\":4067309231430204879", "\"flow_id\":\"4067309231430204879\"", "flow_id", NULL);
	REJECT_SUBST(line_geo, "\"proto\":\"TCP\",", "", "proto", "missing");
	REJECT_SUBST(line_geo, "\"proto\":\"TCP\"", "\"proto\":\"tcp\"", "proto", "\"tcp\"");
	REJECT_SUBST(line_geo, "\"proto\":\"TCP\"", "\"proto\":\"256\"", "proto", NULL);
	REJECT_SUBST(line_geo, "\"src_ip\":\"192.168.1.252\",", "", "src_ip", "missing");
	REJECT_SUBST(line_geo, "\"dest_ip\":\"46.59.52.31\",", "", "dest_ip", "missing");
	REJECT_SUBST(line_geo, "\"dest_ip\":\"46.59.52.31\"", "\"dest_ip\":\"46.59.52.310\"", "dest_ip", "46.59.52.310");
	REJECT_SUBST(line_geo, "\"dest_ip\":\"46.59.52.31\"", "\"dest_ip\":\"host.example\"", "dest_ip", NULL);
	REJECT_SUBST(line_v6, "\"src_ip\":\"2a01:4c8:c014:144e:1:2:945b:6761\"",
		     "\"src_ip\":\"2a01:4c8:c014:144e:1:2:945b:6761:1\"", "src_ip", NULL);
	REJECT_SUBST(line_geo, "\"src_port\":51111,", "", "src_port", "missing");
	REJECT_SUBST(line_geo, "\"dest_port\":443", "\"dest_port\":65536", "dest_port", "0-65535");
	REJECT_SUBST(line_geo, "\"dest_port\":443", "\"dest_port\":\"443\"", "dest_port", NULL);
	REJECT_SUBST(line_v6, "\"dest_ip\":", "\"src_port\":1,\"dest_ip\":", "src_port", "ESP");
	REJECT_SUBST(line_geo, "\"app_proto\":\"TLS.Tor\",", "", "app_proto", "missing");
	REJECT_SUBST(line_geo, "\"src_zone\":{\"key\":\"internet\",\"name\":\"情報系\"},", "", "src_zone", "missing");
	REJECT_SUBST(line_geo, "{\"key\":\"external\",", "{\"key\":\"External\",", "dest_zone.key", "External");
	REJECT_SUBST(line_geo, "\"name\":\"情報系\"", "\"name\":5", "src_zone.name", NULL);
	REJECT_SUBST(line_geo, "\"geo\":{\"src\":{},", "\"geo\":{", "geo.src", "missing");
	REJECT_SUBST(line_geo, "\"geo\":{", "\"nogeo\":{", "geo", "missing");
	REJECT_SUBST(line_geo, "\"country\":\"SE\"", "\"country\":\"se\"", "geo.dest.country", NULL);
	REJECT_SUBST(line_geo, "\"country\":\"SE\"", "\"country\":\"SWE\"", "geo.dest.country", NULL);
	REJECT_SUBST(line_geo, "\"asn\":8473", "\"asn\":0", "geo.dest.asn", NULL);
	REJECT_SUBST(line_geo, "\"asn\":8473", "\"asn\":4294967296", "geo.dest.asn", NULL);

	/* health alerts */
	REJECT_SUBST(line_health, "\"health\":{", "\"nohealth\":{", "health", "missing");
	REJECT_SUBST(line_health, "\"condition\":\"capture_drops\",", "", "health.condition", "missing");
	REJECT_SUBST(line_health, "\"condition\":\"capture_drops\"", "\"condition\":\"disk_full\"",
		     "health.condition", "disk_full");
	REJECT_SUBST(line_health, "\"state\":\"raised\"", "\"state\":true", "health.state", "true");
	REJECT_SUBST(line_health, "\"signature_id\":9001", "\"signature_id\":2001", "alert.signature_id", "9001-9099");
	REJECT_SUBST(line_health, "\"signature_en\":\"Sensor: capture drop rate above the threshold\",", "",
		     "alert.signature_en", "missing");
	REJECT_SUBST(line_health, "\"alert_id\":\"15dc1cac520e45609d440e3d1c13921e\",", "", "alert_id", "missing");
}

/* Version 4: in_iface, the capture interface, on rule and behaviour alerts
 * (optional: absent in a replay, or on a behaviour alert a timer raised);
 * refused on older lines, on health alerts, and when it is not a Linux
 * interface name. */
static void test_iface(void)
{
	char *rule4 = subst(line_geo, "\"schema_version\":2", "\"schema_version\":4");
	char *beh4 = subst(line_behaviour, "\"schema_version\":3", "\"schema_version\":4");
	char *health4 = subst(line_health, "\"schema_version\":2", "\"schema_version\":4");
	char *rule4i = NULL, *beh4i = NULL, *t;
	struct alert_rec r;
	char why[256];

	if (rule4 == NULL || beh4 == NULL || health4 == NULL)
		goto out;
	/* version 4 without in_iface: every kind, as in version 3 */
	CHECK(alert_parse(rule4, strlen(rule4), &r, why, sizeof(why)) == 0 && r.schema_version == 4 &&
	      r.in_iface == NULL, "v4 rule without in_iface: %s", why);
	alert_rec_fini(&r);
	CHECK(alert_parse(beh4, strlen(beh4), &r, why, sizeof(why)) == 0 && r.in_iface == NULL,
	      "v4 behaviour without in_iface: %s", why);
	alert_rec_fini(&r);
	CHECK(alert_parse(health4, strlen(health4), &r, why, sizeof(why)) == 0 && r.kind == ALERT_REC_HEALTH,
	      "v4 health: %s", why);
	alert_rec_fini(&r);

	/* with in_iface: stored in the record, after alert_id as the sensor writes it */
	rule4i = subst(rule4, "\"proto\":", "\"in_iface\":\"eth1\",\"proto\":");
	beh4i = subst(beh4, "\"proto\":", "\"in_iface\":\"enp0s31f6\",\"proto\":");
	if (rule4i == NULL || beh4i == NULL)
		goto out;
	CHECK(alert_parse(rule4i, strlen(rule4i), &r, why, sizeof(why)) == 0, "v4 rule with in_iface: %s", why);
	CHECK(STREQ(r.in_iface, "eth1") && r.kind == ALERT_REC_RULE && r.sid == 2001, "rule in_iface");
	CHECK(STREQ(r.json, rule4i), "json copy");
	alert_rec_fini(&r);
	CHECK(rec_is_zero(&r), "fini zeroes in_iface too");
	CHECK(alert_parse(beh4i, strlen(beh4i), &r, why, sizeof(why)) == 0, "v4 behaviour with in_iface: %s", why);
	CHECK(STREQ(r.in_iface, "enp0s31f6") && r.kind == ALERT_REC_BEHAVIOUR &&
	      STREQ(r.behaviour_detector, "port_scan"), "behaviour in_iface");
	alert_rec_fini(&r);
	/* anywhere in the line; the names Linux allows */
	ACCEPT_SUBST(rule4, "\"rule_line\":7", "\"rule_line\":7,\"in_iface\":\"eth1\"");
	ACCEPT_SUBST(rule4i, "\"eth1\"", "\"0123456789abcde\"");        /* 15 bytes */
	ACCEPT_SUBST(rule4i, "\"eth1\"", "\"e\"");
	ACCEPT_SUBST(rule4i, "\"eth1\"", "\"br-lan.100\"");
	ACCEPT_SUBST(rule4i, "\"eth1\"", "\"eth0:1\"");
	ACCEPT_SUBST(rule4i, "\"eth1\"", "\"wan_ä\"");                  /* UTF-8, 6 bytes */
	ACCEPT_SUBST(beh4i, "\"enp0s31f6\"", "\"0123456789abcde\"");

	/* not before version 4 */
	t = subst(line_geo, "\"proto\":", "\"in_iface\":\"eth1\",\"proto\":");
	if (t != NULL) {
		REJECT("v2 rule with in_iface", t, "in_iface: schema_version 2 has no in_iface", "version 4");
		REJECT_SUBST(t, "\"schema_version\":2", "\"schema_version\":3",
			     "in_iface: schema_version 3 has no in_iface", "version 4");
		REJECT_SUBST(t, "\"schema_version\":2", "\"schema_version\":1", "schema_version 1", NULL);
	}
	free(t);
	REJECT_SUBST(line_behaviour, "\"proto\":", "\"in_iface\":\"eth1\",\"proto\":",
		     "in_iface: schema_version 3 has no in_iface", "version 4");
	/* never on a health alert, of any version */
	REJECT_SUBST(health4, "\"alert\":", "\"in_iface\":\"eth1\",\"alert\":",
		     "in_iface: not in a health alert", NULL);
	REJECT_SUBST(line_health, "\"alert\":", "\"in_iface\":\"eth1\",\"alert\":",
		     "in_iface: not in a health alert", NULL);

	/* not an interface name */
	REJECT_SUBST(rule4i, "\"eth1\"", "\"a/b\"", "in_iface: expected an interface name", "\"a/b\"");
	REJECT_SUBST(rule4i, "\"eth1\"", "\"/\"", "in_iface", "\"/\"");
	REJECT_SUBST(rule4i, "\"eth1\"", "\"\"", "in_iface: empty", NULL);
	REJECT_SUBST(rule4i, "\"eth1\"", "\"0123456789abcdef\"", "in_iface: string of 16 bytes",
		     "15-byte cap");
	REJECT_SUBST(rule4i, "\"eth1\"", "\"0123456789abcdä\"", "in_iface: string of 16 bytes", NULL);
	REJECT_SUBST(rule4i, "\"eth1\"", "\"eth 1\"", "in_iface: expected an interface name", "\"eth 1\"");
	REJECT_SUBST(rule4i, "\"eth1\"", "\"eth1\\n\"", "in_iface: expected", "\"eth1\\x0a\"");
	REJECT_SUBST(rule4i, "\"eth1\"", "\"\\teth1\"", "in_iface: expected", "\\x09");
	REJECT_SUBST(rule4i, "\"eth1\"", "\"eth\\u007f\"", "in_iface: expected", "\\x7f");
	REJECT_SUBST(rule4i, "\"eth1\"", "\"eth\\u0085\"", "in_iface: expected", NULL);      /* C1 NEL */
	REJECT_SUBST(rule4i, "\"eth1\"", "\"eth\\u00a0\"", "in_iface: expected", NULL);      /* NBSP */
	REJECT_SUBST(rule4i, "\"eth1\"", "\"eth\\u2028\"", "in_iface: expected", NULL);
	REJECT_SUBST(rule4i, "\"eth1\"", "\"eth\\u3000\"", "in_iface: expected", NULL);
	REJECT_SUBST(rule4i, "\"eth1\"", "\"\\ufeffeth1\"", "in_iface: expected", NULL);
	REJECT_SUBST(rule4i, "\"eth1\"", "\"eth\\u00001\"", "not JSON", NULL);
	REJECT_SUBST(rule4i, "\"eth1\"", "7", "in_iface: expected a string, found 7", NULL);
	REJECT_SUBST(rule4i, "\"eth1\"", "null", "in_iface: expected a string, found null", NULL);
	REJECT_SUBST(rule4i, "\"eth1\"", "[\"eth1\"]", "in_iface: expected a string", "array");
	REJECT_SUBST(beh4i, "\"enp0s31f6\"", "\"a/b\"", "in_iface: expected an interface name", NULL);
	REJECT_SUBST(rule4i, "\"in_iface\":\"eth1\",", "\"in_iface\":\"eth1\",\"in_iface\":\"eth2\",",
		     "not JSON", "duplicate");

	/* the check itself, as --iface uses it: bytes, and UTF-8 */
	CHECK(alert_parse_iface_is_valid("eth1", 4) && alert_parse_iface_is_valid("eth1/x", 4) &&
	      alert_parse_iface_is_valid("0123456789abcde", 15), "valid names");
	CHECK(!alert_parse_iface_is_valid("0123456789abcdef", 16) && !alert_parse_iface_is_valid("", 0) &&
	      !alert_parse_iface_is_valid(NULL, 0) && !alert_parse_iface_is_valid("a/b", 3) &&
	      !alert_parse_iface_is_valid("a b", 3) && !alert_parse_iface_is_valid("a\001", 2),
	      "invalid names");
	CHECK(!alert_parse_iface_is_valid("a\xff", 2) && !alert_parse_iface_is_valid("a\xc3", 2) &&
	      !alert_parse_iface_is_valid("a\x80", 2) && !alert_parse_iface_is_valid("\xc3(", 2) &&
	      alert_parse_iface_is_valid("a\xc3\xa4", 3), "not UTF-8 refused, UTF-8 taken");
out:
	free(rule4);
	free(beh4);
	free(health4);
	free(rule4i);
	free(beh4i);
}

static void test_reason_is_safe(void)
{
	/* an untrusted value quoted in a reason is cut short and escaped */
	char *s = subst(line_geo, "\"severity\":2",
			"\"severity\":\"\\u001b[31mred\\nline\\\"quote 0123456789012345678901234567890123456789\"");
	struct alert_rec r;
	char why[256];
	size_t i;

	if (s == NULL)
		return;
	CHECK(alert_parse(s, strlen(s), &r, why, sizeof(why)) == -1, "accepted");
	for (i = 0; why[i] != '\0'; i++)
		CHECK(why[i] >= 0x20 && why[i] < 0x7f, "byte %zu of reason is %02x", i, (unsigned char)why[i]);
	CHECK(strstr(why, "\\x1b[31mred\\x0aline\\\"quote") != NULL && strstr(why, "...") != NULL, "reason: %s", why);
	free(s);
	/* a tiny or absent reason buffer is fine */
	CHECK(alert_parse("x", 1, &r, why, 4) == -1 && strlen(why) == 3, "short why");
	CHECK(alert_parse("x", 1, &r, NULL, 0) == -1, "no why");
	CHECK(alert_parse(NULL, 0, &r, why, sizeof(why)) == -1, "NULL line");
	alert_rec_fini(&r);
	/* fini of a zeroed record */
	memset(&r, 0, sizeof(r));
	alert_rec_fini(&r);
	alert_rec_fini(NULL);
}

int main(void)
{
	test_rule_geo();
	test_rule_udp();
	test_rule_v6();
	test_health();
	test_behaviour();
	test_behaviour_refused();
	test_accepted_variants();
	test_not_json();
	test_caps();
	test_fields();
	test_iface();
	test_reason_is_safe();
	return check_done();
}
