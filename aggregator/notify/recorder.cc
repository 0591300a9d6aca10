#include "aggregator/notify/recorder.h"

#include "absl/strings/str_cat.h"
#include "aggregator/notify/planner.h"
#include "aggregator/records/keys.h"
#include "common/log/log.h"
#include "common/proto_time.h"
#include "common/status.h"

namespace ap {

NotificationRecorder::NotificationRecorder(WorkflowStore* store, Clock* clock,
                                           Recorded recorded)
    : store_(store), clock_(clock), recorded_(std::move(recorded)) {}

absl::StatusOr<store::v1::NotifyStateRecord> NotificationRecorder::StateOf(
    const std::string& workflow_id) {
  if (auto it = staged_.find(workflow_id); it != staged_.end()) {
    return it->second;
  }
  if (auto it = states_.find(workflow_id); it != states_.end()) {
    return it->second;
  }
  if (all_loaded_) return store::v1::NotifyStateRecord();
  AP_ASSIGN_OR_RETURN(std::optional<store::v1::NotifyStateRecord> stored,
                      store_->GetNotifyState(workflow_id));
  if (stored) states_[workflow_id] = *stored;
  return stored.value_or(store::v1::NotifyStateRecord());
}

absl::Status NotificationRecorder::Prepare(
    const std::vector<std::shared_ptr<const v1::Execution>>& finished,
    WriteBatch* extra) {
  absl::MutexLock l(&mu_);
  staged_.clear();
  staged_records_.clear();
  const absl::Time now = clock_->TimeNow();
  for (const std::shared_ptr<const v1::Execution>& e : finished) {
    AP_ASSIGN_OR_RETURN(std::shared_ptr<const v1::Workflow> w,
                        store_->FindWorkflow(e->workflow_id()));
    if (w == nullptr || w->notify().empty()) continue;
    AP_ASSIGN_OR_RETURN(store::v1::NotifyStateRecord state,
                        StateOf(w->id()));
    const store::v1::NotifyStateRecord before = state;
    AP_ASSIGN_OR_RETURN(std::vector<store::v1::NotificationRecord> made,
                        PlanFinished(*w, *e, now, &state));
    if (made.empty() && state.SerializeAsString() == before.SerializeAsString()) {
      continue;  // a success while all is well: nothing to write
    }
    staged_[w->id()] = state;
    for (auto& n : made) staged_records_.push_back(std::move(n));
  }
  for (const auto& [id, state] : staged_) {
    extra->Put(keys::NotifyState(id), state.SerializeAsString());
  }
  for (const auto& n : staged_records_) {
    extra->Put(keys::Notification(n.workflow_id(), n.id()),
               n.SerializeAsString());
  }
  return absl::OkStatus();
}

void NotificationRecorder::Done(bool committed) {
  std::vector<store::v1::NotificationRecord> made;
  {
    absl::MutexLock l(&mu_);
    if (committed) {
      for (auto& [id, state] : staged_) states_[id] = std::move(state);
      made = std::move(staged_records_);
    }
    staged_.clear();
    staged_records_.clear();
  }
  for (const store::v1::NotificationRecord& n : made) {
    LogEvent(spdlog::level::info, "notification_recorded",
             {{"notification", n.id()},
              {"workflow", n.workflow_id()},
              {"target", n.target_id()},
              {"event", n.event()}});
  }
  if (!made.empty() && recorded_) recorded_(std::move(made));
}

absl::Status NotificationRecorder::LoadAllLocked() {
  if (all_loaded_) return absl::OkStatus();
  std::vector<std::pair<std::string, store::v1::NotifyStateRecord>> stored;
  AP_RETURN_IF_ERROR(store_->ForEachNotifyState(
      [&](absl::string_view id, store::v1::NotifyStateRecord&& r) {
        stored.emplace_back(std::string(id), std::move(r));
        return true;
      }));
  // What was written since it was read is newer.
  for (auto& [id, r] : stored) states_.try_emplace(id, std::move(r));
  all_loaded_ = true;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<absl::Time>> NotificationRecorder::NextSummary() {
  absl::MutexLock l(&mu_);
  AP_RETURN_IF_ERROR(LoadAllLocked());
  std::optional<absl::Time> next;
  for (const auto& [id, state] : states_) {
    std::optional<absl::Time> at = ap::NextSummary(state);
    if (at && (!next || *at < *next)) next = at;
  }
  return next;
}

absl::Status NotificationRecorder::RecordSummaries() {
  // Most calls find nothing due: they need not wait for the write lock.
  AP_ASSIGN_OR_RETURN(std::optional<absl::Time> next, NextSummary());
  if (!next || *next > clock_->TimeNow()) return absl::OkStatus();
  FairMutexLock w(store_->write_mutex());
  std::vector<store::v1::NotificationRecord> made;
  {
    absl::MutexLock l(&mu_);
    AP_RETURN_IF_ERROR(LoadAllLocked());
    const absl::Time now = clock_->TimeNow();
    WorkflowBatch batch;
    // nullopt: the workflow went (deleted), and so does its state.
    std::map<std::string, std::optional<store::v1::NotifyStateRecord>>
        changed;
    for (const auto& [id, stored] : states_) {
      std::optional<absl::Time> due = ap::NextSummary(stored);
      if (!due || *due > now) continue;
      AP_ASSIGN_OR_RETURN(std::shared_ptr<const v1::Workflow> wf,
                          store_->FindWorkflow(id));
      if (wf == nullptr) {
        changed[id] = std::nullopt;
        continue;
      }
      store::v1::NotifyStateRecord state = stored;
      AP_ASSIGN_OR_RETURN(std::vector<store::v1::NotificationRecord> part,
                          PlanSummaries(*wf, now, &state));
      for (auto& n : part) made.push_back(std::move(n));
      changed[id] = std::move(state);
    }
    if (changed.empty()) return absl::OkStatus();
    for (const auto& [id, state] : changed) {
      if (state) {
        batch.PutRecord(keys::NotifyState(id), state->SerializeAsString());
      } else {
        batch.DeleteRecord(keys::NotifyState(id));
      }
    }
    for (const auto& n : made) {
      batch.PutRecord(keys::Notification(n.workflow_id(), n.id()),
                      n.SerializeAsString());
    }
    AP_RETURN_IF_ERROR(store_->Write(batch));
    for (auto& [id, state] : changed) {
      if (state) {
        states_[id] = *std::move(state);
      } else {
        states_.erase(id);
      }
    }
  }
  for (const store::v1::NotificationRecord& n : made) {
    LogEvent(spdlog::level::info, "notification_recorded",
             {{"notification", n.id()},
              {"workflow", n.workflow_id()},
              {"target", n.target_id()},
              {"event", n.event()},
              {"summary", true}});
  }
  if (!made.empty() && recorded_) recorded_(std::move(made));
  return absl::OkStatus();
}

void NotificationRecorder::Forget() {
  absl::MutexLock l(&mu_);
  states_.clear();
  all_loaded_ = false;
}

}  // namespace ap
