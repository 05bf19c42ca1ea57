#!/usr/bin/env bash
# Restart, spool full, wrong password.
#  1. Redis down: the sensor spools its alerts and exits; started again with
#     Redis up (and an empty capture), it delivers them all, once.
#  2. A tiny spool (spool.max_size) with Redis down: the alerts that did not
#     fit are counted exactly (redis.spool_dropped = alerts - spooled), the
#     ones that fit are delivered later, and the loss is reported by one
#     alerts_lost health alert with that exact count once Redis is back
#     (by the next run: the count is kept in the spool directory).
#  3. A wrong password: a clear AUTH error in the log, the replay goes on,
#     alerts spool.
# Exit: 0 pass, 1 fail, 77 skip.
set -u

. "$(dirname "$0")/../lib.sh"
zw_need_sensor
zw_need_jq
zw_tmpdir redis-restart
. "$(dirname "$0")/lib.bash"

fail=0
problem() { echo "FAIL: $*"; fail=1; }
stream_entries() { zw_stream_entries zw:alerts; }
stream_ids() { stream_entries | jq -r '.alert_id'; }
python3 tests/replay/pcapcat.py header test-pcaps/ndpi/tor.pcap >"$tmp/empty.pcap"
REDIS_PORT=$(zw_free_port)
url="redis://127.0.0.1:$REDIS_PORT"
common=(--rules tests/redis/rules -o redis.connect_timeout_ms=200 -o redis.command_timeout_ms=300)

# 1. restart
"$SENSOR" -q --sensor-id restart-1 -r test-pcaps/ndpi/bittorrent.pcap -r test-pcaps/ndpi/tor.pcap \
	"${common[@]}" --alerts "$tmp/a1.json" --redis "$url" -o spool.dir="$tmp/spool1" \
	--stats "$tmp/s1.json" 2>/dev/null || problem "run 1 failed"
held=$(jq -r 'select(.final) | .redis.spool.records' "$tmp/s1.json")
n1=$(wc -l <"$tmp/a1.json")
[ "$held" = "$n1" ] || problem "spool holds $held records after run 1, expected all $n1 alerts"
zw_redis_start
"$SENSOR" -q --sensor-id restart-1 -r "$tmp/empty.pcap" "${common[@]}" --redis "$url" \
	-o spool.dir="$tmp/spool1" --stats "$tmp/s1b.json" 2>/dev/null || problem "run 1b failed"
jq -r '.alert_id' "$tmp/a1.json" >"$tmp/want1"
stream_ids >"$tmp/got1"
cmp -s "$tmp/want1" "$tmp/got1" || problem "after the restart the stream has $(wc -l <"$tmp/got1") of $n1 alerts (or another order)"
left=$(jq -r 'select(.final) | .redis.spool.records' "$tmp/s1b.json")
[ "$left" = 0 ] || problem "the spool still holds $left records"
echo "restart: $n1 alerts spooled by run 1, $(wc -l <"$tmp/got1") delivered by run 2"
zw_redis_stop
rm -rf "$tmp/redis"

# 2. spool full
"$SENSOR" -q --sensor-id full-1 -r test-pcaps/attacks/ftp-crack.pcap "${common[@]}" \
	--alerts "$tmp/a2.json" --redis "$url" -o spool.dir="$tmp/spool2" -o spool.max_size=64k \
	-o spool.segment_size=16k --stats "$tmp/s2.json" 2>/dev/null || problem "run 2 failed"
n2=$(wc -l <"$tmp/a2.json")
spooled=$(jq -r 'select(.final) | .redis.spooled' "$tmp/s2.json")
dropped=$(jq -r 'select(.final) | .redis.spool_dropped' "$tmp/s2.json")
[ "$dropped" -gt 0 ] || problem "a 64k spool took all $n2 alerts: the test no longer fills it"
[ $((spooled + dropped)) -eq "$n2" ] || problem "spooled $spooled + dropped $dropped != $n2 alerts"
zw_redis_start
"$SENSOR" -q --sensor-id full-1 -r "$tmp/empty.pcap" "${common[@]}" --redis "$url" \
	-o spool.dir="$tmp/spool2" 2>/dev/null || problem "run 2b failed"
stream_entries >"$tmp/e2"
got=$(jq -r 'select(.json | fromjson | .health.condition != "alerts_lost") | .alert_id' "$tmp/e2" | wc -l)
[ "$got" -eq "$spooled" ] || problem "delivered $got after the spool-full run, expected the $spooled spooled"
# the loss, reported once the path was clear (by run 2b: run 2 never had Redis)
jq -c '.json | fromjson | select(.event_type == "health") | .health' "$tmp/e2"
lost=$(jq -r '.json | fromjson | select(.health.condition == "alerts_lost") | .health.count' "$tmp/e2")
[ "$lost" = "$dropped" ] ||
	problem "the alerts_lost health alert says '${lost//$'\n'/,}', expected one saying $dropped"
[ ! -e "$tmp/spool2/lost" ] || problem "the reported loss is still kept in spool2/lost"
jq -c '.json | fromjson' "$tmp/e2" >"$tmp/e2.json"
python3 tests/replay/validate_alerts.py doc/alert.schema.json "$tmp/e2.json" ||
	problem "stream entries fail the alert schema"
echo "spool full: $n2 alerts, $spooled spooled and delivered later, $dropped dropped (counted and reported)"

# 3. wrong password
zw_redis_stop
rm -rf "$tmp/redis"
REDIS_AUTH=(-a right-one --no-auth-warning)
zw_redis_start --requirepass right-one
"$SENSOR" --sensor-id auth-1 -r test-pcaps/ndpi/tor.pcap "${common[@]}" \
	--alerts "$tmp/a3.json" --redis "redis://:wrong@127.0.0.1:$REDIS_PORT" \
	-o spool.dir="$tmp/spool3" --stats "$tmp/s3.json" 2>"$tmp/log3" || problem "run 3 failed"
grep -q "AUTH" "$tmp/log3" || problem "no AUTH error in the log: $(grep redis "$tmp/log3" | head -2)"
grep -m1 "redis" "$tmp/log3"
sp3=$(jq -r 'select(.final) | .redis.spool.records' "$tmp/s3.json")
[ "$sp3" = "$(wc -l <"$tmp/a3.json")" ] || problem "wrong password: $sp3 spooled, expected every alert"
[ "$(jq -r 'select(.final) | .flows.created' "$tmp/s3.json")" -gt 0 ] || problem "wrong password: no flows"
[ "$fail" -eq 0 ] && echo "PASS: restart delivers the spool; a full spool counts exactly; a wrong password spools"
exit "$fail"
