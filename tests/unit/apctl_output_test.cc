#include "ap/v1/workflow.pb.h"
#include "cli/output.h"
#include "cli/workflow_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ap {
namespace {

using ::ap::testing::StatusIs;
using ::testing::HasSubstr;

TEST(RenderTableTest, ColumnsAlignToTheWidestCell) {
  EXPECT_EQ(RenderTable(
                {"ID", "NAME", "STATUS"},
                {{"01ABC", "nightly-report", "ACTIVE"}, {"02", "x", "PAUSED"}}),
            "ID     NAME            STATUS\n"
            "01ABC  nightly-report  ACTIVE\n"
            "02     x               PAUSED\n");
}

TEST(RenderTableTest, AnEmptyTableIsItsHeader) {
  EXPECT_EQ(RenderTable({"ID", "NAME"}, {}), "ID  NAME\n");
}

TEST(RenderTest, JsonAndYamlUseTheProtoJsonMapping) {
  v1::Workflow w;
  w.set_name("hook");
  w.mutable_trigger()->mutable_interval()->mutable_every()->set_seconds(90);
  auto json = RenderJson(w);
  ASSERT_STATUS_OK(json);
  EXPECT_THAT(*json, HasSubstr("\"every\": \"90s\""));
  auto yaml = RenderYaml(w);
  ASSERT_STATUS_OK(yaml);
  EXPECT_THAT(*yaml, HasSubstr("name: hook\n"));
  EXPECT_THAT(*yaml, HasSubstr("every: 90s"));
}

TEST(FormatTest, TimestampsAndDurations) {
  google::protobuf::Timestamp t;
  EXPECT_EQ(FormatTimestamp(t), "-");
  t.set_seconds(1764547200);
  EXPECT_EQ(FormatTimestamp(t), "2025-12-01T00:00:00Z");
  EXPECT_EQ(FormatShortDuration(absl::Milliseconds(250)), "250ms");
  EXPECT_EQ(FormatShortDuration(absl::Milliseconds(1530)), "1.5s");
  EXPECT_EQ(FormatShortDuration(absl::ZeroDuration()), "-");
}

constexpr char kYaml[] = R"(
name: webhook
labels:
  team: "7"
trigger:
  cron:
    schedules: ["*/5 * * * MON-FRI"]
    timezone: Europe/Berlin
maxExecutions: 10
policy:
  concurrency: CONCURRENCY_POLICY_FORBID
  executionTimeout: 30s
steps:
  - id: call
    http:
      method: POST
      url: https://example.com/hook
      expectStatus: [200, 204]
)";

TEST(WorkflowFileTest, YamlInTheJsonMappingBecomesAWorkflow) {
  absl::StatusOr<v1::Workflow> w = ParseWorkflowFile(kYaml, "hook.yaml");
  ASSERT_STATUS_OK(w);
  EXPECT_EQ(w->name(), "webhook");
  EXPECT_EQ(w->labels().at("team"), "7");  // quoted: stays a string
  EXPECT_EQ(w->trigger().cron().schedules(0), "*/5 * * * MON-FRI");
  EXPECT_EQ(w->max_executions(), 10);
  EXPECT_EQ(w->policy().execution_timeout().seconds(), 30);
  EXPECT_EQ(w->steps(0).http().expect_status_size(), 2);
}

TEST(WorkflowFileTest, JsonWorksToo) {
  absl::StatusOr<v1::Workflow> w = ParseWorkflowFile(
      R"({"name": "j", "trigger": {"manual": {}}})", "j.json");
  ASSERT_STATUS_OK(w);
  EXPECT_TRUE(w->trigger().has_manual());
}

TEST(WorkflowFileTest, AnUnknownFieldIsNamed) {
  EXPECT_THAT(
      ParseWorkflowFile("name: x\nstepz: []\n", "bad.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               ::testing::AllOf(HasSubstr("bad.yaml"), HasSubstr("stepz"))));
}

TEST(WorkflowFileTest, AYamlSyntaxErrorSaysWhere) {
  EXPECT_THAT(
      ParseWorkflowFile("name: x\nsteps: [\n", "broken.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               ::testing::AllOf(HasSubstr("broken.yaml"), HasSubstr("line"))));
}

TEST(WorkflowFileTest, AnEmptyFileIsRefused) {
  EXPECT_THAT(ParseWorkflowFile("  \n", "empty.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
}

}  // namespace
}  // namespace ap
