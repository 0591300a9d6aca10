// Schedules in time zones, across daylight-saving changes. Every expected
// instant is worked out by hand in the comment beside it (zone data:
// `zdump -v -c 2026,2027 ZONE`).

#include "common/cron/schedule.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ap::cron {
namespace {

using ::ap::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

absl::Time Utc(const std::string& rfc3339) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) << err;
  return t;
}

// The next n fires strictly after `from`, as UTC RFC 3339 strings.
std::vector<std::string> Fires(const std::string& expr, const std::string& zone,
                               const std::string& from, int n) {
  absl::StatusOr<Schedule> s = Schedule::Parse(expr, zone);
  EXPECT_TRUE(s.ok()) << s.status();
  if (!s.ok()) return {};
  std::vector<std::string> out;
  absl::Time t = Utc(from);
  const absl::Time anchor = t;
  for (int i = 0; i < n; ++i) {
    t = s->Next(t, anchor);
    out.push_back(
        absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone()));
  }
  return out;
}

// ----------------------------------------------------- America/New_York --
// 2026-03-08 02:00 EST (-5) jumps to 03:00 EDT (-4) at 07:00Z.
// 2026-11-01 02:00 EDT (-4) falls back to 01:00 EST (-5) at 06:00Z.

TEST(NewYorkTest, FixedTimeInTheGapRunsOnceAtTheEndOfTheGap) {
  // 02:30 does not exist on Mar 8 -> 03:00 EDT = 07:00Z; then 02:30 EDT.
  EXPECT_THAT(
      Fires("30 2 * * *", "America/New_York", "2026-03-07T20:00:00Z", 3),
      ElementsAre("2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z",
                  "2026-03-10T06:30:00Z"));
}

TEST(NewYorkTest, SeveralFixedTimesInOneGapRunOnce) {
  // 02:00 and 02:30 both fall in the gap: one fire at 03:00 EDT (07:00Z).
  EXPECT_THAT(
      Fires("0,30 2 * * *", "America/New_York", "2026-03-08T05:00:00Z", 3),
      ElementsAre("2026-03-08T07:00:00Z", "2026-03-09T06:00:00Z",
                  "2026-03-09T06:30:00Z"));
}

TEST(NewYorkTest, FixedTimeInTheOverlapRunsOnceAtTheFirstOccurrence) {
  // 01:30 happens twice on Nov 1: 01:30 EDT (05:30Z) and 01:30 EST (06:30Z).
  // Only the first; the next day 01:30 EST = 06:30Z.
  EXPECT_THAT(
      Fires("30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", 2),
      ElementsAre("2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"));
}

TEST(NewYorkTest, FixedTimeDoesNotRefireWhenAskedDuringTheSecondPass) {
  // After = 01:40 EST (06:40Z), in the repeated hour after 01:30 EDT fired.
  EXPECT_THAT(
      Fires("30 1 * * *", "America/New_York", "2026-11-01T06:40:00Z", 1),
      ElementsAre("2026-11-02T06:30:00Z"));
}

TEST(NewYorkTest, HourlyScheduleFiresInBothOccurrencesOfTheRepeatedHour) {
  // 00:00 EDT 04:00Z, 01:00 EDT 05:00Z, 01:00 EST 06:00Z, 02:00 EST 07:00Z.
  EXPECT_THAT(Fires("0 * * * *", "America/New_York", "2026-11-01T03:30:00Z", 4),
              ElementsAre("2026-11-01T04:00:00Z", "2026-11-01T05:00:00Z",
                          "2026-11-01T06:00:00Z", "2026-11-01T07:00:00Z"));
}

TEST(NewYorkTest, HourlyScheduleSkipsTheMissingHour) {
  // 01:00 EST 06:00Z, (02:00 does not exist), 03:00 EDT 07:00Z, 04:00 EDT
  // 08:00Z.
  EXPECT_THAT(Fires("0 * * * *", "America/New_York", "2026-03-08T05:30:00Z", 3),
              ElementsAre("2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z",
                          "2026-03-08T08:00:00Z"));
}

TEST(NewYorkTest, HalfPastHourlyDoesNotFireTwiceAroundTheGap) {
  // 01:30 EST 06:30Z, then 02:30 is skipped (no extra fire at 03:00),
  // 03:30 EDT 07:30Z.
  EXPECT_THAT(
      Fires("30 * * * *", "America/New_York", "2026-03-08T06:00:00Z", 2),
      ElementsAre("2026-03-08T06:30:00Z", "2026-03-08T07:30:00Z"));
}

TEST(NewYorkTest, SixFieldFixedScheduleFollowsTheSameRules) {
  EXPECT_THAT(
      Fires("15 30 2 * * *", "America/New_York", "2026-03-07T20:00:00Z", 2),
      ElementsAre("2026-03-08T07:00:00Z", "2026-03-09T06:30:15Z"));
}

// -------------------------------------------------------- Europe/Berlin --
// 2026-03-29 02:00 CET (+1) jumps to 03:00 CEST (+2) at 01:00Z.
// 2026-10-25 03:00 CEST (+2) falls back to 02:00 CET (+1) at 01:00Z.

TEST(BerlinTest, FixedTimeInTheGap) {
  // 02:30 missing on Mar 29 -> 03:00 CEST = 01:00Z; Mar 30 02:30 CEST = 00:30Z.
  EXPECT_THAT(Fires("30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", 2),
              ElementsAre("2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"));
}

TEST(BerlinTest, FixedTimeInTheOverlap) {
  // 02:30 CEST (00:30Z) only; Oct 26 02:30 CET = 01:30Z.
  EXPECT_THAT(Fires("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", 2),
              ElementsAre("2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"));
}

TEST(BerlinTest, HalfHourlyKeepsRealTimeCadenceThroughTheOverlap) {
  // From 01:50 CEST: 02:00 CEST 00:00Z, 02:30 CEST 00:30Z, 02:00 CET 01:00Z,
  // 02:30 CET 01:30Z, 03:00 CET 02:00Z.
  EXPECT_THAT(Fires("*/30 * * * *", "Europe/Berlin", "2026-10-24T23:50:00Z", 5),
              ElementsAre("2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z",
                          "2026-10-25T01:00:00Z", "2026-10-25T01:30:00Z",
                          "2026-10-25T02:00:00Z"));
}

TEST(BerlinTest, WallClockTimeStaysPutAcrossTheChange) {
  // 09:00 CET = 08:00Z on Mar 28; 09:00 CEST = 07:00Z on Mar 29.
  EXPECT_THAT(Fires("0 9 * * *", "Europe/Berlin", "2026-03-28T00:00:00Z", 2),
              ElementsAre("2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z"));
}

// -------------------------------------------------- Australia/Lord_Howe --
// A 30-minute shift. 2026-04-05 02:00 (+11) falls back to 01:30 (+10:30)
// at Apr 4 15:00Z; 2026-10-04 02:00 (+10:30) jumps to 02:30 (+11) at
// Oct 3 15:30Z.

TEST(LordHoweTest, FixedTimeInTheHalfHourGap) {
  // 02:15 missing on Oct 4 -> 02:30 (+11) = Oct 3 15:30Z; Oct 5 02:15 (+11)
  // = Oct 4 15:15Z.
  EXPECT_THAT(
      Fires("15 2 * * *", "Australia/Lord_Howe", "2026-10-03T00:00:00Z", 2),
      ElementsAre("2026-10-03T15:30:00Z", "2026-10-04T15:15:00Z"));
}

TEST(LordHoweTest, FixedTimeInTheHalfHourOverlap) {
  // 01:45 happens at +11 (Apr 4 14:45Z) and +10:30 (15:15Z): the first only.
  // Apr 6 01:45 (+10:30) = Apr 5 15:15Z.
  EXPECT_THAT(
      Fires("45 1 * * *", "Australia/Lord_Howe", "2026-04-04T00:00:00Z", 2),
      ElementsAre("2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z"));
}

TEST(LordHoweTest, QuarterHourlyKeepsRealTimeCadenceThroughTheOverlap) {
  // 01:45 (+11) 14:45Z, 01:30 (+10:30) 15:00Z, 01:45 15:15Z, 02:00 15:30Z.
  EXPECT_THAT(
      Fires("*/15 * * * *", "Australia/Lord_Howe", "2026-04-04T14:40:00Z", 4),
      ElementsAre("2026-04-04T14:45:00Z", "2026-04-04T15:00:00Z",
                  "2026-04-04T15:15:00Z", "2026-04-04T15:30:00Z"));
}

TEST(LordHoweTest, HourlySkipsTheMissingWallTime) {
  // 01:00 (+10:30) = 14:30Z; 02:00 does not exist; 03:00 (+11) = 16:00Z.
  EXPECT_THAT(
      Fires("0 * * * *", "Australia/Lord_Howe", "2026-10-03T14:00:00Z", 2),
      ElementsAre("2026-10-03T14:30:00Z", "2026-10-03T16:00:00Z"));
}

// ------------------------------------------------------ Pacific/Chatham --
// +12:45 / +13:45. 2026-04-05 03:45 (+13:45) falls back to 02:45 (+12:45)
// at Apr 4 14:00Z; 2026-09-27 02:45 (+12:45) jumps to 03:45 (+13:45) at
// Sep 26 14:00Z.

TEST(ChathamTest, FixedTimeInTheGap) {
  // 03:00 missing on Sep 27 -> 03:45 (+13:45) = Sep 26 14:00Z; Sep 28 03:00
  // (+13:45) = Sep 27 13:15Z.
  EXPECT_THAT(Fires("0 3 * * *", "Pacific/Chatham", "2026-09-26T00:00:00Z", 2),
              ElementsAre("2026-09-26T14:00:00Z", "2026-09-27T13:15:00Z"));
}

TEST(ChathamTest, FixedTimeInTheOverlap) {
  // 03:00 at +13:45 = Apr 4 13:15Z (first of two); Apr 6 03:00 (+12:45) =
  // Apr 5 14:15Z.
  EXPECT_THAT(Fires("0 3 * * *", "Pacific/Chatham", "2026-04-04T00:00:00Z", 2),
              ElementsAre("2026-04-04T13:15:00Z", "2026-04-05T14:15:00Z"));
}

TEST(ChathamTest, HourlyFiresTwiceInTheRepeatedHour) {
  // From 01:45 (+13:45): 02:00 12:15Z, 03:00 13:15Z, then after the change
  // at 14:00Z 03:00 (+12:45) 14:15Z, 04:00 15:15Z.
  EXPECT_THAT(Fires("0 * * * *", "Pacific/Chatham", "2026-04-04T12:00:00Z", 4),
              ElementsAre("2026-04-04T12:15:00Z", "2026-04-04T13:15:00Z",
                          "2026-04-04T14:15:00Z", "2026-04-04T15:15:00Z"));
}

// The defining property of wildcard schedules: they fire at exactly the
// real instants whose wall time matches. Check it against a brute-force scan
// of every minute around each zone's transitions.
TEST(WildcardOracleTest, FiresExactlyWhenTheWallClockMatches) {
  struct Case {
    const char* zone;
    const char* start;
  };
  const Case cases[] = {{"America/New_York", "2026-03-07T22:00:00Z"},
                        {"America/New_York", "2026-10-31T22:00:00Z"},
                        {"Europe/Berlin", "2026-03-28T20:00:00Z"},
                        {"Europe/Berlin", "2026-10-24T20:00:00Z"},
                        {"Australia/Lord_Howe", "2026-04-04T08:00:00Z"},
                        {"Australia/Lord_Howe", "2026-10-03T08:00:00Z"},
                        {"Pacific/Chatham", "2026-04-04T08:00:00Z"},
                        {"Pacific/Chatham", "2026-09-26T08:00:00Z"}};
  for (const char* expr : {"* * * * *", "*/15 * * * *", "0 * * * *",
                           "30 * * * *", "*/7 1-3 * * *", "45 * * * *"}) {
    absl::StatusOr<CronExpr> cron = CronExpr::Parse(expr);
    ASSERT_TRUE(cron.ok());
    for (const Case& c : cases) {
      absl::StatusOr<Schedule> s = Schedule::Parse(expr, c.zone);
      ASSERT_TRUE(s.ok());
      const absl::Time start = Utc(c.start);
      std::vector<absl::Time> expected;
      for (absl::Time t = start + absl::Minutes(1); t < start + absl::Hours(12);
           t += absl::Minutes(1)) {
        if (cron->Matches(s->time_zone().At(t).cs)) expected.push_back(t);
      }
      std::vector<absl::Time> got;
      for (absl::Time t = s->Next(start); t < start + absl::Hours(12);
           t = s->Next(t)) {
        got.push_back(t);
      }
      EXPECT_EQ(got, expected)
          << expr << " in " << c.zone << " from " << c.start;
    }
  }
}

// ------------------------------------------------------------- general --

TEST(ScheduleTest, NextIsStrictlyAfter) {
  EXPECT_THAT(Fires("0 12 * * *", "", "2026-01-01T12:00:00Z", 1),
              ElementsAre("2026-01-02T12:00:00Z"));
  absl::StatusOr<Schedule> s = Schedule::Parse("0 12 * * *");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->Next(Utc("2026-01-01T11:59:59.5Z")),
            Utc("2026-01-01T12:00:00Z"));
}

TEST(ScheduleTest, EmptyZoneAndUtcAreTheSame) {
  EXPECT_EQ(Fires("0 0 * * *", "", "2026-06-01T10:00:00Z", 2),
            Fires("0 0 * * *", "UTC", "2026-06-01T10:00:00Z", 2));
}

TEST(ScheduleTest, UnknownZoneIsNamed) {
  EXPECT_THAT(Schedule::Parse("* * * * *", "Mars/Olympus_Mons").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown time zone \"Mars/Olympus_Mons\"")));
}

TEST(EveryTest, FiresOnTheGridFromTheAnchor) {
  EXPECT_THAT(Fires("@every 90s", "", "2026-01-01T00:00:00Z", 3),
              ElementsAre("2026-01-01T00:01:30Z", "2026-01-01T00:03:00Z",
                          "2026-01-01T00:04:30Z"));
  EXPECT_THAT(Fires("@every 1h30m", "Europe/Berlin", "2026-03-29T00:00:00Z", 2),
              ElementsAre("2026-03-29T01:30:00Z", "2026-03-29T03:00:00Z"));
}

TEST(EveryTest, BeforeTheAnchorTheFirstFireIsTheAnchor) {
  absl::StatusOr<Schedule> s = Schedule::Parse("@every 10s");
  ASSERT_TRUE(s.ok());
  const absl::Time anchor = Utc("2026-01-01T00:00:00Z");
  EXPECT_EQ(s->Next(anchor - absl::Hours(1), anchor), anchor);
  EXPECT_EQ(s->Next(anchor, anchor), anchor + absl::Seconds(10));
  EXPECT_EQ(s->Next(anchor + absl::Seconds(19), anchor),
            anchor + absl::Seconds(20));
  EXPECT_EQ(s->Next(anchor + absl::Seconds(20), anchor),
            anchor + absl::Seconds(30));
}

TEST(EveryTest, RejectsTooShortFractionalAndMalformed) {
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(Schedule::Parse("@every 500ms").status(),
              StatusIs(kInvalid, HasSubstr("1s minimum")));
  EXPECT_THAT(Schedule::Parse("@every 1500ms").status(),
              StatusIs(kInvalid, HasSubstr("whole number of seconds")));
  EXPECT_THAT(Schedule::Parse("@every").status(),
              StatusIs(kInvalid, HasSubstr("needs a duration")));
  EXPECT_THAT(Schedule::Parse("@every soon").status(),
              StatusIs(kInvalid, HasSubstr("needs a duration")));
  EXPECT_THAT(Schedule::Parse("@every -5s").status(),
              StatusIs(kInvalid, HasSubstr("minimum")));
  EXPECT_THAT(Schedule::Parse("@everyday").status(),
              StatusIs(kInvalid, HasSubstr("unknown descriptor")));
}

}  // namespace
}  // namespace ap::cron
