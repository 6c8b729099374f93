#!/usr/bin/env python3
"""Validates SARIF files against the OASIS SARIF 2.1.0 schema (JSON Schema draft-04).

usage: validate_sarif.py SCHEMA FILE.sarif [FILE.sarif ...]
Exits 1 and prints every violation when a file is invalid.
"""
import json
import sys

import jsonschema


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    validator = jsonschema.Draft4Validator(schema)
    bad = 0
    for path in sys.argv[2:]:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        for e in errors:
            print(f"{path}: {'/'.join(map(str, e.path))}: {e.message}", file=sys.stderr)
        results = sum(len(r.get("results", [])) for r in doc.get("runs", []))
        if errors:
            bad += 1
        else:
            print(f"{path}: valid SARIF 2.1.0 ({results} results)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
