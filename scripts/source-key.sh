#!/usr/bin/env bash
# Prints the source key of the tokenward tree in DIR (default: this script's repository):
# the SHA-256 of the sorted list of `SHA-256  path` lines of every file a build reads
# (Cargo.toml, Cargo.lock, build.rs, src/, rules/). The release workflow publishes it as
# the SOURCE-KEY asset; action.yml compares it with the key of its own checkout, so a
# release is used exactly when it was built from the same source, whatever ref (tag,
# commit SHA, `./`) names the action.
set -euo pipefail
dir="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
cd "$dir"
if command -v sha256sum >/dev/null 2>&1; then
  sum=(sha256sum)
else
  sum=(shasum -a 256) # macOS
fi
# `sha256sum` on Windows (MSYS) marks binary mode with `*`: normalise the separator so
# every platform computes the same key.
find Cargo.toml Cargo.lock build.rs src rules -type f -print0 | LC_ALL=C sort -z |
  xargs -0 "${sum[@]}" | sed -E 's/^([0-9a-f]{64}) [ *]/\1  /' |
  "${sum[@]}" | cut -c1-64
