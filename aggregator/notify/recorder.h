#ifndef AP_AGGREGATOR_NOTIFY_RECORDER_H_
#define AP_AGGREGATOR_NOTIFY_RECORDER_H_

// Records notifications in the same atomic write as the outcome that makes
// them (a WriteHook of the WorkflowStore): an outcome is never stored
// without its notifications, nor a notification without its outcome, so
// each is delivered at least once across any crash. Also records the
// summaries whose quiet period ended (planner.h).
//
// What each workflow's notifications remember (NotifyStateRecord) is kept
// in memory as last written, read from the store on first use. Every
// change holds the WorkflowStore's write mutex. Thread-safe.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "aggregator/records/workflow_store.h"
#include "ap/store/v1/records.pb.h"
#include "common/clock.h"

namespace ap {

class NotificationRecorder : public WriteHook {
 public:
  // `recorded` gets the notifications of each committed write.
  using Recorded =
      std::function<void(std::vector<store::v1::NotificationRecord>)>;
  NotificationRecorder(WorkflowStore* store, Clock* clock, Recorded recorded);

  absl::Status Prepare(
      const std::vector<std::shared_ptr<const v1::Execution>>& finished,
      WriteBatch* extra) override;
  void Done(bool committed) override;

  // Records every summary due by now, in one write.
  absl::Status RecordSummaries() ABSL_LOCKS_EXCLUDED(mu_);
  // When a summary is next due (nullopt: none is held). Loads the states
  // on first use.
  absl::StatusOr<std::optional<absl::Time>> NextSummary()
      ABSL_LOCKS_EXCLUDED(mu_);
  // Forgets what is kept in memory (another aggregator wrote since).
  void Forget() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // The workflow's state as last written (a new one if none).
  absl::StatusOr<store::v1::NotifyStateRecord> StateOf(
      const std::string& workflow_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LoadAllLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  WorkflowStore* const store_;
  Clock* const clock_;
  const Recorded recorded_;
  absl::Mutex mu_;
  bool all_loaded_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<std::string, store::v1::NotifyStateRecord> states_
      ABSL_GUARDED_BY(mu_);
  // Staged by Prepare until Done.
  std::map<std::string, store::v1::NotifyStateRecord> staged_
      ABSL_GUARDED_BY(mu_);
  std::vector<store::v1::NotificationRecord> staged_records_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace ap

#endif  // AP_AGGREGATOR_NOTIFY_RECORDER_H_
