#!/usr/bin/env bash
# Builds the cron fuzzer with clang (libFuzzer + ASan + UBSan) in
# FUZZ_BUILD_DIR and runs it for SECONDS on the seed corpus. Exits non-zero
# on a crash, hang (5 s per input) or sanitizer report.
# usage: run_cron_fuzz.sh FUZZ_BUILD_DIR SECONDS
set -euo pipefail
build=${1:?usage: run_cron_fuzz.sh FUZZ_BUILD_DIR SECONDS}
seconds=${2:?usage: run_cron_fuzz.sh FUZZ_BUILD_DIR SECONDS}
src=$(cd "$(dirname "$0")/../.." && pwd)

cmake -S "$src" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAP_BUILD_FUZZ=ON -DAP_BUILD_TESTS=OFF \
  >/dev/null
ninja -C "$build" cron_fuzz >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$src"/tests/fuzz/corpus/cron/* "$work/"
cd "$build"
# New inputs go to $work; the seed corpus in the tree stays as committed.
"$build/tests/fuzz/cron_fuzz" -max_total_time="$seconds" -timeout=5 \
  -max_len=256 -print_final_stats=1 "$work" 2>&1 | tail -15
