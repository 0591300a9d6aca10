#!/usr/bin/env bash
# Configures and builds ap into BUILD_DIR (default build/), with extra CMake
# arguments passed through; TARGETS (space-separated) builds only those.
# Used by run.sh and test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja "$@" >/dev/null
# shellcheck disable=SC2086
ninja -C "$build_dir" -j"${JOBS:-2}" ${TARGETS:-}
