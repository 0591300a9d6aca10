#include "aggregator/workflows/examine.h"

#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "aggregator/schedule/trigger.h"
#include "aggregator/records/keys.h"
#include "common/proto_time.h"
#include "common/redact.h"
#include "common/status.h"

namespace ap {
namespace {

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

// The workflow's status over time, from its evt/ records.
class StatusHistory {
 public:
  static absl::StatusOr<StatusHistory> Load(WorkflowStore* store,
                                            const std::string& id) {
    StatusHistory h;
    AP_ASSIGN_OR_RETURN(h.changes_, store->StatusChanges(id));
    return h;
  }
  // The status in force at `t`, and since when. When the status changed
  // exactly at `t`, a fire at `t` saw either side (resume fires from the
  // next time after now; pause may come before that instant's round), so
  // the status that stops fires wins.
  std::pair<v1::WorkflowStatus, absl::Time> At(absl::Time t) const {
    const auto at = Last(changes_.upper_bound(t));      // changes <= t
    const auto before = Last(changes_.lower_bound(t));  // changes < t
    return at.first == v1::WORKFLOW_STATUS_ACTIVE ? before : at;
  }

 private:
  using Map = std::map<absl::Time, v1::WorkflowStatus>;
  // The change just before `it`.
  std::pair<v1::WorkflowStatus, absl::Time> Last(Map::const_iterator it) const {
    if (it == changes_.begin()) {
      return {v1::WORKFLOW_STATUS_ACTIVE, absl::InfinitePast()};
    }
    --it;
    return {it->second, it->first};
  }

  Map changes_;
};

// Why a recorded execution did or did not succeed.
void DiagnoseRecorded(const v1::Execution& e, v1::ExpectedFire* f) {
  f->set_execution_id(e.id());
  f->set_execution_status(e.status());
  switch (e.status()) {
    case v1::EXECUTION_STATUS_SUCCEEDED:
      f->set_diagnosis(v1::DIAGNOSIS_SUCCEEDED);
      f->set_detail("ran and succeeded");
      return;
    case v1::EXECUTION_STATUS_PENDING:
      f->set_diagnosis(v1::DIAGNOSIS_NO_OPERATOR);
      f->set_detail(absl::StrCat(
          "recorded, waiting for an operator (attempt ", e.attempt(),
          "); is any operator connected with free capacity?"));
      return;
    case v1::EXECUTION_STATUS_DISPATCHED:
    case v1::EXECUTION_STATUS_RUNNING:
      f->set_diagnosis(v1::DIAGNOSIS_IN_PROGRESS);
      f->set_detail(absl::StrCat(v1::ExecutionStatus_Name(e.status()),
                                 " on operator ", e.operator_id()));
      return;
    case v1::EXECUTION_STATUS_SKIPPED:
      switch (SkipCauseOf(e)) {
        case SkipCause::kStartDeadline:
          f->set_diagnosis(v1::DIAGNOSIS_SKIPPED_START_DEADLINE);
          break;
        case SkipCause::kConcurrency:
          f->set_diagnosis(v1::DIAGNOSIS_SKIPPED_CONCURRENCY);
          break;
        case SkipCause::kCompleted:
          f->set_diagnosis(v1::DIAGNOSIS_EXPIRED);
          break;
        case SkipCause::kMisfire:
          f->set_diagnosis(v1::DIAGNOSIS_SKIPPED_MISFIRE);
          break;
      }
      f->set_detail(absl::StrCat("skipped: ", e.reason()));
      return;
    default: {
      std::string detail = absl::StrCat(v1::ExecutionStatus_Name(e.status()));
      if (!e.reason().empty()) absl::StrAppend(&detail, ": ", e.reason());
      for (const v1::StepResult& r : e.step_results()) {
        if (!r.error().empty()) {
          absl::StrAppend(&detail, "; step ", r.step_id(), ": ", r.error());
        }
      }
      f->set_diagnosis(v1::DIAGNOSIS_FAILED);
      f->set_detail(detail);
    }
  }
}

// Why no execution exists for a fire at `t`.
void DiagnoseMissing(const v1::Workflow& w, const StatusHistory& history,
                     absl::Time t, absl::Time now, v1::ExpectedFire* f) {
  const absl::Time created = FromProto(w.created_at());
  auto set = [f](v1::Diagnosis d, std::string detail) {
    f->set_diagnosis(d);
    f->set_detail(std::move(detail));
  };
  if (t > now) return set(v1::DIAGNOSIS_NOT_DUE, "not due yet");
  // The first fire is strictly after creation.
  if (t <= created) {
    return set(v1::DIAGNOSIS_NOT_STARTED,
               absl::StrCat("before the workflow was created (",
                            Rfc3339(created), ")"));
  }
  if (w.has_start_at() && t < FromProto(w.start_at())) {
    return set(v1::DIAGNOSIS_NOT_STARTED,
               absl::StrCat("before start_at (",
                            Rfc3339(FromProto(w.start_at())), ")"));
  }
  if (w.has_expire_at() && t >= FromProto(w.expire_at())) {
    return set(v1::DIAGNOSIS_EXPIRED,
               absl::StrCat("at or after expire_at (",
                            Rfc3339(FromProto(w.expire_at())), ")"));
  }
  const auto [status, since] = history.At(t);
  switch (status) {
    case v1::WORKFLOW_STATUS_PAUSED:
      return set(
          v1::DIAGNOSIS_PAUSED,
          absl::StrCat("the workflow was paused (since ", Rfc3339(since), ")"));
    case v1::WORKFLOW_STATUS_COMPLETED:
      return set(v1::DIAGNOSIS_EXPIRED,
                 absl::StrCat("the workflow had completed (",
                              v1::CompletionReason_Name(w.completion_reason()),
                              ") at ", Rfc3339(since)));
    case v1::WORKFLOW_STATUS_CANCELED:
      return set(v1::DIAGNOSIS_EXPIRED,
                 absl::StrCat("the workflow was canceled at ", Rfc3339(since)));
    default:
      break;
  }
  if (w.has_next_fire_at() && t >= FromProto(w.next_fire_at())) {
    return set(v1::DIAGNOSIS_MISSING,
               "due but not recorded yet: held back while max_pending "
               "executions wait for operators (see ap_fire_delay_seconds), "
               "or the aggregator's fire loop is behind or stopped");
  }
  set(v1::DIAGNOSIS_MISSING,
      "no execution is recorded and nothing explains it; please report it "
      "with this output");
}

std::string Summary(const v1::ExamineWorkflowResponse& r, bool truncated) {
  std::map<std::string, int> counts;
  for (const v1::ExpectedFire& f : r.expected_fires()) {
    ++counts[v1::Diagnosis_Name(f.diagnosis())
                 .substr(sizeof("DIAGNOSIS_") - 1)];
  }
  std::vector<std::string> parts;
  for (const auto& [name, n] : counts)
    parts.push_back(absl::StrCat(n, " ", name));
  std::string s = absl::StrCat(
      r.expected_fires_size(), " expected fire(s) between ",
      Rfc3339(FromProto(r.since())), " and ", Rfc3339(FromProto(r.until())),
      truncated ? " (the newest ones only)" : "", parts.empty() ? "" : ": ",
      absl::StrJoin(parts, ", "), ". ", r.other_executions_size(),
      " other execution(s) in the window. Status ",
      v1::WorkflowStatus_Name(r.workflow().status()), ".");
  if (r.upcoming_size() > 0) {
    absl::StrAppend(&s, " Next fire at ", Rfc3339(FromProto(r.upcoming(0))),
                    ".");
  }
  return s;
}

}  // namespace

absl::StatusOr<v1::ExamineWorkflowResponse> ExamineWorkflow(
    WorkflowStore* store, const v1::Workflow& w, absl::Time since,
    absl::Time until, absl::Time now) {
  if (until <= since) {
    return absl::InvalidArgumentError("until: must be after since");
  }
  v1::ExamineWorkflowResponse r;
  *r.mutable_workflow() = w;
  RedactWorkflow(r.mutable_workflow());
  *r.mutable_since() = ToProtoTimestamp(since);
  *r.mutable_until() = ToProtoTimestamp(until);

  const absl::Time created = FromProto(w.created_at());
  // Unbounded, so fires outside start_at/expire_at are shown and explained;
  // but an interval's grid starts at start_at, so it keeps that bound.
  std::optional<absl::Time> interval_start;
  if (w.trigger().has_interval() && w.has_start_at()) {
    interval_start = FromProto(w.start_at());
  }
  AP_ASSIGN_OR_RETURN(
      Trigger unbounded,
      Trigger::Create(w.trigger(), interval_start, std::nullopt, created,
                      Trigger::OffsetOf(w)));
  std::deque<absl::Time> fires;
  bool truncated = false;
  for (std::optional<absl::Time> t = unbounded.Next(since); t && *t <= until;
       t = unbounded.Next(*t)) {
    fires.push_back(*t);
    if (fires.size() > kMaxExaminedFires) {
      fires.pop_front();
      truncated = true;
    }
  }
  AP_ASSIGN_OR_RETURN(StatusHistory history,
                      StatusHistory::Load(store, w.id()));
  absl::flat_hash_set<std::string> explained;
  for (absl::Time t : fires) {
    v1::ExpectedFire* f = r.add_expected_fires();
    *f->mutable_scheduled_at() = ToProtoTimestamp(t);
    AP_ASSIGN_OR_RETURN(std::optional<v1::Execution> e,
                        store->GetExecution(keys::ExecutionId(w.id(), t)));
    if (e) {
      DiagnoseRecorded(*e, f);
      explained.insert(e->id());
    } else {
      DiagnoseMissing(w, history, t, now, f);
    }
  }
  // Executions in the window that no expected fire explains.
  AP_RETURN_IF_ERROR(store->ScanExecutions(
      w.id(), keys::ExecutionId(w.id(), since), [&](v1::Execution&& e) {
        if (FromProto(e.scheduled_at()) > until) return false;
        if (!explained.contains(e.id()) &&
            r.other_executions_size() < kMaxExaminedFires) {
          *r.add_other_executions() = std::move(e);
        }
        return true;
      }));
  AP_ASSIGN_OR_RETURN(Trigger bounded, Trigger::FromWorkflow(w, created));
  if (w.status() == v1::WORKFLOW_STATUS_ACTIVE) {
    std::optional<absl::Time> t = std::max(until, now);
    for (int i = 0; i < 5 && (t = bounded.Next(*t)); ++i) {
      *r.add_upcoming() = ToProtoTimestamp(*t);
    }
  }
  r.set_summary(Summary(r, truncated));
  return r;
}

}  // namespace ap
