#include "common/workflow_spec.h"

namespace ap {

void CopyWorkflowSpec(const v1::Workflow& from, v1::Workflow* to) {
  to->set_name(from.name());
  *to->mutable_labels() = from.labels();
  *to->mutable_trigger() = from.trigger();
  if (from.has_start_at()) {
    *to->mutable_start_at() = from.start_at();
  } else {
    to->clear_start_at();
  }
  if (from.has_expire_at()) {
    *to->mutable_expire_at() = from.expire_at();
  } else {
    to->clear_expire_at();
  }
  to->set_max_executions(from.max_executions());
  *to->mutable_policy() = from.policy();
  *to->mutable_steps() = from.steps();
  *to->mutable_notify() = from.notify();
}

}  // namespace ap
