#!/usr/bin/env python3
"""Compare a zw-collector store with the sensors' --alerts files.

    storecheck.py DB FILE... [--quarantined N] [--extra-ids FILE]

Reads the store with Python's own sqlite3 module (not zw-collector), so the
check does not trust the code under test.  Passes (exit 0) when the store
holds exactly the union of the files' alert lines: each alert_id once, its
stored line byte-for-byte the file's line, and no alert that no file has.
--quarantined N: the quarantine table must hold N entries, each with a
reason.  Prints what differs, then one summary line.
"""
import json
import sqlite3
import sys


def main():
    args = sys.argv[1:]
    quarantined = None
    if "--quarantined" in args:
        i = args.index("--quarantined")
        quarantined = int(args[i + 1])
        del args[i:i + 2]
    db, files = args[0], args[1:]
    want = {}
    lines = 0
    for name in files:
        with open(name, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if not line:
                    continue
                lines += 1
                aid = json.loads(line)["alert_id"]
                if aid in want and want[aid] != line:
                    print(f"{name}: alert_id {aid} with two different lines")
                    return 1
                want[aid] = line
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = con.execute(
        "SELECT a.alert_id, j.json FROM alerts a JOIN alert_json j ON j.id = a.id").fetchall()
    have = {}
    dup = 0
    for aid, line in rows:
        if aid in have:
            dup += 1
        have[aid] = line
    bad = 0
    missing = [a for a in want if a not in have]
    extra = [a for a in have if a not in want]
    differ = [a for a in want if a in have and have[a] != want[a]]
    for what, ids in (("missing from the store", missing), ("in the store, in no file", extra),
                      ("stored line differs from the file", differ)):
        if ids:
            bad = 1
            print(f"{len(ids)} alerts {what}, e.g. {ids[:3]}")
    if dup:
        bad = 1
        print(f"{dup} alert_ids stored more than once")
    (counted,) = con.execute("SELECT value FROM counters WHERE name = 'alerts'").fetchone()
    if counted != len(rows):
        bad = 1
        print(f"counters.alerts is {counted}, the table has {len(rows)} rows")
    nq = con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
    if quarantined is not None:
        if nq != quarantined:
            bad = 1
            print(f"{nq} entries quarantined, expected {quarantined}")
        empty = con.execute("SELECT count(*) FROM quarantine WHERE reason = ''").fetchone()[0]
        if empty:
            bad = 1
            print(f"{empty} quarantined entries without a reason")
    print(f"store: {len(rows)} alerts, {nq} quarantined; files: {lines} lines, "
          f"{len(want)} distinct alert_ids: {'same' if not bad else 'DIFFERENT'}")
    return bad


if __name__ == "__main__":
    sys.exit(main())
