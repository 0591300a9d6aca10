#include "aggregator/schedule/fire_loop.h"

#include <algorithm>

#include "common/log/log.h"

namespace ap {
namespace {

// Without anything armed, look again this often anyway.
constexpr absl::Duration kIdleWait = absl::Minutes(1);

}  // namespace

FireLoop::FireLoop(FiringEngine* engine, Scheduler* scheduler, Clock* clock,
                   std::function<void(const FireReport&)> after_round,
                   absl::Duration min_round_gap)
    : engine_(engine),
      scheduler_(scheduler),
      clock_(clock),
      after_round_(std::move(after_round)),
      min_round_gap_(min_round_gap),
      failures_(clock, absl::Minutes(1)) {}

FireLoop::~FireLoop() { Stop(); }

void FireLoop::Start() {
  absl::MutexLock l(&mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void FireLoop::Stop() {
  {
    absl::MutexLock l(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void FireLoop::Wake() {
  absl::MutexLock l(&mu_);
  woken_ = true;
}

bool FireLoop::running() const {
  absl::MutexLock l(&mu_);
  return thread_.joinable() && !stop_;
}

int64_t FireLoop::fires() const {
  absl::MutexLock l(&mu_);
  return fires_;
}

void FireLoop::Run() {
  Backoff backoff({absl::Milliseconds(100), 2.0, 0.2, absl::Seconds(5)});
  bool failing = false;
  while (true) {
    {
      absl::MutexLock l(&mu_);
      woken_ = false;  // this round reads the next fire time afresh
    }
    const absl::Time round_start = clock_->TimeNow();
    absl::StatusOr<FireReport> report = engine_->FireDue();
    absl::Time wake_at;
    if (!report.ok()) {
      const LogRateLimiter::Decision d = failures_.Check("fire_round_failed");
      if (d.log) {
        LogEvent(spdlog::level::err, "fire_round_failed",
                 {{"error", report.status().ToString()},
                  {"suppressed", d.suppressed}});
      }
      failing = true;
      wake_at = clock_->TimeNow() + backoff.NextAttemptDelay();
    } else {
      if (failing) {
        LogEvent(spdlog::level::info, "fire_round_recovered");
        failures_.Forget("fire_round_failed");
        failing = false;
      }
      backoff.Reset();
      const size_t handled = report->recorded + report->skipped;
      {
        absl::MutexLock l(&mu_);
        fires_ += static_cast<int64_t>(handled);
      }
      if (handled > 0 && after_round_) after_round_(*report);
      if (report->skipped > 0) {
        LogEvent(spdlog::level::info, "fires_skipped",
                 {{"count", report->skipped}});
      }
      const std::optional<absl::Time> next = scheduler_->NextFireTime();
      wake_at = std::min(next.value_or(absl::InfiniteFuture()),
                         clock_->TimeNow() + kIdleWait);
    }
    // A full round left fires due: the next one starts at once. Should the
    // clock have stepped back during the round, the gap counts from now.
    const absl::Time started = std::min(round_start, clock_->TimeNow());
    const absl::Time gap_end =
        report.ok() && report->full ? started : started + min_round_gap_;
    absl::MutexLock l(&mu_);
    if (stop_) return;
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return woken_ || stop_;
    };
    clock_->AwaitWithDeadline(&mu_, absl::Condition(&ready),
                              std::max(wake_at, gap_end));
    // A Wake() within the gap re-reads the next fire time, no earlier.
    clock_->AwaitWithDeadline(&mu_, absl::Condition(&stop_), gap_end);
    if (stop_) return;
  }
}

}  // namespace ap
