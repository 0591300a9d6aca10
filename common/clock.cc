#include "common/clock.h"

#include <chrono>
#include <vector>

#include "absl/time/clock.h"

namespace ap {
namespace {

class RealClock final : public Clock {
 public:
  absl::Time TimeNow() override { return absl::Now(); }

  absl::Duration MonotonicNow() override {
    return absl::FromChrono(
        std::chrono::steady_clock::now().time_since_epoch());
  }

  void SleepUntil(absl::Time wakeup_time) override {
    absl::Duration left = wakeup_time - absl::Now();
    if (left > absl::ZeroDuration()) absl::SleepFor(left);
  }

  bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond,
                         absl::Time deadline) override
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return mu->AwaitWithDeadline(cond, deadline);
  }
};

}  // namespace

Clock* Clock::Real() {
  static Clock* const clock = new RealClock();
  return clock;
}

SimulatedClock::SimulatedClock(absl::Time start)
    : now_(start), monotonic_(absl::ZeroDuration()) {}

SimulatedClock::~SimulatedClock() {
  // Waiters outliving the clock would be a test bug; wake them rather than
  // leave them blocked forever.
  std::vector<Waiter> all;
  {
    absl::MutexLock l(&lock_);
    all = TakeDueWaiters(absl::InfiniteFuture());
  }
  Wake(all);
}

absl::Time SimulatedClock::TimeNow() {
  absl::MutexLock l(&lock_);
  return now_;
}

absl::Duration SimulatedClock::MonotonicNow() {
  absl::MutexLock l(&lock_);
  return monotonic_;
}

void SimulatedClock::SleepUntil(absl::Time wakeup_time) {
  absl::Mutex mu;
  absl::MutexLock l(&mu);
  static constexpr bool kNever = false;
  AwaitWithDeadline(&mu, absl::Condition(&kNever), wakeup_time);
}

bool SimulatedClock::AwaitWithDeadline(absl::Mutex* mu,
                                       const absl::Condition& cond,
                                       absl::Time deadline) {
  if (cond.Eval()) return true;
  bool woken = false;  // written only under *mu
  {
    absl::MutexLock l(&lock_);
    if (deadline <= now_) return false;
    waiters_.emplace(deadline, Waiter{mu, &woken});
  }
  struct Args {
    const absl::Condition* cond;
    const bool* woken;
  } args{&cond, &woken};
  mu->Await(absl::Condition(
      +[](Args* a) { return *a->woken || a->cond->Eval(); }, &args));
  if (!woken) {
    // cond came true first. Drop our entry; if a waker already took it, wait
    // for it to set `woken` so that it never writes to a dead stack frame.
    bool taken_by_waker = true;
    {
      absl::MutexLock l(&lock_);
      for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
        if (it->second.woken == &woken) {
          waiters_.erase(it);
          taken_by_waker = false;
          break;
        }
      }
    }
    if (taken_by_waker) mu->Await(absl::Condition(&woken));
  }
  return cond.Eval();
}

std::vector<SimulatedClock::Waiter> SimulatedClock::TakeDueWaiters(
    absl::Time now) {
  std::vector<Waiter> due;
  while (!waiters_.empty() && waiters_.begin()->first <= now) {
    due.push_back(waiters_.begin()->second);
    waiters_.erase(waiters_.begin());
  }
  return due;
}

// Called without lock_: a waiter holds its own mutex while it takes lock_,
// so taking them in the other order here could deadlock.
void SimulatedClock::Wake(const std::vector<Waiter>& waiters) {
  for (const Waiter& w : waiters) {
    absl::MutexLock l(w.mu);
    *w.woken = true;
  }
}

void SimulatedClock::AdvanceTime(absl::Duration d) {
  std::vector<Waiter> due;
  {
    absl::MutexLock l(&lock_);
    if (d > absl::ZeroDuration()) {
      now_ += d;
      monotonic_ += d;
    }
    due = TakeDueWaiters(now_);
  }
  Wake(due);
}

void SimulatedClock::SetTime(absl::Time t) {
  std::vector<Waiter> due;
  {
    absl::MutexLock l(&lock_);
    now_ = t;
    due = TakeDueWaiters(now_);
  }
  Wake(due);
}

absl::Time SimulatedClock::GetEarliestWakeupTime() {
  absl::MutexLock l(&lock_);
  return waiters_.empty() ? absl::InfiniteFuture() : waiters_.begin()->first;
}

int SimulatedClock::NumWaiters() {
  absl::MutexLock l(&lock_);
  return static_cast<int>(waiters_.size());
}

void SimulatedClock::BlockUntilWaiters(int n) {
  absl::MutexLock l(&lock_);
  auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_) {
    return static_cast<int>(waiters_.size()) >= n;
  };
  lock_.Await(absl::Condition(&enough));
}

}  // namespace ap
