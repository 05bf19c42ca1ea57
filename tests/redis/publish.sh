#!/usr/bin/env bash
# Publish and read back: replay captures with --alerts FILE and --redis URL;
# the <prefix>:alerts stream must hold exactly the lines of FILE, in order,
# each entry's json field equal to its line and its sensor/sid/severity/
# alert_id fields equal to the alert's; the heartbeat hash and the sensors
# sorted set must exist.  Then the optional flows stream: with
# redis.flows=true, <prefix>:flows holds the --flows file's records (as a
# set: workers write them in their own order), each once; without it, no
# flows stream.
# Exit: 0 pass, 1 fail, 77 skip.
set -u

. "$(dirname "$0")/../lib.sh"
zw_need_sensor
zw_need_jq
zw_tmpdir redis-publish
. "$(dirname "$0")/lib.bash"

fail=0
problem() { echo "FAIL: $*"; fail=1; }

zw_redis_start
"$SENSOR" -q -w 2 --sensor-id pub-1 -r test-pcaps/ndpi/tor.pcap -r test-pcaps/ndpi/bittorrent.pcap \
	-r test-pcaps/ndpi/anydesk.pcapng --rules signatures --alerts "$tmp/alerts.json" \
	--redis "redis://127.0.0.1:$REDIS_PORT/0" -o spool.dir="$tmp/spool" \
	-o redis.heartbeat_interval=1 -o redis.heartbeat_ttl=30 2>"$tmp/err" ||
	problem "zw-sensor failed: $(tail -3 "$tmp/err")"

# one line per entry: the fields as an object
zw_stream_entries zw:alerts >"$tmp/entries.json" || problem "XRANGE failed"
n_file=$(wc -l <"$tmp/alerts.json")
n_stream=$(wc -l <"$tmp/entries.json")
[ "$n_file" -gt 0 ] || problem "no alerts in the --alerts file"
[ "$n_file" -eq "$n_stream" ] || problem "$n_file alerts in the file, $n_stream in the stream"
jq -r '.json' "$tmp/entries.json" >"$tmp/stream-lines"
cmp -s "$tmp/alerts.json" "$tmp/stream-lines" ||
	problem "stream json fields differ from the --alerts file:
$(diff "$tmp/alerts.json" "$tmp/stream-lines" | head -5 | cut -c1-200)"
# the top-level fields agree with the alert they carry
bad=$(jq -c 'select((.json | fromjson) as $a | .sensor != $a.sensor or
	(.sid | tonumber) != $a.alert.signature_id or (.severity | tonumber) != $a.alert.severity or
	.alert_id != $a.alert_id)' "$tmp/entries.json" | wc -l)
[ "$bad" -eq 0 ] || problem "$bad entries whose sensor/sid/severity/alert_id fields disagree with their json"
# sequence numbers increase
jq -r '.seq' "$tmp/entries.json" | awk 'NR > 1 && $1 <= prev { bad++ } { prev = $1 } END { exit bad > 0 }' ||
	problem "seq fields do not increase"
last=$(jq -r '.seq' "$tmp/entries.json" | tail -1)
[ "$(zw_redis_cli HGET zw:delivered pub-1)" = "$last" ] ||
	problem "zw:delivered pub-1 is not the last entry's seq ($last)"
for f in version uptime packets alerts spool_records ruleset; do
	[ -n "$(zw_redis_cli HGET zw:sensor:pub-1 "$f")" ] || problem "heartbeat field $f missing"
done
ttl=$(zw_redis_cli TTL zw:sensor:pub-1)
[ "$ttl" -gt 0 ] 2>/dev/null || problem "heartbeat hash has no TTL ($ttl)"
[ -n "$(zw_redis_cli ZSCORE zw:sensors pub-1)" ] || problem "pub-1 not in zw:sensors"

[ "$(zw_redis_cli EXISTS zw:flows)" = 0 ] || problem "zw:flows exists although redis.flows is off"
echo "stream: $n_stream entries, file: $n_file alerts; last_seq $last; heartbeat TTL $ttl s"

# the flows stream
"$SENSOR" -q -w 2 --sensor-id pub-2 -r test-pcaps/ndpi/tor.pcap -r test-pcaps/ndpi/bittorrent.pcap \
	--flows "$tmp/flows.json" --redis "redis://127.0.0.1:$REDIS_PORT/0" -o spool.dir="$tmp/spool2" \
	-o redis.flows=true --stats "$tmp/stats2.json" 2>"$tmp/err2" ||
	problem "zw-sensor with redis.flows failed: $(tail -3 "$tmp/err2")"
zw_stream_entries zw:flows >"$tmp/fentries.json" || problem "XRANGE zw:flows failed"
jq -r '.json' "$tmp/fentries.json" | sort >"$tmp/fstream"
sort "$tmp/flows.json" >"$tmp/ffile"
nf=$(wc -l <"$tmp/ffile")
[ "$nf" -gt 10 ] || problem "only $nf flow records"
cmp -s "$tmp/ffile" "$tmp/fstream" ||
	problem "the flows stream ($(wc -l <"$tmp/fstream")) differs from the --flows file ($nf):
$(diff "$tmp/ffile" "$tmp/fstream" | head -4 | cut -c1-200)"
[ "$(jq -r 'select(.sensor != "pub-2" or has("seq"))' "$tmp/fentries.json" | wc -l)" -eq 0 ] ||
	problem "flows entries without sensor pub-2, or with a seq field"
jq -c 'select(.final) | .redis | {flows_queued, flows_sent, flows_dropped}' "$tmp/stats2.json"
[ "$(jq -r 'select(.final) | .redis.flows_sent' "$tmp/stats2.json")" = "$nf" ] ||
	problem "stats flows_sent is not $nf"
echo "flows stream: $nf records, the same as the --flows file"
[ "$fail" -eq 0 ] && echo "PASS: the stream holds the --alerts file, field by field; the flows stream the --flows file"
exit "$fail"
