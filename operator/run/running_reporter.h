#ifndef AP_OPERATOR_RUN_RUNNING_REPORTER_H_
#define AP_OPERATOR_RUN_RUNNING_REPORTER_H_

// Tells the aggregator which attempts have started, off the workers' path:
// Started() only queues a RUNNING report; Run()'s thread sends what is
// queued, up to kMaxBatch at a time, in one ReportBatch (one durable write
// on the aggregator for all of them), so starting a step never waits for
// the aggregator. While one batch is in flight the next one gathers.
//
// - An attempt that finished before its RUNNING report left is dropped
//   from the queue (Finished): its outcome carries started_at.
// - An answer STALE (the attempt was superseded, canceled or deleted) is
//   passed to `on_stale`, which cancels the attempt: it was stopped soon
//   after it started rather than never started (docs/protocol.md).
// - Best effort, as RUNNING always was: a batch the aggregator could not
//   take (not linked, a deadline) is dropped; the outcome is what must not
//   be lost, and it is spooled.
// Thread-safe.

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ap/v1/node.pb.h"

namespace ap {

class RunningReporter {
 public:
  static constexpr size_t kMaxBatch = 256;
  using BatchAnswer =
      absl::StatusOr<std::vector<absl::StatusOr<v1::ReportResponse>>>;
  using SendFn =
      std::function<BatchAnswer(const std::vector<v1::ReportRequest>&)>;
  using StaleFn = std::function<void(const v1::ReportRequest& running,
                                     const std::string& detail)>;

  RunningReporter(SendFn send, StaleFn on_stale)
      : send_(std::move(send)), on_stale_(std::move(on_stale)) {}

  void Started(v1::ReportRequest running) ABSL_LOCKS_EXCLUDED(mu_);
  void Finished(const std::string& execution_id, int attempt)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Sends one batch of what is queued; false when nothing was. (Run calls
  // it; tests too.)
  bool SendOnce() ABSL_LOCKS_EXCLUDED(mu_);
  // Sends batches as reports are queued, until Stop().
  void Run() ABSL_LOCKS_EXCLUDED(mu_);
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  int64_t sent() const ABSL_LOCKS_EXCLUDED(mu_);
  int64_t dropped() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  const SendFn send_;
  const StaleFn on_stale_;
  mutable absl::Mutex mu_;
  std::deque<v1::ReportRequest> queue_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  int64_t sent_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;  // batches not taken
};

}  // namespace ap

#endif  // AP_OPERATOR_RUN_RUNNING_REPORTER_H_
