#!/usr/bin/env bash
# Runs action.yml's steps under a fake GitHub runner (scripts/fake_runner.py) in four
# scenarios and checks the SARIF file, the outputs and the order of failure:
#   1. push with findings: builds tokenward (cache miss), writes SARIF, "uploads" it,
#      fails the job last with exit 1;
#   2. pull request from a fork: cache hit, upload skipped, annotations instead;
#   3. push on a clean tree with format=github: exit 0, no findings, job passes;
#   4. a hostile `path` input: passed as data, never run as shell;
#   5. no cached build and no cargo: the build step fails with a clear error and the
#      steps after it are skipped.
# Needs python3 with PyYAML, bash, cargo. Prints "action: all checks passed" at the end.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# The action caches its build under ~/.tokenward; give it a home of its own but keep
# the real cargo and rustup homes so nothing is downloaded again.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export PATH="$CARGO_HOME/bin:$PATH"
export HOME="$tmp/home"
mkdir -p "$HOME"

leaky="$tmp/leaky"
clean="$tmp/clean"
cp -r "$repo/fixtures/leaky" "$leaky"
cp -r "$repo/fixtures/clean" "$clean"

run() { # scenario-name workspace args...
  local name="$1" ws="$2"
  shift 2
  echo "== scenario: $name"
  python3 "$repo/scripts/fake_runner.py" "$repo" "$ws" "$tmp/$name.json" \
    --cache-hit-if "$HOME/.tokenward/bin/tokenward" "$@" 2>&1 | tee "$tmp/$name.log"
}

run push-findings "$leaky" --event push
run fork-pr "$leaky" --event fork_pull_request
run clean "$clean" --event push --input format=github --input sarif-file=report.sarif
run hostile-input "$clean" --event push --input 'path=$(touch pwned)' --input upload-sarif=false
# No cached build and no cargo on PATH: the build step fails and nothing after it runs.
python="$(python3 -c 'import sys; print(sys.executable)')"
echo "== scenario: no-cargo"
PATH=/usr/bin:/bin "$python" "$repo/scripts/fake_runner.py" "$repo" "$clean" "$tmp/no-cargo.json" \
  --cache-hit-if "$tmp/nothing-cached" --event push 2>&1 | tee "$tmp/no-cargo.log"

python3 - "$tmp" "$leaky" "$clean" <<'EOF'
import json, os, sys
tmp, leaky, clean = sys.argv[1:]
def load(name):
    return json.load(open(os.path.join(tmp, name + ".json")))
def log(name):
    return open(os.path.join(tmp, name + ".log")).read()
def outcome(result, step_id):
    return next(s["outcome"] for s in result["steps"] if s["id"] == step_id)
failures = []
def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)

r = load("push-findings")
sarif_path = r["outputs"]["sarif-file"]
check(os.path.isabs(sarif_path) and not sarif_path.startswith(leaky), "push: default SARIF file lies outside the scanned tree")
sarif = json.load(open(sarif_path))
results = sarif["runs"][0]["results"]
check(r["outputs"]["exit-code"] == "1", "push: exit-code output is 1")
check(r["outputs"]["findings"] == str(len(results)) and len(results) > 0,
      f"push: findings output ({r['outputs']['findings']}) counts the SARIF results ({len(results)})")
check(sarif["version"] == "2.1.0", "push: SARIF file written")
check(outcome(r, "build") == "success", "push: tokenward built on a cache miss")
check(outcome(r, "upload") == "success", "push: SARIF uploaded")
check(outcome(r, "annotate") == "skipped", "push: no fallback annotations after an upload")
check(not r["ok"] and r["steps"][-1]["outcome"] == "failure" and r["steps"][-1]["exit"] == 1,
      "push: the job fails in the last step, after the upload")

r = load("fork-pr")
check(outcome(r, "build") == "skipped", "fork PR: cached build reused")
check(outcome(r, "upload") == "skipped", "fork PR: upload skipped")
check(outcome(r, "annotate") == "success" and ("::error file=" in log("fork-pr") or "::warning file=" in log("fork-pr")),
      "fork PR: findings shown as annotations")
check(not r["ok"] and r["outputs"]["exit-code"] == "1", "fork PR: job still fails on findings")

r = load("clean")
check(r["ok"] and r["outputs"] == {"sarif-file": "report.sarif", "findings": "0", "exit-code": "0"},
      f"clean: job passes with outputs {r['outputs']}")
check(os.path.exists(os.path.join(clean, "report.sarif")), "clean: sarif-file input honoured")
check(outcome(r, "fail") == "skipped", "clean: no failing step")

r = load("hostile-input")
check(not os.path.exists(os.path.join(clean, "pwned")) and not os.path.exists("pwned"),
      "hostile input: not executed by the shell")
check(r["outputs"]["exit-code"] == "2" and not r["ok"], "hostile input: reported as a tokenward error (exit 2)")

r = load("no-cargo")
check(outcome(r, "build") == "failure" and "cargo is not installed" in log("no-cargo"),
      "no cargo: the build step says what is missing")
check(outcome(r, "scan") == "skipped" and not r["ok"], "no cargo: later steps skipped, job fails")

if failures:
    sys.exit(f"action: {len(failures)} checks failed")
print("action: all checks passed")
EOF
