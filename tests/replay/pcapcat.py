#!/usr/bin/env python3
"""Write parts of classic pcap files to stdout, for tests that feed a sensor
through a pipe in stages (reload.sh).

  pcapcat.py header FILE     the global header of FILE
  pcapcat.py packets FILE    every packet record of FILE, without its header

Only little- or big-endian microsecond pcap (magic a1b2c3d4) is accepted; all
files fed into one stream must share the link type and byte order."""
import struct
import sys


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        sys.exit(f"{path}: shorter than a pcap header")
    magic = data[:4]
    if magic not in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4"):
        sys.exit(f"{path}: not a microsecond pcap file (magic {magic.hex()})")
    return data, "<" if magic == b"\xd4\xc3\xb2\xa1" else ">"


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("header", "packets"):
        sys.exit(__doc__)
    data, order = read(sys.argv[2])
    out = sys.stdout.buffer
    if sys.argv[1] == "header":
        out.write(data[:24])
        return
    pos = 24
    while pos + 16 <= len(data):
        caplen = struct.unpack(order + "I", data[pos + 8:pos + 12])[0]
        end = pos + 16 + caplen
        if end > len(data):
            sys.exit(f"{sys.argv[2]}: truncated record at byte {pos}")
        out.write(data[pos:end])
        pos = end
    out.flush()


if __name__ == "__main__":
    main()
