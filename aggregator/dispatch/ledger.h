#ifndef AP_AGGREGATOR_DISPATCH_LEDGER_H_
#define AP_AGGREGATOR_DISPATCH_LEDGER_H_

// The execution ledger: the state changes of an execution after it was
// recorded (a fire records it; cancel and delete end it), each in one
// atomic write, so that delivery to operators can be at-least-once while
// the recorded outcome is exactly-once. Every change, here or elsewhere,
// is a move of the state machine in records/execution_state.h.
//
//   Assign        PENDING -> DISPATCHED to an operator, under a lease of
//                 the workflow's execution_timeout + lease_grace.
//   Report        RUNNING, then one terminal outcome per (execution,
//                 attempt). The first terminal report wins (ACCEPTED);
//                 repeats answer DUPLICATE; reports for an older attempt,
//                 another operator or a vanished execution answer STALE.
//   ExpireLeases  a DISPATCHED or RUNNING execution whose lease ran out
//                 goes back to PENDING with attempt + 1, or FAILED once the
//                 workflow's retry policy (max_attempts) is spent.
//   ExpireStartDeadlines  a PENDING execution whose start_by passed is
//                 recorded SKIPPED (the workflow's start_deadline).
//   Retries       a reported FAILED or TIMED_OUT is retried the same way
//                 while attempts remain. A retry waits out the policy's
//                 backoff (initial_backoff, doubling, max_backoff) before
//                 it can be dispatched (Execution.not_before).
//
// Holds the WorkflowStore's write mutex for each change. Concurrent reports
// are group-committed: one write (one fsync) for all reports that arrived
// while the previous write was in progress. Thread-safe.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/sync/group_commit.h"
#include "aggregator/schedule/placer.h"
#include "aggregator/records/workflow_store.h"
#include "ap/v1/node.pb.h"
#include "common/clock.h"

namespace ap {

struct LedgerOptions {
  // Added to the execution timeout to make a lease: time for the report
  // to arrive.
  absl::Duration lease_grace = absl::Seconds(30);
  // Step output kept per step; longer output is cut and marked truncated.
  size_t max_output_bytes = 64 * 1024;
};

class ExecutionLedger {
 public:
  ExecutionLedger(WorkflowStore* store, Clock* clock,
                  LedgerOptions options = {});

  // FAILED_PRECONDITION unless the execution is PENDING; NOT_FOUND if gone.
  absl::StatusOr<v1::Execution> Assign(absl::string_view execution_id,
                                       absl::string_view operator_id);

  // Makes `e` DISPATCHED to `operator_id` at `now` under a lease of the
  // workflow's execution_timeout + lease_grace (an hour + grace without a
  // workflow). Writes nothing. FAILED_PRECONDITION (`e` unchanged) unless
  // `e` is PENDING.
  absl::Status Lease(v1::Execution* e, const v1::Workflow* workflow,
                     absl::string_view operator_id, absl::Time now) const;

  // An execution as dispatched, with its workflow as read for the lease
  // (null if the workflow is gone), so that the caller need not read it
  // again to build the Assignment.
  using Assigned = PlacedExecution;
  // Assigns several executions in one write: each (execution, operator)
  // pair that is still PENDING is DISPATCHED; the others are left out of
  // the result (nothing else changes).
  absl::StatusOr<std::vector<Assigned>> AssignMany(
      const std::vector<std::pair<std::string, std::string>>& assignments);

  // Takes back an assignment that never reached the operator (its outbox
  // was full): DISPATCHED -> PENDING, same attempt. FAILED_PRECONDITION
  // unless it is DISPATCHED to that operator.
  absl::Status Unassign(absl::string_view execution_id,
                        absl::string_view operator_id,
                        std::optional<int> attempt = std::nullopt);

  // An operator hands back an attempt it will not start (it is shutting
  // down): DISPATCHED to that operator as that attempt -> PENDING, same
  // attempt, for another operator (ACCEPTED); anything else (running,
  // finished, re-dispatched, gone) answers STALE and changes nothing.
  absl::StatusOr<v1::ReportResponse> HandBack(absl::string_view operator_id,
                                              absl::string_view execution_id,
                                              int attempt);

  // INVALID_ARGUMENT for a status an operator cannot report (PENDING,
  // DISPATCHED, SKIPPED, unknown) or an attempt never assigned.
  absl::StatusOr<v1::ReportResponse> Report(absl::string_view operator_id,
                                            const v1::ReportRequest& report);

  // Several reports, decided in order as if made one after another (a
  // later one sees what an earlier one changed) and recorded in one write,
  // shared with concurrent Report() and ReportMany() callers.
  struct ReportCall {
    absl::string_view operator_id;
    const v1::ReportRequest* report;
  };
  std::vector<absl::StatusOr<v1::ReportResponse>> ReportMany(
      const std::vector<ReportCall>& calls);

  // Writes that carried reports so far (one per group commit).
  uint64_t report_writes() const { return reports_.batches(); }

  // Returns the executions it changed (back to PENDING, or FAILED).
  absl::StatusOr<std::vector<v1::Execution>> ExpireLeases();
  // Records SKIPPED every PENDING execution whose start_by has passed
  // (kStartDeadlineReason); returns them.
  absl::StatusOr<std::vector<v1::Execution>> ExpireStartDeadlines();

  // PENDING executions due now (retries past their backoff), oldest
  // scheduled first: the dispatch queue.
  absl::StatusOr<std::vector<std::string>> Pending(size_t max);
  // Whether Pending would return any now (cheap).
  absl::StatusOr<bool> AnyPending();

 private:
  using ReportCommit =
      GroupCommit<ReportCall, absl::StatusOr<v1::ReportResponse>, FairMutex>;

  // Under the write lock, in one write: each of `ids` as stored now, as
  // `change` makes it (nullopt: it no longer applies; left alone). Returns
  // those changed.
  using Change = std::function<absl::StatusOr<std::optional<v1::Execution>>(
      const v1::Execution& stored)>;
  absl::StatusOr<std::vector<v1::Execution>> ChangeEach(
      const std::vector<std::string>& ids, const Change& change)
      ABSL_LOCKS_EXCLUDED(store_->write_mutex());

  void CommitReportsLocked(std::vector<ReportCommit::Item*>& batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(store_->write_mutex());

  WorkflowStore* const store_;
  Clock* const clock_;
  const LedgerOptions options_;
  ReportCommit reports_;
};

}  // namespace ap

#endif  // AP_AGGREGATOR_DISPATCH_LEDGER_H_
