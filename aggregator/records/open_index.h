#ifndef AP_AGGREGATOR_RECORDS_OPEN_INDEX_H_
#define AP_AGGREGATOR_RECORDS_OPEN_INDEX_H_

// The open executions in memory: their records as last written, the
// dispatch queue (PENDING, oldest scheduled first), their start deadlines
// and the leases (DISPATCHED or RUNNING, soonest expiry first).
//
// The store keeps the same facts durably (ex/ records and open/ keys), but
// a RocksDB prefix scan walks every deleted key not yet compacted away, and
// each change of an execution would read its record first: at thousands of
// executions a second both came to dominate dispatch. This index is rebuilt
// from the store at start and updated from each committed WorkflowBatch.
// Not thread-safe (WorkflowStore guards it).

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "ap/v1/workflow.pb.h"

namespace ap {

class OpenIndex {
 public:
  // What the index holds for one execution; all empty once it is closed.
  struct Entry {
    std::string id;
    std::shared_ptr<const v1::Execution> record;  // null: closed
    std::optional<absl::Time> pending_since;      // its scheduled time
    std::optional<absl::Time> lease_until;
    absl::Time not_before = absl::InfinitePast();  // retry backoff
    std::optional<absl::Time> start_by;            // PENDING: its deadline
  };
  // The entry for `e` as stored: closed unless IsOpen(e.status()). An
  // open entry keeps `e` (move it in when it is not needed).
  static Entry EntryFor(v1::Execution e);
  static Entry EntryFor(std::shared_ptr<const v1::Execution> e);
  static Entry Closed(std::string id) { return {std::move(id)}; }

  // Replaces whatever the index held for entry.id.
  void Apply(const Entry& entry);

  // The record of an open execution; null if it is not open.
  std::shared_ptr<const v1::Execution> Find(absl::string_view id) const;
  // A workflow's open executions, by id (oldest scheduled first).
  std::vector<std::shared_ptr<const v1::Execution>> OfWorkflow(
      absl::string_view workflow_id) const;

  // Up to `max` PENDING executions due by `now` (not waiting out a retry
  // backoff), oldest scheduled first.
  std::vector<std::string> Pending(size_t max, absl::Time now) const;
  // Whether Pending(1, now) would return one, without walking the retries
  // backing off.
  bool AnyPendingDue(absl::Time now) const {
    return !pending_by_not_before_.empty() &&
           pending_by_not_before_.begin()->first <= now;
  }
  // Executions whose lease expired at or before `now`, soonest first.
  std::vector<std::string> LeasesExpiredBy(absl::Time now) const;
  // PENDING executions whose start_by is at or before `now`, soonest first.
  std::vector<std::string> StartDeadlinesPassedBy(absl::Time now) const;

  // Open executions with this status (PENDING, DISPATCHED or RUNNING).
  size_t count(v1::ExecutionStatus status) const;
  size_t pending_size() const { return pending_.size(); }
  size_t leased_size() const { return leases_.size(); }

 private:
  using Ordered = std::set<std::pair<absl::Time, std::string>>;
  absl::flat_hash_map<std::string, Entry> by_id_;
  Ordered pending_;
  Ordered pending_by_not_before_;  // the same, by the end of their backoff
  Ordered leases_;
  Ordered start_by_;  // PENDING ones with a start deadline
  absl::flat_hash_map<int, size_t> by_status_;
  absl::flat_hash_map<std::string, std::set<std::string>> by_workflow_;
};

}  // namespace ap

#endif  // AP_AGGREGATOR_RECORDS_OPEN_INDEX_H_
