// The scheduler core, driven by a simulated clock; nothing sleeps.

#include "aggregator/schedule/scheduler.h"

#include <string>
#include <vector>

#include "common/clock.h"
#include "common/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ap {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kStart = absl::FromCivil(
    absl::CivilSecond(2026, 6, 1, 0, 0, 0), absl::UTCTimeZone());

Trigger CronTrigger(const std::string& expr) {
  v1::Trigger p;
  p.mutable_cron()->add_schedules(expr);
  return *Trigger::Create(p, std::nullopt, std::nullopt, kStart);
}

Trigger FixedTrigger(std::vector<absl::Time> times) {
  v1::Trigger p;
  for (absl::Time t : times)
    *p.mutable_fixed_times()->add_times() = ToProtoTimestamp(t);
  return *Trigger::Create(p, std::nullopt, std::nullopt, kStart);
}

std::vector<std::string> Ids(const std::vector<Scheduler::Fire>& fires) {
  std::vector<std::string> out;
  for (const auto& f : fires) out.push_back(f.workflow_id);
  return out;
}

class SchedulerTest : public ::testing::Test {
 protected:
  // Advances the clock and takes everything due.
  std::vector<Scheduler::Fire> Tick(absl::Duration d, size_t max = 1000) {
    clock_.AdvanceTime(d);
    return scheduler_.TakeDue(clock_.TimeNow(), max);
  }

  SimulatedClock clock_{kStart};
  Scheduler scheduler_;
};

TEST_F(SchedulerTest, FiresComeOutOldestFirstAndAreRearmed) {
  scheduler_.Upsert("every-minute", CronTrigger("* * * * *"), kStart);
  scheduler_.Upsert("every-2-min", CronTrigger("*/2 * * * *"), kStart);
  EXPECT_THAT(Tick(absl::Seconds(59)), IsEmpty());
  std::vector<Scheduler::Fire> fires = Tick(absl::Minutes(2));
  // 00:01 every-minute, 00:02 every-2-min, 00:02 every-minute.
  EXPECT_THAT(Ids(fires),
              ElementsAre("every-minute", "every-2-min", "every-minute"));
  EXPECT_EQ(fires[0].scheduled_at, kStart + absl::Minutes(1));
  EXPECT_EQ(fires[0].next, kStart + absl::Minutes(2));
  EXPECT_EQ(fires[0].cause, v1::EXECUTION_CAUSE_CRON);
  EXPECT_EQ(scheduler_.NextFireTime(), kStart + absl::Minutes(3));
}

TEST_F(SchedulerTest, TakeDueStopsAtMax) {
  for (int i = 0; i < 10; ++i) {
    scheduler_.Upsert("w" + std::to_string(i), CronTrigger("* * * * *"),
                      kStart);
  }
  EXPECT_EQ(Tick(absl::Minutes(1), 4).size(), 4u);
  EXPECT_EQ(scheduler_.TakeDue(clock_.TimeNow(), 100).size(), 6u);
}

TEST_F(SchedulerTest, DueCountCountsTheWorkflowsArmedAtOrBeforeNow) {
  scheduler_.Upsert("every-minute", CronTrigger("* * * * *"), kStart);
  scheduler_.Upsert("every-2-min", CronTrigger("*/2 * * * *"), kStart);
  EXPECT_EQ(scheduler_.DueCount(kStart + absl::Seconds(59)), 0u);
  EXPECT_EQ(scheduler_.DueCount(kStart + absl::Minutes(1)), 1u);
  EXPECT_EQ(scheduler_.DueCount(kStart + absl::Minutes(5)), 2u);
}

TEST_F(SchedulerTest, PausedWorkflowDoesNotFireAndResumesFromNow) {
  scheduler_.Upsert("w", CronTrigger("0 * * * *"), kStart);
  scheduler_.Pause("w");
  EXPECT_THAT(Tick(absl::Hours(5)), IsEmpty());
  // Resumed at 05:00: the next fire is 06:00; the paused hours are not run.
  EXPECT_EQ(scheduler_.Resume("w", clock_.TimeNow()), kStart + absl::Hours(6));
  EXPECT_THAT(Tick(absl::Minutes(59)), IsEmpty());
  EXPECT_THAT(Ids(Tick(absl::Minutes(1))), ElementsAre("w"));
}

TEST_F(SchedulerTest, UpsertPausedKeepsItOutOfTheQueue) {
  scheduler_.Upsert("w", CronTrigger("* * * * *"), kStart, /*paused=*/true);
  EXPECT_EQ(scheduler_.size(), 1u);
  EXPECT_EQ(scheduler_.armed(), 0u);
  EXPECT_THAT(Tick(absl::Minutes(3)), IsEmpty());
}

TEST_F(SchedulerTest, RemovedWorkflowNeverFiresAgain) {
  scheduler_.Upsert("w", CronTrigger("* * * * *"), kStart);
  EXPECT_TRUE(scheduler_.Remove("w"));
  EXPECT_THAT(Tick(absl::Minutes(3)), IsEmpty());
  EXPECT_FALSE(scheduler_.Remove("w"));
  EXPECT_FALSE(scheduler_.Pause("w"));
  EXPECT_EQ(scheduler_.Resume("w", kStart), std::nullopt);
}

TEST_F(SchedulerTest, UpsertReplacesTheTrigger) {
  scheduler_.Upsert("w", CronTrigger("0 * * * *"), kStart);
  scheduler_.Upsert("w", CronTrigger("*/5 * * * *"), kStart);
  EXPECT_EQ(scheduler_.size(), 1u);
  EXPECT_EQ(scheduler_.NextFireTime("w"), kStart + absl::Minutes(5));
}

TEST_F(SchedulerTest, ExhaustedTriggerLeavesTheQueueAndSaysSo) {
  scheduler_.Upsert("once", FixedTrigger({kStart + absl::Minutes(1)}), kStart);
  std::vector<Scheduler::Fire> fires = Tick(absl::Minutes(1));
  ASSERT_EQ(fires.size(), 1u);
  EXPECT_EQ(fires[0].next, std::nullopt);
  EXPECT_EQ(scheduler_.armed(), 0u);
  EXPECT_EQ(scheduler_.size(), 1u);  // still known, for examine
}

TEST_F(SchedulerTest, RearmPutsAFireBackAfterAFailedWrite) {
  scheduler_.Upsert("w", CronTrigger("* * * * *"), kStart);
  std::vector<Scheduler::Fire> fires = Tick(absl::Minutes(1));
  ASSERT_EQ(fires.size(), 1u);
  ASSERT_TRUE(scheduler_.Rearm("w", fires[0].scheduled_at));
  std::vector<Scheduler::Fire> again = scheduler_.TakeDue(clock_.TimeNow(), 10);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].scheduled_at, fires[0].scheduled_at);
}

TEST_F(SchedulerTest, ManyFiresDueAtOnceAreAllTakenInOrder) {
  // After 10 minutes of downtime, every fire is still there, in order.
  scheduler_.Upsert("w", CronTrigger("* * * * *"), kStart);
  clock_.AdvanceTime(absl::Minutes(10));
  std::vector<absl::Time> times;
  for (std::vector<Scheduler::Fire> f =
           scheduler_.TakeDue(clock_.TimeNow(), 100);
       !f.empty(); f = scheduler_.TakeDue(clock_.TimeNow(), 100)) {
    for (const auto& x : f) times.push_back(x.scheduled_at);
  }
  ASSERT_EQ(times.size(), 10u);
  for (size_t i = 0; i < times.size(); ++i) {
    EXPECT_EQ(times[i], kStart + absl::Minutes(i + 1));
  }
}

TEST_F(SchedulerTest, FiresBetweenListsTheTriggerWindow) {
  scheduler_.Upsert("w", CronTrigger("0 */6 * * *"), kStart);
  EXPECT_THAT(
      scheduler_.FiresBetween("w", kStart, kStart + absl::Hours(18), 10),
      ElementsAre(kStart + absl::Hours(6), kStart + absl::Hours(12),
                  kStart + absl::Hours(18)));
  EXPECT_THAT(scheduler_.FiresBetween("w", kStart, kStart + absl::Hours(18), 2),
              ElementsAre(kStart + absl::Hours(6), kStart + absl::Hours(12)));
  EXPECT_THAT(
      scheduler_.FiresBetween("nope", kStart, kStart + absl::Hours(1), 9),
      IsEmpty());
}

TEST_F(SchedulerTest, HundredThousandWorkflowsFireInTimeOrder) {
  for (int i = 0; i < 100'000; ++i) {
    scheduler_.Upsert("w" + std::to_string(i),
                      CronTrigger(std::to_string(i % 60) + " * * * *"), kStart);
  }
  clock_.AdvanceTime(absl::Hours(1));
  absl::Time last = absl::InfinitePast();
  size_t total = 0;
  for (auto f = scheduler_.TakeDue(clock_.TimeNow(), 5000); !f.empty();
       f = scheduler_.TakeDue(clock_.TimeNow(), 5000)) {
    for (const auto& x : f) {
      ASSERT_GE(x.scheduled_at, last);
      last = x.scheduled_at;
    }
    total += f.size();
  }
  // Minutes 1..59 fire in the first hour, and minute 0 at 01:00.
  EXPECT_EQ(total, 100'000u);
}

}  // namespace
}  // namespace ap
