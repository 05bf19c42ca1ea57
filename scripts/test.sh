#!/bin/sh
# The whole test suite, as CI runs it: install what is needed, build with
# warnings as errors, run the suite, then run it again under AddressSanitizer
# + UndefinedBehaviorSanitizer, then cppcheck, then each libFuzzer target
# for 12 s.  Ends with one line "N passed, N failed".
#
#   scripts/test.sh            everything
#   ZW_TEST_FILTER=regex       only tests whose name matches
set -u
cd "$(dirname "$0")/.." || exit 1

sh scripts/deps.sh || exit 1

total_pass=0
total_fail=0
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

run_suite() {   # $1: label, rest: make arguments
	label=$1
	shift
	echo "=== $label: make $*"
	make -j2 "$@" >"$logdir/$label.log" 2>&1
	status=$?
	cat "$logdir/$label.log"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$logdir/$label.log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "$label: the suite did not run (make exited $status)"
		total_fail=$((total_fail + 1))
		return
	fi
	p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		total_fail=$((total_fail + 1))
	fi
}

run_suite build WERROR=1 test
run_suite asan WERROR=1 asan

check() {   # $1: label, rest: command; one more test passed or failed
	label=$1
	shift
	echo "=== $label: $*"
	if "$@"; then
		echo "PASS  $label"
		total_pass=$((total_pass + 1))
	else
		echo "FAIL  $label"
		total_fail=$((total_fail + 1))
	fi
}

check lint make lint
check fuzz make fuzz-run FUZZ_SECONDS=8   # 9 targets; CI has 20 minutes in all

echo "${total_pass} passed, ${total_fail} failed"
[ "$total_fail" -eq 0 ]
