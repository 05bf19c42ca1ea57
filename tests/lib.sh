# Shared prologue of the test and bench scripts; source it, do not run it.
#
#   . "$(dirname "$0")/../lib.sh"      (from tests/replay, tests/live, tests/bench)
#
# Sets: top (repository root, and cds there), BUILD (absolute; a relative
# BUILD is taken from the caller's directory if it exists there, else from
# the root), SENSOR (ZW_SENSOR or $BUILD/bin/zw-sensor).
# Functions:
#   zw_need_sensor      exit 77 (skip) when the sensor is not built
#   zw_need_jq          exit 1 when jq is missing
#   zw_tmpdir NAME      make $tmp (mktemp) and remove it on exit; a script
#                       with its own EXIT trap calls mktemp itself instead

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in
/*) ;;
*) if [ -d "$PWD/$BUILD" ]; then BUILD=$PWD/$BUILD; else BUILD=$top/$BUILD; fi ;;
esac
export BUILD
cd "$top" || exit 1
SENSOR=${ZW_SENSOR:-$BUILD/bin/zw-sensor}

zw_need_sensor() {
	if [ ! -x "$SENSOR" ]; then
		echo "SKIP: no sensor binary at $SENSOR (run make)"
		exit 77
	fi
}

zw_need_jq() {
	if ! command -v jq >/dev/null; then
		echo "FAIL: jq is not installed (scripts/deps.sh installs it)"
		exit 1
	fi
}

# zw_refused DESCRIPTION PATTERN COMMAND...: ok when COMMAND exits 2 with
# PATTERN (grep) in its stderr, else FAIL and bad+1 (uses $tmp).
zw_refused() {
	local what=$1 pattern=$2 st
	shift 2
	"$@" </dev/null >/dev/null 2>"$tmp/err"
	st=$?
	if [ "$st" -eq 2 ] && grep -q -- "$pattern" "$tmp/err"; then
		echo "ok   $what: exit 2, $(grep -o -- "$pattern.*" "$tmp/err" | head -n 1)"
	else
		echo "FAIL $what: exit $st: $(head -c 300 "$tmp/err")"
		bad=$((bad + 1))
	fi
}

zw_tmpdir() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/zw-$1.XXXXXX") || exit 1
	trap 'rm -rf "$tmp"' EXIT
	trap 'exit 130' INT TERM
}
