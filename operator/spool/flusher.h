#ifndef AP_OPERATOR_SPOOL_FLUSHER_H_
#define AP_OPERATOR_SPOOL_FLUSHER_H_

// Reports spooled outcomes, oldest first, and removes each once the
// aggregator answered ACCEPTED, DUPLICATE or STALE. A transport error
// (aggregator unreachable, deadline) stops the pass: the outcome stays and
// is retried, in order, after a backoff or when woken (a new outcome, a
// new link). With `parallel` > 1, up to that many reports are in flight at
// once, started oldest first (each report waits for the aggregator's
// durable write, so one at a time caps an operator at a few hundred a
// second); a failure stops new starts. An outcome the aggregator refuses as
// invalid is kept aside in the spool directory (`.rejected`), logged with the
// reason, and skipped, so one bad outcome cannot block the rest. Run() is the
// loop; the rest is thread-safe.
//
// With SetBatchReport, up to 64 outcomes go in one call (ReportBatch: one
// durable write for all of them) and each answer settles its own outcome as
// above; outcomes whose answer is an error other than "invalid" stay, the
// others leave. An aggregator without ReportBatch (UNIMPLEMENTED) gets
// single reports from then on.

#include <functional>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ap/v1/node.pb.h"
#include "common/backoff/backoff.h"
#include "common/clock.h"
#include "operator/spool/spool.h"

namespace ap {

class Flusher {
 public:
  using ReportFn = std::function<absl::StatusOr<v1::ReportResponse>(
      const v1::ReportRequest&)>;
  // An answer per report, in order, or why the whole call failed.
  using BatchAnswer =
      absl::StatusOr<std::vector<absl::StatusOr<v1::ReportResponse>>>;
  using BatchReportFn =
      std::function<BatchAnswer(const std::vector<v1::ReportRequest>&)>;

  Flusher(Spool* spool, ReportFn report, Clock* clock, int parallel = 1,
          BackoffOptions backoff = {absl::Milliseconds(200), 2.0, 0.2,
                                    absl::Seconds(10)});

  // Call before Run.
  void SetBatchReport(BatchReportFn report_batch);

  void Run();
  void Stop();
  void Wake();
  // One pass: reports until the spool is empty or a report fails. Returns
  // whether the spool was emptied. (Run calls it; tests too.)
  bool FlushOnce();

  int64_t reported() const;  // outcomes removed after an answer

 private:
  // Reports one outcome and removes or sets it aside; false when the pass
  // should stop (the outcome stays).
  bool Deliver(const Spool::Entry& e);
  // Acts on the aggregator's answer to `e`, as Deliver describes.
  bool Settle(const Spool::Entry& e,
              const absl::StatusOr<v1::ReportResponse>& answer);
  bool DeliverAll(const std::vector<Spool::Entry>& batch);
  // One ReportBatch call; nullopt when the aggregator does not have it.
  std::optional<bool> DeliverBatch(const std::vector<Spool::Entry>& batch);

  Spool* const spool_;
  const ReportFn report_;
  Clock* const clock_;
  const int parallel_;
  BatchReportFn report_batch_;
  Backoff backoff_;
  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  bool batches_ ABSL_GUARDED_BY(mu_) = false;  // ReportBatch to be used
  int64_t reported_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace ap

#endif  // AP_OPERATOR_SPOOL_FLUSHER_H_
