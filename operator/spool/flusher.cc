#include "operator/spool/flusher.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"

namespace ap {

Flusher::Flusher(Spool* spool, ReportFn report, Clock* clock, int parallel,
                 BackoffOptions backoff)
    : spool_(spool),
      report_(std::move(report)),
      clock_(clock),
      parallel_(parallel),
      backoff_(backoff) {}

void Flusher::Stop() {
  absl::MutexLock l(&mu_);
  stop_ = true;
}

void Flusher::Wake() {
  absl::MutexLock l(&mu_);
  woken_ = true;
}

int64_t Flusher::reported() const {
  absl::MutexLock l(&mu_);
  return reported_;
}

bool Flusher::Deliver(const Spool::Entry& e) {
  absl::StatusOr<v1::ReportResponse> answer = report_(e.outcome);
  if (!answer.ok()) {
    if (answer.status().code() == absl::StatusCode::kInvalidArgument ||
        answer.status().code() == absl::StatusCode::kPermissionDenied) {
      // Retrying cannot help; keep the bytes, move on.
      LogEvent(spdlog::level::err, "outcome_rejected",
               {{"execution", e.outcome.execution_id()},
                {"attempt", e.outcome.attempt()},
                {"error", answer.status().ToString()},
                {"kept_in", spool_->dir()}});
      (void)spool_->SetAside(e.sequence, ".rejected");
      return true;
    }
    return false;
  }
  if (answer->result() == v1::REPORT_RESULT_UNSPECIFIED) return false;
  if (answer->result() != v1::REPORT_RESULT_ACCEPTED) {
    LogEvent(spdlog::level::info, "outcome_already_known",
             {{"execution", e.outcome.execution_id()},
              {"attempt", e.outcome.attempt()},
              {"result", v1::ReportResult_Name(answer->result())},
              {"detail", answer->detail()}});
  }
  if (absl::Status s = spool_->Remove(e.sequence); !s.ok()) {
    LogEvent(spdlog::level::err, "spool_remove_failed",
             {{"error", s.ToString()}});
    return false;
  }
  absl::MutexLock l(&mu_);
  ++reported_;
  return true;
}

bool Flusher::DeliverAll(const std::vector<Spool::Entry>& batch) {
  const int threads = std::min<int>(parallel_, static_cast<int>(batch.size()));
  if (threads <= 1) {
    for (const Spool::Entry& e : batch) {
      if (!Deliver(e)) return false;
    }
    return true;
  }
  // Oldest first, `threads` at a time; a failure stops new starts.
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (size_t i = next++; i < batch.size() && !failed; i = next++) {
        if (!Deliver(batch[i])) failed = true;
      }
    });
  }
  for (std::thread& w : workers) w.join();
  return !failed;
}

bool Flusher::FlushOnce() {
  while (true) {
    absl::StatusOr<std::vector<Spool::Entry>> batch = spool_->Oldest(64);
    if (!batch.ok()) {
      LogEvent(spdlog::level::err, "spool_read_failed",
               {{"error", batch.status().ToString()}});
      return false;
    }
    if (batch->empty()) return true;
    if (!DeliverAll(*batch)) return false;
  }
}

void Flusher::Run() {
  while (true) {
    {
      absl::MutexLock l(&mu_);
      if (stop_) return;
      woken_ = false;
    }
    const bool emptied = FlushOnce();
    absl::Time until = absl::InfiniteFuture();
    if (emptied) {
      backoff_.Reset();
      until = clock_->TimeNow() + absl::Seconds(5);  // a slow safety net
    } else {
      until = clock_->TimeNow() + backoff_.NextAttemptDelay();
    }
    absl::MutexLock l(&mu_);
    auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stop_ || woken_;
    };
    clock_->AwaitWithDeadline(&mu_, absl::Condition(&woken), until);
  }
}

}  // namespace ap
