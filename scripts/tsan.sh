#!/usr/bin/env bash
# Runs the whole test suite under ThreadSanitizer (AP_SANITIZE=thread).
#
# Debian's Abseil is built without TSan, so TSan cannot see absl::Mutex
# lock and unlock (Abseil annotates them only when it is itself compiled
# with -fsanitize=thread) and reports every handoff through one as a race.
# This script therefore downloads the source of the exact Abseil Debian
# ships (apt-get source, Debian's patches applied: same inline namespace,
# options and SONAME), builds its synchronization library and what it
# depends on (base, malloc_internal, time, ...) with TSan, and runs the
# tests with those libraries first on LD_LIBRARY_PATH. gRPC, protobuf,
# RocksDB, OpenSSL, spdlog and the rest of Abseil stay Debian's,
# uninstrumented; tests/tsan.supp suppresses reports inside them (a frame
# in one of those libraries), never in our code.
#
# State (2026-12-02, evening): unit and integration tests, 543 of 544 pass
# with no report (run with -E "e2e|fuzz|EveryMessageRoundTrips"). Left:
# ProtoJsonTest.EveryMessageRoundTripsThroughJsonWithEveryFieldSet crashes
# inside libprotobuf's map reflection under TSan only (plain and ASan
# builds pass it). The e2e tests (real processes with timing
# promises) are not meant to run under TSan's slowdown.
# 2026-12-07: the spool, the RUNNING reporter, the operator node and the
# start gate, the flusher, the HTTP runner, the ops server and the
# activity ring run with no report. HttpApiTest's three tests crash the
# same way as ProtoJsonTest, in libprotobuf's map code (the tests read
# answers into google.protobuf.Struct), under TSan only.
#
# usage: scripts/tsan.sh [ctest args...]   (TSAN_DIR, default build-tsan)
#   e.g. scripts/tsan.sh -R '^(unit|integration)[.]'
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dir=${TSAN_DIR:-build-tsan}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

./scripts/install-deps.sh
absl_lib="$dir/absl-build/absl/synchronization"
if [[ ! -e "$absl_lib/libabsl_synchronization.so.20220623" ]]; then
  version=$(dpkg-query -W -f='${source:Version}' libabsl20220623)
  mkdir -p "$dir/absl-src"
  (
    cd "$dir/absl-src"
    # deb-src entries for the same archive as the system's deb entries.
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
      >"$dir/absl-src/deb-src.sources"
    apt_opts=(-o "Dir::Etc::SourceList=$dir/absl-src/deb-src.sources"
      -o Dir::Etc::SourceParts=/dev/null
      -o "Dir::State::Lists=$dir/absl-src/lists")
    mkdir -p "$dir/absl-src/lists/partial"
    apt-get "${apt_opts[@]}" update -qq
    apt-get "${apt_opts[@]}" source --download-only -qq "abseil=$version"
    rm -rf abseil
    dpkg-source -x ./abseil_*.dsc abseil >/dev/null
  )
  cmake -S "$dir/absl-src/abseil" -B "$dir/absl-build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_STANDARD=17 \
    -DBUILD_SHARED_LIBS=ON -DBUILD_TESTING=OFF \
    -DCMAKE_CXX_FLAGS="-fsanitize=thread" \
    -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" >/dev/null
  ninja -C "$dir/absl-build" -j"${JOBS:-2}" synchronization
fi

BUILD_DIR="$dir/ap" ./scripts/build.sh -DAP_BUILD_TESTS=ON -DAP_SANITIZE=thread
cd "$dir/ap"
absl_dirs=$(find "$dir/absl-build/absl" -name 'libabsl_*.so.20220623' \
  -printf '%h\n' | sort -u | paste -sd:)
export LD_LIBRARY_PATH="$absl_dirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export TSAN_OPTIONS="suppressions=$root/tests/tsan.supp halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
ctest -j2 --output-on-failure --timeout 900 "$@"
