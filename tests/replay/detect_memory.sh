#!/usr/bin/env bash
# The detectors' memory cap against a spoofed-source flood: 1,000,000 TCP
# SYNs from random source addresses to one host (tests/replay/spoofed_syns.py,
# a fixed seed), replayed with detect.memory = 16M and with the detectors off.
# Checks:
#   - the detectors' reserved state (stats "detect.memory") is within 16 MiB,
#     and the sensor's peak RSS grows by no more than that (+1 MiB) over the
#     run without detectors;
#   - the sources that did not fit were evicted and counted (at least 900,000
#     evictions);
#   - the flood is still seen: exactly one behaviour alert, syn_flood with
#     many sources against 10.20.30.40.
# Exit: 0 pass, 1 fail, 77 skip (no sensor binary).
set -u

. "$(dirname "$0")/../lib.sh"
zw_need_sensor
zw_need_jq
zw_tmpdir detect-memory

cap_bytes=$((16 * 1024 * 1024))
python3 tests/replay/spoofed_syns.py "$tmp/spoofed.pcap" 1000000 || { echo "FAIL: cannot write the capture"; exit 1; }

# peak RSS in KiB of one run
peak() {
	python3 -c '
import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL)
print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
}
run() {   # name detect-option
	peak "$SENSOR" -q -w 2 -o flow.max_flows=50000 -o "$2" -r "$tmp/spoofed.pcap" \
		--alerts "$tmp/$1.json" --flows /dev/null --stats "$tmp/$1.stats" 2>"$tmp/$1.err"
}
bad=0
read -r rc_off rss_off < <(run off detect.enabled=no)
read -r rc_on rss_on < <(run on detect.memory=16M)
[ "$rc_off" = 0 ] && [ "$rc_on" = 0 ] || { echo "FAIL: zw-sensor exited $rc_off / $rc_on: $(head -c 300 "$tmp/on.err")"; exit 1; }
stats=$(tail -n 1 "$tmp/on.stats" | jq -c '.detect')
echo "detectors on (16M): peak RSS $rss_on KiB; off: $rss_off KiB; state $stats"
mem=$(jq -r '.memory' <<<"$stats")
evicted=$(jq -r '.evicted' <<<"$stats")
[ "$mem" -le "$cap_bytes" ] || { echo "FAIL: detector state $mem bytes > 16 MiB"; bad=1; }
[ $(( (rss_on - rss_off) * 1024 )) -le $((cap_bytes + 1024 * 1024)) ] ||
	{ echo "FAIL: peak RSS grew by $((rss_on - rss_off)) KiB, more than the 16 MiB cap"; bad=1; }
[ "$evicted" -ge 900000 ] || { echo "FAIL: only $evicted evictions for 1,000,000 sources"; bad=1; }
got=$(jq -r 'select(.event_type == "behaviour") | [.behaviour.detector, .behaviour.kind, (.src_ip // "-"), .dest_ip] | join(" ")' "$tmp/on.json")
[ "$got" = "syn_flood many_sources - 10.20.30.40" ] ||
	{ echo "FAIL: expected one syn_flood alert against 10.20.30.40, got: ${got:-nothing}"; bad=1; }
[ "$bad" -eq 0 ] || exit 1
echo "memory cap held: $evicted evictions, state $mem bytes, RSS +$((rss_on - rss_off)) KiB"
