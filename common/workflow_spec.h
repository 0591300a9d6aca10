#ifndef AP_COMMON_WORKFLOW_SPEC_H_
#define AP_COMMON_WORKFLOW_SPEC_H_

// The fields of a workflow its user writes (the spec: name, labels,
// trigger, start_at, expire_at, max_executions, policy, steps, notify),
// apart from those the aggregator fills in. UpdateWorkflow replaces them
// and `apctl diff` compares them: one list, so a new spec field cannot be
// left out of either.

#include "ap/v1/workflow.pb.h"

namespace ap {

// Replaces `to`'s spec fields with `from`'s; the others stay.
void CopyWorkflowSpec(const v1::Workflow& from, v1::Workflow* to);

}  // namespace ap

#endif  // AP_COMMON_WORKFLOW_SPEC_H_
