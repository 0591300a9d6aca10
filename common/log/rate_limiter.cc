#include "common/log/rate_limiter.h"

namespace ap {

LogRateLimiter::LogRateLimiter(Clock* clock, absl::Duration window,
                               size_t max_keys)
    : clock_(clock), window_(window), max_keys_(max_keys < 1 ? 1 : max_keys) {}

LogRateLimiter::Decision LogRateLimiter::Check(absl::string_view key) {
  const absl::Duration now = clock_->MonotonicNow();
  absl::MutexLock l(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= max_keys_) EvictOldest();
    entries_.emplace(key, Entry{now, 0});
    return {true, 0};
  }
  Entry& e = it->second;
  if (now - e.last_logged < window_) {
    ++e.suppressed;
    return {false, 0};
  }
  Decision d{true, e.suppressed};
  e.last_logged = now;
  e.suppressed = 0;
  return d;
}

void LogRateLimiter::Forget(absl::string_view key) {
  absl::MutexLock l(&mu_);
  entries_.erase(key);
}

void LogRateLimiter::EvictOldest() {
  auto oldest = entries_.begin();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->second.last_logged < oldest->second.last_logged) oldest = it;
  }
  if (oldest != entries_.end()) entries_.erase(oldest);
}

}  // namespace ap
