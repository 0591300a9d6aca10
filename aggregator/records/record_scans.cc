// WorkflowStore's typed scans and Purge: the record layouts of keys.h read
// back as records, so nothing above this room scans raw keys.

#include "absl/strings/str_cat.h"
#include "aggregator/records/keys.h"
#include "aggregator/records/workflow_store.h"
#include "common/status.h"

namespace ap {
namespace {

// Adapts a typed callback to a raw scan of `Message` records; a record
// that does not parse stops the scan with DATA_LOSS in `error`.
template <typename Message, typename Fn>
Store::ScanFn Parsed(const Fn& fn, absl::Status* error) {
  return [&fn, error](absl::string_view key, absl::string_view value) {
    Message m;
    if (!m.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      *error =
          absl::DataLossError(absl::StrCat("cannot parse the record at ", key));
      return false;
    }
    return fn(std::move(m));
  };
}

Store::ScanFn Ids(const WorkflowStore::IdFn& fn) {
  return [&fn](absl::string_view key, absl::string_view) {
    return fn(keys::LastComponent(key));
  };
}

}  // namespace

absl::Status WorkflowStore::ForEachWorkflow(
    const std::function<bool(const v1::Workflow&)>& fn) {
  absl::Status parse;
  AP_RETURN_IF_ERROR(store_->Scan(keys::kWorkflowPrefix, "",
                                  Parsed<v1::Workflow>(fn, &parse)));
  return parse;
}

absl::Status WorkflowStore::ScanExecutions(absl::string_view workflow_id,
                                           absl::string_view after_id,
                                           const ExecutionFn& fn) {
  absl::Status parse;
  AP_RETURN_IF_ERROR(store_->Scan(
      keys::ExecutionPrefix(workflow_id),
      after_id.empty() ? "" : keys::Execution(workflow_id, after_id),
      Parsed<v1::Execution>(fn, &parse)));
  return parse;
}

absl::Status WorkflowStore::ScanExecutionsNewestFirst(
    absl::string_view workflow_id, absl::string_view before_id,
    const ExecutionFn& fn) {
  absl::Status parse;
  AP_RETURN_IF_ERROR(store_->ScanReverse(
      keys::ExecutionPrefix(workflow_id),
      before_id.empty() ? "" : keys::Execution(workflow_id, before_id),
      Parsed<v1::Execution>(fn, &parse)));
  return parse;
}

absl::StatusOr<int64_t> WorkflowStore::CountExecutions(
    absl::string_view workflow_id) {
  int64_t n = 0;
  AP_RETURN_IF_ERROR(store_->Scan(keys::ExecutionPrefix(workflow_id), "",
                                  [&](absl::string_view, absl::string_view) {
                                    ++n;
                                    return true;
                                  }));
  return n;
}

absl::Status WorkflowStore::ScanWorkflowIds(const IdFn& fn) {
  return store_->Scan(keys::kWorkflowPrefix, "", Ids(fn));
}

absl::Status WorkflowStore::ScanOwnerWorkflowIds(absl::string_view owner,
                                                 v1::WorkflowStatus status,
                                                 absl::string_view after_id,
                                                 const IdFn& fn) {
  const std::string prefix = status == v1::WORKFLOW_STATUS_UNSPECIFIED
                                 ? keys::OwnerPrefix(owner)
                                 : keys::StatusPrefix(owner, status);
  return store_->Scan(
      prefix, after_id.empty() ? "" : absl::StrCat(prefix, after_id), Ids(fn));
}

absl::StatusOr<std::map<absl::Time, v1::WorkflowStatus>>
WorkflowStore::StatusChanges(absl::string_view workflow_id) {
  std::map<absl::Time, v1::WorkflowStatus> changes;
  absl::Status parse;
  AP_RETURN_IF_ERROR(
      store_->Scan(keys::EventPrefix(workflow_id), "",
                   [&](absl::string_view key, absl::string_view value) {
                     v1::WorkflowStatus s = v1::WORKFLOW_STATUS_UNSPECIFIED;
                     if (!v1::WorkflowStatus_Parse(std::string(value), &s)) {
                       parse = absl::DataLossError(absl::StrCat(
                           "cannot parse the status change at ", key));
                       return false;
                     }
                     changes[keys::EventTime(key)] = s;
                     return true;
                   }));
  AP_RETURN_IF_ERROR(parse);
  return changes;
}

absl::Status WorkflowStore::Purge(const v1::Workflow& workflow, int chunk) {
  for (;;) {
    WorkflowBatch batch;
    int n = 0;
    AP_RETURN_IF_ERROR(
        ScanExecutions(workflow.id(), "", [&](v1::Execution&& e) {
          batch.DeleteExecution(e);
          return ++n < chunk;
        }));
    if (n == 0) break;
    AP_RETURN_IF_ERROR(Write(batch));
  }
  AP_ASSIGN_OR_RETURN(auto changes, StatusChanges(workflow.id()));
  WorkflowBatch last;
  for (const auto& [at, status] : changes) {
    last.DeleteStatusChange(workflow.id(), at);
  }
  // Notifications already made are still delivered; what they remember
  // goes.
  last.DeleteRecord(keys::NotifyState(workflow.id()));
  last.DeleteWorkflow(workflow);
  return Write(last);
}

absl::Status WorkflowStore::ForEachNotification(
    const std::function<bool(store::v1::NotificationRecord&&)>& fn,
    absl::string_view workflow_id) {
  absl::Status parse;
  const std::string prefix =
      workflow_id.empty()
          ? std::string(keys::kNotificationPrefix)
          : absl::StrCat(keys::kNotificationPrefix, workflow_id, "/");
  AP_RETURN_IF_ERROR(
      store_->Scan(prefix, "",
                   Parsed<store::v1::NotificationRecord>(fn, &parse)));
  return parse;
}

absl::Status WorkflowStore::ForEachNotifyState(
    const std::function<bool(absl::string_view workflow_id,
                             store::v1::NotifyStateRecord&&)>& fn) {
  absl::Status parse;
  AP_RETURN_IF_ERROR(store_->Scan(
      keys::kNotifyStatePrefix, "",
      [&](absl::string_view key, absl::string_view value) {
        store::v1::NotifyStateRecord r;
        if (!r.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          parse = absl::DataLossError(
              absl::StrCat("cannot parse the record at ", key));
          return false;
        }
        return fn(keys::LastComponent(key), std::move(r));
      }));
  return parse;
}

absl::StatusOr<std::optional<store::v1::NotifyStateRecord>>
WorkflowStore::GetNotifyState(absl::string_view workflow_id) {
  AP_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                      store_->Get(keys::NotifyState(workflow_id)));
  if (!raw) return std::optional<store::v1::NotifyStateRecord>();
  store::v1::NotifyStateRecord r;
  if (!r.ParseFromString(*raw)) {
    return absl::DataLossError(absl::StrCat(
        "cannot parse the record at ", keys::NotifyState(workflow_id)));
  }
  return std::optional<store::v1::NotifyStateRecord>(std::move(r));
}

}  // namespace ap
