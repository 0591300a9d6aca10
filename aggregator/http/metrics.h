#ifndef AP_AGGREGATOR_HTTP_METRICS_H_
#define AP_AGGREGATOR_HTTP_METRICS_H_

// The aggregator's Prometheus metrics (prometheus-cpp). Counters and
// histograms are fed as things happen; gauges are read from a snapshot at
// scrape time. Thread-safe (prometheus-cpp metrics are).

#include <memory>
#include <string>

#include "aggregator/schedule/firing.h"
#include "ap/v1/node.pb.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace ap {

class AggregatorMetrics {
 public:
  struct Snapshot {
    double workflows_known = 0;
    double workflows_armed = 0;
    double operators_connected = 0;
  };

  AggregatorMetrics();

  void OnFireRound(const FireReport& report);
  void OnPing();
  void OnReport(v1::ReportResult result, v1::ExecutionStatus status);
  void OnAssigned(size_t n);
  void OnLeasesExpired(size_t n);
  void OnStreamSendFailed();
  void OnStoreWrite(absl::Duration took);

  // Prometheus text format, with the gauges set from `snapshot`.
  std::string Render(const Snapshot& snapshot);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Counter* fires_recorded_;
  prometheus::Counter* fires_skipped_;
  prometheus::Counter* executions_canceled_;
  prometheus::Histogram* fire_lateness_;
  prometheus::Counter* pings_;
  prometheus::Family<prometheus::Counter>* reports_;
  prometheus::Family<prometheus::Counter>* outcomes_;
  prometheus::Counter* assigned_;
  prometheus::Counter* leases_expired_;
  prometheus::Counter* send_failures_;
  prometheus::Histogram* store_write_;
  prometheus::Gauge* workflows_known_;
  prometheus::Gauge* workflows_armed_;
  prometheus::Gauge* operators_connected_;
};

}  // namespace ap

#endif  // AP_AGGREGATOR_HTTP_METRICS_H_
