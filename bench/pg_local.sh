#!/bin/sh
# A local PostgreSQL for the benchmarks with --store=postgres: initdb in
# DIR (default /tmp/ap-bench-pg), started on a unix socket there with
# Debian's defaults for durability (fsync on, synchronous_commit on), as
# the postgres user when run as root. Prints the DSN to pass as
# --postgres_dsn. `bench/pg_local.sh stop [DIR]` stops it.
set -eu
cmd=start
if [ "${1:-}" = stop ] || [ "${1:-}" = start ]; then cmd=$1; shift; fi
dir=${1:-/tmp/ap-bench-pg}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
as=""
if [ "$(id -u)" = 0 ]; then as="runuser -u postgres --"; fi
if [ "$cmd" = stop ]; then
  $as "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  exit 0
fi
if [ ! -d "$dir/data" ]; then
  mkdir -p "$dir"
  [ -n "$as" ] && chown postgres:postgres "$dir"
  $as "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 >/dev/null
fi
$as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
  -o "-k $dir -c listen_addresses='' -c max_connections=100" start >/dev/null
echo "host=$dir port=5432 user=postgres dbname=postgres"
