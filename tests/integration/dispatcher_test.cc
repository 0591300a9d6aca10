// The dispatcher with the ledger on RocksDB and a simulated clock, and
// sessions read directly (no gRPC).

#include "aggregator/dispatch/dispatcher.h"

#include <map>
#include <memory>
#include <string>
#include <thread>

#include "aggregator/workflows/service.h"
#include "common/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/unique_name.h"
#include "tests/testing/firing_core.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_store.h"
#include "tests/testing/write_locked.h"

namespace ap {
namespace {

using ::ap::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

const absl::Time kT0 = absl::FromCivil(absl::CivilSecond(2026, 6, 1, 12, 0, 0),
                                       absl::UTCTimeZone());
const Caller kAlice{"alice", Role::kWriter};

class DispatcherTest : public ::testing::Test,
                       protected ap::testing::FiringCore {
 protected:
  DispatcherTest() : FiringCore(kT0) {
    v1::Workflow w;
    w.set_name(ap::testing::UniqueName("job"));
    w.mutable_trigger()->mutable_manual();
    w.add_steps()->set_id("s");
    w.mutable_steps(0)->mutable_http()->set_url("http://127.0.0.1:9/");
    workflow_ = service_.Create(kAlice, w)->id();
  }
  std::vector<std::string> Pend(int n) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      clock_.AdvanceTime(absl::Milliseconds(1));
      ids.push_back(service_.Trigger(kAlice, workflow_)->id());
    }
    return ids;
  }
  // Messages waiting in a session, without blocking.
  std::vector<v1::NodeMessage> Drain(Session& s) {
    std::vector<v1::NodeMessage> out;
    v1::NodeMessage m;
    while (s.Next(&clock_, clock_.TimeNow(), &m)) out.push_back(m);
    return out;
  }
  v1::ExecutionStatus Status(const std::string& id) {
    return (**store_.GetExecution(id)).status();
  }

  WorkflowService service_{&store_, &scheduler_, &engine_, &clock_, {}};
  ExecutionLedger ledger_{&store_, &clock_};
  Dispatcher dispatcher_{&ledger_, &store_, &clock_, {/*outbox_limit=*/2}};
  std::string workflow_;
};

TEST_F(DispatcherTest, NothingIsAssignedWithoutOperatorsThenOnConnect) {
  const std::vector<std::string> ids = Pend(2);
  EXPECT_EQ(dispatcher_.DispatchPending(), 0u);
  EXPECT_EQ(Status(ids[0]), v1::EXECUTION_STATUS_PENDING);
  auto s = dispatcher_.Connect("op-1", "1.0", 4);
  EXPECT_EQ(dispatcher_.DispatchPending(), 2u);
  std::vector<v1::NodeMessage> got = Drain(*s);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].assignment().execution_id(), ids[0]);  // oldest first
  EXPECT_EQ(got[0].assignment().attempt(), 1);
  EXPECT_EQ(got[0].assignment().workflow().id(), workflow_);
  EXPECT_EQ(Status(ids[0]), v1::EXECUTION_STATUS_DISPATCHED);
}

TEST_F(DispatcherTest, LeastLoadedOperatorGetsTheNextAndCapacityHolds) {
  Pend(5);
  auto big = dispatcher_.Connect("big", "1", 2);
  auto small = dispatcher_.Connect("small", "1", 1);
  EXPECT_EQ(dispatcher_.DispatchPending(), 3u);  // 2 + 1: capacity
  EXPECT_EQ(Drain(*big).size(), 2u);
  EXPECT_EQ(Drain(*small).size(), 1u);
  EXPECT_EQ(ledger_.Pending(10)->size(), 2u);  // the rest wait
}

TEST_F(DispatcherTest, ReleasedCapacityTakesMoreWork) {
  const std::vector<std::string> ids = Pend(2);
  auto s = dispatcher_.Connect("op-1", "1", 1);
  EXPECT_EQ(dispatcher_.DispatchPending(), 1u);
  v1::ReportRequest r;
  r.set_execution_id(ids[0]);
  r.set_attempt(1);
  r.set_status(v1::EXECUTION_STATUS_SUCCEEDED);
  ASSERT_EQ(ledger_.Report("op-1", r)->result(), v1::REPORT_RESULT_ACCEPTED);
  dispatcher_.Released(ids[0]);
  EXPECT_EQ(dispatcher_.DispatchPending(), 1u);
  EXPECT_EQ(Status(ids[1]), v1::EXECUTION_STATUS_DISPATCHED);
}

TEST_F(DispatcherTest, EachDispatchTellsHowLongItWaitedPastItsDueTime) {
  std::vector<absl::Duration> waited;
  DispatcherOptions options;
  options.on_dispatched = [&](absl::Duration d) { waited.push_back(d); };
  Dispatcher dispatcher(&ledger_, &store_, &clock_, options);
  Pend(2);  // scheduled 2 ms and 1 ms ago
  clock_.AdvanceTime(absl::Seconds(5));
  auto s = dispatcher.Connect("op-1", "1", 4);
  EXPECT_EQ(dispatcher.DispatchPending(), 2u);
  EXPECT_THAT(waited, ElementsAre(absl::Seconds(5) + absl::Milliseconds(1),
                                  absl::Seconds(5)));
}

// The dispatcher as the fire loop's Placer (placer.h).

TEST_F(DispatcherTest,
       RoomReservedForAFireCountsAgainstCapacityUntilDelivered) {
  auto s = dispatcher_.Connect("op-1", "1", 2);
  const std::vector<std::string> reserved = dispatcher_.Reserve(5);
  EXPECT_THAT(reserved, ElementsAre("op-1", "op-1"));  // its capacity
  EXPECT_THAT(dispatcher_.Reserve(5), IsEmpty());
  Pend(1);
  EXPECT_EQ(dispatcher_.DispatchPending(), 0u);  // no room left meanwhile
  dispatcher_.Deliver(reserved, {});             // the round placed none
  EXPECT_EQ(dispatcher_.DispatchPending(), 1u);
}

TEST_F(DispatcherTest, NoRoomIsReservedWhileOlderExecutionsWait) {
  Pend(1);
  auto s = dispatcher_.Connect("op-1", "1", 4);
  EXPECT_THAT(dispatcher_.Reserve(3), IsEmpty());
  EXPECT_EQ(dispatcher_.DispatchPending(), 1u);
  EXPECT_THAT(dispatcher_.Reserve(3), SizeIs(1));  // the outbox holds two
}

TEST_F(DispatcherTest, AFireGoesStraightToAnOperatorWithRoom) {
  engine_.PlaceWith(&dispatcher_);
  v1::Workflow w;
  w.set_name("every-minute");
  w.mutable_trigger()->mutable_cron()->add_schedules("* * * * *");
  w.add_steps()->set_id("s");
  w.mutable_steps(0)->mutable_http()->set_url("http://127.0.0.1:9/");
  const std::string id = service_.Create(kAlice, w)->id();
  auto light = dispatcher_.Connect("light", "1", 4);
  auto busy = dispatcher_.Connect("busy", "1", 4);
  Pend(1);
  ASSERT_EQ(dispatcher_.DispatchPending(), 1u);  // to busy (by id order)
  ASSERT_THAT(Drain(*busy), SizeIs(1));
  clock_.AdvanceTime(absl::Minutes(1));
  absl::StatusOr<FireReport> fired = engine_.FireDue();
  ASSERT_TRUE(fired.ok()) << fired.status();
  std::vector<v1::NodeMessage> got = Drain(*light);  // the least loaded
  ASSERT_THAT(got, SizeIs(1));
  EXPECT_EQ(got[0].assignment().workflow().id(), id);
  EXPECT_EQ(Status(got[0].assignment().execution_id()),
            v1::EXECUTION_STATUS_DISPATCHED);
  EXPECT_THAT(Drain(*busy), IsEmpty());
}

TEST_F(DispatcherTest, APlacedExecutionWhoseStreamEndedIsPendingAgain) {
  auto s = dispatcher_.Connect("op-1", "1", 4);
  const std::vector<std::string> reserved = dispatcher_.Reserve(1);
  ASSERT_THAT(reserved, SizeIs(1));
  // The fire round writes one DISPATCHED into the slot...
  const std::string id = Pend(1)[0];
  v1::Execution e = **store_.GetExecution(id);
  const v1::Execution before = e;
  ASSERT_THAT(dispatcher_.Lease(&e, **store_.FindWorkflow(workflow_), "op-1",
                                clock_.TimeNow()),
              IsOk());
  WorkflowBatch b;
  b.PutExecution(&before, e);
  ASSERT_TRUE(WriteLocked(store_, b).ok());
  // ...and the stream ends before it is delivered.
  dispatcher_.Disconnect(s);
  dispatcher_.Deliver(reserved, {{e, *store_.FindWorkflow(workflow_)}});
  EXPECT_EQ(Status(id), v1::EXECUTION_STATUS_PENDING);
  auto again = dispatcher_.Connect("op-1", "1", 4);
  EXPECT_EQ(dispatcher_.DispatchPending(), 1u);
}

TEST_F(DispatcherTest, AStalledOperatorDoesNotHoldUpTheOthers) {
  Pend(6);
  auto stalled = dispatcher_.Connect("stalled", "1", 100);  // never reads
  EXPECT_EQ(dispatcher_.DispatchPending(), 2u);  // its outbox holds 2
  auto healthy = dispatcher_.Connect("healthy", "1", 100);
  EXPECT_EQ(dispatcher_.DispatchPending(), 2u);
  EXPECT_EQ(Drain(*healthy).size(), 2u);
  EXPECT_EQ(dispatcher_.DispatchPending(), 2u);  // healthy keeps taking work
  EXPECT_EQ(Drain(*healthy).size(), 2u);
  EXPECT_EQ(Drain(*stalled).size(), 2u);
}

TEST_F(DispatcherTest, SecondSyncReplacesTheFirst) {
  auto first = dispatcher_.Connect("op-1", "1", 1);
  auto second = dispatcher_.Connect("op-1", "2", 1);
  EXPECT_TRUE(first->closed());
  EXPECT_FALSE(second->closed());
  dispatcher_.Disconnect(first);  // the old stream ending changes nothing
  ASSERT_EQ(dispatcher_.Operators().size(), 1u);
  EXPECT_TRUE(dispatcher_.Operators()[0].connected());
  EXPECT_EQ(dispatcher_.Operators()[0].version(), "2");
  dispatcher_.Disconnect(second);
  EXPECT_FALSE(dispatcher_.Operators()[0].connected());
}

TEST_F(DispatcherTest, AssignmentsNeverSentArePendingAgainWhenTheStreamEnds) {
  const std::vector<std::string> ids = Pend(3);
  auto gone = dispatcher_.Connect("gone", "1", 10);
  EXPECT_EQ(dispatcher_.DispatchPending(), 2u);  // its outbox holds 2
  v1::NodeMessage sent;
  ASSERT_TRUE(gone->Next(&clock_, clock_.TimeNow(), &sent));  // one written
  EXPECT_EQ(dispatcher_.Disconnect(gone), 1u);
  EXPECT_EQ(Status(ids[0]), v1::EXECUTION_STATUS_DISPATCHED);  // may run
  EXPECT_EQ(Status(ids[1]), v1::EXECUTION_STATUS_PENDING);     // never sent
  auto next = dispatcher_.Connect("next", "1", 10);
  EXPECT_EQ(dispatcher_.DispatchPending(), 2u);
  std::vector<v1::NodeMessage> got = Drain(*next);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].assignment().execution_id(), ids[1]);
  EXPECT_EQ(got[0].assignment().attempt(), 1);  // same attempt
}

// A stream that ends hands its unsent assignments back with store writes;
// those writes wait for the store like any other, and must not hold the
// dispatcher's lock meanwhile (fire and dispatch rounds need it).
TEST_F(DispatcherTest, HandingBackAfterAStreamEndsDoesNotHoldTheDispatcher) {
  Pend(2);
  auto gone = dispatcher_.Connect("gone", "1", 10);
  EXPECT_EQ(dispatcher_.DispatchPending(), 2u);  // queued, never sent
  size_t returned = 0;
  std::thread disconnect;
  {
    FairMutexLock store_busy(store_.write_mutex());  // a long write elsewhere
    disconnect = std::thread([&] { returned = dispatcher_.Disconnect(gone); });
    // The stream's end is recorded before the hand-back writes start...
    const absl::Time until = absl::Now() + absl::Seconds(5);
    bool ended = false;
    while (!ended && absl::Now() < until) {
      ended = !dispatcher_.Operators().at(0).connected();
      if (!ended) absl::SleepFor(absl::Milliseconds(1));
    }
    EXPECT_TRUE(ended) << "Disconnect holds the dispatcher while it writes";
    // ...and meanwhile the dispatcher answers.
    if (ended) EXPECT_THAT(dispatcher_.Reserve(1), IsEmpty());
  }
  disconnect.join();
  EXPECT_EQ(returned, 2u);
}

TEST_F(DispatcherTest, AnAssignmentWhoseWriteFailedIsHandedBack) {
  const std::vector<std::string> ids = Pend(1);
  auto gone = dispatcher_.Connect("gone", "1", 10);
  EXPECT_EQ(dispatcher_.DispatchPending(), 1u);
  v1::NodeMessage m;
  ASSERT_TRUE(gone->Next(&clock_, clock_.TimeNow(), &m));
  gone->Requeue(std::move(m));  // the stream's Write said no
  EXPECT_EQ(dispatcher_.Disconnect(gone), 1u);
  EXPECT_EQ(Status(ids[0]), v1::EXECUTION_STATUS_PENDING);
}

TEST_F(DispatcherTest, CancelReachesTheHolder) {
  const std::vector<std::string> ids = Pend(1);
  auto s = dispatcher_.Connect("op-1", "1", 1);
  dispatcher_.DispatchPending();
  Drain(*s);
  v1::Execution e = **store_.GetExecution(ids[0]);
  e.set_reason("replaced");
  dispatcher_.Cancel({e});
  std::vector<v1::NodeMessage> got = Drain(*s);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].cancel().execution_id(), ids[0]);
  EXPECT_EQ(got[0].cancel().reason(), "replaced");
}

TEST_F(DispatcherTest, DrainTellsEverySessionAndClosesIt) {
  auto a = dispatcher_.Connect("a", "1", 1);
  auto b = dispatcher_.Connect("b", "1", 1);
  dispatcher_.DrainAll("aggregator shutting down");
  for (auto* s : {a.get(), b.get()}) {
    std::vector<v1::NodeMessage> got = Drain(*s);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_TRUE(got[0].has_drain());
    EXPECT_TRUE(s->closed());
  }
}

TEST_F(DispatcherTest, NextWaitsOnTheClockForAHeartbeatDeadline) {
  auto s = dispatcher_.Connect("op-1", "1", 1);
  v1::NodeMessage m;
  EXPECT_FALSE(s->Next(&clock_, clock_.TimeNow(), &m));  // nothing: heartbeat
}

TEST_F(DispatcherTest, NextManyTakesWhatIsQueuedUpToTheLimitInOrder) {
  Session s("op-1", 10, 10);
  for (const char* id : {"1", "2", "3"}) {
    v1::NodeMessage m;
    m.mutable_cancel()->set_execution_id(id);
    ASSERT_TRUE(s.Push(m));
  }
  std::vector<v1::NodeMessage> got;
  ASSERT_TRUE(s.NextMany(&clock_, clock_.TimeNow(), 2, &got));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].cancel().execution_id(), "1");
  EXPECT_EQ(got[1].cancel().execution_id(), "2");
  got.clear();
  ASSERT_TRUE(s.NextMany(&clock_, clock_.TimeNow(), 2, &got));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].cancel().execution_id(), "3");
  got.clear();
  EXPECT_FALSE(s.NextMany(&clock_, clock_.TimeNow(), 2, &got));
  EXPECT_TRUE(got.empty());
}

TEST_F(DispatcherTest, PushManyQueuesInOrderWhileTheOutboxHasRoom) {
  Session s("op-1", 10, /*outbox_limit=*/3);
  ASSERT_TRUE(s.Push(v1::NodeMessage()));
  std::vector<Session::Outgoing> messages(3);
  for (size_t i = 0; i < messages.size(); ++i) {
    messages[i].message.mutable_cancel()->set_execution_id(std::to_string(i));
  }
  EXPECT_EQ(s.PushMany(&messages), 2u);  // the first two fit
  EXPECT_EQ(messages[2].message.cancel().execution_id(), "2");  // not taken
  std::vector<v1::NodeMessage> got;
  ASSERT_TRUE(s.NextMany(&clock_, clock_.TimeNow(), 10, &got));
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[1].cancel().execution_id(), "0");
  EXPECT_EQ(got[2].cancel().execution_id(), "1");
  s.Close();
  EXPECT_EQ(s.PushMany(&messages), 0u);
}

TEST_F(DispatcherTest, AStreamWaitingForMessagesIsHandedAPushManyWhole) {
  Session s("op-1", 10, 10);
  std::vector<v1::NodeMessage> got;
  std::thread stream([&] {
    ASSERT_TRUE(s.NextMany(&clock_, absl::InfiniteFuture(), 10, &got));
  });
  std::vector<Session::Outgoing> messages(5);
  EXPECT_EQ(s.PushMany(&messages), 5u);
  stream.join();
  EXPECT_EQ(got.size(), 5u);
}

TEST_F(DispatcherTest, AnAssignmentsWorkflowIsCopiedInWhenItIsTaken) {
  Session s("op-1", 10, 10);
  auto workflow = std::make_shared<v1::Workflow>();
  workflow->set_id("W1");
  workflow->add_steps()->set_id("step");
  for (const char* id : {"W1-a", "W1-b"}) {
    v1::NodeMessage m;
    m.mutable_assignment()->set_execution_id(id);
    ASSERT_TRUE(s.Push(m, workflow));
  }
  std::vector<v1::NodeMessage> got;
  ASSERT_TRUE(s.NextMany(&clock_, clock_.TimeNow(), 1, &got));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].assignment().execution_id(), "W1-a");
  EXPECT_EQ(got[0].assignment().workflow().id(), "W1");
  EXPECT_EQ(got[0].assignment().workflow().steps(0).id(), "step");
  // What a closed stream leaves behind is whole too.
  std::vector<v1::NodeMessage> unsent = s.TakeUnsent();
  ASSERT_EQ(unsent.size(), 1u);
  EXPECT_EQ(unsent[0].assignment().execution_id(), "W1-b");
  EXPECT_EQ(unsent[0].assignment().workflow().id(), "W1");
}

TEST_F(DispatcherTest, PingIsRecordedForListOperators) {
  v1::PingRequest p;
  p.set_operator_id("op-7");
  p.set_version("1.2.3");
  p.set_running(3);
  p.set_queue_depth(9);
  dispatcher_.Ping(p);
  ASSERT_EQ(dispatcher_.Operators().size(), 1u);
  const v1::OperatorInfo info = dispatcher_.Operators()[0];
  EXPECT_EQ(info.version(), "1.2.3");
  EXPECT_EQ(info.running(), 3);
  EXPECT_EQ(info.queue_depth(), 9);
  EXPECT_EQ(FromProto(info.last_seen()), kT0);
  EXPECT_FALSE(info.connected());
}

}  // namespace
}  // namespace ap
