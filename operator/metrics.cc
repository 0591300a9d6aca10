#include "operator/metrics.h"

#include <sstream>

#include "common/enum_label.h"
#include "prometheus/text_serializer.h"

namespace ap {

OperatorMetrics::OperatorMetrics()
    : registry_(std::make_shared<prometheus::Registry>()) {
  outcomes_ = &prometheus::BuildCounter()
                   .Name("ap_operator_executions_total")
                   .Help("Executions this operator finished, by outcome")
                   .Register(*registry_);
  spool_full_ = &prometheus::BuildCounter()
                     .Name("ap_operator_spool_full_total")
                     .Help("Outcomes refused because the spool was full")
                     .Register(*registry_)
                     .Add({});
  auto& assignments = prometheus::BuildCounter()
                          .Name("ap_operator_assignments_total")
                          .Help("Assignments received, by what was done")
                          .Register(*registry_);
  assignments_ = &assignments.Add({{"result", "queued"}});
  duplicates_ = &assignments.Add({{"result", "duplicate"}});
  handed_back_ = &assignments.Add({{"result", "handed_back"}});
  gauges_ = &prometheus::BuildGauge()
                 .Name("ap_operator_state")
                 .Help("Link, pool and spool state (see the `what` label)")
                 .Register(*registry_);
  endpoint_ = &prometheus::BuildGauge()
                   .Name("ap_operator_endpoint")
                   .Help("1 for the aggregator endpoint in use")
                   .Register(*registry_);
  breakers_ = &prometheus::BuildGauge()
                   .Name("ap_operator_circuit_state")
                   .Help("Per HTTP host: 0 closed, 1 half-open, 2 open")
                   .Register(*registry_);
}

void OperatorMetrics::OnOutcome(v1::ExecutionStatus status) {
  outcomes_->Add({{"status", EnumLabel(status)}}).Increment();
}

void OperatorMetrics::OnHandBack() { handed_back_->Increment(); }

void OperatorMetrics::OnSpoolFull() { spool_full_->Increment(); }

void OperatorMetrics::OnAssignment(bool duplicate) {
  (duplicate ? duplicates_ : assignments_)->Increment();
}

std::string OperatorMetrics::Render(const Snapshot& s) {
  auto set = [&](const char* what, double v) {
    gauges_->Add({{"what", what}}).Set(v);
  };
  set("linked", s.link.linked ? 1 : 0);
  set("reconnects", static_cast<double>(s.link.reconnects));
  set("ping_failures", static_cast<double>(s.link.ping_failures));
  set("stale_streams", static_cast<double>(s.link.stale_streams));
  set("failovers", static_cast<double>(s.link.failovers));
  set("leader_follows", static_cast<double>(s.link.leader_follows));
  set("ping_latency_seconds", absl::ToDoubleSeconds(s.link.last_ping_latency));
  set("backoff_delay_seconds", absl::ToDoubleSeconds(s.link.backoff_delay));
  set("running", s.running);
  set("queued", s.queued);
  set("capacity", s.capacity);
  set("spool_depth", static_cast<double>(s.spool_depth));
  set("spool_bytes", static_cast<double>(s.spool_bytes));
  absl::MutexLock l(&mu_);
  if (!s.link.endpoint.empty()) endpoints_seen_.insert(s.link.endpoint);
  for (const std::string& e : endpoints_seen_) {
    endpoint_->Add({{"endpoint", e}}).Set(e == s.link.endpoint ? 1 : 0);
  }
  for (const auto& [host, state] : s.breakers) {
    breakers_->Add({{"host", host}}).Set(state);
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

}  // namespace ap
