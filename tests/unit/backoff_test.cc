#include "common/backoff/backoff.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ap {
namespace {

using ::ap::testing::IsOk;
using ::ap::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A random source that always returns `u`.
Backoff::UniformSource Fixed(double u) {
  return [u] { return u; };
}

std::vector<absl::Duration> Delays(Backoff& b, int n) {
  std::vector<absl::Duration> out;
  for (int i = 0; i < n; ++i) out.push_back(b.NextAttemptDelay());
  return out;
}

TEST(BackoffTest, DefaultsMatchTheDesign) {
  BackoffOptions o;
  EXPECT_EQ(o.initial, absl::Seconds(1));
  EXPECT_EQ(o.multiplier, 2.0);
  EXPECT_EQ(o.jitter, 0.2);
  EXPECT_EQ(o.max, absl::Seconds(30));
  EXPECT_THAT(o.Validate(), IsOk());
}

TEST(BackoffTest, WithoutJitterDoublesUpToTheCap) {
  Backoff b({absl::Seconds(1), 2.0, 0.0, absl::Seconds(30)}, Fixed(0.5));
  EXPECT_THAT(Delays(b, 7),
              ElementsAre(absl::Seconds(1), absl::Seconds(2), absl::Seconds(4),
                          absl::Seconds(8), absl::Seconds(16),
                          absl::Seconds(30), absl::Seconds(30)));
}

TEST(BackoffTest, JitterLowestDrawIsEightyPercentOfBase) {
  Backoff b(BackoffOptions{}, Fixed(0.0));
  EXPECT_THAT(Delays(b, 3),
              ElementsAre(absl::Milliseconds(800), absl::Milliseconds(1600),
                          absl::Milliseconds(3200)));
}

TEST(BackoffTest, JitterHighestDrawIsHundredTwentyPercentOfBase) {
  Backoff b(BackoffOptions{}, Fixed(1.0));
  EXPECT_THAT(Delays(b, 3),
              ElementsAre(absl::Milliseconds(1200), absl::Milliseconds(2400),
                          absl::Milliseconds(4800)));
}

TEST(BackoffTest, JitteredDelayNeverExceedsTheCap) {
  Backoff b(BackoffOptions{}, Fixed(1.0));
  for (absl::Duration d : Delays(b, 20)) EXPECT_LE(d, absl::Seconds(30));
}

TEST(BackoffTest, AtTheCapDelaysStillSpreadBelowIt) {
  Backoff low(BackoffOptions{}, Fixed(0.0));
  Backoff high(BackoffOptions{}, Fixed(1.0));
  Delays(low, 10);
  Delays(high, 10);
  EXPECT_EQ(low.NextAttemptDelay(), absl::Seconds(24));
  EXPECT_EQ(high.NextAttemptDelay(), absl::Seconds(30));
}

TEST(BackoffTest, RandomDrawsStayWithinJitterBounds) {
  Backoff b(BackoffOptions{});  // real random source
  absl::Duration base = absl::Seconds(1);
  for (int i = 0; i < 200; ++i) {
    const absl::Duration d = b.NextAttemptDelay();
    EXPECT_GE(d, base * 0.8) << "attempt " << i;
    EXPECT_LE(d, std::min(base * 1.2, absl::Seconds(30))) << "attempt " << i;
    base = std::min(base * 2, absl::Seconds(30));
  }
}

TEST(BackoffTest, ResetStartsOverFromInitial) {
  Backoff b(BackoffOptions{}, Fixed(0.5));
  Delays(b, 5);
  EXPECT_EQ(b.attempts(), 5);
  b.Reset();
  EXPECT_EQ(b.attempts(), 0);
  EXPECT_EQ(b.NextAttemptDelay(), absl::Seconds(1));
}

TEST(BackoffTest, JitteredBackOffDoesntOverflow) {
  Backoff b({absl::Milliseconds(1), 10.0, 0.2, absl::Hours(24)}, Fixed(1.0));
  for (int i = 0; i < 10'000; ++i) {
    const absl::Duration d = b.NextAttemptDelay();
    ASSERT_GT(d, absl::ZeroDuration());
    ASSERT_LE(d, absl::Hours(24));
  }
  EXPECT_EQ(b.base_delay(), absl::Hours(24));
}

TEST(BackoffTest, MultiplierOfOneKeepsTheDelayConstant) {
  Backoff b({absl::Seconds(5), 1.0, 0.0, absl::Seconds(5)}, Fixed(0.3));
  EXPECT_THAT(Delays(b, 3), ElementsAre(absl::Seconds(5), absl::Seconds(5),
                                        absl::Seconds(5)));
}

TEST(BackoffOptionsTest, RejectsNonPositiveInitial) {
  BackoffOptions o;
  o.initial = absl::ZeroDuration();
  EXPECT_THAT(o.Validate(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("initial")));
}

TEST(BackoffOptionsTest, RejectsMultiplierBelowOne) {
  BackoffOptions o;
  o.multiplier = 0.5;
  EXPECT_THAT(o.Validate(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("multiplier")));
}

TEST(BackoffOptionsTest, RejectsJitterOutsideZeroToOne) {
  BackoffOptions o;
  o.jitter = 1.0;
  EXPECT_THAT(o.Validate(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("jitter")));
  o.jitter = -0.1;
  EXPECT_THAT(o.Validate(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("jitter")));
}

TEST(BackoffOptionsTest, RejectsCapBelowInitial) {
  BackoffOptions o;
  o.max = absl::Milliseconds(500);
  EXPECT_THAT(o.Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max")));
}

}  // namespace
}  // namespace ap
