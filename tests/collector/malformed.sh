#!/usr/bin/env bash
# Untrusted stream entries: between the alerts of a real replay, entries
# that are not valid alerts (bad JSON, missing or wrong-typed fields, values
# over the caps, a line over 64 KiB, invalid UTF-8, no json field, a json
# field twice, a sensor field that is not the alert's).  The collector must
# keep running, store every valid alert once, quarantine each bad entry
# with a reason naming what is wrong, acknowledge all of them, and count
# them.  Nothing an entry holds may reach the log raw (an escape sequence, a
# forged line).  Then an alert whose signature hides a C1 control and a
# right-to-left override: no table, --json line or report shows them raw.
# Behaviour alerts (schema_version 3, hand-written as doc/alerts.md
# describes them: one without a source) in the same stream: stored, found
# by query --kind behaviour, by --ip on the side they have, counted by top
# --by detector; bad ones (a version-2 line, a rule's sid, a src_port)
# quarantined with their reasons.
# Exit: 0 pass, 1 fail, 77 skip.
set -u

. "$(dirname "$0")/../lib.sh"
zw_need_sensor
zw_need_jq
zw_tmpdir collector-malformed
. "$(dirname "$0")/../redis/lib.bash"
. "$(dirname "$0")/lib.bash"
zw_need_collector

fail=0
problem() { echo "FAIL: $*"; fail=1; }

zw_redis_start
"$SENSOR" -q --sensor-id m1 -r test-pcaps/ndpi/tor.pcap -r test-pcaps/attacks/ftp-crack.pcap \
	--rules signatures --alerts "$tmp/good.json" --redis "redis://127.0.0.1:$REDIS_PORT/0" \
	-o spool.dir="$tmp/spool" 2>"$tmp/sensor.err" || problem "zw-sensor failed: $(tail -3 "$tmp/sensor.err")"
line=$(head -1 "$tmp/good.json")
mod() { printf '%s' "$line" | jq -c "$1"; }

# expected reason (a fixed string the reason must contain) and the entry
: >"$tmp/expect"
bad() {   # bad REASON FIELD VALUE [FIELD VALUE...]
	local reason=$1 id
	shift
	id=$(zw_redis_cli XADD zw:alerts '*' "$@") || { problem "XADD failed"; return; }
	printf '%s\t%s\n' "$id" "$reason" >>"$tmp/expect"
}
# the first one logged: a sensor field that tries to colour the log and forge a line
bad 'JSON' sensor "$(printf 'ev\033[31mRED\nzw-collector: info: FORGED')" json 'this is not JSON'
bad 'JSON' json 'this is not JSON'
bad 'JSON' json "${line:0:200}"
bad 'alert_id' sensor m1 json "$(mod 'del(.alert_id)')"
bad 'severity' sensor m1 json "$(mod '.alert.severity = "high"')"
bad 'src_port' sensor m1 json "$(mod '.src_port = "80"')"
bad 'severity' sensor m1 json "$(mod '.alert.severity = 9')"
bad 'signature' sensor m1 json "$(mod ".alert.signature = \"$(head -c 5000 /dev/zero | tr '\0' x)\"")"
bad 'cap' sensor m1 json "$(mod ".padding = \"$(head -c 70000 /dev/zero | tr '\0' y)\"")"
bad 'schema_version' sensor m1 json "$(mod '.schema_version = 7')"
bad 'src_ip' sensor m1 json "$(mod '.src_ip = "999.1.1.1"')"
bad "no 'json' field" sensor m1 seq 1
bad "no 'json' field" sensor m1 blob "$(head -c 70000 /dev/zero | tr '\0' z)"
bad 'given twice' json "$line" json "$line"
bad 'differs' sensor someone-else json "$line"
bad 'alert_id' sensor m1 alert_id 00000000000000000000000000000000 json "$line"
bad 'decode byte' sensor m1 json "$(mod '.alert.signature = "SIG"' | sed 's/SIG/\xff\xfe/')"
bad 'depth' sensor m1 json "$(python3 -c 'print("[" * 5000 + "]" * 5000)')"

# behaviour alerts: a port scan 10.100.25.14 -> 10.100.18.12:445, and a UDP
# flood from spoofed sources (no src_ip, no src_zone) to 10.100.18.12:53
scan='{"timestamp":"2006-08-24T14:35:28.237462+0000","event_type":"behaviour","schema_version":3,'\
'"sensor":"m1","alert_id":"5f0c1b9a7e3d4c2b8a6f1e0d9c8b7a65","proto":"TCP","src_ip":"10.100.25.14",'\
'"dest_ip":"10.100.18.12","dest_port":445,"alert":{"action":"allowed","gid":1,"signature_id":9101,'\
'"rev":1,"signature":"ポートスキャンを検知","signature_en":"Port scan","severity":3,"severity_name":"medium",'\
'"category":"Unauthorised access"},"policy":{"clause":"第6(6)","threat":"unauthorized-access",'\
'"threat_name":"不正アクセス (第3(1))","threat_name_en":"Unauthorised access"},'\
'"src_zone":{"key":"internet","name":"情報系"},"dest_zone":{"key":"external","name":"external"},'\
'"geo":{"src":{},"dest":{"country":"JP","asn":2497,"org":"IIJ"}},"behaviour":{"detector":"port_scan",'\
'"kind":"syn","direction":"inbound","since":"2006-08-24T14:35:25.417872+0000","window":60,"value":29,'\
'"threshold":20,"unit":"ports","count":29,"sample":["139","135","445","80","22","515","23","21"],'\
'"detail":"10.100.25.14 probed 29 ports of 10.100.18.12 in 3 s, none answered"}}'
flood=$(printf '%s' "$scan" | jq -c '.alert_id = "00112233445566778899aabbccddeeff" |
	.timestamp = "2006-08-24T14:40:00.000001+0000" | del(.src_ip, .src_zone) | .proto = "UDP" | .dest_port = 53 |
	.alert += {signature_id: 9104, signature: "UDPフラッドを検知", signature_en: "UDP flood", severity: 2,
		severity_name: "high", category: "Denial of service"} |
	.policy += {threat: "dos", threat_name: "サービス不能攻撃 (第3(1))", threat_name_en: "Denial of service"} |
	.behaviour = {detector: "udp_flood", kind: "pps", direction: "inbound",
		since: "2006-08-24T14:39:50.000000+0000", window: 10, value: 51234.5, threshold: 20000,
		unit: "packets_per_second", count: 512345, detail: "512345 UDP packets in 10 s to 10.100.18.12"}')
printf '%s\n%s\n' "$scan" "$flood" >"$tmp/behaviour.json"
for b in "$scan" "$flood"; do
	zw_redis_cli XADD zw:alerts '*' sensor m1 alert_id "$(printf '%s' "$b" | jq -r .alert_id)" json "$b" >/dev/null ||
		problem "XADD of a behaviour alert failed"
done
bad 'schema_version 2 has no behaviour alerts' sensor m1 json "$(printf '%s' "$scan" | jq -c '.schema_version = 2')"
bad 'alert.signature_id' sensor m1 json "$(printf '%s' "$scan" | jq -c '.alert.signature_id = 2001')"
bad 'src_port' sensor m1 json "$(printf '%s' "$scan" | jq -c '.src_port = 51111')"
bad 'behaviour.sample' sensor m1 json "$(printf '%s' "$scan" | jq -c '.behaviour.sample += ["1"]')"
nbad=$(wc -l <"$tmp/expect")
# a second sensor after the bad entries: its alerts are stored as usual
"$SENSOR" -q --sensor-id m2 -r test-pcaps/ndpi/tor.pcap --rules signatures --alerts "$tmp/good2.json" \
	--redis "redis://127.0.0.1:$REDIS_PORT/0" -o spool.dir="$tmp/spool2" 2>>"$tmp/sensor.err" ||
	problem "zw-sensor m2 failed"

zw_collector_start c1 --exit-idle 2
zw_collector_wait c1 || problem "the collector exited $?: $(tail -3 "$tmp/c1.log")"
grep 'done:' "$tmp/c1.log"
grep -q "quarantined $nbad," "$tmp/c1.log" || problem "the counters do not say $nbad quarantined"
python3 tests/collector/storecheck.py "$tmp/store.db" "$tmp/good.json" "$tmp/good2.json" "$tmp/behaviour.json" \
	--quarantined "$nbad" || problem "valid alerts not stored exactly once, or quarantine wrong"
# each bad entry quarantined under its stream id, for the reason expected
python3 - "$tmp/store.db" "$tmp/expect" <<'PY' || problem "quarantine reasons"
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
got = {sid: (reason, raw_len) for sid, reason, raw_len in
       con.execute("SELECT stream_id, reason, raw_len FROM quarantine")}
bad = 0
for row in open(sys.argv[2], encoding="utf-8"):
    sid, want = row.rstrip("\n").split("\t")
    if sid not in got:
        print(f"entry {sid} ({want}) not quarantined"); bad = 1
    elif want.lower() not in got[sid][0].lower():
        print(f"entry {sid}: reason {got[sid][0]!r} does not mention {want!r}"); bad = 1
    else:
        print(f"{sid}: {got[sid][0]} ({got[sid][1]} bytes)")
sys.exit(bad)
PY
left=$(zw_redis_cli XPENDING zw:alerts zw-collectors | head -1)
[ "$left" = 0 ] || problem "$left entries still pending"

# behaviour alerts: by kind, by an address on the side they have, by detector
Q() { "$COLLECTOR" query --store "$tmp/store.db" --from 1970-01-01 --limit 0 "$@"; }
# the hand-written ones and those the sensor raised on the captures (the
# brute force in ftp-crack.pcap)
cat "$tmp/behaviour.json" >"$tmp/all-behaviour.json"
jq -c 'select(.event_type == "behaviour")' "$tmp/good.json" "$tmp/good2.json" >>"$tmp/all-behaviour.json"
Q --kind behaviour --json >"$tmp/b.json" || problem "query --kind behaviour failed"
cmp -s <(sort "$tmp/b.json") <(sort "$tmp/all-behaviour.json") ||
	problem "query --kind behaviour: $(cut -c1-100 "$tmp/b.json")"
[ "$(Q --kind behaviour --ip 10.100.18.12 --json | jq -r .alert_id | sort | tr '\n' ' ')" = \
	"00112233445566778899aabbccddeeff 5f0c1b9a7e3d4c2b8a6f1e0d9c8b7a65 " ] ||
	problem "query --ip 10.100.18.12 (the destination of both) does not find both behaviour alerts"
[ "$(Q --ip 10.100.25.0/24 --json | jq -r .alert_id)" = 5f0c1b9a7e3d4c2b8a6f1e0d9c8b7a65 ] ||
	problem "query --ip 10.100.25.0/24 (the port scan's source) does not find the port scan alone"
[ "$(Q --kind alert --json | jq -c 'select(.event_type != "alert")' | wc -l)" -eq 0 ] &&
	[ "$(Q --kind alert --json | wc -l)" -eq \
	  "$(jq -c 'select(.event_type == "alert")' "$tmp/good.json" "$tmp/good2.json" | wc -l)" ] ||
	problem "query --kind alert: not the rule alerts alone"
Q --kind behaviour --lang en >"$tmp/b.table" 2>&1 || problem "query --kind behaviour (table) failed"
grep -q '^2006-08-24 23:40:00  m1  *-  *high  *9104  UDP flood  *-  *10\.100\.18\.12:53  *-  *第6(6)$' "$tmp/b.table" &&
	grep -q '  9101  Port scan  *10\.100\.25\.14  *10\.100\.18\.12:445  *-  *第6(6)$' "$tmp/b.table" ||
	problem "behaviour alerts in the table: $(cat "$tmp/b.table")"
[ "$("$COLLECTOR" top --store "$tmp/store.db" --from 1970-01-01 --by detector --kind behaviour --json |
	jq -r '"\(.key)=\(.count)"' | sort | tr '\n' ' ')" = \
	"$(jq -r .behaviour.detector "$tmp/all-behaviour.json" | sort | uniq -c |
	   awk '{ printf "%s=%s ", $2, $1 }')" ] ||
	problem "top --by detector --kind behaviour"
if python3 -c 'import jsonschema' 2>/dev/null; then
	# the lines say version 3: its schema; as version 4 (no in_iface) the current one
	python3 tests/replay/validate_alerts.py doc/alert.schema.v3.json "$tmp/behaviour.json" >"$tmp/schema.out" ||
		problem "the behaviour alerts the collector stores fail doc/alert.schema.v3.json: $(cat "$tmp/schema.out")"
	jq -c '.schema_version = 4' "$tmp/behaviour.json" >"$tmp/behaviour-v4.json"
	python3 tests/replay/validate_alerts.py doc/alert.schema.json "$tmp/behaviour-v4.json" >"$tmp/schema.out" ||
		problem "the behaviour alerts as version 4 fail doc/alert.schema.json: $(cat "$tmp/schema.out")"
	printf '%s\n' "$scan" | jq -c '.schema_version = 2' >"$tmp/behaviour-v2.json"
	python3 tests/replay/validate_alerts.py doc/alert.schema.v3.json "$tmp/behaviour-v2.json" >/dev/null &&
		problem "doc/alert.schema.v3.json accepts a version-2 behaviour alert"
else
	echo "(no python3 jsonschema: behaviour lines not checked against the schema)"
fi

# nothing from the stream reaches the log raw: no escape, no forged line
if grep -q "$(printf '\033')" "$tmp/c1.log" || grep -q '^zw-collector: info: FORGED' "$tmp/c1.log"; then
	problem "a control character from an entry reached the log: $(grep -a -m1 FORGED "$tmp/c1.log" | od -c | head -3)"
fi

# an alert whose text hides a C1 control (U+009B, a terminal's CSI) and a
# right-to-left override (U+202E) is stored, but shown neither raw in a
# table, in --json (escaped as \u009b, \u202e: the same JSON) nor in reports
hostile=$(printf '%s' "$line" | jq -c '.alert_id = "0123456789abcdef0123456789abcdef" |
	.alert.signature = "A\u202eB\u009bC"')
printf '%s\n' "$hostile" >"$tmp/hostile.json"
"$COLLECTOR" import --store "$tmp/store.db" "$tmp/hostile.json" >/dev/null 2>&1 || problem "import of a hostile alert failed"
"$COLLECTOR" query --store "$tmp/store.db" --from 1970-01-01 --sid "$(jq -r .alert.signature_id "$tmp/hostile.json")" \
	>"$tmp/h.table" 2>&1 || problem "query failed"
"$COLLECTOR" query --store "$tmp/store.db" --from 1970-01-01 --json --limit 0 >"$tmp/h.json" || problem "query --json failed"
"$COLLECTOR" report --store "$tmp/store.db" --from 2005-01-01 --to 2014-12-31 --format md -o "$tmp/h.md" ||
	problem "report md failed"
"$COLLECTOR" report --store "$tmp/store.db" --from 2005-01-01 --to 2014-12-31 --format csv -o "$tmp/h.csv" ||
	problem "report csv failed"
for f in h.table h.json h.md h.csv; do
	if LC_ALL=C grep -q -P '\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]' "$tmp/$f"; then
		problem "$f shows a C1 control or a bidi override raw"
	fi
done
grep -q 'A\\u202eB\\u009bC' "$tmp/h.json" || problem "query --json does not escape them as \\u202e \\u009b"
jq -s -e 'map(select(.alert_id == "0123456789abcdef0123456789abcdef")) |
	length == 1 and .[0].alert.signature == "A\u202eB\u009bC"' \
	"$tmp/h.json" >/dev/null || problem "the escaped JSON line does not mean the same signature"

[ "$fail" -eq 0 ] && echo "PASS: $nbad malformed entries quarantined with their reasons; every valid alert stored once"
exit "$fail"
