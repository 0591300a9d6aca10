#ifndef AP_OPERATOR_RUN_BREAKING_RUNNER_H_
#define AP_OPERATOR_RUN_BREAKING_RUNNER_H_

// HTTP steps behind a circuit breaker per target (circuit_breaker.h): a
// step to a target whose breaker is open fails at once with "circuit open"
// and never reaches the wrapped runner. A failure, for the breaker, is a
// step with no response (connection refused, DNS, TLS), a timeout, or a
// 5xx: the target is unwell. A 4xx or an unexpected 2xx/3xx is the
// workflow's problem, not the target's, and counts as success. A canceled
// step tells nothing either way. Thread-safe if the wrapped runner is.

#include "operator/run/circuit_breaker.h"
#include "operator/run/step_runner.h"

namespace ap {

class BreakingRunner : public StepRunner {
 public:
  BreakingRunner(StepRunner* http, CircuitBreakers* breakers)
      : http_(http), breakers_(breakers) {}
  v1::StepResult Run(const v1::Step& step, const StepContext& ctx) override;

 private:
  StepRunner* const http_;
  CircuitBreakers* const breakers_;
};

}  // namespace ap

#endif  // AP_OPERATOR_RUN_BREAKING_RUNNER_H_
