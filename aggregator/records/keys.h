#ifndef AP_AGGREGATOR_RECORDS_KEYS_H_
#define AP_AGGREGATOR_RECORDS_KEYS_H_

// The aggregator's key schema: every key it writes is built here, so that
// docs/storage.md and the code cannot drift apart. All values are binary
// protobuf messages unless noted.
//
//   meta/schema_version                  text: the schema version ("1")
//   wf/<workflow>                        ap.v1.Workflow
//   wfo/<owner>/<workflow>               "" (a caller's workflows by age)
//   wfs/<owner>/<status:02>/<workflow>   "" (the same, by status)
//   ex/<workflow>/<execution>            ap.v1.Execution (by scheduled time)
//   open/<workflow>/<execution>          "" (executions not yet finished)
//   evt/<workflow>/<at:020>              text: the workflow's status from
//                                        then on (ACTIVE, PAUSED, ...)
//   ntf/<workflow>/<notification>        ap.store.v1.NotificationRecord
//                                        (to deliver)
//   nst/<workflow>                       ap.store.v1.NotifyStateRecord
//
// Workflow ids are ULIDs and owners match [A-Za-z0-9._-], so '/' never
// appears inside a component. An execution id is its workflow id, '-', and
// the scheduled time to the millisecond (`01J…-20260308T070000.000Z`): the
// same fire always gets the same id, and ids of one workflow sort by time.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ap/v1/workflow.pb.h"

namespace ap::keys {

inline constexpr char kWorkflowPrefix[] = "wf/";
inline constexpr char kOpenPrefix[] = "open/";
inline constexpr char kExecutionPrefix[] = "ex/";
inline constexpr char kStatusIndexPrefix[] = "wfs/";
inline constexpr char kNotificationPrefix[] = "ntf/";
inline constexpr char kNotifyStatePrefix[] = "nst/";

std::string Workflow(absl::string_view workflow_id);
std::string OwnerIndex(absl::string_view owner, absl::string_view workflow_id);
std::string OwnerPrefix(absl::string_view owner);
std::string StatusIndex(absl::string_view owner, v1::WorkflowStatus status,
                        absl::string_view workflow_id);
std::string StatusPrefix(absl::string_view owner, v1::WorkflowStatus status);
// The status inside a StatusIndex key; INVALID_ARGUMENT if malformed.
absl::StatusOr<v1::WorkflowStatus> StatusOfIndexKey(absl::string_view key);
std::string Execution(absl::string_view workflow_id,
                      absl::string_view execution_id);
std::string ExecutionPrefix(absl::string_view workflow_id);
std::string Open(absl::string_view workflow_id, absl::string_view execution_id);
std::string OpenPrefix(absl::string_view workflow_id);
std::string Event(absl::string_view workflow_id, absl::Time at);
std::string EventPrefix(absl::string_view workflow_id);
// The time inside an Event key.
absl::Time EventTime(absl::string_view key);

std::string Notification(absl::string_view workflow_id,
                         absl::string_view notification_id);
std::string NotifyState(absl::string_view workflow_id);

// The id of the execution of `workflow_id` scheduled at `scheduled_at`
// (truncated to the millisecond).
std::string ExecutionId(absl::string_view workflow_id, absl::Time scheduled_at);
// The workflow id inside an execution id; INVALID_ARGUMENT if malformed.
absl::StatusOr<std::string> WorkflowIdOf(absl::string_view execution_id);

// The last component of a key (the id after the final '/').
absl::string_view LastComponent(absl::string_view key);

}  // namespace ap::keys

#endif  // AP_AGGREGATOR_RECORDS_KEYS_H_
