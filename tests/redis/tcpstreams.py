#!/usr/bin/env python3
"""Write the TCP payload that went to or from PORT in a capture, each
direction of each connection reassembled in sequence order, so that a
string split over two segments is still found (tls.sh).

  tcpstreams.py FILE PORT

FILE: classic microsecond pcap, Ethernet link type (tcpdump -i lo -w), IPv4.
Directions are separated by a newline; a retransmitted segment is written
once."""
import struct
import sys


def packets(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic not in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4"):
        sys.exit(f"{path}: not a microsecond pcap file")
    order = "<" if magic == b"\xd4\xc3\xb2\xa1" else ">"
    if struct.unpack(order + "I", data[20:24])[0] != 1:
        sys.exit(f"{path}: link type is not Ethernet")
    pos = 24
    while pos + 16 <= len(data):
        caplen = struct.unpack(order + "I", data[pos + 8:pos + 12])[0]
        yield data[pos + 16:pos + 16 + caplen]
        pos += 16 + caplen


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    port = int(sys.argv[2])
    flows = {}  # (src, sport, dst, dport) -> {relative seq: payload}
    first = {}
    for frame in packets(sys.argv[1]):
        if len(frame) < 34 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 0x0F) * 4
        if ip[9] != 6 or len(ip) < ihl + 20:
            continue
        total = struct.unpack("!H", ip[2:4])[0]
        tcp = ip[ihl:total]
        sport, dport, seq = struct.unpack("!HHI", tcp[:8])
        if port not in (sport, dport):
            continue
        payload = tcp[(tcp[12] >> 4) * 4:]
        key = (ip[12:16], sport, ip[16:20], dport)
        first.setdefault(key, seq)
        if payload:
            flows.setdefault(key, {})[(seq - first[key]) % 2**32] = payload
    out = sys.stdout.buffer
    for segs in flows.values():
        for seq in sorted(segs):
            out.write(segs[seq])
        out.write(b"\n")


main()
