#ifndef AP_OPERATOR_RUN_HTTP_RUNNER_H_
#define AP_OPERATOR_RUN_HTTP_RUNNER_H_

// HTTP steps through libcurl: method, URL (http and https only), headers,
// body, the timeout, the expected status codes (any 2xx when none are
// given). The response body is the step's output, cut to the configured
// size. Thread-safe: one curl handle per call.

#include "operator/run/step_runner.h"

namespace ap {

class HttpRunner : public StepRunner {
 public:
  HttpRunner();  // curl_global_init, once per process
  v1::StepResult Run(const v1::Step& step, const StepContext& ctx) override;
};

}  // namespace ap

#endif  // AP_OPERATOR_RUN_HTTP_RUNNER_H_
