// Cron syntax and civil-time matching, in UTC-free civil seconds.

#include "common/cron/cron_expr.h"

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

using CS = absl::CivilSecond;

CronExpr P(const std::string& text) {
  absl::StatusOr<CronExpr> e = CronExpr::Parse(text);
  EXPECT_TRUE(e.ok()) << text << ": " << e.status();
  return e.ok() ? *e : *CronExpr::Parse("* * * * *");
}

// The next n matches after `from` (exclusive).
std::vector<CS> Next(const std::string& text, CS from, int n) {
  CronExpr e = P(text);
  std::vector<CS> out;
  CS t = from;
  for (int i = 0; i < n; ++i) {
    std::optional<CS> m = e.NextMatch(t + 1);
    if (!m) break;
    out.push_back(*m);
    t = *m;
  }
  return out;
}

absl::Status Err(const std::string& text) {
  return CronExpr::Parse(text).status();
}

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

TEST(CronSyntaxTest, StarMatchesEveryMinute) {
  EXPECT_THAT(Next("* * * * *", CS(2026, 1, 1, 0, 0, 30), 3),
              ElementsAre(CS(2026, 1, 1, 0, 1, 0), CS(2026, 1, 1, 0, 2, 0),
                          CS(2026, 1, 1, 0, 3, 0)));
}

TEST(CronSyntaxTest, SixFieldsHaveALeadingSecondsField) {
  EXPECT_THAT(Next("*/20 * * * * *", CS(2026, 1, 1, 0, 0, 0), 3),
              ElementsAre(CS(2026, 1, 1, 0, 0, 20), CS(2026, 1, 1, 0, 0, 40),
                          CS(2026, 1, 1, 0, 1, 0)));
  EXPECT_THAT(Next("30 15 10 * * *", CS(2026, 1, 1, 0, 0, 0), 1),
              ElementsAre(CS(2026, 1, 1, 10, 15, 30)));
}

TEST(CronSyntaxTest, ListsRangesAndSteps) {
  EXPECT_THAT(Next("5,10-12,50/5 * * * *", CS(2026, 1, 1, 0, 0, 0), 7),
              ElementsAre(CS(2026, 1, 1, 0, 5, 0), CS(2026, 1, 1, 0, 10, 0),
                          CS(2026, 1, 1, 0, 11, 0), CS(2026, 1, 1, 0, 12, 0),
                          CS(2026, 1, 1, 0, 50, 0), CS(2026, 1, 1, 0, 55, 0),
                          CS(2026, 1, 1, 1, 5, 0)));
}

TEST(CronSyntaxTest, RangeWithStep) {
  // 10-40/7: 10, 17, 24, 31, 38.
  EXPECT_THAT(Next("10-40/7 0 * * *", CS(2026, 1, 1, 0, 0, 0), 6),
              ElementsAre(CS(2026, 1, 1, 0, 10, 0), CS(2026, 1, 1, 0, 17, 0),
                          CS(2026, 1, 1, 0, 24, 0), CS(2026, 1, 1, 0, 31, 0),
                          CS(2026, 1, 1, 0, 38, 0), CS(2026, 1, 2, 0, 10, 0)));
}

TEST(CronSyntaxTest, MonthAndDayNamesAreCaseInsensitive) {
  // Mondays and Fridays of June and December 2026.
  EXPECT_THAT(Next("0 9 * jun,DEC Mon,FRI", CS(2026, 5, 30, 0, 0, 0), 3),
              ElementsAre(CS(2026, 6, 1, 9, 0, 0), CS(2026, 6, 5, 9, 0, 0),
                          CS(2026, 6, 8, 9, 0, 0)));
  EXPECT_THAT(Next("0 0 1 JAN-MAR *", CS(2026, 3, 15, 0, 0, 0), 1),
              ElementsAre(CS(2027, 1, 1, 0, 0, 0)));
}

TEST(CronSyntaxTest, SundayIsZeroAndSeven) {
  // 2026-01-04 is a Sunday.
  EXPECT_THAT(Next("0 0 * * 0", CS(2026, 1, 1, 0, 0, 0), 1),
              ElementsAre(CS(2026, 1, 4, 0, 0, 0)));
  EXPECT_THAT(Next("0 0 * * 7", CS(2026, 1, 1, 0, 0, 0), 1),
              ElementsAre(CS(2026, 1, 4, 0, 0, 0)));
}

TEST(CronSyntaxTest, WeekdayRangeMayEndOnSundayAsZero) {
  // FRI-SUN = Fri, Sat, Sun: 2026-01-02, 03, 04.
  EXPECT_THAT(Next("0 0 * * FRI-SUN", CS(2026, 1, 1, 0, 0, 0), 4),
              ElementsAre(CS(2026, 1, 2, 0, 0, 0), CS(2026, 1, 3, 0, 0, 0),
                          CS(2026, 1, 4, 0, 0, 0), CS(2026, 1, 9, 0, 0, 0)));
}

TEST(CronSyntaxTest, QuestionMarkIsStarInDayFields) {
  EXPECT_THAT(Next("0 0 ? * MON", CS(2026, 1, 1, 0, 0, 0), 1),
              ElementsAre(CS(2026, 1, 5, 0, 0, 0)));
  EXPECT_THAT(Next("0 0 1 * ?", CS(2026, 1, 1, 0, 0, 0), 1),
              ElementsAre(CS(2026, 2, 1, 0, 0, 0)));
}

TEST(CronSyntaxTest, Descriptors) {
  const CS from(2026, 5, 17, 13, 14, 15);  // a Sunday
  EXPECT_THAT(Next("@yearly", from, 1), ElementsAre(CS(2027, 1, 1, 0, 0, 0)));
  EXPECT_THAT(Next("@annually", from, 1), ElementsAre(CS(2027, 1, 1, 0, 0, 0)));
  EXPECT_THAT(Next("@monthly", from, 1), ElementsAre(CS(2026, 6, 1, 0, 0, 0)));
  EXPECT_THAT(Next("@weekly", from, 1), ElementsAre(CS(2026, 5, 24, 0, 0, 0)));
  EXPECT_THAT(Next("@daily", from, 1), ElementsAre(CS(2026, 5, 18, 0, 0, 0)));
  EXPECT_THAT(Next("@MIDNIGHT", from, 1),
              ElementsAre(CS(2026, 5, 18, 0, 0, 0)));
  EXPECT_THAT(Next("@hourly", from, 1), ElementsAre(CS(2026, 5, 17, 14, 0, 0)));
}

TEST(CronSyntaxTest, ExtraWhitespaceIsFine) {
  EXPECT_THAT(Next("  0\t12   *  * * ", CS(2026, 1, 1, 0, 0, 0), 1),
              ElementsAre(CS(2026, 1, 1, 12, 0, 0)));
}

// Vixie cron: with both day fields restricted, either matching is enough.
TEST(CronDayFieldsTest, BothRestrictedMeansEither) {
  // The 13th, or any Friday: Fri 2026-02-06, Fri 02-13 (both), Fri 02-20.
  EXPECT_THAT(Next("0 0 13 * FRI", CS(2026, 2, 1, 0, 0, 0), 4),
              ElementsAre(CS(2026, 2, 6, 0, 0, 0), CS(2026, 2, 13, 0, 0, 0),
                          CS(2026, 2, 20, 0, 0, 0), CS(2026, 2, 27, 0, 0, 0)));
}

TEST(CronDayFieldsTest, StarredDayOfMonthStepMeansBoth) {
  // */2 begins with '*', so both must match: odd days that are Mondays.
  // Mondays of March 2026: 2, 9, 16, 23, 30 -> 9, 23.
  EXPECT_THAT(Next("0 0 */2 3 MON", CS(2026, 3, 1, 0, 0, 0), 2),
              ElementsAre(CS(2026, 3, 9, 0, 0, 0), CS(2026, 3, 23, 0, 0, 0)));
}

TEST(CronCalendarTest, MonthAndYearRollOver) {
  EXPECT_THAT(
      Next("59 23 31 * *", CS(2026, 12, 31, 23, 59, 0), 2),
      ElementsAre(CS(2027, 1, 31, 23, 59, 0), CS(2027, 3, 31, 23, 59, 0)));
}

TEST(CronCalendarTest, LeapDayFiresOnlyInLeapYears) {
  EXPECT_THAT(Next("0 0 29 2 *", CS(2026, 1, 1, 0, 0, 0), 3),
              ElementsAre(CS(2028, 2, 29, 0, 0, 0), CS(2032, 2, 29, 0, 0, 0),
                          CS(2036, 2, 29, 0, 0, 0)));
}

TEST(CronCalendarTest, CenturyNonLeapYearIsSkipped) {
  // 2100 is not a leap year; 2096 and 2104 are.
  EXPECT_THAT(Next("0 0 29 2 *", CS(2097, 1, 1, 0, 0, 0), 1),
              ElementsAre(CS(2104, 2, 29, 0, 0, 0)));
}

TEST(CronSpecialTest, LastDayOfMonth) {
  EXPECT_THAT(Next("0 0 L * *", CS(2028, 1, 15, 0, 0, 0), 3),
              ElementsAre(CS(2028, 1, 31, 0, 0, 0), CS(2028, 2, 29, 0, 0, 0),
                          CS(2028, 3, 31, 0, 0, 0)));
}

TEST(CronSpecialTest, LastWeekdayOfMonth) {
  // 2026-01-31 Sat -> Fri 30; 2026-02-28 Sat -> Fri 27; 2026-05-31 Sun ->
  // Fri 29.
  EXPECT_THAT(Next("0 0 LW * *", CS(2026, 1, 1, 0, 0, 0), 3),
              ElementsAre(CS(2026, 1, 30, 0, 0, 0), CS(2026, 2, 27, 0, 0, 0),
                          CS(2026, 3, 31, 0, 0, 0)));
  EXPECT_THAT(Next("0 0 LW 5 *", CS(2026, 1, 1, 0, 0, 0), 1),
              ElementsAre(CS(2026, 5, 29, 0, 0, 0)));
}

TEST(CronSpecialTest, NearestWeekday) {
  // 2026-02-15 is a Sunday -> Monday 16; 2026-08-15 a Saturday -> Friday 14;
  // 2026-04-15 a Wednesday.
  EXPECT_THAT(Next("0 0 15W 2,4,8 *", CS(2026, 1, 1, 0, 0, 0), 3),
              ElementsAre(CS(2026, 2, 16, 0, 0, 0), CS(2026, 4, 15, 0, 0, 0),
                          CS(2026, 8, 14, 0, 0, 0)));
}

TEST(CronSpecialTest, NearestWeekdayNeverCrossesTheMonth) {
  // 2026-08-01 is a Saturday: 1W is Monday the 3rd, not Friday July 31.
  EXPECT_THAT(Next("0 0 1W 8 *", CS(2026, 1, 1, 0, 0, 0), 1),
              ElementsAre(CS(2026, 8, 3, 0, 0, 0)));
  // 2026-05-31 is a Sunday: 31W is Friday the 29th, not Monday June 1.
  EXPECT_THAT(Next("0 0 31W 5 *", CS(2026, 1, 1, 0, 0, 0), 1),
              ElementsAre(CS(2026, 5, 29, 0, 0, 0)));
}

TEST(CronSpecialTest, NearestWeekdayToAMissingDayDoesNotFire) {
  // 31W in months with 30 days never fires; in 31-day months it does.
  EXPECT_THAT(Next("0 0 31W 4,5 *", CS(2026, 1, 1, 0, 0, 0), 2),
              ElementsAre(CS(2026, 5, 29, 0, 0, 0), CS(2027, 5, 31, 0, 0, 0)));
}

TEST(CronSpecialTest, LastFridayOfMonth) {
  // Last Fridays of 2026: Jan 30, Feb 27, Mar 27.
  EXPECT_THAT(Next("0 0 * * 5L", CS(2026, 1, 1, 0, 0, 0), 3),
              ElementsAre(CS(2026, 1, 30, 0, 0, 0), CS(2026, 2, 27, 0, 0, 0),
                          CS(2026, 3, 27, 0, 0, 0)));
  EXPECT_THAT(Next("0 0 * * FRIL", CS(2026, 1, 1, 0, 0, 0), 1),
              ElementsAre(CS(2026, 1, 30, 0, 0, 0)));
}

TEST(CronSpecialTest, NthWeekdayOfMonth) {
  // Second Fridays: 2026-01-09, 02-13.
  EXPECT_THAT(Next("0 0 * * FRI#2", CS(2026, 1, 1, 0, 0, 0), 2),
              ElementsAre(CS(2026, 1, 9, 0, 0, 0), CS(2026, 2, 13, 0, 0, 0)));
  // Fifth Thursday: January 2026 has one (29th), February does not.
  EXPECT_THAT(Next("0 0 * * 4#5", CS(2026, 1, 1, 0, 0, 0), 2),
              ElementsAre(CS(2026, 1, 29, 0, 0, 0), CS(2026, 4, 30, 0, 0, 0)));
}

TEST(CronSpecialTest, LInDayOfWeekAloneIsSaturday) {
  EXPECT_THAT(Next("0 0 * * L", CS(2026, 1, 1, 0, 0, 0), 1),
              ElementsAre(CS(2026, 1, 3, 0, 0, 0)));
}

TEST(CronSpecialTest, SpecialsMixWithPlainValuesInLists) {
  // The 1st and the last day.
  EXPECT_THAT(Next("0 0 1,L * *", CS(2026, 4, 1, 0, 0, 0), 3),
              ElementsAre(CS(2026, 4, 30, 0, 0, 0), CS(2026, 5, 1, 0, 0, 0),
                          CS(2026, 5, 31, 0, 0, 0)));
}

TEST(CronSpecialTest, FifthFridayOfFebruaryIsRareButReal) {
  // February has five Fridays only in leap years starting on a Friday.
  EXPECT_THAT(Next("0 0 * 2 FRI#5", CS(2026, 1, 1, 0, 0, 0), 1),
              ElementsAre(CS(2036, 2, 29, 0, 0, 0)));
}

TEST(CronWildcardTest, StarInSecondsMinuteOrHourMakesAWildcard) {
  EXPECT_TRUE(P("* * * * *").wildcard());
  EXPECT_TRUE(P("*/15 * * * *").wildcard());
  EXPECT_TRUE(P("0 * * * *").wildcard());
  EXPECT_TRUE(P("*/10 30 2 * * *").wildcard());
  EXPECT_TRUE(P("@hourly").wildcard());
  EXPECT_FALSE(P("30 2 * * *").wildcard());
  EXPECT_FALSE(P("0 30 2 * * *").wildcard());
  EXPECT_FALSE(P("0,30 1,2 * * *").wildcard());
  EXPECT_FALSE(P("@daily").wildcard());
}

TEST(CronErrorTest, OutOfRangeNamesTheFieldAndRange) {
  EXPECT_THAT(
      Err("0 0 32 * *"),
      StatusIs(kInvalid, "field 3 (day of month): 32 is out of range 1-31"));
  EXPECT_THAT(Err("60 * * * *"),
              StatusIs(kInvalid, "field 1 (minute): 60 is out of range 0-59"));
  EXPECT_THAT(Err("0 24 * * *"),
              StatusIs(kInvalid, "field 2 (hour): 24 is out of range 0-23"));
  EXPECT_THAT(Err("0 0 1 13 *"),
              StatusIs(kInvalid, "field 4 (month): 13 is out of range 1-12"));
  EXPECT_THAT(
      Err("0 0 * * 8"),
      StatusIs(kInvalid, "field 5 (day of week): 8 is out of range 0-7"));
  EXPECT_THAT(
      Err("0 0 0 0 * *"),
      StatusIs(kInvalid, "field 4 (day of month): 0 is out of range 1-31"));
}

TEST(CronErrorTest, SixFieldErrorsCountTheSecondsField) {
  EXPECT_THAT(Err("61 0 0 * * *"),
              StatusIs(kInvalid, "field 1 (second): 61 is out of range 0-59"));
}

TEST(CronErrorTest, WrongFieldCount) {
  EXPECT_THAT(Err("* * * *"), StatusIs(kInvalid, HasSubstr("got 4 fields")));
  EXPECT_THAT(Err("* * * * * * *"),
              StatusIs(kInvalid, HasSubstr("got 7 fields")));
  EXPECT_THAT(Err(""), StatusIs(kInvalid, HasSubstr("empty")));
  EXPECT_THAT(Err("   "), StatusIs(kInvalid, HasSubstr("empty")));
}

TEST(CronErrorTest, BadNamesAndNumbers) {
  EXPECT_THAT(Err("0 0 * FOO *"),
              StatusIs(kInvalid, HasSubstr("\"FOO\" is not a month")));
  EXPECT_THAT(Err("0 0 * * FUN"),
              StatusIs(kInvalid, HasSubstr("\"FUN\" is not a day of week")));
  EXPECT_THAT(Err("x * * * *"),
              StatusIs(kInvalid, HasSubstr("field 1 (minute)")));
  EXPECT_THAT(Err("0 MON * * *"),
              StatusIs(kInvalid, HasSubstr("field 2 (hour)")));
  EXPECT_THAT(Err("99999 * * * *"),
              StatusIs(kInvalid, HasSubstr("not a number")));
}

TEST(CronErrorTest, BadStepsAndRanges) {
  EXPECT_THAT(Err("*/0 * * * *"), StatusIs(kInvalid, HasSubstr("step 0")));
  EXPECT_THAT(Err("*/ * * * *"), StatusIs(kInvalid, HasSubstr("step")));
  EXPECT_THAT(Err("*/x * * * *"), StatusIs(kInvalid, HasSubstr("step \"x\"")));
  EXPECT_THAT(Err("40-10 * * * *"),
              StatusIs(kInvalid, HasSubstr("range 40-10 goes backwards")));
  EXPECT_THAT(Err("1,,2 * * * *"),
              StatusIs(kInvalid, HasSubstr("empty list item")));
  EXPECT_THAT(Err("- * * * *"), StatusIs(kInvalid, HasSubstr("field 1")));
}

TEST(CronErrorTest, SpecialsOutsideTheirFields) {
  EXPECT_THAT(Err("? * * * *"),
              StatusIs(kInvalid, HasSubstr("'?' is only allowed in day")));
  EXPECT_THAT(Err("0 L * * *"),
              StatusIs(kInvalid, HasSubstr("'L' is only allowed in day")));
  EXPECT_THAT(
      Err("0 0 * 1#2 *"),
      StatusIs(kInvalid, HasSubstr("'#' is only allowed in day of week")));
  EXPECT_THAT(Err("0 0 * * FRI#6"),
              StatusIs(kInvalid, HasSubstr("the week must be 1 to 5")));
  EXPECT_THAT(Err("0 0 32W * *"),
              StatusIs(kInvalid, HasSubstr("32 is out of range")));
}

TEST(CronErrorTest, ScheduleThatCanNeverFireIsRejectedAtParseTime) {
  EXPECT_THAT(Err("0 0 30 2 *"),
              StatusIs(kInvalid, HasSubstr("can never fire")));
  EXPECT_THAT(Err("0 0 31 4,6,9,11 *"),
              StatusIs(kInvalid, HasSubstr("can never fire")));
  EXPECT_THAT(Err("0 0 31W 2 *"),
              StatusIs(kInvalid, HasSubstr("can never fire")));
}

TEST(CronErrorTest, UnknownDescriptors) {
  EXPECT_THAT(Err("@reboot"),
              StatusIs(kInvalid, HasSubstr("unknown descriptor")));
  EXPECT_THAT(Err("@every 5s"), StatusIs(kInvalid, HasSubstr("interval")));
}

}  // namespace
}  // namespace ap::cron
