#!/usr/bin/env bash
# SIGHUP reload during a replay.  zw-sensor reads one pcap stream from a pipe
# that the test writes in three parts, changing the rules in between:
#   rules v1: sid 9601 (Tor).                   part 1: tor.pcap
#   reload to v2: sid 9602 (BitTorrent) only.   part 2: bittorrent.pcap
#   reload to a broken file: rejected.          part 3: bt-dns.pcap
# Expected: 9601 fires on part 1's Tor flows; 9602 fires on part 2's and
# part 3's BitTorrent flows (the broken reload kept v2); the log names the
# broken file and line; no flow is lost: the flow records equal those of the
# three captures replayed one by one.
# A reload takes effect before the next packet read: the test signals first,
# then writes the next part, then waits for the log line.
# Exit: 0 pass, 1 fail, 77 skip.
set -u

. "$(dirname "$0")/../lib.sh"
zw_need_sensor
zw_need_jq
zw_tmpdir reload

p1=test-pcaps/ndpi/tor.pcap
p2=test-pcaps/ndpi/bittorrent.pcap
p3=test-pcaps/ndpi/bt-dns.pcap
rules=$tmp/rules
mkdir "$rules"
fail=0
problem() { echo "FAIL: $*"; fail=1; }

cat >"$rules/test.rules" <<'R'
alert (sid:9601; severity:high; threat:unauthorized-software; msg:"v1 Tor"; protocol:Tor;)
R

mkfifo "$tmp/pipe"
"$SENSOR" -r - --rules "$rules" --alerts "$tmp/alerts" --flows "$tmp/flows" <"$tmp/pipe" \
	2>"$tmp/log" &
pid=$!
exec 3>"$tmp/pipe"

# wait_log PATTERN: until the sensor logs PATTERN (10 s at most)
wait_log() {
	for _ in $(seq 100); do
		grep -q "$1" "$tmp/log" && return 0
		sleep 0.1
	done
	return 1
}

python3 tests/replay/pcapcat.py header "$p1" >&3
python3 tests/replay/pcapcat.py packets "$p1" >&3
sleep 2   # part 1 read and dispatched before the rules change

cat >"$rules/test.rules" <<'R'
alert (sid:9602; severity:high; threat:unauthorized-software; msg:"v2 BitTorrent";
       protocol:BitTorrent;)
R
kill -HUP "$pid"
sleep 0.5
python3 tests/replay/pcapcat.py packets "$p2" >&3
wait_log "reloaded: 1 rules" || problem "no 'reloaded' log line after the first SIGHUP"
sleep 2

printf 'alert (sid:9603; severity:high; msg:"broken" protocol:Tor;)\n' >"$rules/test.rules"
kill -HUP "$pid"
sleep 0.5
python3 tests/replay/pcapcat.py packets "$p3" >&3
wait_log "reload failed, keeping the previous rules: $rules/test.rules:1:" ||
	problem "no 'reload failed ... file:line:' log line after the broken SIGHUP"
exec 3>&-
wait "$pid" || problem "zw-sensor exited with status $?"

echo "--- sensor log"
grep -E "reload|rules" "$tmp/log"

count() { jq -r --argjson s "$1" "select(.alert.signature_id == \$s) | .app_proto" "$tmp/alerts" | sort | uniq -c | tr '\n' ' '; }
n9601=$(jq --argjson s 9601 'select(.alert.signature_id == $s)' -c "$tmp/alerts" | wc -l)
n9602=$(jq --argjson s 9602 'select(.alert.signature_id == $s)' -c "$tmp/alerts" | wc -l)
n9603=$(jq --argjson s 9603 'select(.alert.signature_id == $s)' -c "$tmp/alerts" | wc -l)
echo "--- alerts: 9601: $(count 9601); 9602: $(count 9602); 9603: $n9603"

# What each part should raise, from the flows of each capture on its own.
tor_flows=$("$SENSOR" -q -r "$p1" --flows - | jq -r 'select(.ndpi.app == "Tor" or .ndpi.master == "Tor")' -c | wc -l)
bt2=$("$SENSOR" -q -r "$p2" --flows - | jq -c 'select(.ndpi.app == "BitTorrent" or .ndpi.master == "BitTorrent")' | wc -l)
bt3=$("$SENSOR" -q -r "$p3" --flows - | jq -c 'select(.ndpi.app == "BitTorrent" or .ndpi.master == "BitTorrent")' | wc -l)
[ "$tor_flows" -gt 0 ] && [ "$bt2" -gt 0 ] && [ "$bt3" -gt 0 ] ||
	problem "test captures lost their classification (Tor $tor_flows, BitTorrent $bt2 + $bt3)"
[ "$n9601" -eq "$tor_flows" ] ||
	problem "sid 9601 (v1) fired $n9601 times, expected once per Tor flow of part 1 ($tor_flows)"
[ "$n9602" -eq $((bt2 + bt3)) ] ||
	problem "sid 9602 (v2) fired $n9602 times, expected $bt2 (part 2) + $bt3 (part 3, after the broken reload)"
[ "$n9603" -eq 0 ] || problem "the broken rule 9603 fired"

# No flow lost: the same flows as the three parts replayed one by one.
key='[.src_ip, .src_port, .dest_ip, .dest_port, .proto, .app_proto, .flow.pkts_toserver, .flow.pkts_toclient] | @tsv'
{ for p in "$p1" "$p2" "$p3"; do "$SENSOR" -q -r "$p" --flows - | jq -r "$key"; done; } |
	LC_ALL=C sort >"$tmp/flows.want"
jq -r "$key" "$tmp/flows" | LC_ALL=C sort >"$tmp/flows.got"
if ! cmp -s "$tmp/flows.want" "$tmp/flows.got"; then
	problem "flow records differ from the parts replayed one by one:
$(diff -u "$tmp/flows.want" "$tmp/flows.got" | sed -n '3,12p')"
fi
echo "flows: $(wc -l <"$tmp/flows.got") (replayed one by one: $(wc -l <"$tmp/flows.want"))"
python3 tests/replay/validate_alerts.py doc/alert.schema.json "$tmp/alerts" ||
	problem "alerts do not validate against doc/alert.schema.json"
[ "$fail" -eq 0 ] && echo "PASS: reload took the new rules, kept them over a broken file, lost no flow"
exit "$fail"
