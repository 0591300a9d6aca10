#ifndef AP_AGGREGATOR_HTTP_METRICS_H_
#define AP_AGGREGATOR_HTTP_METRICS_H_

// The aggregator's Prometheus metrics (prometheus-cpp). Counters and
// histograms are fed as things happen; gauges are read from a snapshot at
// scrape time. Thread-safe (prometheus-cpp metrics are).

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "aggregator/http/activity.h"
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
    // Stored workflows by status; open executions by status.
    absl::flat_hash_map<v1::WorkflowStatus, int64_t> workflows_by_status;
    absl::flat_hash_map<v1::ExecutionStatus, size_t> open_executions;
    // 1 while this aggregator leads (always, alone); the epoch it leads or
    // last led (0: none, or alone).
    double leader = 1;
    double leader_epoch = 0;
    // Notifications waiting for delivery.
    double notifications_queued = 0;
    // Armed workflows whose fire is due and not recorded yet (held back,
    // or the fire loop is behind), and how late the oldest such fire is.
    double workflows_due = 0;
    double fire_delay_seconds = 0;
  };

  // `activity` (optional) is fed the fires and outcomes counted here.
  explicit AggregatorMetrics(Activity* activity = nullptr);

  void OnFireRound(const FireReport& report);
  void OnPing();
  void OnReport(v1::ReportResult result, v1::ExecutionStatus status);
  // An execution reached a terminal status (by report, or lease expiry).
  void OnOutcome(v1::ExecutionStatus status);
  // An execution queued for an operator `waited` past its due time.
  void OnDispatched(absl::Duration waited);
  void OnLeasesExpired(size_t n);
  // PENDING executions recorded SKIPPED by their start deadline.
  void OnStartDeadlinesPassed(size_t n);
  // A notification's delivery attempt: delivered, failed or dropped.
  void OnNotification(absl::string_view event, absl::string_view result);
  // A message of this kind was written to a Sync stream, or could not be.
  void OnStreamSent(const v1::NodeMessage& message);
  void OnStreamSendFailed();
  // One fsync'd write to the store took this long.
  void OnStoreWrite(absl::Duration took);
  // This aggregator became the leader, or stopped being it.
  void OnLeadershipChange();

  // Prometheus text format, with the gauges set from `snapshot`.
  std::string Render(const Snapshot& snapshot);

 private:
  Activity* const activity_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Counter* fires_recorded_;
  prometheus::Counter* fires_skipped_;
  prometheus::Counter* executions_canceled_;
  prometheus::Histogram* fire_lateness_;
  prometheus::Counter* pings_;
  prometheus::Family<prometheus::Counter>* reports_;
  prometheus::Family<prometheus::Counter>* outcomes_;
  prometheus::Counter* assigned_;
  prometheus::Histogram* dispatch_latency_;
  prometheus::Counter* leases_expired_;
  prometheus::Counter* start_deadlines_;
  prometheus::Family<prometheus::Counter>* notifications_;
  prometheus::Gauge* notifications_queued_;
  prometheus::Family<prometheus::Counter>* sent_;
  prometheus::Counter* send_failures_;
  prometheus::Histogram* store_write_;
  prometheus::Counter* leader_changes_;
  prometheus::Gauge* leader_;
  prometheus::Gauge* leader_epoch_;
  prometheus::Gauge* workflows_known_;
  prometheus::Gauge* workflows_armed_;
  prometheus::Gauge* workflows_due_;
  prometheus::Gauge* fire_delay_;
  prometheus::Gauge* operators_connected_;
  prometheus::Family<prometheus::Gauge>* workflows_by_status_;
  prometheus::Family<prometheus::Gauge>* open_executions_;
};

}  // namespace ap

#endif  // AP_AGGREGATOR_HTTP_METRICS_H_
