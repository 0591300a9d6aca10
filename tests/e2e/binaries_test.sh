#!/usr/bin/env bash
# Real processes: the three binaries answer --help with every flag, reject
# bad configuration with exit 2 naming the key, and the aggregator serves
# health on a free port and drains to exit 0 on SIGTERM.
# usage: binaries_test.sh BUILD_DIR
set -uo pipefail

build=${1:?usage: binaries_test.sh BUILD_DIR}
aggregator=$build/aggregator/aggregator
operator=$build/operator/operator
apctl=$build/cli/apctl
work=$(mktemp -d)
agg_pid=""
op_pid=""
passed=0
failed=0

cleanup() {
  for pid in $agg_pid $op_pid; do
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null; fi
  done
  rm -rf "$work"
}
trap cleanup EXIT

ok() { echo "ok: $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1"; failed=$((failed + 1)); }

# expect NAME EXPECTED_CODE PATTERN -- COMMAND...: runs the command, checks
# its exit code and that its output (stdout+stderr) matches PATTERN.
expect() {
  local name=$1 code=$2 pattern=$3
  shift 4
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" -ne "$code" ]; then
    fail "$name: exit $rc, want $code; output: $out"
  elif ! grep -qE -- "$pattern" <<<"$out"; then
    fail "$name: output lacks /$pattern/: $out"
  else
    ok "$name"
  fi
}

for flag in config validate grpc_listen store data_dir postgres_dsn \
            leader_lease advertise_address log_level reflection \
            shutdown_grace max_message_bytes repl_socket misfire_threshold \
            retention_max_executions retention_max_age retention_interval \
            tls_cert tls_key tls_client_ca ping_interval heartbeat_interval \
            lease_grace http_listen; do
  expect "aggregator --help lists --${flag//_/-}" 0 "^  --${flag//_/-}(=VALUE)?\$" -- "$aggregator" --help
done
for flag in config validate aggregator id token capacity spool_dir \
            http_listen log_level allowed_commands healthy_reset \
            failover_after spool_max_bytes \
            max_output_bytes breaker_failures breaker_cool_down tls tls_ca \
            tls_cert tls_key shutdown_grace; do
  expect "operator --help lists --${flag//_/-}" 0 "^  --${flag//_/-}(=VALUE)?\$" -- "$operator" --help
done
for flag in aggregator api_key output timeout service tls tls_ca tls_cert tls_key; do
  expect "apctl --help lists --${flag//_/-}" 0 "^  --${flag//_/-}(=VALUE)?\$" -- "$apctl" --help
done
for bin in "$aggregator" "$operator" "$apctl"; do
  name=$(basename "$bin")
  expect "$name --help starts with its name once and shows no build path" 0 \
    "^$name: the " -- sh -c "\"$bin\" --help | head -1"
  if "$bin" --help | grep -qE "$name: $name:|Flags from|/main\.cc|--[a-z]+_[a-z_]+"; then
    fail "$name --help shows a doubled name, a build path or an underscored flag"
  else
    ok "$name --help: no doubled name, build path or underscored flag"
  fi
done
expect "apctl --help shows one-letter flags with one dash" 0 "^  -f VALUE\$" -- "$apctl" --help
expect "apctl help examine shows examine and its flags" 0 "--since=VALUE" -- "$apctl" help examine
expect "apctl workflow --help shows the workflow commands" 0 "apctl workflow cancel ID" -- "$apctl" workflow --help
expect "apctl help for no such command exits 2" 2 'no command "frob"' -- "$apctl" help frob
expect "apctl -f - is read as standard input, without absl's warning" 0 '^apctl: UNAVAILABLE' -- \
  sh -c "echo 'name: x' | \"$apctl\" --aggregator=127.0.0.1:1 --timeout=1s workflow create -f - 2>&1 | head -1"
expect "aggregator --version" 0 "^aggregator [0-9]+\.[0-9]+" -- "$aggregator" --version

expect "bad duration flag exits 2 naming the flag" 2 "flag --shutdown_grace" -- \
  "$aggregator" --shutdown-grace=soon --validate
expect "bad env value exits 2 naming key and variable" 2 \
  'config key "shutdown_grace" \(environment AP_SHUTDOWN_GRACE\)' -- \
  env AP_SHUTDOWN_GRACE=5x "$aggregator" --validate
echo "grpc_lisen: 1.2.3.4:5" >"$work/typo.yaml"
expect "unknown key in config file exits 2" 2 'unknown config key "grpc_lisen"' -- \
  "$aggregator" --config="$work/typo.yaml" --validate
expect "missing config file exits 2" 2 "cannot read config file" -- \
  "$aggregator" --config="$work/none.yaml" --validate
expect "flag beats env" 0 'shutdown_grace: "3s"' -- \
  env AP_SHUTDOWN_GRACE=7s "$aggregator" --shutdown-grace=3s --validate
echo 'shutdown_grace: 9s' >"$work/grace.yaml"
expect "env beats file" 0 'shutdown_grace: "7s"' -- \
  env AP_SHUTDOWN_GRACE=7s "$aggregator" --config="$work/grace.yaml" --validate
expect "apctl: --aggregator beats AP_AGGREGATOR" 1 'is the aggregator running at 127.0.0.1:1\?' -- \
  env AP_AGGREGATOR=127.0.0.1:2 AP_API_KEY=k "$apctl" --aggregator=127.0.0.1:1 --timeout=2s workflow list
expect "stray argument with --validate exits 2" 2 'unexpected argument "serve"' -- \
  "$aggregator" serve --validate
expect "unknown subcommand exits 2 with usage" 2 'unknown command "serve"' -- \
  "$aggregator" --data-dir="$work/admin" serve
expect "operator without token exits 2" 2 'config key "token"' -- \
  "$operator" --id=op1 --validate
expect "operator --validate redacts the token" 0 'token: "<redacted>"' -- \
  env AP_OPERATOR_TOKEN=s3cret "$operator" --id=op1 --validate
touch "$work/not-a-dir"
expect "operator with an unusable spool dir exits 1 naming it" 1 \
  "spool_unusable dir=$work/not-a-dir/spool" -- \
  env AP_OPERATOR_TOKEN=s3cret "$operator" --id=op1 \
  --spool-dir="$work/not-a-dir/spool" --http-listen=127.0.0.1:0
expect "apctl without a command shows usage" 2 "usage: apctl" -- "$apctl"
expect "apctl unknown command exits 2" 2 'unknown command "frobnicate"' -- \
  "$apctl" frobnicate

out=$("$apctl" cron next '30 2 * * *' --tz America/New_York \
  --from 2026-03-07T20:00:00Z -n 3)
if [ "$out" = $'2026-03-08T03:00:00-04:00\n2026-03-09T02:30:00-04:00\n2026-03-10T02:30:00-04:00' ]; then
  ok "apctl cron next: the spring-forward example, exactly"
else
  fail "apctl cron next printed: $out"
fi
expect "apctl cron next: bad expression exits 2 with the parse error" 2 \
  'field 3 \(day of month\): 32 is out of range 1-31' -- \
  "$apctl" cron next '0 0 32 * *'
expect "apctl cron next: unquoted expression is explained" 2 "quote the expression" -- \
  "$apctl" cron next 0 0 '*' '*' '*'

# A closed port: find a free one, then do not listen on it.
closed_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
expect "apctl health of nothing exits 1" 1 "UNAVAILABLE|DEADLINE_EXCEEDED" -- \
  "$apctl" --aggregator="127.0.0.1:$closed_port" --timeout=1s health

op_token=$("$aggregator" --data-dir="$work/data" operators add --id=op1 |
  sed -n 's/^secret: //p')

# wait_for_exit PID: sets rc to its exit code, waiting at most 15 s
# (rc="still running" then). Not in a subshell: wait needs our child.
wait_for_exit() {
  rc="still running"
  for _ in $(seq 1 150); do
    if ! kill -0 "$1" 2>/dev/null; then
      wait "$1"
      rc=$?
      return
    fi
    sleep 0.1
  done
}

expect "keys create prints the secret once" 0 '^secret: apk_[0-9a-f]{64}$' -- \
  "$aggregator" --data-dir="$work/data" keys create --owner=ops --role=admin
expect "keys list shows the owner" 0 'ops +admin' -- \
  "$aggregator" --data-dir="$work/data" keys list
expect "keys create with a bad role exits 2" 2 'not one of reader, writer, admin' -- \
  "$aggregator" --data-dir="$work/data" keys create --owner=ops --role=root

"$aggregator" --data-dir="$work/data" --grpc-listen=127.0.0.1:0 \
  --http-listen=127.0.0.1:0 --repl-socket="$work/ap.sock" 2>"$work/agg.log" &
agg_pid=$!
port=""
for _ in $(seq 1 100); do
  port=$(grep -o 'grpc_port=[0-9]*' "$work/agg.log" | cut -d= -f2)
  [ -n "$port" ] && break
  sleep 0.1
done
if [ -z "$port" ]; then
  fail "aggregator did not report serving: $(cat "$work/agg.log")"
else
  ok "aggregator serves on a free port ($port)"
  expect "apctl health says SERVING" 0 "^SERVING$" -- \
    "$apctl" --aggregator="127.0.0.1:$port" health
  expect "AP_AGGREGATOR is honoured" 0 "^SERVING$" -- \
    env AP_AGGREGATOR="127.0.0.1:$port" "$apctl" health
  http_port=$(grep -o 'http_port=[0-9]*' "$work/agg.log" | cut -d= -f2)
  expect "HTTP /health" 0 '^ok$' -- curl -sf "http://127.0.0.1:$http_port/health"
  expect "HTTP /ready" 0 '^ready$' -- curl -sf "http://127.0.0.1:$http_port/ready"
  expect "HTTP /metrics is Prometheus text" 0 '^# TYPE ap_fires_total counter' -- \
    curl -sf "http://127.0.0.1:$http_port/metrics"
  expect "REPL answers over socat" 0 'estimate-num-keys' -- \
    sh -c "printf 'stats\nexit\n' | socat - UNIX-CONNECT:$work/ap.sock"
  expect "REPL answers over nc -U" 0 'meta/schema_version' -- \
    sh -c "printf 'list meta/*\nexit\n' | nc -U -q 2 $work/ap.sock"
  expect "REPL socket is private (0600)" 0 '^600$' -- stat -c %a "$work/ap.sock"
  AP_OPERATOR_TOKEN=$op_token "$operator" --id=op1 \
    --aggregator="127.0.0.1:$port" --spool-dir="$work/spool" \
    --http-listen=127.0.0.1:0 2>"$work/op.log" &
  op_pid=$!
  op_http=""
  for _ in $(seq 1 100); do
    op_http=$(grep -o 'operator_started.*http_port=[0-9]*' "$work/op.log" |
      grep -o 'http_port=[0-9]*' | cut -d= -f2)
    [ -n "$op_http" ] && break
    sleep 0.1
  done
  expect "operator HTTP /health" 0 '^ok$' -- curl -sf "http://127.0.0.1:$op_http/health"
  ready=""
  for _ in $(seq 1 100); do
    ready=$(curl -sf "http://127.0.0.1:$op_http/ready") && break
    sleep 0.1
  done
  if [ "$ready" = "ready" ]; then ok "operator /ready once linked"; else
    fail "operator /ready: '$ready'; log: $(cat "$work/op.log")"; fi
  expect "operator /metrics shows the link" 0 'ap_operator_state\{what="linked"\} 1' -- \
    curl -sf "http://127.0.0.1:$op_http/metrics"
  kill -TERM "$op_pid"
  wait_for_exit "$op_pid"
  if [ "$rc" = "0" ] && grep -q "operator_stopped" "$work/op.log"; then
    ok "operator drains on SIGTERM and exits 0"
  else
    fail "operator SIGTERM: exit '$rc'; log: $(cat "$work/op.log")"
  fi
  op_pid=""
  expect "keys create refuses while the aggregator runs" 1 "another aggregator" -- \
    "$aggregator" --data-dir="$work/data" keys list
  expect "second aggregator on the same data dir is refused" 1 \
    "another aggregator" -- "$aggregator" --data-dir="$work/data" \
    --grpc-listen=127.0.0.1:0 --repl-socket= --http-listen=
  kill -TERM "$agg_pid"
  wait_for_exit "$agg_pid"
  if [ "$rc" = "0" ] && grep -q "stopped" "$work/agg.log"; then
    ok "SIGTERM drains and exits 0"
  else
    fail "SIGTERM: exit '$rc'; log: $(cat "$work/agg.log")"
  fi
  agg_pid=""
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
