#!/usr/bin/env bash
# Live capture, counted to the packet (issue 7):
#
#   host (root netns)                     netns zwls<PID>
#   zwlh<PID>  ── veth ─────────────────  zwln<PID>  <- zw-sensor -i zwln<PID> -w 2
#   ^ tcpreplay
#
# 1. A modest rate (10,000 packets/s, 40,000 packets of a zw-mkbench capture
#    built from the nDPI test captures, 4,000 flows): the sensor's final
#    statistics must show every packet tcpreplay sent read (capture.packets),
#    the kernel's count (kernel_received) equal to it, and every drop
#    counter (kernel_drops, if_drops, queue_drops) exactly 0.
# 2. A tiny buffer (-B 1M, the smallest allowed): the sensor is stopped
#    (SIGSTOP) while tcpreplay sends the same packets at top speed, so the
#    kernel's ring overflows, then continued.  Then: kernel_drops > 0,
#    packets read + kernel_drops = sent = kernel_received, queue_drops 0.
#
# Kernel noise: see lib.bash (nothing but tcpreplay's frames on the link).
# Skipped in the sanitizer build (make asan sets ZW_SANITIZED): part 1
# asks a sanitized sensor to keep up with 10,000 packets/s on a CI machine.
# Needs root, `ip netns`, tcpreplay, jq: otherwise exit 77 (skip).
set -u

. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.bash"

[ -z "${ZW_SANITIZED:-}" ] || skip "not in the sanitizer build (see the header)"
zw_live_require
zw_need_jq
mkbench=$BUILD/tools/zw-mkbench
[ -x "$mkbench" ] || skip "no $mkbench (run make)"

zw_live_harness zwls$$ zwlh$$ zw-loss
ns_if=zwln$$

"$mkbench" -o "$tmp/send.pcap" -p 40000 -f 4000 -a 400 test-pcaps/ndpi/*.pcap \
	>"$tmp/mkbench.log" 2>&1 || fail "zw-mkbench: $(tail -3 "$tmp/mkbench.log")"
zw_netns_up "$ns" "$host_if" "$ns_if" "$tmp/err"

start_sensor() {   # extra options...
	rm -f "$tmp/stats.json"
	ip netns exec "$ns" "$SENSOR" -i "$ns_if" -w 2 -q --flows /dev/null \
		--stats "$tmp/stats.json" "$@" </dev/null >"$tmp/sensor.out" 2>"$tmp/sensor.err" &
	sensor_pid=$!
	if ! zw_wait_capture "$ns" "$sensor_pid"; then
		kill -0 "$sensor_pid" 2>/dev/null || fail "the sensor exited before capturing"
		fail "the sensor opened no packet socket within 15 s"
	fi
	sleep 1 # nDPI set-up, workers
}

send() {   # tcpreplay rate options; sets sent
	local st
	timeout 120 tcpreplay -i "$host_if" "$@" "$tmp/send.pcap" >"$tmp/tcpreplay.out" 2>&1
	st=$?
	[ "$st" -eq 0 ] || fail "tcpreplay $*: exit $st: $(cat "$tmp/tcpreplay.out")"
	sent=$(zw_tcpreplay_sent "$tmp/tcpreplay.out")
	[ -n "$sent" ] && [ "$sent" -gt 0 ] ||
		fail "tcpreplay $*: no 'Successful packets' line: $(cat "$tmp/tcpreplay.out")"
}

stop_sensor() {
	zw_stop_sensor
	# packets kernel_received kernel_drops if_drops queue_drops
	read -r got krecv kdrop ifdrop qdrop < <(tail -n 1 "$tmp/stats.json" | jq -r \
		'.capture | "\(.packets) \(.kernel_received) \(.kernel_drops) \(.if_drops) \(.queue_drops)"')
}

bad=0
check() {   # description, condition (evaluated by the shell)
	if eval "$2"; then
		echo "ok   $1"
	else
		echo "FAIL $1 (sent $sent: read $got, kernel_received $krecv, kernel_drops $kdrop, if_drops $ifdrop, queue_drops $qdrop)"
		bad=$((bad + 1))
	fi
}

# ---- 1. a modest rate: nothing lost, every drop counter 0
start_sensor
send --pps=10000
sleep 2 # the sensor reads what is left in its ring
stop_sensor
check "10,000 packets/s: all $sent packets read" '[ "$got" -eq "$sent" ]'
check "10,000 packets/s: the kernel saw as many" '[ "$krecv" -eq "$sent" ]'
check "10,000 packets/s: kernel, interface and queue drops all 0" \
	'[ "$kdrop" -eq 0 ] && [ "$ifdrop" -eq 0 ] && [ "$qdrop" -eq 0 ]'

# ---- 2. a tiny buffer that overflows: drops counted, none unaccounted
start_sensor -B 1M
kill -STOP "$sensor_pid"
send --topspeed
sleep 0.5
kill -CONT "$sensor_pid"
sleep 2
stop_sensor
check "1 MiB buffer, sensor stopped: the kernel dropped some ($kdrop)" '[ "$kdrop" -gt 0 ]'
check "1 MiB buffer: read + kernel drops = sent ($got + $kdrop = $sent)" \
	'[ $((got + kdrop)) -eq "$sent" ]'
check "1 MiB buffer: the kernel saw every packet sent" '[ "$krecv" -eq "$sent" ]'
check "1 MiB buffer: no queue drops" '[ "$qdrop" -eq 0 ]'

[ "$bad" -eq 0 ] || exit 1
echo "all packets accounted for"
