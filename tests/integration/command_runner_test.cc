#include "operator/run/command_runner.h"

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ap {
namespace {

using ::testing::HasSubstr;

v1::Step Command(std::vector<std::string> argv,
                 std::map<std::string, std::string> env = {}) {
  v1::Step s;
  for (auto& a : argv) s.mutable_command()->add_argv(a);
  for (auto& [k, v] : env) (*s.mutable_command()->mutable_env())[k] = v;
  return s;
}

StepContext Within(absl::Duration d, size_t max_output = 1024) {
  return StepContext{absl::Now() + d, nullptr, max_output};
}

class CommandRunnerTest : public ::testing::Test {
 protected:
  CommandRunner runner_{{"/bin/echo", "/bin/sh", "/bin/sleep"}};
};

TEST_F(CommandRunnerTest, AnAllowedProgramRunsWithItsStdoutAsOutput) {
  v1::StepResult r = runner_.Run(Command({"/bin/echo", "hello", "$HOME"}),
                                 Within(absl::Seconds(10)));
  EXPECT_EQ(r.status(), v1::STEP_STATUS_SUCCEEDED) << r.error();
  EXPECT_EQ(r.output(), "hello $HOME\n");  // no shell: no expansion
  EXPECT_EQ(r.exit_code(), 0);
}

TEST_F(CommandRunnerTest, AProgramNotOnTheAllowListIsNeverStarted) {
  v1::StepResult r =
      runner_.Run(Command({"/usr/bin/id"}), Within(absl::Seconds(10)));
  EXPECT_EQ(r.status(), v1::STEP_STATUS_FAILED);
  EXPECT_THAT(r.error(), HasSubstr("/usr/bin/id is not in this operator's "
                                   "allowed_commands"));
  // The list is matched on the exact path, not the name.
  r = runner_.Run(Command({"echo", "x"}), Within(absl::Seconds(10)));
  EXPECT_EQ(r.status(), v1::STEP_STATUS_FAILED);
  CommandRunner none({});
  r = none.Run(Command({"/bin/echo"}), Within(absl::Seconds(10)));
  EXPECT_THAT(r.error(), HasSubstr("(empty)"));
}

TEST_F(CommandRunnerTest, ANonZeroExitFailsWithTheEndOfStderr) {
  v1::StepResult r = runner_.Run(
      Command({"/bin/sh", "-c", "echo out; echo broken >&2; exit 3"}),
      Within(absl::Seconds(10)));
  EXPECT_EQ(r.status(), v1::STEP_STATUS_FAILED);
  EXPECT_EQ(r.exit_code(), 3);
  EXPECT_EQ(r.output(), "out\n");
  EXPECT_THAT(r.error(), HasSubstr("exited with 3: broken"));
}

TEST_F(CommandRunnerTest, TheStepsEnvironmentIsPassed) {
  v1::StepResult r = runner_.Run(
      Command({"/bin/sh", "-c", "echo \"$GREETING\""}, {{"GREETING", "hi"}}),
      Within(absl::Seconds(10)));
  EXPECT_EQ(r.output(), "hi\n");
}

TEST_F(CommandRunnerTest, OutputIsCutToTheLimit) {
  v1::StepResult r = runner_.Run(
      Command({"/bin/sh", "-c", "head -c 100000 /dev/zero | tr '\\0' x"}),
      Within(absl::Seconds(10), 10));
  EXPECT_EQ(r.status(), v1::STEP_STATUS_SUCCEEDED) << r.error();
  EXPECT_EQ(r.output(), "xxxxxxxxxx");
  EXPECT_TRUE(r.output_truncated());
}

TEST_F(CommandRunnerTest, AProgramPastItsTimeoutIsKilledWithItsChildren) {
  const absl::Time start = absl::Now();
  v1::StepResult r =
      runner_.Run(Command({"/bin/sh", "-c", "/bin/sleep 30 & /bin/sleep 30"}),
                  Within(absl::Milliseconds(200)));
  EXPECT_EQ(r.status(), v1::STEP_STATUS_TIMED_OUT);
  EXPECT_EQ(r.exit_code(), -9);
  // The background sleep held stdout open too: had it survived, the
  // runner would still be waiting.
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST_F(CommandRunnerTest, CancelKillsTheProgram) {
  std::atomic<bool> canceled{true};
  StepContext ctx = Within(absl::Seconds(30));
  ctx.canceled = &canceled;
  v1::StepResult r = runner_.Run(Command({"/bin/sleep", "30"}), ctx);
  EXPECT_EQ(r.status(), v1::STEP_STATUS_CANCELED);
}

TEST_F(CommandRunnerTest, AnAllowedButMissingProgramFailsClearly) {
  CommandRunner runner({"/nonexistent/tool"});
  v1::StepResult r =
      runner.Run(Command({"/nonexistent/tool"}), Within(absl::Seconds(10)));
  EXPECT_EQ(r.status(), v1::STEP_STATUS_FAILED);
  EXPECT_THAT(r.error(), HasSubstr("/nonexistent/tool"));
}

}  // namespace
}  // namespace ap
