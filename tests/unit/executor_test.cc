#include "operator/run/executor.h"

#include <stdexcept>
#include <thread>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/clock.h"

namespace ap {
namespace {

using ::testing::HasSubstr;

// Steps whose URL is "block" wait until canceled; "throw" throws; anything
// else succeeds at once.
class TestRunner : public StepRunner {
 public:
  v1::StepResult Run(const v1::Step& step, const StepContext& ctx) override {
    runs.fetch_add(1);
    const std::string& url = step.http().url();
    if (url == "throw") throw std::runtime_error("boom");
    v1::StepResult r;
    if (url == "block") {
      started.Notify();
      ctx.canceled->wait(false);  // until the executor cancels it
      r.set_status(v1::STEP_STATUS_CANCELED);
      return r;
    }
    r.set_status(v1::STEP_STATUS_SUCCEEDED);
    return r;
  }
  std::atomic<int> runs{0};
  absl::Notification started;
};

v1::Assignment Assign(const std::string& id, int attempt,
                      const std::string& url = "ok") {
  v1::Assignment a;
  a.set_execution_id(id);
  a.set_attempt(attempt);
  v1::Step* s = a.mutable_workflow()->add_steps();
  s->set_id("s");
  s->mutable_http()->set_url(url);
  return a;
}

class ExecutorTest : public ::testing::Test {
 protected:
  std::unique_ptr<Executor> Make(int capacity) {
    return std::make_unique<Executor>(ExecutorOptions{capacity, 1024},
                                      Runners{&runner_, nullptr, &clock_},
                                      [this](v1::ReportRequest r) {
                                        absl::MutexLock l(&mu_);
                                        outcomes_.push_back(std::move(r));
                                      });
  }
  // Waits (bounded) for n outcomes.
  std::vector<v1::ReportRequest> Outcomes(size_t n) {
    absl::MutexLock l(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return outcomes_.size() >= n;
    };
    mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(10));
    return outcomes_;
  }

  SimulatedClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  TestRunner runner_;
  absl::Mutex mu_;
  std::vector<v1::ReportRequest> outcomes_ ABSL_GUARDED_BY(mu_);
};

TEST_F(ExecutorTest, AReSentAssignmentIsNotRunTwice) {
  auto executor = Make(2);
  EXPECT_EQ(executor->Submit(Assign("e1", 1)), Executor::Submitted::kQueued);
  ASSERT_EQ(Outcomes(1).size(), 1u);
  EXPECT_EQ(executor->Submit(Assign("e1", 1)), Executor::Submitted::kDuplicate);
  // A new attempt of the same execution is new work.
  EXPECT_EQ(executor->Submit(Assign("e1", 2)), Executor::Submitted::kQueued);
  ASSERT_EQ(Outcomes(2).size(), 2u);
  executor->Drain(absl::Seconds(5));
  EXPECT_EQ(runner_.runs.load(), 2);
}

TEST_F(ExecutorTest, AnAssignmentStillRunningIsNotStartedAgain) {
  auto executor = Make(2);
  executor->Submit(Assign("e1", 1, "block"));
  runner_.started.WaitForNotification();
  EXPECT_EQ(executor->Submit(Assign("e1", 1, "block")),
            Executor::Submitted::kDuplicate);
  EXPECT_EQ(executor->running(), 1);
  EXPECT_TRUE(executor->Cancel("e1", 1, "replaced by a newer fire"));
  const auto outcomes = Outcomes(1);
  EXPECT_EQ(outcomes[0].status(), v1::EXECUTION_STATUS_CANCELED);
  EXPECT_EQ(outcomes[0].reason(), "replaced by a newer fire");
  EXPECT_EQ(runner_.runs.load(), 1);
}

TEST_F(ExecutorTest, AnAttemptTheAggregatorCallsStaleAtStartIsNotRun) {
  std::vector<std::string> asked;
  Executor executor(
      ExecutorOptions{1, 1024}, Runners{&runner_, nullptr, &clock_},
      [this](v1::ReportRequest r) {
        absl::MutexLock l(&mu_);
        outcomes_.push_back(std::move(r));
      },
      [&](const v1::Assignment& a) {
        asked.push_back(a.execution_id());
        return a.execution_id() != "stale";
      });
  executor.Submit(Assign("stale", 1));
  executor.Submit(Assign("fresh", 1));
  const auto outcomes = Outcomes(1);
  executor.Drain(absl::Seconds(5));
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].execution_id(), "fresh");
  EXPECT_EQ(runner_.runs.load(), 1);
  EXPECT_EQ(asked, (std::vector<std::string>{"stale", "fresh"}));
}

TEST_F(ExecutorTest, RememberedOutcomesAreNotRunAgain) {
  auto executor = Make(1);
  executor->Remember("e1", 3);
  EXPECT_EQ(executor->Submit(Assign("e1", 3)), Executor::Submitted::kDuplicate);
  EXPECT_FALSE(executor->Cancel("e1", 3, "x"));
}

TEST_F(ExecutorTest, AnExceptionFailsThatExecutionOnly) {
  auto executor = Make(1);
  executor->Submit(Assign("bad", 1, "throw"));
  executor->Submit(Assign("good", 1));
  const auto outcomes = Outcomes(2);
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].execution_id(), "bad");
  EXPECT_EQ(outcomes[0].status(), v1::EXECUTION_STATUS_FAILED);
  EXPECT_THAT(outcomes[0].reason(), HasSubstr("boom"));
  EXPECT_EQ(outcomes[1].status(), v1::EXECUTION_STATUS_SUCCEEDED);
}

TEST_F(ExecutorTest, CapacityBoundsWhatRunsAtOnce) {
  auto executor = Make(1);
  executor->Submit(Assign("e1", 1, "block"));
  runner_.started.WaitForNotification();
  executor->Submit(Assign("e2", 1));
  EXPECT_EQ(executor->running(), 1);
  EXPECT_EQ(executor->queued(), 1);
  EXPECT_EQ(executor->Active().size(), 2u);
  executor->Cancel("e1", 1, "test over");
  EXPECT_EQ(Outcomes(2).size(), 2u);
}

TEST_F(ExecutorTest,
       DrainHandsBackWhatNeverStartedAndFailsWhatOutlivesTheGrace) {
  auto executor = Make(1);
  executor->Submit(Assign("running", 1, "block"));
  runner_.started.WaitForNotification();
  executor->Submit(Assign("queued", 1));
  std::thread drain([&] { executor->Drain(absl::Milliseconds(50)); });
  // The queued one is handed back at once; the running one has the grace,
  // on the executor's clock.
  EXPECT_EQ(Outcomes(1)[0].execution_id(), "queued");
  clock_.BlockUntilWaiters(1);
  EXPECT_EQ(executor->running(), 1);
  clock_.AdvanceTime(absl::Milliseconds(50));
  drain.join();
  const auto outcomes = Outcomes(2);
  ASSERT_EQ(outcomes.size(), 2u);
  // Handed back at once, for another operator (not run here).
  EXPECT_EQ(outcomes[0].execution_id(), "queued");
  EXPECT_EQ(outcomes[0].status(), v1::EXECUTION_STATUS_PENDING);
  // Canceled after the grace: FAILED, so the retry policy applies.
  EXPECT_EQ(outcomes[1].execution_id(), "running");
  EXPECT_EQ(outcomes[1].status(), v1::EXECUTION_STATUS_FAILED);
  EXPECT_THAT(outcomes[1].reason(), HasSubstr("grace period over"));
  EXPECT_EQ(runner_.runs.load(), 1);
  EXPECT_EQ(executor->Submit(Assign("late", 1)),
            Executor::Submitted::kDraining);
}

TEST_F(ExecutorTest, ACancelFromTheAggregatorIsReportedCanceled) {
  auto executor = Make(1);
  executor->Submit(Assign("e1", 1, "block"));
  runner_.started.WaitForNotification();
  executor->Cancel("e1", 1, "workflow canceled");
  const auto outcomes = Outcomes(1);
  EXPECT_EQ(outcomes[0].status(), v1::EXECUTION_STATUS_CANCELED);
  EXPECT_EQ(outcomes[0].reason(), "workflow canceled");
}

}  // namespace
}  // namespace ap
