# Shared by tests/live/*.sh: a network namespace holding one end of a veth
# pair, for zw-sensor -i to capture what tcpreplay sends into the other end.
#
#   . "$(dirname "$0")/lib.bash"        (after ../lib.sh; defines skip unless
#                                        the script has its own)
#   zw_live_require                      exit 77 unless root, ip netns, tcpreplay, the sensor
#   zw_netns_up NS HOST_IF NS_IF ERRFILE [MTU]
#                                        create both, up, MTU 9000 by default
#                                        (exit 77 when the kernel refuses)
#   zw_veth_up NS HOST_IF NS_IF ERRFILE [MTU]
#                                        one more veth pair into the existing NS
#   zw_netns_down NS HOST_IF             remove them (no error if gone)
#   zw_wait_capture NS PID               0 once PID opened a packet socket in NS
#                                        (within 15 s), 1 if it exited or never did
#   zw_tcpreplay_sent FILE               prints the "Successful packets" count of
#                                        tcpreplay's output in FILE ("" if none)
#   zw_stop_sensor                       SIGTERM to $sensor_pid; fail unless it exits
#                                        with status 0 within 30 s and wrote
#                                        $tmp/stats.json; clears sensor_pid
#   zw_live_harness NS HOST_IF NAME      sets ns, host_if, tmp (a new directory
#                                        /tmp/NAME.XXXXXX) and sensor_pid=; defines
#                                        cleanup (kills $sensor_pid, even if stopped,
#                                        removes the link and $tmp; on EXIT) and
#                                        fail MESSAGE (prints it and the end of
#                                        $tmp/sensor.err, exits 1)
#
# Kernel noise: IPv6 is disabled on both veth ends before they come up (no
# router solicitations, MLD reports or DAD probes), and neither end has an
# IPv4 address (no ARP replies), so nothing but tcpreplay's frames should be
# on the link.

declare -F skip >/dev/null || skip() { echo "SKIP: $*"; exit 77; }

zw_live_require() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (network namespace, veth, packet capture)"
	command -v ip >/dev/null && ip netns list >/dev/null 2>&1 || skip "no 'ip netns' (install iproute2)"
	command -v tcpreplay >/dev/null || skip "no tcpreplay (install tcpreplay)"
	[ -x "$SENSOR" ] || skip "no sensor binary at $SENSOR (run make)"
}

zw_netns_up() {
	local ns=$1 host_if=$2 ns_if=$3 err=$4 mtu=${5:-9000}
	ip netns add "$ns" 2>"$err" || skip "cannot create a network namespace: $(cat "$err")"
	# `ip netns exec` needs / to be a mount point (not so in a plain chroot)
	ip netns exec "$ns" true 2>"$err" || skip "cannot run in a network namespace: $(cat "$err")"
	zw_veth_up "$@"
}

zw_veth_up() {
	local ns=$1 host_if=$2 ns_if=$3 err=$4 mtu=${5:-9000}
	ip link add "$host_if" type veth peer name "$ns_if" netns "$ns" 2>"$err" ||
		skip "cannot create a veth pair: $(cat "$err")"
	# before the links come up; no error if the kernel has no IPv6 at all
	echo 1 2>/dev/null >"/proc/sys/net/ipv6/conf/$host_if/disable_ipv6"
	ip netns exec "$ns" sh -c "echo 1 >/proc/sys/net/ipv6/conf/$ns_if/disable_ipv6" 2>/dev/null
	ip link set "$host_if" mtu "$mtu" up 2>"$err" || { echo "FAIL: cannot bring $host_if up: $(cat "$err")"; exit 1; }
	ip netns exec "$ns" ip link set "$ns_if" mtu "$mtu" up 2>"$err" ||
		{ echo "FAIL: cannot bring $ns_if up: $(cat "$err")"; exit 1; }
}

zw_netns_down() {
	ip link del "$2" 2>/dev/null # also removes the peer
	ip netns del "$1" 2>/dev/null
}

# Ready when a packet socket exists in the namespace (only the sensor opens one).
zw_wait_capture() {
	local ns=$1 pid=$2
	for _ in $(seq 1 150); do
		kill -0 "$pid" 2>/dev/null || return 1
		[ "$(ip netns exec "$ns" cat /proc/net/packet 2>/dev/null | wc -l)" -gt 1 ] && return 0
		sleep 0.1
	done
	return 1
}

zw_tcpreplay_sent() {
	sed -n 's/^[[:space:]]*Successful packets:[[:space:]]*\([0-9]*\).*/\1/p' "$1" | head -n 1
}

zw_stop_sensor() {
	kill -TERM "$sensor_pid" 2>/dev/null
	for _ in $(seq 1 300); do
		kill -0 "$sensor_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$sensor_pid" 2>/dev/null && fail "the sensor was still running 30 s after SIGTERM"
	wait "$sensor_pid" || fail "the sensor exited with status $? after SIGTERM"
	sensor_pid=
	[ -s "$tmp/stats.json" ] || fail "the sensor wrote no statistics"
}

zw_live_harness() {
	ns=$1
	host_if=$2
	sensor_pid=
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/$3.XXXXXX") || exit 1
	trap cleanup EXIT
	trap 'exit 130' INT TERM HUP
}

# (a script's own cleanup or fail, defined before this file, is kept)
declare -F cleanup >/dev/null || cleanup() {
	if [ -n "${sensor_pid:-}" ] && kill -0 "$sensor_pid" 2>/dev/null; then
		kill -CONT "$sensor_pid" 2>/dev/null
		kill -KILL "$sensor_pid" 2>/dev/null
		wait "$sensor_pid" 2>/dev/null
	fi
	zw_netns_down "$ns" "$host_if"
	rm -rf "$tmp"
}

declare -F fail >/dev/null || fail() {
	echo "FAIL: $*"
	if [ -s "$tmp/sensor.err" ]; then
		echo "----- sensor stderr (last 20 lines)"
		tail -n 20 "$tmp/sensor.err"
	fi
	exit 1
}
