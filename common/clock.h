#ifndef AP_COMMON_CLOCK_H_
#define AP_COMMON_CLOCK_H_

// An injectable clock, shaped like absl's newer clock_interface.h.
//
// Domain code never reads the system clock directly: it takes a Clock*, so
// that tests drive it with a SimulatedClock and never sleep. Two kinds of
// time are kept apart:
//   - TimeNow(): wall time (absl::Time), for schedules and for people;
//     it may jump when the system clock is set.
//   - MonotonicNow(): time since an arbitrary origin that never jumps back,
//     for intervals, timeouts and "healthy for T" checks.

#include <map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ap {

class Clock {
 public:
  // The process-wide real clock. Never null, never deleted.
  static Clock* Real();

  virtual ~Clock() = default;

  virtual absl::Time TimeNow() = 0;
  virtual absl::Duration MonotonicNow() = 0;

  // Blocks until TimeNow() >= wakeup_time.
  virtual void SleepUntil(absl::Time wakeup_time) = 0;
  void SleepFor(absl::Duration d) { SleepUntil(TimeNow() + d); }

  // With *mu held, waits until cond holds or TimeNow() >= deadline, as
  // absl::Mutex::AwaitWithDeadline does. Returns whether cond holds.
  virtual bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond,
                                 absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) = 0;
};

// A clock that moves only when told. Thread-safe. Waiters (SleepUntil,
// AwaitWithDeadline) wake when AdvanceTime or SetTime reaches their deadline.
class SimulatedClock final : public Clock {
 public:
  // Starts at `start` wall time and monotonic time zero.
  explicit SimulatedClock(absl::Time start = absl::UnixEpoch());
  ~SimulatedClock() override;

  absl::Time TimeNow() override;
  absl::Duration MonotonicNow() override;
  void SleepUntil(absl::Time wakeup_time) override;
  bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond,
                         absl::Time deadline) override
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  // Moves wall and monotonic time forward by d (d >= 0), waking every
  // waiter whose deadline is reached.
  void AdvanceTime(absl::Duration d);
  // Sets wall time only, as when the system clock is stepped; monotonic time
  // does not move. Wakes waiters whose deadline is reached.
  void SetTime(absl::Time t);

  // The earliest deadline anyone waits for, or absl::InfiniteFuture().
  absl::Time GetEarliestWakeupTime();
  // How many threads wait on this clock now.
  int NumWaiters();
  // Blocks (in real time) until at least n threads wait on this clock, so a
  // test can advance time only after a background thread went to sleep.
  void BlockUntilWaiters(int n);

 private:
  struct Waiter {
    absl::Mutex* mu;
    bool* woken;
  };
  std::vector<Waiter> TakeDueWaiters(absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);
  static void Wake(const std::vector<Waiter>& waiters);

  absl::Mutex lock_;
  absl::Time now_ ABSL_GUARDED_BY(lock_);
  absl::Duration monotonic_ ABSL_GUARDED_BY(lock_);
  std::multimap<absl::Time, Waiter> waiters_ ABSL_GUARDED_BY(lock_);
};

}  // namespace ap

#endif  // AP_COMMON_CLOCK_H_
