#!/usr/bin/env bash
# The self-inspection report (zw-collector report) on real alerts: three
# sensors with different sites replay real captures with the shipped rules
# (one with the test GeoIP databases), `zw-collector import` loads their
# --alerts files into a store, and reports are made for a quarter
# (2016-01-01..2016-04-01 JST, where three of the sensors have alerts), for
# ten years (most of the alerts) and for an empty week.  Checked:
#   - the numbers: every section of the CSV against counts that Python
#     makes from the --alerts files themselves (not through the collector),
#     the total against `query --json --limit 0`, the sensors and clauses
#     against `top --by sensor|clause --json`; the Markdown and HTML totals;
#   - the CSV parses (python csv) and each section adds up to the total;
#   - the Markdown has its sections; the empty range says so in each format;
#   - the HTML is well formed, has no script and loads nothing, and renders
#     in headless Chromium: --dump-dom holds the SVG charts, and the
#     screenshot is a 1200x3000 PNG with many colours, among them the bars'.
# The screenshot and the HTML stay in $BUILD/test-logs/collector/ for a
# person to look at.  ZW_CHROMIUM: the browser (default chromium on PATH).
# Exit: 0 pass, 1 fail, 77 skip (no sensor, collector or chromium).
set -eu

. "$(dirname "$0")/../lib.sh"
zw_need_sensor
zw_need_jq
. "$(dirname "$0")/lib.bash"
zw_need_collector
chromium=${ZW_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ ! -x "$chromium" ]; then
	echo "SKIP: chromium is not installed (scripts/deps.sh installs it; or set ZW_CHROMIUM)"
	exit 77
fi
zw_tmpdir collector-report
keep=$BUILD/test-logs/collector
mkdir -p "$keep"

fail=0
problem() {
	echo "FAIL: $*"
	fail=1
}

# Three sensors, as three sites of a city, in parallel.
geo=(-o geoip.country_db=test-data/mmdb/zw-country-Test.mmdb -o geoip.asn_db=test-data/mmdb/zw-asn-Test.mmdb)
replay() {
	local id=$1
	shift
	"$SENSOR" -q -w 1 --rules signatures --sensor-id "$id" --alerts "$tmp/$id.json" "$@" \
		</dev/null >/dev/null 2>"$tmp/$id.err"
}
pids=()
replay city-honcho-01 -c tests/replay/conf/zones.conf "${geo[@]}" \
	-r test-pcaps/ndpi/smbv1.pcap -r test-pcaps/ndpi/rdp.pcap -r test-pcaps/ndpi/telnet.pcap \
	-r test-pcaps/ndpi/teamviewer.pcap -r test-pcaps/ndpi/anydesk.pcapng -r test-pcaps/ndpi/http.pcapng \
	-r test-pcaps/ndpi/mullvad_dns.pcap -r test-pcaps/ndpi/dns_fragmented.pcap -r test-pcaps/ndpi/dropbox.pcap &
pids+=($!)
replay city-shisho-02 -r test-pcaps/ndpi/bittorrent.pcap -r test-pcaps/ndpi/bittorrent_utp.pcap \
	-r test-pcaps/ndpi/tls_torrent.pcapng -r test-pcaps/ndpi/mining.pcapng \
	-r test-pcaps/ndpi/WebattackSQLinj.pcap -r test-pcaps/ndpi/xss.pcap &
pids+=($!)
replay city-gakko-03 -c tests/replay/conf/iocs.conf -r test-pcaps/ndpi/tor.pcap \
	-r test-pcaps/ndpi/trickbot.pcap -r test-pcaps/attacks/cryptowall4_c2.pcapng \
	-r test-pcaps/ndpi/dns_doh.pcap -r test-pcaps/attacks/dnscat2.pcap \
	-r test-pcaps/ndpi/dns-tunnel-iodine.pcap &
pids+=($!)
for p in "${pids[@]}"; do
	wait "$p" || problem "a sensor failed: $(tail -3 "$tmp"/*.err)"
done
alerts=("$tmp"/city-*.json)
echo "alerts: $(cat "${alerts[@]}" | wc -l) in ${#alerts[@]} files"

db=$tmp/store.db
"$COLLECTOR" import --store "$db" "${alerts[@]}" >"$tmp/import.out" 2>&1 ||
	problem "import failed: $(tail -3 "$tmp/import.out")"
Z=("$COLLECTOR")

# report NAME FROM TO ARGS...: $tmp/NAME (exit status checked)
report() {
	local out=$1 from=$2 to=$3
	shift 3
	"${Z[@]}" report --store "$db" --from "$from" --to "$to" -o "$tmp/$out" "$@" 2>"$tmp/$out.err" ||
		problem "report $out failed: $(cat "$tmp/$out.err")"
	[ ! -e "$tmp/$out.tmp" ] || problem "report $out left $out.tmp behind"
	[ -s "$tmp/$out" ] || problem "report $out is empty"
}
q_from=2016-01-01 q_to=2016-04-01
d_from=2014-01-01 d_to=2024-01-01
e_from=2030-01-01 e_to=2030-01-08
report q.html $q_from $q_to
report q.md $q_from $q_to --format md
report q.csv $q_from $q_to --format csv --top 1000
report q-top3.csv $q_from $q_to --format csv --top 3
report q-en.md $q_from $q_to --format md --lang en
report d.csv $d_from $d_to --format csv --top 1000
report d.html $d_from $d_to --top 5
for f in html md csv; do
	report "e.$f" $e_from $e_to --format $f
done

# The CSV against the alert files, read by Python alone.
cat >"$tmp/check_csv.py" <<'EOF'
import collections, csv, datetime, json, sys

path, frm, to, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
JST = datetime.timezone(datetime.timedelta(hours=9))
lo = datetime.datetime.fromisoformat(frm).replace(tzinfo=JST)
hi = datetime.datetime.fromisoformat(to).replace(tzinfo=JST)
want = collections.defaultdict(collections.Counter)
labels = collections.defaultdict(dict)
threats = collections.Counter()
times = []
for name in files:
    for line in open(name, encoding='utf-8'):
        a = json.loads(line)
        ts = datetime.datetime.strptime(a['timestamp'], '%Y-%m-%dT%H:%M:%S.%f%z')
        if not lo <= ts < hi:
            continue
        times.append(ts)
        pol, geo = a.get('policy', {}), a.get('geo', {})
        keys = {
            'severity': str(a['alert']['severity']),
            'day': ts.astimezone(JST).strftime('%Y-%m-%d'),
            'clause': pol.get('clause', ''),
            'src_zone': a.get('src_zone', {}).get('key', ''),
            'dest_zone': a.get('dest_zone', {}).get('key', ''),
            'sensor': a['sensor'],
            'rule': str(a['alert']['signature_id']),
            'src': a.get('src_ip', ''),
            'dest': a.get('dest_ip', ''),
            'src_country': geo.get('src', {}).get('country', ''),
            'dest_country': geo.get('dest', {}).get('country', ''),
        }
        for sec, k in keys.items():
            want[sec][k] += 1
        labels['rule'][keys['rule']] = a['alert']['signature']
        for side in ('src_zone', 'dest_zone'):
            if keys[side]:
                labels[side][keys[side]] = a[side]['name']
        if keys['clause']:
            threats[(keys['clause'], pol['threat_name'])] += 1
total = len(times)
day = lo.astimezone(JST).date()
while day < hi.astimezone(JST).date():
    want['day'].setdefault(day.isoformat(), 0)
    day += datetime.timedelta(days=1)
for k in '12345':
    want['severity'].setdefault(k, 0)

with open(path, encoding='utf-8-sig', newline='') as f:
    rows = list(csv.reader(f))
bad = []
if rows[0] != ['section', 'key', 'label', 'count']:
    bad.append('header %r' % rows[0])
got = collections.defaultdict(collections.Counter)
glabels = collections.defaultdict(dict)
meta, summary, gthreats = {}, {}, collections.Counter()
for r in rows[1:]:
    if len(r) != 4:
        bad.append('row with %d fields: %r' % (len(r), r))
        continue
    sec, key, label, count = r
    if sec == 'report':
        meta[key] = label
    elif sec == 'summary':
        summary[key] = int(count)
    elif sec == 'clause_threat':
        gthreats[(key, label)] += int(count)
    else:
        if key in got[sec]:
            bad.append('%s %r twice' % (sec, key))
        got[sec][key] = int(count)
        glabels[sec][key] = label
if summary.get('total') != total:
    bad.append('total %r, the files have %d' % (summary.get('total'), total))
if summary.get('sensors') != len(want['sensor']):
    bad.append('sensors %r, the files have %d' % (summary.get('sensors'), len(want['sensor'])))
if summary.get('rules') != len(want['rule']):
    bad.append('rules %r, the files have %d' % (summary.get('rules'), len(want['rule'])))
for sec in want:
    if dict(got[sec]) != dict(want[sec]):
        diff = {k: (got[sec].get(k), want[sec].get(k)) for k in set(got[sec]) | set(want[sec])
                if got[sec].get(k) != want[sec].get(k)}
        bad.append('%s differs (report, files): %s' % (sec, str(diff)[:300]))
    if sum(got[sec].values()) != total:
        bad.append('%s adds up to %d, not %d' % (sec, sum(got[sec].values()), total))
for sec in ('rule', 'src_zone', 'dest_zone'):
    for k, v in labels[sec].items():
        if glabels[sec].get(k) != v:
            bad.append('%s %s label %r, the files say %r' % (sec, k, glabels[sec].get(k), v))
if gthreats != threats:
    bad.append('clause_threat differs: %r vs %r' % (sorted(gthreats.items())[:4], sorted(threats.items())[:4]))
if total:
    first = min(times).astimezone(JST).strftime('%Y-%m-%d %H:%M:%S+09:00')
    last = max(times).astimezone(JST).strftime('%Y-%m-%d %H:%M:%S+09:00')
    if (meta.get('first'), meta.get('last')) != (first, last):
        bad.append('first/last %r %r, the files %r %r' % (meta.get('first'), meta.get('last'), first, last))
for b in bad:
    print('FAIL: %s: %s' % (path, b))
print('%s: %d alerts, %d sensors, %d rules, %d days, %d clauses%s' % (
    path.rsplit('/', 1)[-1], total, len(want['sensor']), len(want['rule']), len(want['day']),
    len(want['clause']), '' if bad else ': every section agrees with the alert files'))
sys.exit(1 if bad else 0)
EOF
for r in "q.csv $q_from $q_to" "d.csv $d_from $d_to" "e.csv $e_from $e_to"; do
	set -- $r
	python3 "$tmp/check_csv.py" "$tmp/$1" "$2" "$3" "${alerts[@]}" || problem "$1 disagrees with the alert files"
done

# A table cut at --top ends with an "others" row; the rows still add up.
python3 - "$tmp/q-top3.csv" <<'EOF' || problem "q-top3.csv: the others rows are wrong"
import collections, csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding='utf-8-sig', newline='')))
total = next(int(r[3]) for r in rows if r[:2] == ['summary', 'total'])
n = collections.Counter(r[0] for r in rows)
s = collections.Counter()
for r in rows[1:]:
    if r[3] and r[0] not in ('summary', 'clause_threat'):
        s[r[0].split('.')[0]] += int(r[3])
bad = [k for k in ('rule', 'src', 'dest') if n[k] != 3 or n[k + '.others'] != 1 or s[k] != total]
print('top 3: rule/src/dest tables of 3 rows and an others row, adding up to %d' % total if not bad else bad)
sys.exit(1 if bad else 0)
EOF

# The same numbers from the collector's own query and top.
for r in "q $q_from $q_to" "d $d_from $d_to"; do
	set -- $r
	before=$fail
	total=$(python3 -c 'import csv, sys
print(next(r[3] for r in csv.reader(open(sys.argv[1], encoding="utf-8-sig")) if r[:2] == ["summary", "total"]))' "$tmp/$1.csv")
	n=$("${Z[@]}" query --store "$db" --from "$2" --to "$3" --json --limit 0 | wc -l)
	[ "$n" = "$total" ] || problem "$1: query gives $n alerts, the report $total"
	for by in sensor clause; do
		section=$by
		"${Z[@]}" top --store "$db" --from "$2" --to "$3" --by "$by" --limit 0 --json >"$tmp/$1-top-$by.json" ||
			problem "top --by $by failed"
		jq -r '"\(.key)\t\(.count)"' "$tmp/$1-top-$by.json" | sort >"$tmp/$1-top-$by.tsv"
		python3 -c 'import csv, sys
for r in csv.reader(open(sys.argv[1], encoding="utf-8-sig")):
    if r[0] == sys.argv[2]:
        print(r[1] + "\t" + r[3])' "$tmp/$1.csv" "$section" | sort >"$tmp/$1-report-$by.tsv"
		cmp -s "$tmp/$1-top-$by.tsv" "$tmp/$1-report-$by.tsv" ||
			problem "$1: top --by $by differs from the report: $(diff "$tmp/$1-top-$by.tsv" "$tmp/$1-report-$by.tsv" | head -4)"
	done
	[ "$fail" != "$before" ] || echo "$1: query and top --by sensor/clause agree with the report ($total alerts)"
done

# Markdown: the sections, the total, the empty range.
q_total=$(python3 -c 'import csv, sys
print(next(r[3] for r in csv.reader(open(sys.argv[1], encoding="utf-8-sig")) if r[:2] == ["summary", "total"]))' "$tmp/q.csv")
for h in '# 自己点検報告' '## 概要' '## 日別' '## 重要度別' '## 条項別' '## ゾーン別' '### 送信元ゾーン' \
	'### 宛先ゾーン' '## センサー別' '## 上位ルール' '## 上位送信元' '## 上位宛先' '## 上位の国'; do
	grep -qx -- "$h" "$tmp/q.md" || problem "q.md has no heading '$h'"
done
grep -qx "| 警報の総数 | $q_total |" "$tmp/q.md" || problem "q.md does not give the total $q_total"
for h in '## Summary' '## By day' '## By policy clause' '## Top rules'; do
	grep -qx -- "$h" "$tmp/q-en.md" || problem "q-en.md has no heading '$h'"
done
for f in e.md e.html; do
	grep -q 'この期間に条件に合う警報はありません。' "$tmp/$f" || problem "$f does not say that there are no alerts"
done

# HTML: well formed, self-contained, the total in the summary.
cat >"$tmp/check_html.py" <<'EOF'
import html.parser, re, sys

VOID = {'meta', 'br', 'hr', 'img', 'input', 'link', 'rect', 'line', 'path'}
class Check(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.bad, self.tags = [], [], set()
    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for k, v in attrs:
            if k in ('src', 'href', 'action') or k.startswith('on'):
                self.bad.append('attribute %s=%r' % (k, v))
        if tag not in VOID:
            self.stack.append(tag)
    def handle_startendtag(self, tag, attrs):
        self.tags.add(tag)
    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.bad.append('</%s> closes <%s> (line %d)' % (tag, self.stack[-1] if self.stack else '', self.getpos()[0]))
        else:
            self.stack.pop()

path, total = sys.argv[1], sys.argv[2]
text = open(path, encoding='utf-8').read()
c = Check()
c.feed(text)
c.close()
bad = c.bad[:5]
if c.stack:
    bad.append('not closed: %s' % c.stack)
for t in ('script', 'iframe', 'object', 'embed', 'link', 'img'):
    if t in c.tags:
        bad.append('has <%s>' % t)
urls = set(re.findall(r'(?:https?|ftp)://[^\s"\'<>)]*', text)) - {'http://www.w3.org/2000/svg'}
if urls:
    bad.append('addresses in the page: %s' % sorted(urls)[:3])
if 'svg' not in c.tags:
    bad.append('no svg')
m = re.search(r'<div class="c">警報の総数</div><div class="v">([0-9,]+)</div>', text)
if not m or m.group(1).replace(',', '') != total:
    bad.append('total %s, not %s' % (m.group(1) if m else None, total))
for b in bad:
    print('FAIL: %s: %s' % (path, b))
sys.exit(1 if bad else 0)
EOF
python3 "$tmp/check_html.py" "$tmp/q.html" "$q_total" || problem "q.html is not right"
python3 "$tmp/check_html.py" "$tmp/e.html" 0 || problem "e.html is not right"
d_total=$(python3 -c 'import csv, sys
print(next(r[3] for r in csv.reader(open(sys.argv[1], encoding="utf-8-sig")) if r[:2] == ["summary", "total"]))' "$tmp/d.csv")
python3 "$tmp/check_html.py" "$tmp/d.html" "$d_total" || problem "d.html is not right"

# Headless Chromium: the DOM it built, and a screenshot.
chrome=("$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run
	--disable-extensions --disable-background-networking --disable-sync --mute-audio
	--user-data-dir="$tmp/chromium")
timeout -k 5 60 "${chrome[@]}" --dump-dom "file://$tmp/q.html" >"$tmp/dom.html" 2>"$tmp/chromium-dom.err" ||
	problem "chromium --dump-dom failed: $(grep -v -e dbus -e 'Fontconfig' "$tmp/chromium-dom.err" | tail -3)"
svgs=$(grep -o '<svg' "$tmp/dom.html" | wc -l)
bars=$(grep -o '<rect' "$tmp/dom.html" | wc -l)
[ "$svgs" -ge 10 ] && [ "$bars" -ge 10 ] || problem "the rendered DOM has $svgs svg and $bars rect elements"
grep -q '自己点検報告' "$tmp/dom.html" || problem "the rendered DOM lacks the title"
png=$keep/report.png
rm -f "$png"
timeout -k 5 60 "${chrome[@]}" --screenshot="$png" --window-size=1200,3000 "file://$tmp/q.html" \
	>/dev/null 2>"$tmp/chromium-shot.err" ||
	problem "chromium --screenshot failed: $(grep -v -e dbus "$tmp/chromium-shot.err" | tail -3)"
cp "$tmp/q.html" "$keep/report.html"
cat >"$tmp/check_png.py" <<'EOF'
import struct, sys, zlib

def png_rows(path):
    """Width, height, bytes per pixel and the unfiltered rows of an 8-bit RGB(A) PNG."""
    data = open(path, 'rb').read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError('not a PNG')
    pos, idat, hdr = 8, [], None
    while pos + 8 <= len(data):
        n, typ = struct.unpack('>I4s', data[pos:pos + 8])
        if typ == b'IHDR':
            hdr = struct.unpack('>IIBBBBB', data[pos + 8:pos + 21])
        elif typ == b'IDAT':
            idat.append(data[pos + 8:pos + 8 + n])
        elif typ == b'IEND':
            break
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError('PNG format %r' % (hdr,))
    bpp = 3 if ctype == 2 else 4
    raw, stride, prev, rows, i = zlib.decompress(b''.join(idat)), w * bpp, bytes(w * bpp), [], 0
    for _ in range(h):
        f, cur = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        if f == 1:
            for x in range(bpp, stride):
                cur[x] = (cur[x] + cur[x - bpp]) & 255
        elif f == 2:
            cur = bytearray((a + b) & 255 for a, b in zip(cur, prev))
        elif f == 3:
            for x in range(stride):
                cur[x] = (cur[x] + (((cur[x - bpp] if x >= bpp else 0) + prev[x]) >> 1)) & 255
        elif f == 4:
            for x in range(stride):
                a = cur[x - bpp] if x >= bpp else 0
                b, c = prev[x], (prev[x - bpp] if x >= bpp else 0)
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                cur[x] = (cur[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(cur))
        prev = cur
    return w, h, bpp, rows

w, h, bpp, rows = png_rows(sys.argv[1])
colours, ink = {}, 0
for r in rows:
    for x in range(0, len(r), bpp):
        px = r[x:x + 3]
        colours[px] = colours.get(px, 0) + 1
white = colours.get(b'\xff\xff\xff', 0)
ink = w * h - white
high = colours.get(bytes.fromhex('e65100'), 0)        # bars of severity high
heading = colours.get(bytes.fromhex('1f4e79'), 0)     # the headings' rule
bad = []
if (w, h) != (1200, 3000):
    bad.append('size %dx%d' % (w, h))
if len(colours) < 100:
    bad.append('only %d colours' % len(colours))
if ink < w * h // 50:
    bad.append('almost blank: %d pixels not white' % ink)
if high < 500:
    bad.append('%d pixels of the bars\' colour #e65100' % high)
if heading < 500:
    bad.append('%d pixels of the headings\' colour #1f4e79' % heading)
print('%s: %dx%d, %d colours, %.1f%% not white, %d bar pixels (#e65100)' % (
    sys.argv[1], w, h, len(colours), 100.0 * ink / (w * h), high))
for b in bad:
    print('FAIL: screenshot: %s' % b)
sys.exit(1 if bad else 0)
EOF
if [ -s "$png" ]; then
	python3 "$tmp/check_png.py" "$png" || problem "the screenshot does not look like the report"
else
	problem "no screenshot"
fi
echo "screenshot: $png (report: $keep/report.html)"

[ "$fail" -eq 0 ] && echo "PASS: reports agree with the alert files, query and top; the HTML renders"
exit "$fail"
