#include "common/http/ops_server.h"

#include <httplib.h>

#include "aggregator/http/metrics.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ap {
namespace {

using ::testing::HasSubstr;

class OpsServerTest : public ::testing::Test {
 protected:
  OpsServerTest() {
    OpsHandlers h;
    h.ready = [this] { return ready_; };
    h.metrics = [this] {
      AggregatorMetrics::Snapshot s{
          12,
          10,
          2,
          {{v1::WORKFLOW_STATUS_ACTIVE, 10}, {v1::WORKFLOW_STATUS_PAUSED, 2}},
          {{v1::EXECUTION_STATUS_PENDING, 4},
           {v1::EXECUTION_STATUS_RUNNING, 1}}};
      s.workflows_due = 3;
      s.fire_delay_seconds = 1.5;
      return metrics_.Render(s);
    };
    h.operators = [] {
      v1::OperatorInfo op;
      op.set_id("op-1");
      op.set_connected(true);
      op.set_capacity(4);
      return std::vector<v1::OperatorInfo>{op};
    };
    server_ = *OpsServer::Start("127.0.0.1:0", h);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }

  absl::Status ready_ = absl::OkStatus();
  AggregatorMetrics metrics_;
  std::unique_ptr<OpsServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(OpsServerTest, HealthAnswersWhileTheProcessRuns) {
  auto res = client_->Get("/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "ok\n");
}

TEST_F(OpsServerTest, ReadyFollowsItsCheck) {
  EXPECT_EQ(client_->Get("/ready")->status, 200);
  ready_ = absl::UnavailableError("fire loop is not running");
  auto res = client_->Get("/ready");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_THAT(res->body, HasSubstr("fire loop is not running"));
}

TEST_F(OpsServerTest, MetricsAreInPrometheusTextFormat) {
  FireReport round;
  round.recorded = 3;
  round.skipped = 1;
  round.lateness = {absl::Milliseconds(2), absl::Milliseconds(3),
                    absl::Milliseconds(40)};
  metrics_.OnFireRound(round);
  metrics_.OnReport(v1::REPORT_RESULT_ACCEPTED, v1::EXECUTION_STATUS_SUCCEEDED);
  metrics_.OnReport(v1::REPORT_RESULT_DUPLICATE,
                    v1::EXECUTION_STATUS_SUCCEEDED);
  metrics_.OnPing();
  metrics_.OnDispatched(absl::Milliseconds(3));
  metrics_.OnDispatched(absl::Seconds(40));
  v1::NodeMessage heartbeat;
  heartbeat.mutable_heartbeat()->set_sequence(1);
  metrics_.OnStreamSent(heartbeat);
  v1::NodeMessage batch;
  batch.mutable_assignments()->add_assignments();
  metrics_.OnStreamSent(batch);
  metrics_.OnStreamSent(batch);
  metrics_.OnStoreWrite(absl::Microseconds(700));
  auto res = client_->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_THAT(res->get_header_value("Content-Type"), HasSubstr("text/plain"));
  const std::string& body = res->body;
  EXPECT_THAT(body, HasSubstr("# TYPE ap_fires_total counter"));
  EXPECT_THAT(body, HasSubstr("ap_fires_total{result=\"recorded\"} 3"));
  EXPECT_THAT(body, HasSubstr("ap_fires_total{result=\"skipped\"} 1"));
  EXPECT_THAT(body, HasSubstr("ap_fire_lateness_seconds_count 3"));
  EXPECT_THAT(body, HasSubstr("ap_reports_total{result=\"accepted\"} 1"));
  EXPECT_THAT(body, HasSubstr("ap_reports_total{result=\"duplicate\"} 1"));
  EXPECT_THAT(body,
              HasSubstr("ap_execution_outcomes_total{status=\"succeeded\"} 1"));
  EXPECT_THAT(body, HasSubstr("ap_pings_total 1"));
  EXPECT_THAT(body, HasSubstr("ap_workflows{state=\"known\"} 12"));
  EXPECT_THAT(body, HasSubstr("ap_workflows{state=\"due\"} 3"));
  EXPECT_THAT(body, HasSubstr("ap_fire_delay_seconds 1.5"));
  EXPECT_THAT(body, HasSubstr("ap_operators_connected 2"));
  EXPECT_THAT(body, HasSubstr("ap_assignments_total 2"));
  EXPECT_THAT(body, HasSubstr("ap_dispatch_latency_seconds_count 2"));
  EXPECT_THAT(body,
              HasSubstr("ap_dispatch_latency_seconds_bucket{le=\"0.005\"} 1"));
  EXPECT_THAT(body,
              HasSubstr("ap_dispatch_latency_seconds_bucket{le=\"60\"} 2"));
  EXPECT_THAT(body,
              HasSubstr("ap_stream_messages_sent_total{kind=\"heartbeat\"} 1"));
  EXPECT_THAT(
      body, HasSubstr("ap_stream_messages_sent_total{kind=\"assignments\"} 2"));
  EXPECT_THAT(body, HasSubstr("ap_store_write_seconds_count 1"));
  EXPECT_THAT(body, HasSubstr("ap_workflows_by_status{status=\"active\"} 10"));
  EXPECT_THAT(body, HasSubstr("ap_workflows_by_status{status=\"paused\"} 2"));
  EXPECT_THAT(body, HasSubstr("ap_executions_open{status=\"pending\"} 4"));
  EXPECT_THAT(body, HasSubstr("ap_executions_open{status=\"running\"} 1"));
}

TEST_F(OpsServerTest, OperatorsAreJson) {
  auto res = client_->Get("/operators");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  EXPECT_THAT(res->body, HasSubstr("\"id\": \"op-1\""));
  EXPECT_THAT(res->body, HasSubstr("\"connected\": true"));
}

TEST_F(OpsServerTest, UnknownPathIs404AndStopIsPrompt) {
  EXPECT_EQ(client_->Get("/nope")->status, 404);
  server_->Stop();
  EXPECT_FALSE(client_->Get("/health"));
}

TEST(OpsServerConsoleTest, FilesAreServedWithAPolicyAllowingNoInlineScript) {
  OpsHandlers h;
  h.ready = [] { return absl::OkStatus(); };
  h.metrics = [] { return std::string(); };
  h.console = {{"index.html", "text/html; charset=utf-8", "<!DOCTYPE html>"},
               {"js/main.js", "text/javascript; charset=utf-8", "let x;"}};
  auto server = OpsServer::Start("127.0.0.1:0", h);
  ASSERT_TRUE(server.ok());
  httplib::Client client("127.0.0.1", (*server)->port());

  auto index = client.Get("/console/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_EQ(index->body, "<!DOCTYPE html>");
  EXPECT_EQ(index->get_header_value("Content-Type"), "text/html; charset=utf-8");
  const std::string policy = index->get_header_value("Content-Security-Policy");
  EXPECT_THAT(policy, HasSubstr("default-src 'none'"));
  EXPECT_THAT(policy, HasSubstr("script-src 'self';"));
  EXPECT_THAT(policy, ::testing::Not(HasSubstr("unsafe")));
  EXPECT_EQ(index->get_header_value("X-Content-Type-Options"), "nosniff");

  auto js = client.Get("/console/js/main.js");
  EXPECT_EQ(js->body, "let x;");
  EXPECT_EQ(js->get_header_value("Content-Type"),
            "text/javascript; charset=utf-8");
  auto missing = client.Get("/console/js/nope.js");
  EXPECT_EQ(missing->status, 404);
  EXPECT_THAT(missing->body, HasSubstr("no such file: /console/js/nope.js"));
  EXPECT_EQ(client.Get("/console/../CMakeLists.txt")->status, 404);

  EXPECT_EQ(client.Get("/")->get_header_value("Location"), "/console/");
  EXPECT_EQ(client.Get("/console")->get_header_value("Location"), "/console/");
  EXPECT_EQ(client.Get("/telemetry")->get_header_value("Location"),
            "/console/#/overview");
}

TEST(OpsServerConsoleTest, WithoutConsoleFilesNothingIsServedThere) {
  OpsHandlers h;
  h.ready = [] { return absl::OkStatus(); };
  h.metrics = [] { return std::string(); };
  auto server = OpsServer::Start("127.0.0.1:0", h);
  ASSERT_TRUE(server.ok());
  httplib::Client client("127.0.0.1", (*server)->port());
  EXPECT_EQ(client.Get("/console/")->status, 404);
  EXPECT_EQ(client.Get("/telemetry")->status, 404);
}

TEST(OpsServerStartTest, BadOrBusyAddressIsAnError) {
  EXPECT_FALSE(OpsServer::Start("nonsense", {}).ok());
  auto first = OpsServer::Start("127.0.0.1:0", {});
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(
      OpsServer::Start("127.0.0.1:" + std::to_string((*first)->port()), {})
          .ok());
}

}  // namespace
}  // namespace ap
