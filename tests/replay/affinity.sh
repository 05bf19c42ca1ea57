#!/usr/bin/env bash
# CPU affinity (capture.cpus, workers.cpus; doc/capture.md):
#   - a running zw-sensor -w 2 (reading a pipe that stays open) has its
#     threads where the options say: zw-worker0 and zw-worker1 on the CPUs
#     of workers.cpus in order, the capture thread (the process's first) on
#     capture.cpus, as /proc/PID/task/*/status reports them;
#   - a CPU the process may not use stops the start with exit 2 and a
#     message naming workers.cpus; a bad list in a config file is reported
#     with the file, line and key.
# Exit: 0 pass, 1 fail, 77 skip (no sensor binary, or fewer than 2 CPUs).
set -u
. "$(dirname "$0")/../lib.sh"
skip() { echo "SKIP: $*"; exit 77; }
zw_need_sensor
zw_tmpdir affinity

# the CPUs this process may use, in order
mapfile -t cpus < <(python3 -c 'import os; print("\n".join(str(c) for c in sorted(os.sched_getaffinity(0))))')
[ "${#cpus[@]}" -ge 2 ] || skip "needs 2 CPUs (has ${#cpus[@]})"
first=${cpus[0]} second=${cpus[1]}
bad=0

mkfifo "$tmp/in"
"$SENSOR" -q -w 2 -r - -o workers.cpus="$second,$first" -o capture.cpus="$second" \
	--flows /dev/null <"$tmp/in" 2>"$tmp/err" &
pid=$!
exec 3>"$tmp/in"
# a pcap file header (Ethernet, microseconds), then nothing: the sensor waits
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00' >&3
where() {   # thread name -> its Cpus_allowed_list
	local t
	for t in /proc/"$pid"/task/*; do
		if [ "$(cat "$t/comm" 2>/dev/null)" = "$1" ]; then
			sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "$t/status"
			return
		fi
	done
}
for _ in $(seq 1 100); do
	[ -n "$(where zw-worker1)" ] && break
	sleep 0.1
done
sleep 0.5 # pinned after the workers started
got_w0=$(where zw-worker0) got_w1=$(where zw-worker1)
got_cap=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$pid/task/$pid/status" 2>/dev/null)
exec 3>&-
wait "$pid"
st=$?
if [ "$got_w0" = "$second" ] && [ "$got_w1" = "$first" ] && [ "$got_cap" = "$second" ] && [ "$st" -eq 0 ]; then
	echo "ok   workers.cpus=$second,$first capture.cpus=$second: zw-worker0 on $got_w0, zw-worker1 on $got_w1, capture on $got_cap"
else
	echo "FAIL pinning: zw-worker0 on '$got_w0' (want $second), zw-worker1 on '$got_w1' (want $first)," \
		"capture on '$got_cap' (want $second), exit $st: $(head -c 300 "$tmp/err")"
	bad=$((bad + 1))
fi

# a CPU outside the process's set (the highest number the kernel allows)
zw_refused "an unavailable CPU" 'workers.cpus: worker 0: CPU 1023 is not available' \
	"$SENSOR" -q -w 1 -r test-pcaps/ndpi/forticlient.pcap -o workers.cpus=1023 --flows /dev/null
printf 'capture.cpus = 0\nworkers.cpus = 0-\n' >"$tmp/bad.conf"
zw_refused "a bad list in a config file" "bad.conf:2: workers.cpus: '0-': bad range" \
	"$SENSOR" -c "$tmp/bad.conf" --check-config
[ "$bad" -eq 0 ]
