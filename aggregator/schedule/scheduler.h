#ifndef AP_AGGREGATOR_SCHEDULE_SCHEDULER_H_
#define AP_AGGREGATOR_SCHEDULE_SCHEDULER_H_

// The scheduler core: every known workflow's trigger, and the next fire of
// every active one in a timer queue. Pure computation, no I/O and no
// clock: callers pass `now`, so tests drive it with a fake clock.
//
// TakeDue pops what is due, oldest first, and re-arms each workflow at its
// following fire, which it returns with the fire, so that the caller can
// persist the execution and the new next_fire_at in one batch. If that
// write fails, Rearm puts the fire back.
//
// Thread-safe.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "aggregator/schedule/timer_queue.h"
#include "aggregator/schedule/trigger.h"

namespace ap {

class Scheduler {
 public:
  struct Fire {
    std::string workflow_id;
    absl::Time scheduled_at;
    v1::ExecutionCause cause;
    // The workflow's following fire; nullopt when it has none left.
    std::optional<absl::Time> next;
  };

  // Adds or replaces a workflow, armed at its trigger's first fire after
  // `after` (unless paused). Returns that fire time, or nullopt when the
  // trigger has none (the workflow is kept but not armed).
  std::optional<absl::Time> Upsert(absl::string_view id, Trigger trigger,
                                   absl::Time after, bool paused = false);
  // Arms a known workflow at an explicit time (e.g. next_fire_at read back
  // from the store). False if unknown.
  bool Rearm(absl::string_view id, absl::Time at);
  bool Remove(absl::string_view id);

  // A paused workflow keeps its trigger but never fires.
  bool Pause(absl::string_view id);
  // Re-arms at the first fire after `after`; returns it (nullopt if none,
  // or if the workflow is unknown).
  std::optional<absl::Time> Resume(absl::string_view id, absl::Time after);

  // Pops up to `max` fires due at or before `now`, oldest first.
  std::vector<Fire> TakeDue(absl::Time now, size_t max);
  // What TakeDue would start with, without taking anything: up to `max`
  // workflows armed at or before `now` and the time each is armed at,
  // earliest first.
  std::vector<std::pair<std::string, absl::Time>> PeekDue(absl::Time now,
                                                          size_t max) const;

  // The earliest armed fire time.
  std::optional<absl::Time> NextFireTime() const;
  std::optional<absl::Time> NextFireTime(absl::string_view id) const;
  // The trigger's fires in (after, until], for misfire handling and
  // examine; at most `max`.
  std::vector<absl::Time> FiresBetween(absl::string_view id, absl::Time after,
                                       absl::Time until, size_t max) const;

  size_t size() const;   // known workflows
  size_t armed() const;  // workflows waiting to fire
  // Armed workflows whose fire is due by `now` and not taken yet.
  size_t DueCount(absl::Time now) const;

 private:
  struct Entry {
    Trigger trigger;
    bool paused = false;
  };

  mutable absl::Mutex mu_;
  // TimerQueue is const-incorrect on Find; guarded lookups go through it.
  mutable TimerQueue<Entry> queue_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ap

#endif  // AP_AGGREGATOR_SCHEDULE_SCHEDULER_H_
