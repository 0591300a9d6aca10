#ifndef AP_AGGREGATOR_SCHEDULE_TRIGGER_H_
#define AP_AGGREGATOR_SCHEDULE_TRIGGER_H_

// When a workflow fires: its ap.v1.Trigger (the union of several cron
// schedules, fixed times, an interval, or manual only), moved later by the
// workflow's jitter offset (common/cron/jitter.h) and bounded by its
// start_at and expire_at, which apply to the moved times. The one
// interface the scheduler uses.
//
// Built and validated from the proto once; errors are INVALID_ARGUMENT
// naming the field (`trigger.cron.schedules[1]: field 3 (day of month):
// ...`). Immutable and thread-compatible.

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ap/v1/workflow.pb.h"
#include "common/cron/schedule.h"

namespace ap {

inline constexpr int kMaxSchedules = 32;
inline constexpr int kMaxFixedTimes = 1000;
inline constexpr absl::Duration kMinInterval = absl::Seconds(1);

class Trigger {
 public:
  // `created_at` anchors an interval without start_at. start_at and
  // expire_at are optional (unset: unbounded).
  // Every fire is `offset` later than the trigger names.
  static absl::StatusOr<Trigger> Create(
      const v1::Trigger& trigger, std::optional<absl::Time> start_at,
      std::optional<absl::Time> expire_at, absl::Time created_at,
      absl::Duration offset = absl::ZeroDuration());
  // Reads trigger, start_at, expire_at and the jitter from the workflow;
  // `created_at` as above.
  static absl::StatusOr<Trigger> FromWorkflow(const v1::Workflow& workflow,
                                              absl::Time created_at);
  // The workflow's jitter offset (zero without policy.jitter).
  static absl::Duration OffsetOf(const v1::Workflow& workflow);

  // The first fire strictly after `after`, or nullopt when none remains
  // (manual triggers, every fixed time passed, or expire_at reached).
  std::optional<absl::Time> Next(absl::Time after) const;

  // The cause recorded on executions it fires: CRON, FIXED, INTERVAL or,
  // for manual triggers, MANUAL.
  v1::ExecutionCause cause() const { return cause_; }

 private:
  Trigger() = default;
  absl::Time NextUnbounded(absl::Time after) const;

  v1::ExecutionCause cause_ = v1::EXECUTION_CAUSE_UNSPECIFIED;
  std::vector<cron::Schedule> schedules_;  // cron and interval
  std::vector<absl::Time> fixed_times_;    // sorted, unique
  absl::Time anchor_;                      // interval grid origin
  absl::Duration offset_;                  // the jitter
  absl::Time start_ = absl::InfinitePast();
  absl::Time expire_ = absl::InfiniteFuture();
};

}  // namespace ap

#endif  // AP_AGGREGATOR_SCHEDULE_TRIGGER_H_
