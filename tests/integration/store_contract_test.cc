// The Store contract, on both backends: Get, atomic batches in which the
// last operation on a key counts, and scans forward and backward from any
// place under any prefix, in key order. The records are written as the
// aggregator writes them (WorkflowBatch, with their index keys), and every
// answer is checked against a model: the sorted set of keys written.

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "aggregator/records/keys.h"
#include "aggregator/records/workflow_store.h"
#include "common/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/backend_store.h"
#include "tests/testing/status_matchers.h"

namespace ap {
namespace {

using ::ap::testing::IsOk;
using ::ap::testing::IsOkAndHolds;
using ::testing::Optional;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);
constexpr char kA[] = "01JDX6Q8Z3M0V4W9K2N5R7T1YA";
constexpr char kB[] = "01JDX6Q8Z3M0V4W9K2N5R7T1YB";

v1::Workflow Wf(const std::string& id, const std::string& owner,
                v1::WorkflowStatus status) {
  v1::Workflow w;
  w.set_id(id);
  w.set_owner(owner);
  w.set_name("w-" + id);
  w.set_status(status);
  *w.mutable_created_at() = ToProtoTimestamp(kT0);
  return w;
}

v1::Execution Exec(const std::string& workflow, int second,
                   v1::ExecutionStatus status) {
  v1::Execution e;
  const absl::Time at = kT0 + absl::Seconds(second);
  e.set_id(keys::ExecutionId(workflow, at));
  e.set_workflow_id(workflow);
  e.set_status(status);
  e.set_attempt(1);
  *e.mutable_scheduled_at() = ToProtoTimestamp(at);
  return e;
}

class StoreContractTest
    : public ::testing::TestWithParam<ap::testing::Backend> {
 protected:
  // The model starts with what a new store holds (meta/ keys of its own).
  StoreContractTest() {
    for (const std::string& k : Scanned("", "", false)) model_.insert(k);
  }

  // Writes `batch` and adds its keys to the model.
  void Write(const WorkflowBatch& batch) {
    ASSERT_THAT(store()->Write(batch.raw()), IsOk());
    for (const WriteBatch::Op& op : batch.raw().ops()) {
      if (op.is_delete) {
        model_.erase(op.key);
      } else {
        model_.insert(op.key);
      }
    }
  }
  // Two owners' workflows, open and closed executions, status history.
  void WriteRecords(int executions) {
    WorkflowBatch b;
    b.PutWorkflow(nullptr, Wf(kA, "alice", v1::WORKFLOW_STATUS_ACTIVE));
    b.PutWorkflow(nullptr, Wf(kB, "alice-b", v1::WORKFLOW_STATUS_PAUSED));
    for (int i = 0; i < executions; ++i) {
      b.PutExecution(nullptr,
                     Exec(kA, i,
                          i % 3 == 0 ? v1::EXECUTION_STATUS_PENDING
                                     : v1::EXECUTION_STATUS_SUCCEEDED));
    }
    b.PutExecution(nullptr, Exec(kB, 0, v1::EXECUTION_STATUS_RUNNING));
    Write(b);
  }
  Store* store() { return backend_.get(); }

  std::vector<std::string> Scanned(const std::string& prefix,
                                   const std::string& from, bool reverse,
                                   size_t max = SIZE_MAX) {
    std::vector<std::string> keys;
    auto fn = [&](absl::string_view key, absl::string_view) {
      keys.emplace_back(key);
      return keys.size() < max;
    };
    absl::Status s = reverse ? store()->ScanReverse(prefix, from, fn)
                             : store()->Scan(prefix, from, fn);
    EXPECT_THAT(s, IsOk()) << prefix << " from " << from;
    return keys;
  }
  // What the model says: keys under `prefix` after `from` (before it when
  // reverse), in order. meta/ keys are the backend's own.
  std::vector<std::string> Expected(const std::string& prefix,
                                    const std::string& from, bool reverse,
                                    size_t max = SIZE_MAX) {
    std::vector<std::string> keys;
    for (const std::string& k : model_) {
      if (!absl::StartsWith(k, prefix)) continue;
      if (!from.empty() && (reverse ? k >= from : k <= from)) continue;
      keys.push_back(k);
    }
    if (reverse) std::reverse(keys.begin(), keys.end());
    if (keys.size() > max) keys.resize(max);
    return keys;
  }
  void ExpectScansAgree(const std::string& prefix, const std::string& from) {
    for (bool reverse : {false, true}) {
      EXPECT_EQ(Scanned(prefix, from, reverse), Expected(prefix, from, reverse))
          << (reverse ? "reverse " : "") << "scan of \"" << prefix
          << "\" from \"" << from << "\"";
      EXPECT_EQ(Scanned(prefix, from, reverse, 3),
                Expected(prefix, from, reverse, 3))
          << "stopped after 3";
    }
  }

  ap::testing::BackendStore backend_{GetParam()};
  std::set<std::string> model_;
};

TEST_P(StoreContractTest, GetSeesTheLastWriteOfAKey) {
  const v1::Workflow one = Wf(kA, "alice", v1::WORKFLOW_STATUS_ACTIVE);
  EXPECT_THAT(store()->Get(keys::Workflow(kA)), IsOkAndHolds(std::nullopt));
  WriteBatch put;
  put.Put(keys::Workflow(kA), one.SerializeAsString());
  ASSERT_THAT(store()->Write(put), IsOk());
  EXPECT_THAT(store()->Get(keys::Workflow(kA)),
              IsOkAndHolds(Optional(one.SerializeAsString())));

  // In one batch, the last operation on a key is the one that counts.
  v1::Workflow two = one;
  two.set_name("two");
  WriteBatch del_then_put;
  del_then_put.Delete(keys::Workflow(kA));
  del_then_put.Put(keys::Workflow(kA), two.SerializeAsString());
  ASSERT_THAT(store()->Write(del_then_put), IsOk());
  EXPECT_THAT(store()->Get(keys::Workflow(kA)),
              IsOkAndHolds(Optional(two.SerializeAsString())));
  WriteBatch put_then_del;
  put_then_del.Put(keys::Workflow(kA), one.SerializeAsString());
  put_then_del.Delete(keys::Workflow(kA));
  ASSERT_THAT(store()->Write(put_then_del), IsOk());
  EXPECT_THAT(store()->Get(keys::Workflow(kA)), IsOkAndHolds(std::nullopt));
}

TEST_P(StoreContractTest, ValuesComeBackByteForByte) {
  v1::Execution e = Exec(kA, 0, v1::EXECUTION_STATUS_FAILED);
  e.set_reason(std::string("nul \0 and \xc3\xa9", 12));
  e.set_attempt(0x7fff'ffff);  // varint bytes >= 0x80
  WorkflowBatch b;
  b.PutExecution(nullptr, e);
  Write(b);
  EXPECT_THAT(store()->Get(keys::Execution(kA, e.id())),
              IsOkAndHolds(Optional(e.SerializeAsString())));
  WriteBatch status;
  status.Put(keys::Event(kA, kT0), "PAUSED");
  ASSERT_THAT(store()->Write(status), IsOk());
  EXPECT_THAT(store()->Get(keys::Event(kA, kT0)),
              IsOkAndHolds(Optional(std::string("PAUSED"))));
}

TEST_P(StoreContractTest, ScansAgreeWithTheKeysWrittenFromAnyPlace) {
  WriteRecords(12);
  const std::vector<std::string> prefixes = {
      "",
      "e",
      "ex/",
      keys::ExecutionPrefix(kA),
      keys::ExecutionPrefix(kA) + kA + "-2027",
      keys::OpenPrefix(kA),
      "open/",
      "wf",
      "wf/",
      keys::OwnerPrefix("alice"),
      "wfo/alice",
      keys::StatusPrefix("alice", v1::WORKFLOW_STATUS_ACTIVE),
      "wfs/",
      keys::EventPrefix(kA),
      "zz"};
  for (const std::string& prefix : prefixes) {
    ExpectScansAgree(prefix, "");
    for (const std::string& from : model_) ExpectScansAgree(prefix, from);
    ExpectScansAgree(prefix, "a");
    ExpectScansAgree(prefix, "zzz");
  }
}

TEST_P(StoreContractTest, LongScansGoOnPastAPage) {
  WriteRecords(1234);
  const std::string prefix = keys::ExecutionPrefix(kA);
  ExpectScansAgree(prefix, "");
  ExpectScansAgree("open/", "");
  const std::vector<std::string> all = Expected(prefix, "", false);
  ExpectScansAgree(prefix, all[600]);
  ExpectScansAgree("", all[1000]);
}

TEST_P(StoreContractTest, DeletedRecordsLeaveNoKeyBehind) {
  WriteRecords(4);
  WorkflowBatch b;
  b.DeleteWorkflow(Wf(kB, "alice-b", v1::WORKFLOW_STATUS_PAUSED));
  b.DeleteExecution(Exec(kB, 0, v1::EXECUTION_STATUS_RUNNING));
  Write(b);
  ExpectScansAgree("", "");
}

TEST_P(StoreContractTest, WritesSurviveAReopen) {
  WriteRecords(5);
  backend_.Reopen();
  ExpectScansAgree("", "");
}

AP_BOTH_BACKENDS(StoreContractTest);

}  // namespace
}  // namespace ap
