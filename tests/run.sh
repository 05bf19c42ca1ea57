#!/usr/bin/env bash
# The zonewatch test suite (make test / make check):  BUILD=build tests/run.sh
#
# Runs, each as one test with a PASS/FAIL/SKIP line:
#   unit/test_X     every unit test binary $BUILD/tests/test_X
#   fuzz/X          every fuzz corpus replay: $BUILD/tests/fuzz_X-replay tests/fuzz/corpus/X
#   replay/NAME     every script tests/replay/NAME.sh
#   live/NAME       every script tests/live/NAME.sh
#   redis/NAME      every script tests/redis/NAME.sh (a throwaway redis-server each)
#   collector/NAME  every script tests/collector/NAME.sh (zw-collector; most with
#                   a throwaway redis-server)
# A test passes with exit 0, is skipped with exit 77, and fails otherwise
# (including a timeout).  Its output goes to $BUILD/test-logs/<name>.log; a
# failure prints the last 30 lines.  The last line is exactly
# "N passed, N failed" (then ", N skipped" if any were).  Exit 0 only if none
# failed.
#
# Environment:
#   BUILD              build directory (default build)
#   ZW_TEST_FILTER     extended regex: run only the tests whose name matches
#   ZW_TEST_TIMEOUT    seconds before a test is killed and failed (default 1800)
set -u

. "$(dirname "$0")/lib.sh"
filter=${ZW_TEST_FILTER:-}
limit=${ZW_TEST_TIMEOUT:-1800}
logs=$BUILD/test-logs

if [ -n "$filter" ]; then
	# Reject a bad regex once, rather than silently matching nothing.
	echo | grep -q -E -e "$filter" 2>/dev/null
	if [ $? -eq 2 ]; then
		echo "run.sh: ZW_TEST_FILTER is not a valid extended regex: $filter" >&2
		echo "0 passed, 1 failed"
		exit 1
	fi
fi

current_pid=
trap '[ -n "$current_pid" ] && kill -TERM "$current_pid" 2>/dev/null; exit 130' INT TERM

passed=0
failed=0
skipped=0
failed_names=()

# run_test NAME COMMAND...: runs one test, logs it, counts it.
run_test() {
	local name=$1
	shift
	if [ -n "$filter" ] && ! printf '%s\n' "$name" | grep -q -E -e "$filter"; then
		return
	fi
	local log=$logs/$name.log
	mkdir -p "$(dirname "$log")"
	local start=$SECONDS st
	{
		echo "# $name: $*"
		echo "# started $(date -u +%Y-%m-%dT%H:%M:%SZ) in $top"
	} >"$log"
	timeout -k 10 "$limit" "$@" </dev/null >>"$log" 2>&1 &
	current_pid=$!
	wait "$current_pid" 2>>"$log" # bash's "Segmentation fault" notice goes to the log
	st=$?
	current_pid=
	local secs=$((SECONDS - start))
	echo "# exit status $st after ${secs}s" >>"$log"
	case $st in
	0)
		passed=$((passed + 1))
		printf 'PASS  %-40s (%ss)\n' "$name" "$secs"
		;;
	77)
		skipped=$((skipped + 1))
		local why
		why=$(grep -v '^#' "$log" | grep -m1 -i 'skip' | cut -c1-120)
		printf 'SKIP  %-40s %s\n' "$name" "$why"
		;;
	*)
		failed=$((failed + 1))
		failed_names+=("$name")
		local what="exit status $st"
		[ "$st" -eq 124 ] && what="timed out after ${limit}s"
		[ "$st" -gt 128 ] && [ "$st" -ne 137 ] && what="killed by signal $((st - 128))"
		[ "$st" -eq 137 ] && what="killed (SIGKILL) after ${limit}s or by the system"
		printf 'FAIL  %-40s (%s; log %s)\n' "$name" "$what" "$log"
		echo "----- last 30 lines of $log"
		tail -n 30 "$log"
		echo "-----"
		;;
	esac
}

# Unit tests.
for bin in "$BUILD"/tests/test_*; do
	[ -f "$bin" ] && [ -x "$bin" ] || continue
	case $bin in *.o | *.d) continue ;; esac
	run_test "unit/${bin##*/}" "$bin"
done

# Fuzz targets built as plain programs that replay their corpus.
for bin in "$BUILD"/tests/fuzz_*-replay; do
	[ -f "$bin" ] && [ -x "$bin" ] || continue
	target=${bin##*/fuzz_}
	target=${target%-replay}
	corpus=tests/fuzz/corpus/$target
	if [ -d "$corpus" ]; then
		run_test "fuzz/$target" "$bin" "$corpus"
	else
		run_test "fuzz/$target" sh -c "echo 'no corpus folder $corpus for $bin'; exit 1"
	fi
done

# Scripts: exit 0 pass, 1 fail, 77 skip.
for dir in replay redis collector live; do
	for script in tests/"$dir"/*.sh; do
		[ -f "$script" ] || continue
		name=${script##*/}
		if [ -x "$script" ]; then
			run_test "$dir/${name%.sh}" "./$script"
		else
			run_test "$dir/${name%.sh}" bash "$script"
		fi
	done
done

if [ "${#failed_names[@]}" -gt 0 ]; then
	echo "failed: ${failed_names[*]}"
fi
summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]
