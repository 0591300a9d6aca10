#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs the aggregator on
# its embedded RocksDB store (./data), gRPC on 127.0.0.1:2206. Ctrl-C stops
# it cleanly. Later issues add an operator and a demo workflow here.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh -DAP_BUILD_TESTS=OFF
build_dir=${BUILD_DIR:-build}
listen=${AP_GRPC_LISTEN:-127.0.0.1:2206}
echo
echo "aggregator: gRPC on $listen, data in ./data. Try in another shell:"
echo "  $build_dir/cli/apctl --aggregator=$listen health"
echo "  curl http://${AP_HTTP_LISTEN:-127.0.0.1:8080}/metrics"
echo "Ctrl-C stops it."
echo
exec "$build_dir/aggregator/aggregator" --data-dir=./data --grpc-listen="$listen" \
  --http-listen="${AP_HTTP_LISTEN:-127.0.0.1:8080}"
