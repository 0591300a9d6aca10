#ifndef AP_OPERATOR_LINK_ENDPOINTS_H_
#define AP_OPERATOR_LINK_ENDPOINTS_H_

// Which aggregator endpoint the link uses: the first configured is the
// primary. After `failover_after` consecutive failures on one endpoint the
// link moves to the next (round robin). While on a backup, the primary's
// grpc.health.v1 is probed; after `failback_after` consecutive SERVING
// answers the link goes back to it. Plain logic, no I/O; not thread-safe
// (owned by the link loop).

#include <string>
#include <vector>

namespace ap {

class EndpointSelector {
 public:
  EndpointSelector(std::vector<std::string> endpoints, int failover_after,
                   int failback_after);

  const std::string& current() const { return endpoints_[current_]; }
  const std::string& primary() const { return endpoints_[0]; }
  bool on_backup() const { return current_ != 0; }

  // A ping or stream on current() failed. True if it moved to another
  // endpoint.
  bool OnFailure();
  // current() answered.
  void OnSuccess() { failures_ = 0; }
  // A health probe of the primary (only while on a backup). True if it
  // moved back to the primary.
  bool OnPrimaryProbe(bool serving);

 private:
  const std::vector<std::string> endpoints_;
  const int failover_after_;
  const int failback_after_;
  size_t current_ = 0;
  int failures_ = 0;
  int primary_serving_ = 0;
};

}  // namespace ap

#endif  // AP_OPERATOR_LINK_ENDPOINTS_H_
