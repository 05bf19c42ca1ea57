#!/bin/sh
# Install the Debian 12 packages zonewatch needs to build, run, test and
# benchmark.  Safe to run again: apt-get skips what is already installed.
# Runs as root, or through sudo when it is there.
#
#   scripts/deps.sh          everything (build + run + tests + bench)
#   scripts/deps.sh --run    only what building and running the sensor needs
set -eu

RUN_PKGS="build-essential pkg-config libpcap-dev libndpi-dev libhiredis-dev libmaxminddb-dev libjansson-dev libsqlite3-dev redis-server"
# tests and benchmarks: ndpiReader (the reference peer), replay into veth,
# real attack tools against a namespace (tests/live/detect.sh: nmap, hping3, curl),
# JSON tools (and the alert schema validator), fuzzing with clang/libFuzzer, peak-RSS timing, static analysis,
# encrypted transport to Redis (tests/redis/tls.sh: a throwaway CA, stunnel with mutual TLS, spiped),
# rendering the collector's HTML report headless (tests/collector/report.sh; a CJK font for its labels)
TEST_PKGS="sqlite3 libndpi-bin tcpreplay tcpdump iproute2 nmap hping3 curl jq python3 python3-jsonschema clang libclang-rt-14-dev time procps cppcheck openssl stunnel4 spiped chromium fonts-ipafont-gothic"

pkgs="$RUN_PKGS"
[ "${1:-}" = "--run" ] || pkgs="$RUN_PKGS $TEST_PKGS"

if [ "$(id -u)" -eq 0 ]; then
	SUDO=
elif command -v sudo >/dev/null 2>&1; then
	SUDO=sudo
else
	echo "deps.sh: run as root or install sudo" >&2
	exit 1
fi

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "deps.sh: all packages present"
	exit 0
fi
echo "deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
