// WorkflowStore's typed scans and Purge: records come back parsed, in the
// order and from the place asked for, and a record that does not parse is
// DATA_LOSS naming its key, not skipped.

#include <map>
#include <string>
#include <vector>

#include "aggregator/records/keys.h"
#include "aggregator/records/workflow_store.h"
#include "common/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/backend_store.h"
#include "tests/testing/write_locked.h"

namespace ap {
namespace {

using ::ap::testing::IsOk;
using ::ap::testing::IsOkAndHolds;
using ::ap::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);
constexpr char kA[] = "01JDX6Q8Z3M0V4W9K2N5R7T1YA";
constexpr char kB[] = "01JDX6Q8Z3M0V4W9K2N5R7T1YB";
constexpr char kC[] = "01JDX6Q8Z3M0V4W9K2N5R7T1YC";

v1::Workflow Wf(const std::string& id, const std::string& owner,
                v1::WorkflowStatus status, absl::Time at) {
  v1::Workflow w;
  w.set_id(id);
  w.set_owner(owner);
  w.set_name(id);
  w.set_status(status);
  *w.mutable_created_at() = ToProtoTimestamp(at);
  return w;
}

v1::Execution Exec(const std::string& workflow, absl::Time at) {
  v1::Execution e;
  e.set_id(keys::ExecutionId(workflow, at));
  e.set_workflow_id(workflow);
  e.set_status(v1::EXECUTION_STATUS_SUCCEEDED);
  *e.mutable_scheduled_at() = ToProtoTimestamp(at);
  return e;
}

class RecordScansTest
    : public ::testing::TestWithParam<ap::testing::Backend> {
 protected:
  RecordScansTest() {
    WorkflowBatch b;
    b.PutWorkflow(nullptr, Wf(kA, "alice", v1::WORKFLOW_STATUS_ACTIVE, kT0));
    b.PutWorkflow(nullptr, Wf(kB, "bob", v1::WORKFLOW_STATUS_ACTIVE, kT0));
    b.PutWorkflow(nullptr, Wf(kC, "alice", v1::WORKFLOW_STATUS_PAUSED, kT0));
    for (int i = 0; i < 5; ++i) {
      b.PutExecution(nullptr, Exec(kA, At(i)));
    }
    b.PutExecution(nullptr, Exec(kB, At(0)));
    EXPECT_THAT(WriteLocked(store_, b), IsOk());
  }
  static absl::Time At(int minute) { return kT0 + absl::Minutes(minute); }
  static std::string Id(int minute) {
    return keys::ExecutionId(kA, At(minute));
  }

  std::vector<std::string> Forward(absl::string_view after, int max = 100) {
    std::vector<std::string> ids;
    EXPECT_THAT(store_.ScanExecutions(kA, after,
                                      [&](v1::Execution&& e) {
                                        ids.push_back(e.id());
                                        return static_cast<int>(ids.size()) <
                                               max;
                                      }),
                IsOk());
    return ids;
  }
  std::vector<std::string> Backward(absl::string_view before) {
    std::vector<std::string> ids;
    EXPECT_THAT(store_.ScanExecutionsNewestFirst(kA, before,
                                                 [&](v1::Execution&& e) {
                                                   ids.push_back(e.id());
                                                   return true;
                                                 }),
                IsOk());
    return ids;
  }
  std::vector<std::string> Owned(const std::string& owner,
                                 v1::WorkflowStatus status,
                                 absl::string_view after = "") {
    std::vector<std::string> ids;
    EXPECT_THAT(store_.ScanOwnerWorkflowIds(owner, status, after,
                                            [&](absl::string_view id) {
                                              ids.emplace_back(id);
                                              return true;
                                            }),
                IsOk());
    return ids;
  }

  ap::testing::BackendStore temp_{GetParam()};
  WorkflowStore store_{temp_.get()};
};

TEST_P(RecordScansTest, ExecutionsComeOldestFirstOnlyThoseOfTheWorkflow) {
  EXPECT_THAT(Forward(""), ElementsAre(Id(0), Id(1), Id(2), Id(3), Id(4)));
  EXPECT_THAT(Forward(Id(2)), ElementsAre(Id(3), Id(4)));
  EXPECT_THAT(Forward("", 2), ElementsAre(Id(0), Id(1)));
}

TEST_P(RecordScansTest, ExecutionsComeNewestFirstFromBeforeTheOneGiven) {
  EXPECT_THAT(Backward(""), ElementsAre(Id(4), Id(3), Id(2), Id(1), Id(0)));
  EXPECT_THAT(Backward(Id(2)), ElementsAre(Id(1), Id(0)));
}

TEST_P(RecordScansTest, CountsExecutionsOfOneWorkflow) {
  EXPECT_THAT(store_.CountExecutions(kA), IsOkAndHolds(5));
  EXPECT_THAT(store_.CountExecutions(kB), IsOkAndHolds(1));
  EXPECT_THAT(store_.CountExecutions(kC), IsOkAndHolds(0));
}

TEST_P(RecordScansTest, WorkflowIdsByOwnerAndStatusFromAfterTheOneGiven) {
  std::vector<std::string> all;
  ASSERT_THAT(store_.ScanWorkflowIds([&](absl::string_view id) {
    all.emplace_back(id);
    return true;
  }),
              IsOk());
  EXPECT_THAT(all, ElementsAre(kA, kB, kC));
  EXPECT_THAT(Owned("alice", v1::WORKFLOW_STATUS_UNSPECIFIED),
              ElementsAre(kA, kC));
  EXPECT_THAT(Owned("alice", v1::WORKFLOW_STATUS_PAUSED), ElementsAre(kC));
  EXPECT_THAT(Owned("alice", v1::WORKFLOW_STATUS_UNSPECIFIED, kA),
              ElementsAre(kC));
  EXPECT_THAT(Owned("carol", v1::WORKFLOW_STATUS_UNSPECIFIED), ElementsAre());
}

TEST_P(RecordScansTest, StatusChangesAreTheWorkflowsHistory) {
  const v1::Workflow before = Wf(kA, "alice", v1::WORKFLOW_STATUS_ACTIVE, kT0);
  v1::Workflow paused = before;
  paused.set_status(v1::WORKFLOW_STATUS_PAUSED);
  *paused.mutable_updated_at() = ToProtoTimestamp(At(10));
  WorkflowBatch b;
  b.PutWorkflow(&before, paused);
  ASSERT_THAT(WriteLocked(store_, b), IsOk());
  absl::StatusOr<std::map<absl::Time, v1::WorkflowStatus>> changes =
      store_.StatusChanges(kA);
  ASSERT_THAT(changes, IsOk());
  EXPECT_THAT(*changes,
              ElementsAre(std::pair(kT0, v1::WORKFLOW_STATUS_ACTIVE),
                          std::pair(At(10), v1::WORKFLOW_STATUS_PAUSED)));
}

// RocksDB stores any bytes, and a record that does not parse is found when
// read. PostgreSQL's columns come from the record, so it is refused when
// written.
TEST_P(RecordScansTest, AnExecutionThatDoesNotParseIsDataLossNamingItsKey) {
  WriteBatch raw;
  raw.Put(keys::Execution(kA, Id(2)), "\xff\xff not a record");
  if (GetParam() == ap::testing::Backend::kPostgres) {
    EXPECT_THAT(temp_.get()->Write(raw),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(keys::Execution(kA, Id(2)))));
    return;
  }
  ASSERT_THAT(temp_.get()->Write(raw), IsOk());
  absl::Status s =
      store_.ScanExecutions(kA, "", [](v1::Execution&&) { return true; });
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kDataLoss,
                          HasSubstr(keys::Execution(kA, Id(2)))));
}

TEST_P(RecordScansTest, PurgeLeavesNothingOfTheWorkflowAndNothingElseGoes) {
  absl::StatusOr<std::optional<v1::Workflow>> a = store_.GetWorkflow(kA);
  ASSERT_THAT(a, IsOk());
  ASSERT_TRUE(a->has_value());
  {
    FairMutexLock l(store_.write_mutex());
    // Two executions a write: the chunks must add up to all of them.
    ASSERT_THAT(store_.Purge(**a, /*chunk=*/2), IsOk());
  }
  std::vector<std::string> left;
  ASSERT_THAT(temp_.get()->Scan("", "",
                                [&](absl::string_view key, absl::string_view) {
                                  left.emplace_back(key);
                                  return true;
                                }),
              IsOk());
  for (const std::string& key : left) {
    EXPECT_THAT(key, ::testing::Not(HasSubstr(kA))) << "left behind";
  }
  EXPECT_THAT(store_.CountExecutions(kB), IsOkAndHolds(1));
  EXPECT_THAT(Owned("alice", v1::WORKFLOW_STATUS_UNSPECIFIED), ElementsAre(kC));
}

AP_BOTH_BACKENDS(RecordScansTest);

}  // namespace
}  // namespace ap
