#!/usr/bin/env python3
"""Regenerate the two malformed captures of this folder from real captures.

  truncated.pcap    ../ndpi/tor.pcap: global header and the first 50 packet
                    records kept whole, then record 51's 16-byte header and
                    only the first half of its packet data (the file ends in
                    the middle of that record).
  not-a-pcap.pcap   ../attacks/portscan.pcap with its 24-byte global header
                    overwritten by the ASCII text "GARBAGE!GARBAGE!GARBAGE!"
                    (no pcap or pcapng magic); the packet records follow
                    unchanged.

Run from anywhere: python3 test-pcaps/malformed/make-malformed.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
KEEP_RECORDS = 50


def truncated():
    src = os.path.join(HERE, '..', 'ndpi', 'tor.pcap')
    data = open(src, 'rb').read()
    magic = struct.unpack('<I', data[:4])[0]
    if magic != 0xa1b2c3d4:
        raise SystemExit('tor.pcap: expected a little-endian classic pcap')
    off = 24
    for _ in range(KEEP_RECORDS):
        incl = struct.unpack('<I', data[off + 8:off + 12])[0]
        off += 16 + incl
    incl = struct.unpack('<I', data[off + 8:off + 12])[0]
    cut = off + 16 + incl // 2
    with open(os.path.join(HERE, 'truncated.pcap'), 'wb') as out:
        out.write(data[:cut])
    return cut, incl


def not_a_pcap():
    src = os.path.join(HERE, '..', 'attacks', 'portscan.pcap')
    data = open(src, 'rb').read()
    garbage = b'GARBAGE!' * 3
    assert len(garbage) == 24
    with open(os.path.join(HERE, 'not-a-pcap.pcap'), 'wb') as out:
        out.write(garbage + data[24:])


if __name__ == '__main__':
    cut, incl = truncated()
    not_a_pcap()
    print('truncated.pcap: %d bytes (record %d has %d bytes of data, %d kept)'
          % (cut, KEEP_RECORDS + 1, incl, incl // 2))
    print('not-a-pcap.pcap written')
