#ifndef AP_AGGREGATOR_SCHEDULE_FIRE_LOOP_H_
#define AP_AGGREGATOR_SCHEDULE_FIRE_LOOP_H_

// The thread that drives the FiringEngine: sleeps (on the injected clock)
// until the Scheduler's next fire or a Wake(), fires what is due, and
// backs off when the store fails, logging each failure (rate-limited) and
// the recovery. Rounds start at least min_round_gap apart, woken or not:
// fires that come due meanwhile wait for the next round, so that under load
// rounds grow instead of multiplying (each round is one fsync'd write, and
// one push to each operator's stream); only a full round (max_batch fires)
// is followed at once by the next. A round that held its fires back (the
// engine's max_pending) looks again min_round_gap later. Thread-safe.

#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "aggregator/schedule/firing.h"
#include "aggregator/schedule/scheduler.h"
#include "common/backoff/backoff.h"
#include "common/clock.h"
#include "common/log/rate_limiter.h"

namespace ap {

class FireLoop {
 public:
  // `after_round` (optional) sees every successful round that did
  // something, e.g. to dispatch new executions and send cancels.
  FireLoop(FiringEngine* engine, Scheduler* scheduler, Clock* clock,
           std::function<void(const FireReport&)> after_round = nullptr,
           absl::Duration min_round_gap = kDefaultMinRoundGap);
  // At most this much later than its time is a fire taken by a round
  // because of the gap (see docs/benchmarks.md for what it saves).
  static constexpr absl::Duration kDefaultMinRoundGap = absl::Milliseconds(5);
  ~FireLoop();

  void Start();
  // Returns once the thread has finished its current round.
  void Stop();
  // Re-reads the next fire time (a workflow was added or changed).
  void Wake();

  // Fires handled since start, for stats.
  int64_t fires() const;
  // Started and not stopped.
  bool running() const;

 private:
  void Run();

  FiringEngine* const engine_;
  Scheduler* const scheduler_;
  Clock* const clock_;
  const std::function<void(const FireReport&)> after_round_;
  const absl::Duration min_round_gap_;
  LogRateLimiter failures_;
  mutable absl::Mutex mu_;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  int64_t fires_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace ap

#endif  // AP_AGGREGATOR_SCHEDULE_FIRE_LOOP_H_
