#ifndef AP_OPERATOR_LINK_ENDPOINTS_H_
#define AP_OPERATOR_LINK_ENDPOINTS_H_

// Which aggregator the link talks to. The configured endpoints are the
// members of one cluster sharing one database (docs/operations.md), or a
// single aggregator. After `failover_after` consecutive failures on one the
// link moves to the next (round robin); a standby's answer naming the
// leader moves it there at once (Follow). Plain logic, no I/O; not
// thread-safe (owned by the link loop).

#include <string>
#include <vector>

namespace ap {

class EndpointSelector {
 public:
  EndpointSelector(std::vector<std::string> endpoints, int failover_after);

  const std::string& current() const { return endpoints_[current_]; }

  // A ping or stream on current() failed. True if it moved to another
  // endpoint.
  bool OnFailure();
  // current() answered.
  void OnSuccess() { failures_ = 0; }
  // A member said `leader` leads. True if the link moves there (it is not
  // the current endpoint); an address not configured joins the members.
  bool Follow(const std::string& leader);

 private:
  std::vector<std::string> endpoints_;
  const int failover_after_;
  size_t current_ = 0;
  int failures_ = 0;
};

}  // namespace ap

#endif  // AP_OPERATOR_LINK_ENDPOINTS_H_
