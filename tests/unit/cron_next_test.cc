#include "cli/cron_next.h"

#include "common/cron/jitter.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ap {
namespace {

using ::ap::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

TEST(CronNextTest, SpringForwardExampleFromTheIssue) {
  EXPECT_THAT(
      *CronNext("30 2 * * *", "America/New_York", "2026-03-07T20:00:00Z", 3,
                kNow),
      ElementsAre("2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00",
                  "2026-03-10T02:30:00-04:00"));
}

TEST(CronNextTest, DefaultsToUtcAndNow) {
  // kNow = 2027-01-15T08:00:00Z.
  EXPECT_THAT(
      *CronNext("0 9 * * *", "", "", 2, kNow),
      ElementsAre("2027-01-15T09:00:00+00:00", "2027-01-16T09:00:00+00:00"));
}

TEST(CronNextTest, EveryCountsFromFrom) {
  EXPECT_THAT(
      *CronNext("@every 45s", "", "2026-01-01T00:00:00Z", 2, kNow),
      ElementsAre("2026-01-01T00:00:45+00:00", "2026-01-01T00:01:30+00:00"));
}

TEST(CronNextTest, BadInputIsNamed) {
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(CronNext("0 0 32 * *", "", "", 5, kNow),
              StatusIs(kInvalid, HasSubstr("field 3 (day of month)")));
  EXPECT_THAT(CronNext("* * * * *", "Atlantis", "", 5, kNow),
              StatusIs(kInvalid, HasSubstr("unknown time zone")));
  EXPECT_THAT(CronNext("* * * * *", "", "yesterday", 5, kNow),
              StatusIs(kInvalid, HasSubstr("--from \"yesterday\"")));
  EXPECT_THAT(CronNext("* * * * *", "", "", 0, kNow),
              StatusIs(kInvalid, HasSubstr("-n 0")));
}

TEST(CronNextTest, AJitterMovesTheTimesByTheWorkflowsOffset) {
  const absl::Duration offset =
      cron::JitterOffset("01JWF", absl::Minutes(10));
  const std::vector<std::string> times =
      *CronNext("0 * * * *", "", "2026-06-01T12:00:00Z", 2, absl::Now(),
                absl::Minutes(10), "01JWF");
  const absl::Time at = absl::FromCivil(
      absl::CivilSecond(2026, 6, 1, 12, 0, 0), absl::UTCTimeZone());
  EXPECT_EQ(times[0], absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*S%Ez",
                                       at + offset, absl::UTCTimeZone()));
  EXPECT_EQ(times[1],
            absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*S%Ez",
                             at + absl::Hours(1) + offset, absl::UTCTimeZone()));
  EXPECT_THAT(CronNext("0 * * * *", "", "", 2, absl::Now(), absl::Minutes(10)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--jitter needs --workflow")));
}

}  // namespace
}  // namespace ap
