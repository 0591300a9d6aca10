#include "aggregator/dispatch/dispatch_loop.h"

#include <utility>

namespace ap {

DispatchLoop::DispatchLoop(std::function<void()> round)
    : round_(std::move(round)) {}

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
  for (;;) {
    {
      absl::MutexLock l(&mu_);
      auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return kicked_ || stop_;
      };
      mu_.Await(absl::Condition(&woken));
      if (stop_) return;
      kicked_ = false;
      ++rounds_;
    }
    round_();
  }
}

}  // namespace ap
