#ifndef AP_COMMON_LOG_RATE_LIMITER_H_
#define AP_COMMON_LOG_RATE_LIMITER_H_

// Rate-limits repeated identical log events (e.g. "ping failed: connection
// refused" every second while an aggregator is down).
//
// Events are identified by a key the caller chooses (event and cause). The
// first event for a key is always logged. Repeats within `window` of the
// last logged one are suppressed and counted; the first repeat after the
// window is logged with the number suppressed since. Forget(key) makes the
// next event for that key log at once (call it when the condition clears).
//
// Thread-safe. Memory is bounded: past `max_keys` the least recently logged
// key is forgotten.

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace ap {

class LogRateLimiter {
 public:
  struct Decision {
    // Write this event.
    bool log = false;
    // Events for this key suppressed since the last written one (report it
    // with the written event).
    int64_t suppressed = 0;
  };

  LogRateLimiter(Clock* clock, absl::Duration window, size_t max_keys = 1024);

  Decision Check(absl::string_view key);
  void Forget(absl::string_view key);

 private:
  struct Entry {
    absl::Duration last_logged;  // monotonic
    int64_t suppressed = 0;
  };
  void EvictOldest() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock* const clock_;
  const absl::Duration window_;
  const size_t max_keys_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ap

#endif  // AP_COMMON_LOG_RATE_LIMITER_H_
