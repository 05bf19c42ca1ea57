#!/usr/bin/env bash
# Behavioural detectors (doc/detectors.md) on real captures, default
# thresholds:
#   - every row of tests/replay/detect.tsv raises exactly the listed alerts
#     (sid, detector, kind, source, target), nothing more;
#   - the normal captures of test-pcaps/ndpi/, replayed together, raise only
#     the behaviour alerts listed below, each justified;
#   - first seen (off by default) on a generated capture and MaxMind's test
#     GeoIP databases: new countries and ASes after learning, nothing else;
#   - large transfers counted to the byte (totals worked out here);
#   - every behaviour alert is valid against doc/alert.schema.json.
# With -w 2; tests/replay/determinism.sh checks that every capture gives the
# same alerts, behaviour alerts included, for other worker counts.
# Exit: 0 pass, 1 fail, 77 skip (no sensor binary).
set -u

. "$(dirname "$0")/../lib.sh"
zw_need_sensor
zw_need_jq
zw_tmpdir detect

schema=doc/alert.schema.json
validator=tests/replay/validate_alerts.py
bad=0

# sid detector kind src dest dest_port, one line per behaviour alert, sorted
summarise() {
	jq -r 'select(.event_type == "behaviour") |
		[.alert.signature_id, .behaviour.detector, .behaviour.kind,
		 (.src_ip // "-"), (.dest_ip // "-"), (.dest_port // "-" | tostring)] | join(" ")' "$1" | sort
}

check_file() {   # name alerts-file
	if ! python3 "$validator" "$schema" "$2" >"$tmp/validate.out" 2>&1; then
		echo "FAIL $1: alerts do not validate against $schema:"
		head -5 "$tmp/validate.out"
		bad=$((bad + 1))
	fi
}

rows=0
while IFS=$'\t' read -r cap expected; do
	case $cap in '' | '#'*) continue ;; esac
	rows=$((rows + 1))
	printf '%s\n' "$expected" | sed 's/ | /\n/g' | sed '/^none$/d' | sort >"$tmp/want"
	for w in 2; do
		out=$tmp/$(basename "$cap").$w.json
		"$SENSOR" -q -w "$w" -r "test-pcaps/$cap" --alerts "$out" --flows /dev/null </dev/null \
			2>"$tmp/err" || { echo "FAIL $cap: zw-sensor failed: $(head -c 300 "$tmp/err")"; bad=$((bad + 1)); continue; }
		summarise "$out" >"$tmp/got"
		if ! cmp -s "$tmp/want" "$tmp/got"; then
			echo "FAIL $cap (-w $w): behaviour alerts differ (< expected, > got):"
			diff "$tmp/want" "$tmp/got" | grep '^[<>]'
			bad=$((bad + 1))
		else
			echo "ok   $cap (-w $w): $(wc -l <"$tmp/got") alert(s) as expected"
		fi
		check_file "$cap" "$out"
	done
done <tests/replay/detect.tsv

# The normal captures, all in one run, with the zones of the replay tests.
# Expected, and why:
#   - dns-tunnel-iodine.pcap: 10.0.2.30 runs an iodine DNS tunnel through
#     10.0.2.20 under pirate.sea: a real tunnel, rightly reported twice, for
#     its long encoded names and for its many NULL answers.
#   - gnutella.pcap: 10.0.2.15 sends Gnutella UDP pings to port 6346 of more
#     than 20 peers that never answer within 5 s: it looks like a sweep of
#     that port, and it is P2P software the policy forbids anyway.
cat >"$tmp/want-ndpi" <<'WANT'
9102 host_sweep udp 10.0.2.15 - 6346
9131 dns_tunnel suspicious_names 10.0.2.30 10.0.2.20 53
9131 dns_tunnel txt_answers 10.0.2.30 10.0.2.20 53
WANT
sort -o "$tmp/want-ndpi" "$tmp/want-ndpi"
args=()
for f in test-pcaps/ndpi/*.pcap test-pcaps/ndpi/*.pcapng; do
	args+=(-r "$f")
done
for w in 2; do
	out=$tmp/ndpi.$w.json
	"$SENSOR" -q -w "$w" -c tests/replay/conf/zones.conf "${args[@]}" --alerts "$out" \
		--flows /dev/null </dev/null 2>"$tmp/err-ndpi"
	summarise "$out" >"$tmp/got-ndpi"
	if ! cmp -s "$tmp/want-ndpi" "$tmp/got-ndpi"; then
		echo "FAIL ndpi captures (-w $w): behaviour alerts differ (< expected, > got):"
		diff "$tmp/want-ndpi" "$tmp/got-ndpi" | grep '^[<>]'
		bad=$((bad + 1))
	else
		echo "ok   ndpi captures (-w $w): only the $(wc -l <"$tmp/got-ndpi") justified alerts"
	fi
	grep '"behaviour"' "$out" >"$tmp/ndpi-beh.json" || :
	[ -s "$tmp/ndpi-beh.json" ] && check_file ndpi "$tmp/ndpi-beh.json"
done

# First seen (off by default): an inside host (10.0.0.5, private: inside
# when no zone is configured) opens TCP connections to addresses of
# MaxMind's test databases (test-data/mmdb/README.md lists them): at 0 s to
# GB (81.2.69.142, no AS), learned; after the 5 s learning period to SE/AS
# 29518 (89.160.20.112) and US/AS 209 (216.160.83.56), new; then to GB
# again, known; SE again, known.  Expected: SE, 29518, US, 209 once each.
python3 - "$tmp/firstseen.pcap" <<'PY'
import struct, sys
dsts = [(0, "81.2.69.142"), (10, "89.160.20.112"), (11, "216.160.83.56"), (12, "81.2.69.142"),
        (13, "89.160.20.112")]
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for i, (t, d) in enumerate(dsts):
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, i, 0, 64, 6, 0,
                         bytes([10, 0, 0, 5]), bytes(int(x) for x in d.split(".")))
        tcp = struct.pack("!HHIIBBHHH", 40000 + i, 443, i, 0, 0x50, 0x02, 1024, 0, 0)
        frame = bytes.fromhex("020000000002020000000001" "0800") + ip + tcp
        f.write(struct.pack("<IIII", 1767225600 + t, 0, len(frame), len(frame)) + frame)
PY
out=$tmp/firstseen.json
"$SENSOR" -q -w 2 -o detect.first_seen.enabled=yes -o detect.first_seen.learning=5 \
	-o geoip.country_db=test-data/mmdb/GeoLite2-Country-Test.mmdb \
	-o geoip.asn_db=test-data/mmdb/GeoLite2-ASN-Test.mmdb \
	-r "$tmp/firstseen.pcap" --alerts "$out" --flows /dev/null </dev/null 2>"$tmp/err-fs" ||
	{ echo "FAIL first seen: zw-sensor failed: $(head -c 300 "$tmp/err-fs")"; bad=$((bad + 1)); }
jq -r 'select(.event_type == "behaviour") |
	[.alert.signature_id, .behaviour.kind, .dest_ip, (.behaviour.country // .behaviour.asn | tostring)] |
	join(" ")' "$out" | sort >"$tmp/got-fs"
printf '%s\n' "9161 country 216.160.83.56 US" "9161 country 89.160.20.112 SE" \
	"9162 asn 216.160.83.56 209" "9162 asn 89.160.20.112 29518" | sort >"$tmp/want-fs"
if cmp -s "$tmp/want-fs" "$tmp/got-fs"; then
	echo "ok   first seen: SE, US, AS 29518 and AS 209 after learning; GB learned"
	check_file first_seen "$out"
else
	echo "FAIL first seen: alerts differ (< expected, > got):"
	diff "$tmp/want-fs" "$tmp/got-fs" | grep '^[<>]'
	bad=$((bad + 1))
fi

# Large transfers, counted exactly: the bytes that the inside hosts of
# forticlient.pcap (private addresses: no zone is configured) send to
# outside ones, added up here from the capture itself (IP total length of
# every IPv4 packet, not TCP segments without payload), per pair and per
# source.  With the thresholds at the largest pair's total and at its
# source's total, the sensor must raise 9141 for that pair and 9142 for that
# source with exactly those values; one byte higher, neither.
python3 - test-pcaps/ndpi/forticlient.pcap >"$tmp/xfer-want" <<'PY'
import struct, sys
def inside(a):
    return (a[0] == 10 or (a[0] == 172 and a[1] & 0xF0 == 16) or a[:2] == b"\xc0\xa8"
            or a[0] == 127 or a[:2] == b"\xa9\xfe")
def special(a):
    return a[0] >= 224 or a[0] == 0
data = open(sys.argv[1], "rb").read()
end = "<" if struct.unpack("<I", data[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D) else ">"
assert struct.unpack(end + "I", data[20:24])[0] == 1, "Ethernet expected"
pairs, hosts, off = {}, {}, 24
while off + 16 <= len(data):
    caplen = struct.unpack(end + "I", data[off + 8:off + 12])[0]
    f = data[off + 16:off + 16 + caplen]
    off += 16 + caplen
    o, et = 14, struct.unpack("!H", f[12:14])[0]
    while et == 0x8100:
        et, o = struct.unpack("!H", f[o + 2:o + 4])[0], o + 4
    if et != 0x0800:
        continue
    ip = f[o:]
    ihl, tl, proto = (ip[0] & 15) * 4, struct.unpack("!H", ip[2:4])[0], ip[9]
    src, dst = ip[12:16], ip[16:20]
    frag = struct.unpack("!H", ip[6:8])[0] & 0x3FFF
    if not inside(src) or inside(dst) or special(dst):
        continue
    if proto == 6 and not frag and tl - ihl - (ip[ihl + 12] >> 4) * 4 <= 0:
        continue
    pairs[(src, dst)] = pairs.get((src, dst), 0) + tl
    hosts[src] = hosts.get(src, 0) + tl
(src, dst), n = max(pairs.items(), key=lambda kv: kv[1])
ip = lambda a: ".".join(str(b) for b in a)
print(n, hosts[src], f"9141 pair {ip(src)} {ip(dst)} {n}", f"9142 host {ip(src)} - {hosts[src]}")
PY
read -r xpair xhost xwant1 <"$tmp/xfer-want"
xfer_run() {   # pair_bytes host_bytes
	"$SENSOR" -q -w 2 -o detect.transfer.pair_bytes="$1" -o detect.transfer.host_bytes="$2" \
		-r test-pcaps/ndpi/forticlient.pcap --alerts "$tmp/xfer.json" --flows /dev/null \
		</dev/null 2>"$tmp/err-xfer" || echo "zw-sensor failed: $(head -c 300 "$tmp/err-xfer")"
	jq -r 'select(.event_type == "behaviour" and .behaviour.detector == "large_transfer") |
		[.alert.signature_id, .behaviour.kind, .src_ip, (.dest_ip // "-"), .behaviour.value] |
		map(tostring) | join(" ")' "$tmp/xfer.json" | sort
}
sed -n 's/^[0-9]* [0-9]* //p' "$tmp/xfer-want" | sed 's/ 9142/\n9142/' | sort >"$tmp/xfer-want2"
xfer_run "$xpair" "$xhost" >"$tmp/xfer-got"
if [ -n "${xpair:-}" ] && cmp -s "$tmp/xfer-want2" "$tmp/xfer-got"; then
	echo "ok   large transfers: $(tr '\n' ';' <"$tmp/xfer-got") exact"
	check_file transfer "$tmp/xfer.json"
else
	echo "FAIL large transfers at the exact totals (< expected, > got):"
	diff "$tmp/xfer-want2" "$tmp/xfer-got" | grep '^[<>]'
	bad=$((bad + 1))
fi
xfer_run $((xpair + 1)) $((xhost + 1)) >"$tmp/xfer-got"
if [ ! -s "$tmp/xfer-got" ]; then
	echo "ok   large transfers: none one byte above the totals"
else
	echo "FAIL large transfers one byte above the totals: $(cat "$tmp/xfer-got")"
	bad=$((bad + 1))
fi
# Many pairs at once: a generated capture in which 20 inside hosts
# (10.0.0.1-20) each send UDP to their own outside host (198.51.100.1-20),
# round robin, 5 datagrams a second each for 3 s, host i's datagrams
# 28 + 100 + 10 i bytes long: totals 15 x (128 + 10 i), the largest host
# 20's (4,920).  All 20 pairs wait in the transfer cache at every tick, so
# the tick flushes them as one batch.  At thresholds of 4,920 bytes only
# host 20 and its pair may alert, with exactly 4,920.
python3 - "$tmp/pairs.pcap" <<'PY'
import struct, sys
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    n = 0
    for sec in range(3):
        for rep in range(5):
            for i in range(1, 21):
                payload = bytes(100 + 10 * i)
                udp = struct.pack("!HHHH", 40000 + i, 5000, 8 + len(payload), 0) + payload
                ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), n & 0xFFFF, 0, 64, 17, 0,
                                 bytes([10, 0, 0, i]), bytes([198, 51, 100, i]))
                frame = bytes.fromhex("020000000002020000000001" "0800") + ip + udp
                us = rep * 150000 + i * 1000
                f.write(struct.pack("<IIII", 1767225600 + sec, us, len(frame), len(frame)) + frame)
                n += 1
PY
pairs_run() {   # threshold
	"$SENSOR" -q -w 2 -o detect.transfer.pair_bytes="$1" -o detect.transfer.host_bytes="$1" \
		-r "$tmp/pairs.pcap" --alerts "$tmp/pairs.json" --flows /dev/null </dev/null \
		2>"$tmp/err-pairs" || echo "zw-sensor failed: $(head -c 300 "$tmp/err-pairs")"
	jq -r 'select(.event_type == "behaviour") |
		[.alert.signature_id, .src_ip, (.dest_ip // "-"), .behaviour.value] |
		map(tostring) | join(" ")' "$tmp/pairs.json" | sort
}
printf '%s\n' "9141 10.0.0.20 198.51.100.20 4920" "9142 10.0.0.20 - 4920" >"$tmp/pairs-want"
pairs_run 4920 >"$tmp/pairs-got"
if cmp -s "$tmp/pairs-want" "$tmp/pairs-got" && [ -z "$(pairs_run 4921)" ]; then
	echo "ok   large transfers, 20 pairs flushed together: host 20 and its pair at exactly 4920, none at 4921"
else
	echo "FAIL large transfers, 20 pairs flushed together (< expected, > got; then at 4921: $(pairs_run 4921 | tr '\n' ';')):"
	diff "$tmp/pairs-want" "$tmp/pairs-got" | grep '^[<>]'
	bad=$((bad + 1))
fi
[ "$rows" -gt 0 ] || { echo "FAIL no rows in tests/replay/detect.tsv"; exit 1; }
[ "$bad" -eq 0 ] || exit 1
echo "all $rows captures and the normal set as expected"
