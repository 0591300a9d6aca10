#ifndef AP_AGGREGATOR_WORKFLOWS_VALIDATE_H_
#define AP_AGGREGATOR_WORKFLOWS_VALIDATE_H_

// Validation and defaults of a workflow as a user submits it. Every error
// is INVALID_ARGUMENT and starts with the field's path, e.g.
// `steps[2].http.url: must start with http:// or https://`. Output-only
// fields are ignored (the service overwrites them).

#include <cstddef>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "ap/v1/workflow.pb.h"

namespace ap {

// What one workflow may hold (the proto documents each field's); beyond
// one, ValidateWorkflow answers INVALID_ARGUMENT naming the field.
struct WorkflowLimits {
  size_t max_name = 200;
  int max_labels = 64;
  size_t max_label_key = 63;
  size_t max_label_value = 256;
  int max_steps = 50;
  size_t max_url = 2048;
  int max_headers = 64;
  size_t max_header_value = 8192;
  size_t max_body = 64 * 1024;
  int max_argv = 256;
  size_t max_arg = 4096;
  int max_env = 64;
  absl::Duration max_step_timeout = absl::Hours(24);
  absl::Duration max_execution_timeout = absl::Hours(24);
  absl::Duration max_catchup_window = absl::Hours(24 * 7);
  int max_attempts = 100;
  absl::Duration max_jitter = absl::Hours(24);
  absl::Duration max_start_deadline = absl::Hours(24 * 7);
  int max_notify = 8;
  // A delivery in flight holds up the leader's stepping down this long.
  absl::Duration max_webhook_timeout = absl::Seconds(60);
};

absl::Status ValidateWorkflow(const v1::Workflow& workflow,
                              const WorkflowLimits& limits = {});

// Fills the documented defaults into unset policy and step fields, so a
// stored workflow says exactly how it behaves.
void ApplyDefaults(v1::Workflow* workflow);

}  // namespace ap

#endif  // AP_AGGREGATOR_WORKFLOWS_VALIDATE_H_
