#!/usr/bin/env python3
"""Validate zw-sensor alert files (JSON lines) against doc/alert.schema.json.

usage: validate_alerts.py SCHEMA FILE...

Every non-empty line of every FILE must be one JSON object that the schema
(JSON Schema draft 2020-12) accepts; formats (ipv4, ipv6) are checked.
Each schema file is one schema_version: doc/alert.schema.json the current
one (3), doc/alert.schema.v2.json version 2.  Each
failure is printed as "FILE:LINE: message" (at most 10 per line of input).
The last line is a summary: "N alerts valid" when all are, else
"N of M alerts invalid".

Exit status: 0 all valid, 1 any alert invalid or a file unreadable,
2 usage error or an unusable schema.

Needs python3-jsonschema (Debian 12 ships 4.10.3; any 4.x works)."""
import json
import sys

try:
    import jsonschema
    from jsonschema import Draft202012Validator
except ImportError:
    sys.stderr.write("validate_alerts.py: needs the jsonschema module "
                     "(Debian: apt-get install python3-jsonschema)\n")
    sys.exit(2)

MAX_ERRORS_PER_LINE = 10


def where(err):
    """Path of the failing value in the alert, e.g. 'alert.severity_name'."""
    parts = []
    for p in err.absolute_path:
        parts.append(f"[{p}]" if isinstance(p, int) else ("." if parts else "") + str(p))
    return "".join(parts) or "(alert)"


def load_schema(path):
    try:
        with open(path, encoding="utf-8") as f:
            schema = json.load(f)
    except (OSError, ValueError) as e:
        sys.stderr.write(f"validate_alerts.py: {path}: {e}\n")
        sys.exit(2)
    try:
        Draft202012Validator.check_schema(schema)
    except jsonschema.exceptions.SchemaError as e:
        sys.stderr.write(f"validate_alerts.py: {path}: not a valid draft 2020-12 schema: "
                         f"{e.message}\n")
        sys.exit(2)
    checker = getattr(Draft202012Validator, "FORMAT_CHECKER", None) or jsonschema.FormatChecker()
    return Draft202012Validator(schema, format_checker=checker)


def check_file(validator, path):
    """Returns (alerts seen, alerts invalid, file readable)."""
    seen = bad = 0
    try:
        f = open(path, "rb")
    except OSError as e:
        print(f"{path}: cannot open: {e.strerror}")
        return 0, 0, False
    with f:
        for lineno, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            seen += 1
            problems = []
            if not raw.endswith(b"\n"):
                problems.append("the last line has no newline (cut short?)")
            try:
                alert = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as e:
                problems.append(f"not UTF-8: {e.reason} at byte {e.start + 1} of the line")
            except ValueError as e:
                problems.append(f"not JSON: {e}")
            else:
                errors = sorted(validator.iter_errors(alert),
                                key=lambda e: [str(p) for p in e.absolute_path])
                for e in errors[:MAX_ERRORS_PER_LINE]:
                    problems.append(f"{where(e)}: {e.message}")
                if len(errors) > MAX_ERRORS_PER_LINE:
                    problems.append(f"... and {len(errors) - MAX_ERRORS_PER_LINE} more")
            for p in problems:
                print(f"{path}:{lineno}: {p}")
            if problems:
                bad += 1
    return seen, bad, True


def main(argv):
    if len(argv) < 3 or argv[1] in ("-h", "--help"):
        sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
        return 2
    validator = load_schema(argv[1])
    total = invalid = 0
    readable = True
    for path in argv[2:]:
        seen, bad, ok = check_file(validator, path)
        total += seen
        invalid += bad
        readable = readable and ok
    if invalid:
        print(f"{invalid} of {total} alerts invalid")
    else:
        print(f"{total} alerts valid")
    return 1 if invalid or not readable else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
