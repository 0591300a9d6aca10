#ifndef AP_AGGREGATOR_STORE_ROCKSDB_STORE_H_
#define AP_AGGREGATOR_STORE_ROCKSDB_STORE_H_

// The embedded store on RocksDB.
//
// Open() creates the directory if needed and checks the schema version kept
// under the key "meta/schema_version": a new store is stamped with
// kSchemaVersion; a store written by a newer build is refused
// (FAILED_PRECONDITION) rather than misread, and an older one is migrated
// (1 -> 2: the pend/ keys are deleted). With sync_writes, every Write
// is fsync'd before it returns, so a batch that returned survives a crash
// of the machine, not only of the process.

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "aggregator/store/store.h"

namespace rocksdb {
class DB;
}

namespace ap {

inline constexpr int kSchemaVersion = 2;
inline constexpr char kSchemaVersionKey[] = "meta/schema_version";

struct RocksDbOptions {
  std::string path;
  bool sync_writes = true;
  // Told how long each Write took, fsync included (metrics).
  std::function<void(absl::Duration took)> on_write;
};

class RocksDbStore final : public Store {
 public:
  static absl::StatusOr<std::unique_ptr<RocksDbStore>> Open(
      const RocksDbOptions& options);
  ~RocksDbStore() override;

  absl::StatusOr<std::optional<std::string>> Get(
      absl::string_view key) override;
  absl::Status Write(const WriteBatch& batch) override;
  absl::Status Scan(absl::string_view prefix, absl::string_view start_after,
                    const ScanFn& fn) override;
  absl::Status ScanReverse(absl::string_view prefix,
                           absl::string_view start_before,
                           const ScanFn& fn) override;

  absl::Status Backup(const std::string& dir) override;
  absl::Status Compact() override;
  std::string Stats() override;

  int schema_version() const { return schema_version_; }

 private:
  RocksDbStore(std::unique_ptr<rocksdb::DB> db, RocksDbOptions options);
  absl::Status CheckSchemaVersion();
  absl::Status MigrateFrom1();

  std::unique_ptr<rocksdb::DB> db_;
  const RocksDbOptions options_;
  int schema_version_ = 0;
};

}  // namespace ap

#endif  // AP_AGGREGATOR_STORE_ROCKSDB_STORE_H_
