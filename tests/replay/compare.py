#!/usr/bin/env python3
"""Compare zw-sensor flow records with ndpiReader 4.2 reference flows.

Usage:
  compare.py [options] REF.csv OURS.json [REF.csv OURS.json ...]
  compare.py [options] --list LIST.tsv

LIST.tsv has one capture per line: NAME <tab> REF.csv <tab> OURS.json
[<tab> SENSOR_EXIT_STATUS].  OURS.json is zw-sensor's --flows output (one JSON
object per line; only event_type "flow" is read).  Python 3 standard library
only.

Matching.  A flow key is (IP protocol number, the unordered pair of endpoints
(ip, port), VLAN).  Protocol names on both sides are mapped to numbers
(reference: TCP, UDP, ICMP, ICMPV6, IGMP, VRRP or a number; ours: TCP, UDP,
ICMP, IPv6-ICMP, SCTP, ... or a number).  Ports are compared for TCP and UDP
only: ndpiReader 4.2 prints port 0 for every other protocol.  VLAN: the
reference has at most one id; ours is the LAST element of the "vlan" array,
none = empty.  IP text is normalised with the ipaddress module.  ndpiReader
4.2 rewrites every ':0:' of an IPv6 address as '::', which can give text that
does not parse (e.g. '302e::3d00::8001'); such text is matched against our
addresses rewritten the same way, and reported.

A reference flow is "present" if at least one of our records has its key (our
sensor may split one flow into several records: idle timeout, FIN/RST then
reuse, active timeout).  It "agrees" if the app_proto of the matching record
with the most packets (then the most bytes, then the first in the file)
equals the reference's ndpi_proto text.  Missing reference flows whose two IP
addresses are the outer src_ip/dest_ip of one of our records' "tunnel" object
are labelled "decapsulated (explained)": we decapsulate GRE/VXLAN/IP-in-IP,
ndpiReader 4.2 reports the outer flow.  They still count as not present.

Exit status: 0 if present/total and agreeing/total both reach the thresholds
and every input was readable, 1 otherwise, 2 on usage error.
"""
import argparse
import csv
import ipaddress
import json
import sys
from collections import Counter, defaultdict

# IP protocol keywords (IANA "Keyword" column, plus ndpiReader's spellings),
# upper-cased.  Anything else must be a decimal number.
PROTO_NUMBERS = {
    'HOPOPT': 0, 'ICMP': 1, 'IGMP': 2, 'GGP': 3, 'IPV4': 4, 'IP-IN-IP': 4,
    'IPIP': 4, 'ST': 5, 'TCP': 6, 'EGP': 8, 'IGP': 9, 'UDP': 17, 'IPV6': 41,
    'IPV6-ROUTE': 43, 'IPV6-FRAG': 44, 'RSVP': 46, 'GRE': 47, 'ESP': 50,
    'AH': 51, 'IPV6-ICMP': 58, 'ICMPV6': 58, 'ICMP6': 58, 'IPV6-NONXT': 59,
    'IPV6-OPTS': 60, 'EIGRP': 88, 'OSPF': 89, 'OSPFIGP': 89, 'PIM': 103,
    'VRRP': 112, 'L2TP': 115, 'SCTP': 132, 'UDPLITE': 136, 'MPLS-IN-IP': 137,
}
PROTO_NAMES = {6: 'TCP', 17: 'UDP', 1: 'ICMP', 58: 'IPv6-ICMP', 2: 'IGMP',
               47: 'GRE', 50: 'ESP', 51: 'AH', 112: 'VRRP', 132: 'SCTP'}
PORTED = (6, 17)


class Notes:
    """Per-file problems found while reading (reported, some fatal)."""

    def __init__(self):
        self.bad_json = []        # (line number, text excerpt)
        self.bad_proto = Counter()
        self.ip_fallback = []     # (reference text, what it was matched to)
        self.read_error = None


def proto_number(text, notes):
    t = str(text).strip()
    if t.isdigit():
        return int(t)
    n = PROTO_NUMBERS.get(t.upper())
    if n is None:
        notes.bad_proto[t] += 1
        return 'proto:' + t
    return n


def proto_label(num):
    if isinstance(num, int):
        return PROTO_NAMES.get(num, str(num))
    return str(num)


def norm_ip(text):
    """Canonical text of an address, or None if it does not parse."""
    t = str(text).strip()
    if t.startswith('[') and t.endswith(']'):
        t = t[1:-1]
    try:
        return ipaddress.ip_address(t).compressed
    except ValueError:
        return None


def ndpi_patch(text):
    """ndpiReader 4.2's ndpi_patchIPv6Address(): each ':0:' becomes '::'."""
    out, i = [], 0
    while i < len(text):
        if text[i] == ':' and text[i + 1:i + 3] == '0:':
            out.append('::')
            i += 3
        else:
            out.append(text[i])
            i += 1
    return ''.join(out)


def port_of(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def make_key(proto, ip_a, port_a, ip_b, port_b, vlan):
    if proto not in PORTED:
        port_a = port_b = 0
    ends = sorted([(ip_a, port_a), (ip_b, port_b)])
    return (proto, ends[0], ends[1], vlan)


def key_text(key):
    proto, (ia, pa), (ib, pb), vlan = key
    return '%s %s <-> %s%s' % (proto_label(proto), ep_text(ia, pa, proto),
                               ep_text(ib, pb, proto),
                               (' vlan %s' % vlan) if vlan != '' else '')


def ep_text(ip, port, proto):
    host = '[%s]' % ip if ':' in ip else ip
    return '%s:%s' % (host, port) if proto in PORTED else host


# ---------------------------------------------------------------- reading

class Record:
    __slots__ = ('key', 'app', 'pkts', 'bytes', 'order', 'tunnel', 'tunnel_type')


def read_ours(path, notes):
    records = []
    try:
        fh = open(path, 'r', encoding='utf-8', errors='replace')
    except OSError as e:
        notes.read_error = 'cannot read %s: %s' % (path, e.strerror)
        return records
    with fh:
        for lineno, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                notes.bad_json.append((lineno, line[:120]))
                continue
            if not isinstance(obj, dict) or obj.get('event_type', 'flow') != 'flow':
                continue
            r = Record()
            proto = proto_number(obj.get('proto', ''), notes)
            src = norm_ip(obj.get('src_ip', '')) or str(obj.get('src_ip', ''))
            dst = norm_ip(obj.get('dest_ip', '')) or str(obj.get('dest_ip', ''))
            vlans = obj.get('vlan') or []
            vlan = str(vlans[-1]) if isinstance(vlans, list) and vlans else ''
            r.key = make_key(proto, src, port_of(obj.get('src_port')),
                             dst, port_of(obj.get('dest_port')), vlan)
            app = obj.get('app_proto')
            r.app = app if isinstance(app, str) else '(absent)'
            fl = obj.get('flow') or {}
            r.pkts = port_of(fl.get('pkts_toserver')) + port_of(fl.get('pkts_toclient'))
            r.bytes = port_of(fl.get('bytes_toserver')) + port_of(fl.get('bytes_toclient'))
            r.order = lineno
            tun = obj.get('tunnel')
            r.tunnel = None
            r.tunnel_type = ''
            if isinstance(tun, dict):
                a = norm_ip(tun.get('src_ip', '')) or str(tun.get('src_ip', ''))
                b = norm_ip(tun.get('dest_ip', '')) or str(tun.get('dest_ip', ''))
                r.tunnel = tuple(sorted((a, b)))
                r.tunnel_type = str(tun.get('type', ''))
            records.append(r)
    return records


def read_reference(path, notes):
    try:
        with open(path, newline='', encoding='utf-8', errors='replace') as fh:
            return list(csv.DictReader(fh))
    except OSError as e:
        notes.read_error = 'cannot read %s: %s' % (path, e.strerror)
        return []


def resolve_ref_ip(text, aliases, notes):
    """Reference address text -> key text (see the module comment)."""
    n = norm_ip(text)
    if n is not None:
        return n
    cands = aliases.get(text, set())
    if len(cands) == 1:
        ours = next(iter(cands))
        notes.ip_fallback.append((text, 'matched %s (same text after ndpiReader\'s '
                                  '\':0:\'->\'::\' rewrite)' % ours))
        return ours
    what = ('ambiguous: %s' % ', '.join(sorted(cands))) if cands else \
        'no record of ours has it; compared as raw text'
    notes.ip_fallback.append((text, what))
    return text


# ---------------------------------------------------------------- comparing

class FileResult:
    def __init__(self, name):
        self.name = name
        self.total = self.present = self.agree = 0
        self.ours = 0
        self.disagree = []    # (key, ref proto, [(app, pkts), ...], chosen)
        self.missing = []     # (key, ref proto, ref row)
        self.explained = []   # (key, ref proto, tunnel types)
        self.extra = []       # (key, [apps])
        self.status = None
        self.notes = Notes()


def compare_file(name, ref_path, ours_path, status):
    res = FileResult(name)
    res.status = status
    notes = res.notes
    ours = read_ours(ours_path, notes)
    refs = read_reference(ref_path, notes)
    res.ours = len(ours)

    by_key = defaultdict(list)
    aliases = defaultdict(set)
    tunnels = defaultdict(set)
    for r in ours:
        by_key[r.key].append(r)
        for ip in (r.key[1][0], r.key[2][0]):
            if ':' in ip:
                aliases[ndpi_patch(ip)].add(ip)
        if r.tunnel:
            tunnels[r.tunnel].add(r.tunnel_type or '?')

    ref_keys = set()
    for row in refs:
        res.total += 1
        proto = proto_number(row.get('l4_proto', ''), notes)
        a = resolve_ref_ip(row.get('src_ip', ''), aliases, notes)
        b = resolve_ref_ip(row.get('dst_ip', ''), aliases, notes)
        key = make_key(proto, a, port_of(row.get('src_port')), b,
                       port_of(row.get('dst_port')), (row.get('vlan') or '').strip())
        ref_keys.add(key)
        want = row.get('ndpi_proto', '')
        matches = by_key.get(key)
        if not matches:
            tpair = tuple(sorted((a, b)))
            if tpair in tunnels:
                res.explained.append((key, want, sorted(tunnels[tpair])))
            else:
                res.missing.append((key, want, row))
            continue
        res.present += 1
        best = max(matches, key=lambda r: (r.pkts, r.bytes, -r.order))
        if best.app == want:
            res.agree += 1
        else:
            res.disagree.append((key, want, [(m.app, m.pkts) for m in matches], best.app))

    for key, recs in by_key.items():
        if key not in ref_keys:
            res.extra.append((key, [(r.app, r.pkts) for r in recs]))
    res.extra.sort(key=lambda e: key_text(e[0]))
    return res


# ---------------------------------------------------------------- output

def pct(n, d):
    return 100.0 * n / d if d else 100.0


def print_file(res, max_list, show_extra, out):
    st = '' if res.status in (None, '', '0') else ', sensor exit %s' % res.status
    out.write('== %s: reference %d, present %d, agreeing %d, our records %d%s\n'
              % (res.name, res.total, res.present, res.agree, res.ours, st))
    n = res.notes
    if n.read_error:
        out.write('   ERROR %s\n' % n.read_error)
    for lineno, text in n.bad_json[:max_list]:
        out.write('   ERROR line %d of our output is not JSON: %s\n' % (lineno, text))
    if len(n.bad_json) > max_list:
        out.write('   ERROR ... %d more lines that are not JSON\n' % (len(n.bad_json) - max_list))
    for t, c in sorted(n.bad_proto.items()):
        out.write('   NOTE  unknown protocol name %r (%d times): compared as text\n' % (t, c))
    for text, what in n.ip_fallback:
        out.write('   NOTE  reference address %r does not parse: %s\n' % (text, what))

    def limited(items, fmt):
        for it in items[:max_list]:
            out.write(fmt(it))
        if len(items) > max_list:
            out.write('   ... %d more\n' % (len(items) - max_list))

    limited(res.disagree, lambda d: '   DISAGREE  %s: reference %s, ours %s%s\n' % (
        key_text(d[0]), d[1], d[3],
        '' if len(d[2]) == 1 else ' (records: %s)' % ', '.join(
            '%s/%d pkts' % (a, p) for a, p in d[2])))
    limited(res.missing, lambda m: '   MISSING   %s: reference %s (%s pkts)\n' % (
        key_text(m[0]), m[1], m[2].get('total_pkts', '?')))
    limited(res.explained, lambda e: '   DECAPSULATED (explained)  %s: reference %s; '
            'these are the outer endpoints of our %s tunnel records\n' % (
                key_text(e[0]), e[1], '/'.join(e[2])))
    if not show_extra:
        if res.extra:
            out.write('   extra (info)  %d records of ours not in the reference\n' % len(res.extra))
        return
    limited(res.extra, lambda e: '   extra (info)  %s: ours %s\n' % (
        key_text(e[0]), ', '.join('%s/%d pkts' % (a, p) for a, p in e[1])))


def load_pairs(args, parser):
    items = []
    if args.list:
        try:
            with open(args.list, encoding='utf-8') as fh:
                for line in fh:
                    line = line.rstrip('\n')
                    if not line.strip() or line.startswith('#'):
                        continue
                    f = line.split('\t')
                    if len(f) < 3:
                        parser.error('%s: need NAME<tab>REF<tab>OURS[<tab>STATUS]: %r'
                                     % (args.list, line))
                    items.append((f[0], f[1], f[2], f[3] if len(f) > 3 else None))
        except OSError as e:
            parser.error('cannot read %s: %s' % (args.list, e.strerror))
    if len(args.files) % 2:
        parser.error('files must come in pairs: REF.csv OURS.json')
    for i in range(0, len(args.files), 2):
        ref, ours = args.files[i], args.files[i + 1]
        items.append((ref.rsplit('/', 1)[-1][:-4] if ref.endswith('.csv') else ref,
                      ref, ours, None))
    if not items:
        parser.error('nothing to compare')
    return items


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('files', nargs='*', metavar='REF.csv OURS.json')
    p.add_argument('--list', help='TSV: NAME, REF.csv, OURS.json[, sensor exit status]')
    p.add_argument('--min-present', type=float, default=99.0, metavar='PCT',
                   help='minimum percentage of reference flows present (default 99)')
    p.add_argument('--min-agree', type=float, default=99.0, metavar='PCT',
                   help='minimum percentage of reference flows agreeing (default 99)')
    p.add_argument('--max-list', type=int, default=50, metavar='N',
                   help='list at most N items of each kind per file (default 50)')
    p.add_argument('--no-extra', action='store_true',
                   help='do not list our extra records (still counted)')
    args = p.parse_args(argv)
    items = load_pairs(args, p)

    out = sys.stdout
    results = []
    for name, ref, ours, status in items:
        res = compare_file(name, ref, ours, status)
        print_file(res, args.max_list, not args.no_extra, out)
        results.append(res)

    tot = sum(r.total for r in results)
    present = sum(r.present for r in results)
    agree = sum(r.agree for r in results)
    explained = sum(len(r.explained) for r in results)
    missing = sum(len(r.missing) for r in results)
    extra = sum(len(r.extra) for r in results)
    errors = [r.name for r in results if r.notes.read_error or r.notes.bad_json]

    out.write('\n== Files with differences\n')
    out.write('%-45s %6s %7s %7s %8s %7s %9s %6s\n' % (
        'capture', 'ref', 'present', 'agree', 'disagree', 'missing', 'explained', 'extra'))
    shown = 0
    for r in results:
        if r.present == r.total and r.agree == r.total and not r.explained \
                and not r.notes.read_error and not r.notes.bad_json:
            continue
        shown += 1
        out.write('%-45s %6d %7d %7d %8d %7d %9d %6d\n' % (
            r.name[:45], r.total, r.present, r.agree, len(r.disagree), len(r.missing),
            len(r.explained), len(r.extra)))
    if not shown:
        out.write('(none)\n')

    out.write('\n== Totals over %d files\n' % len(results))
    out.write('reference flows           %d\n' % tot)
    out.write('present                   %d (%.2f%%, need %.2f%%)\n'
              % (present, pct(present, tot), args.min_present))
    out.write('agreeing                  %d (%.2f%%, need %.2f%%)\n'
              % (agree, pct(agree, tot), args.min_agree))
    out.write('disagreeing               %d\n' % (present - agree))
    out.write('missing                   %d\n' % missing)
    out.write('decapsulated (explained)  %d (not counted as present)\n' % explained)
    out.write('our extra records (info)  %d\n' % extra)
    ok = True
    if errors:
        out.write('unreadable or non-JSON output: %s\n' % ', '.join(errors))
        ok = False
    if pct(present, tot) < args.min_present or pct(agree, tot) < args.min_agree:
        ok = False
    out.write('%s\n' % ('PASS' if ok else 'FAIL'))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
