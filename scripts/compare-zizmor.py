#!/usr/bin/env python3
"""Runs tokenward and zizmor (PyPI `zizmor`, --offline) on the same repositories'
workflows and lists, finding by finding, where they agree and differ.

Usage: scripts/compare-zizmor.py TOKENWARD_BINARY REPO_DIR...
Each REPO_DIR is a repository root (its .github/workflows and action.yml files).
Audits are matched by the zizmor-id table in src/audit/mod.rs (ZIZMOR_IDS).
"""
import json, re, subprocess, sys, collections, pathlib

ids_src = pathlib.Path(__file__).resolve().parent.parent.joinpath("src/audit/mod.rs").read_text()
table = dict(re.findall(r'\("([a-z-]+)", "([a-z-]+)"\),', ids_src.split("const ZIZMOR_IDS")[1].split("];")[0]))

def tokenward(binary, repo):
    out = subprocess.run([binary, "scan", repo, "--no-config", "-f", "json", "--fail-on", "never"],
                         capture_output=True, text=True).stdout
    res = set()
    for f in json.loads(out)["findings"]:
        if f["kind"] != "pipeline":
            continue
        res.add((f["rule_id"], f["path"], f["span"]["start_line"], f["severity"]))
    return res

def zizmor(repo):
    p = subprocess.run(["zizmor", "--offline", "--format", "json", "--min-severity", "low", repo],
                       capture_output=True, text=True)
    res = set()
    for f in json.loads(p.stdout or "[]"):
        ours = table.get(f["ident"], "zizmor:" + f["ident"])
        for loc in f["locations"]:
            if loc["symbolic"].get("kind") != "Primary":
                continue
            key = loc["symbolic"]["key"].get("Local", {})
            path = key.get("given_path") or key.get("verbatim_path") or "?"
            path = str(pathlib.Path(path).relative_to(repo)) if path.startswith(repo) else path
            line = loc["concrete"]["location"]["start_point"]["row"] + 1
            res.add((ours, path, line, f["determinations"]["severity"].lower()))
    return res

binary, repos = sys.argv[1], sys.argv[2:]
totals = collections.Counter()
for repo in repos:
    t = tokenward(binary, repo)
    z = zizmor(repo)
    tk = {(a, p, l) for a, p, l, _ in t}
    zk = {(a, p, l) for a, p, l, _ in z}
    shared_ids = set(table.values())
    both = tk & zk
    only_t = sorted(x for x in tk - zk)
    only_z = sorted(x for x in zk - tk)
    zf = {(a, p) for a, p, _ in zk if a in shared_ids}
    tf = {(a, p) for a, p, _ in tk}
    totals["zizmor_files"] += len(zf)
    totals["zizmor_files_also_tokenward"] += len(zf & tf)
    for a, p in sorted(zf - tf):
        totals["missed_files:" + a] += 1
        print("  file missed:   ", a, p)
    totals["both"] += len(both); totals["only_tokenward"] += len(only_t); totals["only_zizmor"] += len(only_z)
    totals["only_zizmor_shared_audit"] += sum(1 for a, _, _ in only_z if a in shared_ids)
    print(f"## {repo}: both {len(both)}, only tokenward {len(only_t)}, only zizmor {len(only_z)}")
    for x in sorted(both): print("  both:          ", *x)
    for x in only_t: print("  tokenward only:", *x)
    for x in only_z: print("  zizmor only:   ", *x)
print("## totals", dict(totals))
if totals["zizmor_files"]:
    print("## file-level recall on shared audits: %.3f" % (totals["zizmor_files_also_tokenward"] / totals["zizmor_files"]))
