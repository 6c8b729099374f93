#!/usr/bin/env bash
# Usage: action-sarif-root.sh SARIF DIR
# For a tokenward without `--root`, whose SARIF locations are relative to the scanned
# folder DIR: rewrites every result location's `artifactLocation.uri` to be relative to
# the repository root (the current directory), so code scanning puts the alerts on the
# right files. Uses jq, else python3; with neither it says the locations are off.
set -euo pipefail
sarif="$1"
dir="$2"
# DIR relative to the workspace, `/`-separated, without `./` and trailing slashes.
prefix="$(printf '%s' "$dir" | sed -e 's#\\#/#g' -e 's#^\(\./\)*##' -e 's#/*$##' -e 's#/\./#/#g')"
case "$prefix" in
  "" | .) exit 0 ;;
  /* | ../* | .. | */../* | */..) 
    echo "::warning title=tokenward::path '$prefix' is outside the repository; SARIF locations are relative to it"
    exit 0
    ;;
esac
tmp="$sarif.tmp"
if command -v jq >/dev/null 2>&1; then
  jq --arg p "$prefix" '
    ($p | split("/") | map(@uri) | join("/")) as $enc
    | (.runs[]?.results[]?.locations[]?.physicalLocation.artifactLocation.uri) |= ($enc + "/" + .)
  ' "$sarif" >"$tmp"
elif command -v python3 >/dev/null 2>&1; then
  python3 - "$sarif" "$prefix" >"$tmp" <<'EOF'
import json, sys, urllib.parse
path, prefix = sys.argv[1], sys.argv[2]
enc = urllib.parse.quote(prefix, safe="/")
doc = json.load(open(path, encoding="utf-8"))
for run in doc.get("runs", []):
    for result in run.get("results", []):
        for loc in result.get("locations", []):
            art = loc.get("physicalLocation", {}).get("artifactLocation")
            if art and "uri" in art:
                art["uri"] = enc + "/" + art["uri"]
json.dump(doc, sys.stdout, indent=2)
EOF
else
  echo "::warning title=tokenward::neither jq nor python3 is installed: SARIF locations stay relative to '$prefix', not to the repository root"
  exit 0
fi
mv "$tmp" "$sarif"
