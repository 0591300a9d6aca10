// The firing engine on a real RocksDB store with a simulated clock: fires
// become durable executions, restarts neither lose nor repeat a fire, and
// misfire, concurrency and completion rules hold. Nothing sleeps.

#include "aggregator/schedule/firing.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "aggregator/records/keys.h"
#include "aggregator/store/rocksdb_store.h"
#include "aggregator/workflows/validate.h"
#include "common/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_store.h"
#include "tests/testing/write_locked.h"

namespace ap {
namespace {

using ::ap::testing::IsOk;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

const absl::Time kT0 = absl::FromCivil(absl::CivilSecond(2026, 6, 1, 12, 0, 0),
                                       absl::UTCTimeZone());

// A store whose next Write fails, to simulate a crash before the write,
// and that counts the execution records read.
class FlakyStore final : public Store {
 public:
  explicit FlakyStore(Store* inner) : inner_(inner) {}
  bool fail_next_write = false;
  int execution_reads = 0;  // Gets of ex/ keys
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view k) override {
    if (absl::StartsWith(k, keys::kExecutionPrefix)) ++execution_reads;
    return inner_->Get(k);
  }
  absl::Status Write(const WriteBatch& b) override {
    if (fail_next_write) {
      fail_next_write = false;
      return absl::UnavailableError("disk on fire");
    }
    return inner_->Write(b);
  }
  absl::Status Scan(absl::string_view p, absl::string_view a,
                    const ScanFn& fn) override {
    return inner_->Scan(p, a, fn);
  }
  absl::Status ScanReverse(absl::string_view p, absl::string_view b,
                           const ScanFn& fn) override {
    return inner_->ScanReverse(p, b, fn);
  }
  absl::Status Backup(const std::string& dir) override {
    return inner_->Backup(dir);
  }
  absl::Status Compact() override { return inner_->Compact(); }
  std::string Stats() override { return inner_->Stats(); }

 private:
  Store* inner_;
};

// Room on operators as a dispatcher would reserve it, and what the round
// delivers.
class FakePlacer final : public Placer {
 public:
  std::vector<std::string> room;  // handed out by Reserve, in order
  std::vector<size_t> asked;      // Reserve's max, per call
  std::vector<std::vector<std::string>> delivered_reserved;
  std::vector<PlacedExecution> delivered;

  std::vector<std::string> Reserve(size_t max) override {
    asked.push_back(max);
    std::vector<std::string> out(room.begin(),
                                 room.begin() + std::min(max, room.size()));
    return out;
  }
  absl::Status Lease(v1::Execution* e, const v1::Workflow&,
                     const std::string& operator_id, absl::Time now) override {
    if (absl::Status s = MoveTo(e, v1::EXECUTION_STATUS_DISPATCHED); !s.ok()) {
      return s;
    }
    e->set_operator_id(operator_id);
    *e->mutable_dispatched_at() = ToProtoTimestamp(now);
    *e->mutable_lease_expires_at() = ToProtoTimestamp(now + absl::Minutes(5));
    return absl::OkStatus();
  }
  void Deliver(const std::vector<std::string>& reserved,
               const std::vector<PlacedExecution>& placed) override {
    delivered_reserved.push_back(reserved);
    delivered.insert(delivered.end(), placed.begin(), placed.end());
  }
};

class FiringTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(); }
  void TearDown() override { Stop(); }

  // Opens the store and builds an aggregator's firing path from it.
  void Start(FiringOptions options = {}) {
    temp_.Open();
    rocks_ = temp_.get();
    flaky_ = std::make_unique<FlakyStore>(rocks_);
    store_ = std::make_unique<WorkflowStore>(flaky_.get());
    scheduler_ = std::make_unique<Scheduler>();
    engine_ = std::make_unique<FiringEngine>(store_.get(), scheduler_.get(),
                                             &clock_, options);
  }
  void Stop() {
    engine_.reset();
    scheduler_.reset();
    store_.reset();
    flaky_.reset();
    temp_.Close();
  }
  // A crash and restart: everything in memory is gone; the store stays.
  void Restart(FiringOptions options = {}) {
    Stop();
    Start(options);
    ASSERT_THAT(engine_->Recover(), IsOk());
  }

  // Stores an ACTIVE workflow created now, as the service does.
  std::string Create(const std::string& cron, v1::Policy policy = {},
                     int64_t max_executions = 0,
                     std::optional<absl::Time> expire_at = {}) {
    v1::Workflow w;
    w.set_id("W" + std::to_string(next_id_++));
    w.set_name("test");
    w.set_owner("team");
    w.mutable_trigger()->mutable_cron()->add_schedules(cron);
    *w.mutable_policy() = policy;
    w.set_max_executions(max_executions);
    if (expire_at) *w.mutable_expire_at() = ToProtoTimestamp(*expire_at);
    w.add_steps()->set_id("s");
    ApplyDefaults(&w);
    return Store(w);
  }
  std::string Store(v1::Workflow w) {
    w.set_status(v1::WORKFLOW_STATUS_ACTIVE);
    *w.mutable_created_at() = ToProtoTimestamp(clock_.TimeNow());
    Trigger trigger = *Trigger::FromWorkflow(w, clock_.TimeNow());
    std::optional<absl::Time> next = trigger.Next(clock_.TimeNow());
    if (next) *w.mutable_next_fire_at() = ToProtoTimestamp(*next);
    WorkflowBatch b;
    b.PutWorkflow(nullptr, w);
    EXPECT_THAT(WriteLocked(*store_, b), IsOk());
    scheduler_->Upsert(w.id(), std::move(trigger), clock_.TimeNow());
    return w.id();
  }

  v1::Workflow Get(const std::string& id) { return **store_->GetWorkflow(id); }

  // New executions are placed into `room` from now on (until a restart).
  FakePlacer& PlaceInto(std::vector<std::string> room) {
    placer_.room = std::move(room);
    engine_->PlaceWith(&placer_);
    return placer_;
  }
  FakePlacer placer_;

  std::vector<v1::Execution> Executions(const std::string& id) {
    std::vector<v1::Execution> out;
    EXPECT_THAT(rocks_->Scan(keys::ExecutionPrefix(id), "",
                             [&](absl::string_view, absl::string_view v) {
                               v1::Execution e;
                               e.ParseFromArray(v.data(), v.size());
                               out.push_back(e);
                               return true;
                             }),
                IsOk());
    return out;
  }

  // Operators took and finished every PENDING execution of these
  // workflows (the queue empties).
  void FinishPending(const std::vector<std::string>& ids) {
    WorkflowBatch b;
    for (const std::string& id : ids) {
      for (const v1::Execution& e : Executions(id)) {
        if (e.status() != kPendingStatus) continue;
        v1::Execution done = e;
        done.set_status(v1::EXECUTION_STATUS_SUCCEEDED);
        *done.mutable_finished_at() = ToProtoTimestamp(clock_.TimeNow());
        b.PutExecution(&e, done);
      }
    }
    ASSERT_THAT(WriteLocked(*store_, b), IsOk());
  }
  static constexpr auto kPendingStatus = v1::EXECUTION_STATUS_PENDING;
  static FiringOptions HoldingBackAt(size_t max_pending) {
    FiringOptions options;
    options.max_pending = max_pending;
    return options;
  }

  FireReport Fire() {
    absl::StatusOr<FireReport> r = engine_->FireDue();
    EXPECT_THAT(r, IsOk());
    return r.ok() ? *r : FireReport{};
  }
  // Advances in steps of `step` until `total`, firing at each step.
  void Run(absl::Duration total, absl::Duration step = absl::Seconds(1)) {
    for (absl::Duration d; d < total; d += step) {
      clock_.AdvanceTime(step);
      Fire();
    }
  }

  static v1::Policy Misfire(v1::MisfirePolicy p,
                            absl::Duration window = absl::Minutes(10)) {
    v1::Policy policy;
    policy.set_misfire(p);
    *policy.mutable_catchup_window() = ToProtoDuration(window);
    return policy;
  }
  static v1::Policy Concurrency(v1::ConcurrencyPolicy p) {
    v1::Policy policy;
    policy.set_concurrency(p);
    return policy;
  }

  ap::testing::TempStore temp_;
  SimulatedClock clock_{kT0};
  RocksDbStore* rocks_ = nullptr;
  std::unique_ptr<FlakyStore> flaky_;
  std::unique_ptr<WorkflowStore> store_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<FiringEngine> engine_;
  int next_id_ = 1;
};

std::vector<v1::ExecutionStatus> Statuses(
    const std::vector<v1::Execution>& es) {
  std::vector<v1::ExecutionStatus> out;
  for (const auto& e : es) out.push_back(e.status());
  return out;
}

constexpr auto kPending = v1::EXECUTION_STATUS_PENDING;
constexpr auto kSkipped = v1::EXECUTION_STATUS_SKIPPED;
constexpr auto kCanceled = v1::EXECUTION_STATUS_CANCELED;

TEST_F(FiringTest, FireIsRecordedPendingWithTheWorkflowsNewNextFire) {
  const std::string id = Create("* * * * *");
  clock_.AdvanceTime(absl::Seconds(59));
  EXPECT_EQ(Fire().recorded, 0u);
  clock_.AdvanceTime(absl::Seconds(1));
  FireReport r = Fire();
  EXPECT_EQ(r.recorded, 1u);
  EXPECT_THAT(r.lateness, ElementsAre(absl::ZeroDuration()));

  std::vector<v1::Execution> ex = Executions(id);
  ASSERT_THAT(ex, SizeIs(1));
  EXPECT_EQ(ex[0].id(), keys::ExecutionId(id, kT0 + absl::Minutes(1)));
  EXPECT_EQ(ex[0].status(), kPending);
  EXPECT_EQ(ex[0].cause(), v1::EXECUTION_CAUSE_CRON);
  EXPECT_EQ(ex[0].attempt(), 1);
  const v1::Workflow w = Get(id);
  EXPECT_EQ(FromProto(w.last_fired_at()), kT0 + absl::Minutes(1));
  EXPECT_EQ(FromProto(w.next_fire_at()), kT0 + absl::Minutes(2));
  EXPECT_EQ(w.execution_count(), 1);
  // Indexed as open (the dispatch queue is in memory, built from open/).
  EXPECT_TRUE(rocks_->Get(keys::Open(id, ex[0].id()))->has_value());
}

TEST_F(FiringTest, RestartNeitherLosesNorRepeatsAFire) {
  const std::string id = Create("* * * * *");
  Run(absl::Minutes(3));  // fires at +1, +2, +3
  Restart();
  Run(absl::Minutes(2));  // +4, +5
  std::vector<v1::Execution> ex = Executions(id);
  ASSERT_THAT(ex, SizeIs(5));
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(FromProto(ex[i].scheduled_at()), kT0 + absl::Minutes(i + 1));
    EXPECT_EQ(ex[i].status(), kPending);
  }
  EXPECT_EQ(Get(id).execution_count(), 5);
}

TEST_F(FiringTest, RestartAtTheFireInstantFiresItOnce) {
  const std::string id = Create("* * * * *");
  clock_.AdvanceTime(absl::Minutes(1));
  Fire();
  Restart();  // same instant: the +1 fire must not come back
  Fire();
  EXPECT_THAT(Executions(id), SizeIs(1));
}

TEST_F(FiringTest, FailedWriteLosesNothingAndRetries) {
  const std::string id = Create("* * * * *");
  clock_.AdvanceTime(absl::Minutes(1));
  flaky_->fail_next_write = true;
  EXPECT_FALSE(engine_->FireDue().ok());
  EXPECT_THAT(Executions(id), SizeIs(0));
  EXPECT_EQ(FromProto(Get(id).next_fire_at()), kT0 + absl::Minutes(1));
  EXPECT_EQ(Fire().recorded, 1u);  // tried again
  EXPECT_THAT(Executions(id), SizeIs(1));
}

TEST_F(FiringTest, DowntimeWithSkipRecordsEveryMissedFireAsSkipped) {
  const std::string id = Create("* * * * *", Misfire(v1::MISFIRE_POLICY_SKIP));
  Run(absl::Minutes(1));
  Stop();
  clock_.AdvanceTime(absl::Minutes(5));  // down: +2..+6 missed
  Restart();
  Fire();
  std::vector<v1::Execution> ex = Executions(id);
  EXPECT_THAT(Statuses(ex), ElementsAre(kPending, kSkipped, kSkipped, kSkipped,
                                        kSkipped, kSkipped));
  EXPECT_THAT(ex[1].reason(), HasSubstr("misfire policy SKIP"));
  EXPECT_EQ(FromProto(Get(id).next_fire_at()), kT0 + absl::Minutes(7));
  EXPECT_EQ(Get(id).execution_count(), 1);  // skipped ones do not count
}

TEST_F(FiringTest, DowntimeWithRunOnceRunsOnlyTheLatestMissedFire) {
  const std::string id = Create("* * * * *");  // default: RUN_ONCE, 10 min
  Run(absl::Minutes(1));
  Stop();
  clock_.AdvanceTime(absl::Minutes(5) + absl::Seconds(30));
  Restart();
  Fire();
  std::vector<v1::Execution> ex = Executions(id);
  EXPECT_THAT(Statuses(ex), ElementsAre(kPending, kSkipped, kSkipped, kSkipped,
                                        kSkipped, kPending));
  EXPECT_EQ(ex[5].cause(), v1::EXECUTION_CAUSE_CATCHUP);
  EXPECT_EQ(FromProto(ex[5].scheduled_at()), kT0 + absl::Minutes(6));
  EXPECT_THAT(ex[2].reason(), AllOf(HasSubstr("RUN_ONCE"),
                                    HasSubstr("2026-06-01T12:06:00.000Z")));
}

TEST_F(FiringTest, DowntimeWithRunAllRunsEveryMissedFireInTheWindow) {
  const std::string id = Create(
      "* * * * *", Misfire(v1::MISFIRE_POLICY_RUN_ALL, absl::Minutes(3)));
  Stop();
  clock_.AdvanceTime(absl::Minutes(6) + absl::Seconds(30));
  Restart();
  Fire();
  // +1..+6 missed; the window reaches back to +3:30, so +4, +5, +6 run.
  std::vector<v1::Execution> ex = Executions(id);
  EXPECT_THAT(Statuses(ex), ElementsAre(kSkipped, kSkipped, kSkipped, kPending,
                                        kPending, kPending));
  EXPECT_THAT(ex[0].reason(), HasSubstr("catch-up window"));
  for (int i = 3; i < 6; ++i)
    EXPECT_EQ(ex[i].cause(), v1::EXECUTION_CAUSE_CATCHUP);
}

TEST_F(FiringTest, ShortDelayIsNotAMisfire) {
  const std::string id = Create("* * * * *", Misfire(v1::MISFIRE_POLICY_SKIP));
  clock_.AdvanceTime(absl::Minutes(1) + absl::Seconds(30));  // 30 s late
  FireReport r = Fire();
  EXPECT_EQ(r.recorded, 1u);
  EXPECT_THAT(r.lateness, ElementsAre(absl::Seconds(30)));
  EXPECT_EQ(Executions(id)[0].cause(), v1::EXECUTION_CAUSE_CRON);
}

TEST_F(FiringTest, LongDowntimeIsSummarisedNotDroppedSilently) {
  FiringOptions options;
  options.max_missed_records = 10;
  Restart(options);
  const std::string id = Create("* * * * *", Misfire(v1::MISFIRE_POLICY_SKIP));
  Stop();
  clock_.AdvanceTime(absl::Minutes(100));
  Restart(options);
  Fire();
  std::vector<v1::Execution> ex = Executions(id);
  ASSERT_THAT(ex, SizeIs(10));
  EXPECT_EQ(FromProto(ex[0].scheduled_at()), kT0 + absl::Minutes(91));
  EXPECT_THAT(ex[0].reason(), HasSubstr("90 earlier missed fires since "
                                        "2026-06-01T12:01:00.000Z"));
}

TEST_F(FiringTest, ForbidSkipsWhileAnExecutionIsOpen) {
  const std::string id =
      Create("* * * * *", Concurrency(v1::CONCURRENCY_POLICY_FORBID));
  Run(absl::Minutes(2));
  std::vector<v1::Execution> ex = Executions(id);
  EXPECT_THAT(Statuses(ex), ElementsAre(kPending, kSkipped));
  EXPECT_THAT(ex[1].reason(),
              HasSubstr("concurrency FORBID: execution " + ex[0].id()));
}

TEST_F(FiringTest, ReplaceCancelsTheOpenExecutionFirst) {
  const std::string id =
      Create("* * * * *", Concurrency(v1::CONCURRENCY_POLICY_REPLACE));
  Run(absl::Minutes(1));
  clock_.AdvanceTime(absl::Minutes(1));
  FireReport r = Fire();
  std::vector<v1::Execution> ex = Executions(id);
  EXPECT_THAT(Statuses(ex), ElementsAre(kCanceled, kPending));
  EXPECT_THAT(ex[0].reason(), HasSubstr("replaced by " + ex[1].id()));
  ASSERT_THAT(r.canceled, SizeIs(1));
  EXPECT_EQ(r.canceled[0].id(), ex[0].id());
  EXPECT_FALSE(rocks_->Get(keys::Open(id, ex[0].id()))->has_value());
}

TEST_F(FiringTest, AllowRunsOverlappingExecutions) {
  const std::string id = Create("* * * * *");
  Run(absl::Minutes(3));
  EXPECT_THAT(Statuses(Executions(id)),
              ElementsAre(kPending, kPending, kPending));
}

TEST_F(FiringTest, MaxExecutionsCompletesTheWorkflow) {
  const std::string id = Create("* * * * *", {}, /*max_executions=*/2);
  Run(absl::Minutes(5));
  EXPECT_THAT(Executions(id), SizeIs(2));
  const v1::Workflow w = Get(id);
  EXPECT_EQ(w.status(), v1::WORKFLOW_STATUS_COMPLETED);
  EXPECT_EQ(w.completion_reason(), v1::COMPLETION_REASON_MAX_EXECUTIONS);
  EXPECT_FALSE(w.has_next_fire_at());
  EXPECT_EQ(scheduler_->size(), 0u);
}

TEST_F(FiringTest, ExpireAtCompletesTheWorkflow) {
  const std::string id =
      Create("* * * * *", {}, 0, kT0 + absl::Minutes(2) + absl::Seconds(30));
  Run(absl::Minutes(5));
  EXPECT_THAT(Executions(id), SizeIs(2));
  EXPECT_EQ(Get(id).status(), v1::WORKFLOW_STATUS_COMPLETED);
  EXPECT_EQ(Get(id).completion_reason(), v1::COMPLETION_REASON_EXPIRED);
}

TEST_F(FiringTest, LastFixedTimeCompletesWithNoMoreFires) {
  v1::Workflow w;
  w.set_id("FIXED");
  w.set_owner("team");
  *w.mutable_trigger()->mutable_fixed_times()->add_times() =
      ToProtoTimestamp(kT0 + absl::Minutes(1));
  ApplyDefaults(&w);
  Store(w);
  Run(absl::Minutes(2));
  EXPECT_THAT(Executions("FIXED"), SizeIs(1));
  EXPECT_EQ(Get("FIXED").completion_reason(),
            v1::COMPLETION_REASON_NO_MORE_FIRES);
}

TEST_F(FiringTest, RecoverArmsActiveAndKnowsPausedWorkflows) {
  const std::string active = Create("*/5 * * * *");
  const std::string paused = Create("* * * * *");
  v1::Workflow p = Get(paused);
  v1::Workflow before = p;
  p.set_status(v1::WORKFLOW_STATUS_PAUSED);
  WorkflowBatch b;
  b.PutWorkflow(&before, p);
  ASSERT_THAT(WriteLocked(*store_, b), IsOk());
  Restart();
  EXPECT_EQ(scheduler_->size(), 2u);
  EXPECT_EQ(scheduler_->armed(), 1u);
  EXPECT_EQ(scheduler_->NextFireTime(active), kT0 + absl::Minutes(5));
  Run(absl::Minutes(5));
  EXPECT_THAT(Executions(paused), SizeIs(0));
  EXPECT_THAT(Executions(active), SizeIs(1));
}

TEST_F(FiringTest, NonActiveWorkflowIsNeverFiredEvenIfArmed) {
  const std::string id = Create("* * * * *");
  v1::Workflow w = Get(id);
  v1::Workflow before = w;
  w.set_status(v1::WORKFLOW_STATUS_CANCELED);
  WorkflowBatch b;
  b.PutWorkflow(&before, w);
  ASSERT_THAT(WriteLocked(*store_, b), IsOk());  // the Scheduler was not told
  Run(absl::Minutes(2));
  EXPECT_THAT(Executions(id), SizeIs(0));
  EXPECT_EQ(scheduler_->size(), 0u);
}

TEST_F(FiringTest, AnExistingExecutionIsNeverOverwritten) {
  const std::string id = Create("* * * * *");
  // Recorded already, as a fire or a trigger would have: with the
  // workflow's last_fired_at at least its scheduled time, in the same write.
  const absl::Time at = kT0 + absl::Minutes(1);
  v1::Execution manual;
  manual.set_id(keys::ExecutionId(id, at));
  manual.set_workflow_id(id);
  manual.set_status(v1::EXECUTION_STATUS_SUCCEEDED);
  *manual.mutable_scheduled_at() = ToProtoTimestamp(at);
  const v1::Workflow before = Get(id);
  v1::Workflow after = before;
  *after.mutable_last_fired_at() = ToProtoTimestamp(at);
  WorkflowBatch b;
  b.PutExecution(nullptr, manual);
  b.PutWorkflow(&before, after);
  ASSERT_THAT(WriteLocked(*store_, b), IsOk());
  Run(absl::Minutes(1));
  std::vector<v1::Execution> ex = Executions(id);
  ASSERT_THAT(ex, SizeIs(1));
  EXPECT_EQ(ex[0].status(), v1::EXECUTION_STATUS_SUCCEEDED);
}

TEST_F(FiringTest, AFireAfterTheLastFiredTimeLooksUpNoExecution) {
  const std::string id = Create("* * * * *");
  Run(absl::Minutes(1));
  flaky_->execution_reads = 0;
  Run(absl::Minutes(1));
  EXPECT_THAT(Executions(id), SizeIs(2));
  // Every execution was recorded at or before last_fired_at: none can
  // exist for a later time, so none is read.
  EXPECT_EQ(flaky_->execution_reads, 0);
}

TEST_F(FiringTest, LastFiredAtNeverMovesBackWhenTheClockDoes) {
  const std::string id = Create("* * * * *");
  Run(absl::Minutes(1));
  ASSERT_EQ(FromProto(Get(id).last_fired_at()), kT0 + absl::Minutes(1));
  clock_.SetTime(kT0 + absl::Seconds(30));
  FireReport manual;
  absl::StatusOr<v1::Execution> e = engine_->FireNow(id, &manual);
  ASSERT_THAT(e, IsOk());
  EXPECT_EQ(FromProto(e->scheduled_at()), kT0 + absl::Seconds(30));
  EXPECT_EQ(FromProto(Get(id).last_fired_at()), kT0 + absl::Minutes(1));
}

// Prepare computes a round without the write lock; FireDue(now, prepared)
// writes it. Between the two anything may change.

TEST_F(FiringTest, APreparedRoundIsWrittenWhenNothingChangedMeanwhile) {
  const std::string id = Create("* * * * *");
  clock_.AdvanceTime(absl::Minutes(1));
  const absl::Time now = clock_.TimeNow();
  FiringEngine::PreparedRound prepared = engine_->Prepare(now);
  ASSERT_EQ(prepared.size(), 1u);
  absl::StatusOr<FireReport> r = engine_->FireDue(now, std::move(prepared));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->recorded, 1u);
  ASSERT_THAT(Executions(id), SizeIs(1));
  EXPECT_EQ(Executions(id)[0].status(), kPending);
  const v1::Workflow w = Get(id);
  EXPECT_EQ(w.execution_count(), 1);
  EXPECT_EQ(FromProto(w.next_fire_at()), kT0 + absl::Minutes(2));
  EXPECT_EQ(scheduler_->NextFireTime(id), kT0 + absl::Minutes(2));
}

TEST_F(FiringTest, AManualTriggerBetweenPrepareAndWriteIsNotLost) {
  const std::string id = Create("* * * * *");
  clock_.AdvanceTime(absl::Minutes(1));
  const absl::Time now = clock_.TimeNow();
  FiringEngine::PreparedRound prepared = engine_->Prepare(now);
  clock_.AdvanceTime(absl::Milliseconds(5));
  FireReport manual;
  ASSERT_THAT(engine_->FireNow(id, &manual), IsOk());
  // The prepared round was made from the record before the trigger; using
  // it would overwrite the trigger's execution_count and last_fired_at.
  ASSERT_THAT(engine_->FireDue(now, std::move(prepared)), IsOk());
  EXPECT_THAT(Executions(id), SizeIs(2));
  EXPECT_EQ(Get(id).execution_count(), 2);
}

TEST_F(FiringTest, APauseBetweenPrepareAndWriteWins) {
  const std::string id = Create("* * * * *");
  clock_.AdvanceTime(absl::Minutes(1));
  const absl::Time now = clock_.TimeNow();
  FiringEngine::PreparedRound prepared = engine_->Prepare(now);
  const v1::Workflow before = Get(id);
  v1::Workflow paused = before;
  paused.set_status(v1::WORKFLOW_STATUS_PAUSED);
  WorkflowBatch b;  // as the service pauses: record, then Scheduler
  b.PutWorkflow(&before, paused);
  ASSERT_THAT(WriteLocked(*store_, b), IsOk());
  scheduler_->Pause(id);
  ASSERT_THAT(engine_->FireDue(now, std::move(prepared)), IsOk());
  EXPECT_THAT(Executions(id), SizeIs(0));
  EXPECT_EQ(Get(id).status(), v1::WORKFLOW_STATUS_PAUSED);
  EXPECT_EQ(scheduler_->NextFireTime(id), std::nullopt);
}

TEST_F(FiringTest, NothingIsPreparedWithoutTheWorkflowCache) {
  const std::string id = Create("* * * * *");
  WorkflowStore uncached(flaky_.get(), /*workflow_cache=*/0);
  FiringEngine engine(&uncached, scheduler_.get(), &clock_);
  clock_.AdvanceTime(absl::Minutes(1));
  EXPECT_TRUE(engine.Prepare(clock_.TimeNow()).empty());
  ASSERT_THAT(engine.FireDue(), IsOk());
  EXPECT_THAT(Executions(id), SizeIs(1));
}

TEST_F(FiringTest, OnlyAllowWorkflowsArePrepared) {
  Create("* * * * *");
  Create("* * * * *", Concurrency(v1::CONCURRENCY_POLICY_FORBID));
  Create("* * * * *", Concurrency(v1::CONCURRENCY_POLICY_REPLACE));
  clock_.AdvanceTime(absl::Minutes(1));
  EXPECT_EQ(engine_->Prepare(clock_.TimeNow()).size(), 1u);
  EXPECT_EQ(Fire().recorded, 3u);
}

// Placement: with room on an operator a fire is written DISPATCHED to it
// in the fire's own write (placer.h).

TEST_F(FiringTest, AFireIsRecordedDispatchedWhenAnOperatorHasRoom) {
  FakePlacer& placer = PlaceInto({"op-1"});
  const std::string id = Create("* * * * *");
  clock_.AdvanceTime(absl::Minutes(1));
  EXPECT_EQ(Fire().recorded, 1u);
  ASSERT_THAT(Executions(id), SizeIs(1));
  const v1::Execution e = Executions(id)[0];
  EXPECT_EQ(e.status(), v1::EXECUTION_STATUS_DISPATCHED);
  EXPECT_EQ(e.operator_id(), "op-1");
  EXPECT_EQ(FromProto(e.lease_expires_at()), kT0 + absl::Minutes(6));
  EXPECT_THAT(placer.asked, ElementsAre(1u));
  ASSERT_THAT(placer.delivered, SizeIs(1));
  EXPECT_EQ(placer.delivered[0].execution.id(), e.id());
  ASSERT_NE(placer.delivered[0].workflow, nullptr);
  // The workflow as this fire left it.
  EXPECT_EQ(placer.delivered[0].workflow->execution_count(), 1);
  EXPECT_THAT(placer.delivered_reserved, ElementsAre(ElementsAre("op-1")));
}

TEST_F(FiringTest, FiresBeyondTheRoomReservedStayPending) {
  FakePlacer& placer = PlaceInto({"op-1"});
  const std::string a = Create("* * * * *");
  const std::string b = Create("* * * * *");
  // FORBID is handled under the write lock, not prepared: placed there too.
  const std::string c =
      Create("* * * * *", Concurrency(v1::CONCURRENCY_POLICY_FORBID));
  clock_.AdvanceTime(absl::Minutes(1));
  EXPECT_EQ(Fire().recorded, 3u);
  int dispatched = 0;
  int pending = 0;
  for (const std::string& id : {a, b, c}) {
    ASSERT_THAT(Executions(id), SizeIs(1));
    dispatched += Executions(id)[0].status() == v1::EXECUTION_STATUS_DISPATCHED;
    pending += Executions(id)[0].status() == kPending;
  }
  EXPECT_EQ(dispatched, 1);
  EXPECT_EQ(pending, 2);
  EXPECT_THAT(placer.delivered, SizeIs(1));
}

TEST_F(FiringTest, AFireUnderForbidIsPlacedAndThenSkippedWhileItRuns) {
  FakePlacer& placer = PlaceInto({"op-1", "op-1"});
  const std::string id =
      Create("* * * * *", Concurrency(v1::CONCURRENCY_POLICY_FORBID));
  clock_.AdvanceTime(absl::Minutes(1));
  Fire();
  clock_.AdvanceTime(absl::Minutes(1));
  const FireReport second = Fire();
  EXPECT_EQ(second.skipped, 1u);  // the placed one is open: FORBID skips
  EXPECT_THAT(placer.delivered, SizeIs(1));
  EXPECT_THAT(Executions(id), SizeIs(2));
}

TEST_F(FiringTest, APlacedFireReplacedLaterInTheSameRoundIsNotDelivered) {
  FakePlacer& placer = PlaceInto({"op-1", "op-1", "op-1"});
  v1::Policy policy = Concurrency(v1::CONCURRENCY_POLICY_REPLACE);
  policy.set_misfire(v1::MISFIRE_POLICY_RUN_ALL);
  const std::string id = Create("* * * * *", policy);
  clock_.AdvanceTime(absl::Minutes(3));  // three fires, missed: all run
  Fire();
  // Room is asked per workflow due: the first fire took it, and was
  // replaced by the next; the last goes out through a dispatch round.
  EXPECT_THAT(placer.asked, ElementsAre(1u));
  std::vector<v1::Execution> ex = Executions(id);
  ASSERT_THAT(ex, SizeIs(3));
  EXPECT_EQ(ex[0].status(), v1::EXECUTION_STATUS_CANCELED);
  EXPECT_EQ(ex[1].status(), v1::EXECUTION_STATUS_CANCELED);
  EXPECT_EQ(ex[2].status(), kPending);
  EXPECT_THAT(placer.delivered, SizeIs(0));
  EXPECT_THAT(placer.delivered_reserved, ElementsAre(ElementsAre("op-1")));
}

TEST_F(FiringTest, AFailedWriteDeliversNothingAndFreesTheRoom) {
  FakePlacer& placer = PlaceInto({"op-1"});
  const std::string id = Create("* * * * *");
  clock_.AdvanceTime(absl::Minutes(1));
  flaky_->fail_next_write = true;
  EXPECT_FALSE(engine_->FireDue().ok());
  EXPECT_THAT(placer.delivered_reserved, ElementsAre(ElementsAre("op-1")));
  EXPECT_THAT(placer.delivered, SizeIs(0));
  EXPECT_THAT(Executions(id), SizeIs(0));
}

TEST_F(FiringTest, NoRoomIsAskedForWhenNothingIsDue) {
  FakePlacer& placer = PlaceInto({"op-1"});
  Create("* * * * *");
  Fire();
  EXPECT_THAT(placer.asked, SizeIs(0));
  EXPECT_THAT(placer.delivered_reserved, SizeIs(0));
}

TEST_F(FiringTest, AManualTriggerIsNotPlaced) {
  FakePlacer& placer = PlaceInto({"op-1"});
  const std::string id = Create("* * * * *");
  FireReport manual;
  absl::StatusOr<v1::Execution> e = engine_->FireNow(id, &manual);
  ASSERT_THAT(e, IsOk());
  EXPECT_EQ(e->status(), kPending);  // a dispatch round sends it
  EXPECT_THAT(placer.asked, SizeIs(0));
}

TEST_F(FiringTest, FiresAreHeldBackWhileMaxPendingExecutionsWait) {
  Restart(HoldingBackAt(2));
  const std::string a = Create("* * * * *");
  const std::string b = Create("* * * * *");
  const std::string c = Create("* * * * *");
  clock_.AdvanceTime(absl::Minutes(1));
  EXPECT_EQ(Fire().recorded, 3u);  // the bound is checked before a round
  clock_.AdvanceTime(absl::Minutes(1));
  FireReport held = Fire();
  EXPECT_TRUE(held.held);
  EXPECT_EQ(held.recorded, 0u);
  EXPECT_THAT(Executions(a), SizeIs(1));
  // Not taken: still due, as after a restart.
  EXPECT_EQ(FromProto(Get(a).next_fire_at()), kT0 + absl::Minutes(2));
  EXPECT_EQ(scheduler_->DueCount(clock_.TimeNow()), 3u);

  FinishPending({a, b, c});
  FireReport r = Fire();
  EXPECT_FALSE(r.held);
  EXPECT_EQ(r.recorded, 3u);
  for (const std::string& id : {a, b, c}) {
    ASSERT_THAT(Executions(id), SizeIs(2));
    EXPECT_EQ(FromProto(Executions(id)[1].scheduled_at()),
              kT0 + absl::Minutes(2));
  }
}

TEST_F(FiringTest, AFireHeldBackPastTheMisfireThresholdIsLateNotMissed) {
  Restart(HoldingBackAt(1));
  const std::string id =
      Create("* * * * *", Misfire(v1::MISFIRE_POLICY_SKIP));
  clock_.AdvanceTime(absl::Minutes(1));
  EXPECT_EQ(Fire().recorded, 1u);
  Run(absl::Minutes(5));  // +2 .. +6 due, each round held back
  EXPECT_THAT(Executions(id), SizeIs(1));

  // Held fires come out one per workflow and round, oldest first, each as
  // operators make room.
  std::vector<absl::Duration> lateness;
  for (int i = 0; i < 5; ++i) {
    FinishPending({id});
    FireReport r = Fire();
    EXPECT_EQ(r.recorded, 1u);
    EXPECT_EQ(r.skipped, 0u);
    lateness.insert(lateness.end(), r.lateness.begin(), r.lateness.end());
    if (i == 0) {
      EXPECT_EQ(FromProto(Get(id).next_fire_at()), kT0 + absl::Minutes(3));
    }
  }
  EXPECT_THAT(lateness, ElementsAre(absl::Minutes(4), absl::Minutes(3),
                                    absl::Minutes(2), absl::Minutes(1),
                                    absl::ZeroDuration()));
  std::vector<v1::Execution> ex = Executions(id);
  ASSERT_THAT(ex, SizeIs(6));
  for (int i = 1; i < 6; ++i) {
    EXPECT_EQ(FromProto(ex[i].scheduled_at()), kT0 + absl::Minutes(i + 1));
    EXPECT_EQ(ex[i].cause(), v1::EXECUTION_CAUSE_CRON);  // not CATCHUP
  }
  EXPECT_EQ(FromProto(Get(id).next_fire_at()), kT0 + absl::Minutes(7));
}

TEST_F(FiringTest, LatenessFromBeforeHoldingBeganStillCountsAsMissed) {
  Restart(HoldingBackAt(1));
  const std::string id =
      Create("* * * * *", Misfire(v1::MISFIRE_POLICY_SKIP));
  Run(absl::Minutes(1));  // +1 recorded: the queue is full
  Stop();
  clock_.AdvanceTime(absl::Minutes(5));  // down: +2 .. +6 missed
  Restart(HoldingBackAt(1));
  EXPECT_TRUE(Fire().held);
  clock_.AdvanceTime(absl::Seconds(30));
  FinishPending({id});
  FireReport r = Fire();
  // Already 4-5 minutes late when holding began: the misfire policy.
  EXPECT_EQ(r.recorded, 0u);
  EXPECT_EQ(r.skipped, 5u);
  EXPECT_THAT(Executions(id)[1].reason(), HasSubstr("misfire policy SKIP"));
}

TEST_F(FiringTest, FireHeldRecordsOneWorkflowsHeldFiresWhateverTheQueue) {
  Restart(HoldingBackAt(1));
  const std::string a = Create("* * * * *");
  const std::string b = Create("* * * * *");
  Run(absl::Minutes(1));
  Run(absl::Minutes(2));  // +2 and +3 held for both
  FireReport r;
  {
    FairMutexLock l(store_->write_mutex());
    ASSERT_THAT(engine_->FireHeld(a, &r), IsOk());
  }
  EXPECT_EQ(r.recorded, 2u);  // all of its held fires at once
  EXPECT_THAT(Executions(a), SizeIs(3));
  EXPECT_THAT(Executions(b), SizeIs(1));  // still held
  EXPECT_EQ(FromProto(Get(a).next_fire_at()), kT0 + absl::Minutes(4));
  FireReport none;
  {
    FairMutexLock l(store_->write_mutex());
    ASSERT_THAT(engine_->FireHeld(a, &none), IsOk());
  }
  EXPECT_EQ(none.recorded, 0u);  // nothing due for it any more
}

TEST_F(FiringTest, LeadingAgainForgetsThatFiresWereHeldBack) {
  Restart(HoldingBackAt(1));
  const std::string id =
      Create("* * * * *", Misfire(v1::MISFIRE_POLICY_SKIP));
  Run(absl::Minutes(1));  // +1 recorded: the queue is full
  Run(absl::Minutes(1));  // +2 held back
  // This aggregator stands by while others lead, then leads again: what
  // is due now waited on nobody's queue here.
  clock_.AdvanceTime(absl::Minutes(5));
  FinishPending({id});
  ASSERT_THAT(engine_->Recover(), IsOk());
  FireReport r = Fire();
  EXPECT_EQ(r.recorded, 0u);
  EXPECT_EQ(r.skipped, 6u);  // +2 .. +7, by the misfire policy
}

TEST_F(FiringTest, AFireRecordedOnlyAfterItsStartDeadlineIsSkipped) {
  Restart(HoldingBackAt(1));
  v1::Policy policy;
  *policy.mutable_start_deadline() = ToProtoDuration(absl::Seconds(30));
  const std::string id = Create("* * * * *", policy);
  Run(absl::Minutes(1));  // +1 recorded: the queue is full
  Run(absl::Minutes(1));  // +2 held back
  clock_.AdvanceTime(absl::Seconds(45));
  FinishPending({id});
  FireReport r = Fire();
  EXPECT_EQ(r.recorded, 0u);
  EXPECT_EQ(r.skipped, 1u);
  EXPECT_EQ(r.start_deadlines, 1u);
  const v1::Execution e = Executions(id)[1];
  EXPECT_EQ(FromProto(e.scheduled_at()), kT0 + absl::Minutes(2));
  EXPECT_EQ(e.status(), kSkipped);
  EXPECT_THAT(e.reason(), AllOf(HasSubstr(kStartDeadlineReason),
                                HasSubstr("2026-06-01T12:02:30.000Z")));
}

}  // namespace
}  // namespace ap
