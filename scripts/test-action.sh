#!/usr/bin/env bash
# Runs action.yml's steps under a fake GitHub runner (scripts/fake_runner.py) against a
# release served by a loopback HTTP server (127.0.0.1 only), and checks the outputs, the
# SARIF file and the order of failure:
#   untagged     the release was built from other source: the action says so and builds
#                with cargo (cache miss);
#   release      the release matches: the binary is downloaded, its SHA-256 checked and
#                used with no cargo on PATH, well under 10 s; findings, SARIF "upload",
#                the job fails last with exit 1;
#   tampered     the asset differs from SHA256SUMS: clear error, nothing runs or is kept;
#   attestation  a `gh` whose attestation check fails: clear error, nothing runs;
#   fork-pr      cache hit, upload skipped, annotations instead;
#   clean        format=github, sarif-file input, exit 0;
#   hostile-input  a `path` input that is shell syntax is passed as data;
#   subfolder    path=a sub-folder: SARIF locations stay relative to the repository root;
#   only-changed on a pull request only the files it adds or changes are scanned;
#   trusted-config  a pull request that rewrites tokenward.toml and .ignore to hide its
#                own leak still fails: the base commit's settings apply;
#   macos-arm64, windows  the asset for the runner's OS and architecture is chosen (this
#                host's binary served under those names; on "Windows" only the install
#                is checked, as `tokenward.exe`);
#   no-cargo     no release at all and no cargo: the build step fails with a clear error.
# Needs python3 with PyYAML, bash, curl, git, cargo. Prints "action: all checks passed".
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# The action caches its binary under ~/.tokenward; give each scenario family a home of
# its own but keep the real cargo and rustup homes so nothing is downloaded again.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
# The action builds into $RUNNER_TEMP unless CARGO_TARGET_DIR is set: reuse this
# checkout's build so the "untagged" scenario does not compile from scratch.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
export PATH="$CARGO_HOME/bin:$PATH"
python="$(python3 -c 'import sys; print(sys.executable)')"
# PATH without cargo or rustc: what a container job or a bare runner has.
nocargo_path=""
IFS=: read -r -a path_dirs <<<"$PATH"
for d in "${path_dirs[@]}"; do
  if [ -n "$d" ] && [ ! -x "$d/cargo" ] && [ ! -x "$d/rustc" ]; then
    nocargo_path="${nocargo_path:+$nocargo_path:}$d"
  fi
done

if (PATH="$nocargo_path" && command -v cargo >/dev/null 2>&1); then
  echo "action: cannot make a PATH without cargo for the no-cargo scenarios" >&2
  exit 1
fi

leaky="$tmp/leaky"
clean="$tmp/clean"
cp -r "$repo/fixtures/leaky" "$leaky"
cp -r "$repo/fixtures/clean" "$clean"

# The release: served from $srv/owner/repo/releases/download/vVERSION/.
version="$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$repo/Cargo.toml" | head -n1)"
asset=tokenward-x86_64-unknown-linux-musl
srv="$tmp/srv"
rel="$srv/owner/repo/releases/download/v$version"
mkdir -p "$rel"
"$python" - "$srv" "$tmp/port" 2>/dev/null <<'EOF' &
import functools, http.server, sys

class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

handler = functools.partial(Quiet, directory=sys.argv[1])
httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
with open(sys.argv[2] + ".tmp", "w") as fh:
    fh.write(str(httpd.server_address[1]))
import os
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
httpd.serve_forever()
EOF
server_pid=$!
for _ in $(seq 100); do [ -f "$tmp/port" ] && break; sleep 0.05; done
server="http://127.0.0.1:$(cat "$tmp/port")"

run() { # scenario-name home workspace args...
  local name="$1" home="$2" ws="$3"
  shift 3
  echo "== scenario: $name"
  mkdir -p "$home"
  HOME="$home" "$python" "$repo/scripts/fake_runner.py" "$repo" "$ws" "$tmp/$name.json" \
    --server-url "$server" --cache-hit-if "$home/.tokenward/bin/tokenward" "$@" 2>&1 | tee "$tmp/$name.log"
}
publish() { # binary source-key: (re)writes the release, one asset per platform
  local a
  for a in "$asset" tokenward-aarch64-apple-darwin tokenward-x86_64-pc-windows-msvc.exe; do
    cp "$1" "$rel/$a"
  done
  (cd "$rel" && sha256sum tokenward-* >SHA256SUMS)
  echo "$2" >"$rel/SOURCE-KEY"
}

# untagged: a release of this version exists but was built from other source.
printf 'not a binary\n' >"$tmp/other"
publish "$tmp/other" "$(printf '0%.0s' $(seq 64))"
run untagged "$tmp/home-build" "$leaky" --event push --input upload-sarif=false
built="$tmp/home-build/.tokenward/bin/tokenward"

# release: the release matches this source; no cargo on PATH, timed.
publish "$built" "$(bash "$repo/scripts/source-key.sh" "$repo")"
start=$(date +%s%N)
PATH="$nocargo_path" run release "$tmp/home" "$leaky" --event push
echo "$(( ($(date +%s%N) - start) / 1000000 ))" >"$tmp/release.ms"
PATH="$nocargo_path" run fork-pr "$tmp/home" "$leaky" --event fork_pull_request
PATH="$nocargo_path" run clean "$tmp/home" "$clean" --event push --input format=github --input sarif-file=report.sarif
# shellcheck disable=SC2016 # the input is shell syntax on purpose, and must stay unexpanded
PATH="$nocargo_path" run hostile-input "$tmp/home" "$clean" --event push --input 'path=$(touch pwned)' --input upload-sarif=false

cp -r "$repo/fixtures/clean" "$tmp/clean-mac"
PATH="$nocargo_path" run macos-arm64 "$tmp/home-mac" "$tmp/clean-mac" --event push --runner-os macOS --runner-arch ARM64
PATH="$nocargo_path" run windows "$tmp/home-win" "$clean" --event push --runner-os Windows --runner-arch X64 \
  --input upload-sarif=false

# subfolder: the repository holds the scanned tree in a sub-folder.
mkdir -p "$tmp/mono/services"
cp -r "$repo/fixtures/leaky" "$tmp/mono/services/api"
PATH="$nocargo_path" run subfolder "$tmp/home" "$tmp/mono" --event push --input path=services/api --input upload-sarif=false

# git in folder $1, as a throwaway identity.
git_in() { git -C "$1" -c user.name=t -c user.email=t@example.invalid -c commit.gpgsign=false "${@:2}"; }
# Makes folder $1 a repository whose first commit holds what is in it.
first_commit() {
  git_in "$1" init -q -b main
  git_in "$1" add -A
  git_in "$1" commit -q -m base
}

# only-changed: a pull request adds one file with a token to a tree that has others.
pr="$tmp/pr"
cp -r "$repo/fixtures/leaky" "$pr"
printf '# A service\n' >"$pr/README.md"
git_() { git_in "$pr" "$@"; }
first_commit "$pr"
base_sha="$(git_ rev-parse HEAD)"
mkdir -p "$pr/new dir"
cp "$repo/fixtures/leaky/config/database.yml" "$pr/new dir/added.yml"
echo "Run it with make." >>"$pr/README.md"
git_ rm -q .github/notes.txt
git_ add -A
git_ commit -q -m change
PATH="$nocargo_path" run only-changed "$tmp/home" "$pr" --event pull_request --base-sha "$base_sha" \
  --input only-changed=true --input upload-sarif=false

# trusted-config: a pull request rewrites tokenward.toml to hide its own secret and never
# fail; on the pull_request event the base commit's settings apply, on push the tree's.
hpr="$tmp/hostile-pr"
cp -r "$repo/fixtures/clean" "$hpr"
printf 'exclude = ["docs/**"]\n' >"$hpr/tokenward.toml"
first_commit "$hpr"
hbase="$(git_in "$hpr" rev-parse HEAD)"
cp "$repo/fixtures/leaky/config/database.yml" "$hpr/leak.yml"
printf 'fail-on = "never"\nexclude = ["leak.yml"]\n' >"$hpr/tokenward.toml"
printf 'leak.yml\n' >"$hpr/.ignore"
git_in "$hpr" add -A
git_in "$hpr" commit -q -m "hide the leak"
PATH="$nocargo_path" run trusted-config "$tmp/home" "$hpr" --event pull_request --base-sha "$hbase" \
  --input upload-sarif=false
PATH="$nocargo_path" run tree-config "$tmp/home" "$hpr" --event push --input upload-sarif=false

# attestation: a gh whose verification fails (as for an asset not built by the release).
mkdir -p "$tmp/fake-gh"
printf '#!/bin/sh\necho "verification failed: no attestation found for this digest" >&2\nexit 1\n' >"$tmp/fake-gh/gh"
chmod +x "$tmp/fake-gh/gh"
PATH="$tmp/fake-gh:$nocargo_path" run attestation "$tmp/home-attest" "$clean" --event push

# tampered: the asset is not the one SHA256SUMS names.
printf 'X' >>"$rel/$asset"
PATH="$nocargo_path" run tampered "$tmp/home-tampered" "$clean" --event push

# no-cargo: no release at all and no cargo.
rm -rf "$srv/owner"
PATH="$nocargo_path" run no-cargo "$tmp/home-none" "$clean" --event push

"$python" - "$tmp" "$leaky" "$clean" <<'EOF'
import json, os, sys
tmp, leaky, clean = sys.argv[1:]
def load(name):
    return json.load(open(os.path.join(tmp, name + ".json")))
def log(name):
    return open(os.path.join(tmp, name + ".log")).read()
def outcome(result, step_id):
    return next(s["outcome"] for s in result["steps"] if s["id"] == step_id)
def uris(path):
    sarif = json.load(open(path))
    return sorted({loc["physicalLocation"]["artifactLocation"]["uri"]
                   for r in sarif["runs"][0]["results"] for loc in r["locations"]})
failures = []
def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)

r = load("untagged")
check(outcome(r, "install") == "success" and outcome(r, "build") == "success" and outcome(r, "save") == "success",
      "untagged: no matching release, built from source and cached")
check("built from other source" in log("untagged") and "building tokenward from source" in log("untagged"),
      "untagged: the log says why it builds")
check(r["outputs"]["exit-code"] == "1", "untagged: the built binary scans")

r = load("release")
ms = int(open(os.path.join(tmp, "release.ms")).read())
print(f"     release scenario wall time: {ms} ms")
check(ms < 10000, f"release: downloaded, verified and scanned in {ms} ms (< 10 s)")
check(outcome(r, "install") == "success" and outcome(r, "build") == "skipped",
      "release: binary downloaded, no build")
check("matches SHA256SUMS" in log("release") and "attestation of" in log("release"),
      "release: SHA-256 verified; the log says the attestation was not checked without gh")
check(os.path.exists(os.path.join(tmp, "home/.tokenward/bin/tokenward")) and outcome(r, "save") == "success",
      "release: binary installed and saved to the cache before the scan")
sarif_path = r["outputs"]["sarif-file"]
check(os.path.isabs(sarif_path) and not sarif_path.startswith(leaky), "release: default SARIF file lies outside the scanned tree")
sarif = json.load(open(sarif_path))
results = sarif["runs"][0]["results"]
check(r["outputs"]["exit-code"] == "1", "release: exit-code output is 1")
check(r["outputs"]["findings"] == str(len(results)) and len(results) > 0,
      f"release: findings output ({r['outputs']['findings']}) counts the SARIF results ({len(results)})")
check(sarif["version"] == "2.1.0", "release: SARIF file written")
check(outcome(r, "upload") == "success", "release: SARIF uploaded")
check(outcome(r, "annotate") == "skipped", "release: no fallback annotations after an upload")
check(not r["ok"] and r["steps"][-1]["outcome"] == "failure" and r["steps"][-1]["exit"] == 1,
      "release: the job fails in the last step, after the upload")

r = load("fork-pr")
check(all(outcome(r, s) == "skipped" for s in ("install", "build", "save")), "fork PR: cached binary reused")
check(outcome(r, "upload") == "skipped", "fork PR: upload skipped")
check(outcome(r, "annotate") == "success" and ("::error file=" in log("fork-pr") or "::warning file=" in log("fork-pr")),
      "fork PR: findings shown as annotations")
check(not r["ok"] and r["outputs"]["exit-code"] == "1", "fork PR: job still fails on findings")

r = load("clean")
check(r["ok"] and r["outputs"] == {"sarif-file": "report.sarif", "findings": "0", "exit-code": "0"},
      f"clean: job passes with outputs {r['outputs']}")
check(os.path.exists(os.path.join(clean, "report.sarif")), "clean: sarif-file input honoured")
check(outcome(r, "fail") == "skipped", "clean: no failing step")

r = load("hostile-input")
check(not os.path.exists(os.path.join(clean, "pwned")) and not os.path.exists("pwned"),
      "hostile input: not executed by the shell")
check(r["outputs"]["exit-code"] == "2" and not r["ok"], "hostile input: reported as a tokenward error (exit 2)")

r = load("macos-arm64")
check(r["ok"] and "tokenward-aarch64-apple-darwin of release" in log("macos-arm64"),
      "macOS ARM64: the aarch64-apple-darwin asset is installed and scans")
r = load("windows")
check(outcome(r, "install") == "success" and "tokenward-x86_64-pc-windows-msvc.exe of release" in log("windows")
      and os.path.exists(os.path.join(tmp, "home-win/.tokenward/bin/tokenward.exe")),
      "Windows: the .exe asset is installed as tokenward.exe")

r = load("subfolder")
got = uris(r["outputs"]["sarif-file"])
check(got and all(u.startswith("services/api/") for u in got),
      f"subfolder: SARIF locations relative to the repository root {got}")

r = load("only-changed")
got = uris(r["outputs"]["sarif-file"])
check(got == ["new%20dir/added.yml"] or got == ["new dir/added.yml"],
      f"only-changed: only the added file with a token is reported {got}")
check("scanning the 2 files this pull request adds or changes" in log("only-changed"),
      "only-changed: the log names how many files were scanned")

r = load("trusted-config")
check(r["outputs"].get("exit-code") == "1" and not r["ok"]
      and "leak.yml" in " ".join(uris(r["outputs"]["sarif-file"])),
      "trusted-config: on a pull request the base commit's settings apply; the hidden leak fails the job")
check("settings from tokenward.toml of the base commit" in log("trusted-config"),
      "trusted-config: the log says where the settings come from")
r = load("tree-config")
check(r["outputs"].get("exit-code") == "0" and r["ok"],
      "trusted-config: on push the tree's own config applies")

for name, expect in (("attestation", "attestation of tokenward-x86_64-unknown-linux-musl (release"),
                     ("tampered", "SHA-256 mismatch for tokenward-x86_64-unknown-linux-musl")):
    r = load(name)
    check(outcome(r, "install") == "failure" and expect in log(name) and "not running it" in log(name),
          f"{name}: the install step fails with a clear error")
    check(all(outcome(r, s) == "skipped" for s in ("build", "save", "scan", "upload", "annotate")) and not r["ok"],
          f"{name}: nothing after it runs, the job fails")
    check(not os.path.exists(os.path.join(tmp, f"home-{name}/.tokenward/bin/tokenward")),
          f"{name}: the rejected binary is not installed or cached")

r = load("no-cargo")
check(outcome(r, "install") == "success" and "no release v" in log("no-cargo"),
      "no cargo: the install step finds no release and says so")
check(outcome(r, "build") == "failure" and "cargo is not installed" in log("no-cargo"),
      "no cargo: the build step says what is missing")
check(outcome(r, "save") == "skipped", "no cargo: nothing saved to the cache")
check(outcome(r, "scan") == "skipped" and not r["ok"], "no cargo: later steps skipped, job fails")

if failures:
    sys.exit(f"action: {len(failures)} checks failed")
print("action: all checks passed")
EOF
