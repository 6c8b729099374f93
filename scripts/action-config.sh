#!/usr/bin/env bash
# action.yml's "which config" step: writes the config arguments of the scan, NUL-separated,
# to $RUNNER_TEMP/tokenward-config-args.
#
# On a pull request (trusted-config: auto or true) the config comes from the BASE commit,
# not from the pull request, and is passed with `--trusted-config`, which also stops the
# tree's `.gitignore`/`.ignore` files from hiding files: a pull request cannot exclude its
# own files, disable rules, allow its own secret or set `fail-on = "never"`. The file read
# is the `config` input's path, else `tokenward.toml` at the scanned folder, else
# `.github/tokenward.toml` (tokenward's own discovery order). When the base commit has no
# config, or cannot be read, defaults apply, and the log says so. Otherwise the `config`
# input (if any) is passed with `--config`, and discovery does the rest.
#
# Environment: INPUT_TRUSTED_CONFIG (auto|true|false), INPUT_CONFIG, INPUT_PATH,
# EVENT_NAME, BASE_SHA.
set -euo pipefail
args="$RUNNER_TEMP/tokenward-config-args"
trusted="$RUNNER_TEMP/tokenward-trusted.toml"
: >"$args"

# Names from the event or the inputs, shown in the log without control characters.
shown() { printf '%s' "${1//[^A-Za-z0-9._\/ -]/?}"; }

untrusted() {
  if [ -n "$INPUT_CONFIG" ]; then printf '%s\0' --config "$INPUT_CONFIG" >"$args"; fi
  exit 0
}

case "$INPUT_TRUSTED_CONFIG" in
  false) untrusted ;;
  true) ;;
  auto)
    case "$EVENT_NAME" in
      pull_request | pull_request_target) ;;
      *) untrusted ;;
    esac
    ;;
  *)
    echo "::error title=tokenward::trusted-config must be auto, true or false, not '$(shown "$INPUT_TRUSTED_CONFIG")'"
    exit 2
    ;;
esac

if ! tokenward scan --help 2>/dev/null | grep -q -- '--trusted-config'; then
  echo "::warning title=tokenward::this tokenward has no --trusted-config; the pull request's own config applies"
  untrusted
fi

# The tree's ignore files are not honoured in trusted mode: say so when build output or
# installed dependencies (untracked, ignored) are in the scanned folder.
ignored_note() {
  local list n first
  list=$(git ls-files -z --others --ignored --exclude-standard --directory -- "$INPUT_PATH" 2>/dev/null | tr '\0' '\n') || return 0
  n=$(printf '%s' "$list" | grep -c . || true)
  [ "${n:-0}" -gt 0 ] || return 0
  first=$(printf '%s\n' "$list" | head -n1)
  echo "::notice title=tokenward::trusted-config: .gitignore is not honoured on pull requests, so $n untracked ignored paths (e.g. $(shown "$first")) are scanned too; run this action before build or install steps, or set trusted-config: false"
}

defaults() {
  ignored_note
  : >"$trusted"
  printf '%s\0' --trusted-config "$trusted" >"$args"
  echo "::notice title=tokenward::trusted-config: $1; scanning with default settings"
  exit 0
}

[[ "$BASE_SHA" =~ ^[0-9a-f]{40}([0-9a-f]{24})?$ ]] || defaults "the event names no base commit"
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || defaults "the workspace is not a git checkout"
if ! git cat-file -e "$BASE_SHA^{commit}" 2>/dev/null; then
  git fetch --quiet --no-tags --depth=1 origin "$BASE_SHA" 2>/dev/null ||
    defaults "the base commit $BASE_SHA could not be fetched"
fi

# Candidate paths, relative to the repository root.
candidates=()
if [ -n "$INPUT_CONFIG" ]; then
  dir=$(cd "$(dirname -- "$INPUT_CONFIG")" 2>/dev/null && git rev-parse --show-prefix 2>/dev/null) ||
    defaults "the config input's folder is not in the checkout"
  candidates+=("$dir$(basename -- "$INPUT_CONFIG")")
else
  scanned="$INPUT_PATH"
  [ -d "$scanned" ] || scanned=$(dirname -- "$scanned")
  prefix=$(cd "$scanned" 2>/dev/null && git rev-parse --show-prefix 2>/dev/null) || prefix=""
  candidates+=("${prefix}tokenward.toml" "${prefix}.github/tokenward.toml")
fi
for c in "${candidates[@]}"; do
  # Only a regular file (mode 100644/100755) of the base tree: not a symlink or submodule.
  mode=$(git ls-tree "$BASE_SHA" -- "$c" 2>/dev/null | cut -d' ' -f1)
  case "$mode" in
    100644 | 100755) ;;
    *) continue ;;
  esac
  if git cat-file blob "$BASE_SHA:$c" >"$trusted" 2>/dev/null; then
    printf '%s\0' --trusted-config "$trusted" >"$args"
    ignored_note
    echo "::notice title=tokenward::trusted-config: settings from $(shown "$c") of the base commit; the pull request's config and ignore files are not used"
    exit 0
  fi
done
defaults "the base commit has no $(shown "${candidates[0]}")"
