#!/usr/bin/env python3
"""Score tokenward against a labeled corpus made by generate.py.

    python3 scripts/accuracy/score.py --corpus DIR [--binary target/release/tokenward]
                                      [--min-precision 0.97] [--min-recall 0.95]
    python3 scripts/accuracy/score.py --generate [--repos 40 --seed 1]   # build a corpus in a temp dir first

Runs `tokenward scan DIR/repos --format json --fail-on never`, keeps secret findings
(kind "secret") above severity info (an info finding, e.g. a vendor test-mode key, is
treated as "not a leak"), and matches each finding to the labeled positives by path and
line: a finding matches a label when its start line lies within [line-1, end_line+1].

  - precision = findings that match a label / all findings (a trap line next to a secret
                does not borrow the secret's label)
  - recall    = labels matched by at least one finding / all labels
  - F1        = harmonic mean

Per family: recall over the labels of that family; precision counts a matching finding
under its label's family and a false positive under the family of the rule that fired
(read from rules/*.toml). False positives and negatives are listed with the secret
redacted, together with the trap kind or the planted credential kind, for debugging.

Exit status: 0 when overall precision and recall reach the thresholds, 1 when not, 2 on
error.
"""

import argparse
import collections
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def rule_families(rules_dir):
    fams = {}
    try:
        import tomllib
    except ImportError:  # Python < 3.11: families of false positives show as "?"
        return fams
    for p in glob.glob(os.path.join(rules_dir, "*.toml")):
        try:
            with open(p, "rb") as fh:
                for r in tomllib.load(fh).get("rule", []):
                    fams[r.get("id")] = r.get("family", "?")
        except (OSError, ValueError):
            continue
    return fams


def shape(s):
    classes = []
    for name, test in (("A-Z", str.isupper), ("a-z", str.islower), ("0-9", str.isdigit)):
        if any(test(c) for c in s):
            classes.append(name)
    other = sorted({c for c in s if not c.isalnum()})
    return f"len={len(s)} [{''.join(classes)}{''.join(other)[:12]}]"


def redact(s, keep=4):
    if len(s) <= keep * 2:
        return "*" * len(s)
    return s[:keep] + "*" * min(len(s) - keep, 12) + f"({len(s)})"


def line_text(corpus, path, line, cache={}):
    if path not in cache:
        try:
            with open(os.path.join(corpus, "repos", path), encoding="utf-8", errors="replace") as fh:
                cache[path] = fh.read().split("\n")
        except OSError:
            cache[path] = []
    lines = cache[path]
    return lines[line - 1] if 0 < line <= len(lines) else ""


def squeeze(text, width=150):
    text = text.strip()
    if len(text) <= width:
        return text
    return text[: width - 20] + f" ...[{len(text)} chars]"


def fmt(x):
    return "  -  " if x is None else f"{x:.3f}"


def prf(tp_f, fp, tp_l, n_l):
    p = tp_f / (tp_f + fp) if tp_f + fp else None
    r = tp_l / n_l if n_l else None
    f1 = 2 * p * r / (p + r) if p is not None and r is not None and p + r else None
    return p, r, f1


def run_scan(binary, target):
    t0 = time.time()
    proc = subprocess.run([binary, "scan", target, "--format", "json", "--fail-on", "never"],
                          capture_output=True, text=True)
    elapsed = time.time() - t0
    if proc.returncode not in (0, 1):
        sys.stderr.write(f"score: {binary} exited {proc.returncode}\n{proc.stderr}\n")
        sys.exit(2)
    try:
        report = json.loads(proc.stdout)
    except ValueError as e:
        sys.stderr.write(f"score: cannot parse JSON report: {e}\n{proc.stdout[:500]}\n{proc.stderr}\n")
        sys.exit(2)
    return report, proc.stderr.strip(), elapsed


def main():
    ap = argparse.ArgumentParser(description="Score tokenward on a generated labeled corpus.")
    ap.add_argument("--corpus", help="folder written by generate.py (with repos/ and labels.json)")
    ap.add_argument("--generate", action="store_true", help="generate a fresh corpus in a temp folder first")
    ap.add_argument("--repos", type=int, default=40, help="with --generate: number of repositories")
    ap.add_argument("--seed", type=int, default=1, help="with --generate: seed")
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "tokenward"))
    ap.add_argument("--rules-dir", default=os.path.join(ROOT, "rules"), help="for the family of a false positive's rule")
    ap.add_argument("--min-precision", type=float, default=0.97)
    ap.add_argument("--min-recall", type=float, default=0.95)
    ap.add_argument("--max-list", type=int, default=400, help="list at most this many FPs and FNs each")
    ap.add_argument("--json-out", help="also write the scores and the FP/FN lists here as JSON")
    args = ap.parse_args()

    tmp = None
    corpus = args.corpus
    if args.generate or not corpus:
        tmp = tempfile.TemporaryDirectory(prefix="tokenward-accuracy-")
        corpus = tmp.name
        subprocess.run([sys.executable, os.path.join(HERE, "generate.py"), "--out", corpus,
                        "--repos", str(args.repos), "--seed", str(args.seed)], check=True)
    with open(os.path.join(corpus, "labels.json"), encoding="utf-8") as fh:
        labels = json.load(fh)
    positives = labels["positives"]
    traps_by_path = collections.defaultdict(list)
    for t in labels["traps"]:
        traps_by_path[t["path"]].append(t)
    by_path = collections.defaultdict(list)
    for i, p in enumerate(positives):
        by_path[p["path"]].append(i)

    report, summary_line, elapsed = run_scan(args.binary, os.path.join(corpus, "repos"))
    fams = rule_families(args.rules_dir)

    findings = [f for f in report.get("findings", []) if f.get("kind") == "secret"]
    info = [f for f in findings if f.get("severity") == "info"]
    scored = [f for f in findings if f.get("severity") != "info"]

    matched = collections.defaultdict(list)  # label index -> finding rule ids
    fps = []
    tp_findings_by_family = collections.Counter()
    fp_by_family = collections.Counter()
    fp_by_rule = collections.Counter()
    def trap_at(path, line):
        return next((t["kind"] for t in traps_by_path.get(path, [])
                     if t["line"] <= line <= t.get("end_line", t["line"])), None)

    for f in scored:
        path = f["path"].replace("\\", "/")
        line = f["span"]["start_line"]
        cands = by_path.get(path, [])
        # A finding inside a label's line range matches it (several findings on one secret
        # count once for recall). The +-1 tolerance only applies to a line that is not a
        # labeled trap and only to a label no other finding has claimed, so that a trap on the
        # line next to a secret still counts as a false positive.
        exact = [i for i in cands if positives[i]["line"] <= line <= positives[i]["end_line"]]
        exact.sort(key=lambda i: i in matched)
        trap = trap_at(path, line)
        near = [] if exact or trap else [
            i for i in cands if i not in matched and positives[i]["line"] - 1 <= line <= positives[i]["end_line"] + 1]
        hits = exact or near
        if hits:
            i = hits[0]
            matched[i].append(f["rule_id"])
            tp_findings_by_family[positives[i]["family"]] += 1
        else:
            fam = fams.get(f["rule_id"], "?")
            fp_by_family[fam] += 1
            fp_by_rule[f["rule_id"]] += 1
            fps.append((path, line, f, trap or "unlabeled-line"))

    n_by_family = collections.Counter(p["family"] for p in positives)
    hit_by_family = collections.Counter(positives[i]["family"] for i in matched)
    tp_f = sum(tp_findings_by_family.values())
    p, r, f1 = prf(tp_f, len(fps), len(matched), len(positives))

    print(f"tokenward accuracy benchmark: corpus {corpus} (seed {labels.get('seed')}, {labels.get('repos')} repos, "
          f"{labels.get('files')} files, {len(positives)} planted secrets, {len(labels['traps'])} trap lines)")
    print(f"scan: {summary_line}  [{elapsed:.2f}s wall]")
    print(f"findings: {len(scored)} scored, {len(info)} info-severity ignored, "
          f"{sum(len(v) - 1 for v in matched.values())} duplicate findings on already-matched secrets")
    print()
    print(f"{'family':<16} {'labels':>6} {'found':>6} {'FN':>4} {'FP':>4} {'precision':>9} {'recall':>7} {'F1':>6}")
    families = sorted(set(n_by_family) | set(fp_by_family))
    for fam in families:
        fp_, rr, ff = prf(tp_findings_by_family[fam], fp_by_family[fam], hit_by_family[fam], n_by_family[fam])
        print(f"{fam:<16} {n_by_family[fam]:>6} {hit_by_family[fam]:>6} {n_by_family[fam] - hit_by_family[fam]:>4} "
              f"{fp_by_family[fam]:>4} {fmt(fp_):>9} {fmt(rr):>7} {fmt(ff):>6}")
    print(f"{'OVERALL':<16} {len(positives):>6} {len(matched):>6} {len(positives) - len(matched):>4} {len(fps):>4} "
          f"{fmt(p):>9} {fmt(r):>7} {fmt(f1):>6}")

    fns = [(i, pos) for i, pos in enumerate(positives) if i not in matched]
    kind_n = collections.Counter(pos["kind"] for pos in positives)
    kind_miss = collections.Counter(pos["kind"] for _, pos in fns)
    if kind_miss:
        print("\nrecall by planted kind (kinds with misses):")
        for k, m in sorted(kind_miss.items(), key=lambda kv: -kv[1]):
            print(f"  {k:<28} missed {m:>3} of {kind_n[k]:>3}")
    if fp_by_rule:
        print("\nfalse positives by rule:")
        for k, m in fp_by_rule.most_common():
            print(f"  {k:<40} {m:>4}")

    print(f"\nfalse positives ({len(fps)}):")
    for path, line, f, trap in fps[: args.max_list]:
        text = line_text(corpus, path, line)
        sc = f["span"]["start_column"]
        ec = f["span"]["end_column"] if f["span"]["end_line"] == line else len(text) + 1
        secret = text[sc - 1: ec - 1]
        shown = text[: sc - 1] + redact(secret, 6) + text[ec - 1:] if secret else text
        print(f"  FP {path}:{line} {f['rule_id']} [{fams.get(f['rule_id'], '?')}] trap={trap} secret {shape(secret)}")
        print(f"       {squeeze(shown)}")
    info_on_labels = 0
    for f in info:
        path = f["path"]
        line = f["span"]["start_line"]
        if any(positives[i]["line"] <= line <= positives[i]["end_line"] for i in by_path.get(path, [])):
            info_on_labels += 1
    print(f"\nfalse negatives ({len(fns)}):" + (f" ({info_on_labels} planted secrets only reported at info)" if info_on_labels else ""))
    for i, pos in fns[: args.max_list]:
        text = line_text(corpus, pos["path"], pos["line"])
        secret = pos["secret"]
        shown = text.replace(secret, redact(secret)) if secret and secret in text else text
        rng = f"{pos['line']}" + (f"-{pos['end_line']}" if pos["end_line"] != pos["line"] else "")
        print(f"  FN {pos['path']}:{rng} {pos['kind']} [{pos['family']}] secret {shape(secret)}")
        print(f"       {squeeze(shown)}")

    ok = p is not None and r is not None and p >= args.min_precision and r >= args.min_recall
    print(f"\nOVERALL precision {fmt(p)} (min {args.min_precision}), recall {fmt(r)} (min {args.min_recall}), F1 {fmt(f1)}: "
          + ("PASS" if ok else "FAIL"))
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as fh:
            json.dump({"precision": p, "recall": r, "f1": f1,
                       "families": {fam: dict(zip(("precision", "recall", "f1"), prf(
                           tp_findings_by_family[fam], fp_by_family[fam], hit_by_family[fam], n_by_family[fam])))
                           for fam in families},
                       "false_positives": [{"path": a, "line": b, "rule_id": c["rule_id"], "trap": d} for a, b, c, d in fps],
                       "false_negatives": [{"path": pos["path"], "line": pos["line"], "kind": pos["kind"], "family": pos["family"]} for _, pos in fns]},
                      fh, indent=1)
    if tmp:
        tmp.cleanup()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
