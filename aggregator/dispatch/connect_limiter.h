#ifndef AP_AGGREGATOR_DISPATCH_CONNECT_LIMITER_H_
#define AP_AGGREGATOR_DISPATCH_CONNECT_LIMITER_H_

// Limits how often one operator may open a Sync stream: at most
// `max_per_window` in any `window` (monotonic clock), so a reconnect storm
// from a broken operator cannot tie up the aggregator. Thread-safe.

#include <deque>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace ap {

class ConnectLimiter {
 public:
  ConnectLimiter(Clock* clock, int max_per_window, absl::Duration window)
      : clock_(clock), max_(max_per_window), window_(window) {}

  // Zero if the connect is admitted (and counted); otherwise how long to
  // wait before trying again.
  absl::Duration Admit(const std::string& operator_id);

 private:
  Clock* const clock_;
  const int max_;
  const absl::Duration window_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::deque<absl::Duration>> recent_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace ap

#endif  // AP_AGGREGATOR_DISPATCH_CONNECT_LIMITER_H_
