#!/usr/bin/env bash
# Times the pipeline audits on 1,000 GitHub Actions workflows with the release binary:
# the whole process (startup included), several rounds, and prints the CPU seconds
# (user + system) as median and min-max, with wall time and peak memory. Not a test: a
# measurement.
#
#   scripts/bench-audits.sh [N]             # N generated workflows, default 1000
#   scripts/bench-audits.sh --real [N]      # N real workflows: the ones under
#                                           # ../shared/corpora/real-ci, repeated to N
#
#   ROUNDS=9                 rounds (default 7)
#   TOKENWARD_BIN=path       the binary measured (default target/release/tokenward)
#   TOKENWARD_BASE_BIN=path  a second binary, run in alternating rounds with the first
#                            (same files, same machine load), with the ratio of medians
set -euo pipefail

cd "$(dirname "$0")/.."
REAL=false
if [[ "${1:-}" == --real ]]; then
  REAL=true
  shift
fi
N="${1:-1000}"
BIN="${TOKENWARD_BIN:-target/release/tokenward}"
if [[ ! -x "$BIN" ]]; then
  cargo build --release -j1
fi

# Every pipeline audit the binary has.
AUDITS=$("$BIN" rules 2>/dev/null | awk '$3 == "pipeline" {print $1}' | paste -sd, -)
[[ -n "$AUDITS" ]] || { echo "no pipeline audits listed by $BIN rules" >&2; exit 2; }

DIR="$(mktemp -d)"
trap 'rm -rf "$DIR"' EXIT
mkdir -p "$DIR/.github/workflows"

if $REAL; then
  mapfile -t real < <(find ../shared/corpora/real-ci -path '*/.github/workflows/*' \( -name '*.yml' -o -name '*.yaml' \) | sort)
  [[ ${#real[@]} -gt 0 ]] || { echo "no real workflows under ../shared/corpora/real-ci" >&2; exit 2; }
  for ((i = 0; i < N; i++)); do
    cp "${real[$((i % ${#real[@]}))]}" "$DIR/.github/workflows/wf-$i.yml"
  done
fi

for ((i = 0; i < N; i++)); do
  $REAL && break
  case $((i % 4)) in
  0) TRIGGER=$'  push:\n    branches: [main]\n  pull_request:' ;;
  1) TRIGGER=$'  pull_request_target:\n    types: [opened, synchronize]' ;;
  2) TRIGGER=$'  release:\n    types: [published]' ;;
  3) TRIGGER=$'  issues:\n    types: [opened]\n  workflow_dispatch:' ;;
  esac
  cat >"$DIR/.github/workflows/wf-$i.yml" <<YAML
name: Workflow $i 🚀
on:
$TRIGGER
env:
  NODE_VERSION: "20"
  SLACK_WEBHOOK: \${{ secrets.SLACK_WEBHOOK_$i }}
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        os: [ubuntu-latest, windows-latest]
        node: [18, 20, 22]
    steps:
      - uses: actions/checkout@v4
        with:
          ref: \${{ github.event.pull_request.head.sha }}
      - uses: actions/setup-node@v4
        with:
          node-version: \${{ matrix.node }}
          cache: npm
      - run: npm ci
      - run: |
          echo "Testing \${{ github.event.issue.title }}"
          npm test -- --shard=$i
  build:
    needs: test
    runs-on: [self-hosted, linux]
    permissions:
      contents: write
      packages: write
    env:
      API_KEY: \${{ secrets.API_KEY }}
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - uses: docker/login-action@v3
        with:
          registry: ghcr.io
          username: \${{ github.actor }}
          password: \${{ secrets.GITHUB_TOKEN }}
      - uses: docker/build-push-action@v6
        with:
          push: true
          tags: ghcr.io/org/app:$i
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          aws-access-key-id: \${{ secrets.AWS_ACCESS_KEY_ID }}
          aws-secret-access-key: \${{ secrets.AWS_SECRET_ACCESS_KEY }}
          aws-region: us-east-1
      - run: aws s3 sync dist s3://bucket-$i
  publish:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm publish
        env:
          NODE_AUTH_TOKEN: \${{ secrets.NPM_TOKEN }}
      - run: git push origin HEAD:refs/tags/v$i
  reuse:
    uses: org/shared/.github/workflows/deploy.yml@main
    secrets: inherit
YAML
done

EXTRA=()
if "$BIN" scan --help 2>/dev/null | grep -q -- --no-config; then
  EXTRA+=(--no-config)
fi

echo "$N workflows, $(cat "$DIR"/.github/workflows/*.yml | wc -l) lines"
ROUNDS="${ROUNDS:-7}"
BINS=("$BIN")
[[ -n "${TOKENWARD_BASE_BIN:-}" ]] && BINS+=("$TOKENWARD_BASE_BIN")
for ((r = 0; r < ROUNDS; r++)); do
  for i in "${!BINS[@]}"; do
    /usr/bin/time -a -o "$DIR/times.$i" -f "%U %S %e %M" \
      "${BINS[$i]}" scan "$DIR" --select "$AUDITS" --format json --fail-on never "${EXTRA[@]}" \
      >"$DIR/out.$i.json" 2>/dev/null
  done
done
# median and min-max of column $1 of file $2 (CPU: user + system when "cpu"), printed
# with format $3
stats() {
  awk -v c="$1" '{ v = (c == "cpu") ? $1 + $2 : $c; print v }' "$2" | sort -g |
    awk -v f="${3:-%.3f}" '{ v[NR] = $1 } END {
      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf f " (min " f ", max " f ")", m, v[1], v[NR] }'
}
for i in "${!BINS[@]}"; do
  echo "${BINS[$i]}: $ROUNDS rounds"
  echo "  CPU seconds (user + system): median $(stats cpu "$DIR/times.$i")"
  echo "  wall seconds: median $(stats 3 "$DIR/times.$i")"
  echo "  max RSS KB: median $(stats 4 "$DIR/times.$i" %d)"
  echo "  findings: $(grep -o '"rule_id"' "$DIR/out.$i.json" | wc -l)"
done
if [[ ${#BINS[@]} -eq 2 ]]; then
  a=$(stats cpu "$DIR/times.0" | cut -d' ' -f1)
  b=$(stats cpu "$DIR/times.1" | cut -d' ' -f1)
  echo "CPU median ratio ${BINS[0]} / ${BINS[1]}: $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')"
fi
