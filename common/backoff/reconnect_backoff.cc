#include "common/backoff/reconnect_backoff.h"

#include <utility>

namespace ap {

ReconnectBackoff::ReconnectBackoff(BackoffOptions options,
                                   absl::Duration healthy_threshold,
                                   Clock* clock,
                                   Backoff::UniformSource uniform01)
    : backoff_(options, std::move(uniform01)),
      healthy_threshold_(healthy_threshold),
      clock_(clock) {}

void ReconnectBackoff::MaybeResetAfterHealthy() {
  if (healthy_since_ &&
      clock_->MonotonicNow() - *healthy_since_ >= healthy_threshold_) {
    backoff_.Reset();
  }
}

absl::Duration ReconnectBackoff::OnFailure() {
  // A link that was healthy long enough earned a fresh start even if no
  // success was reported after the threshold passed.
  MaybeResetAfterHealthy();
  healthy_since_.reset();
  return backoff_.NextAttemptDelay();
}

void ReconnectBackoff::OnSuccess() {
  if (!healthy_since_) healthy_since_ = clock_->MonotonicNow();
  MaybeResetAfterHealthy();
}

void ReconnectBackoff::Reset() { backoff_.Reset(); }

}  // namespace ap
