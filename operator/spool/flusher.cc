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

void Flusher::SetBatchReport(BatchReportFn report_batch) {
  report_batch_ = std::move(report_batch);
  absl::MutexLock l(&mu_);
  batches_ = report_batch_ != nullptr;
}

bool Flusher::Deliver(const Spool::Entry& e) {
  return Settle(e, report_(e.outcome));
}

bool Flusher::Settle(const Spool::Entry& e,
                     const absl::StatusOr<v1::ReportResponse>& answer) {
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

std::optional<bool> Flusher::DeliverBatch(
    const std::vector<Spool::Entry>& batch) {
  std::vector<v1::ReportRequest> reports;
  reports.reserve(batch.size());
  for (const Spool::Entry& e : batch) reports.push_back(e.outcome);
  const BatchAnswer answers = report_batch_(reports);
  if (!answers.ok()) {
    if (answers.status().code() != absl::StatusCode::kUnimplemented) {
      return false;
    }
    LogEvent(spdlog::level::info, "report_batch_unavailable",
             {{"error", answers.status().ToString()},
              {"instead", "one report per call"}});
    absl::MutexLock l(&mu_);
    batches_ = false;
    return std::nullopt;
  }
  if (answers->size() != batch.size()) {
    LogEvent(spdlog::level::err, "report_batch_answer_mismatch",
             {{"sent", batch.size()}, {"answers", answers->size()}});
    return false;
  }
  bool all = true;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!Settle(batch[i], (*answers)[i])) all = false;
  }
  return all;
}

bool Flusher::DeliverAll(const std::vector<Spool::Entry>& batch) {
  bool batches;
  {
    absl::MutexLock l(&mu_);
    batches = batches_;
  }
  if (batches) {
    if (std::optional<bool> done = DeliverBatch(batch)) return *done;
  }
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
