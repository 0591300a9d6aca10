#ifndef AP_AGGREGATOR_NOTIFY_NOTIFIER_H_
#define AP_AGGREGATOR_NOTIFY_NOTIFIER_H_

// Notifications, assembled: the recorder (the WorkflowStore's write hook,
// recorder.h), the outbox (outbox.h) and the thread that delivers and
// sums up. The aggregator that leads runs the thread (Start/Stop with the
// other leader-only parts); Start reloads what waits from the store, so a
// new leader delivers what the old one recorded. A failing webhook holds
// up only other notifications, never a fire or a report: delivery is on
// this thread alone, and recording is one more record in a write that
// happens anyway. Thread-safe.

#include <atomic>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "aggregator/notify/outbox.h"
#include "aggregator/notify/recorder.h"
#include "aggregator/notify/webhook_client.h"
#include "common/clock.h"
#include "common/log/rate_limiter.h"

namespace ap {

class Notifier {
 public:
  // Installs the recorder as `store`'s write hook.
  Notifier(WorkflowStore* store, WebhookClient* client, Clock* clock,
           OutboxOptions options = {},
           NotificationOutbox::Observer observer = nullptr);
  ~Notifier();

  // Loads what waits and starts the thread (again after Stop).
  absl::Status Start() ABSL_LOCKS_EXCLUDED(mu_);
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);
  // One pass of the thread's work: records the summaries due, then
  // delivers what is due (tests call it on a simulated clock).
  absl::Status RunOnce();

  size_t queued() const { return outbox_.size(); }
  NotificationOutbox& outbox() { return outbox_; }

 private:
  void Run();
  absl::Status Pass(const std::atomic<bool>* cancel);
  void Wake() ABSL_LOCKS_EXCLUDED(mu_);

  WorkflowStore* const store_;
  Clock* const clock_;
  NotificationOutbox outbox_;
  NotificationRecorder recorder_;
  LogRateLimiter failures_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = true;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<bool> stopping_{false};  // cuts a delivery in flight short
  std::thread thread_;
};

}  // namespace ap

#endif  // AP_AGGREGATOR_NOTIFY_NOTIFIER_H_
