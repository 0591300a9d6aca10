#ifndef AP_AGGREGATOR_CLUSTER_LEADER_ELECTOR_H_
#define AP_AGGREGATOR_CLUSTER_LEADER_ELECTOR_H_

// This aggregator's side of the leader lease (leader_lease.h): as a
// standby it tries to take the lease, as the leader it renews it, and its
// hooks start and stop the leader-only parts.
//
// Timing, with ttl the lease's length (leader_lease):
//   - The leader renews every ttl/3. A renewal is good until the moment the
//     call was sent, plus the time left the database answered, minus
//     `margin`, on this machine's monotonic clock: never past the
//     database's own lease, whatever the clocks say.
//   - A leader that has not confirmed its lease by then (the database does
//     not answer, a call hangs) is deposed at that moment by a watchdog,
//     whatever the renewing call is doing, so it stops its leader-only
//     parts before anyone else can take the lease over.
//   - A renewal that is refused (the lease was lost) deposes at once.
//   - A standby tries every ttl/3, or as the lease it saw runs out if that
//     is sooner: a leader killed outright is replaced within about ttl.
//   - Being deposed ends an epoch for good: leading again means a new
//     lease, with the next epoch.
//
// The hooks run one at a time, in the order of the changes they report
// (deposed before any later elected). Step and CheckDeadline are the two
// loops' single turns: called directly (tests, on a simulated clock) they
// run the hooks before they return. Start runs them on threads of their
// own, and the hooks on a third: a slow hook (StartLeading reading every
// workflow) never holds up the renewals. Thread-safe.

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "aggregator/cluster/leader_lease.h"
#include "common/clock.h"

namespace ap {

struct ElectorOptions {
  absl::Duration ttl = absl::Seconds(3);
  absl::Duration margin = absl::Milliseconds(500);
};

class LeaderElector {
 public:
  struct Hooks {
    std::function<void(int64_t epoch)> elected;
    std::function<void(int64_t epoch, const std::string& why)> deposed;
  };

  LeaderElector(LeaseBackend* lease, Clock* clock, ElectorOptions options,
                Hooks hooks);
  ~LeaderElector();  // Stop()

  // One turn: take the lease (standby) or renew it (leader). Returns how
  // long until the next turn.
  absl::Duration Step() ABSL_LOCKS_EXCLUDED(mu_);
  // Deposes a leader whose lease is unconfirmed past its deadline. Returns
  // how long until that deadline (InfiniteDuration when not leading).
  absl::Duration CheckDeadline() ABSL_LOCKS_EXCLUDED(mu_);

  void Start();
  // Stops both loops; a leader is deposed and gives the lease up.
  void Stop();

  bool leading() const;
  int64_t epoch() const;  // the epoch led, or last led
  // Who held the lease at the last turn (this holder when leading); empty
  // when nobody held a lease that had not run out.
  std::string holder() const;

  // Ends `epoch`'s leadership now, if it still leads it (a write found its
  // lease gone), and says why.
  void Depose(int64_t epoch, const std::string& why) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Queues a hook call, made in the same critical section as the change it
  // reports.
  void EmitLocked(std::function<void()> hook)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs the queued hook calls: on the hooks thread once started, else at
  // once on the caller's.
  void DeliverUnlessAsync() ABSL_LOCKS_EXCLUDED(mu_);
  void Loop(absl::Duration (LeaderElector::*turn)());
  void DeliverLoop();

  LeaseBackend* const lease_;
  Clock* const clock_;
  const ElectorOptions options_;
  const Hooks hooks_;
  mutable absl::Mutex mu_;
  bool leading_ ABSL_GUARDED_BY(mu_) = false;
  int64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Duration valid_until_ ABSL_GUARDED_BY(mu_);  // monotonic
  // Grows at every change the loops wait for (deadline, stop).
  int64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::string last_error_ ABSL_GUARDED_BY(mu_);
  std::string holder_ ABSL_GUARDED_BY(mu_);
  std::deque<std::function<void()>> pending_hooks_ ABSL_GUARDED_BY(mu_);
  bool async_hooks_ ABSL_GUARDED_BY(mu_) = false;  // the hooks thread runs
  bool hooks_stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread stepper_;
  std::thread watchdog_;
  std::thread hooks_thread_;
};

}  // namespace ap

#endif  // AP_AGGREGATOR_CLUSTER_LEADER_ELECTOR_H_
