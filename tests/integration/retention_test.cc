#include "aggregator/workflows/retention.h"

#include "aggregator/records/keys.h"
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

const absl::Time kT0 = absl::FromCivil(absl::CivilSecond(2026, 6, 1, 12, 0, 0),
                                       absl::UTCTimeZone());

class RetentionTest : public ::testing::Test,
                      protected ap::testing::FiringCore {
 protected:
  RetentionTest() : FiringCore(kT0) {}

  std::string CreateAndRun(int minutes, v1::ConcurrencyPolicy concurrency =
                                            v1::CONCURRENCY_POLICY_ALLOW) {
    v1::Workflow w;
    w.set_name(ap::testing::UniqueName("job"));
    w.mutable_trigger()->mutable_cron()->add_schedules("* * * * *");
    w.mutable_policy()->set_concurrency(concurrency);
    w.add_steps()->set_id("s");
    w.mutable_steps(0)->mutable_http()->set_url("http://127.0.0.1:9/");
    const std::string id = service_.Create({"alice", Role::kWriter}, w)->id();
    for (int i = 0; i < minutes; ++i) {
      clock_.AdvanceTime(absl::Minutes(1));
      EXPECT_THAT(engine_.FireDue(), IsOk());
    }
    return id;
  }
  // Marks every open execution of `id` SUCCEEDED.
  void FinishAll(const std::string& id) {
    const std::vector<v1::Execution> open = *store_.OpenExecutions(id);
    for (const v1::Execution& e : open) {
      v1::Execution done = e;
      done.set_status(v1::EXECUTION_STATUS_SUCCEEDED);
      WorkflowBatch b;
      b.PutExecution(&e, done);
      ASSERT_THAT(WriteLocked(store_, b), IsOk());
    }
  }
  std::vector<absl::Time> Kept(const std::string& id) {
    std::vector<absl::Time> out;
    EXPECT_THAT(temp_.get()->Scan(keys::ExecutionPrefix(id), "",
                                  [&](absl::string_view, absl::string_view v) {
                                    v1::Execution e;
                                    e.ParseFromArray(v.data(), v.size());
                                    out.push_back(FromProto(e.scheduled_at()));
                                    return true;
                                  }),
                IsOk());
    return out;
  }

  WorkflowService service_{&store_, &scheduler_, &engine_, &clock_, {}};
};

TEST_F(RetentionTest, KeepsTheNewestMaxExecutions) {
  const std::string id = CreateAndRun(10);
  FinishAll(id);
  Retention retention(&store_, &clock_, {3, absl::ZeroDuration()});
  EXPECT_EQ(*retention.Sweep(), 7u);
  EXPECT_THAT(Kept(id), ::testing::ElementsAre(kT0 + absl::Minutes(8),
                                               kT0 + absl::Minutes(9),
                                               kT0 + absl::Minutes(10)));
  EXPECT_EQ(*retention.Sweep(), 0u);
}

TEST_F(RetentionTest, RemovesExecutionsOlderThanMaxAge) {
  const std::string id = CreateAndRun(10);
  FinishAll(id);
  Retention retention(&store_, &clock_, {0, absl::Minutes(4)});
  // Now 12:10; older than 12:06 goes.
  EXPECT_EQ(*retention.Sweep(), 5u);
  EXPECT_EQ(Kept(id).front(), kT0 + absl::Minutes(6));
}

TEST_F(RetentionTest, NeverRemovesOpenExecutions) {
  const std::string id = CreateAndRun(5);  // all PENDING
  Retention retention(&store_, &clock_, {1, absl::Minutes(1)});
  EXPECT_EQ(*retention.Sweep(), 0u);
  EXPECT_EQ(Kept(id).size(), 5u);
  EXPECT_EQ(temp_.Count(keys::kOpenPrefix), 5);
}

TEST_F(RetentionTest, RemovesIndexEntriesWithTheRecords) {
  const std::string id = CreateAndRun(4, v1::CONCURRENCY_POLICY_FORBID);
  // One PENDING (open, oldest), three SKIPPED. Keeping one: the newest
  // SKIPPED stays, the open one is exempt, the two others go.
  Retention retention(&store_, &clock_, {1, absl::ZeroDuration()});
  EXPECT_EQ(*retention.Sweep(), 2u);
  EXPECT_EQ(temp_.Count(keys::ExecutionPrefix(id)), 2);
  EXPECT_EQ(temp_.Count(keys::OpenPrefix(id)), 1);
}

}  // namespace
}  // namespace ap
