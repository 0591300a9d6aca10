// The fire loop thread on a simulated clock: it sleeps until the next fire,
// fires it, and a Wake() makes it see a newly created earlier fire.

#include "aggregator/schedule/fire_loop.h"

#include <set>

#include "aggregator/records/keys.h"
#include "aggregator/workflows/service.h"
#include "common/proto_time.h"
#include "gtest/gtest.h"
#include "tests/testing/unique_name.h"
#include "tests/testing/firing_core.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_store.h"

namespace ap {
namespace {

const absl::Time kT0 = absl::FromCivil(absl::CivilSecond(2026, 6, 1, 12, 0, 0),
                                       absl::UTCTimeZone());

class FireLoopTest : public ::testing::Test, protected ap::testing::FiringCore {
 protected:
  FireLoopTest() : FiringCore(kT0) {}

  std::string Create(const std::string& cron) {
    v1::Workflow w;
    w.set_name(ap::testing::UniqueName("job"));
    w.mutable_trigger()->mutable_cron()->add_schedules(cron);
    w.add_steps()->set_id("s");
    w.mutable_steps(0)->mutable_http()->set_url("http://127.0.0.1:9/");
    return service_.Create({"alice", Role::kWriter}, w)->id();
  }
  // Waits (in real time, bounded) until `id` has n executions.
  bool WaitForExecutions(const std::string& id, int n) {
    for (int i = 0; i < 500; ++i) {
      if (temp_.Count(keys::ExecutionPrefix(id)) >= n) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return false;
  }

  FireLoop loop_{&engine_, &scheduler_, &clock_};
  WorkflowService service_{&store_,  &scheduler_,
                           &engine_, &clock_,
                           {},       {[this] { loop_.Wake(); }, nullptr}};
};

TEST_F(FireLoopTest, SleepsUntilTheNextFireThenRecordsIt) {
  const std::string id = Create("0 * * * *");  // 13:00
  loop_.Start();
  clock_.BlockUntilWaiters(1);
  EXPECT_EQ(clock_.GetEarliestWakeupTime(),
            kT0 + absl::Minutes(1));  // idle cap
  clock_.AdvanceTime(absl::Minutes(59));
  clock_.BlockUntilWaiters(1);
  EXPECT_EQ(clock_.GetEarliestWakeupTime(), kT0 + absl::Hours(1));
  EXPECT_EQ(temp_.Count(keys::ExecutionPrefix(id)), 0);
  clock_.AdvanceTime(absl::Minutes(1));
  EXPECT_TRUE(WaitForExecutions(id, 1));
  loop_.Stop();
  EXPECT_EQ(loop_.fires(), 1);
}

TEST_F(FireLoopTest, WakeMakesItSeeAnEarlierFire) {
  Create("0 * * * *");
  loop_.Start();
  clock_.AdvanceTime(absl::Minutes(30));
  clock_.BlockUntilWaiters(1);
  EXPECT_EQ(clock_.GetEarliestWakeupTime(), kT0 + absl::Minutes(31));
  const std::string soon = Create("31 * * * *");  // wakes the loop
  clock_.AdvanceTime(absl::Minutes(1));
  EXPECT_TRUE(WaitForExecutions(soon, 1));
  loop_.Stop();
}

TEST_F(FireLoopTest, RoundsStartAtLeastTheGapApartEvenWhenWoken) {
  const std::string first = Create("1 * * * *");   // 12:01
  const std::string second = Create("2 * * * *");  // 12:02
  FireLoop loop(&engine_, &scheduler_, &clock_, nullptr,
                /*min_round_gap=*/absl::Seconds(90));
  clock_.AdvanceTime(absl::Minutes(1));
  loop.Start();  // its first round, at 12:01
  EXPECT_TRUE(WaitForExecutions(first, 1));
  clock_.BlockUntilWaiters(1);
  EXPECT_EQ(clock_.GetEarliestWakeupTime(), kT0 + absl::Seconds(150));
  loop.Wake();  // as a new workflow would: still not before 12:02:30
  clock_.AdvanceTime(absl::Minutes(1));  // 12:02, the second one is due
  clock_.BlockUntilWaiters(1);
  EXPECT_EQ(clock_.GetEarliestWakeupTime(), kT0 + absl::Seconds(150));
  EXPECT_EQ(temp_.Count(keys::ExecutionPrefix(second)), 0);
  clock_.AdvanceTime(absl::Seconds(30));
  EXPECT_TRUE(WaitForExecutions(second, 1));
  loop.Stop();
}

TEST_F(FireLoopTest, AClockSteppedBackDuringARoundDoesNotStretchTheGap) {
  const std::string id = Create("1 * * * *");  // 12:01
  // The system clock is stepped back an hour as the round ends.
  FireLoop loop(
      &engine_, &scheduler_, &clock_,
      [&](const FireReport&) { clock_.SetTime(kT0); },
      /*min_round_gap=*/absl::Seconds(1));
  clock_.AdvanceTime(absl::Hours(1) + absl::Minutes(1));
  loop.Start();
  EXPECT_TRUE(WaitForExecutions(id, 1));
  clock_.BlockUntilWaiters(1);
  // It looks again within the idle minute, not an hour and a second later.
  EXPECT_LE(clock_.GetEarliestWakeupTime(), kT0 + absl::Minutes(1));
  loop.Stop();
}

TEST_F(FireLoopTest, AFullRoundIsFollowedAtOnceDespiteTheGap) {
  const std::string first = Create("1 * * * *");
  const std::string second = Create("1 * * * *");
  FiringEngine one_at_a_time(&store_, &scheduler_, &clock_, {.max_batch = 1});
  FireLoop loop(&one_at_a_time, &scheduler_, &clock_, nullptr,
                /*min_round_gap=*/absl::Seconds(90));
  clock_.AdvanceTime(absl::Minutes(1));
  loop.Start();  // two rounds of one, the clock standing still
  EXPECT_TRUE(WaitForExecutions(first, 1));
  EXPECT_TRUE(WaitForExecutions(second, 1));
  loop.Stop();
}

TEST_F(FireLoopTest, StopReturnsWhileAsleep) {
  loop_.Start();
  clock_.BlockUntilWaiters(1);
  loop_.Stop();  // the clock never moves; Stop must not hang
  SUCCEED();
}

// A workflow firing every second has its schedule changed 20 times while
// the fire loop runs on its own thread with 200 other every-second
// workflows: the updates race the loop's rounds, and still every second
// fires exactly once.
TEST_F(FireLoopTest, ScheduleChangesRacingTheLoopLoseAndDoubleNoFire) {
  for (int i = 0; i < 200; ++i) Create("* * * * * *");
  const std::string id = Create("* * * * * *");
  const char* const kEverySecond[] = {"*/1 * * * * *", "@every 1s",
                                      "0-59 * * * * *", "* * * * * *"};
  loop_.Start();
  int64_t version = 1;
  for (int i = 0; i < 20; ++i) {
    for (int quarter = 0; quarter < 4; ++quarter) {
      clock_.BlockUntilWaiters(1);
      clock_.AdvanceTime(absl::Milliseconds(250));
      if (quarter != i % 4) continue;
      v1::UpdateWorkflowRequest r;
      *r.mutable_workflow() = *service_.Get({"alice", Role::kWriter}, id);
      r.mutable_workflow()->mutable_trigger()->mutable_cron()->set_schedules(
          0, kEverySecond[i % 4]);
      r.set_expected_version(version);
      absl::StatusOr<v1::Workflow> u =
          service_.Update({"alice", Role::kWriter}, r);
      ASSERT_TRUE(u.ok()) << u.status();
      version = u->version();
    }
  }
  ASSERT_TRUE(WaitForExecutions(id, 20));
  clock_.BlockUntilWaiters(1);
  loop_.Stop();
  std::set<absl::Time> fired;
  ASSERT_TRUE(temp_.get()
                  ->Scan(keys::ExecutionPrefix(id), "",
                         [&](absl::string_view key, absl::string_view value) {
                           v1::Execution e;
                           EXPECT_TRUE(e.ParseFromArray(
                               value.data(), static_cast<int>(value.size())));
                           EXPECT_TRUE(
                               fired.insert(FromProto(e.scheduled_at())).second)
                               << "doubled: " << key;
                           return true;
                         })
                  .ok());
  std::set<absl::Time> want;
  for (int s = 1; s <= 20; ++s) want.insert(kT0 + absl::Seconds(s));
  EXPECT_EQ(fired, want);
  EXPECT_EQ(version, 21);
}

}  // namespace
}  // namespace ap
