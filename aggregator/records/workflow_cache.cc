#include "aggregator/records/workflow_cache.h"

#include <utility>

#include "absl/container/flat_hash_set.h"

namespace ap {

std::shared_ptr<const v1::Workflow> WorkflowCache::Find(
    absl::string_view id) const {
  absl::MutexLock l(&mu_);
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : it->second;
}

uint64_t WorkflowCache::Version() const {
  absl::MutexLock l(&mu_);
  return version_;
}

void WorkflowCache::Fill(std::shared_ptr<const v1::Workflow> w,
                         uint64_t version) {
  absl::MutexLock l(&mu_);
  if (version != version_) return;  // changed since it was read
  InsertLocked(std::move(w));
}

void WorkflowCache::Put(std::shared_ptr<const v1::Workflow> w) {
  absl::MutexLock l(&mu_);
  ++version_;
  InsertLocked(std::move(w));
}

void WorkflowCache::Erase(absl::string_view id) {
  absl::MutexLock l(&mu_);
  ++version_;
  entries_.erase(id);
}

void WorkflowCache::Clear() {
  absl::MutexLock l(&mu_);
  ++version_;
  entries_.clear();
  order_.clear();
}

size_t WorkflowCache::size() const {
  absl::MutexLock l(&mu_);
  return entries_.size();
}

void WorkflowCache::InsertLocked(std::shared_ptr<const v1::Workflow> w) {
  if (capacity_ == 0) return;
  if (auto it = entries_.find(w->id()); it != entries_.end()) {
    it->second = std::move(w);
    return;
  }
  while (entries_.size() >= capacity_ && !order_.empty()) {
    entries_.erase(order_.front());  // may be gone already: then a no-op
    order_.pop_front();
  }
  order_.push_back(w->id());
  entries_.emplace(w->id(), std::move(w));
  if (order_.size() > 2 * capacity_ + 16) {
    // Erased ids pile up in order_: keep one place per id still cached.
    absl::flat_hash_set<std::string> kept;
    std::deque<std::string> order;
    for (const std::string& id : order_) {
      if (entries_.contains(id) && kept.insert(id).second) order.push_back(id);
    }
    order_ = std::move(order);
  }
}

}  // namespace ap
