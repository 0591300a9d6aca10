#ifndef AP_AGGREGATOR_NOTIFY_PLANNER_H_
#define AP_AGGREGATOR_NOTIFY_PLANNER_H_

// Which notifications a recorded outcome makes, and when held ones are
// summed up: pure functions of the workflow, what its notifications
// remember (NotifyStateRecord) and the time.
//
// Events: an execution finishing FAILED or TIMED_OUT (its retries spent:
// a retry is not a finish) is `failed`; a fire recorded SKIPPED (misfire
// or concurrency policy, start deadline; not one past max_executions) is
// `missed`; a SUCCEEDED one after a failed or missed one is `recovered`.
// CANCELED is none.
//
// Rate limit, per target: an event to a target outside its quiet period
// is sent at once and starts a quiet period of policy.notify_interval;
// events inside it are held (counted, the latest kept) and sent as one
// summary when it ends, which starts the next. A workflow failing every
// second thus sends one notification, then one summary per interval, and
// its recovery.
//
// Notification ids are derived from what they are about (the execution
// and target, or the target and the quiet period's end), so the same
// event never makes two different ids.

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ap/store/v1/records.pb.h"
#include "ap/v1/workflow.pb.h"

namespace ap {

inline constexpr absl::Duration kDefaultNotifyInterval = absl::Minutes(5);

// The event `e` finishing is (UNSPECIFIED: none), given whether the
// workflow was troubled before.
v1::NotifyEvent EventOf(const v1::Execution& e, bool troubled);

// The notifications `e` finishing makes for `workflow`, updating `state`.
absl::StatusOr<std::vector<store::v1::NotificationRecord>> PlanFinished(
    const v1::Workflow& workflow, const v1::Execution& e, absl::Time now,
    store::v1::NotifyStateRecord* state);

// The summaries whose quiet period ended by `now`, updating `state`.
absl::StatusOr<std::vector<store::v1::NotificationRecord>> PlanSummaries(
    const v1::Workflow& workflow, absl::Time now,
    store::v1::NotifyStateRecord* state);

// When PlanSummaries next has one to make (nullopt: nothing is held).
std::optional<absl::Time> NextSummary(const store::v1::NotifyStateRecord& state);

}  // namespace ap

#endif  // AP_AGGREGATOR_NOTIFY_PLANNER_H_
