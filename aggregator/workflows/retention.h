#ifndef AP_AGGREGATOR_WORKFLOWS_RETENTION_H_
#define AP_AGGREGATOR_WORKFLOWS_RETENTION_H_

// Execution retention: per workflow, keeps at most `max_executions`
// executions and none scheduled longer than `max_age` ago, oldest removed
// first. Open executions (PENDING, DISPATCHED, RUNNING) are never removed.
// A sweep holds the write mutex one workflow at a time, so firing goes on
// in between. Thread-safe.

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "aggregator/records/workflow_store.h"
#include "common/clock.h"

namespace ap {

struct RetentionOptions {
  // 0 keeps any number.
  int64_t max_executions = 1000;
  // Zero keeps any age.
  absl::Duration max_age = absl::Hours(24 * 30);
};

class Retention {
 public:
  Retention(WorkflowStore* store, Clock* clock, RetentionOptions options)
      : store_(store), clock_(clock), options_(options) {}

  // Removes what the policy no longer keeps; returns how many executions.
  absl::StatusOr<size_t> Sweep();
  // The same for one workflow.
  absl::StatusOr<size_t> SweepWorkflow(absl::string_view workflow_id);

 private:
  WorkflowStore* const store_;
  Clock* const clock_;
  const RetentionOptions options_;
};

}  // namespace ap

#endif  // AP_AGGREGATOR_WORKFLOWS_RETENTION_H_
