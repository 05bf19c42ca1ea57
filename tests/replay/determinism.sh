#!/usr/bin/env bash
# Determinism: for every capture under test-pcaps/ (ndpi, attacks, malformed),
# `zw-sensor -r CAPTURE --flows F -w N` for N = 1 and 3 must give the same flow
# records, every field included.  Records are canonicalised with `jq -S -c`
# (sorted keys, compact) and the lines sorted before comparing, so only the
# order of the lines may differ.  The exit status must also be the same.
# The shipped rules run too (with the zone test site tests/replay/conf/
# zones.conf): the alert files must be byte for byte the same, order
# included, since alerts are released in one order whatever -w; and every
# alert must validate against doc/alert.schema.json.
#
# Environment: BUILD (default build), ZW_SENSOR (default $BUILD/bin/zw-sensor),
# ZW_DETERMINISM_WORKERS (default "1 3": the first is the baseline; one
# number only runs every capture once, for the sanitizers, comparing nothing).
# Exit: 0 pass, 1 fail, 77 skip (no sensor binary).
set -u

. "$(dirname "$0")/../lib.sh"
read -r -a workers <<<"${ZW_DETERMINISM_WORKERS:-1 3}"

zw_need_sensor
zw_need_jq

zw_tmpdir determinism

files=0
bad=0
for cap in test-pcaps/ndpi/*.pcap test-pcaps/ndpi/*.pcapng \
	test-pcaps/attacks/*.pcap test-pcaps/attacks/*.pcapng \
	test-pcaps/malformed/*.pcap test-pcaps/malformed/*.pcapng; do
	[ -f "$cap" ] || continue
	files=$((files + 1))
	name=${cap#test-pcaps/}
	problems=()
	base_w=
	base_st=
	for w in "${workers[@]}"; do
		raw=$tmp/raw.$w
		alerts=$tmp/alerts.$w
		canon=$tmp/canon.$w
		err=$tmp/err.$w
		rm -f "$raw" "$alerts"
		timeout 120 "$SENSOR" -r "$cap" --flows "$raw" -w "$w" -c tests/replay/conf/zones.conf \
			--rules signatures --alerts "$alerts" </dev/null >/dev/null 2>"$err"
		st=$?
		if [ "$st" -eq 124 ]; then
			problems+=("-w $w: still running after 120 s (killed)")
		elif [ "$st" -gt 128 ]; then
			problems+=("-w $w: killed by signal $((st - 128))")
		elif [ "$st" -eq 2 ]; then
			problems+=("-w $w: exit 2 (usage error): $(head -c 200 "$err" | tr '\n' ' ')")
		fi
		if grep -q -E 'Sanitizer|runtime error:' "$err"; then
			problems+=("-w $w: sanitizer report: $(grep -m1 -E 'Sanitizer|runtime error:' "$err")")
		fi
		[ -f "$raw" ] || : >"$raw"
		[ -f "$alerts" ] || : >"$alerts"
		if ! jq -S -c . "$raw" 2>"$tmp/jqerr" | LC_ALL=C sort >"$canon"; then
			problems+=("-w $w: output is not JSON lines: $(head -c 200 "$tmp/jqerr")")
		fi
		if [ -z "$base_w" ]; then
			base_w=$w
			base_st=$st
			continue
		fi
		if [ "$st" -ne "$base_st" ]; then
			problems+=("exit status $base_st with -w $base_w but $st with -w $w")
		fi
		if ! cmp -s "$tmp/alerts.$base_w" "$alerts"; then
			problems+=("alerts differ: -w $base_w $(wc -l <"$tmp/alerts.$base_w") lines, -w $w $(wc -l <"$alerts") lines; diff excerpt:
$(diff -U0 "$tmp/alerts.$base_w" "$alerts" | sed -n '3,8p' | cut -c1-300)")
		fi
		if ! cmp -s "$tmp/canon.$base_w" "$canon"; then
			nb=$(wc -l <"$tmp/canon.$base_w")
			nw=$(wc -l <"$canon")
			only_b=$(LC_ALL=C comm -23 "$tmp/canon.$base_w" "$canon" | wc -l)
			only_w=$(LC_ALL=C comm -13 "$tmp/canon.$base_w" "$canon" | wc -l)
			problems+=("-w $base_w: $nb records, -w $w: $nw records; $only_b only with -w $base_w, $only_w only with -w $w; diff excerpt:
$(diff -U0 "$tmp/canon.$base_w" "$canon" | sed -n '3,12p' | cut -c1-400)")
		fi
	done
	cat "$tmp/alerts.$base_w" >>"$tmp/all-alerts"
	if [ "${#problems[@]}" -eq 0 ]; then
		echo "ok   $name ($(wc -l <"$tmp/canon.$base_w") records, $(wc -l <"$tmp/alerts.$base_w") alerts)"
	else
		bad=$((bad + 1))
		echo "DIFF $name"
		for p in "${problems[@]}"; do
			printf '%s\n' "$p" | sed 's/^/     /'
		done
	fi
done

if [ "$files" -eq 0 ]; then
	echo "FAIL: no captures found under test-pcaps/"
	exit 1
fi
echo
# every alert of every capture against the published schema
if [ -s "$tmp/all-alerts" ]; then
	if python3 tests/replay/validate_alerts.py doc/alert.schema.json "$tmp/all-alerts" \
		>"$tmp/schema" 2>&1; then
		echo "schema: $(tail -1 "$tmp/schema")"
	else
		tail -12 "$tmp/schema"
		echo "FAIL: alerts do not validate against doc/alert.schema.json"
		bad=$((bad + 1))
	fi
fi
if [ "${#workers[@]}" -eq 1 ]; then
	echo "each of $files captures run once with -w ${workers[0]} (nothing compared): $bad with problems"
else
	echo "determinism (-w ${workers[*]}): $files captures, $((files - bad)) identical, $bad different"
fi
[ "$bad" -eq 0 ] || exit 1
exit 0
