#include "aggregator/schedule/firing.h"

#include <deque>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "aggregator/records/keys.h"
#include "aggregator/schedule/trigger.h"
#include "common/log/log.h"
#include "common/proto_time.h"
#include "common/status.h"

namespace ap {
namespace {

// Counting missed fires stops here (a per-second schedule down for months).
constexpr size_t kMaxMissedCounted = 10'000'000;

// Adds one workflow's part of a round to the round's report.
void Merge(FireReport part, FireReport* round) {
  round->recorded += part.recorded;
  round->skipped += part.skipped;
  round->start_deadlines += part.start_deadlines;
  round->completed += part.completed;
  for (v1::Execution& e : part.canceled)
    round->canceled.push_back(std::move(e));
  for (PlacedExecution& p : part.placed) round->placed.push_back(std::move(p));
  round->lateness.insert(round->lateness.end(), part.lateness.begin(),
                         part.lateness.end());
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

absl::StatusOr<Trigger> TriggerOf(const v1::Workflow& w) {
  return Trigger::FromWorkflow(w, FromProto(w.created_at()));
}

}  // namespace

struct FiringEngine::Decision {
  absl::Time at;
  bool run;
  v1::ExecutionCause cause;
  std::string reason;  // why it is skipped
};

FiringEngine::FiringEngine(WorkflowStore* store, Scheduler* scheduler,
                           Clock* clock, FiringOptions options)
    : store_(store), scheduler_(scheduler), clock_(clock), options_(options) {}

absl::StatusOr<size_t> FiringEngine::Recover() {
  FairMutexLock l(store_->write_mutex());
  {
    absl::MutexLock held(&held_mu_);
    held_since_.reset();  // what is due now was not held back by this run
  }
  size_t loaded = 0;
  absl::Status s = store_->ForEachWorkflow([&](const v1::Workflow& w) {
    const bool paused = w.status() == v1::WORKFLOW_STATUS_PAUSED;
    if (w.status() != v1::WORKFLOW_STATUS_ACTIVE && !paused) return true;
    absl::StatusOr<Trigger> trigger = TriggerOf(w);
    if (!trigger.ok()) {
      LogEvent(spdlog::level::err, "workflow_unloadable",
               {{"workflow", w.id()}, {"error", trigger.status().ToString()}});
      return true;
    }
    const absl::Time after =
        w.has_next_fire_at()
            ? FromProto(w.next_fire_at()) - absl::Nanoseconds(1)
            : FromProto(w.created_at());
    scheduler_->Upsert(w.id(), *std::move(trigger), after, paused);
    if (!paused && w.has_next_fire_at()) {
      scheduler_->Rearm(w.id(), FromProto(w.next_fire_at()));
    }
    ++loaded;
    return true;
  });
  if (!s.ok()) return s;
  return loaded;
}

absl::StatusOr<FireReport> FiringEngine::FireDue() {
  const absl::Time now = clock_->TimeNow();
  if (HoldBack(now)) {
    FireReport held;
    held.held = true;
    return held;
  }
  const std::vector<std::pair<std::string, absl::Time>> due =
      scheduler_->PeekDue(now, options_.max_batch);
  absl::StatusOr<FireReport> report;
  if (placer_ == nullptr || due.empty()) {
    report = FireDue(now, Prepare(now, due, nullptr));
  } else {
    Slots slots(placer_, placer_->Reserve(due.size()));
    report = FireDue(now, Prepare(now, due, &slots), &slots);
    placer_->Deliver(slots.reserved(), report.ok()
                                           ? report->placed
                                           : std::vector<PlacedExecution>());
  }
  const std::optional<absl::Time> next = scheduler_->NextFireTime();
  if (report.ok() && (!next || *next > now)) {
    absl::MutexLock l(&held_mu_);
    held_since_.reset();  // nothing due is left behind
  }
  return report;
}

bool FiringEngine::HoldBack(absl::Time now) {
  if (options_.max_pending == 0) return false;
  const std::optional<absl::Time> next = scheduler_->NextFireTime();
  if (!next || *next > now) return false;  // nothing due to hold
  absl::StatusOr<size_t> pending = store_->PendingCount();
  // Should the count fail, the round goes ahead and meets the same error.
  if (!pending.ok() || *pending < options_.max_pending) return false;
  absl::MutexLock l(&held_mu_);
  if (!held_since_) held_since_ = now;
  return true;
}

bool FiringEngine::Holding() const {
  absl::MutexLock l(&held_mu_);
  return held_since_.has_value();
}

absl::Time FiringEngine::MissedBy(absl::Time now) const {
  absl::MutexLock l(&held_mu_);
  return held_since_ ? std::min(now, *held_since_) : now;
}

absl::Status FiringEngine::FireHeld(absl::string_view workflow_id,
                                    FireReport* report) {
  store_->write_mutex()->AssertHeld();  // with the caller's write
  const absl::Time now = clock_->TimeNow();
  const std::optional<absl::Time> at = scheduler_->NextFireTime(workflow_id);
  if (!at || *at > now) return absl::OkStatus();
  AP_ASSIGN_OR_RETURN(std::shared_ptr<const v1::Workflow> stored,
                      store_->FindWorkflow(workflow_id));
  const Scheduler::Fire fire{std::string(workflow_id), *at,
                             v1::EXECUTION_CAUSE_UNSPECIFIED, std::nullopt};
  WorkflowBatch batch;
  AP_ASSIGN_OR_RETURN(
      std::optional<absl::Time> next,
      HandleWorkflow(fire, now, stored, /*one_fire=*/false, /*slots=*/nullptr,
                     &batch, report));
  AP_RETURN_IF_ERROR(store_->Write(batch));
  if (next) {
    scheduler_->Rearm(workflow_id, *next);
  } else {
    scheduler_->Remove(workflow_id);
  }
  return absl::OkStatus();
}

FiringEngine::PreparedRound FiringEngine::Prepare(absl::Time now,
                                                  Slots* slots) {
  return Prepare(now, scheduler_->PeekDue(now, options_.max_batch), slots);
}

FiringEngine::PreparedRound FiringEngine::Prepare(
    absl::Time now, const std::vector<std::pair<std::string, absl::Time>>& due,
    Slots* slots) {
  PreparedRound round;
  // Without the cache no prepared workflow could be recognised as current.
  if (!store_->caches_workflows()) return round;
  const bool one_fire = Holding();
  for (const auto& [id, at] : due) {
    absl::StatusOr<std::shared_ptr<const v1::Workflow>> w =
        store_->FindWorkflow(id);
    // FORBID and REPLACE depend on the open executions: done under the lock.
    if (!w.ok() || *w == nullptr ||
        (*w)->status() != v1::WORKFLOW_STATUS_ACTIVE ||
        (*w)->policy().concurrency() != v1::CONCURRENCY_POLICY_ALLOW) {
      continue;
    }
    Prepared p{*w, at, {}, {}, std::nullopt};
    const Scheduler::Fire fire{id, at, v1::EXECUTION_CAUSE_UNSPECIFIED, {}};
    absl::StatusOr<std::optional<absl::Time>> next =
        HandleWorkflow(fire, now, p.from, one_fire, slots, &p.batch,
                       &p.report);
    if (!next.ok()) continue;  // tried again under the lock
    p.next = *next;
    round.emplace(id, std::move(p));
  }
  return round;
}

absl::StatusOr<FireReport> FiringEngine::FireDue(absl::Time now,
                                                 PreparedRound prepared,
                                                 Slots* slots) {
  FireReport report;
  FairMutexLock l(store_->write_mutex());
  const bool one_fire = Holding();
  const std::vector<Scheduler::Fire> due =
      scheduler_->TakeDue(now, options_.max_batch);
  if (due.empty()) return report;
  report.full = due.size() >= options_.max_batch;

  WorkflowBatch batch;
  absl::flat_hash_set<std::string> seen;
  std::vector<std::pair<std::string, absl::Time>> taken;  // to put back
  std::vector<std::pair<std::string, std::optional<absl::Time>>> rearm;
  absl::Status failure;
  for (const Scheduler::Fire& fire : due) {
    // A workflow behind by several fires appears more than once; its
    // first appearance handles every fire due up to now.
    if (!seen.insert(fire.workflow_id).second) continue;
    taken.emplace_back(fire.workflow_id, fire.scheduled_at);
    absl::StatusOr<std::shared_ptr<const v1::Workflow>> stored =
        store_->FindWorkflow(fire.workflow_id);
    if (!stored.ok()) {
      failure = stored.status();
      break;
    }
    auto ahead = prepared.find(fire.workflow_id);
    if (ahead != prepared.end() && ahead->second.from == *stored &&
        ahead->second.scheduled_at == fire.scheduled_at) {
      Prepared& p = ahead->second;
      batch.Append(std::move(p.batch));
      Merge(std::move(p.report), &report);
      rearm.emplace_back(fire.workflow_id, p.next);
      continue;
    }
    absl::StatusOr<std::optional<absl::Time>> next =
        HandleWorkflow(fire, now, *stored, one_fire, slots, &batch, &report);
    if (!next.ok()) {
      failure = next.status();
      break;
    }
    rearm.emplace_back(fire.workflow_id, *next);
  }
  if (failure.ok()) failure = store_->Write(batch);
  if (!failure.ok()) {
    for (const auto& [id, at] : taken) scheduler_->Rearm(id, at);
    return failure;
  }
  for (const auto& [id, next] : rearm) {
    if (next) {
      scheduler_->Rearm(id, *next);
    } else {
      scheduler_->Remove(id);
    }
  }
  for (PlacedExecution& p : report.placed) {
    absl::StatusOr<std::shared_ptr<const v1::Workflow>> w =
        store_->FindWorkflow(p.execution.workflow_id());
    if (w.ok()) p.workflow = *std::move(w);
  }
  return report;
}

std::vector<FiringEngine::Decision> FiringEngine::Decide(
    const v1::Workflow& w, const Trigger& trigger, const Scheduler::Fire& fire,
    absl::Time now, bool one_fire, absl::Time* through) {
  // Held back fires wait for operators: late, not missed. Only what was
  // late already when holding began counts (downtime, a failing store).
  const absl::Time seen = MissedBy(now);
  const bool missed = seen - fire.scheduled_at > options_.misfire_threshold;
  if (one_fire && !missed) {
    *through = fire.scheduled_at;
    return {Decision{fire.scheduled_at, true, trigger.cause(), ""}};
  }
  *through = now;
  // Every fire due up to now; keep the newest max_missed_records.
  std::deque<absl::Time> kept;
  size_t total = 0;
  for (std::optional<absl::Time> t = fire.scheduled_at;
       t && *t <= now && total < kMaxMissedCounted; t = trigger.Next(*t)) {
    ++total;
    kept.push_back(*t);
    if (kept.size() > options_.max_missed_records) kept.pop_front();
  }
  const absl::Time window_start =
      seen - FromProto(w.policy().catchup_window());
  const v1::MisfirePolicy policy = w.policy().misfire();
  std::optional<absl::Time> latest_in_window;
  for (absl::Time t : kept) {
    if (t >= window_start) latest_in_window = t;
  }

  std::vector<Decision> out;
  for (absl::Time t : kept) {
    Decision d{t, true, trigger.cause(), ""};
    if (missed) {
      d.cause = v1::EXECUTION_CAUSE_CATCHUP;
      if (t < window_start) {
        d = {t, false, d.cause,
             absl::StrCat("missed by more than the catch-up window (",
                          absl::FormatDuration(seen - window_start),
                          "); the aggregator was not firing then")};
      } else if (policy == v1::MISFIRE_POLICY_SKIP) {
        d = {t, false, d.cause,
             "missed while the aggregator was not firing (misfire policy "
             "SKIP)"};
      } else if (policy == v1::MISFIRE_POLICY_RUN_ONCE &&
                 t != latest_in_window) {
        d = {t, false, d.cause,
             absl::StrCat("missed; misfire policy RUN_ONCE ran only the "
                          "latest missed fire, ",
                          Rfc3339(*latest_in_window))};
      }
    }
    out.push_back(std::move(d));
  }
  if (total > kept.size()) {
    const std::string note = absl::StrCat(
        total - kept.size(), total >= kMaxMissedCounted ? " or more" : "",
        " earlier missed fires since ", Rfc3339(fire.scheduled_at),
        " were skipped too, not recorded one by one");
    for (Decision& d : out) {
      if (!d.run) {
        absl::StrAppend(&d.reason, "; ", note);
        break;
      }
    }
    LogEvent(spdlog::level::warn, "missed_fires_summarized",
             {{"workflow", w.id()}, {"count", total - kept.size()}});
  }
  return out;
}

// Adds a round's new executions, and the open ones REPLACE canceled.
// Moves the created executions into the batch.
void FiringEngine::WriteRound(const std::vector<v1::Execution>& open_before,
                              Round& round, WorkflowBatch* batch,
                              FireReport* report) {
  for (size_t i = 0; i < round.open.size(); ++i) {
    if (IsOpen(round.open[i].status())) continue;
    batch->PutExecution(&open_before[i], round.open[i]);
    report->canceled.push_back(round.open[i]);
  }
  for (v1::Execution& c : round.created) {
    // Placed, and not canceled since by a later fire of the round (REPLACE).
    if (c.status() == v1::EXECUTION_STATUS_DISPATCHED) {
      report->placed.push_back({c, nullptr});
    }
    batch->PutExecution(nullptr, std::move(c));
  }
}

// REPLACE cancels every open execution; FORBID turns the run into a skip.
absl::Status FiringEngine::ApplyConcurrency(const v1::Workflow& w,
                                            const std::string& new_id,
                                            std::vector<v1::Execution*> running,
                                            absl::Time now, Decision* d) {
  if (running.empty()) return absl::OkStatus();
  switch (w.policy().concurrency()) {
    case v1::CONCURRENCY_POLICY_FORBID:
      d->run = false;
      d->reason = absl::StrCat("concurrency FORBID: execution ",
                               running[0]->id(), " has not finished");
      break;
    case v1::CONCURRENCY_POLICY_REPLACE:
      for (v1::Execution* r : running) {
        AP_RETURN_IF_ERROR(CancelExecution(
            r, absl::StrCat("replaced by ", new_id, " (concurrency REPLACE)"),
            now));
      }
      break;
    default:
      break;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<absl::Time>> FiringEngine::HandleWorkflow(
    const Scheduler::Fire& fire, absl::Time now,
    const std::shared_ptr<const v1::Workflow>& stored, bool one_fire,
    Slots* slots, WorkflowBatch* batch, FireReport* report) {
  if (stored == nullptr || stored->status() != v1::WORKFLOW_STATUS_ACTIVE) {
    return std::optional<absl::Time>();  // stale Scheduler entry
  }
  const v1::Workflow& before = *stored;
  v1::Workflow after = before;
  absl::StatusOr<Trigger> trigger = TriggerOf(after);
  if (!trigger.ok()) return trigger.status();
  // Only FORBID and REPLACE look at open executions; skip the scan for ALLOW.
  absl::StatusOr<std::vector<v1::Execution>> open_before =
      after.policy().concurrency() == v1::CONCURRENCY_POLICY_ALLOW
          ? std::vector<v1::Execution>()
          : store_->OpenExecutions(after.id());
  if (!open_before.ok()) return open_before.status();

  Round round{*open_before, {}, false};
  absl::Time through;  // fires up to here are handled
  AP_RETURN_IF_ERROR(
      Record(Decide(after, *trigger, fire, now, one_fire, &through), now,
             slots, &after, &round, report));
  WriteRound(*open_before, round, batch, report);

  std::optional<absl::Time> next = trigger->Next(through);
  if (round.maxed || !next) {
    Complete(round.maxed, now, &after);
    ++report->completed;
    next.reset();
  } else {
    *after.mutable_next_fire_at() = ToProtoTimestamp(*next);
  }
  *after.mutable_updated_at() = ToProtoTimestamp(now);
  batch->PutWorkflow(&before, std::move(after));
  return next;
}

absl::StatusOr<v1::Execution> FiringEngine::FireNow(
    absl::string_view workflow_id, FireReport* report) {
  FairMutexLock l(store_->write_mutex());
  absl::StatusOr<std::optional<v1::Workflow>> stored =
      store_->GetWorkflow(workflow_id);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) {
    return absl::NotFoundError(absl::StrCat("workflow ", workflow_id));
  }
  const v1::Workflow before = **stored;
  if (before.status() != v1::WORKFLOW_STATUS_ACTIVE &&
      before.status() != v1::WORKFLOW_STATUS_PAUSED) {
    return absl::FailedPreconditionError(
        absl::StrCat("workflow ", workflow_id, " is ",
                     v1::WorkflowStatus_Name(before.status())));
  }
  v1::Workflow after = before;
  absl::StatusOr<std::vector<v1::Execution>> open_before =
      store_->OpenExecutions(after.id());
  if (!open_before.ok()) return open_before.status();
  // A manual trigger is a person asking for a run now: under FORBID, say
  // why there will be none instead of recording a SKIPPED one.
  if (after.policy().concurrency() == v1::CONCURRENCY_POLICY_FORBID &&
      !open_before->empty()) {
    const v1::Execution& open = open_before->front();
    return absl::FailedPreconditionError(absl::StrCat(
        "workflow ", workflow_id, " has execution ", open.id(), " open (",
        v1::ExecutionStatus_Name(open.status()),
        ") and its concurrency policy is FORBID; wait for it to finish or "
        "cancel it"));
  }

  // Two triggers in one millisecond get distinct ids.
  const absl::Time now = clock_->TimeNow();
  absl::Time at = absl::FromUnixMillis(absl::ToUnixMillis(now));
  while (true) {
    absl::StatusOr<std::optional<v1::Execution>> e =
        store_->GetExecution(keys::ExecutionId(after.id(), at));
    if (!e.ok()) return e.status();
    if (!e->has_value()) break;
    at += absl::Milliseconds(1);
  }
  Round round{*open_before, {}, false};
  AP_RETURN_IF_ERROR(
      Record({Decision{at, true, v1::EXECUTION_CAUSE_MANUAL, ""}}, now,
             /*slots=*/nullptr, &after, &round, report));
  v1::Execution created = round.created.front();
  AP_RETURN_IF_ERROR(
      WriteAskedRound(before, std::move(after), *open_before, round, now,
                      report));
  return created;
}

absl::Status FiringEngine::WriteAskedRound(
    const v1::Workflow& before, v1::Workflow after,
    const std::vector<v1::Execution>& open_before, Round& round,
    absl::Time now, FireReport* report) {
  WorkflowBatch batch;
  WriteRound(open_before, round, &batch, report);
  if (round.maxed) {
    Complete(true, now, &after);
    ++report->completed;
  }
  *after.mutable_updated_at() = ToProtoTimestamp(now);
  const std::string id = after.id();
  batch.PutWorkflow(&before, std::move(after));
  AP_RETURN_IF_ERROR(store_->Write(batch));
  if (round.maxed) scheduler_->Remove(id);
  return absl::OkStatus();
}

absl::StatusOr<FiringEngine::Backfilled> FiringEngine::Backfill(
    absl::string_view workflow_id, absl::Time from, absl::Time to,
    bool dry_run, FireReport* report) {
  FairMutexLock l(store_->write_mutex());
  AP_ASSIGN_OR_RETURN(std::optional<v1::Workflow> stored,
                      store_->GetWorkflow(workflow_id));
  if (!stored) return absl::NotFoundError(absl::StrCat("workflow ", workflow_id));
  const v1::Workflow before = *std::move(stored);
  if (before.status() != v1::WORKFLOW_STATUS_ACTIVE &&
      before.status() != v1::WORKFLOW_STATUS_PAUSED) {
    return absl::FailedPreconditionError(
        absl::StrCat("workflow ", workflow_id, " is ",
                     v1::WorkflowStatus_Name(before.status())));
  }
  if (before.trigger().has_manual()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "workflow ", workflow_id,
        " has a manual trigger: there are no scheduled fires to backfill"));
  }
  std::optional<absl::Time> interval_start;
  if (before.trigger().has_interval() && before.has_start_at()) {
    interval_start = FromProto(before.start_at());
  }
  AP_ASSIGN_OR_RETURN(
      Trigger trigger,
      Trigger::Create(before.trigger(), interval_start, std::nullopt,
                      FromProto(before.created_at()), Trigger::OffsetOf(before)));
  Backfilled out;
  std::vector<Decision> decisions;
  size_t fires = 0;
  for (std::optional<absl::Time> t = trigger.Next(from - absl::Nanoseconds(1));
       t && *t <= to; t = trigger.Next(*t)) {
    if (++fires > kMaxBackfill) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the window holds more than ", kMaxBackfill,
          " fires; backfill a shorter window at a time"));
    }
    const std::string id = keys::ExecutionId(before.id(), *t);
    AP_ASSIGN_OR_RETURN(std::optional<v1::Execution> e,
                        store_->GetExecution(id));
    if (e) {
      out.existing.push_back(id);
    } else {
      decisions.push_back({*t, true, v1::EXECUTION_CAUSE_BACKFILL, ""});
    }
  }
  AP_ASSIGN_OR_RETURN(std::vector<v1::Execution> open_before,
                      store_->OpenExecutions(before.id()));
  const v1::ConcurrencyPolicy concurrency = before.policy().concurrency();
  if (concurrency == v1::CONCURRENCY_POLICY_FORBID ||
      concurrency == v1::CONCURRENCY_POLICY_REPLACE) {
    if (decisions.size() > 1) {
      return absl::FailedPreconditionError(absl::StrCat(
          "workflow ", workflow_id, "'s concurrency policy is ",
          v1::ConcurrencyPolicy_Name(concurrency), ": ", decisions.size(),
          " backfilled fires would run at once; backfill one fire at a time "
          "(--from and --to around it)"));
    }
    if (!decisions.empty() && !open_before.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "workflow ", workflow_id, " has execution ", open_before.front().id(),
          " open and its concurrency policy is ",
          v1::ConcurrencyPolicy_Name(concurrency),
          "; wait for it to finish or cancel it"));
    }
  }
  if (decisions.empty()) return out;
  const absl::Time now = clock_->TimeNow();
  v1::Workflow after = before;
  Round round{open_before, {}, false};
  AP_RETURN_IF_ERROR(Record(std::move(decisions), now, /*slots=*/nullptr,
                            &after, &round, report));
  out.recorded = round.created;
  if (dry_run) return out;
  AP_RETURN_IF_ERROR(WriteAskedRound(before, std::move(after), open_before,
                                     round, now, report));
  return out;
}

// Turns decisions into execution records, oldest first.
absl::Status FiringEngine::Record(std::vector<Decision> decisions,
                                  absl::Time now, Slots* slots, v1::Workflow* w,
                                  Round* round, FireReport* report) {
  const int64_t max = w->max_executions();
  int64_t count = w->execution_count();
  // Every execution is recorded here, in the same write as last_fired_at
  // moving up to at least its scheduled time: none can exist for a later
  // millisecond (ids are to the millisecond), and only earlier ones (a
  // trigger after the clock stepped back) need looking up.
  const std::optional<int64_t> last_fired_ms =
      w->has_last_fired_at()
          ? std::optional(absl::ToUnixMillis(FromProto(w->last_fired_at())))
          : std::nullopt;
  for (Decision& d : decisions) {
    v1::Execution e;
    e.set_id(keys::ExecutionId(w->id(), d.at));
    if (last_fired_ms && absl::ToUnixMillis(d.at) <= *last_fired_ms) {
      absl::StatusOr<std::optional<v1::Execution>> existing =
          store_->GetExecution(e.id());
      if (!existing.ok()) return existing.status();
      if (existing->has_value()) continue;  // recorded already: idempotent
    }
    e.set_workflow_id(w->id());
    e.set_workflow_version(w->version());
    *e.mutable_scheduled_at() = ToProtoTimestamp(d.at);
    *e.mutable_created_at() = ToProtoTimestamp(now);
    e.set_cause(d.cause);
    // A person's run (manual, backfill) could first start when asked for.
    const bool asked = d.cause == v1::EXECUTION_CAUSE_MANUAL ||
                       d.cause == v1::EXECUTION_CAUSE_BACKFILL;
    if (d.run && round->maxed) {
      d.run = false;
      d.reason = absl::StrCat("the workflow completed: max_executions (", max,
                              ") reached");
    }
    // A fire recorded only after its start deadline (held back while
    // operators were full, or after downtime) would be skipped as soon as
    // it was queued, or run too late if dispatched first.
    if (const absl::Time start_by =
            d.at + FromProto(w->policy().start_deadline());
        d.run && !asked && w->policy().has_start_deadline() &&
        start_by <= now) {
      d.run = false;
      d.reason = absl::StrCat(kStartDeadlineReason,
                              "; recorded only after its start deadline, ",
                              Rfc3339(start_by));
      ++report->start_deadlines;
    }
    if (d.run) {
      std::vector<v1::Execution*> running;
      for (v1::Execution& o : round->open) {
        if (IsOpen(o.status())) running.push_back(&o);
      }
      for (v1::Execution& c : round->created) {
        if (IsOpen(c.status())) running.push_back(&c);
      }
      AP_RETURN_IF_ERROR(
          ApplyConcurrency(*w, e.id(), std::move(running), now, &d));
    }
    if (d.run) {
      AP_RETURN_IF_ERROR(MoveTo(&e, v1::EXECUTION_STATUS_PENDING));
      e.set_attempt(1);
      SetStartBy(w->policy(), asked ? now : d.at, &e);
      if (slots != nullptr) slots->Place(&e, *w, now);
      // A backfilled fire is asked for late, not handled late.
      if (d.cause != v1::EXECUTION_CAUSE_BACKFILL) {
        report->lateness.push_back(now - d.at);
      }
      ++report->recorded;
      ++count;
      round->maxed = max > 0 && count >= max;
    } else {
      AP_RETURN_IF_ERROR(MoveTo(&e, v1::EXECUTION_STATUS_SKIPPED));
      e.set_reason(d.reason);
      *e.mutable_finished_at() = ToProtoTimestamp(now);
      ++report->skipped;
    }
    if (!w->has_last_fired_at() || d.at > FromProto(w->last_fired_at())) {
      *w->mutable_last_fired_at() = ToProtoTimestamp(d.at);
    }
    round->created.push_back(std::move(e));
  }
  w->set_execution_count(count);
  return absl::OkStatus();
}

// The workflow will not fire again: say why.
void FiringEngine::Complete(bool maxed, absl::Time now, v1::Workflow* w) {
  v1::CompletionReason reason = v1::COMPLETION_REASON_MAX_EXECUTIONS;
  if (!maxed) {
    // Would there be another fire without expire_at?
    absl::StatusOr<Trigger> unbounded = Trigger::Create(
        w->trigger(), std::nullopt, std::nullopt, FromProto(w->created_at()));
    reason = w->has_expire_at() && unbounded.ok() && unbounded->Next(now)
                 ? v1::COMPLETION_REASON_EXPIRED
                 : v1::COMPLETION_REASON_NO_MORE_FIRES;
  }
  w->set_status(v1::WORKFLOW_STATUS_COMPLETED);
  w->set_completion_reason(reason);
  w->clear_next_fire_at();
  LogEvent(
      spdlog::level::info, "workflow_completed",
      {{"workflow", w->id()}, {"reason", v1::CompletionReason_Name(reason)}});
}

}  // namespace ap
