#!/usr/bin/env bash
# zonewatch benchmark (make bench):  BUILD=build tests/bench/bench.sh
#
# Builds one large capture from the nDPI test captures (once, cached), then on
# that same file times, best of N runs, with /usr/bin/time:
#   libpcap read loop    $BUILD/tools/zw-pcapcount FILE          (context)
#   zw-sensor -w 1       zw-sensor -r FILE -w 1 -q --flows /dev/null --alerts /dev/null
#   zw-sensor -w 2       the same with -w 2
#   ... no detectors     the same two with -o detect.enabled=no
#   ndpiReader           ndpiReader -q -t -i FILE                (libndpi-bin 4.2)
# and prints packets, seconds, Mpps, CPU seconds and peak RSS for each, the
# ratios against ndpiReader, what the behavioural detectors cost (packets/s
# with them against without: the median over the rounds of the two runs
# made back to back), and the targets with MET / NOT MET.
#
# A benchmark, not a test: exit 0 whether or not the targets are met; exit 1
# only when something could not run (a tool missing or failing, no input).
#
# Environment:
#   BUILD             build directory (default build)
#   ZW_BENCH_RUNS     runs per tool, the best time is kept (default 3)
#   ZW_BENCH_DIR      cache and logs (default /tmp/zw-bench)
#   ZW_BENCH_PCAPS    folder of input captures (default test-pcaps/ndpi, then
#                     ../shared/test-pcaps/ndpi, then /work/shared/test-pcaps/ndpi)
#   ZW_BENCH_PACKETS  packets in the capture (default 2000000)
#   ZW_BENCH_FLOWS    flows in the capture (default 200000)
#   ZW_BENCH_SEED     zw-mkbench seed (default 1)
#   ZW_NDPIREADER     ndpiReader to compare with (default: ndpiReader on PATH)
set -u

. "$(dirname "$0")/../lib.sh"

runs=${ZW_BENCH_RUNS:-3}
dir=${ZW_BENCH_DIR:-/tmp/zw-bench}
packets_want=${ZW_BENCH_PACKETS:-2000000}
flows_want=${ZW_BENCH_FLOWS:-200000}
seed=${ZW_BENCH_SEED:-1}
ndpi=${ZW_NDPIREADER:-ndpiReader}
sensor=$SENSOR
mkbench=$BUILD/tools/zw-mkbench
pcapcount=$BUILD/tools/zw-pcapcount
timer=/usr/bin/time

# Targets, against ndpiReader on the same file.
target_w1_pps=2.5
target_w2_pps=3.5
target_rss_pct=15

die() { echo "bench: $*" >&2; exit 1; }

check_uint() { # NAME VALUE
	case $2 in '' | *[!0-9]*) die "$1: '$2' is not a non-negative integer" ;; esac
}
check_uint ZW_BENCH_RUNS "$runs"
check_uint ZW_BENCH_PACKETS "$packets_want"
check_uint ZW_BENCH_FLOWS "$flows_want"
check_uint ZW_BENCH_SEED "$seed"
[ "$runs" -ge 1 ] || die "ZW_BENCH_RUNS: '$runs' must be at least 1"
[ -x "$timer" ] || die "$timer not found: apt-get install time"
[ -x "$mkbench" ] || die "$mkbench not built: run make"
[ -x "$pcapcount" ] || die "$pcapcount not built: run make"
mkdir -p "$dir" || die "cannot create $dir"

# One bench at a time per cache dir: two would fight over the CPUs anyway.
exec 9>"$dir/lock"
flock -n 9 || { echo "bench: waiting for another bench using $dir" >&2; flock 9; }

# ---- the capture ----

src=
inputs=()
if [ -n "${ZW_BENCH_PCAPS:-}" ]; then
	dirs=("$ZW_BENCH_PCAPS")
else
	dirs=(test-pcaps/ndpi ../shared/test-pcaps/ndpi /work/shared/test-pcaps/ndpi)
fi
for d in "${dirs[@]}"; do
	if [ ! -d "$d" ]; then
		continue
	fi
	mapfile -t inputs < <(find "$d" -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' \) | LC_ALL=C sort)
	if [ ${#inputs[@]} -gt 0 ]; then
		src=$d
		break
	fi
done
[ -n "$src" ] || die "no input captures (*.pcap, *.pcapng) in: ${dirs[*]} (set ZW_BENCH_PCAPS)"

pcap=$dir/bench.pcap
info=$dir/bench.info
stamp=$dir/bench.stamp
# Rebuilt when the generator, its parameters or any input (name or bytes)
# change.  The generator's source, not its binary: the Makefile links every
# tool with the sensor's objects, so the binary changes with the sensor.
gen_src=$top/tools/zw-mkbench.c
[ -f "$gen_src" ] || gen_src=$mkbench
want_stamp=$(
	{
		echo "zw-mkbench -p $packets_want -f $flows_want -s $seed"
		sha256sum "$gen_src" | cut -d' ' -f1
		(cd "$src" && sha256sum -- "${inputs[@]##*/}")
	} | sha256sum | cut -d' ' -f1
)
if [ -s "$pcap" ] && [ -s "$info" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want_stamp" ]; then
	echo "bench: using cached $pcap (${#inputs[@]} inputs from $src)"
else
	echo "bench: building $pcap from ${#inputs[@]} captures in $src ..."
	rm -f "$pcap" "$info" "$stamp"
	if ! "$mkbench" -o "$pcap.tmp" -p "$packets_want" -f "$flows_want" -s "$seed" "${inputs[@]}" \
		>"$info.tmp" 2>"$dir/mkbench.log"; then
		cat "$dir/mkbench.log" >&2
		rm -f "$pcap.tmp" "$info.tmp"
		die "zw-mkbench failed (log: $dir/mkbench.log)"
	fi
	if ! { mv "$pcap.tmp" "$pcap" && sed "s|$pcap.tmp|$pcap|" "$info.tmp" >"$info" &&
		rm -f "$info.tmp" && echo "$want_stamp" >"$stamp"; }; then
		die "cannot store the capture in $dir"
	fi
fi
cat "$info"

# Packet count of the file, which also pulls it into the page cache.
read -r _ packets _ caplen_bytes _ < <("$pcapcount" "$pcap") || die "zw-pcapcount cannot read $pcap"
[ "${packets:-0}" -gt 0 ] || die "$pcap holds no packet"

# ---- the runs ----

names=(pcap w1 w1off w2 w2off ndpi)
declare -A label secs cpu rss status all
label[pcap]="libpcap read loop"
label[w1]="zw-sensor -w 1"
label[w1off]="  no detectors"
label[w2]="zw-sensor -w 2"
label[w2off]="  no detectors"
label[ndpi]="ndpiReader 4.2"

# argv_of NAME: sets the array argv to that tool's command line.
argv_of() {
	case $1 in
	pcap) argv=("$pcapcount" "$pcap") ;;
	# --alerts: the detectors run only with an alert output, as deployed
	w1) argv=("$sensor" -r "$pcap" -w 1 -q --flows /dev/null --alerts /dev/null) ;;
	w1off) argv=("$sensor" -r "$pcap" -w 1 -q --flows /dev/null --alerts /dev/null -o detect.enabled=no) ;;
	w2) argv=("$sensor" -r "$pcap" -w 2 -q --flows /dev/null --alerts /dev/null) ;;
	w2off) argv=("$sensor" -r "$pcap" -w 2 -q --flows /dev/null --alerts /dev/null -o detect.enabled=no) ;;
	ndpi) argv=("$ndpi" -q -t -i "$pcap") ;;
	esac
}

for n in "${names[@]}"; do
	status[$n]=ok
	secs[$n]=
	all[$n]=
	cpu[$n]=
	rss[$n]=0
done
if [ ! -x "$sensor" ]; then
	status[w1]="not built ($sensor)"
	status[w2]=${status[w1]}
	status[w1off]=${status[w1]}
	status[w2off]=${status[w1]}
fi
if ! command -v "$ndpi" >/dev/null 2>&1; then
	status[ndpi]="not found: apt-get install libndpi-bin"
fi

# run_once NAME: one timed run; keeps the best time, the highest RSS.
run_once() {
	local n=$1 e m u s rc
	local log=$dir/$n.log
	local -a argv
	argv_of "$n"
	"$timer" -f '%e %M %U %S' -o "$dir/$n.time" "${argv[@]}" >/dev/null 2>"$log"
	rc=$?
	if [ $rc -ne 0 ]; then
		status[$n]="failed (exit $rc, log $log)"
		echo "bench: ${label[$n]} failed with exit $rc: ${argv[*]}" >&2
		tail -n 5 "$log" >&2
		return
	fi
	read -r e m u s < <(tail -n 1 "$dir/$n.time")
	all[$n]+=" $e"
	if [ -z "${secs[$n]}" ] || awk -v a="$e" -v b="${secs[$n]}" 'BEGIN { exit !(a < b) }'; then
		secs[$n]=$e
		cpu[$n]=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
	fi
	[ "$m" -gt "${rss[$n]}" ] && rss[$n]=$m
}

nproc_=$(nproc 2>/dev/null || echo '?')
model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
read -r load1 _ </proc/loadavg
echo "bench: $packets packets, $(awk -v b="$caplen_bytes" 'BEGIN { printf "%.0f", b / 1048576 }') MB captured; $runs run(s) per tool, interleaved"
echo "bench: ${model:-unknown CPU}, $nproc_ CPU(s), load average $load1 at start"
if awk -v l="$load1" 'BEGIN { exit !(l > 0.5) }'; then
	echo "bench: note: other processes are using the CPUs; times will be noisy (best of $runs is kept)"
fi

# Interleaved (run 1 of every tool, then run 2, ...) so that a burst of
# outside load does not fall on one tool's runs only.
for ((i = 1; i <= runs; i++)); do
	for n in "${names[@]}"; do
		[ "${status[$n]}" = ok ] || continue
		printf 'bench: run %d/%d %s\n' "$i" "$runs" "${label[$n]}" >&2
		run_once "$n"
	done
done

# ---- the table ----

# ratio NAME [FORMAT]: pps of NAME over pps of ndpiReader (same packets, so
# the inverse ratio of the times); rss_pct NAME [FORMAT]: its peak RSS as a
# percentage of ndpiReader's.  Unrounded (%.6f) for the target checks.
ratio() {
	awk -v a="${secs[$1]}" -v b="${secs[ndpi]}" -v f="${2:-%.2f}" 'BEGIN { if (a > 0) printf f, b / a; else print "inf" }'
}
rss_pct() {
	awk -v a="${rss[$1]}" -v b="${rss[ndpi]}" -v f="${2:-%.1f}" 'BEGIN { if (b > 0) printf f, 100 * a / b; else print "-" }'
}
have() { [ "${status[$1]}" = ok ] && [ -n "${secs[$1]}" ]; }

echo
printf '%-20s %10s %9s %8s %8s %12s %10s %10s\n' tool packets seconds Mpps 'cpu s' 'peak RSS MB' 'pps ratio' 'RSS %'
for n in "${names[@]}"; do
	if ! have "$n"; then
		printf '%-20s %s\n' "${label[$n]}" "${status[$n]}"
		continue
	fi
	mpps=$(awk -v p="$packets" -v s="${secs[$n]}" 'BEGIN { if (s > 0) printf "%.3f", p / s / 1e6; else print "inf" }')
	rss_mb=$(awk -v k="${rss[$n]}" 'BEGIN { printf "%.1f", k / 1024 }')
	if have ndpi; then
		r="$(ratio "$n")x"
		p="$(rss_pct "$n")%"
	else
		r=-
		p=-
	fi
	printf '%-20s %10s %9s %8s %8s %12s %10s %10s\n' "${label[$n]}" "$packets" "${secs[$n]}" "$mpps" \
		"${cpu[$n]}" "$rss_mb" "$r" "$p"
done
echo "(seconds: best of $runs, elapsed; cpu s: user+system of that run; peak RSS: highest of $runs;"
echo " ratios against ndpiReader on the same file; times from /usr/bin/time have 10 ms resolution)"
for n in "${names[@]}"; do
	[ -n "${all[$n]}" ] && printf '  all runs, %-18s%s s\n' "${label[$n]}:" "${all[$n]}"
done

echo
echo "targets:"
# target NAME pps|rss LIMIT: prints one MET / NOT MET line.
target() {
	local n=$1 kind=$2 limit=$3 what value verdict
	if [ "$kind" = pps ]; then
		what="pps >= ${limit}x ndpiReader"
	else
		what="peak RSS <= ${limit}% of ndpiReader"
	fi
	if ! have "$n" || ! have ndpi; then
		printf '  %-16s %-34s %9s  %s\n' "${label[$n]}" "$what" - "not measured"
		return
	fi
	if [ "$kind" = pps ]; then
		awk -v v="$(ratio "$n" %.6f)" -v l="$limit" 'BEGIN { exit !(v >= l) }' && verdict=MET || verdict="NOT MET"
		value=$(ratio "$n")x
	else
		awk -v v="$(rss_pct "$n" %.6f)" -v l="$limit" 'BEGIN { exit !(v <= l) }' && verdict=MET || verdict="NOT MET"
		value=$(rss_pct "$n")%
	fi
	printf '  %-16s %-34s %9s  %s\n' "${label[$n]}" "$what" "$value" "$verdict"
}
target w1 pps "$target_w1_pps"
target w2 pps "$target_w2_pps"
target w1 rss "$target_rss_pct"
target w2 rss "$target_rss_pct"
# detectors on against off: at most 15 % fewer packets/s.  The runs with
# and without them follow each other in every round, so each round gives
# one cost from two runs seconds apart; the median of those is what is
# judged (this VM's speed drifts by tens of percent over minutes, which a
# best-of-N against best-of-N comparison picks up as cost or saving).
costs=()
for w in w1 w2; do
	what="detectors cost <= 15% of pps"
	if ! have "$w" || ! have "${w}off"; then
		printf '  %-16s %-34s %9s  %s\n' "${label[$w]}" "$what" - "not measured"
		continue
	fi
	paired=$(awk -v on="${all[$w]}" -v off="${all[${w}off]}" 'BEGIN {
		n = split(on, a, " "); m = split(off, b, " "); if (m < n) n = m
		for (i = 1; i <= n; i++) c[i] = 1 - b[i] / a[i]
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (c[j] < c[i]) { t = c[i]; c[i] = c[j]; c[j] = t }
		med = n % 2 ? c[(n + 1) / 2] : (c[n / 2] + c[n / 2 + 1]) / 2
		s = ""; for (i = 1; i <= n; i++) s = s sprintf(" %.1f", 100 * c[i])
		printf "%.6f%s", med, s }')
	read -r med each <<<"$paired"
	awk -v c="$med" 'BEGIN { exit !(c <= 0.15) }' && verdict=MET || verdict="NOT MET"
	printf '  %-16s %-34s %9s  %s\n' "${label[$w]}" "$what" \
		"$(awk -v c="$med" 'BEGIN { printf "%.1f%%", 100 * c }')" "$verdict"
	costs+=("$(printf '    %s: median of the rounds%s %%; best against best %s' "${label[$w]}" \
		"$(echo " $each" | sed 's/ /, /g; s/^, / (/; s/$/)/')" \
		"$(awk -v on="${secs[$w]}" -v off="${secs[${w}off]}" 'BEGIN { printf "%.1f%%", 100 * (1 - off / on) }')")")
done
if [ ${#costs[@]} -gt 0 ]; then
	echo "  (detectors cost: per round, 1 - seconds without / seconds with, the two runs"
	echo "   back to back)"
	printf '%s\n' "${costs[@]}"
fi

rc=0
for n in "${names[@]}"; do
	have "$n" || rc=1
done
[ $rc -eq 0 ] || echo "bench: some tools could not run (see above); logs in $dir" >&2
exit $rc
