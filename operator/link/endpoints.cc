#include "operator/link/endpoints.h"

namespace ap {

EndpointSelector::EndpointSelector(std::vector<std::string> endpoints,
                                   int failover_after, int failback_after)
    : endpoints_(std::move(endpoints)),
      failover_after_(failover_after < 1 ? 1 : failover_after),
      failback_after_(failback_after < 1 ? 1 : failback_after) {}

bool EndpointSelector::OnFailure() {
  if (endpoints_.size() < 2 || ++failures_ < failover_after_) return false;
  failures_ = 0;
  primary_serving_ = 0;
  current_ = (current_ + 1) % endpoints_.size();
  return true;
}

bool EndpointSelector::OnPrimaryProbe(bool serving) {
  if (!on_backup()) return false;
  primary_serving_ = serving ? primary_serving_ + 1 : 0;
  if (primary_serving_ < failback_after_) return false;
  current_ = 0;
  failures_ = 0;
  primary_serving_ = 0;
  return true;
}

}  // namespace ap
