// The leader elector on a simulated clock with a scripted lease: when it
// leads, renews, and gives up, and that a leader whose lease is not
// confirmed stops before the database's lease could run out.

#include "aggregator/cluster/leader_elector.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ap {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr absl::Duration kTtl = absl::Seconds(3);
constexpr absl::Duration kMargin = absl::Milliseconds(500);

class FakeLease : public LeaseBackend {
 public:
  absl::StatusOr<LeaseView> TryAcquire(absl::Duration ttl) override {
    ++acquires;
    return acquire(ttl);
  }
  absl::StatusOr<std::optional<absl::Duration>> Renew(
      int64_t epoch, absl::Duration ttl) override {
    renewed_epochs.push_back(epoch);
    return renew(ttl);
  }
  absl::Status Release(int64_t epoch) override {
    released.push_back(epoch);
    return absl::OkStatus();
  }

  std::function<absl::StatusOr<LeaseView>(absl::Duration)> acquire =
      [](absl::Duration) { return LeaseView{}; };
  std::function<absl::StatusOr<std::optional<absl::Duration>>(absl::Duration)>
      renew =
          [](absl::Duration ttl) { return std::optional<absl::Duration>(ttl); };
  int acquires = 0;
  std::vector<int64_t> renewed_epochs;
  std::vector<int64_t> released;
};

LeaseView Granted(int64_t epoch, absl::Duration remaining = kTtl) {
  return {true, "me", epoch, remaining};
}
LeaseView HeldByOther(absl::Duration remaining) {
  return {false, "other", 7, remaining};
}

class LeaderElectorTest : public ::testing::Test {
 protected:
  // Declared before the elector, which they must outlive.
  SimulatedClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  FakeLease lease_;
  std::vector<std::string> events_;
  std::string why_;
  LeaderElector elector_{
      &lease_,
      &clock_,
      {kTtl, kMargin},
      {[this](int64_t epoch) {
         events_.push_back("elected " + std::to_string(epoch));
       },
       [this](int64_t epoch, const std::string& why) {
         events_.push_back("deposed " + std::to_string(epoch));
         why_ = why;
       }}};
};

TEST_F(LeaderElectorTest, AStandbyThatTakesTheLeaseLeadsWithItsEpoch) {
  lease_.acquire = [](absl::Duration) { return Granted(3); };
  EXPECT_EQ(elector_.Step(), kTtl / 3);
  EXPECT_TRUE(elector_.leading());
  EXPECT_EQ(elector_.epoch(), 3);
  EXPECT_THAT(events_, ElementsAre("elected 3"));
}

TEST_F(LeaderElectorTest, TheLeaderRenewsItsEpochEveryThirdOfTheLease) {
  lease_.acquire = [](absl::Duration) { return Granted(3); };
  elector_.Step();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(elector_.Step(), kTtl / 3);
    clock_.AdvanceTime(kTtl / 3);
    EXPECT_GT(elector_.CheckDeadline(), absl::ZeroDuration());
  }
  EXPECT_THAT(lease_.renewed_epochs, ElementsAre(3, 3, 3));
  EXPECT_EQ(lease_.acquires, 1);
  EXPECT_THAT(events_, ElementsAre("elected 3"));
}

TEST_F(LeaderElectorTest, AStandbyTriesAgainAsTheLeaseItSawRunsOut) {
  lease_.acquire = [](absl::Duration) {
    return HeldByOther(absl::Milliseconds(400));
  };
  EXPECT_EQ(elector_.Step(), absl::Milliseconds(400));
  lease_.acquire = [](absl::Duration) { return HeldByOther(absl::Hours(1)); };
  EXPECT_EQ(elector_.Step(), kTtl / 3);
  EXPECT_FALSE(elector_.leading());
  EXPECT_TRUE(events_.empty());
}

TEST_F(LeaderElectorTest, ARefusedRenewalDeposesAtOnce) {
  lease_.acquire = [](absl::Duration) { return Granted(3); };
  elector_.Step();
  lease_.renew = [](absl::Duration) { return std::optional<absl::Duration>(); };
  elector_.Step();
  EXPECT_FALSE(elector_.leading());
  EXPECT_THAT(events_, ElementsAre("elected 3", "deposed 3"));
  EXPECT_THAT(why_, HasSubstr("lost"));
}

TEST_F(LeaderElectorTest, UnansweredRenewalsDeposeBeforeTheLeaseCouldRunOut) {
  lease_.acquire = [](absl::Duration) { return Granted(3); };
  elector_.Step();  // the database's lease ends at t0 + 3 s
  lease_.renew =
      [](absl::Duration) -> absl::StatusOr<std::optional<absl::Duration>> {
    return absl::UnavailableError("postgres: cannot connect");
  };
  // The watchdog's deadline: 3 s less the margin.
  EXPECT_EQ(elector_.CheckDeadline(), kTtl - kMargin);
  clock_.AdvanceTime(kTtl / 3);
  const absl::Duration next = elector_.Step();  // fails; still leading
  EXPECT_TRUE(elector_.leading());
  EXPECT_LT(next, kTtl / 3);  // retries sooner
  clock_.AdvanceTime(kTtl - kMargin - kTtl / 3 - absl::Milliseconds(1));
  EXPECT_EQ(elector_.CheckDeadline(), absl::Milliseconds(1));
  EXPECT_TRUE(elector_.leading());
  clock_.AdvanceTime(absl::Milliseconds(1));
  elector_.CheckDeadline();
  EXPECT_FALSE(elector_.leading());
  EXPECT_THAT(events_, ElementsAre("elected 3", "deposed 3"));
  EXPECT_THAT(why_, HasSubstr("not confirmed in time"));
}

// A slow renewal counts from when it was sent: the database's lease began
// then, not when the answer came back.
TEST_F(LeaderElectorTest, TheDeadlineCountsFromWhenTheRenewalWasSent) {
  lease_.acquire = [](absl::Duration) { return Granted(3); };
  elector_.Step();
  lease_.renew = [this](absl::Duration ttl) {
    clock_.AdvanceTime(absl::Seconds(1));  // the call takes a second
    return std::optional<absl::Duration>(ttl);
  };
  elector_.Step();
  EXPECT_EQ(elector_.CheckDeadline(), kTtl - kMargin - absl::Seconds(1));
}

// The watchdog deposes while a renewal hangs; the renewal's late success
// does not make it leader again: that epoch is over.
TEST_F(LeaderElectorTest, ARenewalAnsweredAfterTheDeadlineDoesNotRevive) {
  lease_.acquire = [](absl::Duration) { return Granted(3); };
  elector_.Step();
  lease_.renew = [this](absl::Duration ttl) {
    clock_.AdvanceTime(kTtl);
    elector_.CheckDeadline();  // the watchdog, meanwhile
    return std::optional<absl::Duration>(ttl);
  };
  elector_.Step();
  EXPECT_FALSE(elector_.leading());
  EXPECT_THAT(events_, ElementsAre("elected 3", "deposed 3"));
  // Leading again takes a new lease, with the next epoch.
  lease_.acquire = [](absl::Duration) { return Granted(4); };
  elector_.Step();
  EXPECT_THAT(events_, ElementsAre("elected 3", "deposed 3", "elected 4"));
}

TEST_F(LeaderElectorTest, StoppingALeaderDeposesItAndGivesTheLeaseUp) {
  lease_.acquire = [](absl::Duration) { return Granted(5); };
  elector_.Step();
  elector_.Stop();
  EXPECT_FALSE(elector_.leading());
  EXPECT_THAT(events_, ElementsAre("elected 5", "deposed 5"));
  EXPECT_THAT(lease_.released, ElementsAre(5));
}

TEST_F(LeaderElectorTest, AnUnreachableDatabaseKeepsAStandbyTrying) {
  lease_.acquire = [](absl::Duration) -> absl::StatusOr<LeaseView> {
    return absl::UnavailableError("postgres: cannot connect");
  };
  EXPECT_EQ(elector_.Step(), kTtl / 3);
  EXPECT_EQ(elector_.Step(), kTtl / 3);
  EXPECT_FALSE(elector_.leading());
  EXPECT_EQ(lease_.acquires, 2);
}

TEST_F(LeaderElectorTest, TheLoopsLeadAndStopOnTheirOwnThreads) {
  lease_.acquire = [](absl::Duration) { return Granted(9); };
  elector_.Start();
  clock_.BlockUntilWaiters(2);  // both loops wait: elected by now
  EXPECT_TRUE(elector_.leading());
  clock_.AdvanceTime(kTtl / 3);  // a renewal
  clock_.BlockUntilWaiters(2);
  elector_.Stop();
  EXPECT_THAT(events_, ElementsAre("elected 9", "deposed 9"));
  EXPECT_THAT(lease_.released, ElementsAre(9));
}

// StartLeading reads every workflow and may take longer than the lease:
// the renewals go on meanwhile, on their own thread.
TEST_F(LeaderElectorTest, ASlowElectedHookDoesNotHoldUpTheRenewals) {
  lease_.acquire = [](absl::Duration) { return Granted(2); };
  absl::Notification entered, release;
  LeaderElector elector(&lease_, &clock_, {kTtl, kMargin},
                        {[&](int64_t) {
                           entered.Notify();
                           release.WaitForNotification();
                         },
                         nullptr});
  elector.Start();
  entered.WaitForNotification();
  for (int i = 0; i < 4; ++i) {  // 4/3 of the lease, the hook still busy
    clock_.BlockUntilWaiters(2);
    clock_.AdvanceTime(kTtl / 3);
  }
  clock_.BlockUntilWaiters(2);
  EXPECT_TRUE(elector.leading());
  EXPECT_EQ(lease_.renewed_epochs.size(), 4u);
  release.Notify();
  elector.Stop();
}

}  // namespace
}  // namespace ap
