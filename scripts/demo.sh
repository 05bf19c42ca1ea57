#!/bin/sh
# The demo: install what is needed, build zw-sensor, replay every bundled
# capture (test-pcaps/) and show what was found.  Safe to run again.
#
#   scripts/demo.sh            output in demo-out/
set -eu
cd "$(dirname "$0")/.."

sh scripts/deps.sh
make -j2 >/dev/null
out=demo-out
mkdir -p "$out"

captures=$(ls test-pcaps/ndpi/*.pcap test-pcaps/ndpi/*.pcapng test-pcaps/attacks/*.pcap \
	test-pcaps/attacks/*.pcapng 2>/dev/null)
set --
for c in $captures; do set -- "$@" -r "$c"; done
echo "== replaying $(echo "$captures" | wc -l) captures from test-pcaps/ with 2 workers"
# Captures are replayed one after another; some were recorded years apart, so
# flows never span two files.  Exit status 1 only means a capture was
# truncated or unreadable (reported above the summary); the rest is processed.
./bin/zw-sensor -w 2 "$@" --flows "$out/flows.json" --stats "$out/stats.json" || true

echo
echo "== flow records: $out/flows.json ($(wc -l <"$out/flows.json") flows)"
echo
echo "-- top application protocols (nDPI master.app) --"
jq -r '.app_proto' "$out/flows.json" | sort | uniq -c | sort -rn | head -15
echo
echo "-- traffic the city's policy cares about (by nDPI category) --"
jq -r 'select(.ndpi.category | test("VPN|Download-FileTransfer-FileSharing|RemoteAccess|Mining|Malware"))
	| "\(.ndpi.category)\t\(.app_proto)\t\(.src_ip) -> \(.dest_ip):\(.dest_port // "-")"' \
	"$out/flows.json" | sort | uniq -c | sort -rn | head -15
echo
echo "-- flows with nDPI risks (most frequent) --"
jq -r '.ndpi.risks[]' "$out/flows.json" | sort | uniq -c | sort -rn | head -12
echo
echo "-- one flow record in full --"
jq -c 'select(.app_proto == "TLS.Tor")' "$out/flows.json" | head -1 | jq .
echo
echo "-- sensor statistics --"
jq -c '{packets: .capture.packets, decoded: .decoder.ok, flows: .flows.created,
	records: .flows.records, flow_memory_kib: (.memory.flow_tables / 1024 | floor)}' \
	"$out/stats.json" | tail -1
