#include "operator/link/endpoints.h"

#include <algorithm>

namespace ap {

EndpointSelector::EndpointSelector(std::vector<std::string> endpoints,
                                   int failover_after)
    : endpoints_(std::move(endpoints)),
      failover_after_(failover_after < 1 ? 1 : failover_after) {}

bool EndpointSelector::OnFailure() {
  if (endpoints_.size() < 2 || ++failures_ < failover_after_) return false;
  failures_ = 0;
  current_ = (current_ + 1) % endpoints_.size();
  return true;
}

bool EndpointSelector::Follow(const std::string& leader) {
  if (leader.empty() || leader == current()) return false;
  auto it = std::find(endpoints_.begin(), endpoints_.end(), leader);
  if (it == endpoints_.end()) it = endpoints_.insert(endpoints_.end(), leader);
  current_ = static_cast<size_t>(it - endpoints_.begin());
  failures_ = 0;
  return true;
}

}  // namespace ap
