#ifndef AP_AGGREGATOR_STORE_PG_STORE_H_
#define AP_AGGREGATOR_STORE_PG_STORE_H_

// The store on PostgreSQL, for a cluster of aggregators sharing one
// database. Keys map onto readable tables (pg_tables.h, pg_schema.h); each
// Write is one transaction, with multi-row statements per table.
//
// Fencing: once Fence(lease, holder, epoch) is set, every Write first
// checks, in its own transaction, that this holder still holds the leader
// lease at that epoch (kLeaderFenceSql), and otherwise fails
// FAILED_PRECONDITION and writes nothing. With `fenced` set in the options,
// a Write before any Fence (or after Unfence) is refused the same way: a
// standby never writes.
//
// Reads go through a small pool of connections of their own; writes, one
// at a time, through one connection. A lost connection is reconnected on
// the next call, but not more often than every `reconnect_backoff` (no
// reconnect storm while the database is down): calls in between fail
// UNAVAILABLE at once. Thread-safe.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "aggregator/store/pg_connection.h"
#include "aggregator/store/store.h"

namespace ap {

struct PgStoreOptions {
  std::string dsn;
  PgOptions connection;
  int read_connections = 4;
  bool fenced = false;
  absl::Duration reconnect_backoff = absl::Seconds(1);
  // Told how long each Write took (metrics).
  std::function<void(absl::Duration took)> on_write;
  // Told when a Write found the lease gone (the leader should step down).
  std::function<void(int64_t epoch)> on_fenced_out;
};

class PostgresStore final : public Store {
 public:
  // Connects, and creates or migrates the schema (pg_schema.h).
  static absl::StatusOr<std::unique_ptr<PostgresStore>> Open(
      PgStoreOptions options);
  ~PostgresStore() override;

  // Writes from now on are checked against the lease `name` held by
  // `holder` at `epoch`.
  void Fence(std::string name, std::string holder, int64_t epoch);
  void Unfence();

  absl::StatusOr<std::optional<std::string>> Get(
      absl::string_view key) override;
  absl::Status Write(const WriteBatch& batch) override;
  absl::Status Scan(absl::string_view prefix, absl::string_view start_after,
                    const ScanFn& fn) override;
  absl::Status ScanReverse(absl::string_view prefix,
                           absl::string_view start_before,
                           const ScanFn& fn) override;
  // UNIMPLEMENTED, saying to use pg_dump (docs/operations.md).
  absl::Status Backup(const std::string& dir) override;
  // VACUUM ANALYZE of the aggregator's tables.
  absl::Status Compact() override;
  std::string Stats() override;

  // The schema version before this Open (0: a new database).
  int schema_version_found() const { return schema_version_found_; }

 private:
  struct Bounds;
  class Pool;
  explicit PostgresStore(PgStoreOptions options);

  absl::Status ScanRange(absl::string_view prefix, Bounds bounds,
                         bool reverse, const ScanFn& fn);
  // The fence's condition, or an error when writes are refused now.
  absl::StatusOr<std::optional<std::vector<std::optional<std::string>>>>
  FenceParams(int64_t* epoch) ABSL_LOCKS_EXCLUDED(fence_mu_);

  const PgStoreOptions options_;
  std::unique_ptr<Pool> readers_;
  std::unique_ptr<Pool> writer_;  // one connection: writes take turns
  absl::Mutex fence_mu_;
  struct FenceSpec {
    std::string name, holder;
    int64_t epoch;
  };
  std::optional<FenceSpec> fence_ ABSL_GUARDED_BY(fence_mu_);
  int schema_version_found_ = 0;
};

}  // namespace ap

#endif  // AP_AGGREGATOR_STORE_PG_STORE_H_
