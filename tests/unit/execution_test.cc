#include "operator/run/execution.h"

#include <map>

#include "absl/time/clock.h"
#include "common/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ap {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Records each step it is given (rendered) and answers from a table by
// step id; unknown ids succeed with output "out-ID".
class FakeRunner : public StepRunner {
 public:
  v1::StepResult Run(const v1::Step& step, const StepContext& ctx) override {
    seen.push_back(step);
    deadlines.push_back(ctx.deadline);
    auto it = answers.find(step.id());
    if (it != answers.end()) return it->second;
    v1::StepResult r;
    r.set_status(v1::STEP_STATUS_SUCCEEDED);
    r.set_output("out-" + step.id());
    return r;
  }
  std::vector<v1::Step> seen;
  std::vector<absl::Time> deadlines;
  std::map<std::string, v1::StepResult> answers;
};

v1::Assignment AssignmentWith(std::initializer_list<v1::Step> steps) {
  v1::Assignment a;
  a.set_execution_id("exec-1");
  a.set_attempt(2);
  a.mutable_scheduled_at()->set_seconds(1764547200);  // 2025-12-01T00:00:00Z
  a.mutable_workflow()->set_id("wf-1");
  for (const v1::Step& s : steps) *a.mutable_workflow()->add_steps() = s;
  return a;
}

v1::Step Http(const std::string& id, const std::string& url,
              const std::string& body = "") {
  v1::Step s;
  s.set_id(id);
  s.mutable_http()->set_url(url);
  s.mutable_http()->set_body(body);
  return s;
}

v1::Step Command(const std::string& id, std::vector<std::string> argv) {
  v1::Step s;
  s.set_id(id);
  for (auto& a : argv) s.mutable_command()->add_argv(a);
  return s;
}

class ExecutionTest : public ::testing::Test {
 protected:
  v1::ReportRequest Run(const v1::Assignment& a) {
    return RunExecution(a, {&http_, &command_, &clock_}, 1024, canceled_);
  }
  SimulatedClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  FakeRunner http_, command_;
  std::atomic<bool> canceled_{false};
};

TEST_F(ExecutionTest, StepsRunInOrderAndTheOutcomeSucceeds) {
  v1::ReportRequest r =
      Run(AssignmentWith({Http("a", "http://x/"), Command("b", {"/bin/true"}),
                          Http("c", "http://y/")}));
  EXPECT_EQ(r.status(), v1::EXECUTION_STATUS_SUCCEEDED);
  EXPECT_EQ(r.execution_id(), "exec-1");
  EXPECT_EQ(r.attempt(), 2);
  ASSERT_EQ(r.step_results_size(), 3);
  EXPECT_EQ(r.step_results(0).step_id(), "a");
  EXPECT_EQ(r.step_results(2).output(), "out-c");
  EXPECT_EQ(http_.seen.size(), 2u);
  EXPECT_EQ(command_.seen.size(), 1u);
  EXPECT_TRUE(r.has_started_at());
  EXPECT_TRUE(r.step_results(1).has_finished_at());
}

TEST_F(ExecutionTest, TemplatesSeeEarlierOutputsAndTheExecution) {
  Run(AssignmentWith(
      {Http("first", "http://x/"),
       Http("second", "http://x/{{ workflow.id }}/{{execution.id}}",
            "prev={{steps.first.output}} at={{execution.scheduled_at}}"),
       Command("third", {"/bin/echo", "{{steps.second.output}}"})}));
  ASSERT_EQ(http_.seen.size(), 2u);
  EXPECT_EQ(http_.seen[1].http().url(), "http://x/wf-1/exec-1");
  EXPECT_EQ(http_.seen[1].http().body(),
            "prev=out-first at=2025-12-01T00:00:00.000Z");
  ASSERT_EQ(command_.seen.size(), 1u);
  EXPECT_THAT(command_.seen[0].command().argv(),
              ElementsAre("/bin/echo", "out-second"));
}

TEST_F(ExecutionTest, AFailedStepEndsTheRunAndTheRestAreSkipped) {
  v1::StepResult failed;
  failed.set_status(v1::STEP_STATUS_FAILED);
  failed.set_error("unexpected HTTP status 500");
  http_.answers["b"] = failed;
  v1::ReportRequest r =
      Run(AssignmentWith({Http("a", "http://x/"), Http("b", "http://x/"),
                          Http("c", "http://x/")}));
  EXPECT_EQ(r.status(), v1::EXECUTION_STATUS_FAILED);
  EXPECT_EQ(r.reason(), "step b: unexpected HTTP status 500");
  EXPECT_EQ(r.step_results(2).status(), v1::STEP_STATUS_SKIPPED);
  EXPECT_EQ(http_.seen.size(), 2u);
}

TEST_F(ExecutionTest, ATimedOutStepMakesTheExecutionTimedOut) {
  v1::StepResult slow;
  slow.set_status(v1::STEP_STATUS_TIMED_OUT);
  slow.set_error("no complete response within 1s");
  http_.answers["a"] = slow;
  EXPECT_EQ(Run(AssignmentWith({Http("a", "http://x/")})).status(),
            v1::EXECUTION_STATUS_TIMED_OUT);
}

TEST_F(ExecutionTest, TheStepDeadlineIsItsTimeoutOrTheExecutionsIfSooner) {
  v1::Assignment a = AssignmentWith({Http("a", "http://x/")});
  a.mutable_workflow()
      ->mutable_steps(0)
      ->mutable_http()
      ->mutable_timeout()
      ->set_seconds(600);
  a.mutable_workflow()
      ->mutable_policy()
      ->mutable_execution_timeout()
      ->set_seconds(5);
  v1::ReportRequest r = Run(a);
  ASSERT_EQ(http_.deadlines.size(), 1u);
  EXPECT_EQ(http_.deadlines[0], clock_.TimeNow() + absl::Seconds(5));
  // Times are read from the execution's clock.
  EXPECT_EQ(FromProto(r.started_at()), clock_.TimeNow());
  EXPECT_EQ(FromProto(r.finished_at()), clock_.TimeNow());
}

TEST_F(ExecutionTest, ACanceledExecutionRunsNoFurtherStep) {
  canceled_ = true;
  v1::ReportRequest r = Run(AssignmentWith({Http("a", "http://x/")}));
  EXPECT_EQ(r.status(), v1::EXECUTION_STATUS_CANCELED);
  EXPECT_TRUE(http_.seen.empty());
}

TEST_F(ExecutionTest, AStepKindWithoutARunnerFailsWithTheReason) {
  v1::ReportRequest r =
      RunExecution(AssignmentWith({Command("a", {"/bin/true"})}),
                   {&http_, nullptr, &clock_}, 1024, canceled_);
  EXPECT_EQ(r.status(), v1::EXECUTION_STATUS_FAILED);
  EXPECT_THAT(r.reason(), HasSubstr("cannot run this kind of step"));
}

TEST_F(ExecutionTest, ABrokenTemplateFailsTheStepNamingIt) {
  v1::ReportRequest r =
      Run(AssignmentWith({Http("a", "http://x/{{ steps.a.output")}));
  EXPECT_EQ(r.status(), v1::EXECUTION_STATUS_FAILED);
  EXPECT_THAT(r.reason(), HasSubstr("step a: templating"));
  EXPECT_TRUE(http_.seen.empty());
}

TEST(WhyNotStartTest, AnAttemptStartsOnlyWithinItsLease) {
  const absl::Time t = absl::FromUnixSeconds(1'780'000'000);
  v1::Assignment a;
  EXPECT_EQ(WhyNotStart(a, t), std::nullopt) << "no deadline: no limit";
  *a.mutable_deadline() = ToProtoTimestamp(t);
  EXPECT_EQ(WhyNotStart(a, t - absl::Milliseconds(1)), std::nullopt);
  const std::optional<std::string> why = WhyNotStart(a, t);
  ASSERT_TRUE(why.has_value());
  EXPECT_THAT(*why, HasSubstr("lease ran out"));
  EXPECT_THAT(*why, HasSubstr("2026-05-28T"));
}

}  // namespace
}  // namespace ap
