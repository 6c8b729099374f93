#!/usr/bin/env bash
# Lints this repository's GitHub workflows and action.yml with actionlint (its
# ShellCheck pass included) and tokenward's own audits, and the action's scripts with
# ShellCheck. actionlint reads only workflows, so action.yml's steps are linted as the
# steps of a generated `workflow_call` workflow whose inputs are the action's inputs
# (the action's metadata itself is checked through ci.yml's `uses: ./` and, in the tests,
# against the GitHub Actions schema).
# Usage: lint-workflows.sh TOKENWARD_BINARY. Needs actionlint and shellcheck on PATH
# (scripts/requirements-ci.txt installs both). Prints "workflows: N passed, 0 failed".
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
tokenward="$1"
cd "$repo"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/.github/workflows"
python3 - action.yml >"$tmp/.github/workflows/action-steps.yml" <<'EOF'
import sys, yaml
action = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
inputs = {name: {"type": "string", "required": False,
                 **({"default": spec["default"]} if "${{" not in str(spec.get("default", "")) else {})}
          for name, spec in (action.get("inputs") or {}).items()}
workflow = {
    "name": "action.yml steps",
    "on": {"workflow_call": {"inputs": inputs}},
    "permissions": {},
    "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}},
}
yaml.safe_dump(workflow, sys.stdout, sort_keys=False, width=1000)
EOF

passed=0
echo "-- actionlint: .github/workflows/*.yml"
actionlint -shellcheck shellcheck .github/workflows/*.yml
passed=$((passed + 1))
echo "-- actionlint: action.yml's steps"
(cd "$tmp" && actionlint -shellcheck shellcheck .github/workflows/action-steps.yml)
passed=$((passed + 1))
echo "-- shellcheck: the action's scripts"
shellcheck scripts/action-install.sh scripts/action-targets.sh scripts/action-sarif-root.sh \
  scripts/source-key.sh scripts/test-action.sh scripts/lint-workflows.sh
passed=$((passed + 1))
echo "-- tokenward audits: workflows and action.yml"
"$tokenward" scan --no-config .github/workflows action.yml
passed=$((passed + 1))
echo "workflows: $passed passed, 0 failed"
