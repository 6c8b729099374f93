#!/usr/bin/env bash
# action.yml's install step: puts a verified release binary of tokenward in BIN_DIR, or
# says (output `build=true`) that no release matches and the action must build from
# source. Never runs a downloaded file before its SHA-256 matched the release's SHA256SUMS
# (and, where `gh` and a token are available, its build-provenance attestation verified).
#
# Environment (set by action.yml from inputs and the key step):
#   VERSION_INPUT   release asked for (`0.2.0` or `v0.2.0`); empty: the release built from
#                   this action's own source (SOURCE-KEY asset equal to SOURCE_KEY)
#   OWN_VERSION     version in the action's Cargo.toml; SOURCE_KEY its source key
#   ASSET           release asset for this runner (empty: no binary for this platform)
#   RELEASE_REPO    owner/name the releases belong to
#   BIN_DIR, EXE    where the binary goes and its suffix (`.exe` on Windows)
#   VERIFY_ATTESTATION  `auto` (verify when `gh` and GH_TOKEN exist) or `false`
set -euo pipefail

note() { echo "::notice title=tokenward::$*"; }
fail() {
  echo "::error title=tokenward::$*"
  exit 1
}
build_from_source() {
  note "$1; building tokenward from source (this takes minutes; pin a released version to skip it)"
  echo "build=true" >>"$GITHUB_OUTPUT"
  exit 0
}

if [ -n "$VERSION_INPUT" ]; then
  tag="v${VERSION_INPUT#v}"
  [[ "$tag" =~ ^v[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] ||
    fail "version input '${VERSION_INPUT//[^0-9A-Za-z.+-]/?}' is not a release version such as 0.2.0"
else
  tag="v$OWN_VERSION"
fi
[ -n "$ASSET" ] || {
  [ -z "$VERSION_INPUT" ] || fail "release $tag has no binary for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}"
  build_from_source "no release binary is published for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}"
}

server="${GITHUB_SERVER_URL:-https://github.com}"
base="$server/$RELEASE_REPO/releases/download/$tag"
# https only, except a server on this machine's loopback (the action's own tests).
case "$server" in
  https://*) proto='=https' ;;
  http://127.0.0.1:* | http://127.0.0.1 | http://localhost:* | http://localhost) proto='=http,https' ;;
  *) fail "GITHUB_SERVER_URL must be https: '$server'" ;;
esac

work="$(mktemp -d "${RUNNER_TEMP:-/tmp}/tokenward-download.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# fetch NAME -> 0 downloaded, 4 not found (404), 1 any other failure (said on stderr).
fetch() {
  local status=0 code
  if command -v curl >/dev/null 2>&1; then
    code=$(curl --silent --show-error --location --proto "$proto" --proto-redir "$proto" \
      --retry 3 --connect-timeout 15 --max-time 300 --output "$work/$1" \
      --write-out '%{http_code}' "$base/$1") || status=$?
    if [ "$code" = 404 ]; then return 4; fi
    if [ "$status" -ne 0 ] || [ "$code" != 200 ]; then
      echo "download of $base/$1 failed (curl exit $status, HTTP ${code:-none})" >&2
      return 1
    fi
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$work/$1" "$base/$1" || status=$?
    if [ "$status" -eq 8 ]; then return 4; fi # server error response; treat as absent
    if [ "$status" -ne 0 ]; then
      echo "download of $base/$1 failed (wget exit $status)" >&2
      return 1
    fi
  else
    fail "neither curl nor wget is installed; add one to the job's image"
  fi
}

status=0
fetch SHA256SUMS || status=$?
if [ "$status" -eq 4 ]; then
  [ -z "$VERSION_INPUT" ] || fail "no release $tag of $RELEASE_REPO (version input)"
  build_from_source "no release $tag of $RELEASE_REPO"
fi
[ "$status" -eq 0 ] || fail "cannot reach the release $tag of $RELEASE_REPO"

if [ -z "$VERSION_INPUT" ]; then
  status=0
  fetch SOURCE-KEY || status=$?
  [ "$status" -ne 1 ] || fail "cannot reach the release $tag of $RELEASE_REPO"
  published="$(tr -dc '0-9a-f' <"$work/SOURCE-KEY" 2>/dev/null || true)"
  if [ "$published" != "$SOURCE_KEY" ]; then
    build_from_source "release $tag was built from other source than this action's ref (an untagged commit)"
  fi
fi

status=0
fetch "$ASSET" || status=$?
[ "$status" -eq 0 ] || fail "release $tag has no asset $ASSET"

if command -v sha256sum >/dev/null 2>&1; then
  actual="$(sha256sum "$work/$ASSET" | cut -c1-64)"
else
  actual="$(shasum -a 256 "$work/$ASSET" | cut -c1-64)"
fi
expected="$(awk -v f="$ASSET" '$2 == f || $2 == "*" f { print tolower($1) }' "$work/SHA256SUMS" | head -n1)"
[ -n "$expected" ] || fail "SHA256SUMS of release $tag lists no $ASSET; not running it"
[ "$actual" = "$expected" ] ||
  fail "SHA-256 mismatch for $ASSET of release $tag: expected $expected, got $actual; the download was altered or corrupted, not running it"
echo "tokenward: $ASSET of release $tag matches SHA256SUMS ($actual)"

if [ "${VERIFY_ATTESTATION:-auto}" != false ]; then
  if command -v gh >/dev/null 2>&1 && [ -n "${GH_TOKEN:-}" ]; then
    gh attestation verify "$work/$ASSET" --repo "$RELEASE_REPO" >"$work/attestation.log" 2>&1 || {
      sed 's/^/  /' "$work/attestation.log" | head -n 20
      fail "the build-provenance attestation of $ASSET (release $tag) did not verify against $RELEASE_REPO; not running it (where gh cannot reach GitHub's attestation API, set verify-attestation: false; the SHA-256 check still runs)"
    }
    echo "tokenward: build-provenance attestation verified for $RELEASE_REPO"
  else
    note "attestation of $ASSET not checked (needs the gh CLI and a token); its SHA-256 matched the release's SHA256SUMS"
  fi
fi

mkdir -p "$BIN_DIR"
chmod +x "$work/$ASSET"
mv "$work/$ASSET" "$BIN_DIR/tokenward$EXE"
echo "tokenward: installed $("$BIN_DIR/tokenward$EXE" --version) from release $tag"
echo "build=false" >>"$GITHUB_OUTPUT"
