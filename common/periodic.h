#ifndef AP_COMMON_PERIODIC_H_
#define AP_COMMON_PERIODIC_H_

// Runs a task on its own thread every `interval` (on the injected clock)
// until Stop(). The task's own errors are its business; it must return.
// Thread-safe.

#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace ap {

class PeriodicTask {
 public:
  PeriodicTask(Clock* clock, absl::Duration interval,
               std::function<void()> task)
      : clock_(clock), interval_(interval), task_(std::move(task)) {}
  ~PeriodicTask() { Stop(); }

  // Starts, or starts again after Stop().
  void Start() {
    absl::MutexLock l(&mu_);
    if (thread_.joinable()) return;
    stop_ = false;
    thread_ = std::thread([this] { Run(); });
  }

  // Waits for a running task to return.
  void Stop() {
    {
      absl::MutexLock l(&mu_);
      stop_ = true;
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Run() {
    while (true) {
      {
        absl::MutexLock l(&mu_);
        clock_->AwaitWithDeadline(&mu_, absl::Condition(&stop_),
                                  clock_->TimeNow() + interval_);
        if (stop_) return;
      }
      task_();
    }
  }

  Clock* const clock_;
  const absl::Duration interval_;
  const std::function<void()> task_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace ap

#endif  // AP_COMMON_PERIODIC_H_
