#include "operator/run/running_reporter.h"

#include <algorithm>
#include <utility>

#include "common/log/log.h"

namespace ap {

void RunningReporter::Started(v1::ReportRequest running) {
  absl::MutexLock l(&mu_);
  queue_.push_back(std::move(running));
}

void RunningReporter::Finished(const std::string& execution_id, int attempt) {
  absl::MutexLock l(&mu_);
  // Usually near the back: the attempt started moments ago.
  for (auto it = queue_.rbegin(); it != queue_.rend(); ++it) {
    if (it->execution_id() == execution_id && it->attempt() == attempt) {
      queue_.erase(std::next(it).base());
      return;
    }
  }
}

bool RunningReporter::SendOnce() {
  std::vector<v1::ReportRequest> batch;
  {
    absl::MutexLock l(&mu_);
    const size_t n = std::min(queue_.size(), kMaxBatch);
    batch.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
  }
  if (batch.empty()) return false;
  BatchAnswer answers = send_(batch);
  if (!answers.ok() || answers->size() != batch.size()) {
    LogEvent(spdlog::level::debug, "running_not_reported",
             {{"reports", batch.size()},
              {"error", answers.ok() ? std::string("answers do not match")
                                     : answers.status().ToString()}});
    absl::MutexLock l(&mu_);
    ++dropped_;
    return true;
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    const absl::StatusOr<v1::ReportResponse>& a = (*answers)[i];
    if (a.ok() && a->result() == v1::REPORT_RESULT_STALE) {
      on_stale_(batch[i], a->detail());
    }
  }
  absl::MutexLock l(&mu_);
  sent_ += static_cast<int64_t>(batch.size());
  return true;
}

void RunningReporter::Run() {
  while (true) {
    {
      absl::MutexLock l(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stop_ || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (stop_) return;
    }
    SendOnce();
  }
}

void RunningReporter::Stop() {
  absl::MutexLock l(&mu_);
  stop_ = true;
}

int64_t RunningReporter::sent() const {
  absl::MutexLock l(&mu_);
  return sent_;
}

int64_t RunningReporter::dropped() const {
  absl::MutexLock l(&mu_);
  return dropped_;
}

}  // namespace ap
