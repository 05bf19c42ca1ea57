#!/usr/bin/env bash
# Indicator-list micro-benchmark (part of make bench):  BUILD=build tests/bench/bench-ioc.sh
#
# Runs $BUILD/tools/zw-bench-ioc (see its header) with 1,000,000 generated
# indicators, then with 10,000, and prints:
#   - load time of 1M entries from a Zeek Intel file (target: a few seconds);
#   - IP lookup speed against nDPI 4.2's Patricia tree on the same entries
#     and lookups, same run (the ratio; the tool checks both give the same
#     entries);
#   - ns per IP / domain lookup with 10k and 1M entries: lookups are hash
#     probes, so the cost should not grow with the list (it grows a little
#     with cache misses once the tables outgrow the CPU cache).
# A benchmark, not a test: exit 0 whatever the numbers; 1 if the tool fails.
set -u

. "$(dirname "$0")/../lib.sh"
tool=$BUILD/tools/zw-bench-ioc
[ -x "$tool" ] || { echo "bench-ioc: $tool not built: run make" >&2; exit 1; }
target_load_s=5

run() { # ENTRIES LOG
	"$tool" -n "$1" -m 2000000 >"$2" 2>&1 || { cat "$2" >&2; echo "bench-ioc: $tool -n $1 failed" >&2; exit 1; }
}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
run 1000000 "$tmp/big"
run 10000 "$tmp/small"
cat "$tmp/big"

field() { # LOG PATTERN AWK-FIELD
	grep -m1 -- "$2" "$1" | awk "{ print \$$3 }"
}
load=$(field "$tmp/big" "(Zeek Intel file)" 5)
ip_big=$(field "$tmp/big" "^ioc: ip lookups" 10)
ip_small=$(field "$tmp/small" "^ioc: ip lookups" 10)
dom_big=$(field "$tmp/big" "^ioc: domain lookups" 10)
dom_small=$(field "$tmp/small" "^ioc: domain lookups" 10)

echo
echo "== indicator lists: summary"
printf '  %-44s %10s\n' "load 1M entries (Zeek Intel)" "${load} s"
printf '  %-44s %10s\n' "IP lookup, 10k entries" "${ip_small} ns"
printf '  %-44s %10s\n' "IP lookup, 1M entries" "${ip_big} ns"
printf '  %-44s %10s\n' "domain lookup, 10k entries" "${dom_small} ns"
printf '  %-44s %10s\n' "domain lookup, 1M entries" "${dom_big} ns"
grep "^ratio" "$tmp/big" | sed 's/^/  /'
awk -v v="$load" -v l="$target_load_s" 'BEGIN { exit !(v <= l) }' && verdict=MET || verdict="NOT MET"
printf '  target: 1M entries load in <= %s s: %s\n' "$target_load_s" "$verdict"
exit 0
