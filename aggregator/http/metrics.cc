#include "aggregator/http/metrics.h"

#include <algorithm>
#include <sstream>

#include "aggregator/records/workflow_store.h"
#include "common/enum_label.h"
#include "prometheus/text_serializer.h"

namespace ap {
namespace {

const prometheus::Histogram::BucketBoundaries kLatencyBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5};
// Waits for an operator can be long (none connected, all busy).
const prometheus::Histogram::BucketBoundaries kWaitBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
    0.5,   1,      5,     30,   60,    300,  900};

}  // namespace

AggregatorMetrics::AggregatorMetrics(Activity* activity)
    : activity_(activity),
      registry_(std::make_shared<prometheus::Registry>()) {
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
  dispatch_latency_ =
      &prometheus::BuildHistogram()
           .Name("ap_dispatch_latency_seconds")
           .Help(
               "Due time (scheduled, or the end of a retry's backoff) to "
               "the execution queued for an operator")
           .Register(*registry_)
           .Add({}, kWaitBuckets);
  leases_expired_ = &prometheus::BuildCounter()
                         .Name("ap_leases_expired_total")
                         .Help("Leases that ran out (retried or failed)")
                         .Register(*registry_)
                         .Add({});
  sent_ = &prometheus::BuildCounter()
               .Name("ap_stream_messages_sent_total")
               .Help("Messages written to operators' Sync streams, by kind")
               .Register(*registry_);
  send_failures_ =
      &prometheus::BuildCounter()
           .Name("ap_stream_send_failures_total")
           .Help("Messages that could not be sent on a Sync stream")
           .Register(*registry_)
           .Add({});
  store_write_ = &prometheus::BuildHistogram()
                      .Name("ap_store_write_seconds")
                      .Help(
                          "Duration of one fsync'd store write (a fire "
                          "round, a dispatch round, a group of reports, "
                          "an API change)")
                      .Register(*registry_)
                      .Add({}, kLatencyBuckets);
  leader_changes_ = &prometheus::BuildCounter()
                         .Name("ap_leader_changes_total")
                         .Help("Times this aggregator became the leader or "
                               "stopped being it")
                         .Register(*registry_)
                         .Add({});
  leader_ = &prometheus::BuildGauge()
                 .Name("ap_leader")
                 .Help("1 while this aggregator leads (schedules and "
                       "dispatches), 0 on a standby")
                 .Register(*registry_)
                 .Add({});
  leader_epoch_ = &prometheus::BuildGauge()
                       .Name("ap_leader_epoch")
                       .Help("The fencing epoch this aggregator leads or last "
                             "led (0: never, or a single aggregator)")
                       .Register(*registry_)
                       .Add({});
  auto& workflows = prometheus::BuildGauge()
                        .Name("ap_workflows")
                        .Help("Workflows known to the scheduler, armed, and "
                              "due: armed with a fire due and not recorded "
                              "yet")
                        .Register(*registry_);
  workflows_known_ = &workflows.Add({{"state", "known"}});
  workflows_armed_ = &workflows.Add({{"state", "armed"}});
  workflows_due_ = &workflows.Add({{"state", "due"}});
  fire_delay_ = &prometheus::BuildGauge()
                     .Name("ap_fire_delay_seconds")
                     .Help("How late the oldest fire not recorded yet is: "
                           "fires held back while max_pending executions "
                           "wait for operators, or a fire loop behind (0: "
                           "none due)")
                     .Register(*registry_)
                     .Add({});
  operators_connected_ = &prometheus::BuildGauge()
                              .Name("ap_operators_connected")
                              .Help("Operators with an open Sync stream")
                              .Register(*registry_)
                              .Add({});
  workflows_by_status_ = &prometheus::BuildGauge()
                              .Name("ap_workflows_by_status")
                              .Help("Stored workflows, by status")
                              .Register(*registry_);
  start_deadlines_ =
      &prometheus::BuildCounter()
           .Name("ap_start_deadlines_passed_total")
           .Help("PENDING executions recorded SKIPPED: no operator took them "
                 "before their workflow's start deadline")
           .Register(*registry_)
           .Add({});
  notifications_ = &prometheus::BuildCounter()
                        .Name("ap_notifications_total")
                        .Help("Notification delivery attempts, by event and "
                              "result (delivered, failed: tried again, "
                              "dropped: given up)")
                        .Register(*registry_);
  notifications_queued_ = &prometheus::BuildGauge()
                               .Name("ap_notifications_queued")
                               .Help("Notifications waiting for delivery")
                               .Register(*registry_)
                               .Add({});
  open_executions_ =
      &prometheus::BuildGauge()
           .Name("ap_executions_open")
           .Help("Executions not finished yet (pending, dispatched, running)")
           .Register(*registry_);
}

void AggregatorMetrics::OnFireRound(const FireReport& r) {
  fires_recorded_->Increment(static_cast<double>(r.recorded));
  fires_skipped_->Increment(static_cast<double>(r.skipped));
  start_deadlines_->Increment(static_cast<double>(r.start_deadlines));
  executions_canceled_->Increment(static_cast<double>(r.canceled.size()));
  for (absl::Duration d : r.lateness) {
    fire_lateness_->Observe(absl::ToDoubleSeconds(d));
  }
  if (activity_ != nullptr) {
    activity_->OnFired(r.recorded, r.lateness);
    activity_->OnFinished(v1::EXECUTION_STATUS_SKIPPED, r.skipped);
    activity_->OnFinished(v1::EXECUTION_STATUS_CANCELED, r.canceled.size());
  }
}

void AggregatorMetrics::OnPing() { pings_->Increment(); }

void AggregatorMetrics::OnReport(v1::ReportResult result,
                                 v1::ExecutionStatus status) {
  reports_->Add({{"result", EnumLabel(result)}}).Increment();
  if (result == v1::REPORT_RESULT_ACCEPTED) OnOutcome(status);
}

void AggregatorMetrics::OnOutcome(v1::ExecutionStatus status) {
  if (IsTerminal(status)) {
    outcomes_->Add({{"status", EnumLabel(status)}}).Increment();
    if (activity_ != nullptr) activity_->OnFinished(status);
  }
}

void AggregatorMetrics::OnStartDeadlinesPassed(size_t n) {
  start_deadlines_->Increment(static_cast<double>(n));
  if (activity_ != nullptr) {
    activity_->OnFinished(v1::EXECUTION_STATUS_SKIPPED, n);
  }
}

void AggregatorMetrics::OnNotification(absl::string_view event,
                                       absl::string_view result) {
  notifications_
      ->Add({{"event", std::string(event)}, {"result", std::string(result)}})
      .Increment();
}

void AggregatorMetrics::OnDispatched(absl::Duration waited) {
  assigned_->Increment();
  dispatch_latency_->Observe(
      absl::ToDoubleSeconds(std::max(waited, absl::ZeroDuration())));
}

void AggregatorMetrics::OnLeasesExpired(size_t n) {
  leases_expired_->Increment(static_cast<double>(n));
}

void AggregatorMetrics::OnStreamSent(const v1::NodeMessage& message) {
  // The kind is the name of the field set (assignment, assignments, cancel,
  // heartbeat, drain).
  const google::protobuf::FieldDescriptor* kind =
      v1::NodeMessage::descriptor()->FindFieldByNumber(message.kind_case());
  sent_->Add({{"kind", kind != nullptr ? kind->name() : "none"}}).Increment();
}

void AggregatorMetrics::OnStreamSendFailed() { send_failures_->Increment(); }

void AggregatorMetrics::OnStoreWrite(absl::Duration took) {
  store_write_->Observe(absl::ToDoubleSeconds(took));
}

void AggregatorMetrics::OnLeadershipChange() { leader_changes_->Increment(); }

std::string AggregatorMetrics::Render(const Snapshot& s) {
  leader_->Set(s.leader);
  leader_epoch_->Set(s.leader_epoch);
  notifications_queued_->Set(s.notifications_queued);
  workflows_known_->Set(s.workflows_known);
  workflows_armed_->Set(s.workflows_armed);
  workflows_due_->Set(s.workflows_due);
  fire_delay_->Set(s.fire_delay_seconds);
  operators_connected_->Set(s.operators_connected);
  for (const auto& [status, n] : s.workflows_by_status) {
    workflows_by_status_->Add({{"status", EnumLabel(status)}})
        .Set(static_cast<double>(n));
  }
  for (const auto& [status, n] : s.open_executions) {
    open_executions_->Add({{"status", EnumLabel(status)}})
        .Set(static_cast<double>(n));
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

}  // namespace ap
