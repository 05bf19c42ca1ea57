#!/usr/bin/env bash
# The capture interface options (capture.interface, -i, capture.fanout;
# doc/capture.md "Several interfaces and fan-out"): bad lists and values
# stop the start with exit 2 and a message naming the key, the value and,
# in a config file, the line.  (Capturing on several interfaces is
# tests/live/multi_capture.sh.)
# Exit: 0 pass, 1 fail, 77 skip (no sensor binary).
set -u
. "$(dirname "$0")/../lib.sh"
zw_need_sensor
zw_tmpdir interfaces
bad=0

zw_refused "an interface given twice" "interface 'eth9' is given twice" \
	"$SENSOR" -i eth9 -i eth9
zw_refused "a name longer than 15 bytes" "interface name 'abcdefghijklmnop' is too long" \
	"$SENSOR" -i abcdefghijklmnop
zw_refused "a name with a slash" "interface name 'a/b': character 2 is not allowed" \
	"$SENSOR" -i a/b
zw_refused "more than 8 interfaces" "too many interfaces (at most 8)" \
	"$SENSOR" -i a -i b -i c -i d -i e -i f -i g -i h -i i
zw_refused "capture.fanout out of range" "capture.fanout" \
	"$SENSOR" -i eth9 -o capture.fanout=9
zw_refused "more than 16 capture threads" "3 interfaces x capture.fanout 6 = 18 capture threads (at most 16)" \
	"$SENSOR" -i a -i b -i c -o capture.fanout=6
zw_refused "-i and -r together" "use either -r (replay files) or -i (live capture), not both" \
	"$SENSOR" -i eth9 -r test-pcaps/ndpi/forticlient.pcap
printf 'sensor.id = t\ncapture.interface = eth1, eth2 eth1\n' >"$tmp/dup.conf"
zw_refused "a repeated name in a config file's list" "dup.conf:2: capture.interface: interface 'eth1' is given twice" \
	"$SENSOR" -c "$tmp/dup.conf" --check-config
# the command line's -i replaces the file's list (else eth1 would be twice)
printf 'capture.interface = eth1\n' >"$tmp/one.conf"
if "$SENSOR" -c "$tmp/one.conf" -i eth1 -i eth2 --check-config >/dev/null 2>"$tmp/err"; then
	echo "ok   -i replaces capture.interface of the config file"
else
	echo "FAIL -i after a config file's capture.interface: $(head -c 300 "$tmp/err")"
	bad=$((bad + 1))
fi
[ "$bad" -eq 0 ]
