#ifndef AP_COMMON_SYNC_DEADLOCK_DETECTION_H_
#define AP_COMMON_SYNC_DEADLOCK_DETECTION_H_

// Debian builds Abseil without NDEBUG, so every absl::Mutex acquisition
// feeds its lock-order graph (a global table behind a spin lock): about
// 3 % of the CPU at 12,000 executions/s in bench/node_bench. The servers
// and the benchmarks turn it off at start-up, as a release build of Abseil
// would; the tests keep it, where a lock-order cycle should fail loudly.

#include "absl/synchronization/mutex.h"

namespace ap {

inline void DisableMutexDeadlockDetection() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

}  // namespace ap

#endif  // AP_COMMON_SYNC_DEADLOCK_DETECTION_H_
