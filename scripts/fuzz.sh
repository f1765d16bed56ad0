#!/usr/bin/env bash
# Runs one or all fuzz targets (segment, normalize, request, snapshot) for SECONDS each,
# in parallel, on the stable toolchain (RUSTC_BOOTSTRAP lets cargo-fuzz pass
# its flags; no sanitizer: the code has no `unsafe`, so panics are the finds).
#   scripts/fuzz.sh [SECONDS=600] [TARGET...]
# New inputs go to a scratch corpus; crashes to fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-600}
shift || true
targets=("${@:-segment normalize request snapshot}")
read -r -a targets <<<"${targets[*]}"
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O -s none
scratch=$(mktemp -d)
for t in "${targets[@]}"; do
  mkdir -p "$scratch/$t"
  cargo fuzz run -O -s none "$t" "$scratch/$t" "corpus/$t" -- -max_total_time="$seconds" -print_final_stats=1 >"$scratch/$t.log" 2>&1 &
done
wait
for t in "${targets[@]}"; do
  echo "== $t"
  grep -E '^stat::number_of_executed_units|^stat::average_exec_per_sec|^Done|crash|panicked' "$scratch/$t.log" || tail -3 "$scratch/$t.log"
done
