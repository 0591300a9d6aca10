#ifndef AP_BENCH_BENCH_STORE_H_
#define AP_BENCH_BENCH_STORE_H_

// The store a benchmark runs on: RocksDB in a directory (the default), or
// PostgreSQL at a DSN (--store=postgres --postgres_dsn=...;
// bench/pg_local.sh starts a local server with Debian's durable defaults).

#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "aggregator/store/pg_store.h"
#include "aggregator/store/rocksdb_store.h"

namespace ap::bench {

struct BenchStore {
  bool postgres = false;
  std::string dir;  // RocksDB
  std::string dsn;  // PostgreSQL
};

// Opens the store; `fresh` empties it first (the directory removed, or the
// aggregator's tables dropped). `sync` is RocksDB's fsync per write;
// PostgreSQL commits as the server is configured.
inline absl::StatusOr<std::unique_ptr<Store>> OpenBenchStore(
    const BenchStore& where, bool fresh, bool sync = true) {
  if (!where.postgres) {
    if (fresh) std::filesystem::remove_all(where.dir);
    auto rocks = RocksDbStore::Open({where.dir, sync});
    if (!rocks.ok()) return rocks.status();
    return std::unique_ptr<Store>(*std::move(rocks));
  }
  if (fresh) {
    auto conn = PgConnection::Connect(where.dsn);
    if (!conn.ok()) return conn.status();
    auto dropped = (*conn)->Exec(
        "DROP TABLE IF EXISTS ap_workflows, ap_executions, "
        "ap_workflow_events, ap_credentials, ap_meta, ap_leader, "
        "ap_leader_terms");
    if (!dropped.ok()) return dropped.status();
  }
  PgStoreOptions options;
  options.dsn = where.dsn;
  auto pg = PostgresStore::Open(options);
  if (!pg.ok()) return pg.status();
  return std::unique_ptr<Store>(*std::move(pg));
}

}  // namespace ap::bench

#endif  // AP_BENCH_BENCH_STORE_H_
