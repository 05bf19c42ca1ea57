#!/usr/bin/env bash
# Redis output benchmark (part of make bench):  BUILD=build tests/bench/bench-redis.sh
#
# Against a private redis-server (temporary directory, free loopback port,
# no snapshots), started with three persistence settings in turn:
#   appendonly no                      throughput; loses everything on a crash
#   appendonly yes, appendfsync everysec
#   appendonly yes, appendfsync always  what doc/redis.md asks for
# it measures, for each:
#   1. the output thread alone: $BUILD/tools/zw-bench-redis pushes
#      ZW_REDIS_ALERTS synthetic 600-byte alerts through output_push and times
#      them until Redis has acknowledged all (batches of 256 in MULTI/EXEC);
#      the peer in the same run is redis-benchmark with the same XADD (same
#      fields, the same 600-byte alert as value): one connection pipelining
#      256 (the shape of the sensor's batches), 50 connections pipelining 64,
#      and 50 connections without pipelining.  Best of ZW_BENCH_RUNS,
#      zonewatch and the like-for-like peer interleaved; the ratio is printed.
# then, with appendonly no:
#   2. the spool: alerts pushed while Redis refuses connections (spool fill),
#      then sent when it is reachable (spool drain);
#   3. the output path's latency at 10,000 alerts/s (push -> stream entry);
#   4. end to end: zw-sensor replays a capture with a rule that alerts on
#      every flow (tests/redis/rules), with --redis, against the same replay
#      with --alerts /dev/null (the same pipeline without Redis);
#   5. packet -> stream entry latency, live: tests/bench/bench-live.sh
#      (root, ip netns, tcpreplay; SKIP without them).
# After each run XLEN must equal what was pushed (or what the sensor says it
# sent): otherwise the bench stops with exit 1.
#
# A benchmark, not a test: exit 0 whether or not the target (100,000
# alerts/s through the Redis output) is met; exit 1 only when something could
# not run.
#
# Environment:
#   BUILD                  build directory (default build)
#   ZW_BENCH_RUNS          runs of each throughput measurement, best kept (3)
#   ZW_BENCH_DIR           cached captures (default /tmp/zw-bench; the end to
#                          end run uses bench.pcap there, from bench.sh, if it
#                          exists, else makes a 500,000-packet one)
#   ZW_REDIS_ALERTS        alerts per zw-bench-redis throughput run (300000)
#   ZW_REDIS_SPOOL_ALERTS  alerts through the spool (100000)
#   ZW_REDIS_LIVE          0: skip the live latency part (default 1)
set -u

. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/latency.bash"

runs=${ZW_BENCH_RUNS:-3}
dir=${ZW_BENCH_DIR:-/tmp/zw-bench}
n_alerts=${ZW_REDIS_ALERTS:-300000}
n_spool=${ZW_REDIS_SPOOL_ALERTS:-100000}
live=${ZW_REDIS_LIVE:-1}
tool=$BUILD/tools/zw-bench-redis
mkbench=$BUILD/tools/zw-mkbench
timer=/usr/bin/time
target=100000
lat_rate=10000
lat_alerts=50000

die() { echo "bench-redis: $*" >&2; exit 1; }
check_count() { # NAME VALUE
	case $2 in '' | *[!0-9]* | 0) die "$1: '$2' is not a positive integer" ;; esac
}
check_count ZW_BENCH_RUNS "$runs"
check_count ZW_REDIS_ALERTS "$n_alerts"
check_count ZW_REDIS_SPOOL_ALERTS "$n_spool"
for c in redis-server redis-cli redis-benchmark; do
	command -v "$c" >/dev/null || die "$c not found: apt-get install redis-server redis-tools"
done
command -v python3 >/dev/null || die "python3 not found (picks a free port)"
[ -x "$timer" ] || die "$timer not found: apt-get install time"
command -v jq >/dev/null || die "jq not found: apt-get install jq"
[ -x "$tool" ] || die "$tool not built: run make"
[ -x "$SENSOR" ] || die "$SENSOR not built: run make"
mkdir -p "$dir" || die "cannot create $dir"

# One bench at a time per cache dir (bench.sh takes the same lock).
exec 9>"$dir/lock"
flock -n 9 || { echo "bench-redis: waiting for another bench using $dir" >&2; flock 9; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/zw-bench-redis.XXXXXX") || exit 1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') ||
	die "cannot find a free port"
redis_pid=
redis_stop() {
	[ -n "$redis_pid" ] || return 0
	kill "$redis_pid" 2>/dev/null
	wait "$redis_pid" 2>/dev/null
	redis_pid=
}
trap 'redis_stop; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP

# redis_start NAME ARGS...: a fresh server (empty directory) with ARGS.
redis_start() {
	local name=$1
	shift
	redis_stop
	rm -rf "$tmp/redis"
	mkdir -p "$tmp/redis"
	redis-server --port "$port" --bind 127.0.0.1 --dir "$tmp/redis" --save "" --daemonize no "$@" \
		>"$tmp/redis-$name.log" 2>&1 </dev/null &
	redis_pid=$!
	for _ in $(seq 100); do
		rcli ping 2>/dev/null | grep -q PONG && return 0
		sleep 0.05
	done
	die "redis-server did not start: $(tail -3 "$tmp/redis-$name.log")"
}
rcli() { redis-cli -p "$port" "$@"; }
flush() { rcli FLUSHALL >/dev/null || die "FLUSHALL failed"; }
check_xlen() { # KEY WANT WHAT [at-least]
	local got
	got=$(rcli XLEN "$1")
	case $got in '' | *[!0-9]*) die "$3: XLEN $1 failed: $got" ;; esac
	if [ "${4:-}" = at-least ]; then
		[ "$got" -ge "$2" ] || die "$3: XLEN $1 is $got, want at least $2"
	else
		[ "$got" -eq "$2" ] || die "$3: XLEN $1 is $got, want $2"
	fi
}
# field FILE MODE NAME: NAME=value of the "result mode=MODE" line
field() {
	awk -v m="mode=$2" -v k="$3=" '$1 == "result" && $2 == m {
		for (i = 3; i <= NF; i++) if (index($i, k) == 1) print substr($i, length(k) + 1) }' "$1"
}
fmt() { awk -v v="$1" 'BEGIN { if (v == "") print "-"; else printf "%.0f", v }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2fx", a / b; else print "-" }'; }
max() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == "" || a + 0 > b + 0) print a; else print b }'; }

# The value of the peer's XADD: a synthetic alert of the same size.
value=$("$tool" -S -s 600) || die "zw-bench-redis -S failed"
alert_id=$(jq -r .alert_id <<<"$value")
# rb KEY ARGS...: redis-benchmark's requests/s for our XADD to KEY (it dies in
# a subshell: callers add || exit 1)
rb() {
	local key=$1 out
	shift
	out=$(redis-benchmark -p "$port" -r 1000000000 --csv "$@" XADD "$key" MAXLEN '~' 1000000 '*' \
		sensor zw-bench seq __rand_int__ sid 9500 severity 5 alert_id "$alert_id" json "$value" \
		2>"$tmp/rb.err") || die "redis-benchmark $* failed: $(tail -2 "$tmp/rb.err")"
	# CSV: "test","rps",...: the test name holds the JSON, so count from the end
	out=$(awk -F'","' 'NR == 2 { print $(NF - 6) }' <<<"$out")
	case $out in '' | *[!0-9.]*) die "redis-benchmark $*: no requests/s in its output" ;; esac
	echo "$out"
}

nproc_=$(nproc 2>/dev/null || echo '?')
model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
read -r load1 _ </proc/loadavg
echo "bench-redis: $(redis-server --version | cut -d' ' -f1-3), $(redis-benchmark --version), private server on 127.0.0.1:$port"
echo "bench-redis: ${model:-unknown CPU}, $nproc_ CPU(s), load average $load1 at start"
if awk -v l="$load1" 'BEGIN { exit !(l > 0.5) }'; then
	echo "bench-redis: note: other processes are using the CPUs; figures will be noisy (best of $runs is kept)"
fi
echo "bench-redis: the spool and the server's files are in $tmp ($(stat -f -c %T "$tmp"))"

# ---- 1. the output thread alone, three persistence settings ----
configs=(noaof everysec always)
declare -A cfg_args cfg_label zw peer1 peer64 peer_np zw_all peer1_all
cfg_args[noaof]="--appendonly no"
cfg_args[everysec]="--appendonly yes --appendfsync everysec"
cfg_args[always]="--appendonly yes --appendfsync always"
cfg_label[noaof]="appendonly no"
cfg_label[everysec]="appendfsync everysec"
cfg_label[always]="appendfsync always"
np_requests=$((n_alerts / 3))

echo
echo "== 1. Redis output alone: zw-bench-redis ($n_alerts alerts of 600 bytes, batch 256) vs redis-benchmark XADD"
for c in "${configs[@]}"; do
	# shellcheck disable=SC2086 # the arguments are words
	redis_start "$c" ${cfg_args[$c]}
	echo "bench-redis: redis-server ${cfg_label[$c]}" >&2
	for ((i = 1; i <= runs; i++)); do
		flush
		"$tool" -u "redis://127.0.0.1:$port" -n "$n_alerts" >"$tmp/zw-$c-$i.out" 2>&1 ||
			{ cat "$tmp/zw-$c-$i.out" >&2; die "zw-bench-redis failed (${cfg_label[$c]})"; }
		check_xlen zw:alerts "$n_alerts" "zw-bench-redis (${cfg_label[$c]})"
		r=$(field "$tmp/zw-$c-$i.out" direct rate)
		zw_all[$c]+=" $(fmt "$r")"
		zw[$c]=$(max "$r" "${zw[$c]:-}")
		flush
		r=$(rb bench:peer -n "$n_alerts" -c 1 -P 256) || exit 1
		# whole pipelines: redis-benchmark rounds the requests up to a multiple of 256
		check_xlen bench:peer "$n_alerts" "redis-benchmark -c 1 -P 256" at-least
		peer1_all[$c]+=" $(fmt "$r")"
		peer1[$c]=$(max "$r" "${peer1[$c]:-}")
	done
	flush
	peer64[$c]=$(rb bench:peer -n "$n_alerts" -c 50 -P 64) || exit 1
	check_xlen bench:peer "$n_alerts" "redis-benchmark -c 50 -P 64" at-least
	flush
	peer_np[$c]=$(rb bench:peer -n "$np_requests" -c 50) || exit 1
	check_xlen bench:peer "$np_requests" "redis-benchmark -c 50" at-least
	flush
done
redis_stop

printf '\n%-22s %12s %16s %8s %16s %16s\n' "redis-server" "zonewatch" "rb -c 1 -P 256" "ratio" "rb -c 50 -P 64" "rb -c 50 -P 1"
for c in "${configs[@]}"; do
	printf '%-22s %12s %16s %8s %16s %16s\n' "${cfg_label[$c]}" "$(fmt "${zw[$c]}")" "$(fmt "${peer1[$c]}")" \
		"$(ratio "${zw[$c]}" "${peer1[$c]}")" "$(fmt "${peer64[$c]}")" "$(fmt "${peer_np[$c]}")"
done
echo "(alerts/s and XADD/s; zonewatch: output_push -> the output thread -> MULTI, 256 XADDs, HSET, EXEC"
echo " per round trip, until all $n_alerts are acknowledged; rb: redis-benchmark, the same XADD with"
echo " the same fields and 600-byte alert, -c connections, -P commands per round trip; best of $runs"
echo " for zonewatch and rb -c 1 -P 256, one run of the others; ratio: zonewatch / rb -c 1 -P 256)"
for c in "${configs[@]}"; do
	printf '  all runs, %-22s zonewatch%s; rb -c 1 -P 256%s\n' "${cfg_label[$c]}:" "${zw_all[$c]}" "${peer1_all[$c]}"
done

# ---- 2. spool fill and drain; 3. output latency (appendonly no) ----
redis_start spool --appendonly no
echo
echo "== 2. Spool (redis-server appendonly no; spool.fsync segment, as the sensor's default)"
"$tool" -u "redis://127.0.0.1:$port" -m spool -n "$n_spool" >"$tmp/spool.out" 2>&1 ||
	{ cat "$tmp/spool.out" >&2; die "zw-bench-redis -m spool failed"; }
check_xlen zw:alerts "$n_spool" "zw-bench-redis -m spool"
grep -v '^result' "$tmp/spool.out" | grep -E 'spool-(fill|drain):' | sed 's/^redis: /  /'
fill=$(field "$tmp/spool.out" spool-fill rate)
drain=$(field "$tmp/spool.out" spool-drain rate)
printf '  spool fill %s alerts/s, drain %s alerts/s: drain / direct (appendonly no) %s\n' \
	"$(fmt "$fill")" "$(fmt "$drain")" "$(ratio "$drain" "${zw[noaof]}")"

flush
echo
echo "== 3. Output path latency: push -> stream entry at $lat_rate alerts/s ($lat_alerts alerts, appendonly no)"
"$tool" -u "redis://127.0.0.1:$port" -n "$lat_alerts" -r "$lat_rate" >"$tmp/lat.out" 2>&1 ||
	{ cat "$tmp/lat.out" >&2; die "zw-bench-redis -r $lat_rate failed"; }
check_xlen zw:alerts "$lat_alerts" "zw-bench-redis -r $lat_rate"
zw_latencies rcli >"$tmp/lat" || die "cannot read the stream back"
read -r n p50 p90 p99 pmax < <(zw_pctl "$tmp/lat" '.')
printf '  %-30s %7s %8s %8s %8s %8s\n' "ms" alerts p50 p90 p99 max
printf '  %-30s %7s %8s %8s %8s %8s\n' "output_push -> XADD" "$n" "$p50" "$p90" "$p99" "$pmax"
echo "  (the alert's timestamp is its push time; the entry id's whole milliseconds make values up to"
echo "   1 ms low; batches: $(field "$tmp/lat.out" direct batches))"

# ---- 4. end to end through zw-sensor ----
echo
echo "== 4. End to end: zw-sensor -r CAPTURE -w 2, rule sid 9500 (every TCP/UDP flow), appendonly no"
pcap=$dir/bench.pcap
if [ ! -s "$pcap" ]; then
	pcap=$dir/redis-e2e.pcap
	if [ ! -s "$pcap" ]; then
		mapfile -t inputs < <(find test-pcaps/ndpi -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' \) | LC_ALL=C sort)
		[ ${#inputs[@]} -gt 0 ] || die "no captures in test-pcaps/ndpi for the end to end run"
		[ -x "$mkbench" ] || die "$mkbench not built: run make"
		echo "bench-redis: making $pcap (500,000 packets, 50,000 flows) ..." >&2
		"$mkbench" -o "$pcap.tmp" -p 500000 -f 50000 -a 5000 -s 1 "${inputs[@]}" >"$tmp/mkbench.out" 2>&1 ||
			{ cat "$tmp/mkbench.out" >&2; die "zw-mkbench failed"; }
		mv "$pcap.tmp" "$pcap" || die "cannot store $pcap"
	fi
fi
short=(-o flow.timeout.tcp=2s -o flow.timeout.udp=2s -o flow.timeout.icmp=2s -o flow.timeout.other=2s
	-o flow.timeout.tcp_closed=1s)
# e2e NAME OUTPUT-ARGS... (with the flow timeout options first, if any):
# one timed replay; sets secs, written, sent, dropped
e2e() {
	local name=$1 st
	shift
	flush
	rm -rf "$tmp/spool"
	"$timer" -f '%e' -o "$tmp/$name.time" "$SENSOR" -q -w 2 -r "$pcap" --sensor-id e2e \
		--rules tests/redis/rules --stats "$tmp/$name.stats" -o spool.dir="$tmp/spool" "$@" \
		</dev/null >/dev/null 2>"$tmp/$name.err"
	st=$?
	[ $st -eq 0 ] || die "zw-sensor ($name) exited with status $st: $(tail -3 "$tmp/$name.err")"
	secs=$(tail -n 1 "$tmp/$name.time")
	read -r written sent dropped spooled < <(grep . "$tmp/$name.stats" | tail -n 1 |
		jq -r '[.alerts.written, (.redis.sent // 0), ((.redis.queue_dropped // 0) + (.redis.spool_dropped // 0)),
			(.redis.spool.records // 0)] | @tsv')
	if [ "$name" != devnull ]; then
		check_xlen zw:alerts "$sent" "zw-sensor ($name)"
		[ $((sent + dropped + spooled)) -eq "$written" ] ||
			die "zw-sensor ($name): $written alerts written, but $sent sent + $dropped dropped + $spooled left in the spool"
	fi
}
rate_of() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "-" }'; }
row() { # LABEL IN-REDIS ALERTS/S
	printf '  %-44s %8s %9s %9s %11s %9s\n' "$1" "$secs" "$written" "$2" "$dropped" "$3"
}
echo "  capture: $pcap"
printf '  %-44s %8s %9s %9s %11s %9s\n' run seconds alerts "in Redis" "dropped" "alerts/s"
e2e devnull "${short[@]}" --alerts /dev/null
e2e_peer_rate=$(rate_of "$written" "$secs")
dropped=-
row "--alerts /dev/null, flow timeouts 2 s (peer)" - "$e2e_peer_rate"
e2e spread "${short[@]}" --redis "redis://127.0.0.1:$port"
e2e_rate=$(rate_of "$sent" "$secs")
e2e_drop=$dropped
row "--redis, flow timeouts 2 s" "$sent" "$e2e_rate"
e2e burst --redis "redis://127.0.0.1:$port"
row "--redis, default flow timeouts" "$sent" "$(rate_of "$sent" "$secs")"
burst_drop=$dropped
burst_written=$written
echo "  (alerts/s = alerts in Redis (for the peer: written) / wall time of the whole run, start-up and"
echo "   the final delivery included; ratio --redis / --alerts /dev/null: $(ratio "$e2e_rate" "$e2e_peer_rate")."
echo "   Bounded by the replay, nDPI and the alert pipeline (rules, formatting, the ordered alert queue),"
echo "   not by Redis: compare section 1.  With 2 s flow timeouts flows end, and alert, all along the"
echo "   replay as on a live link; with the defaults (TCP 300 s, UDP 60 s) almost every flow ends at the"
echo "   end of the capture and its alert comes in one burst then; 'dropped': redis.queue_dropped, which"
echo "   must be 0: reading files, a full output queue makes the alert queue wait instead of dropping)"
redis_stop

# ---- 5. live latency ----
echo
echo "== 5. Packet -> stream entry latency, live capture (tests/bench/bench-live.sh)"
live_rc=0
if [ "$live" = 0 ]; then
	echo "  SKIP: ZW_REDIS_LIVE=0"
else
	ZW_BENCH_DIR=$dir ZW_BENCH_LOCKED=1 "$(dirname "$0")/bench-live.sh" 2>&1 | sed 's/^/  /'
	live_rc=${PIPESTATUS[0]}
	[ "$live_rc" -eq 77 ] && live_rc=0 # printed its SKIP line
fi

# ---- targets ----
echo
echo "targets:"
verdict() { awk -v v="$1" -v l="$2" 'BEGIN { exit !(v >= l) }' && echo MET || echo "NOT MET"; }
printf '  %-58s %10s  %s\n' "Redis output (zw-bench-redis, appendonly no) >= $target/s" \
	"$(fmt "${zw[noaof]}")" "$(verdict "${zw[noaof]}" "$target")"
printf '  %-58s %10s  %s\n' "  the same, appendfsync everysec" "$(fmt "${zw[everysec]}")" "$(verdict "${zw[everysec]}" "$target")"
printf '  %-58s %10s  %s\n' "  the same, appendfsync always (doc/redis.md)" "$(fmt "${zw[always]}")" "$(verdict "${zw[always]}" "$target")"
printf '  %-58s %10s  %s\n' "end to end replay through zw-sensor >= $target/s" "$(fmt "$e2e_rate")" \
	"$(verdict "$e2e_rate" "$target") (bounded upstream of Redis, see 4)"
[ "${e2e_drop:-0}" -eq 0 ] || echo "  note: $e2e_drop alerts dropped in the end to end run with 2 s timeouts"
[ "${burst_drop:-0}" -eq 0 ] ||
	echo "  note: $burst_drop of $burst_written alerts dropped at the end-of-capture burst (output queue full)"
[ "$live_rc" -eq 0 ] || die "the live latency bench failed (exit $live_rc)"
exit 0
