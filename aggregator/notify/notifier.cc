#include "aggregator/notify/notifier.h"

#include <algorithm>

#include "common/log/log.h"
#include "common/status.h"

namespace ap {
namespace {

// The thread looks again at least this often (a store error, a summary
// due), so nothing waits on a missed wake-up for long.
constexpr absl::Duration kMaxSleep = absl::Seconds(1);

}  // namespace

Notifier::Notifier(WorkflowStore* store, WebhookClient* client, Clock* clock,
                   OutboxOptions options,
                   NotificationOutbox::Observer observer)
    : store_(store),
      clock_(clock),
      outbox_(store, client, clock, options, std::move(observer)),
      recorder_(store, clock,
                [this](std::vector<store::v1::NotificationRecord> made) {
                  outbox_.Add(std::move(made));
                  Wake();
                }),
      failures_(clock, absl::Minutes(1)) {
  store_->SetWriteHook(&recorder_);
}

Notifier::~Notifier() {
  Stop();
  store_->SetWriteHook(nullptr);
}

absl::Status Notifier::Start() {
  recorder_.Forget();
  AP_RETURN_IF_ERROR(outbox_.Load());
  absl::MutexLock l(&mu_);
  if (thread_.joinable()) return absl::OkStatus();
  stop_ = false;
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void Notifier::Stop() {
  {
    absl::MutexLock l(&mu_);
    stop_ = true;
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void Notifier::Wake() {
  absl::MutexLock l(&mu_);
  woken_ = true;
}

absl::Status Notifier::RunOnce() {
  static const std::atomic<bool> kNever{false};
  return Pass(&kNever);
}

absl::Status Notifier::Pass(const std::atomic<bool>* cancel) {
  AP_RETURN_IF_ERROR(recorder_.RecordSummaries());
  return outbox_.DeliverDue(cancel).status();
}

void Notifier::Run() {
  while (true) {
    const absl::Status s = Pass(&stopping_);
    if (!s.ok()) {
      if (const LogRateLimiter::Decision d = failures_.Check("notify");
          d.log) {
        LogEvent(spdlog::level::err, "notify_failed",
                 {{"error", s.ToString()}, {"suppressed", d.suppressed}});
      }
    }
    absl::Time wake_at = clock_->TimeNow() + kMaxSleep;
    if (std::optional<absl::Time> due = outbox_.NextDue()) {
      wake_at = std::min(wake_at, *due);
    }
    if (absl::StatusOr<std::optional<absl::Time>> summary =
            recorder_.NextSummary();
        summary.ok() && summary->has_value()) {
      wake_at = std::min(wake_at, **summary);
    }
    absl::MutexLock l(&mu_);
    auto stop_or_woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stop_ || woken_;
    };
    clock_->AwaitWithDeadline(&mu_, absl::Condition(&stop_or_woken), wake_at);
    if (stop_) return;
    woken_ = false;
  }
}

}  // namespace ap
