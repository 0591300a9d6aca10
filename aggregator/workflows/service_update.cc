// WorkflowService::Update and the owner-wide checks it shares with Create:
// the spec replaced under optimistic concurrency, the timer re-armed
// without losing or doubling a fire around the change.

#include <algorithm>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "aggregator/workflows/service.h"
#include "common/log/log.h"
#include "common/proto_time.h"
#include "common/workflow_spec.h"
#include "common/status.h"
#include "google/protobuf/util/message_differencer.h"

namespace ap {
namespace {

bool HoldsItsName(const v1::Workflow& w) {
  return w.status() == v1::WORKFLOW_STATUS_ACTIVE ||
         w.status() == v1::WORKFLOW_STATUS_PAUSED;
}

bool SameSpec(const v1::Workflow& a, const v1::Workflow& b) {
  v1::Workflow sa, sb;
  CopyWorkflowSpec(a, &sa);
  CopyWorkflowSpec(b, &sb);
  return google::protobuf::util::MessageDifferencer::Equals(sa, sb);
}

}  // namespace

absl::Status WorkflowService::CheckOwner(const std::string& owner,
                                         const std::string& name,
                                         absl::string_view except_id,
                                         bool count_quota) {
  int count = 0;
  std::string taken_by;
  absl::Status read;
  AP_RETURN_IF_ERROR(store_->ScanOwnerWorkflowIds(
      owner, v1::WORKFLOW_STATUS_UNSPECIFIED, "", [&](absl::string_view id) {
        ++count;
        if (id == except_id) return true;
        absl::StatusOr<std::shared_ptr<const v1::Workflow>> w =
            store_->FindWorkflow(id);
        if (!w.ok()) {
          read = w.status();
          return false;
        }
        if (*w != nullptr && (*w)->name() == name && HoldsItsName(**w)) {
          taken_by = std::string(id);
          return false;
        }
        return true;
      }));
  AP_RETURN_IF_ERROR(read);
  if (!taken_by.empty()) {
    return absl::AlreadyExistsError(absl::StrCat(
        "name: workflow ", taken_by, " is already named \"", name,
        "\"; names are unique among your active and paused workflows (update "
        "it with `apctl apply`, or choose another name)"));
  }
  if (count_quota && count >= options_.max_workflows_per_owner) {
    return absl::ResourceExhaustedError(
        absl::StrCat("owner ", owner, " has ", options_.max_workflows_per_owner,
                     " workflows, the limit; delete some first"));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Workflow> WorkflowService::Update(
    const Caller& caller, const v1::UpdateWorkflowRequest& request) {
  absl::StatusOr<v1::Workflow> out = UpdateUnderLock(caller, request);
  if (out.ok() && !request.validate_only()) Changed();
  return out;
}

absl::StatusOr<v1::Workflow> WorkflowService::UpdateUnderLock(
    const Caller& caller, const v1::UpdateWorkflowRequest& request) {
  AP_RETURN_IF_ERROR(RequireWriter(caller));
  v1::Workflow spec = request.workflow();
  if (spec.id().empty()) return absl::InvalidArgumentError("id: required");
  if (request.expected_version() < 0) {
    return absl::InvalidArgumentError("expected_version: must not be negative");
  }
  AP_RETURN_IF_ERROR(ValidateWorkflow(spec, options_.limits));
  ApplyDefaults(&spec);

  FairMutexLock l(store_->write_mutex());
  AP_ASSIGN_OR_RETURN(const v1::Workflow before, Owned(caller, spec.id()));
  if (request.expected_version() != 0 &&
      request.expected_version() != before.version()) {
    return absl::AbortedError(absl::StrCat(
        "workflow ", before.id(), " is at version ", before.version(),
        ", not ", request.expected_version(),
        ": it changed since you read it; read it again and retry"));
  }
  if (!HoldsItsName(before)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "workflow ", before.id(), " is ",
        v1::WorkflowStatus_Name(before.status()),
        "; only an active or paused workflow can be updated (create a new "
        "one)"));
  }
  if (SameSpec(before, spec)) return before;  // nothing to change
  if (spec.name() != before.name()) {
    AP_RETURN_IF_ERROR(CheckOwner(caller.owner, spec.name(), before.id(),
                                  /*count_quota=*/false));
  }
  v1::Workflow after = before;
  CopyWorkflowSpec(spec, &after);
  const absl::Time now = clock_->TimeNow();
  AP_ASSIGN_OR_RETURN(
      ap::Trigger trigger,
      Trigger::FromWorkflow(after, FromProto(after.created_at())));
  std::optional<absl::Time> next;
  if (after.max_executions() > 0 &&
      after.execution_count() >= after.max_executions()) {
    // Lowered to what has run already: nothing more will.
    after.set_status(v1::WORKFLOW_STATUS_COMPLETED);
    after.set_completion_reason(v1::COMPLETION_REASON_MAX_EXECUTIONS);
  } else if (after.status() == v1::WORKFLOW_STATUS_ACTIVE &&
             !after.trigger().has_manual()) {
    // A fire due before the change (the fire loop has not taken it yet)
    // keeps its time: the change must not lose it. Later fires follow the
    // new trigger, strictly after what already fired: none is doubled.
    if (before.has_next_fire_at() && FromProto(before.next_fire_at()) <= now) {
      next = FromProto(before.next_fire_at());
    } else {
      absl::Time from = now;
      if (after.has_last_fired_at()) {
        from = std::max(from, FromProto(after.last_fired_at()));
      }
      next = trigger.Next(from);
    }
    if (!next) {
      return absl::InvalidArgumentError(
          "trigger: no fire time is left (every fixed time, or expire_at, is "
          "in the past)");
    }
  }
  after.clear_next_fire_at();
  if (next) *after.mutable_next_fire_at() = ToProtoTimestamp(*next);
  after.set_version(std::max<int64_t>(before.version(), 1) + 1);
  *after.mutable_updated_at() = ToProtoTimestamp(now);
  if (request.validate_only()) return after;

  AP_RETURN_IF_ERROR(Save(before, after));
  if (after.status() == v1::WORKFLOW_STATUS_COMPLETED) {
    scheduler_->Remove(after.id());
  } else {
    const bool paused = after.status() == v1::WORKFLOW_STATUS_PAUSED;
    scheduler_->Upsert(after.id(), std::move(trigger), now, paused);
    if (next) scheduler_->Rearm(after.id(), *next);
  }
  LogEvent(spdlog::level::info, "workflow_updated",
           {{"workflow", after.id()},
            {"version", after.version()},
            {"next_fire", next ? absl::FormatTime(absl::RFC3339_full, *next,
                                                  absl::UTCTimeZone())
                               : std::string("-")}});
  return after;
}

}  // namespace ap
