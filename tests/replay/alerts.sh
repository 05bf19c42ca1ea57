#!/usr/bin/env bash
# Shipped rules on real captures: for each row of tests/replay/alerts.tsv,
# replay the captures with signatures/ (or the row's rules) and the row's
# test config, and
#   - compare the alerts, reduced to one line each, with the reviewed file
#     tests/replay/expected/<name>.alerts;
#   - check that the row's must-have sids fired (so a regenerated expected
#     file cannot quietly lose them);
#   - validate every alert against doc/alert.schema.json.
# ZW_REGEN=1 writes the expected files instead of comparing (review the diff
# with git before committing: scripts/regen-expected-alerts.sh).
#
# Exit: 0 pass, 1 fail, 77 skip (no sensor binary).
set -u

. "$(dirname "$0")/../lib.sh"
zw_need_sensor
zw_need_jq
zw_tmpdir alerts

table=tests/replay/alerts.tsv
expdir=tests/replay/expected
schema=doc/alert.schema.json
validator=tests/replay/validate_alerts.py
regen=${ZW_REGEN:-0}
mkdir -p "$expdir"

# One line per alert: what an analyst checks, without ids and times.
reduce() {
	jq -r 'def ep(ip; port): (if (ip | contains(":")) then "[\(ip)]" else ip end) + ":\(port // "-")";
		[.alert.signature_id, .alert.rev, .alert.severity,
		ep(.src_ip; .src_port), ep(.dest_ip; .dest_port),
		.app_proto, .trigger, .src_zone.key, .dest_zone.key,
		([.evidence[] | "\(.field)=\(.value)\(if .list then "@" + .list else "" end)"] | join(" "))]
		| @tsv' "$1"
}

rows=0
bad=0
while IFS=$'\t' read -r name conf caps must rules; do
	case $name in '' | '#'*) continue ;; esac
	rows=$((rows + 1))
	args=(-q --rules "${rules:-signatures}" -w 2)
	[ "$conf" = - ] || args+=(-c "tests/replay/conf/$conf")
	for c in $caps; do
		args+=(-r "test-pcaps/$c")
	done
	out=$tmp/$name.json
	problems=()
	if ! "$SENSOR" "${args[@]}" --alerts "$out" </dev/null >/dev/null 2>"$tmp/err"; then
		problems+=("zw-sensor failed: $(head -c 300 "$tmp/err")")
	fi
	[ -f "$out" ] || : >"$out"
	reduce "$out" >"$tmp/$name.alerts"
	if [ "$regen" = 1 ]; then
		cp "$tmp/$name.alerts" "$expdir/$name.alerts"
	elif [ ! -f "$expdir/$name.alerts" ]; then
		problems+=("no expected file $expdir/$name.alerts (ZW_REGEN=1 writes it)")
	elif ! cmp -s "$expdir/$name.alerts" "$tmp/$name.alerts"; then
		problems+=("alerts differ from $expdir/$name.alerts:
$(diff -u "$expdir/$name.alerts" "$tmp/$name.alerts" | sed -n '3,20p' | cut -c1-300)")
	fi
	for sid in $must; do
		if ! cut -f1 "$tmp/$name.alerts" | grep -qx "$sid"; then
			problems+=("sid $sid did not fire")
		fi
	done
	if [ -s "$out" ] && ! python3 "$validator" "$schema" "$out" >"$tmp/val" 2>&1; then
		problems+=("schema: $(head -5 "$tmp/val")")
	fi
	if [ "${#problems[@]}" -eq 0 ]; then
		echo "ok   $name ($(wc -l <"$tmp/$name.alerts") alerts; must-have sids: $must)"
	else
		bad=$((bad + 1))
		echo "FAIL $name"
		for p in "${problems[@]}"; do
			printf '%s\n' "$p" | sed 's/^/     /'
		done
	fi
done <"$table"

[ "$rows" -gt 0 ] || { echo "FAIL: no rows in $table"; exit 1; }
echo
echo "shipped rules on real captures: $rows cases, $((rows - bad)) passed, $bad failed"
[ "$bad" -eq 0 ]
