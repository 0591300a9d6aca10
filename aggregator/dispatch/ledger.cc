#include "aggregator/dispatch/ledger.h"

#include "absl/strings/str_cat.h"
#include "aggregator/store/keys.h"
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

}  // namespace

absl::StatusOr<v1::Execution> ExecutionLedger::Assign(
    absl::string_view execution_id, absl::string_view operator_id) {
  AP_ASSIGN_OR_RETURN(
      std::vector<v1::Execution> done,
      AssignMany({{std::string(execution_id), std::string(operator_id)}}));
  if (!done.empty()) return done.front();
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

absl::StatusOr<std::vector<v1::Execution>> ExecutionLedger::AssignMany(
    const std::vector<std::pair<std::string, std::string>>& assignments) {
  absl::MutexLock l(store_->write_mutex());
  const absl::Time now = clock_->TimeNow();
  WorkflowBatch batch;
  std::vector<v1::Execution> done;
  for (const auto& [execution_id, operator_id] : assignments) {
    AP_ASSIGN_OR_RETURN(std::optional<v1::Execution> before,
                        store_->GetExecution(execution_id));
    if (!before || before->status() != v1::EXECUTION_STATUS_PENDING) continue;
    AP_ASSIGN_OR_RETURN(std::optional<v1::Workflow> w,
                        store_->GetWorkflow(before->workflow_id()));
    const absl::Duration timeout =
        w ? FromProto(w->policy().execution_timeout()) : absl::Hours(1);
    v1::Execution after = *before;
    after.set_status(v1::EXECUTION_STATUS_DISPATCHED);
    after.set_operator_id(operator_id);
    *after.mutable_dispatched_at() = ToProtoTimestamp(now);
    *after.mutable_lease_expires_at() =
        ToProtoTimestamp(now + timeout + options_.lease_grace);
    batch.PutExecution(&*before, after);
    done.push_back(std::move(after));
  }
  AP_RETURN_IF_ERROR(store_->Write(batch));
  return done;
}

absl::Status ExecutionLedger::Unassign(absl::string_view execution_id,
                                       absl::string_view operator_id) {
  absl::MutexLock l(store_->write_mutex());
  AP_ASSIGN_OR_RETURN(std::optional<v1::Execution> before,
                      store_->GetExecution(execution_id));
  if (!before || before->status() != v1::EXECUTION_STATUS_DISPATCHED ||
      before->operator_id() != operator_id) {
    return absl::FailedPreconditionError(absl::StrCat(
        "execution ", execution_id, " is not dispatched to ", operator_id));
  }
  v1::Execution after = *before;
  after.set_status(v1::EXECUTION_STATUS_PENDING);
  after.clear_operator_id();
  after.clear_dispatched_at();
  after.clear_lease_expires_at();
  WorkflowBatch batch;
  batch.PutExecution(&*before, after);
  return store_->Write(batch);
}

absl::StatusOr<v1::ReportResponse> ExecutionLedger::Report(
    absl::string_view operator_id, const v1::ReportRequest& r) {
  const v1::ExecutionStatus status = r.status();
  if (status != v1::EXECUTION_STATUS_RUNNING && !IsTerminal(status)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "status: an operator reports RUNNING, SUCCEEDED, FAILED, TIMED_OUT or "
        "CANCELED, not ",
        v1::ExecutionStatus_IsValid(status) ? v1::ExecutionStatus_Name(status)
                                            : absl::StrCat(status)));
  }
  absl::MutexLock l(store_->write_mutex());
  AP_ASSIGN_OR_RETURN(std::optional<v1::Execution> before,
                      store_->GetExecution(r.execution_id()));
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
  if (status == v1::EXECUTION_STATUS_RUNNING &&
      before->status() == v1::EXECUTION_STATUS_RUNNING) {
    return Answer(v1::REPORT_RESULT_DUPLICATE, "already RUNNING");
  }
  const absl::Time now = clock_->TimeNow();
  v1::Execution after = *before;
  after.set_status(status);
  if (r.has_started_at()) {
    AP_RETURN_IF_ERROR(ValidateTimestamp("started_at", r.started_at()));
    *after.mutable_started_at() = r.started_at();
  } else if (!after.has_started_at()) {
    *after.mutable_started_at() = ToProtoTimestamp(now);
  }
  if (IsTerminal(status)) {
    *after.mutable_step_results() = r.step_results();
    TruncateOutputs(options_.max_output_bytes, &after);
    after.set_reason(r.reason().substr(0, 4096));
    *after.mutable_finished_at() =
        r.has_finished_at() ? r.finished_at() : ToProtoTimestamp(now);
    after.clear_lease_expires_at();
  }
  WorkflowBatch batch;
  batch.PutExecution(&*before, after);
  AP_RETURN_IF_ERROR(store_->Write(batch));
  if (IsTerminal(status)) {
    {
      absl::MutexLock r(&recent_mu_);
      recent_.push_front(after);
      if (recent_.size() > kRecent) recent_.pop_back();
    }
    LogEvent(spdlog::level::info, "execution_finished",
             {{"execution", after.id()},
              {"workflow", after.workflow_id()},
              {"operator", operator_id},
              {"attempt", after.attempt()},
              {"status", v1::ExecutionStatus_Name(status)}});
  }
  return Answer(v1::REPORT_RESULT_ACCEPTED, "recorded");
}

absl::StatusOr<std::vector<v1::Execution>> ExecutionLedger::ExpireLeases() {
  absl::MutexLock l(store_->write_mutex());
  const absl::Time now = clock_->TimeNow();
  // open/<workflow>/<execution> lists every unfinished execution.
  std::vector<std::string> ids;
  AP_RETURN_IF_ERROR(store_->raw()->Scan(
      "open/", "", [&](absl::string_view key, absl::string_view) {
        ids.emplace_back(keys::LastComponent(key));
        return true;
      }));
  std::vector<v1::Execution> changed;
  WorkflowBatch batch;
  for (const std::string& id : ids) {
    AP_ASSIGN_OR_RETURN(std::optional<v1::Execution> e,
                        store_->GetExecution(id));
    if (!e || !e->has_lease_expires_at() ||
        (e->status() != v1::EXECUTION_STATUS_DISPATCHED &&
         e->status() != v1::EXECUTION_STATUS_RUNNING) ||
        FromProto(e->lease_expires_at()) > now) {
      continue;
    }
    AP_ASSIGN_OR_RETURN(std::optional<v1::Workflow> w,
                        store_->GetWorkflow(e->workflow_id()));
    const int max_attempts =
        w ? std::max(1, w->policy().retry().max_attempts()) : 1;
    v1::Execution after = *e;
    after.clear_lease_expires_at();
    const std::string why =
        absl::StrCat("lease expired on operator ", e->operator_id(),
                     " (attempt ", e->attempt(), ")");
    if (e->attempt() < max_attempts) {
      after.set_status(v1::EXECUTION_STATUS_PENDING);
      after.set_attempt(e->attempt() + 1);
      after.clear_operator_id();
      after.clear_dispatched_at();
      after.clear_started_at();
      after.set_reason(why);
    } else {
      after.set_status(v1::EXECUTION_STATUS_FAILED);
      after.set_reason(absl::StrCat(why, "; retry policy spent (max_attempts ",
                                    max_attempts, ")"));
      *after.mutable_finished_at() = ToProtoTimestamp(now);
    }
    LogEvent(spdlog::level::warn, "lease_expired",
             {{"execution", id},
              {"operator", e->operator_id()},
              {"attempt", e->attempt()},
              {"now", v1::ExecutionStatus_Name(after.status())}});
    batch.PutExecution(&*e, after);
    changed.push_back(std::move(after));
  }
  AP_RETURN_IF_ERROR(store_->Write(batch));
  return changed;
}

absl::StatusOr<std::vector<std::string>> ExecutionLedger::Pending(size_t max) {
  std::vector<std::string> ids;
  AP_RETURN_IF_ERROR(store_->raw()->Scan(
      keys::kPendingPrefix, "", [&](absl::string_view key, absl::string_view) {
        ids.emplace_back(keys::LastComponent(key));
        return ids.size() < max;
      }));
  return ids;
}

std::vector<v1::Execution> ExecutionLedger::Recent() const {
  absl::MutexLock l(&recent_mu_);
  return {recent_.begin(), recent_.end()};
}

}  // namespace ap
