#!/usr/bin/env bash
# Fleet benchmark: generates N repositories (scripts/bench/gen_fleet.py), scans them with
# the local driver, then times `tokenward merge --digest` over their results and reports
# wall time and peak memory (/usr/bin/time -v).
#
# usage: scripts/bench-fleet.sh N [WORK_DIR]     (default WORK_DIR: /dev/shm/tokenward-fleet-N)
# env:   TOKENWARD (default target/release/tokenward, built when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:?usage: bench-fleet.sh N [WORK_DIR]}
work=${2:-/dev/shm/tokenward-fleet-$n}
tw=${TOKENWARD:-target/release/tokenward}
[ -x "$tw" ] || cargo build --release
tw=$(cd "$(dirname "$tw")" && pwd)/$(basename "$tw")
rm -rf "$work"
mkdir -p "$work"
python3 scripts/bench/gen_fleet.py "$work/repos" "$n"
find "$work/repos" -mindepth 1 -maxdepth 1 -type d | sort >"$work/list.txt"
TOKENWARD=$tw bash scripts/fleet-scan.sh -j "$(nproc)" -o "$work/out" -l "$work/list.txt" 2>"$work/driver.log" || true
tail -n 2 "$work/driver.log"
echo "results: $(find "$work/out/results" -type f -name '*.json' -o -type f -name '*.sarif' | wc -l) files, $(du -sh "$work/out/results" | cut -f1)"
/usr/bin/time -v "$tw" merge "$work/out/results" --digest --output-dir "$work/merged" 2>"$work/merge.time" || {
  cat "$work/merge.time"
  exit 1
}
grep -E "^tokenward: merged" "$work/merge.time"
grep -E "Elapsed \(wall clock\)|Maximum resident set size|User time|System time" "$work/merge.time"
