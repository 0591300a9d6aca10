#ifndef AP_OPERATOR_SPOOL_SPOOL_H_
#define AP_OPERATOR_SPOOL_SPOOL_H_

// The operator's durable outbox: every outcome is written here, fsync'd,
// before it is reported, and forgotten only when the aggregator has
// answered ACCEPTED, DUPLICATE or STALE. Nothing produced while the
// aggregator is unreachable, or before an operator crash, is lost.
//
// An append-only log of segments, `<first sequence, 20 digits>.log`, of
// checksummed records (segment_record.h). Appends are group-committed
// (common/sync/group_commit.h): the first appender writes what is queued
// with one write() and one fdatasync, while the next group gathers; each
// Append returns once its own record is durable. A segment is removed
// whole once every outcome in it was answered for (acknowledgements are
// not written: after a kill -9 the outcomes of segments still on disk are
// reported again, and the aggregator answers the repeats DUPLICATE); the
// active one is replaced after kSegmentBytes. Sequence order is the order
// appends were queued, and replay follows it.
//
// At open, a segment's torn or damaged tail (a crash mid-write) is copied
// to `<segment>.log.corrupt-tail` for a person and cut off; outcomes
// before it are kept. Files of the spool's earlier format (one
// `<sequence>.outcome` per outcome) are taken into the log. An outcome
// that cannot be parsed, or that the aggregator refuses, is written to
// `<sequence>.corrupt` or `.rejected` and forgotten, never silently
// dropped.
//
// Bounded: Append fails with RESOURCE_EXHAUSTED when the outcomes stored
// would exceed max_bytes. Thread-safe.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ap/v1/node.pb.h"
#include "common/clock.h"
#include "common/sync/group_commit.h"

namespace ap {

class Spool {
 public:
  static constexpr uint64_t kSegmentBytes = 1 << 20;

  struct Entry {
    uint64_t sequence;
    v1::ReportRequest outcome;
  };

  // Creates `dir` if needed and takes stock of what a previous run left.
  static absl::StatusOr<std::unique_ptr<Spool>> Open(const std::string& dir,
                                                     uint64_t max_bytes);
  // Removes the active segment if every outcome in it was answered for.
  ~Spool();

  // Durable when it returns OK. RESOURCE_EXHAUSTED when full.
  absl::StatusOr<uint64_t> Append(const v1::ReportRequest& outcome)
      ABSL_LOCKS_EXCLUDED(mu_);
  // The oldest `max` outcomes, in order.
  absl::StatusOr<std::vector<Entry>> Oldest(size_t max)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Forgets an outcome the aggregator has answered for. Removing one that
  // is already gone is OK.
  absl::Status Remove(uint64_t sequence) ABSL_LOCKS_EXCLUDED(mu_);
  // Writes an outcome's bytes to `<sequence><suffix>` (kept for a person,
  // never replayed) and forgets it.
  absl::Status SetAside(uint64_t sequence, const char* suffix)
      ABSL_LOCKS_EXCLUDED(mu_);

  size_t depth() const ABSL_LOCKS_EXCLUDED(mu_);
  // Waits until no outcome is left (true) or `deadline` on `clock` passes.
  bool AwaitEmpty(Clock* clock, absl::Time deadline) const
      ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t bytes() const ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t max_bytes() const { return max_bytes_; }
  const std::string& dir() const { return dir_; }
  // Segment files on disk now.
  size_t segments() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Segment;
  // Where an outcome's payload is.
  struct Location {
    std::shared_ptr<Segment> segment;
    uint64_t offset = 0;
    uint32_t size = 0;
  };
  struct Queued {
    uint64_t sequence;
    std::string record;  // encoded
    uint32_t payload_size;
  };

  Spool(std::string dir, uint64_t max_bytes)
      : dir_(std::move(dir)), max_bytes_(max_bytes) {}
  std::string PathOf(uint64_t sequence, const char* suffix) const;
  // At open: the segments, then files of the earlier format.
  absl::Status Recover() ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status RecoverSegment(const std::string& path)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status AdoptLegacy(const std::vector<std::string>& paths)
      ABSL_LOCKS_EXCLUDED(mu_);
  using Commits = GroupCommit<Queued, absl::Status>;

  // Queues an encoded outcome and waits until a group made it durable.
  absl::StatusOr<uint64_t> Commit(const std::string& payload)
      ABSL_LOCKS_EXCLUDED(mu_, write_mu_);
  // Writes one group (WriteGroup) and gives every item its result.
  void CommitGroup(std::vector<Commits::Item*>& group)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) ABSL_LOCKS_EXCLUDED(mu_);
  // Appends a group to the active segment (a new one when it is full or
  // the last write failed) and fdatasyncs it.
  absl::Status WriteGroup(const std::vector<Commits::Item*>& group)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) ABSL_LOCKS_EXCLUDED(mu_);
  // Forgets an outcome; removes its segment when that was the last one
  // and the segment is not active.
  void DropLocked(uint64_t sequence) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveSegmentLocked(const std::shared_ptr<Segment>& segment)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string dir_;
  const uint64_t max_bytes_;

  // Held by the group being written (GroupCommit's leader); before mu_.
  absl::Mutex write_mu_;
  Commits commits_{&write_mu_,
                   [this](std::vector<Commits::Item*>& group) {
                     write_mu_.AssertHeld();
                     CommitGroup(group);
                   },
                   absl::UnknownError("not written")};

  mutable absl::Mutex mu_;
  std::map<uint64_t, Location> index_ ABSL_GUARDED_BY(mu_);
  // Of the outcomes in index_ and of those queued or being written.
  uint64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_ ABSL_GUARDED_BY(mu_) = 1;
  std::shared_ptr<Segment> active_ ABSL_GUARDED_BY(mu_);
  size_t segments_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace ap

#endif  // AP_OPERATOR_SPOOL_SPOOL_H_
