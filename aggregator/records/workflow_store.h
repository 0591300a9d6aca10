#ifndef AP_AGGREGATOR_RECORDS_WORKFLOW_STORE_H_
#define AP_AGGREGATOR_RECORDS_WORKFLOW_STORE_H_

// Workflows and executions on the Store, with their indexes (keys.h) kept
// in step: every change goes through a WorkflowBatch, which updates a
// record and its index entries in the same atomic write.
//
// Every Write, and every read-modify-write sequence (firing, pause,
// report, ...) from the read to the write, holds write_mutex(), so they
// never interleave; it is handed over in the order asked for (FairMutex), so
// the fire loop, dispatch rounds and report commits take turns. Reads alone
// need no lock. The open executions, the
// dispatch queue and the leases are also kept in memory (open_index.h),
// loaded on first use and updated by each Write; once loaded, an open
// execution is read from there. Thread-safe.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "aggregator/records/execution_state.h"
#include "aggregator/store/store.h"
#include "aggregator/records/open_index.h"
#include "aggregator/records/workflow_cache.h"
#include "ap/store/v1/records.pb.h"
#include "ap/v1/workflow.pb.h"
#include "common/sync/fair_mutex.h"

namespace ap {

class WorkflowBatch {
 public:
  // `before` is the stored version (nullptr for a new record), so that
  // stale index entries are removed.
  // `after` is kept (for the cache): move it in when it is not needed.
  void PutWorkflow(const v1::Workflow* before, v1::Workflow after);
  void DeleteWorkflow(const v1::Workflow& workflow);
  // `after` is kept (for the open index): move it in when not needed.
  void PutExecution(const v1::Execution* before, v1::Execution after);
  void DeleteExecution(const v1::Execution& execution);
  // Deletes the status change a workflow recorded at `at` (its history,
  // which PutWorkflow writes).
  void DeleteStatusChange(absl::string_view workflow_id, absl::Time at);

  // A record of another kind (notify/), written with these.
  void PutRecord(absl::string_view key, absl::string_view value) {
    batch_.Put(key, value);
  }
  void DeleteRecord(absl::string_view key) { batch_.Delete(key); }

  // Adds `other`'s changes after these (one workflow's, to a round's).
  void Append(WorkflowBatch&& other);

  const WriteBatch& raw() const { return batch_; }
  bool empty() const { return batch_.empty(); }
  // The open-index changes this batch makes, in order.
  const std::vector<OpenIndex::Entry>& index_changes() const {
    return index_changes_;
  }
  // The workflow records this batch writes (null: deleted), in order.
  struct WorkflowChange {
    std::string id;
    std::shared_ptr<const v1::Workflow> after;
  };
  const std::vector<WorkflowChange>& workflow_changes() const {
    return workflow_changes_;
  }
  // The executions this batch moves to a final status (new SKIPPED ones
  // included), in order.
  const std::vector<std::shared_ptr<const v1::Execution>>& finished() const {
    return finished_;
  }
  // How many workflows of each status this batch adds (+1) or removes (-1).
  const std::vector<std::pair<v1::WorkflowStatus, int>>& status_counts() const {
    return status_counts_;
  }

 private:
  WriteBatch batch_;
  std::vector<OpenIndex::Entry> index_changes_;
  std::vector<WorkflowChange> workflow_changes_;
  std::vector<std::shared_ptr<const v1::Execution>> finished_;
  std::vector<std::pair<v1::WorkflowStatus, int>> status_counts_;
};

// What follows from the executions a write finishes, added to that very
// write (the notifications, notify/). Called under the write mutex, for
// every write that finishes any; Done once the write succeeded or failed.
class WriteHook {
 public:
  virtual ~WriteHook() = default;
  // Adds to `extra` what `finished` entails. An error fails the write.
  virtual absl::Status Prepare(
      const std::vector<std::shared_ptr<const v1::Execution>>& finished,
      WriteBatch* extra) = 0;
  virtual void Done(bool committed) = 0;
};

class WorkflowStore {
 public:
  static constexpr size_t kDefaultWorkflowCache = 50'000;
  // Keeps up to `workflow_cache` parsed workflows in memory
  // (workflow_cache.h; 0: none).
  explicit WorkflowStore(Store* store,
                         size_t workflow_cache = kDefaultWorkflowCache)
      : store_(store), workflows_(workflow_cache) {}

  FairMutex* write_mutex() ABSL_LOCK_RETURNED(write_mu_) { return &write_mu_; }

  // Runs `hook` (null: none) in every Write from now on.
  void SetWriteHook(WriteHook* hook) ABSL_LOCKS_EXCLUDED(write_mu_);

  // The workflow as last written (from the cache when it holds it), null
  // if there is none. Never modify it: copy.
  absl::StatusOr<std::shared_ptr<const v1::Workflow>> FindWorkflow(
      absl::string_view id);
  absl::StatusOr<std::optional<v1::Workflow>> GetWorkflow(absl::string_view id);
  // Whether FindWorkflow hands out the same record object until it changes
  // (false with the cache off: each read makes a new one).
  bool caches_workflows() const { return workflows_.capacity() > 0; }
  absl::StatusOr<std::optional<v1::Execution>> GetExecution(
      absl::string_view execution_id);
  absl::Status Write(const WorkflowBatch& batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  // Up to `max` PENDING execution ids due by `now`, oldest scheduled first.
  absl::StatusOr<std::vector<std::string>> PendingExecutions(size_t max,
                                                             absl::Time now)
      ABSL_LOCKS_EXCLUDED(write_mu_);
  // Whether any PENDING execution is due by `now` (cheap: not a walk).
  absl::StatusOr<bool> AnyPendingDue(absl::Time now)
      ABSL_LOCKS_EXCLUDED(write_mu_);
  // DISPATCHED or RUNNING execution ids whose lease ran out by `now`.
  absl::StatusOr<std::vector<std::string>> ExpiredLeases(absl::Time now)
      ABSL_LOCKS_EXCLUDED(write_mu_);
  // PENDING execution ids whose start_by passed by `now`.
  absl::StatusOr<std::vector<std::string>> StartDeadlinesPassed(absl::Time now)
      ABSL_LOCKS_EXCLUDED(write_mu_);
  // Writes raw keys (the REPL's rm) under the write mutex, then makes what
  // is kept in memory agree with the store for each execution record the
  // batch touched, and drops the workflow records it touched from the
  // cache. Other indexes (wfo/, wfs/, open/) are not repaired.
  absl::Status WriteRaw(const WriteBatch& batch)
      ABSL_LOCKS_EXCLUDED(write_mu_, index_mu_);

  // Forgets what is kept in memory (parsed workflows, the open index, the
  // counts), to be read again from the store on next use: another
  // aggregator may have written since (a new leader's first step).
  void Forget() ABSL_LOCKS_EXCLUDED(write_mu_, index_mu_);

  // How many workflows there are of each status (as the wfs/ index says;
  // counted on first use, then kept up by each Write).
  absl::StatusOr<absl::flat_hash_map<v1::WorkflowStatus, int64_t>>
  WorkflowCounts() ABSL_LOCKS_EXCLUDED(write_mu_, index_mu_);
  // How many executions are open with each status (PENDING, DISPATCHED,
  // RUNNING).
  absl::StatusOr<absl::flat_hash_map<v1::ExecutionStatus, size_t>> OpenCounts()
      ABSL_LOCKS_EXCLUDED(write_mu_, index_mu_);
  // How many executions are PENDING (due or backing off).
  absl::StatusOr<size_t> PendingCount()
      ABSL_LOCKS_EXCLUDED(write_mu_, index_mu_);

  // Executions of a workflow not yet finished, oldest first.
  absl::StatusOr<std::vector<v1::Execution>> OpenExecutions(
      absl::string_view workflow_id);

  // Typed scans (record_scans.cc); each calls fn in order until it returns
  // false. Reads alone: they take no lock.
  using ExecutionFn = std::function<bool(v1::Execution&& e)>;
  using IdFn = std::function<bool(absl::string_view id)>;
  // Every stored workflow, in id order.
  absl::Status ForEachWorkflow(
      const std::function<bool(const v1::Workflow&)>& fn);
  // A workflow's executions by scheduled time, oldest first, from the one
  // after execution `after_id` (empty: from the first).
  absl::Status ScanExecutions(absl::string_view workflow_id,
                              absl::string_view after_id,
                              const ExecutionFn& fn);
  // The same newest first, from the one before `before_id` (empty: from
  // the newest).
  absl::Status ScanExecutionsNewestFirst(absl::string_view workflow_id,
                                         absl::string_view before_id,
                                         const ExecutionFn& fn);
  // How many executions a workflow has.
  absl::StatusOr<int64_t> CountExecutions(absl::string_view workflow_id);
  // Every workflow id, in id order.
  absl::Status ScanWorkflowIds(const IdFn& fn);
  // An owner's workflow ids by age (ids are ULIDs), only those of `status`
  // unless it is UNSPECIFIED, from the one after `after_id` (empty: from
  // the oldest).
  absl::Status ScanOwnerWorkflowIds(absl::string_view owner,
                                    v1::WorkflowStatus status,
                                    absl::string_view after_id,
                                    const IdFn& fn);
  // A workflow's status changes: when, and the status from then on.
  absl::StatusOr<std::map<absl::Time, v1::WorkflowStatus>> StatusChanges(
      absl::string_view workflow_id);

  // Notifications waiting for delivery, by workflow (only `workflow_id`'s
  // when given).
  absl::Status ForEachNotification(
      const std::function<bool(store::v1::NotificationRecord&&)>& fn,
      absl::string_view workflow_id = "");
  // What each workflow's notifications remember.
  absl::Status ForEachNotifyState(
      const std::function<bool(absl::string_view workflow_id,
                               store::v1::NotifyStateRecord&&)>& fn);
  absl::StatusOr<std::optional<store::v1::NotifyStateRecord>> GetNotifyState(
      absl::string_view workflow_id);

  // Deletes a workflow with every record of it (executions, in chunks of
  // `chunk` a write, then its status changes, notification state and the
  // workflow record in one; notifications made are still delivered): an
  // interrupted delete can simply be repeated.
  absl::Status Purge(const v1::Workflow& workflow, int chunk = 1000)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

 private:
  // The execution as stored, not from the index.
  absl::StatusOr<std::optional<v1::Execution>> ReadExecution(
      absl::string_view execution_id);
  // Reads the execution from the store and makes the in-memory index
  // agree with it (gone: closed).
  absl::Status Reload(absl::string_view execution_id)
      ABSL_LOCKS_EXCLUDED(index_mu_);
  // Builds the index from open/ on first use.
  absl::Status LoadIndex() ABSL_LOCKS_EXCLUDED(write_mu_, index_mu_);

  Store* const store_;
  WorkflowCache workflows_;
  FairMutex write_mu_;
  WriteHook* hook_ ABSL_GUARDED_BY(write_mu_) = nullptr;
  absl::Mutex index_mu_ ABSL_ACQUIRED_AFTER(write_mu_);
  bool index_loaded_ ABSL_GUARDED_BY(index_mu_) = false;
  OpenIndex index_ ABSL_GUARDED_BY(index_mu_);
  // Workflows by status; nullopt until counted (and after a raw write to
  // the wfs/ index).
  std::optional<absl::flat_hash_map<v1::WorkflowStatus, int64_t>>
      workflow_counts_ ABSL_GUARDED_BY(index_mu_);
};

}  // namespace ap

#endif  // AP_AGGREGATOR_RECORDS_WORKFLOW_STORE_H_
