#include "aggregator/dispatch/ledger.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/log/log.h"
#include "common/proto_time.h"
#include "common/status.h"

namespace ap {
namespace {

v1::ReportResponse Answer(v1::ReportResult result, std::string detail) {
  v1::ReportResponse r;
  r.set_result(result);
  r.set_detail(std::move(detail));
  return r;
}

// Cuts each step's output to `max` bytes (on a UTF-8 boundary).
void TruncateOutputs(size_t max, v1::Execution* e) {
  for (v1::StepResult& step : *e->mutable_step_results()) {
    std::string* out = step.mutable_output();
    if (out->size() <= max) continue;
    size_t cut = max;
    while (cut > 0 &&
           (static_cast<unsigned char>((*out)[cut]) & 0xC0) == 0x80) {
      --cut;  // do not split a multi-byte character
    }
    out->resize(cut);
    step.set_output_truncated(true);
  }
}

// The delay before attempt `next` (2, 3, ...): initial_backoff, doubling
// per attempt, capped at max_backoff.
absl::Duration RetryDelay(const v1::RetryPolicy& policy, int next) {
  const absl::Duration cap = FromProto(policy.max_backoff());
  absl::Duration delay = FromProto(policy.initial_backoff());
  for (int i = 2; i < next && delay < cap; ++i) delay *= 2;
  return std::min(delay, cap);
}

// Makes `e` (DISPATCHED or RUNNING) the workflow's next attempt: PENDING,
// not dispatched before the backoff has passed. Keeps e's step results (the
// attempt that failed), so they can be read until the retry reports.
absl::Status ScheduleRetry(const v1::Policy& policy, absl::Time now,
                           const std::string& why, v1::Execution* e) {
  const int next = e->attempt() + 1;
  const absl::Time at = now + RetryDelay(policy.retry(), next);
  AP_RETURN_IF_ERROR(MoveTo(e, v1::EXECUTION_STATUS_PENDING));
  e->set_attempt(next);
  e->clear_operator_id();
  e->clear_dispatched_at();
  e->clear_started_at();
  e->clear_finished_at();
  e->clear_lease_expires_at();
  *e->mutable_not_before() = ToProtoTimestamp(at);
  SetStartBy(policy, at, e);
  e->set_reason(absl::StrCat(
      why, "; attempt ", next, " at ",
      absl::FormatTime(absl::RFC3339_sec, at, absl::UTCTimeZone())));
  return absl::OkStatus();
}

// The result of a report until its batch sets one (never seen by callers).
absl::Status NotCommitted() {
  return absl::InternalError("report not committed");
}

// What can be checked without the store.
absl::Status ValidateReport(const v1::ReportRequest& r) {
  const v1::ExecutionStatus status = r.status();
  if (status != v1::EXECUTION_STATUS_RUNNING && !IsTerminal(status)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "status: an operator reports RUNNING, SUCCEEDED, FAILED, TIMED_OUT or "
        "CANCELED, not ",
        v1::ExecutionStatus_IsValid(status) ? v1::ExecutionStatus_Name(status)
                                            : absl::StrCat(status)));
  }
  if (r.has_started_at()) {
    AP_RETURN_IF_ERROR(ValidateTimestamp("started_at", r.started_at()));
  }
  return absl::OkStatus();
}

// What a report does to `before` (nullopt: the execution is gone). On
// ACCEPTED, `after` is the new state to store.
absl::StatusOr<v1::ReportResponse> DecideReport(
    const std::optional<v1::Execution>& before, absl::string_view operator_id,
    const v1::ReportRequest& r, absl::Time now, size_t max_output_bytes,
    v1::Execution* after) {
  if (!before) {
    return Answer(v1::REPORT_RESULT_STALE, "no such execution (deleted?)");
  }
  if (r.attempt() > before->attempt()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "attempt: ", r.attempt(), " was never assigned (latest is ",
        before->attempt(), ")"));
  }
  if (r.attempt() < before->attempt()) {
    return Answer(v1::REPORT_RESULT_STALE,
                  absl::StrCat("attempt ", r.attempt(), " was superseded by ",
                               before->attempt()));
  }
  if (IsTerminal(before->status())) {
    return Answer(v1::REPORT_RESULT_DUPLICATE,
                  absl::StrCat("already recorded as ",
                               v1::ExecutionStatus_Name(before->status())));
  }
  if (before->operator_id() != operator_id) {
    return Answer(
        v1::REPORT_RESULT_STALE,
        absl::StrCat("attempt ", r.attempt(), " belongs to ",
                     before->operator_id().empty() ? std::string("no operator")
                                                   : before->operator_id()));
  }
  const v1::ExecutionStatus status = r.status();
  if (status == v1::EXECUTION_STATUS_RUNNING &&
      before->status() == v1::EXECUTION_STATUS_RUNNING) {
    return Answer(v1::REPORT_RESULT_DUPLICATE, "already RUNNING");
  }
  *after = *before;
  if (IsTerminal(status)) {
    AP_RETURN_IF_ERROR(FinishExecution(
        after, status, r.reason().substr(0, 4096),
        r.has_finished_at() ? FromProto(r.finished_at()) : now));
    *after->mutable_step_results() = r.step_results();
    TruncateOutputs(max_output_bytes, after);
  } else {
    AP_RETURN_IF_ERROR(MoveTo(after, status));
  }
  if (r.has_started_at()) {
    *after->mutable_started_at() = r.started_at();
  } else if (!after->has_started_at()) {
    *after->mutable_started_at() = ToProtoTimestamp(now);
  }
  return Answer(v1::REPORT_RESULT_ACCEPTED, "recorded");
}

}  // namespace

ExecutionLedger::ExecutionLedger(WorkflowStore* store, Clock* clock,
                                 LedgerOptions options)
    : store_(store),
      clock_(clock),
      options_(options),
      reports_(
          store->write_mutex(),
          [this](std::vector<ReportCommit::Item*>& batch) {
            // GroupCommit runs this with the write mutex held (checked).
            store_->write_mutex()->AssertHeld();
            CommitReportsLocked(batch);
          },
          NotCommitted()) {}

absl::StatusOr<v1::Execution> ExecutionLedger::Assign(
    absl::string_view execution_id, absl::string_view operator_id) {
  AP_ASSIGN_OR_RETURN(
      std::vector<Assigned> done,
      AssignMany({{std::string(execution_id), std::string(operator_id)}}));
  if (!done.empty()) return std::move(done.front().execution);
  absl::StatusOr<std::optional<v1::Execution>> e =
      store_->GetExecution(execution_id);
  if (!e.ok()) return e.status();
  if (!e->has_value()) {
    return absl::NotFoundError(absl::StrCat("execution ", execution_id));
  }
  return absl::FailedPreconditionError(
      absl::StrCat("execution ", execution_id, " is ",
                   v1::ExecutionStatus_Name((*e)->status()), ", not PENDING"));
}

absl::Status ExecutionLedger::Lease(v1::Execution* e,
                                    const v1::Workflow* workflow,
                                    absl::string_view operator_id,
                                    absl::Time now) const {
  const absl::Duration timeout =
      workflow != nullptr ? FromProto(workflow->policy().execution_timeout())
                          : absl::Hours(1);
  AP_RETURN_IF_ERROR(MoveTo(e, v1::EXECUTION_STATUS_DISPATCHED));
  e->set_operator_id(std::string(operator_id));
  // The Assignment carries this record's steps: say which version they are.
  if (workflow != nullptr) e->set_workflow_version(workflow->version());
  *e->mutable_dispatched_at() = ToProtoTimestamp(now);
  *e->mutable_lease_expires_at() =
      ToProtoTimestamp(now + timeout + options_.lease_grace);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ExecutionLedger::Assigned>>
ExecutionLedger::AssignMany(
    const std::vector<std::pair<std::string, std::string>>& assignments) {
  FairMutexLock l(store_->write_mutex());
  const absl::Time now = clock_->TimeNow();
  WorkflowBatch batch;
  std::vector<Assigned> done;
  for (const auto& [execution_id, operator_id] : assignments) {
    AP_ASSIGN_OR_RETURN(std::optional<v1::Execution> before,
                        store_->GetExecution(execution_id));
    if (!before || before->status() != v1::EXECUTION_STATUS_PENDING) {
      continue;  // changed since the queue was read (canceled, deleted)
    }
    AP_ASSIGN_OR_RETURN(std::shared_ptr<const v1::Workflow> w,
                        store_->FindWorkflow(before->workflow_id()));
    v1::Execution after = *before;
    AP_RETURN_IF_ERROR(Lease(&after, w.get(), operator_id, now));
    batch.PutExecution(&*before, after);
    done.push_back({std::move(after), std::move(w)});
  }
  AP_RETURN_IF_ERROR(store_->Write(batch));
  return done;
}

absl::Status ExecutionLedger::Unassign(absl::string_view execution_id,
                                       absl::string_view operator_id,
                                       std::optional<int> attempt) {
  FairMutexLock l(store_->write_mutex());
  AP_ASSIGN_OR_RETURN(std::optional<v1::Execution> before,
                      store_->GetExecution(execution_id));
  if (!before || before->status() != v1::EXECUTION_STATUS_DISPATCHED ||
      before->operator_id() != operator_id ||
      (attempt && before->attempt() != *attempt)) {
    return absl::FailedPreconditionError(
        absl::StrCat("execution ", execution_id, " is not dispatched to ",
                     operator_id, attempt ? " as that attempt" : ""));
  }
  v1::Execution after = *before;
  AP_RETURN_IF_ERROR(MoveTo(&after, v1::EXECUTION_STATUS_PENDING));
  after.clear_operator_id();
  after.clear_dispatched_at();
  after.clear_lease_expires_at();
  WorkflowBatch batch;
  batch.PutExecution(&*before, after);
  return store_->Write(batch);
}

absl::StatusOr<v1::ReportResponse> ExecutionLedger::HandBack(
    absl::string_view operator_id, absl::string_view execution_id,
    int attempt) {
  absl::Status s = Unassign(execution_id, operator_id, attempt);
  if (s.code() == absl::StatusCode::kFailedPrecondition) {
    return Answer(v1::REPORT_RESULT_STALE, std::string(s.message()));
  }
  AP_RETURN_IF_ERROR(s);
  LogEvent(spdlog::level::info, "execution_handed_back",
           {{"execution", execution_id},
            {"attempt", attempt},
            {"operator", operator_id}});
  return Answer(v1::REPORT_RESULT_ACCEPTED, "handed back; pending again");
}

absl::StatusOr<v1::ReportResponse> ExecutionLedger::Report(
    absl::string_view operator_id, const v1::ReportRequest& r) {
  AP_RETURN_IF_ERROR(ValidateReport(r));
  return reports_.Submit({operator_id, &r});
}

std::vector<absl::StatusOr<v1::ReportResponse>> ExecutionLedger::ReportMany(
    const std::vector<ReportCall>& calls) {
  std::vector<absl::StatusOr<v1::ReportResponse>> results;
  results.reserve(calls.size());
  std::vector<ReportCall> valid;
  std::vector<size_t> valid_at;  // where each valid call's answer goes
  for (const ReportCall& call : calls) {
    const absl::Status checked = ValidateReport(*call.report);
    if (checked.ok()) {
      valid_at.push_back(results.size());
      valid.push_back(call);
    }
    results.push_back(checked.ok() ? NotCommitted() : checked);
  }
  if (valid.empty()) return results;
  std::vector<absl::StatusOr<v1::ReportResponse>> committed =
      reports_.SubmitAll(valid);
  for (size_t i = 0; i < valid_at.size(); ++i) {
    results[valid_at[i]] = std::move(committed[i]);
  }
  return results;
}

void ExecutionLedger::CommitReportsLocked(
    std::vector<ReportCommit::Item*>& batch) {
  const absl::Time now = clock_->TimeNow();
  // The latest state of each execution this batch changed: a later report
  // in the same batch must see it, not the stored one.
  absl::flat_hash_map<std::string, v1::Execution> changed;
  WorkflowBatch writes;
  for (ReportCommit::Item* item : batch) {
    const v1::ReportRequest& r = *item->request->report;
    std::optional<v1::Execution> before;
    if (auto it = changed.find(r.execution_id()); it != changed.end()) {
      before = it->second;
    } else {
      absl::StatusOr<std::optional<v1::Execution>> stored =
          store_->GetExecution(r.execution_id());
      if (!stored.ok()) {
        item->result = stored.status();
        continue;
      }
      before = std::move(*stored);
    }
    v1::Execution after;
    item->result = DecideReport(before, item->request->operator_id, r, now,
                                options_.max_output_bytes, &after);
    if (item->result.ok() &&
        item->result->result() == v1::REPORT_RESULT_ACCEPTED) {
      if (after.status() == v1::EXECUTION_STATUS_FAILED ||
          after.status() == v1::EXECUTION_STATUS_TIMED_OUT) {
        absl::StatusOr<std::optional<v1::Workflow>> w =
            store_->GetWorkflow(after.workflow_id());
        if (!w.ok()) {
          item->result = w.status();
          continue;
        }
        if (*w && after.attempt() < (*w)->policy().retry().max_attempts()) {
          // Not an outcome after all: the attempt that failed becomes the
          // next one, keeping its step results.
          v1::Execution next = *before;
          *next.mutable_step_results() = after.step_results();
          const absl::Status retried = ScheduleRetry(
              (*w)->policy(), now,
              absl::StrCat(
                  "attempt ", after.attempt(), " ",
                  absl::StripPrefix(v1::ExecutionStatus_Name(after.status()),
                                    "EXECUTION_STATUS_"),
                  after.reason().empty() ? "" : ": ", after.reason()),
              &next);
          if (!retried.ok()) {
            item->result = retried;
            continue;
          }
          after = std::move(next);
          item->result->set_detail(
              absl::StrCat("recorded; retry as attempt ", after.attempt()));
        }
      }
      writes.PutExecution(&*before, after);
      changed[after.id()] = std::move(after);
    }
  }
  if (writes.empty()) return;
  if (absl::Status written = store_->Write(writes); !written.ok()) {
    // Nothing of this batch is stored: every answer about an execution it
    // touched (an ACCEPTED, or a DUPLICATE of that ACCEPTED) must fail too,
    // or the operator would drop an outcome nobody recorded.
    for (ReportCommit::Item* item : batch) {
      if (changed.contains(item->request->report->execution_id())) {
        item->result = written;
      }
    }
    return;
  }
  for (ReportCommit::Item* item : batch) {
    const v1::ReportRequest& r = *item->request->report;
    if (!IsTerminal(r.status()) || !item->result.ok() ||
        item->result->result() != v1::REPORT_RESULT_ACCEPTED) {
      continue;
    }
    const v1::Execution& after = changed[r.execution_id()];
    if (!IsTerminal(after.status())) {
      LogEvent(spdlog::level::warn, "execution_retry",
               {{"execution", after.id()},
                {"operator", item->request->operator_id},
                {"attempt", after.attempt()},
                {"reason", after.reason()}});
      continue;
    }
    LogEvent(spdlog::level::info, "execution_finished",
             {{"execution", after.id()},
              {"workflow", after.workflow_id()},
              {"operator", item->request->operator_id},
              {"attempt", after.attempt()},
              {"status", v1::ExecutionStatus_Name(after.status())}});
  }
}

absl::StatusOr<std::vector<v1::Execution>> ExecutionLedger::ChangeEach(
    const std::vector<std::string>& ids, const Change& change) {
  if (ids.empty()) return std::vector<v1::Execution>();
  FairMutexLock l(store_->write_mutex());
  std::vector<v1::Execution> changed;
  WorkflowBatch batch;
  for (const std::string& id : ids) {
    AP_ASSIGN_OR_RETURN(std::optional<v1::Execution> e,
                        store_->GetExecution(id));
    if (!e) continue;  // gone since the ids were read
    AP_ASSIGN_OR_RETURN(std::optional<v1::Execution> after, change(*e));
    if (!after) continue;
    batch.PutExecution(&*e, *after);
    changed.push_back(*std::move(after));
  }
  AP_RETURN_IF_ERROR(store_->Write(batch));
  return changed;
}

absl::StatusOr<std::vector<v1::Execution>> ExecutionLedger::ExpireLeases() {
  const absl::Time now = clock_->TimeNow();
  AP_ASSIGN_OR_RETURN(std::vector<std::string> ids, store_->ExpiredLeases(now));
  return ChangeEach(
      ids, [&](const v1::Execution& e)
               -> absl::StatusOr<std::optional<v1::Execution>> {
        if (!e.has_lease_expires_at() ||
            (e.status() != v1::EXECUTION_STATUS_DISPATCHED &&
             e.status() != v1::EXECUTION_STATUS_RUNNING) ||
            FromProto(e.lease_expires_at()) > now) {
          return std::nullopt;  // reported or canceled since
        }
        AP_ASSIGN_OR_RETURN(std::optional<v1::Workflow> w,
                            store_->GetWorkflow(e.workflow_id()));
        const int max_attempts =
            w ? std::max(1, w->policy().retry().max_attempts()) : 1;
        v1::Execution after = e;
        after.clear_lease_expires_at();
        const std::string why =
            absl::StrCat("lease expired on operator ", e.operator_id(),
                         " (attempt ", e.attempt(), ")");
        AP_RETURN_IF_ERROR(
            e.attempt() < max_attempts
                ? ScheduleRetry(w->policy(), now, why, &after)
                : FinishExecution(
                      &after, v1::EXECUTION_STATUS_FAILED,
                      absl::StrCat(why, "; retry policy spent (max_attempts ",
                                   max_attempts, ")"),
                      now));
        LogEvent(spdlog::level::warn, "lease_expired",
                 {{"execution", e.id()},
                  {"operator", e.operator_id()},
                  {"attempt", e.attempt()},
                  {"now", v1::ExecutionStatus_Name(after.status())}});
        return after;
      });
}

absl::StatusOr<std::vector<v1::Execution>>
ExecutionLedger::ExpireStartDeadlines() {
  const absl::Time now = clock_->TimeNow();
  AP_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                      store_->StartDeadlinesPassed(now));
  return ChangeEach(
      ids, [&](const v1::Execution& e)
               -> absl::StatusOr<std::optional<v1::Execution>> {
        if (e.status() != v1::EXECUTION_STATUS_PENDING || !e.has_start_by() ||
            FromProto(e.start_by()) > now) {
          return std::nullopt;  // dispatched or changed since
        }
        v1::Execution after = e;
        AP_RETURN_IF_ERROR(MoveTo(&after, v1::EXECUTION_STATUS_SKIPPED));
        after.set_reason(absl::StrCat(
            kStartDeadlineReason, "; no operator took attempt ", e.attempt(),
            " by ",
            absl::FormatTime(absl::RFC3339_sec, FromProto(e.start_by()),
                             absl::UTCTimeZone())));
        after.clear_not_before();
        *after.mutable_finished_at() = ToProtoTimestamp(now);
        LogEvent(spdlog::level::warn, "start_deadline_passed",
                 {{"execution", e.id()}, {"attempt", e.attempt()}});
        return after;
      });
}

absl::StatusOr<std::vector<std::string>> ExecutionLedger::Pending(size_t max) {
  return store_->PendingExecutions(max, clock_->TimeNow());
}

absl::StatusOr<bool> ExecutionLedger::AnyPending() {
  return store_->AnyPendingDue(clock_->TimeNow());
}

}  // namespace ap
