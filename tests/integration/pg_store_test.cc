// What the PostgreSQL store adds to the Store contract
// (store_contract_test.cc): writes fenced by the leader lease, a schema it
// versions itself, tables a DBA can read, keys it refuses, and a database
// that goes away and comes back.

#include "aggregator/store/pg_store.h"

#include <memory>
#include <string>

#include "aggregator/cluster/leader_lease.h"
#include "aggregator/records/keys.h"
#include "aggregator/records/workflow_store.h"
#include "aggregator/store/pg_schema.h"
#include "common/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/backend_store.h"
#include "tests/testing/eventually.h"
#include "tests/testing/status_matchers.h"

namespace ap {
namespace {

using ::ap::testing::IsOk;
using ::ap::testing::IsOkAndHolds;
using ::ap::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);
constexpr char kA[] = "01JDX6Q8Z3M0V4W9K2N5R7T1YA";

v1::Workflow Wf(const std::string& name) {
  v1::Workflow w;
  w.set_id(kA);
  w.set_owner("alice");
  w.set_name(name);
  w.set_status(v1::WORKFLOW_STATUS_ACTIVE);
  *w.mutable_created_at() = ToProtoTimestamp(kT0);
  return w;
}

WriteBatch PutWorkflow(const std::string& name) {
  WriteBatch b;
  b.Put(keys::Workflow(kA), Wf(name).SerializeAsString());
  return b;
}

std::unique_ptr<PgConnection> Connect(const std::string& dsn) {
  absl::StatusOr<std::unique_ptr<PgConnection>> c = PgConnection::Connect(dsn);
  EXPECT_THAT(c, IsOk());
  return c.ok() ? *std::move(c) : nullptr;
}

// The rows of `sql`, each row's columns joined with '|'.
std::vector<std::string> Query(PgConnection* conn, const std::string& sql) {
  std::vector<std::string> out;
  absl::StatusOr<PgRows> rows = conn->Exec(sql);
  EXPECT_THAT(rows, IsOk()) << sql;
  if (!rows.ok()) return out;
  for (const auto& row : rows->rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, i == 0 ? "" : "|", row[i].value_or("NULL"));
    }
    out.push_back(line);
  }
  return out;
}

class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NE(sql_, nullptr); }

  absl::StatusOr<std::unique_ptr<PostgresStore>> Open(
      PgStoreOptions options = {}) {
    options.dsn = dsn_;
    return PostgresStore::Open(std::move(options));
  }

  const std::string dsn_ = ap::testing::FreshPostgresDatabase();
  std::unique_ptr<PgConnection> sql_ = Connect(dsn_);
};

TEST_F(PgStoreTest, ANewDatabaseGetsTheSchemaAndAnOpenOneIsLeftAsItIs) {
  absl::StatusOr<std::unique_ptr<PostgresStore>> first = Open();
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ((*first)->schema_version_found(), 0);
  ASSERT_THAT((*first)->Write(PutWorkflow("kept")), IsOk());
  absl::StatusOr<std::unique_ptr<PostgresStore>> second = Open();
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ((*second)->schema_version_found(), kPgSchemaVersion);
  EXPECT_THAT(Query(sql_.get(), "SELECT name FROM ap_workflows"),
              ElementsAre("kept"));
  EXPECT_THAT(
      Query(sql_.get(), "SELECT value FROM ap_meta WHERE name = "
                        "'schema_version'"),
      ElementsAre(absl::StrCat(kPgSchemaVersion)));
}

TEST_F(PgStoreTest, ASchemaFromANewerAggregatorIsRefusedAndLeftAlone) {
  ASSERT_THAT(Open(), IsOk());
  ASSERT_THAT(sql_->Exec("UPDATE ap_meta SET value = '99' "
                         "WHERE name = 'schema_version'"),
              IsOk());
  EXPECT_THAT(Open(), StatusIs(absl::StatusCode::kFailedPrecondition,
                               HasSubstr("schema is version 99")));
  EXPECT_THAT(Query(sql_.get(), "SELECT value FROM ap_meta WHERE name = "
                                "'schema_version'"),
              ElementsAre("99"));
}

TEST_F(PgStoreTest, ASchemaOfVersionOneIsMigratedKeepingItsRows) {
  {
    absl::StatusOr<std::unique_ptr<PostgresStore>> store = Open();
    ASSERT_THAT(store, IsOk());
    ASSERT_THAT((*store)->Write(PutWorkflow("kept")), IsOk());
  }
  // What an aggregator of schema version 1 left.
  ASSERT_THAT(sql_->Exec("DROP TABLE ap_notifications; DROP TABLE "
                         "ap_notify_state; UPDATE ap_meta SET value = '1' "
                         "WHERE name = 'schema_version'"),
              IsOk());
  absl::StatusOr<std::unique_ptr<PostgresStore>> store = Open();
  ASSERT_THAT(store, IsOk());
  EXPECT_EQ((*store)->schema_version_found(), 1);
  EXPECT_THAT(Query(sql_.get(), "SELECT name FROM ap_workflows"),
              ElementsAre("kept"));
  WriteBatch b;
  b.Put(keys::NotifyState(kA), "state");
  b.Put(keys::Notification(kA, "n-1"), "notification");
  ASSERT_THAT((*store)->Write(b), IsOk());
  EXPECT_THAT(Query(sql_.get(), "SELECT id FROM ap_notifications"),
              ElementsAre("n-1"));
  EXPECT_THAT(Query(sql_.get(), "SELECT workflow_id FROM ap_notify_state"),
              ElementsAre(kA));
  EXPECT_THAT(*(*store)->Get(keys::Notification(kA, "n-1")),
              ::testing::Optional(std::string("notification")));
}

TEST_F(PgStoreTest, TheTablesSayWhatTheRecordsSay) {
  absl::StatusOr<std::unique_ptr<PostgresStore>> store = Open();
  ASSERT_THAT(store, IsOk());
  WorkflowStore records(store->get());
  v1::Execution e;
  e.set_id(keys::ExecutionId(kA, kT0));
  e.set_workflow_id(kA);
  e.set_status(v1::EXECUTION_STATUS_DISPATCHED);
  e.set_attempt(2);
  e.set_operator_id("op-1");
  *e.mutable_scheduled_at() = ToProtoTimestamp(kT0);
  WorkflowBatch b;
  b.PutWorkflow(nullptr, Wf("nightly"));
  b.PutExecution(nullptr, e);
  {
    FairMutexLock l(records.write_mutex());
    ASSERT_THAT(records.Write(b), IsOk());
  }
  ASSERT_THAT(sql_->Exec("SET TIME ZONE 'UTC'"), IsOk());
  EXPECT_THAT(Query(sql_.get(),
                    "SELECT id, owner, name, status FROM ap_workflows"),
              ElementsAre(absl::StrCat(kA, "|alice|nightly|ACTIVE")));
  EXPECT_THAT(
      Query(sql_.get(), "SELECT workflow_id, status, attempt, scheduled_at, "
                        "operator_id, written_epoch FROM ap_executions"),
      ElementsAre(absl::StrCat(kA, "|DISPATCHED|2|2027-01-15 08:00:00+00|op-1|0")));
  EXPECT_THAT(Query(sql_.get(), "SELECT status, at FROM ap_workflow_events"),
              ElementsAre("WORKFLOW_STATUS_ACTIVE|2027-01-15 08:00:00+00"));
}

TEST_F(PgStoreTest, AKeyOfNoTableIsRefusedAndNothingOfItsBatchIsWritten) {
  absl::StatusOr<std::unique_ptr<PostgresStore>> store = Open();
  ASSERT_THAT(store, IsOk());
  WriteBatch b = PutWorkflow("one");
  b.Put("tmp/x", "y");
  EXPECT_THAT((*store)->Write(b), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("\"tmp/x\"")));
  WriteBatch bad_shape;
  bad_shape.Put(keys::Workflow(kA) + "/extra", Wf("x").SerializeAsString());
  EXPECT_THAT((*store)->Write(bad_shape),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("component")));
  EXPECT_THAT((*store)->Get(keys::Workflow(kA)), IsOkAndHolds(std::nullopt));
}

class FencedPgStoreTest : public PgStoreTest {
 protected:
  void SetUp() override {
    PgStoreTest::SetUp();
    PgStoreOptions options;
    options.fenced = true;
    options.on_fenced_out = [this](int64_t epoch) { fenced_out_ = epoch; };
    absl::StatusOr<std::unique_ptr<PostgresStore>> s = Open(options);
    ASSERT_THAT(s, IsOk());
    store_ = *std::move(s);
    a_conn_ = Connect(dsn_);
    b_conn_ = Connect(dsn_);
    a_ = std::make_unique<LeaderLease>(a_conn_.get(), "agg-a/1");
    b_ = std::make_unique<LeaderLease>(b_conn_.get(), "agg-b/1");
  }

  std::unique_ptr<PostgresStore> store_;
  std::unique_ptr<PgConnection> a_conn_, b_conn_;
  std::unique_ptr<LeaderLease> a_, b_;
  int64_t fenced_out_ = 0;
};

TEST_F(FencedPgStoreTest, AStandbyWritesNothing) {
  EXPECT_THAT(store_->Write(PutWorkflow("one")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("not the leader")));
  EXPECT_THAT(store_->Get(keys::Workflow(kA)), IsOkAndHolds(std::nullopt));
}

TEST_F(FencedPgStoreTest, TheLeaderWritesWithItsEpochOnEachRow) {
  absl::StatusOr<LeaseView> held = a_->TryAcquire(absl::Seconds(30));
  ASSERT_THAT(held, IsOk());
  store_->Fence(a_->name(), a_->holder(), held->epoch);
  ASSERT_THAT(store_->Write(PutWorkflow("one")), IsOk());
  EXPECT_THAT(Query(sql_.get(), "SELECT name, written_epoch FROM ap_workflows"),
              ElementsAre("one|1"));
}

// A leader paused past its lease comes back and writes: its epoch is gone,
// so nothing lands, and the store says so at once.
TEST_F(FencedPgStoreTest, ADeposedLeadersWriteLandsNothing) {
  absl::StatusOr<LeaseView> held = a_->TryAcquire(absl::Milliseconds(200));
  ASSERT_THAT(held, IsOk());
  store_->Fence(a_->name(), a_->holder(), held->epoch);
  ASSERT_THAT(store_->Write(PutWorkflow("one")), IsOk());
  ASSERT_TRUE(ap::testing::Eventually([&] {
    absl::StatusOr<LeaseView> b = b_->TryAcquire(absl::Seconds(30));
    return b.ok() && b->acquired;
  }));
  EXPECT_THAT(store_->Write(PutWorkflow("two")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("epoch 1 is no longer held")));
  EXPECT_EQ(fenced_out_, 1);
  EXPECT_THAT(Query(sql_.get(), "SELECT name, written_epoch FROM ap_workflows"),
              ElementsAre("one|1"));
}

// The database goes away and comes back (its own server: the others share
// one).
TEST(PgStoreRestartTest, CallsFailUnavailableWhileTheDatabaseIsDownThenWork) {
  ap::testing::TempPostgres pg;
  ASSERT_TRUE(pg.ok());
  PgStoreOptions options;
  options.dsn = pg.dsn();
  options.reconnect_backoff = absl::Seconds(2);
  absl::StatusOr<std::unique_ptr<PostgresStore>> store =
      PostgresStore::Open(options);
  ASSERT_THAT(store, IsOk());
  ASSERT_THAT((*store)->Write(PutWorkflow("before")), IsOk());
  pg.Stop();
  EXPECT_THAT((*store)->Write(PutWorkflow("during")),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT((*store)->Get(keys::Workflow(kA)),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT((*store)->Write(PutWorkflow("during")),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("cannot reconnect")));
  // Within the backoff, a call fails without trying to connect (the
  // answer comes from the gate, not from libpq): no reconnect storm.
  EXPECT_THAT((*store)->Write(PutWorkflow("during")),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("trying again in")));
  ASSERT_TRUE(pg.Start());
  ASSERT_TRUE(ap::testing::Eventually(
      [&] { return (*store)->Write(PutWorkflow("after")).ok(); }));
  EXPECT_THAT((*store)->Get(keys::Workflow(kA)),
              IsOkAndHolds(Optional(Wf("after").SerializeAsString())));
}

}  // namespace
}  // namespace ap
