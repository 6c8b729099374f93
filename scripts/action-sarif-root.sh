#!/usr/bin/env bash
# Usage: action-sarif-root.sh SARIF DIR
# For a tokenward without `--root`, whose SARIF locations are relative to the scanned
# folder DIR: rewrites every result location's `artifactLocation.uri` to be relative to
# the repository root (the current directory), so code scanning puts the alerts on the
# right files. Locations that all start with DIR already (a tokenward that writes them
# relative to the repository root) are left alone. Uses jq, else python3; with neither
# it says the locations are off.
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
    | if all(.runs[]?.results[]?.locations[]?.physicalLocation.artifactLocation.uri; startswith($enc + "/"))
      then .
      else (.runs[]?.results[]?.locations[]?.physicalLocation.artifactLocation.uri) |= ($enc + "/" + .)
      end
  ' "$sarif" >"$tmp"
elif command -v python3 >/dev/null 2>&1; then
  python3 - "$sarif" "$prefix" >"$tmp" <<'EOF'
import json, sys, urllib.parse
path, prefix = sys.argv[1], sys.argv[2]
enc = urllib.parse.quote(prefix, safe="/")
doc = json.load(open(path, encoding="utf-8"))
arts = [loc.get("physicalLocation", {}).get("artifactLocation") or {}
        for run in doc.get("runs", []) for result in run.get("results", [])
        for loc in result.get("locations", [])]
arts = [a for a in arts if "uri" in a]
if not all(a["uri"].startswith(enc + "/") for a in arts):
    for a in arts:
        a["uri"] = enc + "/" + a["uri"]
json.dump(doc, sys.stdout, indent=2)
EOF
else
  echo "::warning title=tokenward::neither jq nor python3 is installed: SARIF locations stay relative to '$prefix', not to the repository root"
  exit 0
fi
mv "$tmp" "$sarif"
