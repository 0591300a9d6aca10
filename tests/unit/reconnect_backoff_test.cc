#include "common/backoff/reconnect_backoff.h"

#include "gtest/gtest.h"

namespace ap {
namespace {

// No jitter, so delays are exact: 1 s, 2 s, 4 s ... capped at 30 s.
BackoffOptions NoJitter() {
  return {absl::Seconds(1), 2.0, 0.0, absl::Seconds(30)};
}

class ReconnectBackoffTest : public ::testing::Test {
 protected:
  SimulatedClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  ReconnectBackoff backoff_{NoJitter(), absl::Seconds(60), &clock_};
};

TEST_F(ReconnectBackoffTest, FailuresGrowTheDelay) {
  EXPECT_EQ(backoff_.OnFailure(), absl::Seconds(1));
  EXPECT_EQ(backoff_.OnFailure(), absl::Seconds(2));
  EXPECT_EQ(backoff_.OnFailure(), absl::Seconds(4));
  EXPECT_EQ(backoff_.failures(), 3);
}

TEST_F(ReconnectBackoffTest, FlappingLinkKeepsBackingOff) {
  // Up for 5 s, down again, ten times: never healthy for 60 s.
  absl::Duration last;
  for (int i = 0; i < 10; ++i) {
    last = backoff_.OnFailure();
    clock_.AdvanceTime(last);
    backoff_.OnSuccess();
    clock_.AdvanceTime(absl::Seconds(5));
  }
  EXPECT_EQ(last, absl::Seconds(30));
  EXPECT_EQ(backoff_.OnFailure(), absl::Seconds(30));
}

TEST_F(ReconnectBackoffTest, HealthyForTheThresholdResetsTheBackoff) {
  for (int i = 0; i < 5; ++i) backoff_.OnFailure();
  backoff_.OnSuccess();
  clock_.AdvanceTime(absl::Seconds(60));
  backoff_.OnSuccess();
  EXPECT_EQ(backoff_.failures(), 0);
  EXPECT_EQ(backoff_.OnFailure(), absl::Seconds(1));
}

TEST_F(ReconnectBackoffTest, HealthyJustBelowTheThresholdDoesNotReset) {
  for (int i = 0; i < 3; ++i) backoff_.OnFailure();  // next would be 8 s
  backoff_.OnSuccess();
  clock_.AdvanceTime(absl::Seconds(59));
  backoff_.OnSuccess();
  EXPECT_EQ(backoff_.OnFailure(), absl::Seconds(8));
}

TEST_F(ReconnectBackoffTest, LongHealthyPeriodCountsEvenWithoutALateSuccess) {
  for (int i = 0; i < 4; ++i) backoff_.OnFailure();
  backoff_.OnSuccess();                   // connected once...
  clock_.AdvanceTime(absl::Minutes(10));  // ...and quiet for 10 minutes
  EXPECT_EQ(backoff_.OnFailure(), absl::Seconds(1));
}

TEST_F(ReconnectBackoffTest, HealthyTimeIsMeasuredOnTheMonotonicClock) {
  for (int i = 0; i < 3; ++i) backoff_.OnFailure();
  backoff_.OnSuccess();
  clock_.SetTime(clock_.TimeNow() + absl::Hours(1));  // wall clock jumps
  backoff_.OnSuccess();
  EXPECT_EQ(backoff_.OnFailure(), absl::Seconds(8));  // no reset
}

TEST_F(ReconnectBackoffTest, FailureClearsHealthySince) {
  backoff_.OnSuccess();
  ASSERT_TRUE(backoff_.healthy_since().has_value());
  backoff_.OnFailure();
  EXPECT_FALSE(backoff_.healthy_since().has_value());
}

TEST_F(ReconnectBackoffTest, RepeatedSuccessKeepsTheFirstHealthyInstant) {
  backoff_.OnSuccess();
  const absl::Duration since = *backoff_.healthy_since();
  clock_.AdvanceTime(absl::Seconds(5));
  backoff_.OnSuccess();
  EXPECT_EQ(*backoff_.healthy_since(), since);
}

TEST_F(ReconnectBackoffTest, ExplicitResetForgetsFailures) {
  for (int i = 0; i < 4; ++i) backoff_.OnFailure();
  backoff_.Reset();
  EXPECT_EQ(backoff_.OnFailure(), absl::Seconds(1));
}

}  // namespace
}  // namespace ap
