#ifndef AP_OPERATOR_RUN_EXECUTOR_H_
#define AP_OPERATOR_RUN_EXECUTOR_H_

// The operator's worker pool: `capacity` threads run assignments
// (execution.h) and hand each outcome to `on_outcome` (which spools it).
//
// - Dedup: an assignment whose (execution, attempt) is queued, running or
//   was finished recently (the last kRemembered, plus whatever Remember()
//   was told, e.g. outcomes still in the spool after a restart) is not run
//   again. At-least-once delivery means re-sent assignments happen.
// - Cancel stops a queued or running attempt; its outcome is CANCELED.
// - Drain stops taking work, hands back what has not started (an outcome
//   with status PENDING, which the aggregator gives to another operator),
//   lets running attempts finish within a grace period, then cancels what
//   is left and reports it FAILED (the operator's doing, not the
//   workflow's: the retry policy applies), and waits.
// - An exception out of one execution fails that execution only.
// Thread-safe.

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "ap/v1/node.pb.h"
#include "operator/run/execution.h"

namespace ap {

struct ExecutorOptions {
  int capacity = 4;
  size_t max_output_bytes = 64 * 1024;
};

class Executor {
 public:
  using OutcomeFn = std::function<void(v1::ReportRequest outcome)>;
  // Called on the worker just before an attempt runs; false: the
  // aggregator no longer wants it (it is not run and has no outcome).
  using StartFn = std::function<bool(const v1::Assignment& assignment)>;
  enum class Submitted { kQueued, kDuplicate, kDraining };
  static constexpr size_t kRemembered = 10000;

  Executor(ExecutorOptions options, Runners runners, OutcomeFn on_outcome,
           StartFn on_start = nullptr);
  ~Executor();  // Drain(0)

  Submitted Submit(const v1::Assignment& assignment);
  // False if that attempt is neither queued nor running.
  bool Cancel(const std::string& execution_id, int attempt,
              const std::string& reason);
  // Marks an attempt as done without running it.
  void Remember(const std::string& execution_id, int attempt);
  void Drain(absl::Duration grace);

  // Queued and running attempts (for SyncRequest.running).
  std::vector<v1::ExecutionRef> Active() const;
  int running() const;
  int queued() const;
  int capacity() const { return options_.capacity; }

 private:
  struct Job {
    v1::Assignment assignment;
    std::atomic<bool> canceled{false};
    std::string cancel_reason;
    // Canceled because the operator shuts down (set with canceled).
    bool shutdown = false;
  };
  static std::string Key(const std::string& id, int attempt);
  void Work();
  void Finish(const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ExecutorOptions options_;
  const Runners runners_;
  const OutcomeFn on_outcome_;
  const StartFn on_start_;
  mutable absl::Mutex mu_;
  std::deque<std::shared_ptr<Job>> queue_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::shared_ptr<Job>> active_
      ABSL_GUARDED_BY(mu_);
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_set<std::string> done_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> done_order_ ABSL_GUARDED_BY(mu_);
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace ap

#endif  // AP_OPERATOR_RUN_EXECUTOR_H_
