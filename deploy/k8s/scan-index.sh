#!/usr/bin/env bash
# One pod of the tokenward fleet Indexed Job: clones the repository on line
# JOB_COMPLETION_INDEX (0-based; blank lines and `#` comments do not count) of the list
# and scans it into the results volume with scan-one.sh. Also runs on a workstation:
#   JOB_COMPLETION_INDEX=3 REPO_LIST=repos.txt RESULTS_DIR=out WORK_DIR=/tmp/w deploy/k8s/scan-index.sh
# A line is `URL` (the repository is named by the URL's last two path parts, e.g.
# `acme/api` for https://github.com/acme/api.git) or `NAME URL`.
# env: JOB_COMPLETION_INDEX (set by Kubernetes for Indexed Jobs)
#      REPO_LIST   the list (default /config/repos.txt, the ConfigMap)
#      RESULTS_DIR where results go (default /results/results, the shared volume)
#      WORK_DIR    scratch space for the clone (default /work)
#      SCAN_ONE    scan-one.sh (default: beside this script (the image), else
#                  scripts/fleet/ of this repository, else on PATH)
# exit: 0 scanned; 2 bad index, list line or failed clone/scan (the Job retries the index)
set -euo pipefail
idx=${JOB_COMPLETION_INDEX:-}
list=${REPO_LIST:-/config/repos.txt}
results=${RESULTS_DIR:-/results/results}
work=${WORK_DIR:-/work}
here=$(cd "$(dirname "$0")" && pwd)
scan_one=${SCAN_ONE:-$here/scan-one.sh}
[ -f "$scan_one" ] || scan_one=$here/../../scripts/fleet/scan-one.sh
[ -f "$scan_one" ] || scan_one=$(command -v scan-one.sh || true)
if [ -z "$scan_one" ]; then
  echo "scan-index: scan-one.sh not found (set SCAN_ONE)" >&2
  exit 2
fi
case $idx in '' | *[!0-9]*) echo "scan-index: JOB_COMPLETION_INDEX is not set to a number" >&2; exit 2 ;; esac
mapfile -t lines < <(sed -e 's/#.*//' -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' "$list" | sed '/^$/d')
if [ "$idx" -ge "${#lines[@]}" ]; then
  echo "scan-index: index $idx, but $list lists ${#lines[@]} repositories; set the Job's completions to ${#lines[@]}" >&2
  exit 2
fi
read -r first second rest <<<"${lines[$idx]}"
if [ -n "${rest:-}" ]; then
  echo "scan-index: line $idx has more than NAME and URL" >&2
  exit 2
fi
if [ -n "${second:-}" ]; then
  name=$first url=$second
else
  url=$first
  trimmed=${url%/}
  trimmed=${trimmed%.git}
  trimmed=${trimmed//:/\/}
  name=$(basename "$(dirname "$trimmed")")/$(basename "$trimmed")
fi
if ! [[ "$name" =~ ^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)?$ ]] || [[ "$name" == *..* ]]; then
  echo "scan-index: line $idx: $name is not a usable repository name" >&2
  exit 2
fi
case $url in -*) echo "scan-index: line $idx: a URL cannot start with -" >&2; exit 2 ;; esac
clone="$work/clone-$idx"
rm -rf "$clone"
mkdir -p "$work"
trap 'rm -rf "$clone"' EXIT
if ! git clone --quiet --depth 1 --no-tags -- "$url" "$clone"; then
  echo "scan-index: line $idx: git clone of $name failed" >&2
  exit 2
fi
bash "$scan_one" "$clone" "$results" "$name"
echo "scan-index: $idx $name scanned into $results/$name"
