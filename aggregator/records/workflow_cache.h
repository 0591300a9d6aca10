#ifndef AP_AGGREGATOR_RECORDS_WORKFLOW_CACHE_H_
#define AP_AGGREGATOR_RECORDS_WORKFLOW_CACHE_H_

// Parsed workflow records, so that a fire and its dispatch need not read
// and parse the same record from the store again. At most `capacity`
// entries; past that the oldest filled is dropped (a miss only costs a
// store read).
//
// Coherence: WorkflowStore puts every committed change (Put/Erase). A
// reader that missed reads the store and offers what it read with Fill,
// which keeps it only if no change was made since the reader's Version():
// a record read before a write can never be kept after it. Thread-safe.

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "ap/v1/workflow.pb.h"

namespace ap {

class WorkflowCache {
 public:
  explicit WorkflowCache(size_t capacity) : capacity_(capacity) {}

  // Null on a miss.
  std::shared_ptr<const v1::Workflow> Find(absl::string_view id) const
      ABSL_LOCKS_EXCLUDED(mu_);
  // Changes made so far; take it before reading the store for Fill.
  uint64_t Version() const ABSL_LOCKS_EXCLUDED(mu_);
  // Keeps `w` (read from the store after `version` was taken) unless a
  // change was made since.
  void Fill(std::shared_ptr<const v1::Workflow> w, uint64_t version)
      ABSL_LOCKS_EXCLUDED(mu_);

  // A committed change: the new record, or its deletion.
  void Put(std::shared_ptr<const v1::Workflow> w) ABSL_LOCKS_EXCLUDED(mu_);
  void Erase(absl::string_view id) ABSL_LOCKS_EXCLUDED(mu_);
  // Drops every entry.
  void Clear() ABSL_LOCKS_EXCLUDED(mu_);

  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);
  size_t capacity() const { return capacity_; }

 private:
  void InsertLocked(std::shared_ptr<const v1::Workflow> w)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t capacity_;
  mutable absl::Mutex mu_;
  uint64_t version_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, std::shared_ptr<const v1::Workflow>> entries_
      ABSL_GUARDED_BY(mu_);
  // Ids in the order they were first inserted (some since erased): the
  // eviction order.
  std::deque<std::string> order_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ap

#endif  // AP_AGGREGATOR_RECORDS_WORKFLOW_CACHE_H_
