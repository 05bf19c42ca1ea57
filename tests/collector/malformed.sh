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
nbad=$(wc -l <"$tmp/expect")
# a second sensor after the bad entries: its alerts are stored as usual
"$SENSOR" -q --sensor-id m2 -r test-pcaps/ndpi/tor.pcap --rules signatures --alerts "$tmp/good2.json" \
	--redis "redis://127.0.0.1:$REDIS_PORT/0" -o spool.dir="$tmp/spool2" 2>>"$tmp/sensor.err" ||
	problem "zw-sensor m2 failed"

zw_collector_start c1 --exit-idle 2
zw_collector_wait c1 || problem "the collector exited $?: $(tail -3 "$tmp/c1.log")"
grep 'done:' "$tmp/c1.log"
grep -q "quarantined $nbad," "$tmp/c1.log" || problem "the counters do not say $nbad quarantined"
python3 tests/collector/storecheck.py "$tmp/store.db" "$tmp/good.json" "$tmp/good2.json" \
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
