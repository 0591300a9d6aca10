#ifndef AP_AGGREGATOR_RECORDS_EXECUTION_STATE_H_
#define AP_AGGREGATOR_RECORDS_EXECUTION_STATE_H_

// The execution state machine. Every status an execution takes is set by
// MoveTo (or FinishExecution, CancelExecution, which call it), and only along
// an edge of this table; tests/unit/execution_state_test.cc checks every pair.
//
//   from         to                                   by
//   (new)        PENDING, SKIPPED                     a fire (FiringEngine)
//   PENDING      DISPATCHED                           a lease (ledger, placer)
//                CANCELED                             cancel, REPLACE, delete
//                SKIPPED                              the start deadline
//                                                     (ledger)
//   DISPATCHED   RUNNING                              the operator's report
//                PENDING                              hand back; a retry
//                SUCCEEDED, FAILED, TIMED_OUT,        the operator's report;
//                CANCELED                             lease expiry; cancel
//   RUNNING      PENDING                              a retry
//                SUCCEEDED, FAILED, TIMED_OUT,        as from DISPATCHED
//                CANCELED
//   SUCCEEDED, FAILED, TIMED_OUT, CANCELED, SKIPPED: none (final)
//
// A new record is one whose status is UNSPECIFIED.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ap/v1/workflow.pb.h"

namespace ap {

// The reason of an execution the start deadline skipped starts so.
inline constexpr char kStartDeadlineReason[] =
    "start deadline passed (no operator with capacity)";

// Why a SKIPPED execution was not run, read from its reason (the firing
// engine and the ledger write the reasons): examine's diagnosis and the
// notifications' `missed` both follow it.
enum class SkipCause {
  kMisfire,        // the misfire policy after downtime
  kConcurrency,    // FORBID while another ran
  kStartDeadline,  // no operator took it in time
  kCompleted,      // past max_executions: the workflow ended
};
SkipCause SkipCauseOf(const v1::Execution& skipped);

// Whether an execution has yet to reach a final status.
bool IsOpen(v1::ExecutionStatus status);
// SUCCEEDED, FAILED, TIMED_OUT or CANCELED: an outcome (SKIPPED is not one).
bool IsTerminal(v1::ExecutionStatus status);

// Whether the table has the edge `from` -> `to`.
bool CanMove(v1::ExecutionStatus from, v1::ExecutionStatus to);

// Sets `e`'s status to `to`; FAILED_PRECONDITION naming the execution and
// both statuses, with `e` unchanged, when the table has no such edge.
absl::Status MoveTo(v1::Execution* e, v1::ExecutionStatus to);

// Ends an open execution with the outcome `to` (SUCCEEDED, FAILED,
// TIMED_OUT or CANCELED) at `at`, for `reason`; it holds no lease after.
absl::Status FinishExecution(v1::Execution* e, v1::ExecutionStatus to,
                             absl::string_view reason, absl::Time at);
// Sets e.start_by to `from` + the workflow's start_deadline, or clears it
// when the workflow has none.
void SetStartBy(const v1::Policy& policy, absl::Time from, v1::Execution* e);

// FinishExecution as CANCELED.
absl::Status CancelExecution(v1::Execution* e, absl::string_view reason,
                             absl::Time at);

}  // namespace ap

#endif  // AP_AGGREGATOR_RECORDS_EXECUTION_STATE_H_
