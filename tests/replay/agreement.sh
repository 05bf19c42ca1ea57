#!/usr/bin/env bash
# Agreement with ndpiReader 4.2: replay every capture of test-pcaps/ndpi and
# test-pcaps/attacks with `zw-sensor -r CAPTURE --flows OUT.json -w 1` and
# compare OUT.json with reference/<capture>.csv (tests/replay/compare.py says
# how flows are matched).
#
#   tests/replay/agreement.sh [MIN_PRESENT_PCT [MIN_AGREE_PCT]]   (default 99 99)
#
# Environment: BUILD (default build), ZW_SENSOR (default $BUILD/bin/zw-sensor),
# ZW_AGREEMENT_KEEP=DIR keeps the flow files in DIR.
# Exit: 0 pass, 1 fail (thresholds missed, a crash or hang, a sanitizer
# report, unreadable output), 77 skip (no sensor binary).
set -u

. "$(dirname "$0")/../lib.sh"
min_present=${1:-99}
min_agree=${2:-99}

zw_need_sensor

zw_tmpdir agreement
out=${ZW_AGREEMENT_KEEP:-$tmp/flows}
mkdir -p "$out" || exit 1

list=$tmp/list.tsv
: >"$list"
hard_fail=0
n=0
for dir in test-pcaps/ndpi test-pcaps/attacks; do
	for cap in "$dir"/*.pcap "$dir"/*.pcapng; do
		[ -f "$cap" ] || continue
		base=${cap##*/}
		name=${dir#test-pcaps/}/$base
		ref=$dir/reference/$base.csv
		if [ ! -f "$ref" ]; then
			echo "FAIL $name: no reference $ref"
			hard_fail=1
			continue
		fi
		json=$out/${name//\//_}.json
		err=$tmp/${name//\//_}.err
		timeout 120 "$SENSOR" -r "$cap" --flows "$json" -w 1 </dev/null >/dev/null 2>"$err"
		st=$?
		n=$((n + 1))
		if [ "$st" -eq 124 ]; then
			echo "FAIL $name: sensor still running after 120 s (killed)"
			hard_fail=1
		elif [ "$st" -gt 128 ]; then
			echo "FAIL $name: sensor killed by signal $((st - 128))"
			hard_fail=1
		elif [ "$st" -eq 2 ]; then
			echo "FAIL $name: sensor exit 2 (usage error): $(head -c 300 "$err" | tr '\n' ' ')"
			hard_fail=1
		elif [ "$st" -ne 0 ]; then
			echo "NOTE $name: sensor exit $st: $(head -c 300 "$err" | tr '\n' ' ')"
		fi
		if grep -q -E 'Sanitizer|runtime error:' "$err"; then
			echo "FAIL $name: sanitizer report:"
			sed -n '1,20p' "$err"
			hard_fail=1
		fi
		printf '%s\t%s\t%s\t%s\n' "$name" "$ref" "$json" "$st" >>"$list"
	done
done

if [ "$n" -eq 0 ]; then
	echo "FAIL: no captures found under test-pcaps/ndpi and test-pcaps/attacks"
	exit 1
fi
echo "replayed $n captures with $SENSOR -w 1"
echo

python3 tests/replay/compare.py --list "$list" --min-present "$min_present" --min-agree "$min_agree"
cmp_st=$?

if [ "$hard_fail" -ne 0 ]; then
	echo "FAIL: the sensor crashed, hung or reported a sanitizer error (see above)"
	exit 1
fi
[ "$cmp_st" -eq 0 ] || exit 1
exit 0
