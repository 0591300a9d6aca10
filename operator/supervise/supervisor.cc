#include "operator/supervise/supervisor.h"

#include <exception>

#include "common/backoff/backoff.h"
#include "common/log/log.h"

namespace ap {

Supervisor::~Supervisor() { Stop(); }

void Supervisor::Add(std::string name, std::function<void()> run,
                     std::function<void()> stop) {
  auto loop = std::make_unique<Loop>();
  loop->name = std::move(name);
  loop->run = std::move(run);
  loop->stop = std::move(stop);
  Loop* raw = loop.get();
  {
    absl::MutexLock l(&mu_);
    loops_.push_back(std::move(loop));
  }
  raw->thread = std::thread([this, raw] { Supervise(raw); });
}

void Supervisor::Supervise(Loop* loop) {
  Backoff backoff({absl::Milliseconds(100), 2.0, 0.2, absl::Seconds(10)});
  while (true) {
    std::string why = "returned";
    try {
      loop->run();
    } catch (const std::exception& e) {
      why = std::string("threw: ") + e.what();
    } catch (...) {
      why = "threw a non-standard exception";
    }
    const absl::Time until = clock_->TimeNow() + backoff.NextAttemptDelay();
    absl::MutexLock l(&mu_);
    if (stopping_) return;
    ++loop->restarts;
    LogEvent(
        spdlog::level::err, "loop_restarted",
        {{"loop", loop->name}, {"restarts", loop->restarts}, {"reason", why}});
    auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_;
    };
    if (clock_->AwaitWithDeadline(&mu_, absl::Condition(&stopping), until)) {
      return;
    }
  }
}

void Supervisor::Stop() {
  {
    absl::MutexLock l(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  for (auto& loop : loops_) loop->stop();
  for (auto& loop : loops_) {
    if (loop->thread.joinable()) loop->thread.join();
  }
}

int64_t Supervisor::restarts(const std::string& name) const {
  absl::MutexLock l(&mu_);
  for (const auto& loop : loops_) {
    if (loop->name == name) return loop->restarts;
  }
  return 0;
}

}  // namespace ap
