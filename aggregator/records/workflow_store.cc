#include "aggregator/records/workflow_store.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "aggregator/records/keys.h"
#include "common/proto_time.h"
#include "common/status.h"

namespace ap {
namespace {

template <typename Message>
absl::StatusOr<std::optional<Message>> Load(Store* store,
                                            const std::string& key) {
  absl::StatusOr<std::optional<std::string>> raw = store->Get(key);
  if (!raw.ok()) return raw.status();
  if (!raw->has_value()) return std::optional<Message>();
  Message m;
  if (!m.ParseFromString(**raw)) {
    return absl::DataLossError(
        absl::StrCat("cannot parse the record at ", key));
  }
  return std::optional<Message>(std::move(m));
}

}  // namespace

void WorkflowBatch::PutWorkflow(const v1::Workflow* before,
                                v1::Workflow after_in) {
  auto kept = std::make_shared<const v1::Workflow>(std::move(after_in));
  const v1::Workflow& after = *kept;
  // Index keys are rewritten only when they change: a fire changes the
  // record, not its owner or status, and every key written costs.
  const bool indexed_as_before = before != nullptr &&
                                 before->owner() == after.owner() &&
                                 before->status() == after.status();
  if (before == nullptr || before->status() != after.status()) {
    if (before != nullptr) status_counts_.emplace_back(before->status(), -1);
    status_counts_.emplace_back(after.status(), +1);
  }
  if (before != nullptr && !indexed_as_before) {
    batch_.Delete(
        keys::StatusIndex(before->owner(), before->status(), before->id()));
    batch_.Delete(keys::OwnerIndex(before->owner(), before->id()));
  }
  if (!indexed_as_before) {
    batch_.Put(keys::OwnerIndex(after.owner(), after.id()), "");
    batch_.Put(keys::StatusIndex(after.owner(), after.status(), after.id()),
               "");
  }
  batch_.Put(keys::Workflow(after.id()), after.SerializeAsString());
  workflow_changes_.push_back({after.id(), kept});
  // Each status change is kept, so examine can tell what the workflow was
  // doing at any past fire time.
  if (before == nullptr || before->status() != after.status()) {
    const absl::Time at = FromProto(
        after.has_updated_at() ? after.updated_at() : after.created_at());
    batch_.Put(keys::Event(after.id(), at),
               v1::WorkflowStatus_Name(after.status()));
  }
}

void WorkflowBatch::DeleteWorkflow(const v1::Workflow& w) {
  batch_.Delete(keys::StatusIndex(w.owner(), w.status(), w.id()));
  batch_.Delete(keys::OwnerIndex(w.owner(), w.id()));
  batch_.Delete(keys::Workflow(w.id()));
  workflow_changes_.push_back({w.id(), nullptr});
  status_counts_.emplace_back(w.status(), -1);
}

void WorkflowBatch::PutExecution(const v1::Execution* before,
                                 v1::Execution after_in) {
  auto kept = std::make_shared<const v1::Execution>(std::move(after_in));
  const v1::Execution& after = *kept;
  if (before != nullptr) {
    if (IsOpen(before->status()) && !IsOpen(after.status())) {
      batch_.Delete(keys::Open(before->workflow_id(), before->id()));
    }
  }
  // An execution's workflow never changes, nor does its open/ key.
  const bool was_open = before != nullptr && IsOpen(before->status());
  if (IsOpen(after.status()) && !was_open) {
    batch_.Put(keys::Open(after.workflow_id(), after.id()), "");
  }
  batch_.Put(keys::Execution(after.workflow_id(), after.id()),
             after.SerializeAsString());
  if (!IsOpen(after.status()) && (before == nullptr || IsOpen(before->status()))) {
    finished_.push_back(kept);
  }
  index_changes_.push_back(OpenIndex::EntryFor(std::move(kept)));
}

void WorkflowBatch::DeleteExecution(const v1::Execution& e) {
  batch_.Delete(keys::Open(e.workflow_id(), e.id()));
  batch_.Delete(keys::Execution(e.workflow_id(), e.id()));
  index_changes_.push_back(OpenIndex::Closed(e.id()));
}

void WorkflowBatch::DeleteStatusChange(absl::string_view workflow_id,
                                       absl::Time at) {
  batch_.Delete(keys::Event(workflow_id, at));
}

void WorkflowBatch::Append(WorkflowBatch&& other) {
  batch_.Append(std::move(other.batch_));
  for (auto& change : other.index_changes_) {
    index_changes_.push_back(std::move(change));
  }
  for (auto& change : other.workflow_changes_) {
    workflow_changes_.push_back(std::move(change));
  }
  finished_.insert(finished_.end(), other.finished_.begin(),
                   other.finished_.end());
  other.finished_.clear();
  status_counts_.insert(status_counts_.end(), other.status_counts_.begin(),
                        other.status_counts_.end());
  other.index_changes_.clear();
  other.workflow_changes_.clear();
  other.status_counts_.clear();
}

absl::StatusOr<std::shared_ptr<const v1::Workflow>> WorkflowStore::FindWorkflow(
    absl::string_view id) {
  if (std::shared_ptr<const v1::Workflow> hit = workflows_.Find(id)) {
    return hit;
  }
  const uint64_t version = workflows_.Version();
  AP_ASSIGN_OR_RETURN(std::optional<v1::Workflow> stored,
                      Load<v1::Workflow>(store_, keys::Workflow(id)));
  if (!stored) return nullptr;
  auto read = std::make_shared<const v1::Workflow>(*std::move(stored));
  workflows_.Fill(read, version);
  return read;
}

absl::StatusOr<std::optional<v1::Workflow>> WorkflowStore::GetWorkflow(
    absl::string_view id) {
  AP_ASSIGN_OR_RETURN(std::shared_ptr<const v1::Workflow> w, FindWorkflow(id));
  if (w == nullptr) return std::optional<v1::Workflow>();
  return std::optional<v1::Workflow>(*w);
}

absl::StatusOr<std::optional<v1::Execution>> WorkflowStore::GetExecution(
    absl::string_view execution_id) {
  {
    absl::MutexLock l(&index_mu_);
    if (index_loaded_) {
      if (std::shared_ptr<const v1::Execution> open =
              index_.Find(execution_id)) {
        return std::optional<v1::Execution>(*open);
      }
    }
  }
  return ReadExecution(execution_id);
}

absl::StatusOr<std::optional<v1::Execution>> WorkflowStore::ReadExecution(
    absl::string_view execution_id) {
  absl::StatusOr<std::string> workflow_id = keys::WorkflowIdOf(execution_id);
  if (!workflow_id.ok()) return std::optional<v1::Execution>();
  return Load<v1::Execution>(store_,
                             keys::Execution(*workflow_id, execution_id));
}

void WorkflowStore::SetWriteHook(WriteHook* hook) {
  FairMutexLock l(&write_mu_);
  hook_ = hook;
}

absl::Status WorkflowStore::Write(const WorkflowBatch& batch) {
  write_mu_.AssertHeld();
  if (batch.empty()) return absl::OkStatus();
  absl::Status s;
  if (hook_ != nullptr && !batch.finished().empty()) {
    WriteBatch extra;
    s = hook_->Prepare(batch.finished(), &extra);
    if (s.ok() && !extra.empty()) {
      WriteBatch combined = batch.raw();  // copied only when there is more
      combined.Append(std::move(extra));
      s = store_->Write(combined);
    } else if (s.ok()) {
      s = store_->Write(batch.raw());
    }
    hook_->Done(s.ok());
  } else {
    s = store_->Write(batch.raw());
  }
  if (!s.ok()) {
    // Nothing of the batch should be stored, but what is kept in memory
    // is made to agree with what the store says now, in case it was.
    for (const WorkflowBatch::WorkflowChange& w : batch.workflow_changes()) {
      workflows_.Erase(w.id);
    }
    for (const OpenIndex::Entry& change : batch.index_changes()) {
      (void)Reload(change.id);  // unreadable: memory keeps what it had
    }
    return s;
  }
  for (const WorkflowBatch::WorkflowChange& w : batch.workflow_changes()) {
    if (w.after) {
      workflows_.Put(w.after);
    } else {
      workflows_.Erase(w.id);
    }
  }
  absl::MutexLock l(&index_mu_);
  if (index_loaded_) {
    for (const OpenIndex::Entry& change : batch.index_changes()) {
      index_.Apply(change);
    }
  }
  if (workflow_counts_) {
    for (const auto& [status, delta] : batch.status_counts()) {
      (*workflow_counts_)[status] += delta;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::flat_hash_map<v1::WorkflowStatus, int64_t>>
WorkflowStore::WorkflowCounts() {
  {
    absl::MutexLock l(&index_mu_);
    if (workflow_counts_) return *workflow_counts_;
  }
  // Every writer of workflows holds write_mu_: wfs/ holds still meanwhile.
  FairMutexLock w(&write_mu_);
  absl::flat_hash_map<v1::WorkflowStatus, int64_t> counts;
  AP_RETURN_IF_ERROR(store_->Scan(
      keys::kStatusIndexPrefix, "",
      [&](absl::string_view key, absl::string_view) {
        if (absl::StatusOr<v1::WorkflowStatus> s = keys::StatusOfIndexKey(key);
            s.ok()) {
          ++counts[*s];
        }
        return true;
      }));
  absl::MutexLock l(&index_mu_);
  workflow_counts_ = counts;
  return counts;
}

absl::StatusOr<absl::flat_hash_map<v1::ExecutionStatus, size_t>>
WorkflowStore::OpenCounts() {
  AP_RETURN_IF_ERROR(LoadIndex());
  absl::MutexLock l(&index_mu_);
  absl::flat_hash_map<v1::ExecutionStatus, size_t> counts;
  for (v1::ExecutionStatus s :
       {v1::EXECUTION_STATUS_PENDING, v1::EXECUTION_STATUS_DISPATCHED,
        v1::EXECUTION_STATUS_RUNNING}) {
    counts[s] = index_.count(s);
  }
  return counts;
}

absl::StatusOr<size_t> WorkflowStore::PendingCount() {
  AP_RETURN_IF_ERROR(LoadIndex());
  absl::MutexLock l(&index_mu_);
  return index_.count(v1::EXECUTION_STATUS_PENDING);
}

void WorkflowStore::Forget() {
  FairMutexLock w(&write_mu_);
  absl::MutexLock l(&index_mu_);
  index_ = OpenIndex();
  index_loaded_ = false;
  workflow_counts_.reset();
  workflows_.Clear();
}

absl::Status WorkflowStore::LoadIndex() {
  {
    absl::MutexLock l(&index_mu_);
    if (index_loaded_) return absl::OkStatus();
  }
  // Every writer of executions holds write_mu_, so open/ cannot change
  // while it is read.
  FairMutexLock w(&write_mu_);
  absl::MutexLock l(&index_mu_);
  if (index_loaded_) return absl::OkStatus();
  std::vector<std::string> ids;
  AP_RETURN_IF_ERROR(store_->Scan(
      keys::kOpenPrefix, "", [&](absl::string_view key, absl::string_view) {
        ids.emplace_back(keys::LastComponent(key));
        return true;
      }));
  OpenIndex fresh;
  for (const std::string& id : ids) {
    AP_ASSIGN_OR_RETURN(std::optional<v1::Execution> e, ReadExecution(id));
    if (e) fresh.Apply(OpenIndex::EntryFor(*std::move(e)));
  }
  index_ = std::move(fresh);
  index_loaded_ = true;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> WorkflowStore::PendingExecutions(
    size_t max, absl::Time now) {
  AP_RETURN_IF_ERROR(LoadIndex());
  absl::MutexLock l(&index_mu_);
  return index_.Pending(max, now);
}

absl::StatusOr<bool> WorkflowStore::AnyPendingDue(absl::Time now) {
  AP_RETURN_IF_ERROR(LoadIndex());
  absl::MutexLock l(&index_mu_);
  return index_.AnyPendingDue(now);
}

absl::StatusOr<std::vector<std::string>> WorkflowStore::ExpiredLeases(
    absl::Time now) {
  AP_RETURN_IF_ERROR(LoadIndex());
  absl::MutexLock l(&index_mu_);
  return index_.LeasesExpiredBy(now);
}

absl::StatusOr<std::vector<std::string>> WorkflowStore::StartDeadlinesPassed(
    absl::Time now) {
  AP_RETURN_IF_ERROR(LoadIndex());
  absl::MutexLock l(&index_mu_);
  return index_.StartDeadlinesPassedBy(now);
}

absl::Status WorkflowStore::WriteRaw(const WriteBatch& batch) {
  FairMutexLock l(&write_mu_);
  AP_RETURN_IF_ERROR(store_->Write(batch));
  for (const WriteBatch::Op& op : batch.ops()) {
    if (absl::StartsWith(op.key, keys::kWorkflowPrefix)) {
      workflows_.Erase(keys::LastComponent(op.key));
    }
    if (absl::StartsWith(op.key, keys::kStatusIndexPrefix)) {
      absl::MutexLock l(&index_mu_);
      workflow_counts_.reset();  // counted again on next use
    }
    if (!absl::StartsWith(op.key, keys::kExecutionPrefix)) continue;
    AP_RETURN_IF_ERROR(Reload(keys::LastComponent(op.key)));
  }
  return absl::OkStatus();
}

absl::Status WorkflowStore::Reload(absl::string_view execution_id) {
  AP_ASSIGN_OR_RETURN(std::optional<v1::Execution> stored,
                      ReadExecution(execution_id));
  absl::MutexLock l(&index_mu_);
  if (!index_loaded_) return absl::OkStatus();
  index_.Apply(stored ? OpenIndex::EntryFor(*std::move(stored))
                      : OpenIndex::Closed(std::string(execution_id)));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::Execution>> WorkflowStore::OpenExecutions(
    absl::string_view workflow_id) {
  {
    // Once loaded, the index holds every open execution (a query less per
    // fire of a FORBID or REPLACE workflow: on PostgreSQL, a round trip).
    absl::MutexLock l(&index_mu_);
    if (index_loaded_) {
      std::vector<v1::Execution> out;
      for (const auto& e : index_.OfWorkflow(workflow_id)) out.push_back(*e);
      return out;
    }
  }
  std::vector<std::string> ids;
  absl::Status s = store_->Scan(keys::OpenPrefix(workflow_id), "",
                                [&](absl::string_view key, absl::string_view) {
                                  ids.emplace_back(keys::LastComponent(key));
                                  return true;
                                });
  if (!s.ok()) return s;
  std::vector<v1::Execution> out;
  for (const std::string& id : ids) {
    absl::StatusOr<std::optional<v1::Execution>> e = GetExecution(id);
    if (!e.ok()) return e.status();
    if (e->has_value()) out.push_back(**e);
  }
  return out;
}

}  // namespace ap
