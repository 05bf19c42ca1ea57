#!/usr/bin/env bash
# Behavioural detectors on live traffic from real tools.  Two network
# namespaces joined by a veth pair: "inside" (10.99.7.1, the internet zone
# in the sensor's config) and "target" (10.99.7.2, outside); zw-sensor -i
# captures on the target's end.  From the inside host, in turn:
#
#   1. nmap -sS on 300 ports of the target        -> port_scan syn   (9101)
#   2. nmap -sU on 60 ports of the target         -> port_scan udp   (9101)
#   3. hping3 SYN flood with random sources, 3 s  -> syn_flood many_sources (9111)
#   4. a shell loop of curl to the target's web server every 1.2 s with up
#      to +-5 % jitter, 14 times                     -> beacon tcp      (9121)
#
# (the beacon's minimum period is lowered to 1 s; everything else is at its
# default).  Checks: exactly these four behaviour alerts, with the right
# source, target and port, nothing else; each valid against the schema; the
# statistics count the flood's sources as evicted or held detector state.
#
# Needs root, `ip netns`, nmap, hping3, curl, python3: otherwise exit 77.
# Skipped in the sanitizer build (make asan sets ZW_SANITIZED): it checks
# what the detectors make of real tools' traffic, which the plain build
# shows as well, and most of its 40 s are the tools' own time.
set -u

. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.bash"
zw_live_require
zw_need_jq
[ -z "${ZW_SANITIZED:-}" ] || skip "not in the sanitizer build (see the header)"
for t in nmap hping3 curl python3; do
	command -v "$t" >/dev/null || skip "no $t (install nmap hping3 curl python3)"
done

nsa=zwda$$
nsb=zwdb$$
a_if=zwa$$
b_if=zwb$$
sensor_pid=
web_pid=
tmp=$(mktemp -d "${TMPDIR:-/tmp}/zw-detect-live.XXXXXX") || exit 1

cleanup() {
	for p in $sensor_pid $web_pid; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	ip netns del "$nsa" 2>/dev/null
	ip netns del "$nsb" 2>/dev/null
	[ -n "${ZW_KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

fatal() {
	echo "FAIL: $*"
	[ -s "$tmp/sensor.err" ] && { echo "----- sensor stderr (last 20 lines)"; tail -n 20 "$tmp/sensor.err"; }
	exit 1
}

ip netns add "$nsa" 2>"$tmp/err" || skip "cannot create a network namespace: $(cat "$tmp/err")"
ip netns add "$nsb" 2>"$tmp/err" || skip "cannot create a network namespace: $(cat "$tmp/err")"
ip netns exec "$nsa" true 2>"$tmp/err" || skip "cannot run in a network namespace: $(cat "$tmp/err")"
ip link add "$a_if" netns "$nsa" type veth peer name "$b_if" netns "$nsb" 2>"$tmp/err" ||
	skip "cannot create a veth pair: $(cat "$tmp/err")"
for side in "$nsa $a_if 10.99.7.1" "$nsb $b_if 10.99.7.2"; do
	set -- $side
	ip netns exec "$1" sh -c "echo 1 >/proc/sys/net/ipv6/conf/$2/disable_ipv6" 2>/dev/null
	ip netns exec "$1" ip addr add "$3/24" dev "$2" || fatal "cannot address $2"
	ip netns exec "$1" ip link set "$2" up || fatal "cannot bring $2 up"
	ip netns exec "$1" ip link set lo up
done

cat >"$tmp/detect.conf" <<'EOF'
sensor.id = live-detect
zone.internet.networks = 10.99.7.1/32
detect.beacon.min_period = 1
EOF

ip netns exec "$nsb" "$SENSOR" -i "$b_if" -w 2 -c "$tmp/detect.conf" --alerts "$tmp/alerts.json" \
	--flows /dev/null --stats "$tmp/stats.json" -q </dev/null 2>"$tmp/sensor.err" &
sensor_pid=$!
zw_wait_capture "$nsb" "$sensor_pid" || fatal "the sensor did not start capturing"
ip netns exec "$nsb" python3 -m http.server 8080 --bind 10.99.7.2 >/dev/null 2>&1 &
web_pid=$!
for _ in $(seq 1 50); do
	ip netns exec "$nsa" curl -s -o /dev/null -m 1 http://10.99.7.2:8080/ 2>/dev/null && break
	sleep 0.1
done
# that probe was one connection; let its time pass out of the beacon's way
sleep 2

echo "1. nmap SYN scan"
ip netns exec "$nsa" nmap -n -Pn -sS -p 1-300 --max-retries 0 -T4 10.99.7.2 >"$tmp/nmap-s.out" 2>&1 ||
	fatal "nmap -sS failed: $(tail -3 "$tmp/nmap-s.out")"
echo "2. nmap UDP scan"
ip netns exec "$nsa" nmap -n -Pn -sU -p 1-60 --max-retries 0 -T5 10.99.7.2 >"$tmp/nmap-u.out" 2>&1 ||
	fatal "nmap -sU failed: $(tail -3 "$tmp/nmap-u.out")"
sleep 6     # unanswered UDP probes fail after detect.scan.attempt_timeout (5 s)
echo "3. hping3 SYN flood from random sources, 3 s"
ip netns exec "$nsa" timeout -s INT 3 hping3 -S -p 80 --flood --rand-source 10.99.7.2 \
	>"$tmp/hping.out" 2>&1
sleep 1
echo "4. a curl beacon, every 1.2 s +-5 %"
for i in $(seq 1 14); do
	ip netns exec "$nsa" curl -s -o /dev/null -m 1 http://10.99.7.2:8080/ ||
		fatal "curl $i to the web server failed"
	# 1.14 .. 1.26 s, less the curl's own few milliseconds
	sleep "1.$((130 + RANDOM % 120))"
done
sleep 2
kill -TERM "$sensor_pid"
wait "$sensor_pid"
rc=$?
sensor_pid=
[ "$rc" -eq 0 ] || fatal "zw-sensor exited with $rc"

cat >"$tmp/want" <<'EOF'
9101 port_scan syn 10.99.7.1 10.99.7.2 -
9101 port_scan udp 10.99.7.1 10.99.7.2 -
9111 syn_flood many_sources - 10.99.7.2 -
9121 beacon tcp 10.99.7.1 10.99.7.2 8080
EOF
jq -r 'select(.event_type == "behaviour") |
	[.alert.signature_id, .behaviour.detector, .behaviour.kind,
	 (.src_ip // "-"), (.dest_ip // "-"), (.dest_port // "-" | tostring)] | join(" ")' \
	"$tmp/alerts.json" | sort >"$tmp/got"
bad=0
if ! cmp -s "$tmp/want" "$tmp/got"; then
	echo "FAIL: behaviour alerts differ (< expected, > got):"
	diff "$tmp/want" "$tmp/got" | grep '^[<>]'
	jq -c 'select(.event_type == "behaviour") | .behaviour.detail' "$tmp/alerts.json"
	bad=1
else
	jq -r 'select(.event_type == "behaviour") | "ok   \(.behaviour.detector): \(.behaviour.detail)"' \
		"$tmp/alerts.json"
fi
grep '"behaviour"' "$tmp/alerts.json" >"$tmp/beh.json"
python3 tests/replay/validate_alerts.py doc/alert.schema.json "$tmp/beh.json" >"$tmp/val" 2>&1 ||
	{ echo "FAIL: behaviour alerts do not validate:"; head -5 "$tmp/val"; bad=1; }
# the flood's random sources went through the scan tables: counted
tail -n 1 "$tmp/stats.json" | jq -e '.detect.scan.entries + .detect.scan.evicted + .detect.scan.expired > 1000' \
	>/dev/null || { echo "FAIL: the flood's sources are not in the detector statistics"; bad=1; }
echo "detector state: $(tail -n 1 "$tmp/stats.json" | jq -c '.detect | {entries, evicted, expired, memory}')"
[ "$bad" -eq 0 ] || exit 1
echo "all four behaviours detected, nothing else"
