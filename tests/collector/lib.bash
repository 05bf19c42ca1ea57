# Shared by tests/collector/*.sh, after ../lib.sh, zw_tmpdir and
# ../redis/lib.bash:
#   COLLECTOR                       the binary ($BUILD/bin/zw-collector)
#   zw_need_collector               exit 77 when it is not built
#   zw_collector_start NAME ARGS... `zw-collector run` in the background with
#                                   the test's store and Redis; log in
#                                   $tmp/NAME.log, pid in COLLECTOR_PID[NAME]
#   zw_collector_wait NAME          wait for it; its exit status
#   zw_store_count                  alerts in $tmp/store.db (python3 sqlite3)
#   zw_sensor_replay ID OUT PCAP... replay into the stream, alerts to OUT

COLLECTOR=${ZW_COLLECTOR:-$BUILD/bin/zw-collector}
declare -A COLLECTOR_PID

zw_need_collector() {
	if [ ! -x "$COLLECTOR" ]; then
		echo "SKIP: no collector binary at $COLLECTOR (run make)"
		exit 77
	fi
}

zw_collector_start() {
	local name=$1
	shift
	"$COLLECTOR" run --store "$tmp/store.db" --redis "redis://127.0.0.1:$REDIS_PORT/0" \
		--consumer "$name" "$@" >>"$tmp/$name.log" 2>&1 </dev/null &
	COLLECTOR_PID[$name]=$!
}

zw_collector_wait() {
	local st=0
	wait "${COLLECTOR_PID[$1]}" || st=$?
	return "$st"
}

zw_store_count() {
	python3 -c 'import sqlite3, sys
try:
    print(sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True).execute("SELECT count(*) FROM alerts").fetchone()[0])
except sqlite3.Error:
    print(0)' "$tmp/store.db"
}

zw_sensor_replay() {
	local id=$1 out=$2
	shift 2
	local args=()
	for p in "$@"; do args+=(-r "$p"); done
	"$SENSOR" -q --sensor-id "$id" "${args[@]}" --rules tests/redis/rules --alerts "$out" \
		--redis "redis://127.0.0.1:$REDIS_PORT/0" -o spool.dir="$tmp/spool-$id" \
		-o redis.heartbeat_interval=1 2>"$tmp/sensor-$id.err"
}
