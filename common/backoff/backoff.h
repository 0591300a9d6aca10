#ifndef AP_COMMON_BACKOFF_BACKOFF_H_
#define AP_COMMON_BACKOFF_BACKOFF_H_

// Jittered exponential backoff as a small value class (after gRPC's
// src/core/util/backoff.h).
//
// The base delay starts at `initial` and is multiplied by `multiplier` after
// every attempt, up to `max`. Each returned delay is the base times a uniform
// factor in [1 - jitter, 1 + jitter], except that it never exceeds `max`: at
// the cap the delay is uniform in [max * (1 - jitter), max], so clients that
// all reached the cap still spread out instead of retrying in lockstep.
//
// Not thread-safe: one instance per retry loop.

#include <cstdint>

#include "absl/functional/any_invocable.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/time/time.h"

namespace ap {

struct BackoffOptions {
  absl::Duration initial = absl::Seconds(1);
  double multiplier = 2.0;
  // Fraction in [0, 1).
  double jitter = 0.2;
  absl::Duration max = absl::Seconds(30);

  // OK, or INVALID_ARGUMENT naming the bad option.
  absl::Status Validate() const;
};

class Backoff {
 public:
  // Returns a uniform double in [0, 1).
  using UniformSource = absl::AnyInvocable<double()>;

  // `options` must be valid (see Validate). With no source, draws from a
  // private absl::BitGen.
  explicit Backoff(BackoffOptions options, UniformSource uniform01 = nullptr);

  // The delay to wait before the next attempt; grows the base delay.
  absl::Duration NextAttemptDelay();
  // Back to the initial delay.
  void Reset();

  // Delays handed out since construction or the last Reset.
  int64_t attempts() const { return attempts_; }
  // The un-jittered delay the next call starts from.
  absl::Duration base_delay() const { return base_; }
  const BackoffOptions& options() const { return options_; }

 private:
  BackoffOptions options_;
  UniformSource uniform01_;
  absl::Duration base_;
  int64_t attempts_ = 0;
};

}  // namespace ap

#endif  // AP_COMMON_BACKOFF_BACKOFF_H_
