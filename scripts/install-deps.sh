#!/usr/bin/env bash
# Installs the Debian bookworm packages ap builds, tests and runs with.
# As root it runs apt-get; otherwise it prints the apt-get line to run.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libabsl-dev libspdlog-dev libfmt-dev librocksdb-dev
  libcpp-httplib-dev libcurl4-openssl-dev libssl-dev libyaml-cpp-dev prometheus-cpp-dev
  libjemalloc-dev libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev
  tzdata socat netcat-openbsd openssl curl chromium python3-grpcio python3-grpc-tools
  docker-compose python3-yaml docker.io debootstrap binutils
  libpq-dev postgresql-15
  prometheus  # promtool checks docs/alerts.yaml
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
elif [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages; run as root:" >&2
  echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
else
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "install-deps: done"
fi

# The console's browser tests drive Debian's chromium with puppeteer-core
# from the npm registry, pinned by tests/browser/package-lock.json, with
# the machine's Node.js (not a Debian package here: Debian's would replace
# it).
browser_tests="$(dirname "$0")/../tests/browser"
if ! command -v npm >/dev/null; then
  echo "install-deps: npm not found; the console's browser tests need Node.js and npm" >&2
  exit 1
fi
(cd "$browser_tests" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
echo "install-deps: tests/browser's npm packages installed"
