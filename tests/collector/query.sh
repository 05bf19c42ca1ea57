#!/usr/bin/env bash
# The analyst's commands on alerts of real captures: replay captures with
# two sensor configs (zones; GeoIP test databases), `zw-collector import`
# the --alerts files (then again: only duplicates; a file with bad lines:
# quarantined as FILE:LINE), and check against the files, computed
# independently with jq:
#   - query --json gives back exactly the input lines; counts per filter
#     (sensor, severity, sid, category, clause prefix, an address on either
#     side, IPv4 and IPv6 CIDRs, zone, country, app, kind, iface (replays
#     have none), a time range in UTC and the same one in JST, combined
#     filters, an empty result); order and --limit;
#   - the table: JST by default, UTC with --utc, Japanese or English heads;
#   - top counts by rule, source, sensor, destination country, app, severity,
#     iface and day (JST and UTC days differ);
#   - sensors: alerts stored per sensor, STALE without heartbeat;
#   - tail: the last N, then alerts stored while it runs, then --count ends it;
#   - usage errors exit 2 naming the option; --help lists every option.
# Exit: 0 pass, 1 fail, 77 skip.
set -u

. "$(dirname "$0")/../lib.sh"
zw_need_sensor
zw_need_jq
zw_tmpdir collector-query
. "$(dirname "$0")/lib.bash"
zw_need_collector

fail=0
problem() { echo "FAIL: $*"; fail=1; }
: >"$tmp/empty.conf"
Z() { "$COLLECTOR" -c "$tmp/empty.conf" "$@"; }
ZS() { local cmd=$1; shift; Z "$cmd" --store "$tmp/store.db" "$@"; }

# --- alerts of real captures ---------------------------------------------------
"$SENSOR" -q -w 2 --sensor-id zone-a -c tests/replay/conf/zones.conf --rules signatures \
	-r test-pcaps/ndpi/smbv1.pcap -r test-pcaps/ndpi/rdp.pcap -r test-pcaps/ndpi/telnet.pcap \
	-r test-pcaps/ndpi/teamviewer.pcap -r test-pcaps/ndpi/anydesk.pcapng -r test-pcaps/ndpi/tor.pcap \
	--alerts "$tmp/a.json" 2>"$tmp/sensor.err" || problem "zw-sensor zone-a: $(tail -3 "$tmp/sensor.err")"
"$SENSOR" -q -w 2 --sensor-id geo-b -c tests/replay/conf/geo.conf --rules signatures \
	-r test-pcaps/ndpi/dns_fragmented.pcap -r test-pcaps/attacks/dnscat2.pcap \
	-r test-pcaps/ndpi/WebattackSQLinj.pcap -r test-pcaps/ndpi/bittorrent.pcap \
	--alerts "$tmp/b.json" 2>"$tmp/sensor.err" || problem "zw-sensor geo-b: $(tail -3 "$tmp/sensor.err")"
"$SENSOR" -q -w 2 --sensor-id tail-c --rules signatures -r test-pcaps/ndpi/bittorrent_utp.pcap \
	-r test-pcaps/ndpi/mining.pcapng --alerts "$tmp/c.json" 2>"$tmp/sensor.err" ||
	problem "zw-sensor tail-c: $(tail -3 "$tmp/sensor.err")"
cat "$tmp/a.json" "$tmp/b.json" >"$tmp/all.json"
na=$(wc -l <"$tmp/a.json")
nb=$(wc -l <"$tmp/b.json")
nc=$(wc -l <"$tmp/c.json")
n=$((na + nb))
[ "$na" -gt 20 ] && [ "$nb" -gt 20 ] && [ "$nc" -gt 2 ] || problem "too few alerts: $na, $nb, $nc"
[ "$(jq -r .alert_id "$tmp/all.json" "$tmp/c.json" | sort -u | wc -l)" -eq $((n + nc)) ] ||
	problem "alert_ids of the replays are not unique"
echo "alerts: zone-a $na, geo-b $nb, tail-c $nc"

# --- import --------------------------------------------------------------------
out=$(ZS import "$tmp/a.json" "$tmp/b.json") || problem "import failed: $out"
[ "$out" = "imported $n, duplicates 0, quarantined 0" ] || problem "import said: $out"
out=$(ZS import "$tmp/b.json" - <"$tmp/a.json") || problem "second import failed: $out"
[ "$out" = "imported 0, duplicates $n, quarantined 0" ] || problem "second import said: $out"
{
	head -1 "$tmp/a.json"
	echo 'this is not an alert'
	echo
	jq -c '.alert.severity = 9' <<<"$(sed -n 2p "$tmp/b.json")"
} >"$tmp/bad.json"
out=$(ZS import "$tmp/bad.json") || problem "import of bad.json failed: $out"
[ "$out" = "imported 0, duplicates 1, quarantined 2" ] || problem "import of bad.json said: $out"
python3 tests/collector/storecheck.py "$tmp/store.db" "$tmp/a.json" "$tmp/b.json" --quarantined 2 ||
	problem "the store is not the files' alerts"
ids=$(python3 -c 'import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print(" ".join(r[0] + "=" + ("y" if "severity" in r[1] or "JSON" in r[1] else "n")
      for r in c.execute("SELECT stream_id, reason FROM quarantine ORDER BY id")))' "$tmp/store.db")
[ "$ids" = "$tmp/bad.json:2=y $tmp/bad.json:4=y" ] || problem "quarantine stream ids and reasons: $ids"

# --- query: lines and counts -----------------------------------------------------
ZS query --from 1970-01-01 --limit 0 --json >"$tmp/q.json" || problem "query --json failed"
cmp -s <(sort "$tmp/q.json") <(sort "$tmp/all.json") ||
	problem "query --json is not the input lines: $(diff <(sort "$tmp/q.json") <(sort "$tmp/all.json") | head -3 | cut -c1-200)"
jq -r .timestamp "$tmp/q.json" | LC_ALL=C sort -c -r 2>/dev/null || problem "query: not newest first"
ZS query --from 1970-01-01 --limit 0 --json --asc | jq -r .timestamp | LC_ALL=C sort -c 2>/dev/null ||
	problem "query --asc: not oldest first"
ZS query --from 1970-01-01 --limit 5 --json | jq -r .timestamp >"$tmp/q5"
jq -r .timestamp "$tmp/all.json" | LC_ALL=C sort -r | head -5 | cmp -s - "$tmp/q5" || problem "--limit 5: not the 5 newest"
ZS query --from 1970-01-01 --sort severity --limit 0 --json | jq -r .alert.severity | sort -n -c ||
	problem "--sort severity: not most severe first"

# count QUERY-OPTIONS... -- JQ-FILTER: the query's lines against jq's
count() {
	local args=() want got
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	want=$(jq -c "select($1)" "$tmp/all.json" | wc -l)
	got=$(ZS query --from 1970-01-01 --limit 0 --json "${args[@]}" 2>>"$tmp/query.err" | wc -l)
	if [ "$got" -ne "$want" ]; then
		problem "query ${args[*]}: $got alerts, jq says $want"
	else
		echo "ok   query ${args[*]}: $got"
	fi
}
count --sensor zone-a -- '.sensor == "zone-a"'
count --sensor geo-b -- '.sensor == "geo-b"'
count --severity high -- '.alert.severity <= 2'
count --severity 3 -- '.alert.severity <= 3'
count --severity critical -- '.alert.severity == 1'
count --sid 3007 -- '.alert.signature_id == 3007'
count --sid 2004 -- '.alert.signature_id == 2004'
count --category "Unauthorised software" -- '.alert.category == "Unauthorised software"'
count --clause '第6(3)③' -- '.policy.clause == "第6(3)③"'
count --clause '第6(3)*' -- '.policy.clause | startswith("第6(3)")'
count --ip 192.168.1.252 -- '.src_ip == "192.168.1.252" or .dest_ip == "192.168.1.252"'
count --ip 192.168.1.187 -- '.src_ip == "192.168.1.187" or .dest_ip == "192.168.1.187"'
count --ip 192.168.0.0/16 -- '(.src_ip | startswith("192.168.")) or (.dest_ip | startswith("192.168."))'
count --ip 10.0.0.0/8 -- '(.src_ip | startswith("10.")) or (.dest_ip | startswith("10."))'
count --ip 2a00:1450::/32 -- '(.src_ip | startswith("2a00:1450:")) or (.dest_ip | startswith("2a00:1450:"))'
count --ip ::/0 -- 'true'
count --ip 0.0.0.0/0 -- '(.src_ip | contains(":") | not)'
count --zone lgwan -- '.src_zone.key == "lgwan" or .dest_zone.key == "lgwan"'
count --zone core -- '.src_zone.key == "core" or .dest_zone.key == "core"'
count --country IE -- '.geo.src.country == "IE" or .geo.dest.country == "IE"'
count --app TLS -- '.app_proto == "TLS" or (.app_proto | startswith("TLS.")) or (.app_proto | endswith(".TLS"))'
count --app anydesk -- '.app_proto == "AnyDesk" or (.app_proto | endswith(".AnyDesk"))'
count --kind alert -- '.event_type == "alert"'
count --kind health -- '.event_type == "health"'
count --iface eth0 -- '.in_iface == "eth0"'   # replays: no capture interface
count --from 2019-05-27T14:40:10Z --to 2019-05-27T14:40:22Z -- \
	'.timestamp >= "2019-05-27T14:40:10" and .timestamp < "2019-05-27T14:40:22"'
count --from "2019-05-27 23:40:10" --to "2019-05-27 23:40:22" -- \
	'.timestamp >= "2019-05-27T14:40:10" and .timestamp < "2019-05-27T14:40:22"'
count --utc --from "2019-05-27 14:40:10" --to "2019-05-27T14:40:22" -- \
	'.timestamp >= "2019-05-27T14:40:10" and .timestamp < "2019-05-27T14:40:22"'
count --sensor geo-b --severity medium --ip 2a00:1450::/32 --from 2019-05-27T14:40:15Z -- \
	'.sensor == "geo-b" and .alert.severity <= 3 and (.src_ip | startswith("2a00:1450:")) and .timestamp >= "2019-05-27T14:40:15"'
count --zone internet --sid 2004 -- \
	'(.src_zone.key == "internet" or .dest_zone.key == "internet") and .alert.signature_id == 2004'
count --sensor nobody -- 'false'
count --ip 203.0.113.0/24 -- 'false'

# the default range is the last 24 hours: these captures are years old
got=$(ZS query --json 2>/dev/null | wc -l)
[ "$got" -eq 0 ] || problem "query without --from: $got alerts from the last 24 hours"
ZS query >"$tmp/none.out" 2>"$tmp/none.err" || problem "an empty query did not exit 0"
[ ! -s "$tmp/none.out" ] && grep -q 'ありません' "$tmp/none.err" || problem "empty query output: $(cat "$tmp/none.out" "$tmp/none.err")"

# --- the table ---------------------------------------------------------------------
# sid 1001 (smbv1.pcap) at 2017-04-14T17:30:36.120691Z
ZS query --from 1970-01-01 --sid 1001 >"$tmp/t.jst"
ZS query --from 1970-01-01 --sid 1001 --utc --lang en >"$tmp/t.utc"
head -1 "$tmp/t.jst" | grep -q '^時刻 (JST) *センサー *IF *重要度 *SID *シグネチャ *送信元 *宛先 *アプリ *条項$' ||
	problem "Japanese heads: $(head -1 "$tmp/t.jst")"
head -1 "$tmp/t.utc" | grep -q '^time (UTC) *sensor *iface *severity *sid *signature *source *destination *app *clause$' ||
	problem "English heads: $(head -1 "$tmp/t.utc")"
grep -q '^2017-04-15 02:30:36  zone-a  *-  *緊急  *1001  .*172\.16\.156\.130:[0-9]*  *10\.128\.0\.243:445  *NetBIOS\.SMBv1  *第6(3)①$' "$tmp/t.jst" ||
	problem "JST row: $(sed -n 2p "$tmp/t.jst")"
grep -q '^2017-04-14 17:30:36  zone-a  *-  *critical  *1001  ' "$tmp/t.utc" || problem "UTC row: $(sed -n 2p "$tmp/t.utc")"
# columns line up in display columns: every row's "SID" column ends where the head's does
ZS query --from 1970-01-01 --limit 0 >"$tmp/t.all"
python3 - "$tmp/t.all" <<'EOF' || problem "the table's columns do not line up"
import sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
def cut(line, cols):   # the start of line that is cols columns wide, or None
    for i in range(len(line) + 1):
        if width(line[:i]) == cols:
            return line[:i]
        if width(line[:i]) > cols:
            return None
    return None
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
head = lines[0]
end = width(head[:head.index("SID") + 3])      # SID is right-aligned
bad = []
for line in lines[1:]:
    p = cut(line, end)
    if p is None or not p[-1].isdigit() or line[len(p):len(p) + 2] != "  ":
        bad.append(line)
for line in bad[:3]:
    print("misaligned:", line)
sys.exit(1 if bad or len(lines) < 50 else 0)
EOF

# --- top --------------------------------------------------------------------------------
# top_eq KEY JQ-KEY: counts of top --by KEY --json against jq's
top_eq() {
	local by=$1 jqkey=$2 extra=${3:-}
	ZS top --from 1970-01-01 --limit 0 --json --by "$by" $extra | jq -r '"\(.key)\t\(.count)"' | sort >"$tmp/top.got"
	jq -r "[$jqkey] | map(tostring) | .[0]" "$tmp/all.json" | sort | uniq -c | awk '{ c = $1; $1 = ""; sub(/^ /, ""); print $0 "\t" c }' |
		sort >"$tmp/top.want"
	if cmp -s "$tmp/top.got" "$tmp/top.want"; then
		echo "ok   top --by $by $extra: $(wc -l <"$tmp/top.got") groups"
	else
		problem "top --by $by $extra: $(diff "$tmp/top.want" "$tmp/top.got" | head -4 | tr '\n' ' ')"
	fi
}
top_eq rule '.alert.signature_id'
top_eq src '.src_ip'
top_eq sensor '.sensor'
top_eq dest-country '.geo.dest.country // ""'
top_eq src-country '.geo.src.country // ""'
top_eq app '.app_proto // ""'   # behaviour alerts have none
top_eq iface '.in_iface // ""'   # replays: all ""
top_eq severity '.alert.severity'
top_eq clause '.policy.clause'
top_eq src-zone '.src_zone.key'
top_eq day '.timestamp[0:19] + "Z" | fromdateiso8601 | strftime("%Y-%m-%d")' --utc
top_eq day '.timestamp[0:19] + "Z" | fromdateiso8601 + 32400 | strftime("%Y-%m-%d")'
# smbv1.pcap (2017-04-14 17:30 UTC) and bittorrent.pcap (2016-02-14 17:13 UTC) are on the next day in JST
ZS top --from 1970-01-01 --by day --json | jq -r .key >"$tmp/days.jst"
ZS top --from 1970-01-01 --by day --json --utc | jq -r .key >"$tmp/days.utc"
grep -qx 2017-04-15 "$tmp/days.jst" && grep -qx 2017-04-14 "$tmp/days.utc" && ! grep -qx 2017-04-14 "$tmp/days.jst" &&
	grep -qx 2016-02-15 "$tmp/days.jst" && grep -qx 2016-02-14 "$tmp/days.utc" ||
	problem "days in JST and UTC: $(tr '\n' ' ' <"$tmp/days.jst") / $(tr '\n' ' ' <"$tmp/days.utc")"
LC_ALL=C sort -c "$tmp/days.jst" || problem "top --by day: not in day order"
# most first, --limit, labels, the total
ZS top --from 1970-01-01 --json | jq -r .count >"$tmp/top10"
[ "$(wc -l <"$tmp/top10")" -eq 10 ] && sort -n -r -c "$tmp/top10" || problem "top: not the 10 biggest, most first"
ZS top --from 1970-01-01 --by rule --limit 3 >"$tmp/top.table"
grep -q "^合計 $n 件$" "$tmp/top.table" || problem "top total: $(tail -1 "$tmp/top.table")"
[ "$(wc -l <"$tmp/top.table")" -eq 5 ] || problem "top --limit 3: $(cat "$tmp/top.table")"
top1=$(jq -r .alert.signature_id "$tmp/all.json" | sort | uniq -c | sort -k1,1nr -k2,2n | head -1 | awk '{print $2}')
sig1=$(jq -r "select(.alert.signature_id == $top1) | .alert.signature" "$tmp/all.json" | head -1)
sed -n 2p "$tmp/top.table" | grep -qF "$top1  $sig1" || problem "top row 1 is not sid $top1 ($sig1): $(sed -n 2p "$tmp/top.table")"
ZS top --from 1970-01-01 --by src-zone --lang en --json |
	jq -s -e 'map(select(.key == "internet"))[0].label == "情報系"' >/dev/null ||
	problem "top --by src-zone: no zone name label"
out=$(ZS top --by rule 2>&1 >/dev/null)
[ "$out" = "該当するアラートはありません" ] || problem "top over the last 24 hours: $out"

# --- sensors ------------------------------------------------------------------------------
ZS sensors --json >"$tmp/sensors.json" || problem "sensors failed"
[ "$(jq -r '"\(.sensor) \(.stored) \(.status)"' "$tmp/sensors.json" | tr '\n' ' ')" = "geo-b $nb stale zone-a $na stale " ] ||
	problem "sensors: $(cat "$tmp/sensors.json")"
ZS sensors --lang en >"$tmp/sensors.txt"
grep -q "^zone-a  *STALE  *never .* $na  " "$tmp/sensors.txt" || problem "sensors table: $(cat "$tmp/sensors.txt")"

# --- tail ------------------------------------------------------------------------------------
timeout 60 "$COLLECTOR" -c "$tmp/empty.conf" tail --store "$tmp/store.db" -n 3 --count "$nc" --json \
	>"$tmp/tail.out" 2>"$tmp/tail.err" &
tail_pid=$!
for _ in $(seq 100); do
	[ "$(wc -l <"$tmp/tail.out")" -ge 3 ] && break
	sleep 0.1
done
out=$(ZS import "$tmp/c.json") || problem "import c.json: $out"
st=0
wait "$tail_pid" || st=$?
[ "$st" -eq 0 ] || problem "tail exited $st: $(cat "$tmp/tail.err")"
cmp -s "$tmp/tail.out" <(tail -n 3 "$tmp/b.json"; cat "$tmp/c.json") ||
	problem "tail printed $(wc -l <"$tmp/tail.out") lines, not the last 3 stored then the $nc new ones"
# Ctrl-C ends it with 0
"$COLLECTOR" -c "$tmp/empty.conf" tail --store "$tmp/store.db" --sensor tail-c -n 2 >"$tmp/tail2.out" 2>&1 &
tail_pid=$!
sleep 1.5
kill -INT "$tail_pid"
st=0
wait "$tail_pid" || st=$?
[ "$st" -eq 0 ] || problem "tail after SIGINT exited $st"
[ "$(wc -l <"$tmp/tail2.out")" -eq 3 ] && head -1 "$tmp/tail2.out" | grep -q '^時刻 (JST)' &&
	[ "$(grep -c '  tail-c  ' "$tmp/tail2.out")" -eq 2 ] || problem "tail -n 2: $(cat "$tmp/tail2.out")"

# --- usage ------------------------------------------------------------------------------------
usage() {   # usage WORD-IN-MESSAGE COMMAND ARGS...
	local word=$1 st=0
	shift
	ZS "$@" >/dev/null 2>"$tmp/usage.err" || st=$?
	if [ "$st" -ne 2 ] || ! grep -q -e "^zw-collector $1: .*$word" "$tmp/usage.err"; then
		problem "$*: exit $st, $(cat "$tmp/usage.err")"
	fi
}
usage '--severity "bogus"' query --severity bogus
usage '--ip' query --ip 10.0.0.0/33
usage '--from' query --from 2026-02-30
usage '--sid' query --sid x
usage '--limit' query --limit -5
usage '--country' top --country JPN
usage '--iface "a/b"' query --iface a/b
usage '--by "nothing"' top --by nothing
usage '--lang' sensors --lang fr
usage '--stale' sensors --stale soon
usage 'unknown option --nope' query --nope
usage 'needs a value' query --sensor
usage 'unexpected argument' query extra
usage 'not before --to' query --from -1h --to -2h
usage 'no file' import
# the config file's store and language
printf 'store = sqlite:%s\ndisplay.lang = en\ndisplay.utc = true\n' "$tmp/store.db" >"$tmp/en.conf"
"$COLLECTOR" -c "$tmp/en.conf" query --from 1970-01-01 --sid 1001 >"$tmp/t.conf" ||
	problem "query with the config's store failed"
grep -q '^2017-04-14 17:30:36  zone-a  *-  *critical ' "$tmp/t.conf" && head -1 "$tmp/t.conf" | grep -q '^time (UTC)' ||
	problem "config display.lang/display.utc: $(cat "$tmp/t.conf")"
Z query --store "$tmp/missing.db" >/dev/null 2>"$tmp/usage.err"
st=$?
[ "$st" -eq 1 ] && [ ! -e "$tmp/missing.db" ] || problem "query of a missing store: exit $st"
Z import --store "$tmp/store.db" "$tmp/no-such-file" >/dev/null 2>"$tmp/usage.err"
[ $? -eq 1 ] || problem "import of a missing file did not exit 1"
for cmd in query tail top sensors import; do
	Z "$cmd" --help >"$tmp/help" || problem "$cmd --help did not exit 0"
	case $cmd in
	query) opts="from to since sensor severity sid category clause ip zone country app kind iface sort asc limit utc store json lang help" ;;
	tail) opts="from to since sensor severity sid category clause ip zone country app kind iface utc lines count store json lang help" ;;
	top) opts="from to since sensor severity sid category clause ip zone country app kind iface utc by limit store json lang help" ;;
	sensors) opts="stale utc store json lang help" ;;
	import) opts="store max-invalid help" ;;
	esac
	for o in $opts; do
		grep -q -e "--$o\b" "$tmp/help" || problem "$cmd --help does not list --$o"
	done
done

[ "$fail" -eq 0 ] && echo "PASS: import, query, top, sensors and tail agree with the --alerts files"
exit "$fail"
