#!/usr/bin/env bash
# Installs what is missing, builds everything with tests, and runs the whole
# suite (unit, integration, e2e) with ctest on 2 cores. Exits non-zero on any
# failure.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh -DAP_BUILD_TESTS=ON "$@"
build_dir=${BUILD_DIR:-build}
cd "$build_dir"
ctest -j2 --output-on-failure --timeout 300
