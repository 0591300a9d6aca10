#include "common/clock.h"

#include <thread>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace ap {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

TEST(SimulatedClockTest, StartsWhereToldWithMonotonicZero) {
  SimulatedClock clock(kStart);
  EXPECT_EQ(clock.TimeNow(), kStart);
  EXPECT_EQ(clock.MonotonicNow(), absl::ZeroDuration());
}

TEST(SimulatedClockTest, AdvanceTimeMovesWallAndMonotonicTogether) {
  SimulatedClock clock(kStart);
  clock.AdvanceTime(absl::Seconds(90));
  EXPECT_EQ(clock.TimeNow(), kStart + absl::Seconds(90));
  EXPECT_EQ(clock.MonotonicNow(), absl::Seconds(90));
}

TEST(SimulatedClockTest, NegativeAdvanceDoesNotMoveTimeBack) {
  SimulatedClock clock(kStart);
  clock.AdvanceTime(-absl::Seconds(5));
  EXPECT_EQ(clock.TimeNow(), kStart);
  EXPECT_EQ(clock.MonotonicNow(), absl::ZeroDuration());
}

TEST(SimulatedClockTest, SetTimeStepsWallTimeOnly) {
  SimulatedClock clock(kStart);
  clock.AdvanceTime(absl::Seconds(3));
  clock.SetTime(kStart - absl::Hours(1));  // NTP stepped the clock back
  EXPECT_EQ(clock.TimeNow(), kStart - absl::Hours(1));
  EXPECT_EQ(clock.MonotonicNow(), absl::Seconds(3));
}

TEST(SimulatedClockTest, SleeperWakesOnlyWhenTimeReachesItsDeadline) {
  SimulatedClock clock(kStart);
  absl::Notification woke;
  std::thread sleeper([&] {
    clock.SleepFor(absl::Seconds(10));
    woke.Notify();
  });
  clock.BlockUntilWaiters(1);
  EXPECT_EQ(clock.GetEarliestWakeupTime(), kStart + absl::Seconds(10));
  clock.AdvanceTime(absl::Seconds(9));
  EXPECT_FALSE(woke.HasBeenNotified());
  clock.AdvanceTime(absl::Seconds(1));
  sleeper.join();
  EXPECT_TRUE(woke.HasBeenNotified());
  EXPECT_EQ(clock.NumWaiters(), 0);
}

TEST(SimulatedClockTest, AwaitReturnsTrueWhenConditionComesFirst) {
  SimulatedClock clock(kStart);
  absl::Mutex mu;
  bool ready = false;
  bool result = false;
  std::thread waiter([&] {
    absl::MutexLock l(&mu);
    result = clock.AwaitWithDeadline(&mu, absl::Condition(&ready),
                                     kStart + absl::Minutes(1));
  });
  clock.BlockUntilWaiters(1);
  {
    absl::MutexLock l(&mu);
    ready = true;
  }
  waiter.join();
  EXPECT_TRUE(result);
  EXPECT_EQ(clock.NumWaiters(), 0);  // its deadline entry is gone
  EXPECT_EQ(clock.TimeNow(), kStart);
}

TEST(SimulatedClockTest, AwaitReturnsFalseAtDeadline) {
  SimulatedClock clock(kStart);
  absl::Mutex mu;
  bool ready = false;
  bool result = true;
  std::thread waiter([&] {
    absl::MutexLock l(&mu);
    result = clock.AwaitWithDeadline(&mu, absl::Condition(&ready),
                                     kStart + absl::Seconds(5));
  });
  clock.BlockUntilWaiters(1);
  clock.AdvanceTime(absl::Seconds(5));
  waiter.join();
  EXPECT_FALSE(result);
}

TEST(SimulatedClockTest, AwaitWithPastDeadlineReturnsAtOnce) {
  SimulatedClock clock(kStart);
  absl::Mutex mu;
  bool ready = false;
  absl::MutexLock l(&mu);
  EXPECT_FALSE(clock.AwaitWithDeadline(&mu, absl::Condition(&ready), kStart));
  ready = true;
  EXPECT_TRUE(clock.AwaitWithDeadline(&mu, absl::Condition(&ready), kStart));
}

TEST(SimulatedClockTest, WallClockStepForwardWakesSleepers) {
  SimulatedClock clock(kStart);
  std::thread sleeper([&] { clock.SleepUntil(kStart + absl::Hours(1)); });
  clock.BlockUntilWaiters(1);
  clock.SetTime(kStart + absl::Hours(2));
  sleeper.join();
  EXPECT_EQ(clock.MonotonicNow(), absl::ZeroDuration());
}

TEST(SimulatedClockTest, ManySleepersWakeInDeadlineOrder) {
  SimulatedClock clock(kStart);
  std::vector<std::thread> sleepers;
  for (int i = 1; i <= 3; ++i) {
    sleepers.emplace_back([&clock, i] { clock.SleepFor(absl::Seconds(i)); });
  }
  clock.BlockUntilWaiters(3);
  EXPECT_EQ(clock.GetEarliestWakeupTime(), kStart + absl::Seconds(1));
  clock.AdvanceTime(absl::Seconds(2));
  // Those with deadlines 1 s and 2 s are gone; 3 s remains.
  EXPECT_EQ(clock.GetEarliestWakeupTime(), kStart + absl::Seconds(3));
  clock.AdvanceTime(absl::Seconds(1));
  for (std::thread& t : sleepers) t.join();
  EXPECT_EQ(clock.GetEarliestWakeupTime(), absl::InfiniteFuture());
}

TEST(RealClockTest, MonotonicTimeNeverGoesBack) {
  Clock* clock = Clock::Real();
  absl::Duration prev = clock->MonotonicNow();
  for (int i = 0; i < 1000; ++i) {
    absl::Duration now = clock->MonotonicNow();
    ASSERT_GE(now, prev);
    prev = now;
  }
}

TEST(RealClockTest, AwaitWithDeadlineTimesOut) {
  Clock* clock = Clock::Real();
  absl::Mutex mu;
  bool never = false;
  absl::MutexLock l(&mu);
  EXPECT_FALSE(clock->AwaitWithDeadline(
      &mu, absl::Condition(&never), clock->TimeNow() + absl::Milliseconds(1)));
}

}  // namespace
}  // namespace ap
