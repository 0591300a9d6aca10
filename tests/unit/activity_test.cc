#include "aggregator/http/activity.h"

#include "common/proto_time.h"
#include "gtest/gtest.h"

namespace ap {
namespace {

const absl::Time kT0 = absl::FromCivil(absl::CivilSecond(2026, 6, 1, 12, 0, 30),
                                       absl::UTCTimeZone());

TEST(ActivityTest, CountsFiresAndOutcomesInTheMinuteTheyHappen) {
  SimulatedClock clock(kT0);
  Activity activity(&clock);
  activity.OnFired(2, {absl::Milliseconds(10), absl::Milliseconds(30)});
  activity.OnFinished(v1::EXECUTION_STATUS_SUCCEEDED);
  activity.OnFinished(v1::EXECUTION_STATUS_FAILED, 3);
  clock.AdvanceTime(absl::Minutes(1));
  activity.OnFinished(v1::EXECUTION_STATUS_TIMED_OUT);
  activity.OnFinished(v1::EXECUTION_STATUS_SKIPPED, 2);
  activity.OnFinished(v1::EXECUTION_STATUS_CANCELED);

  std::vector<v1::ActivityMinute> hour = activity.LastHour();
  ASSERT_EQ(hour.size(), 60u);
  const v1::ActivityMinute& before = hour[58];
  const v1::ActivityMinute& now = hour[59];
  EXPECT_EQ(FromProto(before.start()),
            absl::FromCivil(absl::CivilMinute(2026, 6, 1, 12, 0),
                            absl::UTCTimeZone()));
  EXPECT_EQ(before.fired(), 2);
  EXPECT_EQ(before.succeeded(), 1);
  EXPECT_EQ(before.failed(), 3);
  EXPECT_EQ(FromProto(before.lateness_mean()), absl::Milliseconds(20));
  EXPECT_EQ(FromProto(before.lateness_max()), absl::Milliseconds(30));
  EXPECT_EQ(now.fired(), 0);
  EXPECT_FALSE(now.has_lateness_mean());
  EXPECT_EQ(now.timed_out(), 1);
  EXPECT_EQ(now.skipped(), 2);
  EXPECT_EQ(now.canceled(), 1);
}

TEST(ActivityTest, StatusesThatAreNotOutcomesAreNotCounted) {
  SimulatedClock clock(kT0);
  Activity activity(&clock);
  activity.OnFinished(v1::EXECUTION_STATUS_RUNNING);
  activity.OnFinished(v1::EXECUTION_STATUS_PENDING);
  const v1::ActivityMinute now = activity.LastHour().back();
  EXPECT_EQ(now.succeeded() + now.failed() + now.timed_out() + now.skipped() +
                now.canceled(),
            0);
}

TEST(ActivityTest, KeepsTheLastHourOldestFirstAndForgetsOlderMinutes) {
  SimulatedClock clock(kT0);
  Activity activity(&clock);
  activity.OnFinished(v1::EXECUTION_STATUS_SUCCEEDED);
  clock.AdvanceTime(absl::Minutes(59));
  std::vector<v1::ActivityMinute> hour = activity.LastHour();
  EXPECT_EQ(hour.front().succeeded(), 1) << "59 minutes ago is still shown";
  for (size_t i = 1; i < hour.size(); ++i) {
    EXPECT_EQ(FromProto(hour[i].start()) - FromProto(hour[i - 1].start()),
              absl::Minutes(1));
  }
  // An hour later the slot is reused for the new minute: the old count
  // is gone, not added to it.
  clock.AdvanceTime(absl::Minutes(1));
  activity.OnFinished(v1::EXECUTION_STATUS_FAILED);
  hour = activity.LastHour();
  for (const v1::ActivityMinute& m : hour) EXPECT_EQ(m.succeeded(), 0);
  EXPECT_EQ(hour.back().failed(), 1);
}

TEST(ActivityTest, AQuietHourIsSixtyMinutesOfZeros) {
  SimulatedClock clock(kT0);
  Activity activity(&clock);
  activity.OnFired(1, {absl::Seconds(1)});
  clock.AdvanceTime(absl::Hours(3));
  for (const v1::ActivityMinute& m : activity.LastHour()) {
    EXPECT_EQ(m.fired(), 0);
  }
}

}  // namespace
}  // namespace ap
