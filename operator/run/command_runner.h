#ifndef AP_OPERATOR_RUN_COMMAND_RUNNER_H_
#define AP_OPERATOR_RUN_COMMAND_RUNNER_H_

// Command steps: only programs on the operator's allow-list (absolute
// paths, compared exactly with argv[0]), run directly (no shell) in their
// own process group, with a small fixed environment (PATH, HOME=/tmp, LANG)
// plus the step's env. Killed (the whole group, SIGKILL) at the timeout or
// on cancel. stdout is the output; on failure the end of stderr is in the
// error. Thread-safe.

#include <string>
#include <vector>

#include "operator/run/step_runner.h"

namespace ap {

class CommandRunner : public StepRunner {
 public:
  explicit CommandRunner(std::vector<std::string> allowed)
      : allowed_(std::move(allowed)) {}
  v1::StepResult Run(const v1::Step& step, const StepContext& ctx) override;

 private:
  const std::vector<std::string> allowed_;
};

}  // namespace ap

#endif  // AP_OPERATOR_RUN_COMMAND_RUNNER_H_
