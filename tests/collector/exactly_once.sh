#!/usr/bin/env bash
# Exactly once: three sensors replay different captures into one Redis at
# the same time while two collectors share the stream in one consumer
# group.  The store must end with exactly the union of the sensors'
# --alerts files (storecheck.py reads it with Python's sqlite3): nothing
# lost, nothing twice, each line byte for byte.  Nothing may stay pending,
# the stream must be trimmed to nothing, the sensors' heartbeats must be in
# the store.  Then 30 alerts are re-sent (as a sensor that lost its
# delivered mark would): a third collector counts 30 duplicates and the
# store does not change.
# Exit: 0 pass, 1 fail, 77 skip.
set -u

. "$(dirname "$0")/../lib.sh"
zw_need_sensor
zw_need_jq
zw_tmpdir collector-once
. "$(dirname "$0")/../redis/lib.bash"
. "$(dirname "$0")/lib.bash"
zw_need_collector

fail=0
problem() { echo "FAIL: $*"; fail=1; }

zw_redis_start
opts=(--batch 50 --exit-idle 4 --claim-interval 1)
zw_collector_start c1 "${opts[@]}"
zw_collector_start c2 "${opts[@]}"

zw_sensor_replay s1 "$tmp/s1.json" test-pcaps/attacks/version_scan.pcap &
p1=$!
zw_sensor_replay s2 "$tmp/s2.json" test-pcaps/attacks/FIN_SCAN.pcap &
p2=$!
zw_sensor_replay s3 "$tmp/s3.json" test-pcaps/attacks/ftp-crack.pcap test-pcaps/ndpi/tor.pcap &
p3=$!
for p in $p1 $p2 $p3; do wait "$p" || problem "a sensor failed: $(cat "$tmp"/sensor-*.err | tail -3)"; done
for c in c1 c2; do
	zw_collector_wait "$c" || problem "collector $c exited $?: $(tail -3 "$tmp/$c.log")"
done
grep -h 'done:' "$tmp/c1.log" "$tmp/c2.log"
python3 tests/collector/storecheck.py "$tmp/store.db" "$tmp"/s[123].json --quarantined 0 ||
	problem "the store is not the union of the --alerts files"
for c in c1 c2; do
	read_n=$(sed -n 's/.*done: read \([0-9]*\),.*/\1/p' "$tmp/$c.log")
	echo "collector $c read ${read_n:-?} entries"
done
pending=$(zw_redis_cli XPENDING zw:alerts zw-collectors | head -1)
[ "$pending" = 0 ] || problem "$pending entries still pending"
len=$(zw_redis_cli XLEN zw:alerts)
[ "$len" = 0 ] || problem "the stream still holds $len entries after everything was stored"
hb=$(python3 -c 'import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
print(" ".join(r[0] for r in con.execute("SELECT sensor FROM sensors WHERE last_heartbeat_us > 0 ORDER BY sensor")))' "$tmp/store.db")
[ "$hb" = "s1 s2 s3" ] || problem "sensors with a heartbeat in the store: '$hb', expected 's1 s2 s3'"

# re-sent alerts: the same alert_id again, stored once
before=$(zw_store_count)
head -30 "$tmp/s1.json" | while IFS= read -r line; do
	id=$(printf '%s' "$line" | jq -r .alert_id)
	zw_redis_cli XADD zw:alerts '*' sensor s1 alert_id "$id" json "$line" >/dev/null
done
zw_collector_start c3 --exit-idle 2
zw_collector_wait c3 || problem "collector c3 exited $?"
grep -q 'done: read 30, stored 0, duplicates 30,' "$tmp/c3.log" ||
	problem "re-sent alerts: expected 'read 30, stored 0, duplicates 30': $(grep 'done:' "$tmp/c3.log")"
[ "$(zw_store_count)" = "$before" ] || problem "the store changed from $before to $(zw_store_count) alerts"
python3 tests/collector/storecheck.py "$tmp/store.db" "$tmp"/s[123].json >/dev/null ||
	problem "the store changed after re-sent alerts"

[ "$fail" -eq 0 ] && echo "PASS: 3 sensors, 2 collectors: the store holds each alert once; re-sent ones counted as duplicates"
exit "$fail"
