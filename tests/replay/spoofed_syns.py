#!/usr/bin/env python3
"""Write a pcap of TCP SYNs from random (spoofed) source addresses to one
destination: the capture of tests/replay/detect_memory.sh.

usage: spoofed_syns.py OUT.pcap COUNT [PPS]

Packets are Ethernet/IPv4/TCP, 54 bytes, to 10.20.30.40:80, at PPS packets
per second of capture time (default 100000) from 2026-01-01T00:00:00Z.
Sources are drawn from a fixed seed, so the file is the same every time;
about COUNT of them are distinct (a 32-bit draw rarely repeats).
Checksums are left 0: the sensor does not check them.
"""
import random
import struct
import sys


def main():
    out, count = sys.argv[1], int(sys.argv[2])
    pps = int(sys.argv[3]) if len(sys.argv) > 3 else 100000
    rng = random.Random(20261127)
    t0 = 1767225600
    eth = bytes.fromhex("020000000002" "020000000001" "0800")
    dst = bytes([10, 20, 30, 40])
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        rec = struct.Struct("<IIII")
        for i in range(count):
            src = rng.getrandbits(32)
            # not 0/8, 127/8, multicast or reserved: every source a plain unicast address
            first = src >> 24
            if first in (0, 10, 127) or first >= 224:
                src = (src & 0x00FFFFFF) | (11 << 24)
            sport = 1024 + (i % 60000)
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, i & 0xFFFF, 0, 64, 6, 0,
                             struct.pack("!I", src), dst)
            tcp = struct.pack("!HHIIBBHHH", sport, 80, i, 0, 0x50, 0x02, 1024, 0, 0)
            us = i * 1000000 // pps
            frame = eth + ip + tcp
            f.write(rec.pack(t0 + us // 1000000, us % 1000000, len(frame), len(frame)))
            f.write(frame)


if __name__ == "__main__":
    main()
