#!/usr/bin/env bash
# zw-sensor --check-rules: the shipped rules are valid (exit 0); each broken
# rules directory or config gives exit 1 and exactly the expected first
# error, file:line:col and what was expected.
# Exit: 0 pass, 1 fail, 77 skip.
set -u

. "$(dirname "$0")/../lib.sh"
zw_need_sensor
zw_tmpdir checkrules

fail=0
n=0

if out=$("$SENSOR" --check-rules signatures 2>&1); then
	echo "ok   shipped rules: $out"
else
	echo "FAIL shipped rules are not valid: $out"
	fail=1
fi

# case NAME EXPECTED-STDERR RULES-TEXT [CONFIG-TEXT]
case_() {
	local name=$1 want=$2 rules=$3 conf=${4:-}
	local d=$tmp/$name
	n=$((n + 1))
	mkdir -p "$d/rules"
	printf '%s' "$rules" >"$d/rules/t.rules"
	local args=(--check-rules "$d/rules")
	if [ -n "$conf" ]; then
		printf '%s\n' "$conf" >"$d/c.conf"
		args=(-c "$d/c.conf" "${args[@]}")
	fi
	local got st
	got=$("$SENSOR" "${args[@]}" 2>&1)
	st=$?
	got=${got//$d/DIR}
	if [ "$st" -eq 1 ] && [ "$got" = "$want" ]; then
		echo "ok   $name"
	else
		echo "FAIL $name: exit $st"
		echo "     want: $want"
		echo "     got:  $got"
		fail=1
	fi
}

case_ unknown-proto 'DIR/rules/t.rules:2:50: expected an nDPI protocol name, found '"'"'Torr'"'"'' \
'# comment
alert (sid:1; severity:high; threat:malware; app:Torr; msg:"x";)
'
case_ missing-semicolon 'DIR/rules/t.rules:1:54: expected '"';'"' or '"')'"' after a value, found '"'"'msg:"x";)'"'"'' \
'alert (sid:1; severity:high; threat:malware; app:Tor msg:"x";)
'
case_ japanese-column 'DIR/rules/t.rules:2:17: expected severity critical, high, medium, low or info, found '"'"'重大'"'"'' \
'alert (sid:1; msg:"日本語のメッセージ"; threat:malware;
       severity:重大; app:Tor;)
'
case_ unclosed 'DIR/rules/t.rules:2:1: expected '"')'"' to close the statement begun at line 1' \
'alert (sid:1; severity:high; threat:malware; msg:"x";
'
case_ duplicate-sid 'DIR/rules/t.rules:2:1: expected a unique sid: 7 is already used at DIR/rules/t.rules:1' \
'alert (sid:7; severity:high; threat:malware; msg:"a"; app:Tor;)
alert (sid:7; severity:high; threat:malware; msg:"b"; app:Tor;)
'
case_ reserved-sid 'DIR/rules/t.rules:1:8: expected a sid outside 9000-9199 (the sensor'"'"'s health and behaviour alerts), found 9004' \
'alert (sid:9004; severity:high; threat:outage; msg:"a"; app:Tor;)
'
case_ unknown-list 'DIR/rules/t.rules:1:58: unknown list '"'"'@nope'"'"' (no lists/nope.list, .txt or .intel in the rules directory and no lists.nope in the config)' \
'alert (sid:1; severity:high; threat:malware; msg:"a"; ip:@nope;)
'
case_ unknown-zone 'DIR/rules/t.rules:1:64: expected a zone key or name defined in the config (or '"'"'external'"'"'), found '"'"'dmz'"'"'' \
'alert (sid:1; severity:high; threat:malware; msg:"a"; src.zone:dmz;)
'
# a list file with a bad line
mkdir -p "$tmp/bad-list-entry/rules/lists"
printf '# feed\n10.0.0.1\n1.2.3\n' >"$tmp/bad-list-entry/rules/lists/bad.list"
case_ bad-list-entry 'DIR/rules/lists/bad.list:3:1: expected an IP address, CIDR prefix, domain, JA3 or SHA-1, got '"'"'1.2.3'"'"'' \
'alert (sid:1; severity:high; threat:malware; msg:"a"; ip:@bad;)
'
case_ zone-overlap 'zone.lgwan.networks: zone lgwan: '"'"'10.0.0.0/8'"'"' is listed twice (also in zone core)' \
'' 'zone.core.networks = 10.0.0.0/8
zone.lgwan.networks = 10.0.0.0/8'
case_ bad-site-list 'site.proxies: '"'"'10.0.0.300'"'"': expected an IP address or CIDR prefix, got '"'"'10.0.0.300'"'"'' \
'alert (sid:1; severity:high; threat:malware; msg:"a"; !dst.ip:@proxies;)
' 'site.proxies = 10.0.0.300'

# a name from nDPI's custom protocols file resolves only with that file
n=$((n + 1))
if got=$("$SENSOR" --check-rules tests/replay/rules-custom 2>&1); then
	echo "FAIL custom-protocol-without-file: accepted: $got"
	fail=1
elif [ "$got" != "tests/replay/rules-custom/custom.rules:4:12: expected an nDPI protocol name, found 'CityBlockedApp'" ]; then
	echo "FAIL custom-protocol-without-file: $got"
	fail=1
elif ! got=$("$SENSOR" -c tests/replay/conf/custom-protos.conf --check-rules tests/replay/rules-custom 2>&1); then
	echo "FAIL custom-protocol-with-file: $got"
	fail=1
else
	echo "ok   custom-protocol (error without ndpi.protocols_file, valid with it)"
fi

echo
echo "--check-rules: $n broken inputs checked"
exit "$fail"
