#!/usr/bin/env bash
# kill -9 mid-stream: collectors A and A2 each read a batch while the store
# is locked by another process (so the batch cannot be stored and stays
# pending in Redis), then both are killed with SIGKILL.  A restarted under
# the same name must read its own pending entries again, and, once A2's
# have been idle for --claim-idle, take them over (XAUTOCLAIM).  The store
# must end with exactly the sensor's --alerts file, nothing pending.
# Then SIGTERM: a collector waiting for entries exits 0 within 3 s.
# Exit: 0 pass, 1 fail, 77 skip.
set -u

. "$(dirname "$0")/../lib.sh"
zw_need_sensor
zw_tmpdir collector-reclaim
. "$(dirname "$0")/../redis/lib.bash"
. "$(dirname "$0")/lib.bash"
zw_need_collector

fail=0
problem() { echo "FAIL: $*"; fail=1; }
pending_of() {   # entries pending at consumer $1
	zw_redis_cli XPENDING zw:alerts zw-collectors - + 10000 "$1" | awk 'NR % 4 == 1' | grep -c .
}

zw_redis_start
# the store, created on a prefix of its own
"$COLLECTOR" run --store "$tmp/store.db" --redis "redis://127.0.0.1:$REDIS_PORT/0" --prefix init \
	--exit-idle 1 >"$tmp/init.log" 2>&1 || problem "creating the store failed: $(tail -2 "$tmp/init.log")"
zw_collector_start A --batch 100
zw_collector_start A2 --batch 100
for _ in $(seq 100); do
	grep -q connected "$tmp/A.log" && grep -q connected "$tmp/A2.log" && break
	sleep 0.05
done

# another process takes the store's write lock, then the sensor sends
touch "$tmp/hold"
python3 -c 'import os, sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
con.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
while os.path.exists(sys.argv[3]):
    time.sleep(0.05)
con.execute("ROLLBACK")' "$tmp/store.db" "$tmp/locked" "$tmp/hold" &
locker=$!
for _ in $(seq 100); do [ -e "$tmp/locked" ] && break; sleep 0.05; done
zw_sensor_replay s1 "$tmp/s1.json" test-pcaps/attacks/version_scan.pcap ||
	problem "zw-sensor failed: $(tail -3 "$tmp/sensor-s1.err")"
total=$(wc -l <"$tmp/s1.json")
# each has read a batch it cannot store; let the sensor's last batches arrive
for _ in $(seq 200); do
	[ "$(pending_of A)" -gt 0 ] && [ "$(pending_of A2)" -gt 0 ] && break
	sleep 0.05
done
sleep 0.5
kill -9 "${COLLECTOR_PID[A]}" "${COLLECTOR_PID[A2]}"
wait "${COLLECTOR_PID[A]}" "${COLLECTOR_PID[A2]}" 2>/dev/null
pa=$(pending_of A)
pa2=$(pending_of A2)
echo "killed with SIGKILL: A had $pa entries pending, A2 $pa2; the store $(zw_store_count) alerts"
[ "$pa" -gt 0 ] && [ "$pa2" -gt 0 ] || problem "expected entries pending at A and at A2"
rm -f "$tmp/hold"
wait "$locker"

# A again: its own pending first; A2's once idle 3 s
zw_collector_start A --batch 100 --claim-idle 3 --claim-interval 1 --exit-idle 6
zw_collector_wait A || problem "the restarted A exited $?: $(tail -3 "$tmp/A.log")"
grep 'done:' "$tmp/A.log"
grep -q "re-read pending $pa," "$tmp/A.log" || problem "A did not read its $pa pending entries again"
grep -q "taken over $pa2," "$tmp/A.log" || problem "A did not take over A2's $pa2 entries"
python3 tests/collector/storecheck.py "$tmp/store.db" "$tmp/s1.json" --quarantined 0 ||
	problem "the store is not the --alerts file"
[ "$(zw_store_count)" = "$total" ] || problem "store has $(zw_store_count) alerts, the file $total"
left=$(zw_redis_cli XPENDING zw:alerts zw-collectors | head -1)
[ "$left" = 0 ] || problem "$left entries still pending"

# SIGTERM while waiting for entries
zw_collector_start T --block-ms 1000
sleep 1
start=$(date +%s%N)
kill -TERM "${COLLECTOR_PID[T]}"
zw_collector_wait T
st=$?
ms=$((($(date +%s%N) - start) / 1000000))
echo "SIGTERM: exit $st after $ms ms"
[ "$st" = 0 ] || problem "after SIGTERM the collector exited $st"
[ "$ms" -lt 3000 ] || problem "the collector took $ms ms to stop"
grep -q 'stopped:' "$tmp/T.log" || problem "no 'stopped:' counters line after SIGTERM"

[ "$fail" -eq 0 ] && echo "PASS: after kill -9, own pending entries re-read and a dead consumer's taken over: $total alerts, each once"
exit "$fail"
