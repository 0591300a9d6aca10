#ifndef AP_OPERATOR_METRICS_H_
#define AP_OPERATOR_METRICS_H_

// The operator's /metrics (prometheus-cpp): counters kept as things happen,
// gauges set from a snapshot at each scrape. Thread-safe.

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "ap/v1/workflow.pb.h"
#include "operator/link/link.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace ap {

class OperatorMetrics {
 public:
  struct Snapshot {
    LinkStatus link;
    int running = 0;
    int queued = 0;
    int capacity = 0;
    size_t spool_depth = 0;
    uint64_t spool_bytes = 0;
    // host -> 0 closed, 1 half-open, 2 open
    std::vector<std::pair<std::string, int>> breakers;
  };

  OperatorMetrics();
  void OnOutcome(v1::ExecutionStatus status);
  void OnSpoolFull();
  void OnAssignment(bool duplicate);
  // An assignment handed back unstarted (draining).
  void OnHandBack();
  std::string Render(const Snapshot& s);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* outcomes_;
  prometheus::Counter* spool_full_;
  prometheus::Counter* assignments_;
  prometheus::Counter* duplicates_;
  prometheus::Counter* handed_back_;
  prometheus::Family<prometheus::Gauge>* gauges_;
  prometheus::Family<prometheus::Gauge>* endpoint_;
  prometheus::Family<prometheus::Gauge>* breakers_;
  absl::Mutex mu_;
  std::set<std::string> endpoints_seen_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ap

#endif  // AP_OPERATOR_METRICS_H_
