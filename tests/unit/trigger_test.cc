#include "aggregator/schedule/trigger.h"

#include <string>
#include <vector>

#include "common/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ap {
namespace {

using ::ap::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kT0 =
    absl::FromUnixSeconds(1'790'000'000);  // 2026-09-21T14:13:20Z
constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

v1::Trigger Cron(std::vector<std::string> schedules, std::string zone = "") {
  v1::Trigger t;
  for (const std::string& s : schedules) t.mutable_cron()->add_schedules(s);
  t.mutable_cron()->set_timezone(zone);
  return t;
}

v1::Trigger Interval(absl::Duration every) {
  v1::Trigger t;
  *t.mutable_interval()->mutable_every() = ToProtoDuration(every);
  return t;
}

v1::Trigger Fixed(std::vector<absl::Time> times) {
  v1::Trigger t;
  auto* f = t.mutable_fixed_times();
  for (absl::Time x : times) *f->add_times() = ToProtoTimestamp(x);
  return t;
}

std::vector<absl::Time> Fires(const Trigger& t, absl::Time after, int n) {
  std::vector<absl::Time> out;
  for (int i = 0; i < n; ++i) {
    std::optional<absl::Time> next = t.Next(after);
    if (!next) break;
    out.push_back(*next);
    after = *next;
  }
  return out;
}

Trigger Make(const v1::Trigger& p, std::optional<absl::Time> start = {},
             std::optional<absl::Time> expire = {}) {
  absl::StatusOr<Trigger> t = Trigger::Create(p, start, expire, kT0);
  EXPECT_TRUE(t.ok()) << t.status();
  return *t;
}

const absl::Time kMidnight = absl::FromCivil(
    absl::CivilSecond(2026, 6, 1, 0, 0, 0), absl::UTCTimeZone());

TEST(TriggerTest, CronTriggerIsTheUnionOfItsSchedules) {
  // 00:00 every day and 00:00, 12:00 on Mondays; 2026-06-01 is a Monday.
  Trigger t = Make(Cron({"0 0 * * *", "0 0,12 * * MON"}));
  EXPECT_THAT(
      Fires(t, kMidnight - absl::Seconds(1), 4),
      ElementsAre(kMidnight, kMidnight + absl::Hours(12),
                  kMidnight + absl::Hours(24), kMidnight + absl::Hours(48)));
  EXPECT_EQ(t.cause(), v1::EXECUTION_CAUSE_CRON);
}

TEST(TriggerTest, CronScheduleReadsItsTimeZone) {
  // 09:00 in Tokyo (+9) is 00:00Z.
  Trigger t = Make(Cron({"0 9 * * *"}, "Asia/Tokyo"));
  EXPECT_EQ(*t.Next(kMidnight - absl::Hours(1)), kMidnight);
}

TEST(TriggerTest, FixedTimesFireOnceEachInOrder) {
  Trigger t = Make(Fixed(
      {kT0 + absl::Hours(2), kT0 + absl::Hours(1), kT0 + absl::Hours(2)}));
  EXPECT_THAT(Fires(t, kT0, 5),
              ElementsAre(kT0 + absl::Hours(1), kT0 + absl::Hours(2)));
  EXPECT_EQ(t.Next(kT0 + absl::Hours(2)), std::nullopt);
  EXPECT_EQ(t.cause(), v1::EXECUTION_CAUSE_FIXED);
}

TEST(TriggerTest, IntervalCountsFromCreationWithoutStartAt) {
  Trigger t = Make(Interval(absl::Minutes(10)));
  EXPECT_THAT(Fires(t, kT0, 2),
              ElementsAre(kT0 + absl::Minutes(10), kT0 + absl::Minutes(20)));
  EXPECT_EQ(t.cause(), v1::EXECUTION_CAUSE_INTERVAL);
}

TEST(TriggerTest, IntervalStartsAtStartAt) {
  const absl::Time start = kT0 + absl::Hours(5);
  Trigger t = Make(Interval(absl::Minutes(10)), start);
  EXPECT_THAT(Fires(t, kT0, 2), ElementsAre(start, start + absl::Minutes(10)));
}

TEST(TriggerTest, NothingFiresBeforeStartAt) {
  const absl::Time start = kMidnight + absl::Hours(36);  // June 2, 12:00
  Trigger t = Make(Cron({"0 0 * * *"}), start);
  EXPECT_EQ(*t.Next(kMidnight - absl::Hours(1)), kMidnight + absl::Hours(48));
}

TEST(TriggerTest, AFireExactlyAtStartAtCounts) {
  Trigger t = Make(Cron({"0 0 * * *"}), kMidnight);
  EXPECT_EQ(*t.Next(kMidnight - absl::Hours(5)), kMidnight);
}

TEST(TriggerTest, NothingFiresAtOrAfterExpireAt) {
  Trigger t =
      Make(Cron({"0 0 * * *"}), std::nullopt, kMidnight + absl::Hours(48));
  EXPECT_THAT(Fires(t, kMidnight - absl::Seconds(1), 5),
              ElementsAre(kMidnight, kMidnight + absl::Hours(24)));
}

TEST(TriggerTest, ManualTriggerNeverFiresByItself) {
  v1::Trigger p;
  p.mutable_manual();
  Trigger t = Make(p);
  EXPECT_EQ(t.Next(kT0), std::nullopt);
  EXPECT_EQ(t.cause(), v1::EXECUTION_CAUSE_MANUAL);
}

absl::Status Err(const v1::Trigger& p, std::optional<absl::Time> start = {},
                 std::optional<absl::Time> expire = {}) {
  return Trigger::Create(p, start, expire, kT0).status();
}

TEST(TriggerErrorTest, EachFieldIsNamed) {
  EXPECT_THAT(Err(v1::Trigger()),
              StatusIs(kInvalid, HasSubstr("trigger: set exactly one of")));
  EXPECT_THAT(Err(Cron({})),
              StatusIs(kInvalid, HasSubstr("trigger.cron.schedules: needs")));
  EXPECT_THAT(Err(Cron({"0 0 * * *", "0 0 32 * *"})),
              StatusIs(kInvalid,
                       "trigger.cron.schedules[1]: field 3 (day of "
                       "month): 32 is out of range 1-31"));
  EXPECT_THAT(Err(Cron({"0 0 * * *"}, "Nowhere/Land")),
              StatusIs(kInvalid,
                       HasSubstr("trigger.cron.timezone: unknown time zone")));
  EXPECT_THAT(
      Err(Interval(absl::Milliseconds(500))),
      StatusIs(kInvalid,
               HasSubstr("trigger.interval.every: must be at least 1s")));
  EXPECT_THAT(Err(Interval(-absl::Seconds(5))),
              StatusIs(kInvalid, HasSubstr("trigger.interval.every")));
  EXPECT_THAT(
      Err(Fixed({})),
      StatusIs(kInvalid, HasSubstr("trigger.fixed_times.times: needs")));
  EXPECT_THAT(
      Err(Cron({"0 0 * * *"}), kT0, kT0),
      StatusIs(kInvalid, HasSubstr("expire_at: must be after start_at")));
}

TEST(TriggerErrorTest, OutOfRangeTimestampsAreRejected) {
  v1::Trigger p;
  p.mutable_fixed_times()->add_times()->set_seconds(999'999'999'999);
  EXPECT_THAT(Err(p),
              StatusIs(kInvalid, HasSubstr("trigger.fixed_times.times[0]")));
  v1::Workflow w;
  *w.mutable_trigger() = Cron({"* * * * *"});
  w.mutable_start_at()->set_nanos(-1);
  EXPECT_THAT(Trigger::FromWorkflow(w, kT0).status(),
              StatusIs(kInvalid, HasSubstr("start_at")));
}

TEST(TriggerErrorTest, LimitsOnSchedulesAndFixedTimes) {
  std::vector<std::string> many(kMaxSchedules + 1, "* * * * *");
  EXPECT_THAT(Err(Cron(many)), StatusIs(kInvalid, HasSubstr("at most 32")));
  std::vector<absl::Time> times(kMaxFixedTimes + 1, kT0);
  EXPECT_THAT(Err(Fixed(times)), StatusIs(kInvalid, HasSubstr("at most 1000")));
}

TEST(TriggerTest, FromWorkflowReadsBounds) {
  v1::Workflow w;
  *w.mutable_trigger() = Cron({"0 0 * * *"});
  *w.mutable_start_at() = ToProtoTimestamp(kMidnight + absl::Hours(1));
  *w.mutable_expire_at() = ToProtoTimestamp(kMidnight + absl::Hours(49));
  absl::StatusOr<Trigger> t = Trigger::FromWorkflow(w, kT0);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(
      Fires(*t, kMidnight - absl::Hours(1), 5),
      ElementsAre(kMidnight + absl::Hours(24), kMidnight + absl::Hours(48)));
}

}  // namespace
}  // namespace ap
