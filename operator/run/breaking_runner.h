#ifndef AP_OPERATOR_RUN_BREAKING_RUNNER_H_
#define AP_OPERATOR_RUN_BREAKING_RUNNER_H_

// HTTP steps behind a circuit breaker per target (circuit_breaker.h): a
// step to a target whose breaker is open is not sent; it waits until the
// breaker lets a trial through, so that an open circuit does not spend
// one of the workflow's retries without a request. The wait counts against
// the execution's deadline, not the step's own timeout (which starts when
// the request is sent); a step whose execution deadline comes first fails
// with "circuit open ...; not sent", and a canceled one stops waiting at
// once (within kCancelPoll). A failure, for the breaker, is a
// step with no response (connection refused, DNS, TLS), a timeout, or a
// 5xx: the target is unwell. A 4xx or an unexpected 2xx/3xx is the
// workflow's problem, not the target's, and counts as success. A canceled
// step tells nothing either way. Thread-safe if the wrapped runner is.

#include "operator/run/circuit_breaker.h"
#include "operator/run/step_runner.h"

namespace ap {

class BreakingRunner : public StepRunner {
 public:
  // How often a waiting step looks for its cancellation.
  static constexpr absl::Duration kCancelPoll = absl::Milliseconds(250);

  BreakingRunner(StepRunner* http, CircuitBreakers* breakers, Clock* clock)
      : http_(http), breakers_(breakers), clock_(clock) {}
  v1::StepResult Run(const v1::Step& step, const StepContext& ctx) override;

 private:
  StepRunner* const http_;
  CircuitBreakers* const breakers_;
  Clock* const clock_;
};

}  // namespace ap

#endif  // AP_OPERATOR_RUN_BREAKING_RUNNER_H_
