#ifndef AP_OPERATOR_RUN_STEP_RUNNER_H_
#define AP_OPERATOR_RUN_STEP_RUNNER_H_

// What runs one step of an execution: HTTP (http_runner.h), commands
// (command_runner.h). The step arrives with its templates already
// rendered. A runner never throws and always returns a result: failures
// are a FAILED or TIMED_OUT step with the error in words.

#include <atomic>
#include <cstddef>

#include "absl/time/time.h"
#include "ap/v1/workflow.pb.h"
#include "common/clock.h"

namespace ap {

struct StepContext {
  // The step must be over by then (its own timeout and the execution's
  // deadline, whichever is sooner).
  absl::Time deadline = absl::InfiniteFuture();
  // Set (and notified: a runner may wait on it) when the execution is
  // canceled; the runner stops soon after.
  const std::atomic<bool>* canceled = nullptr;
  // Output kept; the rest is cut and output_truncated set.
  size_t max_output_bytes = 64 * 1024;
  // The execution's own deadline (never before `deadline`): time spent
  // waiting before the step is sent (an open circuit) may move `deadline`
  // up to this, so that the wait does not eat the step's own timeout.
  absl::Time execution_deadline = absl::InfiniteFuture();
  // The clock the deadlines are on.
  Clock* clock = Clock::Real();
};

class StepRunner {
 public:
  virtual ~StepRunner() = default;
  // Fills status, output, error and the step-specific fields (not step_id
  // or times, which the executor sets).
  virtual v1::StepResult Run(const v1::Step& step, const StepContext& ctx) = 0;
};

// Appends `data` to `out` without letting it grow past `max`; sets
// `*truncated` when something was cut.
void AppendBounded(const char* data, size_t n, size_t max, std::string* out,
                   bool* truncated);

}  // namespace ap

#endif  // AP_OPERATOR_RUN_STEP_RUNNER_H_
