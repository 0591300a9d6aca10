#ifndef AP_AGGREGATOR_NOTIFY_OUTBOX_H_
#define AP_AGGREGATOR_NOTIFY_OUTBOX_H_

// The notifications waiting for delivery (ntf/ records), in memory by when
// each is next due, delivered one at a time through a WebhookClient. A
// delivered one is deleted; a failed attempt is written back with its
// error and the time of the next (exponential backoff with jitter), so a
// restart resumes where it was; one still failing `give_up_after` after it
// was made is deleted and logged as dropped. At least once: a crash
// between the POST and the delete sends it again, with the same id.
// Thread-safe; DeliverDue runs on one thread at a time.

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/random/random.h"
#include "absl/synchronization/mutex.h"
#include "aggregator/notify/webhook_client.h"
#include "aggregator/records/workflow_store.h"
#include "common/backoff/backoff.h"
#include "common/clock.h"

namespace ap {

struct OutboxOptions {
  BackoffOptions backoff{absl::Seconds(1), 2.0, 0.2, absl::Minutes(5)};
  absl::Duration give_up_after = absl::Hours(24);
};

class NotificationOutbox {
 public:
  // What became of one delivery attempt: "delivered", "failed" (to be
  // tried again) or "dropped".
  using Observer = std::function<void(const store::v1::NotificationRecord&,
                                      absl::string_view result)>;
  NotificationOutbox(WorkflowStore* store, WebhookClient* client, Clock* clock,
                     OutboxOptions options = {}, Observer observer = nullptr);

  // Replaces what is in memory with the store's ntf/ records.
  absl::Status Load() ABSL_LOCKS_EXCLUDED(mu_);
  void Add(std::vector<store::v1::NotificationRecord> recorded)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Tries each notification due by now once; returns how many were
  // delivered. A store error, or `*cancel` turning true, stops the pass
  // (the rest wait for the next; one cut short stays as it was).
  absl::StatusOr<size_t> DeliverDue(const std::atomic<bool>* cancel)
      ABSL_LOCKS_EXCLUDED(mu_);
  // When the next one is due (nullopt: none waits).
  std::optional<absl::Time> NextDue() const ABSL_LOCKS_EXCLUDED(mu_);
  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Writes `n` back after a failed attempt, or deletes it (delivered,
  // dropped).
  absl::Status Settle(const store::v1::NotificationRecord& n, bool keep);
  absl::Duration Delay(int attempts) ABSL_LOCKS_EXCLUDED(mu_);

  WorkflowStore* const store_;
  WebhookClient* const client_;
  Clock* const clock_;
  const OutboxOptions options_;
  const Observer observer_;
  mutable absl::Mutex mu_;
  absl::BitGen random_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, store::v1::NotificationRecord> by_id_
      ABSL_GUARDED_BY(mu_);
  std::set<std::pair<absl::Time, std::string>> due_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ap

#endif  // AP_AGGREGATOR_NOTIFY_OUTBOX_H_
