#ifndef AP_AGGREGATOR_WORKFLOWS_EXAMINE_H_
#define AP_AGGREGATOR_WORKFLOWS_EXAMINE_H_

// ExamineWorkflow: the fires a workflow's trigger names in a window, beside
// the executions that exist, with a diagnosis for each fire (why it did or
// did not succeed), the executions no fire explains (manual ones), the next
// fires, and a summary in words. Secrets in the workflow are redacted.

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "aggregator/records/workflow_store.h"
#include "ap/v1/aggregator.pb.h"

namespace ap {

// At most this many expected fires are examined; a longer window is cut at
// its end (the newest fires), which the summary says.
inline constexpr int kMaxExaminedFires = 1000;

absl::StatusOr<v1::ExamineWorkflowResponse> ExamineWorkflow(
    WorkflowStore* store, const v1::Workflow& workflow, absl::Time since,
    absl::Time until, absl::Time now);

}  // namespace ap

#endif  // AP_AGGREGATOR_WORKFLOWS_EXAMINE_H_
