#include "aggregator/cluster/leader_elector.h"

#include <algorithm>

#include "common/log/log.h"

namespace ap {
namespace {

// The shortest wait between turns, so that a flood of instant answers
// (a lease that has just run out, say) never spins.
constexpr absl::Duration kMinTurn = absl::Milliseconds(20);

}  // namespace

LeaderElector::LeaderElector(LeaseBackend* lease, Clock* clock,
                             ElectorOptions options, Hooks hooks)
    : lease_(lease),
      clock_(clock),
      options_(options),
      hooks_(std::move(hooks)) {}

LeaderElector::~LeaderElector() { Stop(); }

absl::Duration LeaderElector::Step() {
  const absl::Duration every = options_.ttl / 3;
  bool leading;
  int64_t epoch;
  {
    absl::MutexLock l(&mu_);
    leading = leading_;
    epoch = epoch_;
  }
  const absl::Duration sent = clock_->MonotonicNow();
  if (!leading) {
    absl::StatusOr<LeaseView> v = lease_->TryAcquire(options_.ttl);
    if (!v.ok()) {
      absl::MutexLock l(&mu_);
      if (last_error_ != v.status().ToString()) {
        last_error_ = v.status().ToString();
        LogEvent(spdlog::level::warn, "leader_lease_unreachable",
                 {{"error", last_error_}});
      }
      return every;
    }
    {
      absl::MutexLock l(&mu_);
      holder_ = v->remaining > absl::ZeroDuration() ? v->holder : "";
    }
    if (!v->acquired) {
      // Try again as the holder's lease runs out, if that is sooner.
      return std::clamp(v->remaining, kMinTurn, every);
    }
    bool stopping;
    {
      absl::MutexLock l(&mu_);
      stopping = stop_;
      if (!stopping) {
        leading_ = true;
        epoch_ = v->epoch;
        valid_until_ = sent + v->remaining - options_.margin;
        last_error_.clear();
        ++generation_;
        LogEvent(spdlog::level::info, "leader_elected", {{"epoch", v->epoch}});
        EmitLocked([this, e = v->epoch] {
          if (hooks_.elected) hooks_.elected(e);
        });
      }
    }
    if (stopping) {  // taken as Stop began: give it back at once
      (void)lease_->Release(v->epoch);
      return every;
    }
    DeliverUnlessAsync();
    return every;
  }
  absl::StatusOr<std::optional<absl::Duration>> renewed =
      lease_->Renew(epoch, options_.ttl);
  if (renewed.ok() && renewed->has_value()) {
    absl::MutexLock l(&mu_);
    if (leading_ && epoch_ == epoch) {
      valid_until_ = sent + **renewed - options_.margin;
      last_error_.clear();
      ++generation_;
    }
    return every;
  }
  if (renewed.ok()) {
    Depose(epoch, "the lease was lost: another aggregator holds it");
    return kMinTurn;
  }
  absl::Duration left;
  {
    absl::MutexLock l(&mu_);
    left = valid_until_ - clock_->MonotonicNow();
    if (last_error_ != renewed.status().ToString()) {
      last_error_ = renewed.status().ToString();
      LogEvent(spdlog::level::warn, "leader_lease_unconfirmed",
               {{"epoch", epoch},
                {"error", last_error_},
                {"left_ms", absl::ToInt64Milliseconds(left)}});
    }
  }
  if (left <= absl::ZeroDuration()) {
    Depose(epoch, "the lease could not be renewed in time: " +
                      renewed.status().ToString());
    return every;
  }
  // Try again soon, within what is left.
  return std::clamp(left / 2, kMinTurn, every);
}

absl::Duration LeaderElector::CheckDeadline() {
  int64_t epoch;
  {
    absl::MutexLock l(&mu_);
    if (!leading_) return absl::InfiniteDuration();
    const absl::Duration left = valid_until_ - clock_->MonotonicNow();
    if (left > absl::ZeroDuration()) return left;
    epoch = epoch_;
  }
  Depose(epoch, "the lease was not confirmed in time (renewals unanswered)");
  return absl::InfiniteDuration();
}

void LeaderElector::Depose(int64_t epoch, const std::string& why) {
  {
    absl::MutexLock l(&mu_);
    if (!leading_ || epoch_ != epoch) return;  // deposed already
    leading_ = false;
    ++generation_;
    LogEvent(spdlog::level::warn, "leader_deposed",
             {{"epoch", epoch}, {"why", why}});
    EmitLocked([this, epoch, why] {
      if (hooks_.deposed) hooks_.deposed(epoch, why);
    });
  }
  DeliverUnlessAsync();
}

void LeaderElector::EmitLocked(std::function<void()> hook) {
  pending_hooks_.push_back(std::move(hook));
}

void LeaderElector::DeliverUnlessAsync() {
  for (;;) {
    std::function<void()> hook;
    {
      absl::MutexLock l(&mu_);
      if (async_hooks_ || pending_hooks_.empty()) return;
      hook = std::move(pending_hooks_.front());
      pending_hooks_.pop_front();
    }
    hook();
  }
}

void LeaderElector::DeliverLoop() {
  for (;;) {
    std::function<void()> hook;
    {
      absl::MutexLock l(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return hooks_stop_ || !pending_hooks_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (pending_hooks_.empty()) return;  // stopped, all delivered
      hook = std::move(pending_hooks_.front());
      pending_hooks_.pop_front();
    }
    hook();
  }
}

void LeaderElector::Loop(absl::Duration (LeaderElector::*turn)()) {
  for (;;) {
    const absl::Duration wait = (this->*turn)();
    absl::MutexLock l(&mu_);
    const int64_t seen = generation_;
    auto woken = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stop_ || generation_ != seen;
    };
    // The watchdog also wakes when the deadline moves; the stepper only
    // for a stop (a change it made itself is no news to it).
    if (turn == &LeaderElector::CheckDeadline) {
      clock_->AwaitWithDeadline(&mu_, absl::Condition(&woken),
                                wait == absl::InfiniteDuration()
                                    ? absl::InfiniteFuture()
                                    : clock_->TimeNow() + wait);
    } else {
      clock_->AwaitWithDeadline(&mu_, absl::Condition(&stop_),
                                clock_->TimeNow() + wait);
    }
    if (stop_) return;
  }
}

void LeaderElector::Start() {
  {
    absl::MutexLock l(&mu_);
    if (stepper_.joinable()) return;
    stop_ = false;
    hooks_stop_ = false;
    async_hooks_ = true;
  }
  hooks_thread_ = std::thread([this] { DeliverLoop(); });
  stepper_ = std::thread([this] { Loop(&LeaderElector::Step); });
  watchdog_ = std::thread([this] { Loop(&LeaderElector::CheckDeadline); });
}

void LeaderElector::Stop() {
  {
    absl::MutexLock l(&mu_);
    stop_ = true;
    ++generation_;
  }
  if (stepper_.joinable()) stepper_.join();
  if (watchdog_.joinable()) watchdog_.join();
  int64_t epoch = 0;
  bool leading;
  {
    absl::MutexLock l(&mu_);
    leading = leading_;
    epoch = epoch_;
  }
  if (leading) Depose(epoch, "this aggregator is stopping");
  // The hooks thread delivers what is queued (the deposed above last),
  // then ends; from now on hooks run on the caller's thread.
  {
    absl::MutexLock l(&mu_);
    hooks_stop_ = true;
  }
  if (hooks_thread_.joinable()) hooks_thread_.join();
  {
    absl::MutexLock l(&mu_);
    async_hooks_ = false;
  }
  DeliverUnlessAsync();
  if (leading) {
    if (absl::Status s = lease_->Release(epoch); !s.ok()) {
      LogEvent(spdlog::level::warn, "leader_release_failed",
               {{"epoch", epoch}, {"error", s.ToString()}});
    }
  }
}

bool LeaderElector::leading() const {
  absl::MutexLock l(&mu_);
  return leading_;
}

std::string LeaderElector::holder() const {
  absl::MutexLock l(&mu_);
  return holder_;
}

int64_t LeaderElector::epoch() const {
  absl::MutexLock l(&mu_);
  return epoch_;
}

}  // namespace ap
