#!/usr/bin/env bash
# Runs the cargo-fuzz targets of fuzz/ (workflow, config, rules, detector, gitleaks),
# each for SECONDS, starting from the committed seed corpus (fuzz/seeds/TARGET, which
# holds deep-stack and alias-bomb inputs) plus what earlier runs found (fuzz/corpus/).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]      default: 60, every target
#
# Exits non-zero on the first crash, leaving the input in fuzz/artifacts/TARGET/.
# Uses `cargo fuzz` when installed (`cargo install cargo-fuzz --locked`); otherwise builds
# the same instrumented binaries with plain cargo. Both need nightly features, which
# RUSTC_BOOTSTRAP=1 enables on a stable toolchain. Without a sanitizer by default
# (tokenward forbids unsafe code; the crashes that matter are panics, stack overflows,
# hangs and memory blow-ups): set FUZZ_SANITIZER=address to add AddressSanitizer.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
SECONDS_PER_TARGET=${1:-60}
shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=(workflow config rules detector gitleaks)
fi
SANITIZER=${FUZZ_SANITIZER:-none}
export RUSTC_BOOTSTRAP=1
unset CARGO_TARGET_DIR
TRIPLE=$(rustc -vV | sed -n 's/^host: //p')

if cargo fuzz --version >/dev/null 2>&1; then
  cargo fuzz build -O -a --sanitizer "$SANITIZER"
  BIN=target/$TRIPLE/release
else
  # What `cargo fuzz build -O -a --sanitizer none` passes to rustc.
  export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions \
-Coverflow-checks"
  if [ "$SANITIZER" != none ]; then
    RUSTFLAGS="$RUSTFLAGS -Zsanitizer=$SANITIZER"
  fi
  cargo build --release --target "$TRIPLE" --bins
  BIN=target/$TRIPLE/release
fi

status=0
for t in "${TARGETS[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  echo "== fuzz $t for ${SECONDS_PER_TARGET}s"
  # -rss_limit_mb bounds memory; -timeout flags any input that takes over 30 s.
  if ! "$BIN/$t" "corpus/$t" "seeds/$t" -max_total_time="$SECONDS_PER_TARGET" \
      -rss_limit_mb=2048 -timeout=30 -max_len=262144 -print_final_stats=1 \
      -artifact_prefix="artifacts/$t/" 2>"artifacts/$t/log.txt"; then
    status=1
    tail -n 40 "artifacts/$t/log.txt"
    echo "fuzz $t: CRASH (input in fuzz/artifacts/$t/)"
    break
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "artifacts/$t/log.txt" || true
  echo "fuzz $t: no crash"
done
exit $status
