#include "aggregator/records/open_index.h"

#include <utility>

#include "common/proto_time.h"

namespace ap {

OpenIndex::Entry OpenIndex::EntryFor(v1::Execution e) {
  return EntryFor(std::make_shared<const v1::Execution>(std::move(e)));
}

OpenIndex::Entry OpenIndex::EntryFor(
    std::shared_ptr<const v1::Execution> kept) {
  const v1::Execution& e = *kept;
  Entry entry{e.id()};
  switch (e.status()) {
    case v1::EXECUTION_STATUS_PENDING:
      entry.pending_since = FromProto(e.scheduled_at());
      if (e.has_not_before()) entry.not_before = FromProto(e.not_before());
      if (e.has_start_by()) entry.start_by = FromProto(e.start_by());
      break;
    case v1::EXECUTION_STATUS_DISPATCHED:
    case v1::EXECUTION_STATUS_RUNNING:
      if (e.has_lease_expires_at()) {
        entry.lease_until = FromProto(e.lease_expires_at());
      }
      break;
    default:
      return entry;  // closed
  }
  entry.record = std::move(kept);
  return entry;
}

void OpenIndex::Apply(const Entry& entry) {
  if (auto it = by_id_.find(entry.id); it != by_id_.end()) {
    const Entry& old = it->second;
    if (old.pending_since) {
      pending_.erase({*old.pending_since, old.id});
      pending_by_not_before_.erase({old.not_before, old.id});
    }
    if (old.start_by) start_by_.erase({*old.start_by, old.id});
    if (old.lease_until) leases_.erase({*old.lease_until, old.id});
    if (old.record != nullptr) {
      --by_status_[old.record->status()];
      auto of = by_workflow_.find(old.record->workflow_id());
      if (of != by_workflow_.end()) {
        of->second.erase(old.id);
        if (of->second.empty()) by_workflow_.erase(of);
      }
    }
    by_id_.erase(it);
  }
  if (entry.record == nullptr) return;
  if (entry.pending_since) {
    pending_.insert({*entry.pending_since, entry.id});
    pending_by_not_before_.insert({entry.not_before, entry.id});
  }
  if (entry.start_by) start_by_.insert({*entry.start_by, entry.id});
  if (entry.lease_until) leases_.insert({*entry.lease_until, entry.id});
  ++by_status_[entry.record->status()];
  by_workflow_[entry.record->workflow_id()].insert(entry.id);
  by_id_.emplace(entry.id, entry);
}

std::vector<std::shared_ptr<const v1::Execution>> OpenIndex::OfWorkflow(
    absl::string_view workflow_id) const {
  std::vector<std::shared_ptr<const v1::Execution>> out;
  auto it = by_workflow_.find(workflow_id);
  if (it == by_workflow_.end()) return out;
  for (const std::string& id : it->second) out.push_back(by_id_.at(id).record);
  return out;
}

size_t OpenIndex::count(v1::ExecutionStatus status) const {
  auto it = by_status_.find(status);
  return it == by_status_.end() ? 0 : it->second;
}

std::shared_ptr<const v1::Execution> OpenIndex::Find(
    absl::string_view id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second.record;
}

std::vector<std::string> OpenIndex::Pending(size_t max, absl::Time now) const {
  std::vector<std::string> out;
  for (auto it = pending_.begin(); it != pending_.end() && out.size() < max;
       ++it) {
    if (by_id_.at(it->second).not_before > now) continue;  // backing off
    out.push_back(it->second);
  }
  return out;
}

namespace {

std::vector<std::string> DueBy(const std::set<std::pair<absl::Time, std::string>>& ordered,
                               absl::Time now) {
  std::vector<std::string> out;
  for (auto it = ordered.begin(); it != ordered.end() && it->first <= now;
       ++it) {
    out.push_back(it->second);
  }
  return out;
}

}  // namespace

std::vector<std::string> OpenIndex::LeasesExpiredBy(absl::Time now) const {
  return DueBy(leases_, now);
}

std::vector<std::string> OpenIndex::StartDeadlinesPassedBy(
    absl::Time now) const {
  return DueBy(start_by_, now);
}

}  // namespace ap
