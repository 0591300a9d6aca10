#include "operator/run/circuit_breaker.h"

#include <atomic>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "operator/run/breaking_runner.h"

namespace ap {
namespace {

using State = CircuitBreakers::State;

class CircuitBreakerTest : public ::testing::Test {
 protected:
  void Fail(int n, const std::string& target = "a:80") {
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(breakers_.Allow(target));
      breakers_.OnResult(target, false);
    }
  }

  SimulatedClock clock_;
  CircuitBreakers breakers_{{3, absl::Seconds(10)}, &clock_};
};

TEST_F(CircuitBreakerTest, OpensAfterConsecutiveFailures) {
  Fail(2);
  EXPECT_EQ(breakers_.state("a:80"), State::kClosed);
  Fail(1);
  EXPECT_EQ(breakers_.state("a:80"), State::kOpen);
  EXPECT_FALSE(breakers_.Allow("a:80"));
}

TEST_F(CircuitBreakerTest, ASuccessInBetweenStartsTheCountAgain) {
  Fail(2);
  ASSERT_TRUE(breakers_.Allow("a:80"));
  breakers_.OnResult("a:80", true);
  Fail(2);
  EXPECT_EQ(breakers_.state("a:80"), State::kClosed);
}

TEST_F(CircuitBreakerTest, TargetsHaveTheirOwnBreakers) {
  Fail(3, "a:80");
  EXPECT_TRUE(breakers_.Allow("b:80"));
  EXPECT_EQ(breakers_.state("b:80"), State::kClosed);
}

TEST_F(CircuitBreakerTest, HalfOpenAfterTheCoolDownLetsOneTrialThrough) {
  Fail(3);
  clock_.AdvanceTime(absl::Seconds(9));
  EXPECT_FALSE(breakers_.Allow("a:80"));
  clock_.AdvanceTime(absl::Seconds(1));
  EXPECT_EQ(breakers_.state("a:80"), State::kHalfOpen);
  EXPECT_TRUE(breakers_.Allow("a:80"));
  EXPECT_FALSE(breakers_.Allow("a:80"));  // the trial is still running
  breakers_.OnResult("a:80", true);
  EXPECT_EQ(breakers_.state("a:80"), State::kClosed);
  EXPECT_TRUE(breakers_.Allow("a:80"));
}

TEST_F(CircuitBreakerTest, AFailedTrialOpensItForAnotherCoolDown) {
  Fail(3);
  clock_.AdvanceTime(absl::Seconds(10));
  ASSERT_TRUE(breakers_.Allow("a:80"));
  breakers_.OnResult("a:80", false);
  EXPECT_EQ(breakers_.state("a:80"), State::kOpen);
  clock_.AdvanceTime(absl::Seconds(9));
  EXPECT_FALSE(breakers_.Allow("a:80"));
  clock_.AdvanceTime(absl::Seconds(1));
  EXPECT_TRUE(breakers_.Allow("a:80"));
}

TEST_F(CircuitBreakerTest, ACanceledTrialLetsTheNextStepTry) {
  Fail(3);
  clock_.AdvanceTime(absl::Seconds(10));
  ASSERT_TRUE(breakers_.Allow("a:80"));
  breakers_.OnNoResult("a:80");
  EXPECT_EQ(breakers_.state("a:80"), State::kHalfOpen);
  EXPECT_TRUE(breakers_.Allow("a:80"));
}

TEST(TargetOfTest, HostAndPortFromAUrl) {
  EXPECT_EQ(TargetOf("http://Example.COM/x?y"), "example.com:80");
  EXPECT_EQ(TargetOf("https://example.com"), "example.com:443");
  EXPECT_EQ(TargetOf("http://127.0.0.1:8080/hook"), "127.0.0.1:8080");
  EXPECT_EQ(TargetOf("http://user:secret@host:81/"), "host:81");
  EXPECT_EQ(TargetOf("http://[::1]/"), "[::1]:80");
  EXPECT_EQ(TargetOf("http://[::1]:9000/"), "[::1]:9000");
  EXPECT_EQ(TargetOf("http:///path"), "");
}

// An HTTP runner that answers from a script and counts its calls.
class ScriptedHttp : public StepRunner {
 public:
  v1::StepResult Run(const v1::Step&, const StepContext& ctx) override {
    ++calls;
    deadline = ctx.deadline;
    return next;
  }
  int calls = 0;
  absl::Time deadline;  // of the latest call
  v1::StepResult next;
};

v1::StepResult Result(v1::StepStatus status, int http_status) {
  v1::StepResult r;
  r.set_status(status);
  r.set_http_status(http_status);
  return r;
}

v1::Step HttpStep(const std::string& url) {
  v1::Step s;
  s.mutable_http()->set_url(url);
  return s;
}

class BreakingRunnerTest : public CircuitBreakerTest {
 protected:
  v1::StepResult Run(const std::string& url = "http://a/") {
    return runner_.Run(HttpStep(url), StepContext{});
  }
  // Runs a step on another thread, moving the simulated clock on while it
  // waits, until it returns.
  v1::StepResult RunWaiting(const StepContext& ctx,
                            absl::Duration step = absl::Milliseconds(250)) {
    std::atomic<bool> done{false};
    v1::StepResult r;
    std::thread t([&] {
      r = runner_.Run(HttpStep("http://a/"), ctx);
      done = true;
    });
    while (!done) {
      if (clock_.NumWaiters() > 0) {
        clock_.AdvanceTime(step);
      } else {
        std::this_thread::yield();
      }
    }
    t.join();
    return r;
  }
  void OpenIt() {
    http_.next = Result(v1::STEP_STATUS_FAILED, 0);  // connection refused
    for (int i = 0; i < 3; ++i) Run();
    ASSERT_EQ(breakers_.state("a:80"), State::kOpen);
  }
  ScriptedHttp http_;
  BreakingRunner runner_{&http_, &breakers_, &clock_};
};

// An open circuit must not spend a workflow's retry without a request: the
// attempt waits for the breaker's trial, and its own timeout starts when
// the request goes out.
TEST_F(BreakingRunnerTest, AStepWaitsForAnOpenCircuitsTrialInsteadOfFailing) {
  OpenIt();
  http_.next = Result(v1::STEP_STATUS_SUCCEEDED, 200);
  const absl::Time t0 = clock_.TimeNow();
  StepContext ctx;
  ctx.deadline = t0 + absl::Seconds(5);  // shorter than the cool-down
  ctx.execution_deadline = t0 + absl::Hours(1);
  v1::StepResult r = RunWaiting(ctx);
  EXPECT_EQ(r.status(), v1::STEP_STATUS_SUCCEEDED) << r.error();
  EXPECT_EQ(http_.calls, 4);
  EXPECT_EQ(clock_.TimeNow(), t0 + absl::Seconds(10));  // the cool-down
  EXPECT_EQ(http_.deadline, t0 + absl::Seconds(15));    // 5 s from sending
  EXPECT_EQ(breakers_.state("a:80"), State::kClosed);
}

TEST_F(BreakingRunnerTest, AStepWhoseExecutionEndsBeforeTheTrialIsNotSent) {
  OpenIt();
  const absl::Time t0 = clock_.TimeNow();
  StepContext ctx;
  ctx.deadline = t0 + absl::Seconds(3);
  ctx.execution_deadline = t0 + absl::Seconds(4);
  v1::StepResult r = RunWaiting(ctx);
  EXPECT_EQ(http_.calls, 3);
  EXPECT_EQ(r.status(), v1::STEP_STATUS_FAILED);
  EXPECT_EQ(r.error().rfind("circuit open for a:80", 0), 0u) << r.error();
  EXPECT_THAT(r.error(), ::testing::HasSubstr("not sent"));
  EXPECT_EQ(clock_.TimeNow(), t0 + absl::Seconds(4));
}

TEST_F(BreakingRunnerTest, ACanceledStepStopsWaitingForTheCircuit) {
  OpenIt();
  std::atomic<bool> canceled{true};
  StepContext ctx;
  ctx.canceled = &canceled;
  ctx.execution_deadline = clock_.TimeNow() + absl::Hours(1);
  v1::StepResult r = RunWaiting(ctx);
  EXPECT_EQ(r.status(), v1::STEP_STATUS_CANCELED);
  EXPECT_EQ(http_.calls, 3);
}

TEST_F(BreakingRunnerTest, TimeoutsAnd5xxOpenIt4xxDoesNot) {
  http_.next = Result(v1::STEP_STATUS_FAILED, 404);
  for (int i = 0; i < 5; ++i) Run();
  EXPECT_EQ(breakers_.state("a:80"), State::kClosed);
  http_.next = Result(v1::STEP_STATUS_TIMED_OUT, 0);
  Run();
  http_.next = Result(v1::STEP_STATUS_FAILED, 503);
  Run();
  Run();
  EXPECT_EQ(breakers_.state("a:80"), State::kOpen);
}

TEST_F(BreakingRunnerTest, RecoversWhenTheTargetAnswersAgain) {
  http_.next = Result(v1::STEP_STATUS_FAILED, 502);
  for (int i = 0; i < 3; ++i) Run();
  clock_.AdvanceTime(absl::Seconds(10));
  http_.next = Result(v1::STEP_STATUS_SUCCEEDED, 200);
  EXPECT_EQ(Run().status(), v1::STEP_STATUS_SUCCEEDED);
  EXPECT_EQ(breakers_.state("a:80"), State::kClosed);
}

}  // namespace
}  // namespace ap
