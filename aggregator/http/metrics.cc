#include "aggregator/http/metrics.h"

#include <sstream>

#include "aggregator/workflows/workflow_store.h"
#include "common/enum_label.h"
#include "prometheus/text_serializer.h"

namespace ap {
namespace {

const prometheus::Histogram::BucketBoundaries kLatencyBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5};

}  // namespace

AggregatorMetrics::AggregatorMetrics()
    : registry_(std::make_shared<prometheus::Registry>()) {
  auto& fires = prometheus::BuildCounter()
                    .Name("ap_fires_total")
                    .Help("Fires handled, by result")
                    .Register(*registry_);
  fires_recorded_ = &fires.Add({{"result", "recorded"}});
  fires_skipped_ = &fires.Add({{"result", "skipped"}});
  executions_canceled_ = &prometheus::BuildCounter()
                              .Name("ap_executions_replaced_total")
                              .Help("Executions canceled by REPLACE")
                              .Register(*registry_)
                              .Add({});
  fire_lateness_ = &prometheus::BuildHistogram()
                        .Name("ap_fire_lateness_seconds")
                        .Help("Scheduled time to durable record of a fire")
                        .Register(*registry_)
                        .Add({}, kLatencyBuckets);
  pings_ = &prometheus::BuildCounter()
                .Name("ap_pings_total")
                .Help("Operator pings answered")
                .Register(*registry_)
                .Add({});
  reports_ = &prometheus::BuildCounter()
                  .Name("ap_reports_total")
                  .Help("Operator reports, by answer")
                  .Register(*registry_);
  outcomes_ = &prometheus::BuildCounter()
                   .Name("ap_execution_outcomes_total")
                   .Help("Terminal outcomes recorded, by status")
                   .Register(*registry_);
  assigned_ = &prometheus::BuildCounter()
                   .Name("ap_assignments_total")
                   .Help("Executions assigned to operators")
                   .Register(*registry_)
                   .Add({});
  leases_expired_ = &prometheus::BuildCounter()
                         .Name("ap_leases_expired_total")
                         .Help("Leases that ran out (retried or failed)")
                         .Register(*registry_)
                         .Add({});
  send_failures_ =
      &prometheus::BuildCounter()
           .Name("ap_stream_send_failures_total")
           .Help("Messages that could not be sent on a Sync stream")
           .Register(*registry_)
           .Add({});
  store_write_ = &prometheus::BuildHistogram()
                      .Name("ap_fire_round_seconds")
                      .Help("Duration of one fsync'd fire round")
                      .Register(*registry_)
                      .Add({}, kLatencyBuckets);
  auto& workflows = prometheus::BuildGauge()
                        .Name("ap_workflows")
                        .Help("Workflows known to the scheduler, and armed")
                        .Register(*registry_);
  workflows_known_ = &workflows.Add({{"state", "known"}});
  workflows_armed_ = &workflows.Add({{"state", "armed"}});
  operators_connected_ = &prometheus::BuildGauge()
                              .Name("ap_operators_connected")
                              .Help("Operators with an open Sync stream")
                              .Register(*registry_)
                              .Add({});
}

void AggregatorMetrics::OnFireRound(const FireReport& r) {
  fires_recorded_->Increment(static_cast<double>(r.recorded));
  fires_skipped_->Increment(static_cast<double>(r.skipped));
  executions_canceled_->Increment(static_cast<double>(r.canceled.size()));
  for (absl::Duration d : r.lateness) {
    fire_lateness_->Observe(absl::ToDoubleSeconds(d));
  }
}

void AggregatorMetrics::OnPing() { pings_->Increment(); }

void AggregatorMetrics::OnReport(v1::ReportResult result,
                                 v1::ExecutionStatus status) {
  reports_->Add({{"result", EnumLabel(result)}}).Increment();
  if (result == v1::REPORT_RESULT_ACCEPTED && IsTerminal(status)) {
    outcomes_->Add({{"status", EnumLabel(status)}}).Increment();
  }
}

void AggregatorMetrics::OnAssigned(size_t n) {
  assigned_->Increment(static_cast<double>(n));
}

void AggregatorMetrics::OnLeasesExpired(size_t n) {
  leases_expired_->Increment(static_cast<double>(n));
}

void AggregatorMetrics::OnStreamSendFailed() { send_failures_->Increment(); }

void AggregatorMetrics::OnStoreWrite(absl::Duration took) {
  store_write_->Observe(absl::ToDoubleSeconds(took));
}

std::string AggregatorMetrics::Render(const Snapshot& s) {
  workflows_known_->Set(s.workflows_known);
  workflows_armed_->Set(s.workflows_armed);
  operators_connected_->Set(s.operators_connected);
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

}  // namespace ap
