#!/usr/bin/env bash
# Latency from packet to Redis stream entry, live (make bench-live; also run
# by tests/bench/bench-redis.sh):  BUILD=build tests/bench/bench-live.sh
#
#   host (root netns)                   netns zwlat<PID>
#   zwlh<PID>  ── veth ────────────────  zwln<PID>  <- zw-sensor -i zwln<PID> -w 2
#   ^ tcpreplay --pps RATE                           --redis redis://127.0.0.1:6379
#                                        redis-server 127.0.0.1:6379 (netns lo)
#
# zw-sensor captures live with tests/redis/rules/every-flow.rules (an alert
# for every TCP/UDP flow) and sends the alerts to a private redis-server in
# the same network namespace (appendonly no, no snapshots), over TCP on its
# loopback.  For every stream entry, latency = the entry id's milliseconds
# (Redis's clock at XADD) minus the alert's "timestamp" (packet time: live,
# the kernel's capture time of the packet; the same clock, one machine).
# Printed: p50/p90/p99/max in ms of the alerts with trigger "classified"
# (their timestamp is the packet with which nDPI classified the flow), and
# separately of all alerts ("end" alerts are stamped with the flow's end,
# e.g. its idle deadline, not with a packet).
#
# The capture: zw-mkbench from the nDPI test captures, ZW_LAT_PACKETS
# packets (20,000) in ZW_LAT_FLOWS flows (2,000), about 100 in progress at a
# time, cached in ZW_BENCH_DIR; replayed at ZW_LAT_PPS packets/s (2,000).
# Flow timeouts are short (2 s idle, 1 s after FIN/RST) so that flows also
# end while the replay runs.
#
# A benchmark: no target, exit 0 when it measured.  Exit 77 (skip) without
# root, `ip netns`, tcpreplay or redis-server; 1 when something failed.
set -u

. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/latency.bash"

dir=${ZW_BENCH_DIR:-/tmp/zw-bench}
packets=${ZW_LAT_PACKETS:-20000}
flows=${ZW_LAT_FLOWS:-2000}
pps=${ZW_LAT_PPS:-2000}
mkbench=$BUILD/tools/zw-mkbench

skip() { echo "bench-live: SKIP: $*"; exit 77; }
die() { echo "bench-live: $*" >&2; exit 1; }
. "$(dirname "$0")/../live/lib.bash"
for v in packets flows pps; do
	case ${!v} in '' | *[!0-9]* | 0) die "ZW_LAT_${v^^}: '${!v}' is not a positive integer" ;; esac
done
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespace, veth, packet capture)"
command -v ip >/dev/null && ip netns list >/dev/null 2>&1 || skip "no 'ip netns' (apt-get install iproute2)"
command -v tcpreplay >/dev/null || skip "no tcpreplay (apt-get install tcpreplay)"
command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
	skip "no redis-server / redis-cli (apt-get install redis-server redis-tools)"
command -v jq >/dev/null || die "jq is not installed (apt-get install jq)"
[ -x "$SENSOR" ] || die "no sensor binary at $SENSOR (run make)"
[ -x "$mkbench" ] || die "$mkbench not built: run make"
mkdir -p "$dir" || die "cannot create $dir"
# One bench at a time per cache dir; bench-redis.sh, which runs this one,
# holds the lock already and says so.
if [ -z "${ZW_BENCH_LOCKED:-}" ]; then
	exec 9>"$dir/lock"
	flock -n 9 || { echo "bench-live: waiting for another bench using $dir" >&2; flock 9; }
fi

ns=zwlat$$
host_if=zwlh$$
ns_if=zwln$$
sensor_pid=
redis_pid=
tmp=$(mktemp -d "${TMPDIR:-/tmp}/zw-bench-live.XXXXXX") || exit 1

cleanup() {
	local p
	for p in $sensor_pid $redis_pid; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	zw_netns_down "$ns" "$host_if"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

nsx() { ip netns exec "$ns" "$@"; }
rcli() { nsx redis-cli -p 6379 "$@"; }

# ---- the capture (cached) ----
inputs=()
for d in test-pcaps/ndpi ../shared/test-pcaps/ndpi /work/shared/test-pcaps/ndpi; do
	[ -d "$d" ] || continue
	mapfile -t inputs < <(find "$d" -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' \) | LC_ALL=C sort)
	[ ${#inputs[@]} -gt 0 ] && break
done
[ ${#inputs[@]} -gt 0 ] || die "no input captures in test-pcaps/ndpi"
pcap=$dir/latency-$packets-$flows.pcap
if [ ! -s "$pcap" ]; then
	"$mkbench" -o "$pcap.tmp" -p "$packets" -f "$flows" -a 100 -r "$pps" -s 1 "${inputs[@]}" \
		>"$tmp/mkbench.out" 2>&1 || { cat "$tmp/mkbench.out" >&2; die "zw-mkbench failed"; }
	mv "$pcap.tmp" "$pcap" || die "cannot store $pcap"
fi

# ---- network: a veth pair, its far end and Redis in a namespace ----
# no IPv6 and no IPv4 address on the veth: only tcpreplay's frames on the
# link; MTU 65535: the few captured frames above 9000 bytes go through too
zw_netns_up "$ns" "$host_if" "$ns_if" "$tmp/err" 65535
nsx ip link set lo up || die "cannot bring lo up in $ns"

# `ip netns exec` execs its command: $! is the server's (and below the
# sensor's) pid; a shell function here would put a subshell in between
ip netns exec "$ns" redis-server --port 6379 --bind 127.0.0.1 --dir "$tmp" --save "" --appendonly no \
	--daemonize no >"$tmp/redis.log" 2>&1 </dev/null &
redis_pid=$!
for _ in $(seq 100); do
	rcli ping 2>/dev/null | grep -q PONG && break
	sleep 0.05
done
rcli ping 2>/dev/null | grep -q PONG || die "redis-server did not start: $(tail -3 "$tmp/redis.log")"

# ---- the sensor ----
ip netns exec "$ns" "$SENSOR" -i "$ns_if" -w 2 --sensor-id lat-1 --rules tests/redis/rules \
	--redis redis://127.0.0.1:6379 -o spool.dir="$tmp/spool" \
	-o flow.timeout.tcp=2s -o flow.timeout.udp=2s -o flow.timeout.icmp=2s \
	-o flow.timeout.other=2s -o flow.timeout.tcp_closed=1s \
	--stats "$tmp/stats.json" </dev/null >"$tmp/sensor.out" 2>"$tmp/sensor.err" &
sensor_pid=$!
zw_wait_capture "$ns" "$sensor_pid" ||
	die "the sensor did not start capturing within 15 s: $(tail -5 "$tmp/sensor.err")"
sleep 1

# ---- replay, then stop ----
echo "bench-live: replaying $pcap at $pps packets/s into $host_if (the sensor captures in $ns)"
out=$(tcpreplay -i "$host_if" --pps "$pps" "$pcap" 2>&1) || die "tcpreplay failed: $out"
sent=$(printf '%s\n' "$out" | sed -n 's/^Actual: \([0-9]*\) packets.*/\1/p')
failed=$(printf '%s\n' "$out" | sed -n 's/.*Failed packets: *\([0-9]*\).*/\1/p')
sleep 5 # the last flows time out (2 s) and their alerts are released
kill -TERM "$sensor_pid"
for _ in $(seq 300); do
	kill -0 "$sensor_pid" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$sensor_pid" 2>/dev/null && die "the sensor was still running 30 s after SIGTERM"
wait "$sensor_pid" || die "the sensor exited with status $? after SIGTERM: $(tail -5 "$tmp/sensor.err")"
sensor_pid=

# ---- latencies ----
final=$(grep . "$tmp/stats.json" | tail -n 1)
written=$(jq -r '.alerts.written' <<<"$final")
rsent=$(jq -r '.redis.sent' <<<"$final")
dropped=$(jq -r '.redis.queue_dropped + .redis.spool_dropped' <<<"$final")
kdrops=$(jq -r '.capture.kernel_drops' <<<"$final")
xlen=$(rcli XLEN zw:alerts)
[ "$xlen" = "$rsent" ] || die "XLEN zw:alerts is $xlen, the sensor says it sent $rsent"
[ "${written:-0}" -gt 0 ] || die "no alerts (see $tmp/sensor.err)"
zw_latencies rcli >"$tmp/lat" || die "cannot read the stream back"
echo "bench-live: sent $sent packets (${failed:-0} failed), kernel drops $kdrops; $written alerts," \
	"$rsent in the stream (XLEN $xlen), $dropped dropped on the way"
printf '%-34s %7s %9s %9s %9s %9s\n' "packet -> stream entry, ms" alerts p50 p90 p99 max
read -r n p50 p90 p99 max < <(zw_pctl "$tmp/lat" '^classified$')
printf '%-34s %7s %9s %9s %9s %9s\n' "trigger classified (packet time)" "$n" "$p50" "$p90" "$p99" "$max"
read -r n p50 p90 p99 max < <(zw_pctl "$tmp/lat" '.')
printf '%-34s %7s %9s %9s %9s %9s\n' "all alerts (incl. end of flow)" "$n" "$p50" "$p90" "$p99" "$max"
echo "(live capture on a veth pair at $pps packets/s, zw-sensor -w 2, redis-server appendonly no on the"
echo " namespace's loopback; most of the delay is the alert queue's ordering: an alert is written only"
echo " when every worker's clock has passed its time, less 2 s (doc/alerts.md#order), not Redis)"
exit 0
