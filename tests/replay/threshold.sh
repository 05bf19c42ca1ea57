#!/usr/bin/env bash
# Thresholds on a capture with many identical events: ftp-crack.pcap (a
# brute-force of FTP logins: one clear-text-credentials risk per attempt).
#  1. tests/replay/rules-threshold/: sid 9200 fires on every event; 9201-9204
#     apply limit / threshold / both with each track mode.  An independent
#     model (threshold_model.py) of the documented semantics must choose the
#     same alerts with the same suppressed_before counts, and the final
#     statistics must count every alert held back, per sid.
#  2. The shipped rules: sid 3008 ("limit, by_src, count 5, seconds 3600")
#     writes at most 5 alerts per source and reports the rest as thresholded.
# Exit: 0 pass, 1 fail, 77 skip.
set -u

. "$(dirname "$0")/../lib.sh"
zw_need_sensor
zw_need_jq
zw_tmpdir threshold

cap=test-pcaps/attacks/ftp-crack.pcap
fail=0
problem() { echo "FAIL: $*"; fail=1; }

"$SENSOR" -q -w 2 -r "$cap" --rules tests/replay/rules-threshold --alerts "$tmp/a.json" \
	--stats "$tmp/s.json" || problem "zw-sensor failed"
python3 tests/replay/threshold_model.py "$tmp/a.json" 9200 \
	9201:limit:by_src:5:60 9202:threshold:by_dst:10:60 9203:both:by_pair:3:30 \
	9204:limit:by_rule:2:3600 || problem "the sensor's thresholds differ from the model"
events=$(jq -c 'select(.alert.signature_id == 9200)' "$tmp/a.json" | wc -l)
[ "$events" -gt 100 ] || problem "only $events events: the capture no longer raises the risk"
for sid in 9201 9202 9203 9204; do
	written=$(jq -c --argjson s "$sid" 'select(.alert.signature_id == $s)' "$tmp/a.json" | wc -l)
	held=$(jq -r --arg s "$sid" 'select(.final) | .alerts.thresholded_by_sid[$s] // 0' "$tmp/s.json")
	if [ $((written + held)) -ne "$events" ]; then
		problem "sid $sid: $written written + $held reported as thresholded != $events events"
	else
		echo "ok   sid $sid: $written written, $held reported thresholded (of $events)"
	fi
done

"$SENSOR" -q -r "$cap" --rules signatures --alerts "$tmp/ship.json" --stats "$tmp/ship-s.json" ||
	problem "zw-sensor with the shipped rules failed"
per_src=$(jq -r 'select(.alert.signature_id == 3008) | .src_ip' "$tmp/ship.json" | sort | uniq -c |
	awk '$1 > 5 { print }')
[ -z "$per_src" ] || problem "sid 3008 wrote more than 5 alerts for a source: $per_src"
n3008=$(jq -c 'select(.alert.signature_id == 3008)' "$tmp/ship.json" | wc -l)
held=$(jq -r 'select(.final) | .alerts.thresholded_by_sid["3008"] // 0' "$tmp/ship-s.json")
if [ $((n3008 + held)) -ne "$events" ]; then
	problem "shipped sid 3008: $n3008 written + $held thresholded != $events events"
else
	echo "ok   shipped sid 3008: $n3008 written, $held reported thresholded (of $events)"
fi
python3 tests/replay/validate_alerts.py doc/alert.schema.json "$tmp/a.json" "$tmp/ship.json" ||
	problem "alerts do not validate against doc/alert.schema.json"
[ "$fail" -eq 0 ] && echo "PASS: thresholds match the model and every held alert is counted"
exit "$fail"
