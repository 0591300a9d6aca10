#ifndef AP_AGGREGATOR_STORE_STORE_H_
#define AP_AGGREGATOR_STORE_STORE_H_

// The aggregator's storage seam: an ordered key-value store with atomic
// batches and prefix scans. RocksDB is the embedded default
// (rocksdb_store.h); the interface keeps another backend (etcd) possible.
//
// Implementations are thread-safe.

#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ap {

// Puts and deletes applied all together or not at all.
class WriteBatch {
 public:
  struct Op {
    bool is_delete;
    std::string key;
    std::string value;
  };
  void Put(absl::string_view key, absl::string_view value) {
    ops_.push_back({false, std::string(key), std::string(value)});
  }
  void Delete(absl::string_view key) {
    ops_.push_back({true, std::string(key), {}});
  }
  // Adds `other`'s operations after these.
  void Append(WriteBatch&& other) {
    ops_.insert(ops_.end(), std::make_move_iterator(other.ops_.begin()),
                std::make_move_iterator(other.ops_.end()));
    other.ops_.clear();
  }
  const std::vector<Op>& ops() const { return ops_; }
  bool empty() const { return ops_.empty(); }

 private:
  std::vector<Op> ops_;
};

class Store {
 public:
  // Called per entry in key order; return false to stop.
  using ScanFn =
      std::function<bool(absl::string_view key, absl::string_view value)>;

  virtual ~Store() = default;

  // The value, or nullopt if the key is absent.
  virtual absl::StatusOr<std::optional<std::string>> Get(
      absl::string_view key) = 0;
  // Applies the batch atomically and durably (see the implementation for
  // its fsync policy).
  virtual absl::Status Write(const WriteBatch& batch) = 0;
  // Entries whose key starts with `prefix` and sorts after `start_after`
  // (empty: from the first), in key order, until fn returns false.
  virtual absl::Status Scan(absl::string_view prefix,
                            absl::string_view start_after,
                            const ScanFn& fn) = 0;
  // The same in descending key order: entries sorting before
  // `start_before` (empty: from the last).
  virtual absl::Status ScanReverse(absl::string_view prefix,
                                   absl::string_view start_before,
                                   const ScanFn& fn) = 0;

  // A consistent copy of the whole store in `dir` (which must not exist),
  // that an aggregator can be started on.
  virtual absl::Status Backup(const std::string& dir) = 0;
  // Compacts the whole key range (reclaims space after deletes).
  virtual absl::Status Compact() = 0;
  // Human-readable figures (keys, sizes, ...), one `name: value` a line.
  virtual std::string Stats() = 0;
};

}  // namespace ap

#endif  // AP_AGGREGATOR_STORE_STORE_H_
