// DispatchLoop: kicks run rounds on the loop's thread, coalesced, and
// inline before it starts.

#include "aggregator/dispatch/dispatch_loop.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/clock.h"
#include "gtest/gtest.h"

namespace ap {
namespace {

TEST(DispatchLoopTest, BeforeStartAKickRunsTheRoundInTheCallersThread) {
  std::thread::id ran_on;
  DispatchLoop loop([&] { ran_on = std::this_thread::get_id(); });
  loop.Kick();
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  EXPECT_EQ(loop.rounds(), 1u);
}

TEST(DispatchLoopTest, KicksDuringARoundCoalesceIntoOneMoreRound) {
  absl::Mutex mu;
  int calls = 0;
  bool release = false;
  absl::Notification first_inside;
  DispatchLoop loop([&] {
    absl::MutexLock l(&mu);
    if (++calls == 1) {
      first_inside.Notify();
      mu.Await(absl::Condition(&release));
    }
  });
  loop.Start();
  loop.Kick();
  first_inside.WaitForNotification();
  for (int i = 0; i < 5; ++i) loop.Kick();  // while round 1 runs
  {
    absl::MutexLock l(&mu);
    release = true;
    auto two = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return calls >= 2; };
    // Bounded wait: the second round must come without another kick.
    EXPECT_TRUE(mu.AwaitWithTimeout(absl::Condition(&two), absl::Seconds(10)));
  }
  loop.Stop();
  EXPECT_EQ(calls, 2);
}

TEST(DispatchLoopTest, RoundsStartAtLeastTheMinimumGapApart) {
  SimulatedClock clock(absl::UnixEpoch());
  absl::Mutex mu;
  std::vector<absl::Time> starts;
  DispatchLoop loop(
      [&] {
        absl::MutexLock l(&mu);
        starts.push_back(clock.TimeNow());
      },
      &clock, absl::Milliseconds(10));
  loop.Start();
  loop.Kick();
  auto rounds_are = [&](size_t n) {
    absl::MutexLock l(&mu);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
      return starts.size() >= n;
    };
    return mu.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(10));
  };
  ASSERT_TRUE(rounds_are(1));
  loop.Kick();
  // The second round waits on the clock for the gap, not for a kick.
  clock.BlockUntilWaiters(1);
  EXPECT_EQ(clock.GetEarliestWakeupTime(),
            absl::UnixEpoch() + absl::Milliseconds(10));
  EXPECT_EQ(loop.rounds(), 1u);
  clock.AdvanceTime(absl::Milliseconds(10));
  ASSERT_TRUE(rounds_are(2));
  loop.Stop();
  EXPECT_EQ(starts[1] - starts[0], absl::Milliseconds(10));
}

TEST(DispatchLoopTest, AKickNeverRunsTheRoundInTheCallerOnceStarted) {
  std::atomic<int> inline_calls = 0;
  const std::thread::id caller = std::this_thread::get_id();
  absl::Notification ran;
  DispatchLoop loop([&] {
    if (std::this_thread::get_id() == caller) ++inline_calls;
    if (!ran.HasBeenNotified()) ran.Notify();
  });
  loop.Start();
  loop.Kick();
  EXPECT_TRUE(ran.WaitForNotificationWithTimeout(absl::Seconds(10)));
  loop.Stop();
  EXPECT_EQ(inline_calls, 0);
  loop.Kick();  // stopped: inline again
  EXPECT_EQ(inline_calls, 1);
}

}  // namespace
}  // namespace ap
