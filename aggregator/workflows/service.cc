#include "aggregator/workflows/service.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "aggregator/workflows/examine.h"
#include "common/log/log.h"
#include "common/proto_time.h"
#include "common/status.h"

namespace ap {
namespace {

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;
// A filtered page stops scanning after this many records per result slot,
// returning a shorter page with a token to go on.
constexpr int kScanFactor = 10;
constexpr char kTokenMagic[] = "ap1:";

std::string EncodeToken(absl::string_view last_id) {
  std::string out;
  absl::WebSafeBase64Escape(absl::StrCat(kTokenMagic, last_id), &out);
  return out;
}

absl::StatusOr<std::string> DecodeToken(absl::string_view token) {
  if (token.empty()) return std::string();
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) ||
      !absl::StartsWith(raw, kTokenMagic) ||
      raw.find('/') != std::string::npos) {
    return absl::InvalidArgumentError(
        "page_token: not a token from a previous page of this list");
  }
  return raw.substr(sizeof(kTokenMagic) - 1);
}

absl::StatusOr<int> PageSize(int requested) {
  if (requested < 0 || requested > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: must be between 0 and ", kMaxPageSize));
  }
  return requested == 0 ? kDefaultPageSize : requested;
}

bool MatchesFilters(const v1::Workflow& w, const v1::ListWorkflowsRequest& r) {
  if (!absl::StartsWith(w.name(), r.name_prefix())) return false;
  for (const auto& [key, value] : r.labels()) {
    auto it = w.labels().find(key);
    if (it == w.labels().end() || it->second != value) return false;
  }
  return true;
}

absl::Status NotFound(absl::string_view what, absl::string_view id) {
  return absl::NotFoundError(absl::StrCat(what, " ", id, " not found"));
}

}  // namespace

WorkflowService::WorkflowService(WorkflowStore* store, Scheduler* scheduler,
                                 FiringEngine* engine, Clock* clock,
                                 ServiceOptions options, Hooks hooks)
    : store_(store),
      scheduler_(scheduler),
      engine_(engine),
      clock_(clock),
      options_(std::move(options)),
      hooks_(std::move(hooks)),
      ids_(clock) {}

void WorkflowService::Changed() {
  if (hooks_.on_change) hooks_.on_change();
}

absl::StatusOr<v1::Workflow> WorkflowService::Owned(const Caller& caller,
                                                    absl::string_view id) {
  if (id.empty()) return absl::InvalidArgumentError("id: required");
  AP_ASSIGN_OR_RETURN(std::optional<v1::Workflow> w, store_->GetWorkflow(id));
  // Another owner's workflow is reported exactly like a missing one.
  if (!w || w->owner() != caller.owner) return NotFound("workflow", id);
  return *std::move(w);
}

absl::Status WorkflowService::Save(const v1::Workflow& before,
                                   const v1::Workflow& after) {
  WorkflowBatch batch;
  batch.PutWorkflow(&before, after);
  return store_->Write(batch);
}

absl::StatusOr<v1::Workflow> WorkflowService::CreateUnderLock(
    const Caller& caller, v1::Workflow w) {
  AP_RETURN_IF_ERROR(RequireWriter(caller));
  AP_RETURN_IF_ERROR(ValidateWorkflow(w, options_.limits));
  ApplyDefaults(&w);
  const absl::Time now = clock_->TimeNow();
  w.set_id(ids_.Next());
  w.set_owner(caller.owner);
  w.set_status(v1::WORKFLOW_STATUS_ACTIVE);
  w.clear_completion_reason();
  w.set_execution_count(0);
  w.set_version(1);
  w.clear_last_fired_at();
  w.clear_next_fire_at();
  *w.mutable_created_at() = ToProtoTimestamp(now);
  *w.mutable_updated_at() = ToProtoTimestamp(now);
  AP_ASSIGN_OR_RETURN(ap::Trigger trigger, Trigger::FromWorkflow(w, now));
  const std::optional<absl::Time> next = trigger.Next(now);
  if (!next && !w.trigger().has_manual()) {
    return absl::InvalidArgumentError(
        "trigger: no fire time is left (every fixed time, or expire_at, is "
        "in the past)");
  }
  if (next) *w.mutable_next_fire_at() = ToProtoTimestamp(*next);

  FairMutexLock l(store_->write_mutex());
  AP_RETURN_IF_ERROR(CheckOwner(caller.owner, w.name(), /*except_id=*/"",
                                /*count_quota=*/true));
  WorkflowBatch batch;
  batch.PutWorkflow(nullptr, w);
  AP_RETURN_IF_ERROR(store_->Write(batch));
  scheduler_->Upsert(w.id(), std::move(trigger), now);
  LogEvent(spdlog::level::info, "workflow_created",
           {{"workflow", w.id()}, {"owner", w.owner()}, {"name", w.name()}});
  return w;
}

// The public changes run the change hook after the write lock is released:
// the hook may dispatch, which takes the dispatcher's lock and then this
// lock again.
absl::StatusOr<v1::Workflow> WorkflowService::Create(const Caller& caller,
                                                     v1::Workflow workflow) {
  absl::StatusOr<v1::Workflow> out =
      CreateUnderLock(caller, std::move(workflow));
  if (out.ok()) Changed();
  return out;
}

absl::StatusOr<v1::Workflow> WorkflowService::Pause(const Caller& caller,
                                                    absl::string_view id) {
  std::vector<v1::Execution> canceled;
  absl::StatusOr<v1::Workflow> out = PauseUnderLock(caller, id, &canceled);
  if (!canceled.empty() && hooks_.on_canceled) hooks_.on_canceled(canceled);
  if (out.ok()) Changed();
  return out;
}

absl::StatusOr<v1::Workflow> WorkflowService::Resume(const Caller& caller,
                                                     absl::string_view id) {
  absl::StatusOr<v1::Workflow> out = ResumeUnderLock(caller, id);
  if (out.ok()) Changed();
  return out;
}

absl::Status WorkflowService::Delete(const Caller& caller,
                                     absl::string_view id) {
  absl::StatusOr<std::vector<v1::Execution>> stopped =
      DeleteUnderLock(caller, id);
  if (!stopped.ok()) return stopped.status();
  // What ran is stopped, as cancel does: its records are gone, and an
  // outcome reported later would only be answered STALE.
  if (!stopped->empty() && hooks_.on_canceled) hooks_.on_canceled(*stopped);
  Changed();
  return absl::OkStatus();
}

absl::StatusOr<v1::Workflow> WorkflowService::Get(const Caller& caller,
                                                  absl::string_view id) {
  return Owned(caller, id);
}

absl::StatusOr<v1::ListWorkflowsResponse> WorkflowService::List(
    const Caller& caller, const v1::ListWorkflowsRequest& r) {
  AP_ASSIGN_OR_RETURN(const int page_size, PageSize(r.page_size()));
  AP_ASSIGN_OR_RETURN(const std::string after_id, DecodeToken(r.page_token()));
  if (!v1::WorkflowStatus_IsValid(r.status())) {
    return absl::InvalidArgumentError("status: not a known workflow status");
  }
  v1::ListWorkflowsResponse out;
  int scanned = 0;
  std::string last_id;
  absl::Status error;
  AP_RETURN_IF_ERROR(store_->ScanOwnerWorkflowIds(
      caller.owner, r.status(), after_id, [&](absl::string_view id) {
        last_id = std::string(id);
        absl::StatusOr<std::optional<v1::Workflow>> w =
            store_->GetWorkflow(last_id);
        if (!w.ok()) {
          error = w.status();
          return false;
        }
        if (w->has_value() && MatchesFilters(**w, r)) {
          *out.add_workflows() = **w;
        }
        return out.workflows_size() < page_size &&
               ++scanned < page_size * kScanFactor;
      }));
  AP_RETURN_IF_ERROR(error);
  if (out.workflows_size() == page_size || scanned >= page_size * kScanFactor) {
    out.set_next_page_token(EncodeToken(last_id));
  }
  return out;
}

absl::StatusOr<v1::Workflow> WorkflowService::PauseUnderLock(
    const Caller& caller, absl::string_view id,
    std::vector<v1::Execution>* canceled) {
  AP_RETURN_IF_ERROR(RequireWriter(caller));
  FairMutexLock l(store_->write_mutex());
  AP_ASSIGN_OR_RETURN(v1::Workflow before, Owned(caller, id));
  if (before.status() == v1::WORKFLOW_STATUS_ACTIVE) {
    // Fires due before the pause and held back (the queue was full) are
    // owed: recorded now, as if the fire loop had taken them in time.
    FireReport held;
    AP_RETURN_IF_ERROR(engine_->FireHeld(before.id(), &held));
    *canceled = std::move(held.canceled);  // written: tell their operators
    AP_ASSIGN_OR_RETURN(before, Owned(caller, id));
  }
  if (before.status() == v1::WORKFLOW_STATUS_PAUSED) return before;
  if (before.status() != v1::WORKFLOW_STATUS_ACTIVE) {
    return absl::FailedPreconditionError(absl::StrCat(
        "workflow ", id, " is ", v1::WorkflowStatus_Name(before.status()),
        "; only an active workflow can be paused"));
  }
  v1::Workflow after = before;
  after.set_status(v1::WORKFLOW_STATUS_PAUSED);
  after.clear_next_fire_at();
  *after.mutable_updated_at() = ToProtoTimestamp(clock_->TimeNow());
  AP_RETURN_IF_ERROR(Save(before, after));
  scheduler_->Pause(after.id());
  LogEvent(spdlog::level::info, "workflow_paused", {{"workflow", after.id()}});
  return after;
}

absl::StatusOr<v1::Workflow> WorkflowService::ResumeUnderLock(
    const Caller& caller, absl::string_view id) {
  AP_RETURN_IF_ERROR(RequireWriter(caller));
  FairMutexLock l(store_->write_mutex());
  AP_ASSIGN_OR_RETURN(const v1::Workflow before, Owned(caller, id));
  if (before.status() == v1::WORKFLOW_STATUS_ACTIVE) return before;
  if (before.status() != v1::WORKFLOW_STATUS_PAUSED) {
    return absl::FailedPreconditionError(absl::StrCat(
        "workflow ", id, " is ", v1::WorkflowStatus_Name(before.status()),
        "; only a paused workflow can be resumed"));
  }
  const absl::Time now = clock_->TimeNow();
  AP_ASSIGN_OR_RETURN(
      ap::Trigger trigger,
      Trigger::FromWorkflow(before, FromProto(before.created_at())));
  v1::Workflow after = before;
  // Fires that fell while paused are not run: the next one after now.
  const std::optional<absl::Time> next = trigger.Next(now);
  after.set_status(v1::WORKFLOW_STATUS_ACTIVE);
  if (next) {
    *after.mutable_next_fire_at() = ToProtoTimestamp(*next);
  } else if (!after.trigger().has_manual()) {
    after.set_status(v1::WORKFLOW_STATUS_COMPLETED);
    after.set_completion_reason(after.has_expire_at()
                                    ? v1::COMPLETION_REASON_EXPIRED
                                    : v1::COMPLETION_REASON_NO_MORE_FIRES);
  }
  *after.mutable_updated_at() = ToProtoTimestamp(now);
  AP_RETURN_IF_ERROR(Save(before, after));
  if (after.status() == v1::WORKFLOW_STATUS_ACTIVE) {
    scheduler_->Resume(after.id(), now);
  } else {
    scheduler_->Remove(after.id());
  }
  LogEvent(spdlog::level::info, "workflow_resumed", {{"workflow", after.id()}});
  return after;
}

absl::StatusOr<v1::Workflow> WorkflowService::Cancel(const Caller& caller,
                                                     absl::string_view id,
                                                     absl::string_view reason) {
  AP_RETURN_IF_ERROR(RequireWriter(caller));
  if (reason.size() > 1024) {
    return absl::InvalidArgumentError("reason: longer than 1024 bytes");
  }
  std::vector<v1::Execution> canceled;
  v1::Workflow after;
  {
    FairMutexLock l(store_->write_mutex());
    AP_ASSIGN_OR_RETURN(const v1::Workflow before, Owned(caller, id));
    if (before.status() == v1::WORKFLOW_STATUS_CANCELED) return before;
    if (before.status() == v1::WORKFLOW_STATUS_COMPLETED) {
      return absl::FailedPreconditionError(
          absl::StrCat("workflow ", id, " has completed already"));
    }
    const absl::Time now = clock_->TimeNow();
    AP_ASSIGN_OR_RETURN(std::vector<v1::Execution> open,
                        store_->OpenExecutions(before.id()));
    WorkflowBatch batch;
    for (const v1::Execution& e : open) {
      v1::Execution c = e;
      AP_RETURN_IF_ERROR(CancelExecution(
          &c,
          absl::StrCat("workflow canceled", reason.empty() ? "" : ": ", reason),
          now));
      batch.PutExecution(&e, c);
      canceled.push_back(std::move(c));
    }
    after = before;
    after.set_status(v1::WORKFLOW_STATUS_CANCELED);
    after.clear_next_fire_at();
    *after.mutable_updated_at() = ToProtoTimestamp(now);
    batch.PutWorkflow(&before, after);
    AP_RETURN_IF_ERROR(store_->Write(batch));
    scheduler_->Remove(after.id());
  }
  LogEvent(spdlog::level::info, "workflow_canceled",
           {{"workflow", after.id()}, {"open_executions", canceled.size()}});
  if (!canceled.empty() && hooks_.on_canceled) hooks_.on_canceled(canceled);
  Changed();
  return after;
}

absl::StatusOr<std::vector<v1::Execution>> WorkflowService::DeleteUnderLock(
    const Caller& caller, absl::string_view id) {
  AP_RETURN_IF_ERROR(RequireWriter(caller));
  FairMutexLock l(store_->write_mutex());
  AP_ASSIGN_OR_RETURN(const v1::Workflow w, Owned(caller, id));
  AP_ASSIGN_OR_RETURN(std::vector<v1::Execution> open,
                      store_->OpenExecutions(w.id()));
  const absl::Time now = clock_->TimeNow();
  for (v1::Execution& e : open) {
    AP_RETURN_IF_ERROR(CancelExecution(&e, "workflow deleted", now));
  }
  scheduler_->Remove(w.id());
  AP_RETURN_IF_ERROR(store_->Purge(w));
  LogEvent(spdlog::level::info, "workflow_deleted",
           {{"workflow", w.id()}, {"open_executions", open.size()}});
  return open;
}

absl::StatusOr<v1::Execution> WorkflowService::Trigger(const Caller& caller,
                                                       absl::string_view id) {
  AP_RETURN_IF_ERROR(RequireWriter(caller));
  AP_RETURN_IF_ERROR(Owned(caller, id).status());
  FireReport report;
  AP_ASSIGN_OR_RETURN(v1::Execution e, engine_->FireNow(id, &report));
  LogEvent(spdlog::level::info, "workflow_triggered",
           {{"workflow", e.workflow_id()},
            {"execution", e.id()},
            {"status", v1::ExecutionStatus_Name(e.status())}});
  if (!report.canceled.empty() && hooks_.on_canceled) {
    hooks_.on_canceled(report.canceled);
  }
  Changed();
  return e;
}

absl::StatusOr<v1::BackfillWorkflowResponse> WorkflowService::Backfill(
    const Caller& caller, const v1::BackfillWorkflowRequest& r) {
  AP_RETURN_IF_ERROR(RequireWriter(caller));
  if (!r.has_from()) return absl::InvalidArgumentError("from: required");
  if (!r.has_to()) return absl::InvalidArgumentError("to: required");
  AP_RETURN_IF_ERROR(ValidateTimestamp("from", r.from()));
  AP_RETURN_IF_ERROR(ValidateTimestamp("to", r.to()));
  const absl::Time from = FromProto(r.from());
  const absl::Time to = FromProto(r.to());
  const absl::Time now = clock_->TimeNow();
  if (to < from) return absl::InvalidArgumentError("to: must not be before from");
  if (to > now) {
    return absl::InvalidArgumentError(absl::StrCat(
        "to: ", absl::FormatTime(absl::RFC3339_full, to, absl::UTCTimeZone()),
        " is in the future; a backfill records past fires only"));
  }
  AP_RETURN_IF_ERROR(Owned(caller, r.id()).status());
  FireReport report;
  AP_ASSIGN_OR_RETURN(
      FiringEngine::Backfilled done,
      engine_->Backfill(r.id(), from, to, r.dry_run(), &report));
  v1::BackfillWorkflowResponse out;
  for (v1::Execution& e : done.recorded) *out.add_recorded() = std::move(e);
  for (std::string& id : done.existing) {
    out.add_existing_execution_ids(std::move(id));
  }
  LogEvent(spdlog::level::info, "workflow_backfilled",
           {{"workflow", r.id()},
            {"recorded", out.recorded_size()},
            {"existing", out.existing_execution_ids_size()},
            {"dry_run", r.dry_run()}});
  if (!r.dry_run()) Changed();
  return out;
}

absl::StatusOr<v1::ListExecutionsResponse> WorkflowService::ListExecutions(
    const Caller& caller, const v1::ListExecutionsRequest& r) {
  AP_ASSIGN_OR_RETURN(const int page_size, PageSize(r.page_size()));
  AP_ASSIGN_OR_RETURN(const std::string before_id, DecodeToken(r.page_token()));
  if (!v1::ExecutionStatus_IsValid(r.status())) {
    return absl::InvalidArgumentError("status: not a known execution status");
  }
  AP_RETURN_IF_ERROR(Owned(caller, r.workflow_id()).status());
  v1::ListExecutionsResponse out;
  int scanned = 0;
  std::string last_id;
  AP_RETURN_IF_ERROR(store_->ScanExecutionsNewestFirst(
      r.workflow_id(), before_id, [&](v1::Execution&& e) {
        last_id = e.id();
        if (r.status() == v1::EXECUTION_STATUS_UNSPECIFIED ||
            e.status() == r.status()) {
          *out.add_executions() = std::move(e);
        }
        return out.executions_size() < page_size &&
               ++scanned < page_size * kScanFactor;
      }));
  if (out.executions_size() == page_size ||
      scanned >= page_size * kScanFactor) {
    out.set_next_page_token(EncodeToken(last_id));
  }
  return out;
}

absl::StatusOr<v1::Execution> WorkflowService::GetExecution(
    const Caller& caller, absl::string_view id) {
  if (id.empty()) return absl::InvalidArgumentError("id: required");
  AP_ASSIGN_OR_RETURN(std::optional<v1::Execution> e, store_->GetExecution(id));
  if (!e) return NotFound("execution", id);
  // Scoped through its workflow's owner.
  AP_ASSIGN_OR_RETURN(std::optional<v1::Workflow> w,
                      store_->GetWorkflow(e->workflow_id()));
  if (!w || w->owner() != caller.owner) return NotFound("execution", id);
  return *std::move(e);
}

absl::StatusOr<v1::ListNotificationsResponse>
WorkflowService::ListNotifications(const Caller& caller,
                                   absl::string_view workflow_id) {
  AP_ASSIGN_OR_RETURN(const v1::Workflow w, Owned(caller, workflow_id));
  v1::ListNotificationsResponse out;
  AP_RETURN_IF_ERROR(store_->ForEachNotification(
      [&](store::v1::NotificationRecord&& n) {
        v1::PendingNotification* p = out.add_notifications();
        p->set_id(n.id());
        p->set_target_id(n.target_id());
        p->set_event(n.event());
        *p->mutable_created_at() = n.created_at();
        p->set_attempts(n.attempts());
        p->set_last_error(n.last_error());
        if (n.has_next_attempt_at()) {
          *p->mutable_next_attempt_at() = n.next_attempt_at();
        }
        return true;
      },
      w.id()));
  std::sort(out.mutable_notifications()->begin(),
            out.mutable_notifications()->end(),
            [](const v1::PendingNotification& a,
               const v1::PendingNotification& b) {
              return FromProto(a.created_at()) < FromProto(b.created_at());
            });
  return out;
}

absl::StatusOr<v1::ExamineWorkflowResponse> WorkflowService::Examine(
    const Caller& caller, const v1::ExamineWorkflowRequest& r) {
  AP_ASSIGN_OR_RETURN(const v1::Workflow w, Owned(caller, r.id()));
  const absl::Time now = clock_->TimeNow();
  absl::Time until = now;
  if (r.has_until()) {
    AP_RETURN_IF_ERROR(ValidateTimestamp("until", r.until()));
    until = FromProto(r.until());
  }
  absl::Time since = until - absl::Hours(24);
  if (r.has_since()) {
    AP_RETURN_IF_ERROR(ValidateTimestamp("since", r.since()));
    since = FromProto(r.since());
  }
  return ExamineWorkflow(store_, w, since, until, now);
}

}  // namespace ap
