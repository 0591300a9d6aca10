#include "aggregator/dispatch/dispatch_loop.h"

#include <algorithm>
#include <utility>

namespace ap {

DispatchLoop::DispatchLoop(std::function<void()> round, Clock* clock,
                           absl::Duration min_gap)
    : round_(std::move(round)),
      clock_(clock != nullptr ? clock : Clock::Real()),
      min_gap_(min_gap) {}

DispatchLoop::~DispatchLoop() { Stop(); }

void DispatchLoop::Start() {
  absl::MutexLock l(&mu_);
  if (started_) return;
  started_ = true;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void DispatchLoop::Stop() {
  {
    absl::MutexLock l(&mu_);
    if (!started_) return;
    stop_ = true;
  }
  thread_.join();
  absl::MutexLock l(&mu_);
  started_ = false;
}

void DispatchLoop::Kick() {
  {
    absl::MutexLock l(&mu_);
    if (started_ && !stop_) {
      kicked_ = true;
      return;
    }
    ++rounds_;
  }
  round_();
}

uint64_t DispatchLoop::rounds() const {
  absl::MutexLock l(&mu_);
  return rounds_;
}

void DispatchLoop::Run() {
  absl::Time last_start = absl::InfinitePast();
  for (;;) {
    {
      absl::MutexLock l(&mu_);
      auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return kicked_ || stop_;
      };
      mu_.Await(absl::Condition(&woken));
      if (min_gap_ > absl::ZeroDuration()) {
        auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return stop_;
        };
        // Bounded by min_gap_ from now, should the wall clock step back.
        const absl::Time now = clock_->TimeNow();
        clock_->AwaitWithDeadline(
            &mu_, absl::Condition(&stopping),
            std::min(last_start + min_gap_, now + min_gap_));
      }
      if (stop_) return;
      kicked_ = false;
      ++rounds_;
    }
    last_start = clock_->TimeNow();
    round_();
  }
}

}  // namespace ap
