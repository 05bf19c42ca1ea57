#!/usr/bin/env python3
"""Independent model of the threshold semantics documented in doc/rules.md,
for tests/replay/threshold.sh.

  threshold_model.py ALERTS BASE_SID SID:TYPE:TRACK:COUNT:SECONDS ...

Takes the alerts of BASE_SID (a rule without a threshold that matches the
same flows) as the event stream, applies each threshold, and compares with
the alerts the sensor wrote for SID: which events were written and their
suppressed_before counts.  Prints one line per SID and exits 1 on a
difference."""
import json
import sys
from datetime import datetime


def ts_us(text):
    t = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")
    return int(t.timestamp()) * 1000000 + t.microsecond


def key(a, track):
    if track == "by_src":
        return a["src_ip"]
    if track == "by_dst":
        return a["dest_ip"]
    if track == "by_pair":
        return (a["src_ip"], a["dest_ip"])
    return "rule"


def model(events, kind, track, count, seconds):
    state = {}
    out = []
    for ts, a in events:
        k = key(a, track)
        s = state.setdefault(k, {"start": ts, "n": 0, "held": 0})
        if ts >= s["start"] + seconds * 1000000:
            s["start"], s["n"] = ts, 0
        s["n"] += 1
        if kind == "limit":
            ok = s["n"] <= count
        elif kind == "threshold":
            ok = s["n"] % count == 0
        else:
            ok = s["n"] == count
        if ok:
            out.append((ts, a["src_ip"], a["dest_ip"], s["held"]))
            s["held"] = 0
        else:
            s["held"] += 1
    return out


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    alerts = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
    base = int(sys.argv[2])
    events = sorted(((ts_us(a["timestamp"]), a) for a in alerts
                     if a["alert"]["signature_id"] == base), key=lambda e: e[0])
    if not events:
        sys.exit(f"no alerts of base sid {base}")
    bad = 0
    for spec in sys.argv[3:]:
        sid, kind, track, count, seconds = spec.split(":")
        want = model(events, kind, track, int(count), int(seconds))
        got = [(ts_us(a["timestamp"]), a["src_ip"], a["dest_ip"], a.get("suppressed_before", 0))
               for a in alerts if a["alert"]["signature_id"] == int(sid)]
        same = sorted(want) == sorted(got)
        held = len(events) - len(want)
        print(f"{'ok  ' if same else 'DIFF'} sid {sid} {kind} {track} count {count} "
              f"seconds {seconds}: {len(events)} events, model writes {len(want)} "
              f"(holds {held}), sensor wrote {len(got)}")
        if not same:
            bad += 1
            for line in sorted(set(want) ^ set(got))[:10]:
                print("     ", "model" if line in want else "sensor", line)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
