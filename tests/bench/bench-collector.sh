#!/usr/bin/env bash
# Collector benchmark (part of make bench):  BUILD=build tests/bench/bench-collector.sh
#
#   1. the store: $BUILD/tools/zw-bench-collector makes ZW_COLLECTOR_ALERTS
#      (1,000,000) alerts from real alert lines (the bundled captures
#      replayed with the shipped rules), parses each with the collector's
#      parser and stores them in batches (the work `zw-collector run` does
#      per entry, without Redis): alerts/s, and per tenth as the store grows;
#      then the latency of typical queries on that store (median of 20).
#      Peer in the same run: the sqlite3 shell importing the same lines into
#      a one-column table with the same durability (WAL, synchronous=FULL):
#      what writing these bytes into SQLite costs at least.  Peer for the IP
#      query: grep -F over the same lines (an analyst without the collector).
#   2. end to end: ZW_COLLECTOR_E2E (200,000) of the same lines as stream
#      entries in a private redis-server (loaded with redis-cli --pipe
#      first), then `zw-collector run` reads, checks, stores and acknowledges
#      them all: entries/s from its start until nothing is pending and the
#      group has read everything.
# Targets (issue 5): ingest at least 50,000 alerts/s; an IP + time-range
# query under 50 ms on 1M alerts.  A benchmark, not a test: exit 0 whether
# or not they are met, 1 only when something could not run.
#
# Environment:
#   BUILD                 build directory (default build)
#   ZW_BENCH_DIR          work files (default /tmp/zw-bench; ~2.5 GB for 1M)
#   ZW_COLLECTOR_ALERTS   alerts in the store (1000000)
#   ZW_COLLECTOR_BATCH    alerts per transaction (5000, as collector.batch)
#   ZW_COLLECTOR_E2E      entries through Redis (200000)
set -u

. "$(dirname "$0")/../lib.sh"

dir=${ZW_BENCH_DIR:-/tmp/zw-bench}
n=${ZW_COLLECTOR_ALERTS:-1000000}
batch=${ZW_COLLECTOR_BATCH:-5000}
n_e2e=${ZW_COLLECTOR_E2E:-200000}
[ "$n_e2e" -le "$n" ] || n_e2e=$n   # the end-to-end entries come from the store run's lines
tool=$BUILD/tools/zw-bench-collector
collector=$BUILD/bin/zw-collector
die() { echo "bench-collector: $*" >&2; exit 1; }
for c in sqlite3 redis-server redis-cli python3; do
	command -v "$c" >/dev/null || die "$c not found: apt-get install sqlite3 redis-server python3"
done
[ -x "$tool" ] || die "$tool not built: run make"
[ -x "$collector" ] || die "$collector not built: run make"
[ -x "$SENSOR" ] || die "$SENSOR not built: run make"
mkdir -p "$dir" || die "cannot create $dir"
exec 9>"$dir/lock"
flock -n 9 || { echo "bench-collector: waiting for another bench using $dir" >&2; flock 9; }
tmp=$(mktemp -d "$dir/collector.XXXXXX") || exit 1
redis_pid=
trap '[ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP
now() { date +%s.%N; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "-" }'; }

# real alert lines: every bundled capture with the shipped rules
templates=$dir/collector-templates.json
if [ ! -s "$templates" ]; then
	set --
	for f in test-pcaps/ndpi/*.pcap test-pcaps/ndpi/*.pcapng test-pcaps/attacks/*.pcap \
		test-pcaps/attacks/*.pcapng; do
		[ -e "$f" ] && set -- "$@" -r "$f"
	done
	"$SENSOR" -q -w 2 "$@" -c tests/replay/conf/zones.conf --rules signatures \
		--alerts "$templates" 2>/dev/null
	[ -s "$templates" ] || die "no alerts from the bundled captures"
fi
echo "== zw-collector store: $n alerts, batches of $batch ($(wc -l <"$templates") real alert lines as templates)"
"$tool" --templates "$templates" --store "$tmp/store.db" --alerts "$n" --batch "$batch" \
	--lines-out "$tmp/lines.json" | tee "$tmp/tool.out" || die "zw-bench-collector failed"
ours=$(awk '$1 == "RESULT" && $2 == "ingest_alerts_per_s" { print $3 }' "$tmp/tool.out")
q_ms=$(awk '$1 == "RESULT" && $2 == "query_ip_24h_ms" { print $3 }' "$tmp/tool.out")
ls -l "$tmp"/store.db* | awk '{ s += $5 } END { printf "store on disk: %.0f MB\n", s / 1048576 }'

echo
echo "== peer: the sqlite3 shell imports the same $n lines into one TEXT column (WAL, synchronous=FULL)"
tr '\n' '\036' <"$tmp/lines.json" >"$tmp/lines.ascii"
t0=$(now)
sqlite3 "$tmp/peer.db" "PRAGMA journal_mode=WAL;" "PRAGMA synchronous=FULL;" \
	"CREATE TABLE t (json TEXT);" ".import --ascii $tmp/lines.ascii t" >/dev/null ||
	die "sqlite3 .import failed"
t1=$(now)
peer=$(awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
rows=$(sqlite3 "$tmp/peer.db" "SELECT count(*) FROM t")
[ "$rows" = "$n" ] || die "the peer imported $rows rows, not $n"
echo "sqlite3 .import: $peer lines/s; zw-collector ingest: $ours alerts/s; ratio $(ratio "$ours" "$peer")"

echo
echo "== peer for the IP query: grep -F over the $n lines"
t0=$(now)
hits=$(grep -c -F '"src_ip":"10.0.7.7"' "$tmp/lines.json")
t1=$(now)
g_ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
echo "grep: $hits lines (all time) in $g_ms ms; zw-collector IP + 24 h: $q_ms ms; grep/zw-collector $(ratio "$g_ms" "$q_ms")"
rm -f "$tmp/lines.ascii" "$tmp/peer.db"* "$tmp/store.db"*

echo
echo "== end to end: $n_e2e stream entries in a private redis-server -> zw-collector run"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$tmp/redis"
redis-server --port "$port" --bind 127.0.0.1 --dir "$tmp/redis" --save "" --appendonly no \
	--daemonize no >"$tmp/redis.log" 2>&1 </dev/null &
redis_pid=$!
for _ in $(seq 100); do redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break; sleep 0.05; done
head -n "$n_e2e" "$tmp/lines.json" | python3 -c '
import json, sys
out = sys.stdout.buffer
def bulk(b):
    return b"$%d\r\n%s\r\n" % (len(b), b)
for line in sys.stdin.buffer:
    line = line.rstrip(b"\n")
    a = json.loads(line)
    args = [b"XADD", b"zw:alerts", b"*", b"sensor", a["sensor"].encode(), b"sid",
            str(a["alert"]["signature_id"]).encode(), b"alert_id", a["alert_id"].encode(), b"json", line]
    out.write(b"*%d\r\n" % len(args) + b"".join(bulk(x) for x in args))
' | redis-cli -p "$port" --pipe >"$tmp/pipe.log" 2>&1 || die "loading the stream failed: $(tail -2 "$tmp/pipe.log")"
len=$(redis-cli -p "$port" XLEN zw:alerts)
[ "$len" = "$n_e2e" ] || die "the stream holds $len entries, not $n_e2e"
t0=$(now)
"$collector" run --store "$tmp/e2e.db" --redis "redis://127.0.0.1:$port" --batch "$batch" \
	--no-trim --retention-days 0 >"$tmp/run.log" 2>&1 &
cpid=$!
while :; do
	lag=$(redis-cli -p "$port" XINFO GROUPS zw:alerts 2>/dev/null | awk 'p { print; exit } $0 == "lag" { p = 1 }')
	pend=$(redis-cli -p "$port" XPENDING zw:alerts zw-collectors 2>/dev/null | head -1)
	[ "$lag" = 0 ] && [ "$pend" = 0 ] && break
	kill -0 "$cpid" 2>/dev/null || die "zw-collector run died: $(tail -3 "$tmp/run.log")"
	sleep 0.05
done
t1=$(now)
kill -TERM "$cpid"
wait "$cpid" || die "zw-collector run exited $?"
stored=$(sqlite3 "$tmp/e2e.db" "SELECT count(*) FROM alerts")
[ "$stored" = "$n_e2e" ] || die "the store holds $stored alerts, not $n_e2e"
e2e=$(awk -v n="$n_e2e" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
echo "zw-collector run: $n_e2e entries read, parsed, stored and acknowledged: $e2e entries/s"

echo
echo "== summary (targets: ingest >= 50000 alerts/s, IP + time query < 50 ms on 1M alerts)"
printf '%-44s %12s\n' "store ingest (parse + store), alerts/s" "$ours"
printf '%-44s %12s\n' "end to end from Redis, entries/s" "$e2e"
printf '%-44s %12s\n' "peer: sqlite3 .import of the lines, lines/s" "$peer"
printf '%-44s %12s\n' "ratio ingest / peer" "$(ratio "$ours" "$peer")"
printf '%-44s %12s\n' "IP + 24 h query on $n alerts, ms" "$q_ms"
printf '%-44s %12s\n' "peer: grep -F of the IP, ms" "$g_ms"
exit 0
