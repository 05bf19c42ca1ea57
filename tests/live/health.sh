#!/usr/bin/env bash
# Health alerts (可用性) of a live sensor, through the same path as rule
# alerts: zw-sensor -i on one end of a veth pair in a network namespace,
# Redis on a unix socket (reachable from the namespace), short thresholds.
#
#   1. no packet for 2 s            -> capture_stopped raised (9002)
#      packets again                -> capture_stopped cleared
#   2. sensor SIGSTOPped while 3.5 MB are sent into a 1 MiB ring (kernel
#      drops), SIGCONT              -> capture_drops raised (9001), cleared
#                                      after a quiet window
#   3. Redis kill -9, 3 s           -> redis_unreachable raised (9004)
#      1400 alerts into a 64 KiB spool -> spool_high raised (9003), most
#                                      alerts dropped
#      Redis back                   -> redis_unreachable cleared, spool
#                                      delivered, spool_high cleared,
#                                      alerts_lost (9005) with the count
#   4. the veth is deleted          -> capture_stopped raised with the
#                                      capture error; the sensor exits and
#                                      delivers on its way out
# Checks: every health line fits the alert schema; each expected health
# alert is in the --alerts file; the stream holds the file's alerts except
# exactly as many as the alerts_lost alert reports (and the stats count),
# none twice.
#
# Needs root, `ip netns`, tcpreplay, redis-server: otherwise exit 77 (skip).
set -u

. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.bash"
zw_live_require
zw_need_jq

ns=zwhs$$
host_if=zwhh$$
ns_if=zwhn$$
sensor_pid=
tmp=$(mktemp -d "${TMPDIR:-/tmp}/zw-health.XXXXXX") || exit 1
. "$(dirname "$0")/../redis/lib.bash"   # its EXIT trap is replaced below

cleanup() {
	if [ -n "$sensor_pid" ] && kill -0 "$sensor_pid" 2>/dev/null; then
		kill -CONT "$sensor_pid" 2>/dev/null
		kill -KILL "$sensor_pid" 2>/dev/null
		wait "$sensor_pid" 2>/dev/null
	fi
	zw_redis_stop
	zw_netns_down "$ns" "$host_if"
	[ -n "${ZW_KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

fail=0
problem() { echo "FAIL: $*"; fail=1; }
fatal() {
	echo "FAIL: $*"
	[ -s "$tmp/sensor.err" ] && { echo "----- sensor stderr (last 20 lines)"; tail -n 20 "$tmp/sensor.err"; }
	exit 1
}
send() {   # tcpreplay options... captures...
	timeout 120 tcpreplay -q -i "$host_if" "$@" >"$tmp/tcpreplay.out" 2>&1 ||
		fatal "tcpreplay $*: $(tail -3 "$tmp/tcpreplay.out")"
}
# wait_health COND STATE [SECONDS]: until the --alerts file has it
wait_health() {
	local t=${3:-15}
	for _ in $(seq $((t * 10))); do
		jq -e -s --arg c "$1" --arg s "$2" \
			'any(.[]; .event_type == "health" and .health.condition == $c and .health.state == $s)' \
			"$tmp/alerts.json" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	problem "no $1 $2 health alert within ${t}s"
	return 1
}

zw_netns_up "$ns" "$host_if" "$ns_if" "$tmp/err"
zw_redis_start --unixsocket "$tmp/redis.sock" --unixsocketperm 700
ip netns exec "$ns" "$SENSOR" -i "$ns_if" -w 2 --sensor-id health-1 --rules tests/redis/rules \
	--alerts "$tmp/alerts.json" --stats "$tmp/stats.json" --redis "unix://$tmp/redis.sock" \
	-o capture.buffer_size=1M -o spool.dir="$tmp/spool" -o spool.max_size=64k \
	-o spool.segment_size=16k -o redis.connect_timeout_ms=200 -o redis.command_timeout_ms=300 \
	-o redis.heartbeat_interval=1s -o redis.heartbeat_ttl=5s \
	-o health.capture_idle=2s -o health.drop_window=1s -o health.drop_min=10 \
	-o health.drop_rate=1% -o health.redis_down=2s -o health.spool_threshold=50% \
	</dev/null >"$tmp/sensor.out" 2>"$tmp/sensor.err" &
sensor_pid=$!
zw_wait_capture "$ns" "$sensor_pid" || fatal "the sensor did not start capturing"
touch "$tmp/alerts.json"

echo "-- 1. idle capture, then packets"
wait_health capture_stopped raised
send --pps 2000 test-pcaps/ndpi/chrome.pcap
wait_health capture_stopped cleared

echo "-- 2. kernel drops (sensor stopped while 3.5 MB arrive)"
kill -STOP "$sensor_pid"
send --topspeed test-pcaps/attacks/ftp-crack.pcap test-pcaps/ndpi/gnutella.pcap \
	test-pcaps/ndpi/vnc.pcap test-pcaps/ndpi/ipsec_isakmp_esp.pcap test-pcaps/ndpi/forticlient.pcap
kill -CONT "$sensor_pid"
wait_health capture_drops raised
wait_health capture_drops cleared

echo "-- 3. Redis down, the spool overflows, Redis back"
zw_redis_stop
wait_health redis_unreachable raised
send --pps 4000 test-pcaps/attacks/ftp-crack.pcap
wait_health spool_high raised 30
sleep 2
zw_redis_start
wait_health redis_unreachable cleared 20
wait_health alerts_lost raised 30
wait_health spool_high cleared 20

echo "-- 4. the interface disappears"
ip link del "$host_if"
for _ in $(seq 300); do
	kill -0 "$sensor_pid" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$sensor_pid" 2>/dev/null && fatal "the sensor still runs 30 s after its interface was deleted"
wait "$sensor_pid"
st=$?
sensor_pid=
grep -E 'error' "$tmp/sensor.err" | head -3
[ "$st" -eq 1 ] || problem "the sensor exited with status $st after a capture error (want 1)"
jq -e -s 'any(.[]; .health.condition == "capture_stopped" and (.health.detail // "" | startswith("the capture failed")))' \
	"$tmp/alerts.json" >/dev/null || problem "no capture_stopped alert naming the capture error"
grep -q -E 'Sanitizer|runtime error:' "$tmp/sensor.err" && problem "sanitizer report from the sensor"
grep -q 'warning: health: capture_drops (sid 9001): ' "$tmp/sensor.err" || problem "no log line for the capture_drops alert"
grep -q 'info: health: redis_unreachable cleared (sid 9004)' "$tmp/sensor.err" || problem "no log line for the cleared redis_unreachable"

echo "-- checks"
jq -c 'select(.event_type == "health") | [.alert.signature_id, .health.condition, .health.state,
	.health.value, .health.count, .health.detail]' "$tmp/alerts.json"
jq -c 'select(.event_type == "health")' "$tmp/alerts.json" >"$tmp/health.json"
python3 tests/replay/validate_alerts.py doc/alert.schema.json "$tmp/health.json" ||
	problem "health alerts fail the schema"

zw_stream_entries zw:alerts >"$tmp/entries" || problem "XRANGE zw:alerts failed"
jq -r '.alert_id' "$tmp/entries" | sort >"$tmp/stream-ids"
jq -r '.alert_id' "$tmp/alerts.json" | sort >"$tmp/file-ids"
dups=$(uniq -d "$tmp/stream-ids" | wc -l)
[ "$dups" -eq 0 ] || problem "$dups alert ids are in the stream more than once"
extra=$(comm -13 "$tmp/file-ids" "$tmp/stream-ids" | wc -l)
[ "$extra" -eq 0 ] || problem "$extra alerts in the stream are not in the --alerts file"
missing=$(comm -23 "$tmp/file-ids" "$tmp/stream-ids" | wc -l)
reported=$(jq -s '[.[] | select(.health.condition == "alerts_lost") | .health.count] | add // 0' "$tmp/alerts.json")
final=$(jq -c 'select(.final) | .redis' "$tmp/stats.json")
counted=$(jq -r '.spool_dropped + .queue_dropped' <<<"$final")
echo "file: $(wc -l <"$tmp/file-ids") alerts; stream: $(wc -l <"$tmp/stream-ids"); missing from the stream: $missing; reported lost: $reported; counted (stats): $counted"
[ "$missing" -gt 0 ] || problem "no alert was lost: the spool no longer overflows"
[ "$missing" -eq "$reported" ] || problem "$missing alerts are missing from the stream, the alerts_lost alerts report $reported"
[ "$missing" -eq "$counted" ] || problem "$missing alerts are missing from the stream, the stats count $counted"
[ "$fail" -eq 0 ] && echo "PASS: capture idle/drops/failure, Redis down, spool high and lost alerts raised and cleared through the alert path; losses exact"
exit "$fail"
