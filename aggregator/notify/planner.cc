#include "aggregator/notify/planner.h"

#include <algorithm>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "aggregator/notify/render.h"
#include "aggregator/records/execution_state.h"
#include "common/proto_time.h"

namespace ap {
namespace {

bool Wants(const v1::NotifyTarget& target, v1::NotifyEvent event) {
  if (target.events().empty()) return true;
  return std::find(target.events().begin(), target.events().end(), event) !=
         target.events().end();
}

absl::Duration Interval(const v1::Workflow& w) {
  return w.policy().has_notify_interval()
             ? FromProto(w.policy().notify_interval())
             : kDefaultNotifyInterval;
}

std::string Stamp(absl::Time t) {
  return absl::FormatTime("%Y%m%dT%H%M%E3SZ", t, absl::UTCTimeZone());
}

}  // namespace

v1::NotifyEvent EventOf(const v1::Execution& e, bool troubled) {
  switch (e.status()) {
    case v1::EXECUTION_STATUS_FAILED:
    case v1::EXECUTION_STATUS_TIMED_OUT:
      return v1::NOTIFY_EVENT_FAILED;
    case v1::EXECUTION_STATUS_SKIPPED:
      // A fire past max_executions is the workflow ending, not a miss.
      return SkipCauseOf(e) == SkipCause::kCompleted
                 ? v1::NOTIFY_EVENT_UNSPECIFIED
                 : v1::NOTIFY_EVENT_MISSED;
    case v1::EXECUTION_STATUS_SUCCEEDED:
      return troubled ? v1::NOTIFY_EVENT_RECOVERED
                      : v1::NOTIFY_EVENT_UNSPECIFIED;
    default:
      return v1::NOTIFY_EVENT_UNSPECIFIED;
  }
}

absl::StatusOr<std::vector<store::v1::NotificationRecord>> PlanFinished(
    const v1::Workflow& w, const v1::Execution& e, absl::Time now,
    store::v1::NotifyStateRecord* state) {
  std::vector<store::v1::NotificationRecord> out;
  const v1::NotifyEvent event = EventOf(e, state->troubled());
  if (event == v1::NOTIFY_EVENT_UNSPECIFIED) return out;
  state->set_troubled(event != v1::NOTIFY_EVENT_RECOVERED);
  const std::string name = EventName(event);
  for (const v1::NotifyTarget& target : w.notify()) {
    if (!Wants(target, event)) continue;
    store::v1::NotifyStateRecord::Target& t =
        (*state->mutable_targets())[target.id()];
    if (t.has_quiet_until() && now < FromProto(t.quiet_until())) {
      ++(*t.mutable_held())[name];
      t.set_latest_event(name);
      v1::Execution* latest = t.mutable_latest_execution();
      *latest = e;
      latest->clear_step_results();
      if (!t.has_held_since()) *t.mutable_held_since() = ToProtoTimestamp(now);
      continue;
    }
    const NotificationFacts facts{
        absl::StrCat(e.id(), ".", e.attempt(), ".", target.id(), ".", name),
        event, {{name, 1}}, &w, &e, now};
    absl::StatusOr<store::v1::NotificationRecord> r =
        RenderNotification(target, facts);
    if (!r.ok()) return r.status();
    out.push_back(*std::move(r));
    *t.mutable_quiet_until() = ToProtoTimestamp(now + Interval(w));
  }
  return out;
}

absl::StatusOr<std::vector<store::v1::NotificationRecord>> PlanSummaries(
    const v1::Workflow& w, absl::Time now,
    store::v1::NotifyStateRecord* state) {
  std::vector<store::v1::NotificationRecord> out;
  for (const v1::NotifyTarget& target : w.notify()) {
    auto it = state->mutable_targets()->find(target.id());
    if (it == state->mutable_targets()->end()) continue;
    store::v1::NotifyStateRecord::Target& t = it->second;
    if (t.held().empty() || now < FromProto(t.quiet_until())) continue;
    v1::NotifyEvent event = v1::NOTIFY_EVENT_FAILED;
    for (v1::NotifyEvent candidate :
         {v1::NOTIFY_EVENT_MISSED, v1::NOTIFY_EVENT_RECOVERED}) {
      if (EventName(candidate) == t.latest_event()) event = candidate;
    }
    const NotificationFacts facts{
        absl::StrCat(w.id(), ".", Stamp(FromProto(t.quiet_until())), ".",
                     target.id(), ".summary"),
        event,
        std::map<std::string, int64_t>(t.held().begin(), t.held().end()),
        &w,
        &t.latest_execution(),
        now};
    absl::StatusOr<store::v1::NotificationRecord> r =
        RenderNotification(target, facts);
    if (!r.ok()) return r.status();
    out.push_back(*std::move(r));
    t.clear_held();
    t.clear_latest_event();
    t.clear_latest_execution();
    t.clear_held_since();
    *t.mutable_quiet_until() = ToProtoTimestamp(now + Interval(w));
  }
  // Targets the workflow no longer has hold nothing more.
  for (auto it = state->mutable_targets()->begin();
       it != state->mutable_targets()->end();) {
    bool kept = false;
    for (const v1::NotifyTarget& target : w.notify()) {
      kept |= target.id() == it->first;
    }
    if (kept) {
      ++it;
    } else {
      state->mutable_targets()->erase(it++);
    }
  }
  return out;
}

std::optional<absl::Time> NextSummary(
    const store::v1::NotifyStateRecord& state) {
  std::optional<absl::Time> next;
  for (const auto& [id, t] : state.targets()) {
    if (t.held().empty()) continue;
    const absl::Time at = FromProto(t.quiet_until());
    if (!next || at < *next) next = at;
  }
  return next;
}

}  // namespace ap
