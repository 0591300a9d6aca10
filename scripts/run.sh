#!/usr/bin/env bash
# The main job: installs what is missing, builds, then runs the demo: the
# aggregator on its embedded RocksDB store, one operator, an API key and an
# operator token (made on the first run), and a workflow firing every 5 s
# that calls the aggregator's own /health over HTTP. `apctl watch` shows
# the executions as they finish. Ctrl-C stops everything cleanly.
#
# Everything lives in AP_DEMO_DIR (default ./demo): data, spool, logs,
# credentials.env. Addresses: AP_DEMO_GRPC (127.0.0.1:2206), AP_DEMO_HTTP
# (127.0.0.1:8080), AP_DEMO_OPERATOR_HTTP (127.0.0.1:8081).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
TARGETS="aggregator operator apctl" ./scripts/build.sh
build=${BUILD_DIR:-build}
demo=${AP_DEMO_DIR:-./demo}
grpc=${AP_DEMO_GRPC:-127.0.0.1:2206}
http=${AP_DEMO_HTTP:-127.0.0.1:8080}
op_http=${AP_DEMO_OPERATOR_HTTP:-127.0.0.1:8081}
aggregator=$build/aggregator/aggregator
mkdir -p "$demo"

if [ ! -f "$demo/credentials.env" ]; then
  key=$("$aggregator" --data-dir="$demo/data" keys create --owner=demo \
    --role=writer --name=demo | sed -n 's/^secret: //p')
  token=$("$aggregator" --data-dir="$demo/data" operators add \
    --id=demo-operator | sed -n 's/^secret: //p')
  (umask 077 && printf 'AP_API_KEY=%s\nAP_OPERATOR_TOKEN=%s\n' "$key" \
    "$token" >"$demo/credentials.env")
fi
set -a
# shellcheck disable=SC1091
. "$demo/credentials.env"
set +a
export AP_AGGREGATOR=$grpc
apctl() { "$build/cli/apctl" "$@"; }

# The servers run in sessions of their own, so that Ctrl-C reaches only
# this script and the watch; they are then stopped in reverse order (the
# watch, the operator draining, the aggregator draining).
pids=()
names=()
stop() {
  trap - INT TERM EXIT
  echo
  echo "stopping..."
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    terminate "${pids[i]}" "${names[i]}"
  done
  echo "stopped; logs and data in $demo"
}
# SIGTERM, then up to 60 s for the drain (the operator's shutdown_grace is
# 30 s), then SIGKILL. Polls instead of `wait`: the watch dies of the same
# Ctrl-C that interrupts the script's `wait` for it, and bash 5.2 can then
# miss that exit and block in a second `wait` for as long as any other
# child lives (the demo hung so).
terminate() {
  kill -TERM "$1" 2>/dev/null || return 0
  for _ in $(seq 1 600); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.1
  done
  echo "the $2 did not stop within 60 s of SIGTERM; killing it" >&2
  kill -KILL "$1" 2>/dev/null || true
}
trap stop INT TERM EXIT

setsid "$aggregator" --data-dir="$demo/data" --grpc-listen="$grpc" \
  --http-listen="$http" --repl-socket="$demo/ap.sock" \
  2>>"$demo/aggregator.log" &
pids+=($!)
names+=(aggregator)
for _ in $(seq 1 100); do
  apctl --timeout=1s health >/dev/null 2>&1 && break
  sleep 0.2
done
apctl health >/dev/null || {
  echo "the aggregator did not come up; see $demo/aggregator.log" >&2
  exit 1
}

setsid "$build/operator/operator" --aggregator="$grpc" --id=demo-operator \
  --spool-dir="$demo/spool" --http-listen="$op_http" \
  2>>"$demo/operator.log" &
pids+=($!)
names+=(operator)

id=$(apctl workflow list --status=active | awk '$2 == "demo-every-5s" {print $1; exit}')
if [ -z "$id" ]; then
  id=$(apctl workflow create -f=- <<YAML | awk 'NR == 2 {print $1}'
name: demo-every-5s
labels: {demo: "yes"}
trigger:
  cron:
    schedules: ["*/5 * * * * *"]
steps:
  - id: health
    http:
      method: GET
      url: http://$http/health
YAML
)
fi

cat <<EOF2

ap demo: aggregator on $grpc, one operator, workflow $id firing every 5 s.
  console:     http://$http/console/   (sign in with AP_API_KEY from $demo/credentials.env)
  metrics:     http://$http/metrics   (operator: http://$op_http/metrics)
  try:         export \$(cat $demo/credentials.env) AP_AGGREGATOR=$grpc
               $build/cli/apctl examine $id
  logs:        $demo/aggregator.log, $demo/operator.log
Ctrl-C stops everything.

EOF2
apctl watch "$id" &
pids+=($!)
names+=(watch)
wait "${pids[-1]}"
