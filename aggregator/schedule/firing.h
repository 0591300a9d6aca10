#ifndef AP_AGGREGATOR_SCHEDULE_FIRING_H_
#define AP_AGGREGATOR_SCHEDULE_FIRING_H_

// The firing engine: turns due fires into durable executions.
//
// FireDue() takes everything due from the Scheduler and, per workflow, in
// one atomic write with every other workflow of the round:
//   - records each due fire as an Execution (PENDING, or SKIPPED with the
//     reason), its id derived from (workflow, scheduled time), never
//     overwriting one that exists (looked up only for times at or before
//     last_fired_at: every execution is recorded here, and last_fired_at,
//     which never moves back, covers it in the same write);
//   - applies the misfire policy to fires later than misfire_threshold
//     (downtime): SKIP, RUN_ONCE (latest within the catch-up window) or
//     RUN_ALL (all within it), recording the others as SKIPPED;
//   - applies the concurrency policy: FORBID skips while an execution is
//     open, REPLACE cancels the open ones first;
//   - completes the workflow at max_executions, expire_at or when its
//     trigger has no fire left;
//   - stores the new last_fired_at, next_fire_at and execution_count.
// Only after the write succeeds is the Scheduler re-armed; if it fails the
// fires go back into the Scheduler and are tried again, so a fire is
// neither lost nor recorded twice, across restarts too (Recover re-arms
// every workflow at its stored next_fire_at).
//
// With a Placer (PlaceWith), FireDue() reserves room on operators first and
// records as many new executions as fit DISPATCHED to them instead of
// PENDING, in the same write; the Placer then sends them (placer.h).
//
// Thread-safe: holds the WorkflowStore's write mutex for each round, after
// computing what it can without it (Prepare).

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "aggregator/schedule/placer.h"
#include "aggregator/schedule/scheduler.h"
#include "aggregator/records/workflow_store.h"
#include "common/clock.h"

namespace ap {

struct FiringOptions {
  // A fire handled more than this after its time counts as missed and
  // follows the workflow's misfire policy.
  absl::Duration misfire_threshold = absl::Minutes(1);
  // Fires taken from the Scheduler per round (one write each round).
  size_t max_batch = 512;
  // Missed fires of one workflow recorded one by one; older ones are
  // counted on the oldest record's reason.
  size_t max_missed_records = 1000;
  // While this many executions are PENDING, FireDue() records nothing:
  // due fires stay in the Scheduler and are recorded once operators have
  // taken some, one per workflow and round, oldest first (0: no bound).
  // Under overload the queue of records stays bounded and a fire held
  // back costs nothing until it is recorded. A fire held back is late, not
  // missed: the misfire policy counts only how late it already was when
  // holding began.
  size_t max_pending = 0;
};

// What one round did, for logs, metrics and tests.
struct FireReport {
  size_t recorded = 0;   // executions written to run (PENDING or placed)
  size_t skipped = 0;    // SKIPPED executions written
  // Of them, fires recorded only after their start deadline.
  size_t start_deadlines = 0;
  size_t completed = 0;  // workflows completed
  // Executions canceled by REPLACE (their operators must be told).
  std::vector<v1::Execution> canceled;
  // Fire lateness (handled time - scheduled time) of each one to run.
  std::vector<absl::Duration> lateness;
  // Those of them written DISPATCHED into reserved room (see Placer).
  std::vector<PlacedExecution> placed;
  // The round took max_batch fires: more may be due already.
  bool full = false;
  // Fires were due and left in the Scheduler (max_pending).
  bool held = false;
};

class FiringEngine {
 public:
  FiringEngine(WorkflowStore* store, Scheduler* scheduler, Clock* clock,
               FiringOptions options = {});

  // Loads every stored workflow into the Scheduler: ACTIVE ones armed at
  // their next_fire_at, PAUSED ones known but unarmed. Returns how many.
  // Fires found due are late by however long they were down or led
  // elsewhere: nothing counts as held back by this engine before it.
  absl::StatusOr<size_t> Recover();

  // Places new executions through `placer` from the next round on (call
  // before rounds start; null: none placed, all PENDING).
  void PlaceWith(Placer* placer) { placer_ = placer; }

  // One workflow's round computed ahead (see Prepare).
  struct Prepared {
    std::shared_ptr<const v1::Workflow> from;  // the record it was made from
    absl::Time scheduled_at;                   // the fire it starts with
    WorkflowBatch batch;
    FireReport report;
    std::optional<absl::Time> next;
  };
  using PreparedRound = absl::flat_hash_map<std::string, Prepared>;

  // Handles every fire due now (at most max_batch workflows per call):
  // reserves room for them (with a Placer), FireDue(now, Prepare(now)),
  // then has the Placer deliver what was placed. Records nothing (held)
  // while max_pending executions are PENDING.
  absl::StatusOr<FireReport> FireDue();
  // Records the fires of one workflow that are due now and not recorded
  // yet (held back, see max_pending), whatever the queue: pausing it must
  // not drop them. Nothing when none is due. The caller holds the store's
  // write mutex (checked).
  absl::Status FireHeld(absl::string_view workflow_id, FireReport* report);
  // Computes the round of each ALLOW workflow due by `now` from its cached
  // record, without the store's write lock: the costly part of a round
  // (decisions, new records, serialization), so that dispatch and report
  // commits can write meanwhile. Nothing is changed. Empty when the store
  // does not cache workflows.
  // New executions go into `slots` while they last.
  PreparedRound Prepare(absl::Time now, Slots* slots = nullptr);
  // Takes the due fires and writes the round under the write lock. A
  // prepared workflow's work is used only if its record is still the very
  // one it was made from (records are immutable once cached: a change makes
  // a new one) and the fire is the same; every other workflow is handled
  // there, as if nothing had been prepared.
  absl::StatusOr<FireReport> FireDue(absl::Time now, PreparedRound prepared,
                                     Slots* slots = nullptr);

  // Records a MANUAL execution of an ACTIVE or PAUSED workflow now, under
  // the same concurrency and max_executions rules, except that FORBID while
  // one is open records nothing: FAILED_PRECONDITION naming the open one.
  // FAILED_PRECONDITION for a completed or canceled workflow, NOT_FOUND if
  // there is none.
  absl::StatusOr<v1::Execution> FireNow(absl::string_view workflow_id,
                                        FireReport* report);

  // Records BACKFILL executions of an ACTIVE or PAUSED workflow for its
  // trigger's fires in [from, to] (jitter applied; start_at and expire_at
  // not: a backfill is asked for), oldest first, leaving alone the fires
  // recorded already (their ids are listed in `existing`). As FireNow:
  // max_executions counts, and under FORBID or REPLACE a backfill that
  // would run two at once records nothing (FAILED_PRECONDITION).
  // INVALID_ARGUMENT past kMaxBackfill fires in the window;
  // FAILED_PRECONDITION for a manual trigger. With `dry_run`, writes
  // nothing and returns what it would record.
  static constexpr size_t kMaxBackfill = 1000;
  struct Backfilled {
    std::vector<v1::Execution> recorded;
    std::vector<std::string> existing;
  };
  absl::StatusOr<Backfilled> Backfill(absl::string_view workflow_id,
                                      absl::Time from, absl::Time to,
                                      bool dry_run, FireReport* report);

 private:
  struct Decision;
  // One workflow's round: its stored open executions (REPLACE may cancel
  // them) and the executions created so far.
  struct Round {
    std::vector<v1::Execution> open;
    std::vector<v1::Execution> created;
    bool maxed;  // max_executions reached
  };

  // Plans one workflow's due fires into `batch`; returns its next fire
  // after `now`, or nullopt when it should leave the Scheduler.
  // With `one_fire` (fires are being held back) only its oldest due fire,
  // unless that is missed: held fires come out oldest first across all
  // workflows, a round's worth at a time.
  absl::StatusOr<std::optional<absl::Time>> HandleWorkflow(
      const Scheduler::Fire& fire, absl::Time now,
      const std::shared_ptr<const v1::Workflow>& stored, bool one_fire,
      Slots* slots, WorkflowBatch* batch, FireReport* report);
  PreparedRound Prepare(
      absl::Time now,
      const std::vector<std::pair<std::string, absl::Time>>& due, Slots* slots);
  // `slots` (optional) takes executions to run while it has room.
  absl::Status Record(std::vector<Decision> decisions, absl::Time now,
                      Slots* slots, v1::Workflow* workflow, Round* round,
                      FireReport* report);
  // Writes the round a person asked for (FireNow, Backfill) with the
  // workflow, completing it when max_executions is reached.
  absl::Status WriteAskedRound(const v1::Workflow& before, v1::Workflow after,
                               const std::vector<v1::Execution>& open_before,
                               Round& round, absl::Time now,
                               FireReport* report)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(store_->write_mutex());
  static void WriteRound(const std::vector<v1::Execution>& open_before,
                         Round& round, WorkflowBatch* batch,
                         FireReport* report);
  static absl::Status ApplyConcurrency(const v1::Workflow& workflow,
                               const std::string& new_id,
                               std::vector<v1::Execution*> running,
                               absl::Time now, Decision* d);
  static void Complete(bool maxed, absl::Time now, v1::Workflow* workflow);
  // Whether due fires are to be held back now (max_pending); notes when
  // holding began.
  bool HoldBack(absl::Time now);
  // Whether fires are being held back (since held_since_).
  bool Holding() const;
  // The time up to which a fire's lateness counts as missed: now, or when
  // fires began to be held back if they still are.
  absl::Time MissedBy(absl::Time now) const;
  // What to record for `fire` and the workflow's later fires due by now
  // (only the first with `one_fire`, unless missed); `through`: the last
  // fire time handled.
  std::vector<Decision> Decide(const v1::Workflow& workflow,
                               const Trigger& trigger,
                               const Scheduler::Fire& fire, absl::Time now,
                               bool one_fire, absl::Time* through);

  WorkflowStore* const store_;
  Scheduler* const scheduler_;
  Clock* const clock_;
  const FiringOptions options_;
  Placer* placer_ = nullptr;
  mutable absl::Mutex held_mu_;
  // Since when due fires have been held back without a break; reset once
  // a round takes everything due.
  std::optional<absl::Time> held_since_ ABSL_GUARDED_BY(held_mu_);
};

}  // namespace ap

#endif  // AP_AGGREGATOR_SCHEDULE_FIRING_H_
