#include "common/log/log.h"

#include "common/clock.h"
#include "common/log/rate_limiter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ap {
namespace {

using ::ap::testing::StatusIs;
using ::testing::HasSubstr;

TEST(FormatEventTest, PlainValuesAreUnquoted) {
  EXPECT_EQ(FormatEvent("fire", {{"workflow", "01JABC"}, {"lateness_ms", 3}}),
            "fire workflow=01JABC lateness_ms=3");
}

TEST(FormatEventTest, ValuesWithSpacesQuotesOrEqualsAreQuoted) {
  EXPECT_EQ(FormatEvent("e", {{"error", "connection refused"}}),
            "e error=\"connection refused\"");
  EXPECT_EQ(FormatEvent("e", {{"v", "a=b"}}), "e v=\"a=b\"");
  EXPECT_EQ(FormatEvent("e", {{"v", "say \"hi\""}}), "e v=\"say \\\"hi\\\"\"");
  EXPECT_EQ(FormatEvent("e", {{"v", ""}}), "e v=\"\"");
}

TEST(FormatEventTest, NothingAValueHoldsBreaksTheLine) {
  const std::string line =
      FormatEvent("e", {{"v", "line1\nline2\r\x01"}, {"w", "back\\slash"}});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.find('\r'), std::string::npos);
  EXPECT_EQ(line, "e v=\"line1\\nline2\\r\\x01\" w=\"back\\\\slash\"");
}

TEST(FormatEventTest, NoFieldsIsJustTheEvent) {
  EXPECT_EQ(FormatEvent("stopped", {}), "stopped");
}

TEST(ParseLogLevelTest, KnowsEveryLevelCaseInsensitively) {
  EXPECT_EQ(*ParseLogLevel("DEBUG"), spdlog::level::debug);
  EXPECT_EQ(*ParseLogLevel("warn"), spdlog::level::warn);
  EXPECT_EQ(*ParseLogLevel("warning"), spdlog::level::warn);
  EXPECT_EQ(*ParseLogLevel("off"), spdlog::level::off);
}

TEST(ParseLogLevelTest, UnknownLevelNamesTheChoices) {
  EXPECT_THAT(ParseLogLevel("loud"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("trace, debug, info")));
}

TEST(InitLoggingTest, RejectsBadLevelAndKeepsWorkingOnGoodOne) {
  EXPECT_FALSE(InitLogging("test", "nope").ok());
  EXPECT_TRUE(InitLogging("test", "error").ok());
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::err);
  EXPECT_EQ(spdlog::default_logger()->name(), "test");
}

class LogRateLimiterTest : public ::testing::Test {
 protected:
  SimulatedClock clock_;
  LogRateLimiter limiter_{&clock_, absl::Seconds(30)};
};

TEST_F(LogRateLimiterTest, FirstOccurrenceIsAlwaysLogged) {
  LogRateLimiter::Decision d = limiter_.Check("ping_failed:refused");
  EXPECT_TRUE(d.log);
  EXPECT_EQ(d.suppressed, 0);
}

TEST_F(LogRateLimiterTest, RepeatsWithinTheWindowAreSuppressedAndCounted) {
  limiter_.Check("k");
  for (int i = 0; i < 29; ++i) {
    clock_.AdvanceTime(absl::Seconds(1));
    EXPECT_FALSE(limiter_.Check("k").log) << i;
  }
  clock_.AdvanceTime(absl::Seconds(1));
  LogRateLimiter::Decision d = limiter_.Check("k");
  EXPECT_TRUE(d.log);
  EXPECT_EQ(d.suppressed, 29);
  EXPECT_FALSE(limiter_.Check("k").log);  // a new window began
}

TEST_F(LogRateLimiterTest, DifferentKeysDoNotSuppressEachOther) {
  EXPECT_TRUE(limiter_.Check("refused").log);
  EXPECT_TRUE(limiter_.Check("deadline").log);
  EXPECT_FALSE(limiter_.Check("refused").log);
}

TEST_F(LogRateLimiterTest, ForgetMakesTheNextOccurrenceLogAtOnce) {
  limiter_.Check("k");
  EXPECT_FALSE(limiter_.Check("k").log);
  limiter_.Forget("k");
  EXPECT_TRUE(limiter_.Check("k").log);
}

TEST_F(LogRateLimiterTest, WallClockJumpsDoNotReopenTheWindow) {
  limiter_.Check("k");
  clock_.SetTime(clock_.TimeNow() + absl::Hours(5));
  EXPECT_FALSE(limiter_.Check("k").log);
}

TEST(LogRateLimiterBoundTest, OldestKeyIsForgottenPastTheLimit) {
  SimulatedClock clock;
  LogRateLimiter limiter(&clock, absl::Minutes(1), /*max_keys=*/2);
  limiter.Check("a");
  clock.AdvanceTime(absl::Seconds(1));
  limiter.Check("b");
  clock.AdvanceTime(absl::Seconds(1));
  limiter.Check("c");                   // evicts "a"
  EXPECT_TRUE(limiter.Check("a").log);  // so "a" logs again (evicting "b")
  EXPECT_FALSE(limiter.Check("c").log);
}

}  // namespace
}  // namespace ap
