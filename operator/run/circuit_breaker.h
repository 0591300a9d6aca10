#ifndef AP_OPERATOR_RUN_CIRCUIT_BREAKER_H_
#define AP_OPERATOR_RUN_CIRCUIT_BREAKER_H_

// One circuit breaker per HTTP target (host:port), so a dead endpoint
// costs one fast failure per step instead of a full timeout each:
//
//   closed     steps run; `failures` consecutive failures open it.
//   open       steps fail at once ("circuit open") until `cool_down` has
//              passed since it opened; then it is half-open.
//   half-open  one trial step runs (others fail fast meanwhile); success
//              closes the breaker, failure opens it for another cool-down.
//
// What counts as a failure is the caller's call (BreakingHttpRunner: no
// response, a timeout, or a 5xx). Time comes from the injected clock.
// Thread-safe.

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace ap {

struct CircuitBreakerOptions {
  int failures = 5;
  absl::Duration cool_down = absl::Seconds(30);
};

class CircuitBreakers {
 public:
  enum class State { kClosed = 0, kHalfOpen = 1, kOpen = 2 };

  CircuitBreakers(CircuitBreakerOptions options, Clock* clock)
      : options_(options), clock_(clock) {}

  // May a step to `target` run now? False: fail it fast. A true answer
  // must be followed by OnResult for the same target.
  bool Allow(const std::string& target);
  void OnResult(const std::string& target, bool success);
  // The step ended without telling anything about the target (canceled):
  // a half-open breaker lets the next step be its trial.
  void OnNoResult(const std::string& target);

  // After Allow said no: how long until it may say yes (the rest of the
  // cool-down; for a half-open breaker whose trial runs, unknown, so
  // `poll`).
  absl::Duration TrialIn(const std::string& target, absl::Duration poll) const;

  State state(const std::string& target) const;
  // Every target seen, with its state (for /metrics).
  std::vector<std::pair<std::string, State>> States() const;

 private:
  struct Breaker {
    State state = State::kClosed;
    int failures = 0;
    absl::Duration opened_at;  // monotonic
    bool trial_running = false;
  };
  // An open breaker whose cool-down is over is half-open.
  State StateOf(const Breaker& b) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const CircuitBreakerOptions options_;
  Clock* const clock_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Breaker> breakers_ ABSL_GUARDED_BY(mu_);
};

// "host:port" of an http(s) URL (the scheme's default port when none is
// given); empty when the URL has no host.
std::string TargetOf(const std::string& url);

}  // namespace ap

#endif  // AP_OPERATOR_RUN_CIRCUIT_BREAKER_H_
