#include "aggregator/dispatch/connect_limiter.h"

namespace ap {

absl::Duration ConnectLimiter::Admit(const std::string& operator_id) {
  const absl::Duration now = clock_->MonotonicNow();
  absl::MutexLock l(&mu_);
  std::deque<absl::Duration>& recent = recent_[operator_id];
  while (!recent.empty() && now - recent.front() >= window_) recent.pop_front();
  if (static_cast<int>(recent.size()) >= max_) {
    return recent.front() + window_ - now;
  }
  recent.push_back(now);
  return absl::ZeroDuration();
}

}  // namespace ap
