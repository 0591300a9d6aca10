#include "aggregator/workflows/retention.h"

#include <string>
#include <vector>

#include "common/proto_time.h"
#include "common/status.h"

namespace ap {
namespace {

constexpr size_t kChunk = 1000;

}  // namespace

absl::StatusOr<size_t> Retention::Sweep() {
  std::vector<std::string> ids;
  AP_RETURN_IF_ERROR(store_->ScanWorkflowIds([&](absl::string_view id) {
    ids.emplace_back(id);
    return true;
  }));
  size_t removed = 0;
  for (const std::string& id : ids) {
    AP_ASSIGN_OR_RETURN(size_t n, SweepWorkflow(id));
    removed += n;
  }
  return removed;
}

absl::StatusOr<size_t> Retention::SweepWorkflow(absl::string_view workflow_id) {
  FairMutexLock l(store_->write_mutex());
  AP_ASSIGN_OR_RETURN(const int64_t total,
                      store_->CountExecutions(workflow_id));
  const int64_t over_count =
      options_.max_executions > 0 ? total - options_.max_executions : 0;
  const absl::Time cutoff = options_.max_age > absl::ZeroDuration()
                                ? clock_->TimeNow() - options_.max_age
                                : absl::InfinitePast();
  // Oldest first: each is removed while over the count or too old.
  WorkflowBatch batch;
  size_t removed = 0;
  int64_t seen = 0;
  AP_RETURN_IF_ERROR(
      store_->ScanExecutions(workflow_id, "", [&](v1::Execution&& e) {
        const bool too_many = seen++ < over_count;
        const bool too_old = FromProto(e.scheduled_at()) < cutoff;
        if (!too_many && !too_old) return false;  // the rest are newer
        if (!IsOpen(e.status())) {
          batch.DeleteExecution(e);
          ++removed;
        }
        return removed < kChunk;
      }));
  AP_RETURN_IF_ERROR(store_->Write(batch));
  // A workflow with more than one chunk to remove gets the rest next sweep.
  return removed;
}

}  // namespace ap
