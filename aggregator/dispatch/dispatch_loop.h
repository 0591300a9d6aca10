#ifndef AP_AGGREGATOR_DISPATCH_DISPATCH_LOOP_H_
#define AP_AGGREGATOR_DISPATCH_DISPATCH_LOOP_H_

// Runs dispatch rounds on a thread of its own, so that whoever makes work
// dispatchable (a fire round, a report that frees a slot, a connect) only
// asks for a round with Kick() and goes on: a report is answered without
// waiting for a dispatch, and the fire loop never dispatches itself.
//
// Kicks that arrive while a round runs coalesce into one more round, so a
// thousand reports a second cost as many rounds as the loop can run, not a
// thousand. Rounds start at least `min_gap` apart: a round takes the
// store's write lock, and back-to-back rounds (kicked by every report)
// would barge in ahead of the report commits and fire rounds waiting for
// it, starving them. Before Start() and after Stop(), Kick() runs the
// round in the caller's thread, at once (unit tests and tools without the
// thread).
//
// Thread-safe.

#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace ap {

class DispatchLoop {
 public:
  explicit DispatchLoop(std::function<void()> round, Clock* clock = nullptr,
                        absl::Duration min_gap = absl::ZeroDuration());
  ~DispatchLoop();

  void Start();
  // Returns once the round in progress (if any) has finished.
  void Stop();
  // One more round soon (on the thread), or now (not started).
  void Kick();

  // Rounds run so far (tests, stats).
  uint64_t rounds() const;

 private:
  void Run();

  const std::function<void()> round_;
  Clock* const clock_;
  const absl::Duration min_gap_;
  mutable absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool kicked_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t rounds_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace ap

#endif  // AP_AGGREGATOR_DISPATCH_DISPATCH_LOOP_H_
