#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "operator/metrics.h"

namespace ap {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(OperatorMetricsTest, RendersLinkPoolSpoolAndBreakerStateInPrometheusText) {
  OperatorMetrics metrics;
  metrics.OnOutcome(v1::EXECUTION_STATUS_SUCCEEDED);
  metrics.OnOutcome(v1::EXECUTION_STATUS_SUCCEEDED);
  metrics.OnOutcome(v1::EXECUTION_STATUS_TIMED_OUT);
  metrics.OnAssignment(/*duplicate=*/true);
  metrics.OnSpoolFull();
  OperatorMetrics::Snapshot s;
  s.link.linked = true;
  s.link.endpoint = "10.0.0.1:2206";
  s.link.reconnects = 3;
  s.link.backoff_delay = absl::Milliseconds(1500);
  s.spool_depth = 7;
  s.breakers = {{"api.example.com:443", 2}};
  const std::string text = metrics.Render(s);
  EXPECT_THAT(
      text, HasSubstr("ap_operator_executions_total{status=\"succeeded\"} 2"));
  EXPECT_THAT(
      text, HasSubstr("ap_operator_executions_total{status=\"timed_out\"} 1"));
  EXPECT_THAT(
      text, HasSubstr("ap_operator_assignments_total{result=\"duplicate\"} 1"));
  EXPECT_THAT(text, HasSubstr("ap_operator_spool_full_total 1"));
  EXPECT_THAT(text, HasSubstr("ap_operator_state{what=\"linked\"} 1"));
  EXPECT_THAT(text, HasSubstr("ap_operator_state{what=\"reconnects\"} 3"));
  EXPECT_THAT(
      text, HasSubstr("ap_operator_state{what=\"backoff_delay_seconds\"} 1.5"));
  EXPECT_THAT(text, HasSubstr("ap_operator_state{what=\"spool_depth\"} 7"));
  EXPECT_THAT(text,
              HasSubstr("ap_operator_endpoint{endpoint=\"10.0.0.1:2206\"} 1"));
  EXPECT_THAT(
      text,
      HasSubstr("ap_operator_circuit_state{host=\"api.example.com:443\"} 2"));
}

TEST(OperatorMetricsTest, APreviousEndpointReadsZeroAfterAFailover) {
  OperatorMetrics metrics;
  OperatorMetrics::Snapshot s;
  s.link.endpoint = "a:1";
  metrics.Render(s);
  s.link.endpoint = "b:1";
  const std::string text = metrics.Render(s);
  EXPECT_THAT(text, HasSubstr("ap_operator_endpoint{endpoint=\"a:1\"} 0"));
  EXPECT_THAT(text, HasSubstr("ap_operator_endpoint{endpoint=\"b:1\"} 1"));
  EXPECT_THAT(text, Not(HasSubstr("ap_operator_circuit_state{")));
}

}  // namespace
}  // namespace ap
