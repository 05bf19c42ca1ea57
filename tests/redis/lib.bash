# Shared by tests/redis/*.sh: a throwaway redis-server per test.
#
#   . "$(dirname "$0")/lib.bash"      (after ../lib.sh and zw_tmpdir)
#   zw_redis_start [extra redis-server args...]   sets REDIS_PORT, REDIS_PID
#   zw_redis_stop                                 kill -9 (data persisted: AOF)
#   zw_redis_cli ARGS...                          redis-cli on that server
#   zw_stream_entries KEY                         the stream's entries, oldest first,
#                                                 one JSON object (field: value) a line
#
# The server persists with appendonly yes / appendfsync always, so a kill -9
# loses nothing that Redis acknowledged: what a production Redis for alerts
# should do too (doc/redis.md).  Its files live in $tmp/redis (zw_tmpdir
# first).  The server gets no descriptor 3 (a test's pipe to the sensor must
# reach EOF when the test closes it).  Exit 77 (skip) when redis-server or redis-cli is missing.

command -v redis-server >/dev/null && command -v redis-cli >/dev/null || {
	echo "SKIP: redis-server / redis-cli not installed (scripts/deps.sh installs them)"
	exit 77
}

REDIS_PORT=
REDIS_PID=
REDIS_ARGS=()

zw_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

zw_redis_start() {
	mkdir -p "$tmp/redis"
	[ -n "$REDIS_PORT" ] || REDIS_PORT=$(zw_free_port)
	[ "$#" -eq 0 ] || REDIS_ARGS=("$@")
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$tmp/redis" --save "" \
		--appendonly yes --appendfsync always --daemonize no "${REDIS_ARGS[@]}" \
		>>"$tmp/redis/server.log" 2>&1 3>&- </dev/null &
	REDIS_PID=$!
	for _ in $(seq 100); do
		redis-cli -p "$REDIS_PORT" "${REDIS_AUTH[@]}" ping 2>/dev/null | grep -q PONG && return 0
		sleep 0.05
	done
	echo "FAIL: redis-server did not start on port $REDIS_PORT: $(tail -3 "$tmp/redis/server.log")"
	exit 1
}

zw_redis_stop() {
	[ -n "$REDIS_PID" ] || return 0
	kill -9 "$REDIS_PID" 2>/dev/null
	wait "$REDIS_PID" 2>/dev/null
	REDIS_PID=
}

REDIS_AUTH=()
zw_redis_cli() {
	redis-cli -p "$REDIS_PORT" "${REDIS_AUTH[@]}" "$@"
}

# Non-zero when XRANGE or jq failed.
zw_stream_entries() {
	local out
	out=$(zw_redis_cli --json XRANGE "$1" - +) || return 1
	jq -c '.[] | .[1] | [range(0; length; 2) as $i | {(.[$i]): .[$i + 1]}] | add' <<<"$out"
}

trap 'zw_redis_stop; [ -n "${ZW_KEEP_TMP:-}" ] || rm -rf "$tmp"' EXIT
