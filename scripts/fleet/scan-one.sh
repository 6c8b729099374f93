#!/usr/bin/env bash
# Scans one repository for a fleet run and writes its results where `tokenward merge`
# expects them: OUT/NAME/scan.json (with keyed value hashes when TOKENWARD_FLEET_KEY is
# set), OUT/NAME/scan.sarif and OUT/NAME/inventory.json, plus scan.log (stderr).
# Used by scripts/fleet-scan.sh (local, xargs -P) and deploy/k8s (one pod per index).
#
# usage: scan-one.sh REPO_DIR OUT_DIR [NAME]     (NAME defaults to REPO_DIR's base name)
# env:   TOKENWARD          the binary (default: tokenward on PATH)
#        TOKENWARD_CONFIG   a trusted tokenward.toml to use instead of the repository's own
#        TOKENWARD_THREADS  threads per scan (default 1: parallelism is across repositories)
#        TOKENWARD_FLEET_KEY  keys value_hash; the same key for every repository of a run
# exit:  0 written, 2 a scan failed (its message is in scan.log and on stderr)
set -euo pipefail
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: scan-one.sh REPO_DIR OUT_DIR [NAME]" >&2
  exit 2
fi
repo=$1
out=$2
name=${3:-$(basename "$repo")}
tw=${TOKENWARD:-tokenward}
case "$name" in
  "" | . | .. | */.. | ../* | */../* | /*)
    echo "scan-one: $name: not a usable repository name" >&2
    exit 2
    ;;
esac
dest="$out/$name"
tmp="$out/.tmp-$$-${name//\//_}"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
common=(--fail-on never -j "${TOKENWARD_THREADS:-1}")
if [ -n "${TOKENWARD_CONFIG:-}" ]; then common+=(--config "$TOKENWARD_CONFIG"); fi
status=0
"$tw" scan "$repo" "${common[@]}" --format json --output "$tmp/scan.json" 2>>"$tmp/scan.log" || status=$?
if [ "$status" -eq 0 ]; then
  "$tw" scan "$repo" "${common[@]}" --format sarif --output "$tmp/scan.sarif" 2>>"$tmp/scan.log" || status=$?
fi
if [ "$status" -eq 0 ] && [ -d "$repo" ]; then
  "$tw" inventory "$repo" --format json --output "$tmp/inventory.json" 2>>"$tmp/scan.log" || status=$?
fi
if [ "$status" -ne 0 ]; then
  echo "scan-one: $name: tokenward failed (exit $status): $(tail -n 1 "$tmp/scan.log" | tr -d '\r')" >&2
  exit 2
fi
# Replace the repository's results whole, so a retried pod never leaves a mix.
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$tmp" "$dest"
trap - EXIT
