#include "aggregator/http/telemetry.h"

#include "common/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ap {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(TelemetryTest, ShowsOperatorsCountsAndOutcomesEscaped) {
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  TelemetryData d;
  d.aggregator_id = "agg-1";
  d.version = "0.1.0";
  d.now = now;
  d.workflows_known = 12;
  d.workflows_armed = 10;
  d.workflows_by_status = {{v1::WORKFLOW_STATUS_ACTIVE, 10},
                           {v1::WORKFLOW_STATUS_COMPLETED, 3}};
  d.open_executions = {{v1::EXECUTION_STATUS_PENDING, 7},
                       {v1::EXECUTION_STATUS_RUNNING, 0}};
  v1::OperatorInfo op;
  op.set_id("op-<script>");
  op.set_version("1.2");
  op.set_connected(true);
  op.set_capacity(4);
  op.set_running(2);
  *op.mutable_last_seen() = ToProtoTimestamp(now - absl::Seconds(3));
  d.operators = {op};
  v1::Execution e;
  e.set_id("W-20260601T120000.000Z");
  e.set_status(v1::EXECUTION_STATUS_SUCCEEDED);
  e.set_operator_id("op-1");
  e.set_attempt(1);
  *e.mutable_started_at() = ToProtoTimestamp(now - absl::Seconds(2));
  *e.mutable_finished_at() = ToProtoTimestamp(now - absl::Milliseconds(500));
  d.recent = {e};
  const std::string html = RenderTelemetry(d);
  EXPECT_THAT(html, HasSubstr("<meta http-equiv=\"refresh\" content=\"5\">"));
  EXPECT_THAT(html, HasSubstr("op-&lt;script&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("<script>")));
  EXPECT_THAT(html, HasSubstr("<td id=\"workflows-known\">12</td>"));
  EXPECT_THAT(html, HasSubstr("<td id=\"workflows-active\">10</td>"));
  EXPECT_THAT(html, HasSubstr("<td id=\"workflows-paused\">0</td>"));
  EXPECT_THAT(html, HasSubstr("<td id=\"workflows-completed\">3</td>"));
  EXPECT_THAT(html, HasSubstr("<td id=\"open-pending\">7</td>"));
  EXPECT_THAT(html, HasSubstr("<td id=\"open-running\">0</td>"));
  EXPECT_THAT(html, Not(HasSubstr("open-succeeded")));  // not an open one
  EXPECT_THAT(html, HasSubstr("(3s ago)"));
  EXPECT_THAT(html, HasSubstr(">succeeded<"));
  EXPECT_THAT(html, HasSubstr("1.5s"));  // duration
}

TEST(TelemetryTest, SaysWhetherThisAggregatorLeadsOrWhoDoes) {
  TelemetryData d;
  EXPECT_THAT(RenderTelemetry(d), HasSubstr("<span id=\"role\">leader</span>"));
  d.role = "standby; the leader is at <agg-2>:2206";
  EXPECT_THAT(RenderTelemetry(d),
              HasSubstr("<span id=\"role\">standby; the leader is at "
                        "&lt;agg-2&gt;:2206</span>"));
}

TEST(TelemetryTest, HtmlEscapeCoversTheFiveCharacters) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
}

}  // namespace
}  // namespace ap
