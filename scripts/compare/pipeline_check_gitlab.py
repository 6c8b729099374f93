#!/usr/bin/env python3
"""Compare tokenward with Pipeline-Check (PyPI `pipeline-check`) on CI inputs.

Usage: pipeline_check_gitlab.py TOKENWARD PIPELINE_CHECK fixtures|corpus DIR [PLATFORM]

PLATFORM is gitlab (default), azure, circleci, bitbucket or jenkins (fixtures only).

fixtures: DIR is fixtures/gitlab; each file is copied alone to a temporary
`.gitlab-ci.yml`. A file with `# expect: ID` markers is a positive case for ID, every
other file of ID's folder a negative case. Pipeline-Check reports per file, so a case is
"found" when any of its checks mapped to ID fails on that file; tokenward's figures are
per marked line. corpus: DIR holds repositories; both tools run on every GitLab file
and the failing checks / findings are counted.
"""
import json, os, re, shutil, subprocess, sys, tempfile, collections

# tokenward audit id -> Pipeline-Check checks about the same concern.
MAP = {
    "hardcoded-credential": ["GL-003", "GL-008"],
    "long-lived-cloud-credentials": ["GL-013"],
    "job-token-misuse": ["GL-020", "GL-040"],
    "debug-tracing": ["GL-038"],
    "secrets-on-untrusted-pipeline": ["GL-041", "GL-044"],
    "unpinned-include": ["GL-005", "GL-030", "GL-042"],
    "unpinned-images": ["GL-001", "GL-028"],
    "script-injection": ["GL-002", "GL-026"],
    "id-token-hygiene": ["GL-031"],
}


# Per platform: the file name, Pipeline-Check's provider and path flag, and the map.
PLATFORMS = {
    "gitlab": (".gitlab-ci.yml", "gitlab", "--gitlab-path", None),
    "azure": ("azure-pipelines.yml", "azure", "--azure-path", {
        "hardcoded-credential": ["ADO-003", "ADO-008"],
        "long-lived-cloud-credentials": ["ADO-014"],
        "debug-tracing": [],
        "persist-credentials": ["ADO-032"],
        "unpinned-images": ["ADO-005"],
        "unpinned-include": ["ADO-025"],
        # No Pipeline-Check check judges secrets on PR builds for Azure.
        "secrets-on-untrusted-pipeline": [],
    }),
    "circleci": (".circleci/config.yml", "circleci", "--circleci-path", {
        "hardcoded-credential": ["CC-004", "CC-008"],
        "long-lived-cloud-credentials": ["CC-005"],
        "unpinned-action": ["CC-001"],
        "unpinned-images": ["CC-003"],
        # Closest: OIDC role assumption without a branch filter or approval gate.
        "secrets-on-untrusted-pipeline": ["CC-031"],
    }),
    "bitbucket": ("bitbucket-pipelines.yml", "bitbucket", "--bitbucket-path", {
        "hardcoded-credential": ["BB-003", "BB-008"],
        "long-lived-cloud-credentials": ["BB-011"],
        "unpinned-action": ["BB-001"],
        "unpinned-images": ["BB-029"],
        "secrets-on-untrusted-pipeline": ["BB-033", "BB-034"],
    }),
    "jenkins": ("Jenkinsfile", "jenkins", "--jenkinsfile-path", {
        "hardcoded-credential": ["JF-008"],
        "groovy-credential-interpolation": ["JF-033"],
        "unpinned-images": ["JF-009"],
        "unpinned-include": ["JF-001"],
        "long-lived-cloud-credentials": ["JF-004", "JF-010"],
        "secrets-on-untrusted-pipeline": [],
    }),
}
PLATFORM = "gitlab"


def write_case(d, text):
    name = PLATFORMS[PLATFORM][0]
    os.makedirs(os.path.dirname(os.path.join(d, name)), exist_ok=True)
    open(os.path.join(d, name), "w").write(text)


def pc_checks(pc, text):
    d = tempfile.mkdtemp()
    try:
        name, provider, flag, _ = PLATFORMS[PLATFORM]
        write_case(d, text)
        out = subprocess.run([pc, "--pipeline", provider, flag, name,
                              "--output", "json"], cwd=d, capture_output=True, text=True, timeout=300)
        try:
            js = json.loads(out.stdout[out.stdout.index("{"):])
        except ValueError:
            return None
        return collections.Counter(f["check_id"] for f in js["findings"] if not f.get("passed"))
    finally:
        shutil.rmtree(d)


def tw_lines(tw, text, audit):
    d = tempfile.mkdtemp()
    try:
        write_case(d, text)
        out = subprocess.run([tw, "scan", "--no-config", "--format", "json", "--select", audit, d],
                             capture_output=True, text=True)
        js = json.loads(out.stdout)
        return [f["span"]["start_line"] for f in js["findings"]]
    finally:
        shutil.rmtree(d)


def fixtures(tw, pc, root):
    print("| audit | Pipeline-Check checks | cases +/- | tokenward lines found/expected, false lines | Pipeline-Check positives found | Pipeline-Check negatives flagged |")
    print("|---|---|---|---|---|---|")
    table = PLATFORMS[PLATFORM][3] or MAP
    for audit in sorted(os.listdir(root)):
        checks = table.get(audit, [])
        pos = neg = pc_tp = pc_fp = exp_n = tw_tp = tw_fp = 0
        for name in sorted(os.listdir(os.path.join(root, audit))):
            text = open(os.path.join(root, audit, name)).read()
            want = []
            for i, l in enumerate(text.splitlines()):
                m = re.search(r"(?:#|//) expect:(.*)", l)
                if m:
                    want += [i + 1] * sum(1 for x in m.group(1).split(",") if x.strip() == audit)
            got = tw_lines(tw, text, audit)
            exp_n += len(want)
            tw_tp += sum(min(want.count(w), got.count(w)) for w in set(want))
            tw_fp += sum(max(0, got.count(g) - want.count(g)) for g in set(got))
            c = pc_checks(pc, text) or collections.Counter()
            hit = any(c[k] for k in checks)
            if want:
                pos += 1
                pc_tp += hit
            else:
                neg += 1
                pc_fp += hit
        print(f"| `{audit}` | {', '.join(checks) or '-'} | {pos}/{neg} | {tw_tp}/{exp_n}, {tw_fp} | {pc_tp}/{pos} | {pc_fp}/{neg} |")


def corpus(tw, pc, root, files):
    pc_total = collections.Counter()
    tw_total = collections.Counter()
    for rel in files:
        path = os.path.join(root, rel)
        text = open(path).read()
        c = pc_checks(pc, text)
        if c is None:
            print(f"pipeline-check failed on {rel}", file=sys.stderr)
            continue
        pc_total.update(c)
        d = tempfile.mkdtemp()
        try:
            open(os.path.join(d, ".gitlab-ci.yml"), "w").write(text)
            out = subprocess.run([tw, "scan", "--no-config", "--format", "json", d],
                                 capture_output=True, text=True)
            js = json.loads(out.stdout)
            for f in js["findings"]:
                tw_total[(f["rule_id"], f["severity"])] += 1
                if f["kind"] == "pipeline" and f["severity"] in ("high", "critical"):
                    print(f"tokenward high: {rel}:{f['span']['start_line']} {f['rule_id']}", file=sys.stderr)
        finally:
            shutil.rmtree(d)
    print("Pipeline-Check failing checks:", dict(sorted(pc_total.items())))
    print("tokenward findings:", dict(sorted(tw_total.items())))


if __name__ == "__main__":
    tw, pc, mode, root = sys.argv[1:5]
    if len(sys.argv) > 5:
        PLATFORM = sys.argv[5]
    if mode == "fixtures":
        fixtures(tw, pc, root)
    else:
        files = [l.strip() for l in sys.stdin if l.strip()]
        corpus(tw, pc, root, files)
