#!/usr/bin/env bash
# Several capture sockets at once (issue 7): two interfaces, and one
# interface read through a PACKET_FANOUT group.
#
#   host (root netns)                netns zwms<PID>
#   zwmh<PID> ── veth ─────────────  zwma<PID>  ┐
#   zwmi<PID> ── veth ─────────────  zwmb<PID>  ┴ <- zw-sensor -i zwma<PID> -i zwmb<PID>
#   ^ tcpreplay (the same capture into both, at the same time)
#
# The capture is a zw-mkbench mix of the nDPI test captures (20,000 packets,
# 2,000 flows); a replay of it (-r) gives the expected flow records.
#
# 1. Two interfaces, the same packets into both at 10,000 packets/s each:
#    every packet read, each interface's counters (stats capture.interfaces)
#    equal to what was sent into it, every drop counter 0; every flow record
#    and alert names its interface (in_iface); each interface's flow records
#    are those of the replay (the same flows with the same packet counts:
#    the interface is part of the flow key, so the copies seen on the other
#    interface are flows of their own, not merged); the alerts of the two
#    interfaces are the same and valid against doc/alert.schema.json.
# 2. capture.fanout=2 on one interface: two capture threads (zw-capture1
#    exists), every packet read once (the sockets' kernel counts add up to
#    what was sent), the flow records again those of the replay: the
#    kernel's fan-out hash keeps both directions of a flow on one socket, so
#    no flow is split in two.
#
# In the sanitizer build (make asan sets ZW_SANITIZED) the sends are at
# 2,000 packets/s instead of 10,000: the threads of several capture units
# run under ASan/UBSan too.  Needs root, `ip netns`, tcpreplay, jq,
# python3: otherwise exit 77 (skip).
set -u

. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.bash"

pps=10000
[ -z "${ZW_SANITIZED:-}" ] || pps=2000
zw_live_require
zw_need_jq
command -v python3 >/dev/null || skip "no python3"
mkbench=$BUILD/tools/zw-mkbench
[ -x "$mkbench" ] || skip "no $mkbench (run make)"

zw_live_harness zwms$$ zwmh$$ zw-multi
host_b=zwmi$$
if_a=zwma$$
if_b=zwmb$$

"$mkbench" -o "$tmp/send.pcap" -p 20000 -f 2000 -a 400 test-pcaps/ndpi/*.pcap \
	>"$tmp/mkbench.log" 2>&1 || fail "zw-mkbench: $(tail -3 "$tmp/mkbench.log")"
# Only whole frames the links can carry: the nDPI captures have a few larger
# than the MTU (tcpreplay could not send them) and some cut short by their
# snap length (sent as cut, so their wire length differs from the file's).
python3 - "$tmp/send.pcap" 9014 <<'PY' || fail "cannot filter the capture"
import struct, sys
path, limit = sys.argv[1], int(sys.argv[2])
data = open(path, 'rb').read()
end = '<' if data[:4] == b'\xd4\xc3\xb2\xa1' else '>'
out, off = [data[:24]], 24
while off + 16 <= len(data):
    incl, orig = struct.unpack(end + 'II', data[off + 8:off + 16])
    if incl <= limit and incl == orig:
        out.append(data[off:off + 16 + incl])
    off += 16 + incl
open(path, 'wb').write(b''.join(out))
PY
zw_netns_up "$ns" "$host_if" "$if_a" "$tmp/err"
# the second pair goes with the namespace (cleanup deletes it)
zw_veth_up "$ns" "$host_b" "$if_b" "$tmp/err"

# Per-interface flow summary: "src sport dst dport proto pkts bytes" sorted
# (both directions added up, the record's own orientation kept).
summary() {   # flows.json [iface] [unordered]
	jq -r --arg i "${2:-}" --arg u "${3:-}" 'select($i == "" or .in_iface == $i)
		| ["\(.src_ip) \(.src_port)", "\(.dest_ip) \(.dest_port)"] as $e
		| (if $u != "" then ($e | sort) else $e end)
		+ [.proto, (.flow.pkts_toserver + .flow.pkts_toclient),
		   (.flow.bytes_toserver + .flow.bytes_toclient)] | @tsv' "$1" | sort
}

# Expected: a replay of the same capture.  Long timeouts: a live run's
# flows must not end differently because tcpreplay compresses time.
common=(-w 2 -q -o flow.timeout.tcp=1h -o flow.timeout.udp=1h -o flow.timeout.icmp=1h
	-o flow.timeout.other=1h -o flow.timeout.tcp_closed=1h -o flow.active_timeout=0
	--rules signatures)
"$SENSOR" "${common[@]}" -r "$tmp/send.pcap" --flows "$tmp/replay.flows" \
	--alerts "$tmp/replay.alerts" 2>"$tmp/sensor.err" || fail "replay failed"
summary "$tmp/replay.flows" >"$tmp/replay.sum"
[ -s "$tmp/replay.sum" ] || fail "the replay wrote no flow records"

start_sensor() {   # options...
	rm -f "$tmp/stats.json" "$tmp/flows.json" "$tmp/alerts.json"
	ip netns exec "$ns" "$SENSOR" "${common[@]}" --flows "$tmp/flows.json" \
		--alerts "$tmp/alerts.json" --stats "$tmp/stats.json" "$@" \
		</dev/null >"$tmp/sensor.out" 2>"$tmp/sensor.err" &
	sensor_pid=$!
	if ! zw_wait_capture "$ns" "$sensor_pid"; then
		kill -0 "$sensor_pid" 2>/dev/null || fail "the sensor exited before capturing"
		fail "the sensor opened no packet socket within 15 s"
	fi
	sleep 1 # nDPI set-up, workers, every socket open
}

bad=0
check() {   # description, condition (evaluated by the shell)
	if eval "$2"; then
		echo "ok   $1"
	else
		echo "FAIL $1"
		bad=$((bad + 1))
	fi
}

cap() {   # jq path under .capture of the final statistics
	tail -n 1 "$tmp/stats.json" | jq -r ".capture$1"
}

# ---- 1. two interfaces, the same packets into both ($pps packets/s each)
start_sensor -i "$if_a" -i "$if_b"
timeout 120 tcpreplay -i "$host_if" --pps=$pps "$tmp/send.pcap" >"$tmp/a.out" 2>&1 &
pa=$!
timeout 120 tcpreplay -i "$host_b" --pps=$pps "$tmp/send.pcap" >"$tmp/b.out" 2>&1 &
pb=$!
wait "$pa" || fail "tcpreplay into $host_if: $(tail -3 "$tmp/a.out")"
wait "$pb" || fail "tcpreplay into $host_b: $(tail -3 "$tmp/b.out")"
sa=$(zw_tcpreplay_sent "$tmp/a.out")
sb=$(zw_tcpreplay_sent "$tmp/b.out")
[ -n "$sa" ] && [ -n "$sb" ] || fail "no 'Successful packets' line from tcpreplay"
sleep 2
zw_stop_sensor
check "two interfaces: all $((sa + sb)) packets read ($(cap .packets))" \
	'[ "$(cap .packets)" -eq $((sa + sb)) ]'
check "two interfaces: $if_a read $sa ($(cap ".interfaces.\"$if_a\".packets"))" \
	'[ "$(cap ".interfaces.\"$if_a\".packets")" -eq "$sa" ]'
check "two interfaces: $if_b read $sb ($(cap ".interfaces.\"$if_b\".packets"))" \
	'[ "$(cap ".interfaces.\"$if_b\".packets")" -eq "$sb" ]'
check "two interfaces: kernel, interface and queue drops all 0" \
	'[ "$(cap .kernel_drops)" -eq 0 ] && [ "$(cap .if_drops)" -eq 0 ] && [ "$(cap .queue_drops)" -eq 0 ]'
check "every flow record names $if_a or $if_b" \
	'[ "$(jq -r --arg a "$if_a" --arg b "$if_b" "select(.in_iface != \$a and .in_iface != \$b) | 1" "$tmp/flows.json" | wc -l)" -eq 0 ]'
for i in "$if_a" "$if_b"; do
	summary "$tmp/flows.json" "$i" >"$tmp/$i.sum"
	check "$i: its flow records are the replay's ($(wc -l <"$tmp/$i.sum") flows, replay $(wc -l <"$tmp/replay.sum"))" \
		'cmp -s "$tmp/replay.sum" "$tmp/$i.sum"'
done
# alerts: rule alerts per interface, the same on both, as many as the replay's
na=$(jq -r --arg i "$if_a" 'select(.event_type == "alert" and .in_iface == $i) | .alert.signature_id' "$tmp/alerts.json" | sort | tr '\n' ' ')
nb=$(jq -r --arg i "$if_b" 'select(.event_type == "alert" and .in_iface == $i) | .alert.signature_id' "$tmp/alerts.json" | sort | tr '\n' ' ')
nr=$(jq -r 'select(.event_type == "alert") | .alert.signature_id' "$tmp/replay.alerts" | sort | tr '\n' ' ')
check "rule alerts: some on each interface ($(wc -w <<<"$na"), $(wc -w <<<"$nb"))" '[ -n "$na" ] && [ -n "$nb" ]'
check "rule alerts: the same sids on both interfaces as in the replay" '[ "$na" = "$nr" ] && [ "$nb" = "$nr" ]'
check "every rule alert names its interface" \
	'[ "$(jq -r "select(.event_type == \"alert\" and (.in_iface | type) != \"string\") | 1" "$tmp/alerts.json" | wc -l)" -eq 0 ]'
# behaviour alerts name it when a packet raised them (this capture's DNS
# tunnel alerts); one raised by the detectors' timer would have none
nbeh=$(jq -r --arg a "$if_a" --arg b "$if_b" 'select(.event_type == "behaviour" and (.in_iface == $a or .in_iface == $b)) | 1' "$tmp/alerts.json" | wc -l)
check "behaviour alerts raised by a packet name its interface ($nbeh)" '[ "$nbeh" -gt 0 ]'
check "the alerts are valid against doc/alert.schema.json (version 4)" \
	'python3 tests/replay/validate_alerts.py doc/alert.schema.json "$tmp/alerts.json" >"$tmp/validate.out" 2>&1 || { cat "$tmp/validate.out"; false; }'
if grep -q '"in_iface"' "$tmp/replay.flows" "$tmp/replay.alerts"; then
	check "a replay's records and alerts have no in_iface" false
fi

# ---- 2. one interface, two sockets in a PACKET_FANOUT group
start_sensor -i "$if_a" -o capture.fanout=2
threads=$(cat /proc/"$sensor_pid"/task/*/comm 2>/dev/null | tr '\n' ' ')
timeout 120 tcpreplay -i "$host_if" --pps=$pps "$tmp/send.pcap" >"$tmp/a.out" 2>&1 ||
	fail "tcpreplay into $host_if: $(tail -3 "$tmp/a.out")"
sa=$(zw_tcpreplay_sent "$tmp/a.out")
sleep 2
zw_stop_sensor
check "fanout 2: two capture threads ($threads)" '[[ " $threads" == *" zw-capture1 "* ]]'
check "fanout 2: all $sa packets read once ($(cap .packets))" '[ "$(cap .packets)" -eq "$sa" ]'
check "fanout 2: the sockets' kernel counts add up to $sa ($(cap .kernel_received))" \
	'[ "$(cap .kernel_received)" -eq "$sa" ]'
check "fanout 2: kernel, interface and queue drops all 0" \
	'[ "$(cap .kernel_drops)" -eq 0 ] && [ "$(cap .if_drops)" -eq 0 ] && [ "$(cap .queue_drops)" -eq 0 ]'
# Compared without the flows' direction: the kernel hashes an IP fragment
# (the first one too) without ports, so a fragmented datagram may go
# through the other socket than the rest of its flow, and its worker may
# see it first: the flow then starts with it (doc/capture.md).
summary "$tmp/replay.flows" "" unordered >"$tmp/replay.usum"
summary "$tmp/flows.json" "" unordered >"$tmp/fanout.sum"
check "fanout 2: the flow records are the replay's, none split ($(wc -l <"$tmp/fanout.sum") flows)" \
	'cmp -s "$tmp/replay.usum" "$tmp/fanout.sum" || { diff "$tmp/replay.usum" "$tmp/fanout.sum" | head -5; false; }'

[ "$bad" -eq 0 ] || exit 1
echo "two interfaces and a fan-out group: every packet once, every flow whole"
