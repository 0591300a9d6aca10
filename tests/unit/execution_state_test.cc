// The execution state machine: every (from, to) pair of statuses against
// the table written out here, and what the moves do to the record.

#include "aggregator/records/execution_state.h"

#include <set>
#include <utility>

#include "common/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ap {
namespace {

using ::ap::testing::IsOk;
using ::ap::testing::StatusIs;
using ::testing::HasSubstr;
using S = v1::ExecutionStatus;

// The table of execution_state.h, written out independently.
const std::set<std::pair<S, S>>& Allowed() {
  static const auto* table = new std::set<std::pair<S, S>>{
      {v1::EXECUTION_STATUS_UNSPECIFIED, v1::EXECUTION_STATUS_PENDING},
      {v1::EXECUTION_STATUS_UNSPECIFIED, v1::EXECUTION_STATUS_SKIPPED},
      {v1::EXECUTION_STATUS_PENDING, v1::EXECUTION_STATUS_DISPATCHED},
      {v1::EXECUTION_STATUS_PENDING, v1::EXECUTION_STATUS_CANCELED},
      {v1::EXECUTION_STATUS_PENDING, v1::EXECUTION_STATUS_SKIPPED},
      {v1::EXECUTION_STATUS_DISPATCHED, v1::EXECUTION_STATUS_RUNNING},
      {v1::EXECUTION_STATUS_DISPATCHED, v1::EXECUTION_STATUS_PENDING},
      {v1::EXECUTION_STATUS_DISPATCHED, v1::EXECUTION_STATUS_SUCCEEDED},
      {v1::EXECUTION_STATUS_DISPATCHED, v1::EXECUTION_STATUS_FAILED},
      {v1::EXECUTION_STATUS_DISPATCHED, v1::EXECUTION_STATUS_TIMED_OUT},
      {v1::EXECUTION_STATUS_DISPATCHED, v1::EXECUTION_STATUS_CANCELED},
      {v1::EXECUTION_STATUS_RUNNING, v1::EXECUTION_STATUS_PENDING},
      {v1::EXECUTION_STATUS_RUNNING, v1::EXECUTION_STATUS_SUCCEEDED},
      {v1::EXECUTION_STATUS_RUNNING, v1::EXECUTION_STATUS_FAILED},
      {v1::EXECUTION_STATUS_RUNNING, v1::EXECUTION_STATUS_TIMED_OUT},
      {v1::EXECUTION_STATUS_RUNNING, v1::EXECUTION_STATUS_CANCELED},
  };
  return *table;
}

// Every status the proto defines, and one it does not.
std::vector<S> AllStatuses() {
  std::vector<S> all;
  const auto* d = v1::ExecutionStatus_descriptor();
  for (int i = 0; i < d->value_count(); ++i) {
    all.push_back(static_cast<S>(d->value(i)->number()));
  }
  all.push_back(static_cast<S>(99));
  return all;
}

v1::Execution In(S status) {
  v1::Execution e;
  e.set_id("01JDX6Q8Z3M0V4W9K2N5R7T1YB-20270101T000000.000Z");
  e.set_status(status);
  e.set_reason("before");
  return e;
}

TEST(ExecutionStateTest, EveryPairOfStatusesMovesExactlyAsTheTableSays) {
  const std::vector<S> all = AllStatuses();
  ASSERT_GE(all.size(), 10u);  // the 9 statuses of the proto, and 99
  for (S from : all) {
    for (S to : all) {
      const bool allowed = Allowed().contains({from, to});
      EXPECT_EQ(CanMove(from, to), allowed)
          << v1::ExecutionStatus_Name(from) << " -> "
          << v1::ExecutionStatus_Name(to);
      v1::Execution e = In(from);
      const absl::Status moved = MoveTo(&e, to);
      if (allowed) {
        EXPECT_THAT(moved, IsOk());
        EXPECT_EQ(e.status(), to);
      } else {
        EXPECT_THAT(moved, StatusIs(absl::StatusCode::kFailedPrecondition,
                                    HasSubstr("cannot go from")));
        EXPECT_EQ(e.status(), from) << "a refused move changes nothing";
      }
    }
  }
}

TEST(ExecutionStateTest, FinalStatusesHaveNoWayOut) {
  for (S from : AllStatuses()) {
    if (IsOpen(from) || from == v1::EXECUTION_STATUS_UNSPECIFIED) continue;
    for (S to : AllStatuses()) {
      EXPECT_FALSE(CanMove(from, to)) << v1::ExecutionStatus_Name(from);
    }
  }
}

TEST(ExecutionStateTest, FinishingRecordsTheOutcomeWhenAndWhyAndDropsTheLease) {
  const absl::Time at = absl::FromUnixSeconds(1'800'000'000);
  v1::Execution e = In(v1::EXECUTION_STATUS_RUNNING);
  *e.mutable_lease_expires_at() = ToProtoTimestamp(at + absl::Hours(1));
  ASSERT_THAT(FinishExecution(&e, v1::EXECUTION_STATUS_TIMED_OUT, "slow", at),
              IsOk());
  EXPECT_EQ(e.status(), v1::EXECUTION_STATUS_TIMED_OUT);
  EXPECT_EQ(e.reason(), "slow");
  EXPECT_EQ(FromProto(e.finished_at()), at);
  EXPECT_FALSE(e.has_lease_expires_at());
}

TEST(ExecutionStateTest, FinishingNeedsAnOutcomeAndAnOpenExecution) {
  const absl::Time at = absl::FromUnixSeconds(1'800'000'000);
  v1::Execution running = In(v1::EXECUTION_STATUS_RUNNING);
  EXPECT_THAT(FinishExecution(&running, v1::EXECUTION_STATUS_PENDING, "no", at),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not an outcome")));
  v1::Execution done = In(v1::EXECUTION_STATUS_SUCCEEDED);
  EXPECT_THAT(CancelExecution(&done, "too late", at),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(done.status(), v1::EXECUTION_STATUS_SUCCEEDED);
  EXPECT_EQ(done.reason(), "before");
  EXPECT_FALSE(done.has_finished_at());
}

TEST(ExecutionStateTest, CancelingAPendingExecutionEndsIt) {
  const absl::Time at = absl::FromUnixSeconds(1'800'000'000);
  v1::Execution e = In(v1::EXECUTION_STATUS_PENDING);
  ASSERT_THAT(CancelExecution(&e, "workflow deleted", at), IsOk());
  EXPECT_EQ(e.status(), v1::EXECUTION_STATUS_CANCELED);
  EXPECT_EQ(e.reason(), "workflow deleted");
  EXPECT_EQ(FromProto(e.finished_at()), at);
}

}  // namespace
}  // namespace ap
