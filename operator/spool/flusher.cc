#include "operator/spool/flusher.h"

#include "absl/strings/str_cat.h"
#include "common/log/log.h"

namespace ap {

Flusher::Flusher(Spool* spool, ReportFn report, Clock* clock,
                 BackoffOptions backoff)
    : spool_(spool),
      report_(std::move(report)),
      clock_(clock),
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

bool Flusher::FlushOnce() {
  while (true) {
    absl::StatusOr<std::vector<Spool::Entry>> batch = spool_->Oldest(64);
    if (!batch.ok()) {
      LogEvent(spdlog::level::err, "spool_read_failed",
               {{"error", batch.status().ToString()}});
      return false;
    }
    if (batch->empty()) return true;
    for (const Spool::Entry& e : *batch) {
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
          continue;
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
    }
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
