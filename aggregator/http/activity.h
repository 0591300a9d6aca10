#ifndef AP_AGGREGATOR_HTTP_ACTIVITY_H_
#define AP_AGGREGATOR_HTTP_ACTIVITY_H_

// The console's overview charts without a Prometheus server: per-minute
// aggregates of the last hour in a ring of 60 minutes, fed by the same
// events as the metrics (AggregatorMetrics forwards them). In memory only:
// a restarted or new leader starts with an empty hour. Thread-safe.

#include <array>
#include <cstdint>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ap/v1/aggregator.pb.h"
#include "ap/v1/workflow.pb.h"
#include "common/clock.h"

namespace ap {

class Activity {
 public:
  static constexpr int kMinutes = 60;

  explicit Activity(Clock* clock) : clock_(clock) {}

  // `n` executions recorded to run, with these fire latenesses.
  void OnFired(size_t n, const std::vector<absl::Duration>& lateness);
  // `n` executions reached `status` (an end: terminal or SKIPPED; others
  // are ignored).
  void OnFinished(v1::ExecutionStatus status, size_t n = 1);

  // The last kMinutes minutes, oldest first, the current one last; minutes
  // with nothing in them are there with zeros.
  std::vector<v1::ActivityMinute> LastHour();

 private:
  struct Minute {
    int64_t index = -1;  // minutes since the epoch; -1: never used
    int64_t fired = 0;
    // By ExecutionStatus number (terminal ones).
    std::array<int64_t, 16> finished{};
    int64_t late_count = 0;
    absl::Duration late_sum;
    absl::Duration late_max;
  };

  // The slot of the current minute, cleared when it last held an older one.
  Minute& Current() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock* const clock_;
  absl::Mutex mu_;
  std::array<Minute, kMinutes> ring_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ap

#endif  // AP_AGGREGATOR_HTTP_ACTIVITY_H_
