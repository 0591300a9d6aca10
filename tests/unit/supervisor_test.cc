#include "operator/supervise/supervisor.h"

#include <atomic>
#include <stdexcept>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace ap {
namespace {

// A loop that fails `failures` times (throwing, or returning when
// `returns`), then runs until stopped.
class FlakyLoop {
 public:
  FlakyLoop(int failures, bool returns)
      : failures_(failures), returns_(returns) {}
  void Run() {
    const int run = ++runs;
    if (run <= failures_) {
      if (returns_) return;
      throw std::runtime_error("loop broke");
    }
    steady.Notify();
    absl::MutexLock l(&mu_);
    mu_.Await(absl::Condition(&stop_));
  }
  void Stop() {
    absl::MutexLock l(&mu_);
    stop_ = true;
  }
  std::atomic<int> runs{0};
  absl::Notification steady;

 private:
  const int failures_;
  const bool returns_;
  absl::Mutex mu_;
  bool stop_ = false;
};

TEST(SupervisorTest, ALoopThatThrowsIsRestartedAfterABackoff) {
  SimulatedClock clock;
  FlakyLoop loop(2, /*returns=*/false);
  Supervisor supervisor(&clock);
  supervisor.Add(
      "flaky", [&] { loop.Run(); }, [&] { loop.Stop(); });
  clock.BlockUntilWaiters(1);
  EXPECT_EQ(loop.runs.load(), 1);
  EXPECT_EQ(supervisor.restarts("flaky"), 1);
  // Waits 100 ms (±20 %) before the first restart, then twice that.
  EXPECT_LE(clock.GetEarliestWakeupTime(),
            clock.TimeNow() + absl::Milliseconds(120));
  clock.AdvanceTime(absl::Milliseconds(120));
  clock.BlockUntilWaiters(1);
  EXPECT_EQ(supervisor.restarts("flaky"), 2);
  EXPECT_GE(clock.GetEarliestWakeupTime(),
            clock.TimeNow() + absl::Milliseconds(160));
  clock.AdvanceTime(absl::Milliseconds(240));
  loop.steady.WaitForNotification();
  EXPECT_EQ(loop.runs.load(), 3);
  supervisor.Stop();
  EXPECT_EQ(supervisor.restarts("flaky"), 2);
}

TEST(SupervisorTest, ALoopThatReturnsOnItsOwnIsRestarted) {
  SimulatedClock clock;
  FlakyLoop loop(1, /*returns=*/true);
  Supervisor supervisor(&clock);
  supervisor.Add(
      "quitter", [&] { loop.Run(); }, [&] { loop.Stop(); });
  clock.BlockUntilWaiters(1);
  clock.AdvanceTime(absl::Seconds(1));
  loop.steady.WaitForNotification();
  EXPECT_EQ(supervisor.restarts("quitter"), 1);
}

TEST(SupervisorTest, StopEndsEveryLoopWithoutRestartingIt) {
  SimulatedClock clock;
  FlakyLoop a(0, false), b(0, false);
  Supervisor supervisor(&clock);
  supervisor.Add(
      "a", [&] { a.Run(); }, [&] { a.Stop(); });
  supervisor.Add(
      "b", [&] { b.Run(); }, [&] { b.Stop(); });
  a.steady.WaitForNotification();
  b.steady.WaitForNotification();
  supervisor.Stop();
  EXPECT_EQ(supervisor.restarts("a"), 0);
  EXPECT_EQ(supervisor.restarts("b"), 0);
}

TEST(SupervisorTest, StopDuringTheBackoffReturnsAtOnce) {
  SimulatedClock clock;
  FlakyLoop loop(100, false);
  Supervisor supervisor(&clock);
  supervisor.Add(
      "broken", [&] { loop.Run(); }, [&] { loop.Stop(); });
  clock.BlockUntilWaiters(1);
  supervisor.Stop();  // no clock advance needed
  EXPECT_EQ(loop.runs.load(), 1);
}

}  // namespace
}  // namespace ap
