#include "common/backoff/backoff.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace ap {

absl::Status BackoffOptions::Validate() const {
  if (initial <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("backoff initial delay must be positive, got ",
                     absl::FormatDuration(initial)));
  }
  if (!(multiplier >= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("backoff multiplier must be >= 1, got ", multiplier));
  }
  if (!(jitter >= 0.0 && jitter < 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("backoff jitter must be in [0, 1), got ", jitter));
  }
  if (max < initial) {
    return absl::InvalidArgumentError(
        absl::StrCat("backoff max delay (", absl::FormatDuration(max),
                     ") must not be below the initial delay (",
                     absl::FormatDuration(initial), ")"));
  }
  return absl::OkStatus();
}

Backoff::Backoff(BackoffOptions options, UniformSource uniform01)
    : options_(options),
      uniform01_(std::move(uniform01)),
      base_(options.initial) {
  if (!uniform01_) {
    uniform01_ = [gen = absl::BitGen()]() mutable {
      return absl::Uniform<double>(gen, 0.0, 1.0);
    };
  }
}

absl::Duration Backoff::NextAttemptDelay() {
  const double u = std::clamp(uniform01_(), 0.0, 1.0);
  const absl::Duration low = base_ * (1.0 - options_.jitter);
  const absl::Duration high =
      std::min(base_ * (1.0 + options_.jitter), options_.max);
  const absl::Duration delay = low + (high - low) * u;

  ++attempts_;
  // Once at the cap stay there; comparing first keeps base_ * multiplier
  // from ever growing without bound.
  base_ = base_ >= options_.max / options_.multiplier
              ? options_.max
              : base_ * options_.multiplier;
  return delay;
}

void Backoff::Reset() {
  base_ = options_.initial;
  attempts_ = 0;
}

}  // namespace ap
