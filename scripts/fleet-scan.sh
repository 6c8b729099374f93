#!/usr/bin/env bash
# Local fleet driver: scans many repository folders with bounded parallelism (xargs -P)
# and merges the results into one digest. For small teams and for tests; in CI use the
# reusable workflow (.github/workflows/org-scan.yml) or the Kubernetes recipe (deploy/k8s).
#
# usage: fleet-scan.sh [-j JOBS] [-o OUT] [-l LIST] [REPO_DIR...]
#   -j JOBS  scans at a time (default: number of cores)
#   -o OUT   output folder (default ./fleet-out; must not exist or be empty):
#            OUT/results/NAME/{scan.json,scan.sarif,inventory.json}, OUT/merged/
#            (findings.json, tokenward*.sarif, inventory.json, digest.md, digest.json)
#   -l LIST  read repository folders from LIST, one per line (as well as the arguments)
# Each repository is named by its folder's base name; two folders with one name are an
# error. TOKENWARD names the binary (default: tokenward on PATH). The fleet key that
# makes secret values comparable across repositories is TOKENWARD_FLEET_KEY; when it is
# unset, a random one is made for this run and never written anywhere, so the hashes
# in the outputs cannot be linked to any other run.
# exit: 0 all scanned and merged; 2 usage error, or some scans failed (listed in
# OUT/failed.txt and on stderr; the rest are still merged).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
jobs=$(nproc 2>/dev/null || echo 2)
out=fleet-out
list=
while getopts "j:o:l:h" opt; do
  case $opt in
    j) jobs=$OPTARG ;;
    o) out=$OPTARG ;;
    l) list=$OPTARG ;;
    *) sed -n '2,20p' "$0" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
repos=("$@")
if [ -n "$list" ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    [ -n "$line" ] && repos+=("$line")
  done <"$list"
fi
if [ ${#repos[@]} -eq 0 ]; then
  echo "fleet-scan: no repository folders given" >&2
  exit 2
fi
case $jobs in '' | *[!0-9]* | 0) echo "fleet-scan: -j needs a positive number" >&2; exit 2 ;; esac
if [ -e "$out" ] && [ -n "$(ls -A "$out")" ]; then
  echo "fleet-scan: $out: not empty; give a new output folder" >&2
  exit 2
fi
dups=$(for r in "${repos[@]}"; do basename "$r"; done | sort | uniq -d | head -n 3)
if [ -n "$dups" ]; then
  echo "fleet-scan: several repositories named: $(echo "$dups" | tr '\n' ' ')" >&2
  exit 2
fi
if [ -z "${TOKENWARD_FLEET_KEY:-}" ]; then
  TOKENWARD_FLEET_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
fi
export TOKENWARD_FLEET_KEY
export TOKENWARD="${TOKENWARD:-tokenward}"
mkdir -p "$out/results"
start=$(date +%s)
# One scan-one.sh per repository, JOBS at a time; a failed scan does not stop the others.
# shellcheck disable=SC2016 # $1.. expand in the inner bash, not here
printf '%s\0' "${repos[@]}" |
  xargs -0 -P "$jobs" -I{} bash -c 'bash "$1" "$2" "$3" || echo "$2" >>"$3/../failed.txt"' _ \
    "$here/fleet/scan-one.sh" {} "$out/results" || true
unset TOKENWARD_FLEET_KEY
echo "fleet-scan: scanned ${#repos[@]} repositories in $(($(date +%s) - start))s ($jobs at a time)" >&2
"$TOKENWARD" merge "$out/results" --digest --output-dir "$out/merged"
if [ -s "$out/failed.txt" ]; then
  echo "fleet-scan: $(wc -l <"$out/failed.txt") scans failed (see $out/failed.txt); the digest leaves them out" >&2
  exit 2
fi
