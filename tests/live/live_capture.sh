#!/usr/bin/env bash
# Live capture: zw-sensor -i on one end of a veth pair gives the same flows as
# an offline replay of the captures that tcpreplay sends into the other end.
#
#   host (root netns)                     netns zwns<PID>
#   zwh<PID>  ── veth ──────────────────  zwn<PID>  <- zw-sensor -i zwn<PID> -w 2
#   ^ tcpreplay --pps 2000
#
# Checks: the sensor starts and captures; after SIGTERM it exits 0 within 30 s;
# every flow of the offline replay (each capture alone, -r FILE -w 2) is in the
# live output with the same proto, endpoints, vlan, tunnel, app_proto and
# packet and byte counters; the final --stats line shows kernel_drops 0 and
# capture.packets >= the packets tcpreplay sent.
#
# Kernel noise: see lib.bash.  As a second guard, live flows that the
# offline replay does not have are listed but ignored.
#
# The captures were picked for this: Ethernet link type, no snaplen-truncated
# frames (tcpreplay can only send the captured bytes), no frame shorter than 60
# or longer than 1514 bytes, at most 12 s long (at --pps 2000 the gaps shrink,
# so a longer capture could be split by idle timeouts offline but not live).
# http.pcapng is pcapng (tcpreplay reads it through libpcap); hsrp0.pcap is
# 802.1Q-tagged (libpcap re-inserts the tag the veth moved out of the frame).
#
# Needs root, `ip netns` and tcpreplay: otherwise exit 77 (skip).
# Environment: BUILD (default build), ZW_SENSOR (default $BUILD/bin/zw-sensor).
set -u

. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.bash"

captures=(
	test-pcaps/ndpi/chrome.pcap
	test-pcaps/ndpi/http.pcapng
	test-pcaps/attacks/dnscat2.pcap
	test-pcaps/ndpi/hsrp0.pcap
)

zw_live_require
zw_need_jq

zw_live_harness zwns$$ zwh$$ zw-live
ns_if=zwn$$

for c in "${captures[@]}"; do
	[ -f "$c" ] || fail "capture $c is missing"
done

# ---------------------------------------------------------------- offline
for c in "${captures[@]}"; do
	timeout 60 "$SENSOR" -r "$c" --flows "$tmp/one.json" -w 2 </dev/null >/dev/null 2>"$tmp/err"
	st=$?
	[ "$st" -eq 0 ] || fail "offline replay of $c: exit $st: $(head -c 300 "$tmp/err")"
	cat "$tmp/one.json" >>"$tmp/offline.json"
done

# ---------------------------------------------------------------- network
zw_netns_up "$ns" "$host_if" "$ns_if" "$tmp/err"

# ---------------------------------------------------------------- sensor
# `ip netns exec` execs the sensor, so $! is the sensor's pid.
ip netns exec "$ns" "$SENSOR" -i "$ns_if" --flows "$tmp/live.json" \
	--stats "$tmp/stats.json" -w 2 </dev/null >"$tmp/sensor.out" 2>"$tmp/sensor.err" &
sensor_pid=$!

if ! zw_wait_capture "$ns" "$sensor_pid"; then
	kill -0 "$sensor_pid" 2>/dev/null || { wait "$sensor_pid"; st=$?; sensor_pid=; fail "the sensor exited with status $st before capturing"; }
	fail "the sensor opened no packet socket within 15 s"
fi
sleep 1 # let it finish starting (nDPI set-up, workers); frames queue meanwhile

# ---------------------------------------------------------------- replay
sent=0
for c in "${captures[@]}"; do
	out=$(timeout 60 tcpreplay -i "$host_if" --pps 2000 "$c" 2>&1)
	st=$?
	[ "$st" -eq 0 ] || fail "tcpreplay $c: exit $st: $out"
	n=$(printf '%s\n' "$out" | sed -n 's/^Actual: \([0-9]*\) packets.*/\1/p')
	nf=$(printf '%s\n' "$out" | sed -n 's/.*Failed packets: *\([0-9]*\).*/\1/p')
	[ -n "$n" ] || fail "tcpreplay $c: no 'Actual: N packets' line: $out"
	[ "${nf:-0}" -eq 0 ] || fail "tcpreplay $c: $nf packets failed to send"
	echo "sent $n packets from $c"
	sent=$((sent + n))
done
sleep 2 # the sensor reads what is left in its ring buffer

# ---------------------------------------------------------------- stop
kill -TERM "$sensor_pid" 2>/dev/null
stopped=0
for _ in $(seq 1 300); do
	kill -0 "$sensor_pid" 2>/dev/null || { stopped=1; break; }
	sleep 0.1
done
if [ "$stopped" -ne 1 ]; then
	fail "the sensor was still running 30 s after SIGTERM"
fi
wait "$sensor_pid"
st=$?
sensor_pid=
if [ "$st" -ne 0 ]; then
	fail "the sensor exited with status $st after SIGTERM (want 0)"
fi
if grep -q -E 'Sanitizer|runtime error:' "$tmp/sensor.err"; then
	fail "sanitizer report from the live sensor"
fi

# ---------------------------------------------------------------- compare
problems=0
project() {
	jq -c 'select(.event_type == "flow") | [.proto, .src_ip, .src_port, .dest_ip,
		.dest_port, .vlan, .tunnel, .app_proto, .flow.pkts_toserver,
		.flow.pkts_toclient, .flow.bytes_toserver, .flow.bytes_toclient]' "$1" |
		LC_ALL=C sort
}
project "$tmp/offline.json" >"$tmp/offline.p" || fail "offline flow output is not JSON lines"
[ -f "$tmp/live.json" ] || fail "the sensor wrote no $tmp/live.json"
project "$tmp/live.json" >"$tmp/live.p" || fail "live flow output is not JSON lines"
n_off=$(wc -l <"$tmp/offline.p")
n_live=$(wc -l <"$tmp/live.p")
[ "$n_off" -gt 0 ] || fail "the offline replay gave no flow records"
LC_ALL=C comm -23 "$tmp/offline.p" "$tmp/live.p" >"$tmp/only_offline"
LC_ALL=C comm -13 "$tmp/offline.p" "$tmp/live.p" >"$tmp/only_live"
echo "flows: $n_off offline, $n_live live"
echo "fields: [proto, src_ip, src_port, dest_ip, dest_port, vlan, tunnel, app_proto, pkts_toserver, pkts_toclient, bytes_toserver, bytes_toclient]"
if [ -s "$tmp/only_offline" ]; then
	problems=1
	echo "FAIL: $(wc -l <"$tmp/only_offline") offline flows missing or different live:"
	sed -n '1,20p' "$tmp/only_offline" | sed 's/^/  offline: /'
	echo "live flows not in the offline set:"
	sed -n '1,20p' "$tmp/only_live" | sed 's/^/  live:    /'
elif [ -s "$tmp/only_live" ]; then
	echo "ignored: $(wc -l <"$tmp/only_live") live flows that are not in the captures (kernel traffic?):"
	sed -n '1,10p' "$tmp/only_live" | sed 's/^/  live:    /'
fi

[ -s "$tmp/stats.json" ] || fail "the sensor wrote no stats to $tmp/stats.json"
final=$(grep . "$tmp/stats.json" | tail -n 1)
recv=$(printf '%s\n' "$final" | jq -r '.capture.packets // empty' 2>/dev/null)
kdrop=$(printf '%s\n' "$final" | jq -r '.capture.kernel_drops // empty' 2>/dev/null)
echo "final stats: capture.packets=${recv:-?} kernel_drops=${kdrop:-?} (sent $sent)"
case $recv in '' | *[!0-9]*) fail "final stats line has no numeric capture.packets: $final" ;; esac
case $kdrop in '' | *[!0-9]*) fail "final stats line has no numeric capture.kernel_drops: $final" ;; esac
if [ "$kdrop" -ne 0 ]; then
	echo "FAIL: $kdrop kernel drops"
	problems=1
fi
if [ "$recv" -lt "$sent" ]; then
	echo "FAIL: received $recv packets, fewer than the $sent sent"
	problems=1
fi

[ "$problems" -eq 0 ] || exit 1
echo "PASS: live flows equal the offline replay; no kernel drops"
exit 0
