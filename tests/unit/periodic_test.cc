#include "common/periodic.h"

#include <atomic>

#include "gtest/gtest.h"

namespace ap {
namespace {

TEST(PeriodicTaskTest, RunsOncePerIntervalOnTheClockAndStops) {
  SimulatedClock clock;
  std::atomic<int> runs = 0;
  absl::Mutex mu;
  PeriodicTask task(&clock, absl::Minutes(10), [&] {
    absl::MutexLock l(&mu);
    ++runs;
  });
  task.Start();
  clock.BlockUntilWaiters(1);
  EXPECT_EQ(runs, 0);  // not at start
  clock.AdvanceTime(absl::Minutes(10));
  clock.BlockUntilWaiters(1);  // ran, and waits for the next interval
  EXPECT_EQ(runs, 1);
  clock.AdvanceTime(absl::Minutes(9));
  EXPECT_EQ(runs, 1);
  task.Stop();  // returns although the clock never moves again
  EXPECT_EQ(runs, 1);
}

// A leader's periodic tasks stop and start again with its leadership.
TEST(PeriodicTaskTest, RunsAgainWhenStartedAfterAStop) {
  SimulatedClock clock;
  std::atomic<int> runs = 0;
  PeriodicTask task(&clock, absl::Minutes(1), [&] { ++runs; });
  task.Start();
  task.Stop();
  task.Start();
  clock.BlockUntilWaiters(1);
  clock.AdvanceTime(absl::Minutes(1));
  clock.BlockUntilWaiters(1);
  EXPECT_EQ(runs, 1);
  task.Stop();
}

}  // namespace
}  // namespace ap
