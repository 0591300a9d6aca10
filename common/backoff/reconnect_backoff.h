#ifndef AP_COMMON_BACKOFF_RECONNECT_BACKOFF_H_
#define AP_COMMON_BACKOFF_RECONNECT_BACKOFF_H_

// Backoff for a link that comes and goes (an operator's connection to an
// aggregator).
//
// Failures back off exponentially with jitter. Success alone does not reset
// the backoff: only a link that has stayed healthy for `healthy_threshold`
// (on the monotonic clock) starts again from the initial delay. A link that
// flaps (up briefly, down again) therefore keeps backing off instead of
// hammering its peer.
//
// Not thread-safe: owned by one link loop.

#include <optional>

#include "absl/time/time.h"
#include "common/backoff/backoff.h"
#include "common/clock.h"

namespace ap {

class ReconnectBackoff {
 public:
  ReconnectBackoff(BackoffOptions options, absl::Duration healthy_threshold,
                   Clock* clock, Backoff::UniformSource uniform01 = nullptr);

  // The link failed: returns how long to wait before trying again.
  absl::Duration OnFailure();
  // The link works (call on every success, e.g. each good ping).
  void OnSuccess();
  // Forget past failures at once (e.g. the peer asked us to reconnect).
  void Reset();

  // Healthy since this monotonic time; nullopt while failing.
  std::optional<absl::Duration> healthy_since() const { return healthy_since_; }
  // Failures counted since the last reset.
  int64_t failures() const { return backoff_.attempts(); }

 private:
  // Resets the backoff if the link has been healthy for the threshold.
  void MaybeResetAfterHealthy();

  Backoff backoff_;
  absl::Duration healthy_threshold_;
  Clock* clock_;
  std::optional<absl::Duration> healthy_since_;
};

}  // namespace ap

#endif  // AP_COMMON_BACKOFF_RECONNECT_BACKOFF_H_
