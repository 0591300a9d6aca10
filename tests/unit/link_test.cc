#include "operator/link/link.h"

#include <algorithm>
#include <thread>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_aggregator.h"
#include "tests/testing/status_matchers.h"

namespace ap {
namespace {

using ::ap::testing::FakeEndpoint;
using ::ap::testing::StatusIs;

// Records what the link delivers.
class RecordingHandler : public LinkHandler {
 public:
  void FillPing(v1::PingRequest* ping) override { ping->set_capacity(4); }
  void FillSync(v1::SyncRequest* sync) override { sync->set_capacity(4); }
  void OnAssignment(const v1::Assignment& a) override {
    absl::MutexLock l(&mu);
    assignments.push_back(a.execution_id());
  }
  void OnCancel(const v1::Cancel& c) override {
    absl::MutexLock l(&mu);
    cancels.push_back(c.execution_id());
  }
  void OnLinked() override {
    absl::MutexLock l(&mu);
    ++linked;
  }
  absl::Mutex mu;
  std::vector<std::string> assignments ABSL_GUARDED_BY(mu);
  std::vector<std::string> cancels ABSL_GUARDED_BY(mu);
  int linked ABSL_GUARDED_BY(mu) = 0;
};

// The most a test waits (real time) for the link's thread to get
// somewhere; the waits are on conditions, rechecked at each change.
constexpr absl::Duration kWait = absl::Seconds(10);

class LinkTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> endpoints = {"a"}) {
    options_.endpoints = std::move(endpoints);
    options_.operator_id = "op-1";
    link_ = std::make_unique<Link>(options_, &stubs_, &clock_, &handler_);
    thread_ = std::thread([this] { link_->Run(); });
  }
  void TearDown() override {
    if (link_ == nullptr) return;
    link_->Stop();  // wakes the link's wait
    thread_.join();
  }
  // Sends a heartbeat and waits until the link has read it.
  void Heartbeat(FakeEndpoint& e) {
    const int64_t seen = link_->status().messages;
    e.SendHeartbeat();
    ASSERT_TRUE(link_->AwaitStatus(
        [&](const LinkStatus& s) { return s.messages > seen; }, kWait));
  }
  // Lets the link sleep out its current wait and waits until it waits
  // again; returns how long that sleep was.
  absl::Duration SleepOut() {
    clock_.BlockUntilWaiters(1);
    const absl::Duration d = clock_.GetEarliestWakeupTime() - clock_.TimeNow();
    clock_.AdvanceTime(d);
    clock_.BlockUntilWaiters(1);
    return d;
  }
  // Waits until the link waits on the clock after a ping failure.
  void AwaitFailures(int64_t n) {
    ASSERT_TRUE(link_->AwaitStatus(
        [&](const LinkStatus& s) { return s.ping_failures >= n; }, kWait));
    clock_.BlockUntilWaiters(1);
  }
  bool Linked() {
    return link_->AwaitStatus(
        [&](const LinkStatus& s) { return s.linked; }, kWait);
  }
  FakeEndpoint& a() { return stubs_.endpoint("a"); }

  LinkOptions options_;
  testing::FakeStubFactory stubs_;
  SimulatedClock clock_{absl::FromUnixSeconds(1800000000)};
  RecordingHandler handler_;
  std::unique_ptr<Link> link_;
  std::thread thread_;
};

TEST_F(LinkTest, LinksAndDeliversAssignmentsAndCancels) {
  Start();
  ASSERT_TRUE(Linked());
  EXPECT_EQ(a().last_sync().operator_id(), "op-1");
  EXPECT_EQ(a().last_sync().capacity(), 4);
  v1::NodeMessage m;
  m.mutable_assignment()->set_execution_id("e1");
  a().Send(m);
  m.mutable_cancel()->set_execution_id("e1");
  a().Send(m);
  absl::MutexLock l(&handler_.mu);
  auto canceled = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(handler_.mu) {
    return handler_.cancels.size() == 1;
  };
  ASSERT_TRUE(handler_.mu.AwaitWithTimeout(absl::Condition(&canceled), kWait));
  EXPECT_EQ(handler_.assignments, std::vector<std::string>{"e1"});
  EXPECT_EQ(handler_.linked, 1);
}

TEST_F(LinkTest, AcceptsBatchesAndDeliversEachAssignmentInOrder) {
  Start();
  ASSERT_TRUE(Linked());
  EXPECT_TRUE(a().last_sync().accepts_batches());
  v1::NodeMessage m;
  for (const char* id : {"e1", "e2", "e3"}) {
    m.mutable_assignments()->add_assignments()->set_execution_id(id);
  }
  a().Send(m);
  absl::MutexLock l(&handler_.mu);
  auto all = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(handler_.mu) {
    return handler_.assignments.size() == 3;
  };
  ASSERT_TRUE(handler_.mu.AwaitWithTimeout(absl::Condition(&all), kWait));
  EXPECT_EQ(handler_.assignments, (std::vector<std::string>{"e1", "e2", "e3"}));
}

TEST_F(LinkTest, StartsWithNoAggregatorAndLinksWhenOneComesUp) {
  a().SetUp(false);
  Start();
  AwaitFailures(1);
  SleepOut();
  SleepOut();
  EXPECT_EQ(link_->status().ping_failures, 3);
  EXPECT_FALSE(link_->status().linked);
  a().SetUp(true);
  SleepOut();
  EXPECT_TRUE(Linked());
}

TEST_F(LinkTest, PingsAtTheIntervalTheAggregatorSets) {
  a().SetIntervals(absl::Seconds(2), absl::Seconds(10));
  Start();
  ASSERT_TRUE(Linked());
  EXPECT_EQ(a().pings(), 1);
  EXPECT_EQ(SleepOut(), absl::Seconds(2));
  EXPECT_EQ(a().pings(), 2);
  EXPECT_EQ(SleepOut(), absl::Seconds(2));
  EXPECT_EQ(a().pings(), 3);
  EXPECT_EQ(a().syncs(), 1);  // one stream throughout
}

TEST_F(LinkTest, FailedPingsBackOffExponentiallyWithJitter) {
  a().SetUp(false);
  options_.outage_retry_ratio = 0;  // as after a flapping link
  Start();
  std::vector<absl::Duration> delays;
  AwaitFailures(1);
  for (int i = 0; i < 6; ++i) delays.push_back(SleepOut());
  // 1 s, 2 s, 4 s, ... each ±20 %, capped at 30 s.
  absl::Duration base = absl::Seconds(1);
  for (absl::Duration d : delays) {
    EXPECT_GE(d, base * 0.8);
    EXPECT_LE(d, std::min(base * 1.2, absl::Seconds(30)));
    base = std::min(base * 2, absl::Seconds(30));
  }
  EXPECT_EQ(link_->status().backoff_delay,
            clock_.GetEarliestWakeupTime() - clock_.TimeNow());
}

TEST_F(LinkTest, AFlappingAggregatorKeepsTheBackoffGrowing) {
  Start();
  ASSERT_TRUE(Linked());
  // Down, up for two seconds, down again, several times: the link is never
  // healthy for healthy_reset, so the backoff is never reset.
  absl::Duration last = absl::ZeroDuration();
  for (int flap = 0; flap < 4; ++flap) {
    const int64_t failures = link_->status().ping_failures;
    a().SetUp(false);
    AwaitFailures(failures + 1);
    const absl::Duration delay = link_->status().backoff_delay;
    EXPECT_GT(delay, last * 1.2) << "flap " << flap;
    last = delay;
    a().SetUp(true);
    SleepOut();
    ASSERT_TRUE(Linked());
    clock_.AdvanceTime(absl::Seconds(2));
  }
  EXPECT_GE(last, absl::Seconds(8) * 0.8);
}

TEST_F(LinkTest,
       AfterALongHealthyLinkARestartedAggregatorIsFoundWithinASecond) {
  Start();
  ASSERT_TRUE(Linked());
  for (int i = 0; i < 13; ++i) {  // 65 s of healthy pings
    Heartbeat(a());
    SleepOut();
  }
  EXPECT_EQ(a().pings(), 14);
  a().SetUp(false);
  // An aggregator restart takes a few seconds: every retry meanwhile comes
  // after about a second, never the grown backoff.
  AwaitFailures(1);
  for (int i = 0; i < 6; ++i) EXPECT_LE(SleepOut(), absl::Milliseconds(1200));
  a().SetUp(true);
  EXPECT_LE(SleepOut(), absl::Milliseconds(1200));
  EXPECT_TRUE(Linked());
  EXPECT_EQ(link_->status().reconnects, 1);
}

// After a healthy link, the retries keep pace with the outage: each comes
// within outage_retry_ratio (9 %) of the time the link has been down, at
// least about a second apart and at most the 30 s cap, jittered down only.
TEST_F(LinkTest, AfterAHealthyLinkRetriesKeepPaceWithTheOutage) {
  Start();
  ASSERT_TRUE(Linked());
  for (int i = 0; i < 13; ++i) {  // 65 s of healthy pings
    Heartbeat(a());
    SleepOut();
  }
  a().SetUp(false);
  AwaitFailures(1);
  absl::Duration down = absl::ZeroDuration();  // at the latest failure
  while (down < absl::Minutes(6)) {
    const absl::Duration bound = std::clamp(
        0.09 * down, absl::Seconds(1), absl::Seconds(30));
    const absl::Duration d = SleepOut();
    EXPECT_LE(d, bound) << "down " << down;
    EXPECT_GE(d, bound * 0.8) << "down " << down;
    down += d;
  }
}

// An aggregator back after an outage of D is found within max(1.5 s, D/10),
// for D = 10 s (a crash and restart), 60 s and 300 s (a redeploy).
TEST_F(LinkTest, AnAggregatorBackAfterAnOutageOfDIsFoundWithinATenthOfD) {
  Start();
  ASSERT_TRUE(Linked());
  for (absl::Duration outage :
       {absl::Seconds(10), absl::Seconds(60), absl::Seconds(300)}) {
    for (int i = 0; i < 13; ++i) {  // healthy for longer than healthy_reset
      Heartbeat(a());
      SleepOut();
    }
    const int64_t failures = link_->status().ping_failures;
    const int64_t connects = link_->status().connects;
    a().SetUp(false);
    AwaitFailures(failures + 1);
    const absl::Time went_down = clock_.TimeNow();
    // Sleep out the retries until the aggregator is back.
    while (clock_.GetEarliestWakeupTime() < went_down + outage) SleepOut();
    clock_.AdvanceTime(went_down + outage - clock_.TimeNow());
    a().SetUp(true);
    const absl::Time back = clock_.TimeNow();
    clock_.BlockUntilWaiters(1);
    clock_.AdvanceTime(clock_.GetEarliestWakeupTime() - clock_.TimeNow());
    ASSERT_TRUE(link_->AwaitStatus(
        [&](const LinkStatus& s) { return s.connects > connects; }, kWait))
        << "outage " << outage;
    EXPECT_LE(clock_.TimeNow() - back,
              std::max(absl::Milliseconds(1500), outage / 10))
        << "outage " << outage;
  }
}

TEST_F(LinkTest, ASilentStreamIsCanceledAndReopenedOnANewConnection) {
  a().SetIntervals(absl::Seconds(60), absl::Seconds(5));
  Start();
  ASSERT_TRUE(Linked());
  // Heartbeats keep it alive...
  for (int i = 0; i < 5; ++i) {
    clock_.BlockUntilWaiters(1);
    Heartbeat(a());
    clock_.AdvanceTime(absl::Seconds(4));
  }
  EXPECT_EQ(link_->status().stale_streams, 0);
  EXPECT_EQ(a().syncs(), 1);
  // ...until the aggregator stops sending but keeps the stream open.
  clock_.BlockUntilWaiters(1);
  clock_.AdvanceTime(absl::Seconds(15));
  ASSERT_TRUE(a().AwaitSyncs(2));
  EXPECT_EQ(link_->status().stale_streams, 1);
  EXPECT_EQ(stubs_.connects("a"), 2);
  EXPECT_EQ(a().open_streams(), 1);
  EXPECT_TRUE(Linked());
}

TEST_F(LinkTest, ADrainReconnectsAtOnceWithoutBackoff) {
  Start();
  ASSERT_TRUE(Linked());
  a().Drain();
  // No clock advance: the link pings and reopens by itself.
  ASSERT_TRUE(a().AwaitSyncs(2));
  EXPECT_TRUE(Linked());
  EXPECT_EQ(link_->status().ping_failures, 0);
}

TEST_F(LinkTest, AStreamThatEndsIsFollowedByAPingAtOnce) {
  Start();
  ASSERT_TRUE(Linked());
  a().SetUp(false);
  AwaitFailures(1);
  EXPECT_EQ(a().pings(), 2);  // the first, and one right after the end
}

TEST_F(LinkTest, FailsOverToTheNextEndpointAfterRepeatedFailures) {
  options_.failover_after = 3;
  stubs_.endpoint("a").SetUp(false);
  Start({"a", "b"});
  AwaitFailures(1);
  SleepOut();
  SleepOut();  // the third failure moves on to b...
  SleepOut();  // ...which is tried after the backoff
  EXPECT_TRUE(Linked());
  EXPECT_EQ(link_->status().endpoint, "b");
  EXPECT_EQ(link_->status().failovers, 1);
  EXPECT_EQ(stubs_.endpoint("b").syncs(), 1);
}

// The simulated clock never moves in these: a move to a named leader does
// not wait out a backoff.
TEST_F(LinkTest, AStandbyNamingTheLeaderSendsTheLinkThereAtOnce) {
  a().SetStandby("c");
  Start({"a", "b", "c"});
  ASSERT_TRUE(Linked());
  EXPECT_EQ(link_->status().endpoint, "c");
  EXPECT_EQ(link_->status().leader_follows, 1);
  EXPECT_EQ(stubs_.endpoint("b").pings(), 0);
}

TEST_F(LinkTest, WhenTheLeaderStandsDownTheLinkFollowsTheNewOne) {
  Start({"a", "b"});
  ASSERT_TRUE(Linked());
  a().SetStandby("b");
  ASSERT_TRUE(stubs_.endpoint("b").AwaitSyncs(1));
  ASSERT_TRUE(Linked());
  EXPECT_EQ(link_->status().endpoint, "b");
  EXPECT_EQ(link_->status().leader_follows, 1);
}

TEST_F(LinkTest, MembersNamingEachOtherAreFollowedAFewTimesThenBackedOff) {
  a().SetStandby("b");
  stubs_.endpoint("b").SetStandby("a");
  Start({"a", "b"});
  AwaitFailures(1);  // followed kMaxFollows times, then backs off
  EXPECT_EQ(link_->status().leader_follows, Link::kMaxFollows);
  EXPECT_GT(link_->status().backoff_delay, absl::ZeroDuration());
}

TEST_F(LinkTest, QuiesceClosesTheStreamButReportsStillGoOut) {
  Start();
  ASSERT_TRUE(Linked());
  link_->Quiesce();
  ASSERT_TRUE(a().AwaitOpenStreams(0));
  ASSERT_TRUE(link_->AwaitStatus(
        [&](const LinkStatus& s) { return !s.linked; }, kWait));
  // Pings go on (one at once, then at the interval) and open no stream.
  ASSERT_TRUE(a().AwaitPings(2));
  clock_.BlockUntilWaiters(1);
  const int pings = a().pings();
  SleepOut();
  EXPECT_EQ(a().syncs(), 1);
  EXPECT_EQ(a().pings(), pings + 1);
  v1::ReportRequest r;
  r.set_execution_id("e1");
  ASSERT_STATUS_OK(link_->Report(r, absl::Seconds(1)));
  EXPECT_EQ(a().reports().size(), 1u);
}

TEST_F(LinkTest, ReportsGoToTheLinkedAggregatorOnly) {
  a().SetUp(false);
  Start();
  AwaitFailures(1);
  v1::ReportRequest r;
  r.set_execution_id("e1");
  EXPECT_THAT(link_->Report(r, absl::Seconds(1)),
              StatusIs(absl::StatusCode::kUnavailable));
  a().SetUp(true);
  SleepOut();
  ASSERT_TRUE(Linked());
  absl::StatusOr<v1::ReportResponse> answer =
      link_->Report(r, absl::Seconds(1));
  ASSERT_STATUS_OK(answer);
  EXPECT_EQ(answer->result(), v1::REPORT_RESULT_ACCEPTED);
  EXPECT_EQ(a().reports().size(), 1u);
}

}  // namespace
}  // namespace ap
