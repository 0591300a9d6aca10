#include "aggregator/records/execution_state.h"

#include <initializer_list>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/proto_time.h"

namespace ap {
namespace {

using S = v1::ExecutionStatus;
constexpr S kNew = v1::EXECUTION_STATUS_UNSPECIFIED;
constexpr S kPending = v1::EXECUTION_STATUS_PENDING;
constexpr S kDispatched = v1::EXECUTION_STATUS_DISPATCHED;
constexpr S kRunning = v1::EXECUTION_STATUS_RUNNING;
constexpr S kSucceeded = v1::EXECUTION_STATUS_SUCCEEDED;
constexpr S kFailed = v1::EXECUTION_STATUS_FAILED;
constexpr S kTimedOut = v1::EXECUTION_STATUS_TIMED_OUT;
constexpr S kCanceled = v1::EXECUTION_STATUS_CANCELED;
constexpr S kSkipped = v1::EXECUTION_STATUS_SKIPPED;

struct Edges {
  S from;
  std::initializer_list<S> to;
};

// The table of execution_state.h.
constexpr Edges kTable[] = {
    {kNew, {kPending, kSkipped}},
    {kPending, {kDispatched, kCanceled, kSkipped}},
    {kDispatched,
     {kRunning, kPending, kSucceeded, kFailed, kTimedOut, kCanceled}},
    {kRunning, {kPending, kSucceeded, kFailed, kTimedOut, kCanceled}},
};

std::string Name(S s) {
  return s == kNew                        ? std::string("(new)")
         : v1::ExecutionStatus_IsValid(s) ? v1::ExecutionStatus_Name(s)
                                          : absl::StrCat(static_cast<int>(s));
}

}  // namespace

bool IsOpen(S status) {
  return status == kPending || status == kDispatched || status == kRunning;
}

bool IsTerminal(S status) {
  return status == kSucceeded || status == kFailed || status == kTimedOut ||
         status == kCanceled;
}

bool CanMove(S from, S to) {
  for (const Edges& edges : kTable) {
    if (edges.from != from) continue;
    for (S s : edges.to) {
      if (s == to) return true;
    }
  }
  return false;
}

absl::Status MoveTo(v1::Execution* e, S to) {
  if (!CanMove(e->status(), to)) {
    return absl::FailedPreconditionError(
        absl::StrCat("execution ", e->id(), " cannot go from ",
                     Name(e->status()), " to ", Name(to)));
  }
  e->set_status(to);
  return absl::OkStatus();
}

absl::Status FinishExecution(v1::Execution* e, S to, absl::string_view reason,
                             absl::Time at) {
  if (!IsTerminal(to)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "execution ", e->id(), ": ", Name(to), " is not an outcome"));
  }
  if (absl::Status s = MoveTo(e, to); !s.ok()) return s;
  e->set_reason(std::string(reason));
  *e->mutable_finished_at() = ToProtoTimestamp(at);
  e->clear_lease_expires_at();
  return absl::OkStatus();
}

absl::Status CancelExecution(v1::Execution* e, absl::string_view reason,
                             absl::Time at) {
  return FinishExecution(e, kCanceled, reason, at);
}

SkipCause SkipCauseOf(const v1::Execution& e) {
  if (absl::StartsWith(e.reason(), kStartDeadlineReason)) {
    return SkipCause::kStartDeadline;
  }
  if (absl::StrContains(e.reason(), "concurrency")) {
    return SkipCause::kConcurrency;
  }
  if (absl::StrContains(e.reason(), "max_executions")) {
    return SkipCause::kCompleted;
  }
  return SkipCause::kMisfire;
}

void SetStartBy(const v1::Policy& policy, absl::Time from, v1::Execution* e) {
  if (policy.has_start_deadline()) {
    *e->mutable_start_by() =
        ToProtoTimestamp(from + FromProto(policy.start_deadline()));
  } else {
    e->clear_start_by();
  }
}

}  // namespace ap
