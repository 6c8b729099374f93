#!/usr/bin/env bash
# action.yml's "what to scan" step: writes the paths to scan, NUL-separated, to
# $RUNNER_TEMP/tokenward-targets. Normally that is the `path` input. With
# `only-changed: true` on a pull request it is the files under `path` that the pull
# request adds or modifies (`git diff` from the base commit to the checked-out commit);
# whenever that list cannot be made, the whole `path` is scanned and the log says why:
# coverage is never reduced silently.
#
# Environment: INPUT_PATH, INPUT_ONLY_CHANGED, EVENT_NAME, BASE_SHA.
set -euo pipefail
list="$RUNNER_TEMP/tokenward-targets"
printf '%s\0' "$INPUT_PATH" >"$list"

full() {
  echo "mode=full" >>"$GITHUB_OUTPUT"
  echo "::notice title=tokenward::only-changed: $1; scanning all of '${INPUT_PATH//[^A-Za-z0-9._\/ -]/?}'"
  exit 0
}

if [ "$INPUT_ONLY_CHANGED" != true ]; then
  echo "mode=full" >>"$GITHUB_OUTPUT"
  exit 0
fi
case "$EVENT_NAME" in
  pull_request | pull_request_target) ;;
  *) full "applies to pull requests, this is a $EVENT_NAME event" ;;
esac
[[ "$BASE_SHA" =~ ^[0-9a-f]{40}([0-9a-f]{24})?$ ]] || full "the event names no base commit"
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || full "the workspace is not a git checkout"
if ! git cat-file -e "$BASE_SHA^{commit}" 2>/dev/null; then
  git fetch --quiet --no-tags --depth=1 origin "$BASE_SHA" 2>/dev/null ||
    full "the base commit $BASE_SHA is not in the checkout and could not be fetched (set fetch-depth: 2 on actions/checkout)"
fi
changed="$RUNNER_TEMP/tokenward-changed"
git -c core.quotePath=false diff --name-only -z --no-renames --diff-filter=d "$BASE_SHA" HEAD -- "$INPUT_PATH" >"$changed" ||
  full "git diff against the base commit failed"

: >"$list"
count=0
while IFS= read -r -d '' f; do
  # Submodules and symlinks are not files to read; the scan walks what is checked out.
  if [ -f "$f" ] && [ ! -L "$f" ]; then
    printf '%s\0' "$f" >>"$list"
    count=$((count + 1))
  fi
done <"$changed"
if [ "$count" -gt 20000 ]; then
  printf '%s\0' "$INPUT_PATH" >"$list"
  full "$count changed files are more than one command line holds"
fi
if [ "$count" -eq 0 ]; then
  # Nothing to scan, but the SARIF and outputs must still be written: scan an empty folder.
  mkdir -p "$RUNNER_TEMP/tokenward-nothing-changed"
  printf '%s\0' "$RUNNER_TEMP/tokenward-nothing-changed" >"$list"
fi
echo "mode=changed" >>"$GITHUB_OUTPUT"
echo "tokenward: scanning the $count files this pull request adds or changes (base $BASE_SHA)"
