#include "operator/run/executor.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/proto_time.h"

namespace ap {

Executor::Executor(ExecutorOptions options, Runners runners,
                   OutcomeFn on_outcome, StartFn on_start)
    : options_(options),
      runners_(runners),
      on_outcome_(std::move(on_outcome)),
      on_start_(std::move(on_start)) {
  for (int i = 0; i < std::max(1, options_.capacity); ++i) {
    workers_.emplace_back([this] { Work(); });
  }
}

Executor::~Executor() { Drain(absl::ZeroDuration()); }

std::string Executor::Key(const std::string& id, int attempt) {
  return absl::StrCat(id, "#", attempt);
}

Executor::Submitted Executor::Submit(const v1::Assignment& assignment) {
  const std::string key = Key(assignment.execution_id(), assignment.attempt());
  absl::MutexLock l(&mu_);
  if (draining_) return Submitted::kDraining;
  if (active_.contains(key) || done_.contains(key)) {
    return Submitted::kDuplicate;
  }
  auto job = std::make_shared<Job>();
  job->assignment = assignment;
  active_[key] = job;
  queue_.push_back(std::move(job));
  return Submitted::kQueued;
}

bool Executor::Cancel(const std::string& execution_id, int attempt,
                      const std::string& reason) {
  absl::MutexLock l(&mu_);
  auto it = active_.find(Key(execution_id, attempt));
  if (it == active_.end()) return false;
  it->second->cancel_reason = reason;
  it->second->canceled = true;
  it->second->canceled.notify_all();  // a runner may wait on it
  return true;
}

void Executor::Remember(const std::string& execution_id, int attempt) {
  absl::MutexLock l(&mu_);
  Finish(Key(execution_id, attempt));
}

void Executor::Finish(const std::string& key) {
  if (!done_.insert(key).second) return;
  done_order_.push_back(key);
  if (done_order_.size() > kRemembered) {
    done_.erase(done_order_.front());
    done_order_.pop_front();
  }
}

void Executor::Work() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      absl::MutexLock l(&mu_);
      mu_.Await(absl::Condition(
          +[](Executor* e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(e->mu_) {
            return e->stopped_ || !e->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // stopped, nothing left
      job = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    const v1::Assignment& a = job->assignment;
    if (on_start_ && !on_start_(a)) {
      absl::MutexLock l(&mu_);
      const std::string key = Key(a.execution_id(), a.attempt());
      active_.erase(key);
      Finish(key);
      --running_;
      continue;
    }
    v1::ReportRequest outcome;
    std::string error;
    try {
      outcome =
          RunExecution(a, runners_, options_.max_output_bytes, job->canceled);
    } catch (const std::exception& e) {
      error = e.what();
    } catch (...) {
      error = "a non-standard exception";
    }
    if (!error.empty()) {
      outcome = v1::ReportRequest();
      outcome.set_execution_id(a.execution_id());
      outcome.set_attempt(a.attempt());
      outcome.set_status(v1::EXECUTION_STATUS_FAILED);
      outcome.set_reason(absl::StrCat("operator error: ", error));
      *outcome.mutable_finished_at() =
          ToProtoTimestamp(runners_.clock->TimeNow());
    }
    if (job->canceled && outcome.status() == v1::EXECUTION_STATUS_CANCELED) {
      if (job->shutdown) {
        // Not the workflow's doing: FAILED, so its retry policy applies.
        outcome.set_status(v1::EXECUTION_STATUS_FAILED);
        outcome.set_reason(
            "operator shut down before it finished (grace period over)");
      } else if (!job->cancel_reason.empty()) {
        outcome.set_reason(job->cancel_reason);
      }
    }
    LogEvent(spdlog::level::info, "execution_done",
             {{"execution", a.execution_id()},
              {"attempt", a.attempt()},
              {"status", v1::ExecutionStatus_Name(outcome.status())}});
    on_outcome_(std::move(outcome));
    absl::MutexLock l(&mu_);
    const std::string key = Key(a.execution_id(), a.attempt());
    active_.erase(key);
    Finish(key);
    --running_;
  }
}

void Executor::Drain(absl::Duration grace) {
  std::deque<std::shared_ptr<Job>> unstarted;
  {
    absl::MutexLock l(&mu_);
    if (stopped_) return;
    draining_ = true;
    unstarted.swap(queue_);
    for (const auto& job : unstarted) {
      active_.erase(
          Key(job->assignment.execution_id(), job->assignment.attempt()));
    }
  }
  // Not started: hand them back for another operator at once.
  for (const auto& job : unstarted) {
    on_outcome_(
        HandBack(job->assignment, "operator shutting down before it started"));
  }
  {
    absl::MutexLock l(&mu_);
    auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return running_ == 0;
    };
    runners_.clock->AwaitWithDeadline(&mu_, absl::Condition(&idle),
                                      runners_.clock->TimeNow() + grace);
    for (auto& [key, job] : active_) {
      if (!job->canceled) {
        job->shutdown = true;
        job->canceled = true;
        job->canceled.notify_all();
      }
    }
    stopped_ = true;
  }
  for (std::thread& t : workers_) t.join();
  workers_.clear();
}

std::vector<v1::ExecutionRef> Executor::Active() const {
  absl::MutexLock l(&mu_);
  std::vector<v1::ExecutionRef> out;
  for (const auto& [key, job] : active_) {
    v1::ExecutionRef ref;
    ref.set_execution_id(job->assignment.execution_id());
    ref.set_attempt(job->assignment.attempt());
    out.push_back(std::move(ref));
  }
  return out;
}

int Executor::running() const {
  absl::MutexLock l(&mu_);
  return running_;
}

int Executor::queued() const {
  absl::MutexLock l(&mu_);
  return static_cast<int>(queue_.size());
}

}  // namespace ap
