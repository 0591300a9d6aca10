// WorkflowStore: what it keeps in memory (parsed workflows, open
// executions) always agrees with the store, through writes, failed writes
// and raw writes, on either backend.

#include "aggregator/records/workflow_store.h"

#include "aggregator/records/keys.h"
#include "common/proto_time.h"
#include "gtest/gtest.h"
#include "tests/testing/backend_store.h"
#include "tests/testing/faulty_store.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/write_locked.h"

namespace ap {
namespace {

using ::ap::testing::IsOk;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);
constexpr char kWorkflow[] = "01JDX6Q8Z3M0V4W9K2N5R7T1YB";

v1::Workflow Wf(const std::string& name) {
  v1::Workflow w;
  w.set_id(kWorkflow);
  w.set_owner("alice");
  w.set_name(name);
  w.set_status(v1::WORKFLOW_STATUS_ACTIVE);
  return w;
}

v1::Execution Exec(v1::ExecutionStatus status) {
  v1::Execution e;
  e.set_id(keys::ExecutionId(kWorkflow, kT0));
  e.set_workflow_id(kWorkflow);
  e.set_status(status);
  e.set_attempt(1);
  *e.mutable_scheduled_at() = ToProtoTimestamp(kT0);
  return e;
}

class WorkflowStoreTest
    : public ::testing::TestWithParam<ap::testing::Backend> {
 protected:
  // Reads a workflow's name through the store (cache or not).
  std::string Name() {
    absl::StatusOr<std::shared_ptr<const v1::Workflow>> w =
        store_.FindWorkflow(kWorkflow);
    EXPECT_THAT(w, IsOk());
    return w.ok() && *w != nullptr ? (*w)->name() : "(none)";
  }
  v1::ExecutionStatus Status() {
    absl::StatusOr<std::optional<v1::Execution>> e =
        store_.GetExecution(keys::ExecutionId(kWorkflow, kT0));
    EXPECT_THAT(e, IsOk());
    return e.ok() && e->has_value() ? (*e)->status()
                                    : v1::EXECUTION_STATUS_UNSPECIFIED;
  }
  absl::Status Put(const v1::Workflow* before, const v1::Workflow& after) {
    WorkflowBatch b;
    b.PutWorkflow(before, after);
    return WriteLocked(store_, b);
  }
  absl::Status Put(const v1::Execution* before, const v1::Execution& after) {
    WorkflowBatch b;
    b.PutExecution(before, after);
    return WriteLocked(store_, b);
  }

  ap::testing::BackendStore backend_{GetParam()};
  ap::testing::FaultyStore faulty_{backend_.get()};
  WorkflowStore store_{&faulty_};
};

TEST_P(WorkflowStoreTest, EveryCommittedWorkflowWriteIsWhatIsRead) {
  const v1::Workflow one = Wf("one");
  ASSERT_THAT(Put(nullptr, one), IsOk());
  EXPECT_EQ(Name(), "one");
  const v1::Workflow two = Wf("two");
  ASSERT_THAT(Put(&one, two), IsOk());
  EXPECT_EQ(Name(), "two");
  WorkflowBatch del;
  del.DeleteWorkflow(two);
  ASSERT_THAT(WriteLocked(store_, del), IsOk());
  EXPECT_EQ(Name(), "(none)");
}

TEST_P(WorkflowStoreTest, AFailedWriteLeavesTheStoredVersionVisible) {
  const v1::Workflow one = Wf("one");
  ASSERT_THAT(Put(nullptr, one), IsOk());
  const v1::Execution pending = Exec(v1::EXECUTION_STATUS_PENDING);
  ASSERT_THAT(Put(nullptr, pending), IsOk());
  ASSERT_THAT(store_.PendingExecutions(10, kT0), IsOk());  // loads the index
  EXPECT_EQ(Name(), "one");

  faulty_.fail_writes = true;
  EXPECT_FALSE(Put(&one, Wf("two")).ok());
  EXPECT_FALSE(Put(&pending, Exec(v1::EXECUTION_STATUS_DISPATCHED)).ok());
  EXPECT_EQ(Name(), "one");
  EXPECT_EQ(Status(), v1::EXECUTION_STATUS_PENDING);
  EXPECT_EQ(store_.PendingExecutions(10, kT0)->size(), 1u);
}

TEST_P(WorkflowStoreTest, OpenExecutionsFollowEveryChangeUntilClosed) {
  const v1::Execution pending = Exec(v1::EXECUTION_STATUS_PENDING);
  ASSERT_THAT(Put(nullptr, pending), IsOk());
  ASSERT_THAT(store_.PendingExecutions(10, kT0), IsOk());  // loads the index
  v1::Execution running = Exec(v1::EXECUTION_STATUS_RUNNING);
  *running.mutable_lease_expires_at() =
      ToProtoTimestamp(kT0 + absl::Minutes(5));
  ASSERT_THAT(Put(&pending, running), IsOk());
  EXPECT_EQ(Status(), v1::EXECUTION_STATUS_RUNNING);
  ASSERT_THAT(Put(&running, Exec(v1::EXECUTION_STATUS_SUCCEEDED)), IsOk());
  EXPECT_EQ(Status(), v1::EXECUTION_STATUS_SUCCEEDED);  // from the store
  EXPECT_TRUE(store_.ExpiredLeases(kT0 + absl::Hours(1))->empty());
}

TEST_P(WorkflowStoreTest, RawWritesAreSeenByTheNextRead) {
  ASSERT_THAT(Put(nullptr, Wf("one")), IsOk());
  ASSERT_THAT(Put(nullptr, Exec(v1::EXECUTION_STATUS_PENDING)), IsOk());
  ASSERT_THAT(store_.PendingExecutions(10, kT0), IsOk());
  EXPECT_EQ(Name(), "one");
  WriteBatch raw;  // as the REPL's rm does
  raw.Delete(keys::Workflow(kWorkflow));
  raw.Delete(keys::Execution(kWorkflow, keys::ExecutionId(kWorkflow, kT0)));
  ASSERT_THAT(store_.WriteRaw(raw), IsOk());
  EXPECT_EQ(Name(), "(none)");
  EXPECT_EQ(Status(), v1::EXECUTION_STATUS_UNSPECIFIED);
  EXPECT_TRUE(store_.PendingExecutions(10, kT0)->empty());
}

TEST_P(WorkflowStoreTest, WorkflowCountsFollowEveryStatusChange) {
  auto count = [&](v1::WorkflowStatus s) -> int64_t {
    absl::StatusOr<absl::flat_hash_map<v1::WorkflowStatus, int64_t>> c =
        store_.WorkflowCounts();
    EXPECT_THAT(c, IsOk());
    return c.ok() && c->contains(s) ? c->at(s) : 0;
  };
  const v1::Workflow a = Wf("a");
  ASSERT_THAT(Put(nullptr, a), IsOk());
  EXPECT_EQ(count(v1::WORKFLOW_STATUS_ACTIVE), 1);  // counted from wfs/
  v1::Workflow b = Wf("b");
  b.set_id("01JDX6Q8Z3M0V4W9K2N5R7T1YC");
  b.set_status(v1::WORKFLOW_STATUS_PAUSED);
  ASSERT_THAT(Put(nullptr, b), IsOk());
  v1::Workflow a_done = a;
  a_done.set_status(v1::WORKFLOW_STATUS_COMPLETED);
  ASSERT_THAT(Put(&a, a_done), IsOk());
  EXPECT_EQ(count(v1::WORKFLOW_STATUS_ACTIVE), 0);
  EXPECT_EQ(count(v1::WORKFLOW_STATUS_PAUSED), 1);
  EXPECT_EQ(count(v1::WORKFLOW_STATUS_COMPLETED), 1);

  faulty_.fail_writes = true;  // a failed write changes no count
  WorkflowBatch del;
  del.DeleteWorkflow(b);
  EXPECT_FALSE(WriteLocked(store_, del).ok());
  EXPECT_EQ(count(v1::WORKFLOW_STATUS_PAUSED), 1);
  faulty_.fail_writes = false;
  ASSERT_THAT(WriteLocked(store_, del), IsOk());
  EXPECT_EQ(count(v1::WORKFLOW_STATUS_PAUSED), 0);
}

// On RocksDB the status index is keys of its own, which the REPL can
// remove; on PostgreSQL it is the table's index, and writing it changes
// nothing.
TEST_P(WorkflowStoreTest, RemovingAStatusIndexKeyByHandIsCountedAgain) {
  auto active = [&]() -> int64_t {
    absl::StatusOr<absl::flat_hash_map<v1::WorkflowStatus, int64_t>> c =
        store_.WorkflowCounts();
    EXPECT_THAT(c, IsOk());
    return c.ok() && c->contains(v1::WORKFLOW_STATUS_ACTIVE)
               ? c->at(v1::WORKFLOW_STATUS_ACTIVE)
               : 0;
  };
  ASSERT_THAT(Put(nullptr, Wf("a")), IsOk());
  ASSERT_EQ(active(), 1);
  WriteBatch raw;  // the REPL's rm of an index key
  raw.Delete(keys::StatusIndex("alice", v1::WORKFLOW_STATUS_ACTIVE, kWorkflow));
  ASSERT_THAT(store_.WriteRaw(raw), IsOk());
  EXPECT_EQ(active(), GetParam() == ap::testing::Backend::kRocksDb ? 0 : 1);
}

TEST_P(WorkflowStoreTest, OpenCountsAreByStatus) {
  const v1::Execution pending = Exec(v1::EXECUTION_STATUS_PENDING);
  ASSERT_THAT(Put(nullptr, pending), IsOk());
  EXPECT_EQ(store_.OpenCounts()->at(v1::EXECUTION_STATUS_PENDING), 1u);
  v1::Execution dispatched = Exec(v1::EXECUTION_STATUS_DISPATCHED);
  *dispatched.mutable_lease_expires_at() =
      ToProtoTimestamp(kT0 + absl::Minutes(5));
  ASSERT_THAT(Put(&pending, dispatched), IsOk());
  absl::StatusOr<absl::flat_hash_map<v1::ExecutionStatus, size_t>> counts =
      store_.OpenCounts();
  ASSERT_THAT(counts, IsOk());
  EXPECT_EQ(counts->at(v1::EXECUTION_STATUS_PENDING), 0u);
  EXPECT_EQ(counts->at(v1::EXECUTION_STATUS_DISPATCHED), 1u);
  EXPECT_EQ(counts->at(v1::EXECUTION_STATUS_RUNNING), 0u);
}

// Two aggregators on one database: what one keeps in memory does not see
// the other's writes until it forgets it (as a new leader does).
TEST_P(WorkflowStoreTest, AfterForgetWhatAnotherWroteIsWhatIsRead) {
  const v1::Workflow one = Wf("one");
  const v1::Execution pending = Exec(v1::EXECUTION_STATUS_PENDING);
  ASSERT_THAT(Put(nullptr, one), IsOk());
  ASSERT_THAT(Put(nullptr, pending), IsOk());
  ASSERT_EQ(store_.PendingExecutions(10, kT0)->size(), 1u);
  ASSERT_EQ(Name(), "one");
  ASSERT_EQ(store_.WorkflowCounts()->at(v1::WORKFLOW_STATUS_ACTIVE), 1);

  WorkflowStore other(backend_.get());
  v1::Workflow paused = Wf("two");
  paused.set_status(v1::WORKFLOW_STATUS_PAUSED);
  WorkflowBatch b;
  b.PutWorkflow(&one, paused);
  b.PutExecution(&pending, Exec(v1::EXECUTION_STATUS_SUCCEEDED));
  ASSERT_THAT(WriteLocked(other, b), IsOk());

  store_.Forget();
  EXPECT_EQ(Name(), "two");
  EXPECT_TRUE(store_.PendingExecutions(10, kT0)->empty());
  absl::StatusOr<absl::flat_hash_map<v1::WorkflowStatus, int64_t>> counts =
      store_.WorkflowCounts();
  ASSERT_THAT(counts, IsOk());
  EXPECT_FALSE(counts->contains(v1::WORKFLOW_STATUS_ACTIVE) &&
               counts->at(v1::WORKFLOW_STATUS_ACTIVE) > 0);
  EXPECT_EQ(counts->at(v1::WORKFLOW_STATUS_PAUSED), 1);
}

AP_BOTH_BACKENDS(WorkflowStoreTest);

}  // namespace
}  // namespace ap
