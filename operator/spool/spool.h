#ifndef AP_OPERATOR_SPOOL_SPOOL_H_
#define AP_OPERATOR_SPOOL_SPOOL_H_

// The operator's durable outbox: every outcome is written here, fsync'd,
// before it is reported, and removed only when the aggregator has answered
// ACCEPTED, DUPLICATE or STALE. Nothing produced while the aggregator is
// unreachable, or before an operator crash, is lost.
//
// One file per outcome, `<sequence, 20 digits>.outcome` holding a
// serialized ap.v1.ReportRequest, written as `.tmp`, fsync'd, renamed and
// the directory fsync'd; so a crash leaves either the whole outcome or no
// outcome (a left-over `.tmp` is removed at open). Sequence order is the
// order appends began, and replay follows it (concurrent appends are
// written side by side; each counts once its file is durable). A file
// that cannot be parsed is renamed `.corrupt` and skipped, never silently
// dropped.
//
// Bounded: Append fails with RESOURCE_EXHAUSTED when the outcomes stored
// would exceed max_bytes. Thread-safe.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ap/v1/node.pb.h"
#include "common/clock.h"

namespace ap {

class Spool {
 public:
  struct Entry {
    uint64_t sequence;
    v1::ReportRequest outcome;
  };

  // Creates `dir` if needed and takes stock of what a previous run left.
  static absl::StatusOr<std::unique_ptr<Spool>> Open(const std::string& dir,
                                                     uint64_t max_bytes);

  // Durable when it returns OK. RESOURCE_EXHAUSTED when full.
  absl::StatusOr<uint64_t> Append(const v1::ReportRequest& outcome);
  // The oldest `max` outcomes, in order.
  absl::StatusOr<std::vector<Entry>> Oldest(size_t max);
  // Forgets an outcome the aggregator has answered for. Removing one that
  // is already gone is OK.
  absl::Status Remove(uint64_t sequence);

  // Renames an outcome's file with `suffix` (kept for a person, never
  // replayed) and forgets it.
  absl::Status SetAside(uint64_t sequence, const char* suffix);

  size_t depth() const;
  // Waits until no outcome is left (true) or `deadline` on `clock` passes.
  bool AwaitEmpty(Clock* clock, absl::Time deadline) const;
  uint64_t bytes() const;
  uint64_t max_bytes() const { return max_bytes_; }
  const std::string& dir() const { return dir_; }

 private:
  Spool(std::string dir, uint64_t max_bytes)
      : dir_(std::move(dir)), max_bytes_(max_bytes) {}
  std::string PathOf(uint64_t sequence, const char* suffix) const;
  // Drops an outcome from the accounting (its file is gone or renamed).
  void Forget(uint64_t sequence);

  const std::string dir_;
  const uint64_t max_bytes_;
  // Writes `<sequence>.tmp`, fsyncs it, renames it `.outcome` and fsyncs
  // the directory.
  absl::Status WriteAndRename(uint64_t sequence, const std::string& data);

  mutable absl::Mutex mu_;
  // Sequence -> size in bytes, of every outcome on disk.
  std::map<uint64_t, uint64_t> sizes_ ABSL_GUARDED_BY(mu_);
  // Of the outcomes in sizes_ and of appends being written.
  uint64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace ap

#endif  // AP_OPERATOR_SPOOL_SPOOL_H_
