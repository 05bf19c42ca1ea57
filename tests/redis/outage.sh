#!/usr/bin/env bash
# Redis outages during a capture: zw-sensor reads one pcap stream from a pipe
# that the test writes in parts, and between the parts Redis is
#   kill -9'd and started again after a few seconds (its AOF keeps what it
#   acknowledged), then SIGSTOPped (a hung server) and SIGCONTed.
# Every alert of the --alerts file must reach the stream exactly once, in the
# file's order (one sensor); alerts raised while Redis was away are spooled
# and sent when it is back.
# Exit: 0 pass, 1 fail, 77 skip.
set -u

. "$(dirname "$0")/../lib.sh"
zw_need_sensor
zw_need_jq
zw_tmpdir redis-outage
. "$(dirname "$0")/lib.bash"

fail=0
problem() { echo "FAIL: $*"; fail=1; }
part() { python3 tests/replay/pcapcat.py packets "$1" >&3; }

zw_redis_start
mkfifo "$tmp/pipe"
"$SENSOR" -r - --sensor-id outage-1 --rules tests/redis/rules --alerts "$tmp/alerts.json" \
	--redis "redis://127.0.0.1:$REDIS_PORT" -o spool.dir="$tmp/spool" \
	-o redis.command_timeout_ms=300 -o redis.connect_timeout_ms=300 \
	--stats "$tmp/stats.json" <"$tmp/pipe" 2>"$tmp/log" &
pid=$!
exec 3>"$tmp/pipe"

# parts in time order (2002, 2013, 2016, 2022, 2023, 2024): flows never
# straddle two parts and packet time never has to be clamped
python3 tests/replay/pcapcat.py header test-pcaps/attacks/ftp-crack.pcap >&3
part test-pcaps/attacks/ftp-crack.pcap
sleep 1
echo "-- kill -9 redis"
zw_redis_stop
part test-pcaps/ndpi/tor.pcap
part test-pcaps/ndpi/bittorrent.pcap
sleep 3
echo "-- redis back"
zw_redis_start
part test-pcaps/ndpi/bot.pcap
sleep 2
echo "-- SIGSTOP redis (hung)"
kill -STOP "$REDIS_PID"
part test-pcaps/ndpi/shadowsocks.pcap
sleep 3
echo "-- SIGCONT redis"
kill -CONT "$REDIS_PID"
part test-pcaps/ndpi/elf.pcap
exec 3>&-
wait "$pid" || problem "zw-sensor exited with status $?"

grep -E "redis" "$tmp/log" | head -8
zw_stream_entries zw:alerts >"$tmp/entries" || problem "XRANGE zw:alerts failed"
jq -r '.alert_id' "$tmp/entries" >"$tmp/stream-ids"
jq -r '.seq' "$tmp/entries" | awk 'NR > 1 && $1 <= prev { n++ } { prev = $1 } END { exit n > 0 }' ||
	problem "the stream's seq numbers do not increase"
jq -r '.alert_id' "$tmp/alerts.json" >"$tmp/file-ids"
n_file=$(wc -l <"$tmp/file-ids")
n_stream=$(wc -l <"$tmp/stream-ids")
dups=$(sort "$tmp/stream-ids" | uniq -d | wc -l)
[ "$n_file" -gt 100 ] || problem "only $n_file alerts: the test captures no longer raise enough"
[ "$dups" -eq 0 ] || problem "$dups alert ids are in the stream more than once"
cmp -s "$tmp/file-ids" "$tmp/stream-ids" ||
	problem "the stream's alert ids differ from the file's ($n_file in the file, $n_stream in the stream):
$(diff "$tmp/file-ids" "$tmp/stream-ids" | head -6)"
jq -c 'select(.final) | .redis | {sent, spooled, spool_dropped, queue_dropped, send_failures,
	connect_failures, skipped_already_sent}' "$tmp/stats.json"
spooled=$(jq -r 'select(.final) | .redis.spooled' "$tmp/stats.json")
[ "${spooled:-0}" -gt 0 ] || problem "nothing was spooled: the outage did not happen while alerts flowed"
echo "alerts: $n_file in the file, $n_stream in the stream, $dups duplicates"
[ "$fail" -eq 0 ] && echo "PASS: kill -9 and SIGSTOP of Redis: every alert delivered once, in order"
exit "$fail"
