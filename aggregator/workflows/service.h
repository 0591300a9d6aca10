#ifndef AP_AGGREGATOR_WORKFLOWS_SERVICE_H_
#define AP_AGGREGATOR_WORKFLOWS_SERVICE_H_

// The user API's logic, without gRPC: workflows and their executions,
// scoped to the caller's owner (another owner's workflow is NOT_FOUND,
// exactly as a missing one), readers only read.
//
// Changes are written to the store first, then applied to the Scheduler,
// under the WorkflowStore's write mutex; the hooks run after that mutex is
// released (they may take it again). `on_change` runs after every
// change that may move the next fire (to wake the fire loop);
// `on_canceled` gets executions canceled by Cancel, Delete or REPLACE (for
// the dispatcher to tell operators to stop them). Thread-safe.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "aggregator/auth/caller.h"
#include "aggregator/schedule/firing.h"
#include "aggregator/schedule/scheduler.h"
#include "aggregator/workflows/validate.h"
#include "aggregator/records/workflow_store.h"
#include "ap/v1/aggregator.pb.h"
#include "common/clock.h"
#include "common/ulid.h"

namespace ap {

struct ServiceOptions {
  WorkflowLimits limits;
  // Workflows one owner may have (any status).
  int max_workflows_per_owner = 10000;
};

class WorkflowService {
 public:
  struct Hooks {
    std::function<void()> on_change;
    std::function<void(const std::vector<v1::Execution>&)> on_canceled;
  };

  WorkflowService(WorkflowStore* store, Scheduler* scheduler,
                  FiringEngine* engine, Clock* clock, ServiceOptions options,
                  Hooks hooks = {});

  absl::StatusOr<v1::Workflow> Create(const Caller& caller,
                                      v1::Workflow workflow);
  // See UpdateWorkflow in aggregator.proto.
  absl::StatusOr<v1::Workflow> Update(const Caller& caller,
                                      const v1::UpdateWorkflowRequest& request);
  absl::StatusOr<v1::Workflow> Get(const Caller& caller, absl::string_view id);
  absl::StatusOr<v1::ListWorkflowsResponse> List(
      const Caller& caller, const v1::ListWorkflowsRequest& request);
  absl::StatusOr<v1::Workflow> Pause(const Caller& caller,
                                     absl::string_view id);
  absl::StatusOr<v1::Workflow> Resume(const Caller& caller,
                                      absl::string_view id);
  absl::StatusOr<v1::Workflow> Cancel(const Caller& caller,
                                      absl::string_view id,
                                      absl::string_view reason);
  absl::Status Delete(const Caller& caller, absl::string_view id);
  absl::StatusOr<v1::Execution> Trigger(const Caller& caller,
                                        absl::string_view id);

  // See BackfillWorkflow in aggregator.proto.
  absl::StatusOr<v1::BackfillWorkflowResponse> Backfill(
      const Caller& caller, const v1::BackfillWorkflowRequest& request);

  absl::StatusOr<v1::ListExecutionsResponse> ListExecutions(
      const Caller& caller, const v1::ListExecutionsRequest& request);
  absl::StatusOr<v1::Execution> GetExecution(const Caller& caller,
                                             absl::string_view id);
  // The workflow's notifications waiting for delivery, oldest first.
  absl::StatusOr<v1::ListNotificationsResponse> ListNotifications(
      const Caller& caller, absl::string_view workflow_id);
  // See examine.h. `until` defaults to now, `since` to 24 h before until.
  absl::StatusOr<v1::ExamineWorkflowResponse> Examine(
      const Caller& caller, const v1::ExamineWorkflowRequest& request);

 private:
  // The changes themselves: each takes the store's write lock for its read
  // and write (…UnderLock), and runs no hook (the public calls run them
  // after the lock is released).
  absl::StatusOr<v1::Workflow> CreateUnderLock(const Caller& caller,
                                               v1::Workflow workflow);
  // Records the fires held back for it first (FiringEngine::FireHeld);
  // the executions those cancel (REPLACE) go into `canceled`.
  absl::StatusOr<v1::Workflow> PauseUnderLock(
      const Caller& caller, absl::string_view id,
      std::vector<v1::Execution>* canceled);
  absl::StatusOr<v1::Workflow> ResumeUnderLock(const Caller& caller,
                                               absl::string_view id);
  // Returns the executions that were open, marked CANCELED, to stop.
  absl::StatusOr<std::vector<v1::Execution>> DeleteUnderLock(
      const Caller& caller, absl::string_view id);

  // The caller's workflow, or NOT_FOUND.
  absl::StatusOr<v1::Workflow> Owned(const Caller& caller,
                                     absl::string_view id);
  // In one scan of the owner's workflows: ALREADY_EXISTS when one other
  // than `except_id` that is ACTIVE or PAUSED is named `name`; with
  // `count_quota`, RESOURCE_EXHAUSTED when the owner is at the limit.
  absl::Status CheckOwner(const std::string& owner, const std::string& name,
                          absl::string_view except_id, bool count_quota)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(store_->write_mutex());
  absl::StatusOr<v1::Workflow> UpdateUnderLock(
      const Caller& caller, const v1::UpdateWorkflowRequest& request);
  // Writes `after` over `before`.
  absl::Status Save(const v1::Workflow& before, const v1::Workflow& after)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(store_->write_mutex());
  void Changed();

  WorkflowStore* const store_;
  Scheduler* const scheduler_;
  FiringEngine* const engine_;
  Clock* const clock_;
  const ServiceOptions options_;
  const Hooks hooks_;
  UlidGenerator ids_;
};

}  // namespace ap

#endif  // AP_AGGREGATOR_WORKFLOWS_SERVICE_H_
