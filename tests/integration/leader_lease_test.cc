// The leader lease on a real PostgreSQL (a server of the test's own, on a
// unix socket): one holder at a time, by the database's clock, a new epoch
// at each change of holder, and a fence that no deposed holder passes.

#include "aggregator/cluster/leader_lease.h"

#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_postgres.h"

namespace ap {
namespace {

using ::ap::testing::IsOk;
using ::ap::testing::IsOkAndHolds;
using ::ap::testing::StatusIs;
using ::testing::Optional;

constexpr absl::Duration kLong = absl::Seconds(30);
constexpr absl::Duration kShort = absl::Milliseconds(300);

class LeaderLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pg_.ok());
    a_conn_ = Connect();
    b_conn_ = Connect();
    ASSERT_NE(a_conn_, nullptr);
    ASSERT_NE(b_conn_, nullptr);
    a_ = std::make_unique<LeaderLease>(a_conn_.get(), "agg-a/1");
    b_ = std::make_unique<LeaderLease>(b_conn_.get(), "agg-b/1");
    ASSERT_THAT(a_->EnsureTable(), IsOk());
    ASSERT_THAT(b_->EnsureTable(), IsOk());
  }
  std::unique_ptr<PgConnection> Connect() {
    absl::StatusOr<std::unique_ptr<PgConnection>> c =
        PgConnection::Connect(pg_.dsn());
    EXPECT_THAT(c, IsOk());
    return c.ok() ? *std::move(c) : nullptr;
  }
  // B tries until A's lease has run out by the database's clock.
  LeaseView BTakesOver() {
    for (const absl::Time until = absl::Now() + absl::Seconds(10);;) {
      absl::StatusOr<LeaseView> v = b_->TryAcquire(kLong);
      EXPECT_THAT(v, IsOk());
      if (!v.ok()) return LeaseView();
      if (v->acquired || absl::Now() > until) return *v;
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
  // Waits until the lease has run out by the database's clock (read on B's
  // connection).
  void AwaitRunOut() {
    for (const absl::Time until = absl::Now() + absl::Seconds(10);;) {
      absl::StatusOr<LeaseView> v = b_->Read();
      ASSERT_THAT(v, IsOk());
      if (v->remaining <= absl::ZeroDuration()) return;
      ASSERT_LT(absl::Now(), until) << "the lease never ran out";
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
  // Whether `lease`'s holder passes the fence at `epoch`, in a transaction
  // of its own connection.
  bool PassesFence(PgConnection* conn, const LeaderLease& lease,
                   int64_t epoch) {
    EXPECT_THAT(conn->Exec("BEGIN"), IsOk());
    absl::StatusOr<PgRows> r =
        conn->Exec(LeaderLease::kFenceSql,
                   {lease.name(), lease.holder(), absl::StrCat(epoch)});
    EXPECT_THAT(r, IsOk());
    EXPECT_THAT(conn->Exec("COMMIT"), IsOk());
    return r.ok() && r->rows.size() == 1;
  }

  ap::testing::TempPostgres pg_;
  std::unique_ptr<PgConnection> a_conn_, b_conn_;
  std::unique_ptr<LeaderLease> a_, b_;
};

TEST_F(LeaderLeaseTest, TheFirstToAskHoldsItAtEpochOneAndTheOtherSeesWho) {
  absl::StatusOr<LeaseView> a = a_->TryAcquire(kLong);
  ASSERT_THAT(a, IsOk());
  EXPECT_TRUE(a->acquired);
  EXPECT_EQ(a->epoch, 1);
  EXPECT_GT(a->remaining, kLong - absl::Seconds(5));
  absl::StatusOr<LeaseView> b = b_->TryAcquire(kLong);
  ASSERT_THAT(b, IsOk());
  EXPECT_FALSE(b->acquired);
  EXPECT_EQ(b->holder, "agg-a/1");
  EXPECT_EQ(b->epoch, 1);
  EXPECT_GT(b->remaining, absl::ZeroDuration());
}

TEST_F(LeaderLeaseTest, OnlyTheHolderOfTheEpochRenews) {
  ASSERT_THAT(a_->TryAcquire(kLong), IsOk());
  EXPECT_THAT(a_->Renew(1, kLong),
              IsOkAndHolds(Optional(::testing::Gt(kLong - absl::Seconds(5)))));
  EXPECT_THAT(a_->Renew(2, kLong), IsOkAndHolds(std::nullopt));
  EXPECT_THAT(b_->Renew(1, kLong), IsOkAndHolds(std::nullopt));
}

TEST_F(LeaderLeaseTest, ALeaseThatRanOutGoesToTheNextWithTheNextEpoch) {
  ASSERT_THAT(a_->TryAcquire(kShort), IsOk());
  const LeaseView b = BTakesOver();
  ASSERT_TRUE(b.acquired);
  EXPECT_EQ(b.epoch, 2);
  // A, paused past its lease, comes back: its epoch is gone.
  EXPECT_THAT(a_->Renew(1, kLong), IsOkAndHolds(std::nullopt));
  absl::StatusOr<LeaseView> a = a_->TryAcquire(kLong);
  ASSERT_THAT(a, IsOk());
  EXPECT_FALSE(a->acquired);
  EXPECT_EQ(a->holder, "agg-b/1");
}

TEST_F(LeaderLeaseTest, ReleaseLetsAStandbyTakeOverAtOnce) {
  ASSERT_THAT(a_->TryAcquire(kLong), IsOk());
  ASSERT_THAT(a_->Release(1), IsOk());
  absl::StatusOr<LeaseView> b = b_->TryAcquire(kLong);
  ASSERT_THAT(b, IsOk());
  EXPECT_TRUE(b->acquired);
  EXPECT_EQ(b->epoch, 2);
  // A release by a deposed holder changes nothing.
  ASSERT_THAT(a_->Release(1), IsOk());
  EXPECT_THAT(b_->Renew(2, kLong),
              IsOkAndHolds(Optional(::testing::Gt(absl::ZeroDuration()))));
}

TEST_F(LeaderLeaseTest, OnlyTheCurrentHolderPassesTheFence) {
  ASSERT_THAT(a_->TryAcquire(kShort), IsOk());
  EXPECT_TRUE(PassesFence(a_conn_.get(), *a_, 1));
  EXPECT_FALSE(PassesFence(b_conn_.get(), *b_, 1));
  ASSERT_TRUE(BTakesOver().acquired);
  EXPECT_FALSE(PassesFence(a_conn_.get(), *a_, 1));
  EXPECT_TRUE(PassesFence(b_conn_.get(), *b_, 2));
}

// A write transaction that passed the fence holds the lease row: no one
// takes over until it ends, so it cannot interleave with a new leader's.
TEST_F(LeaderLeaseTest, ATakeoverWaitsForAFencedTransactionToEnd) {
  ASSERT_THAT(a_->TryAcquire(kShort), IsOk());
  ASSERT_THAT(a_conn_->Exec("BEGIN"), IsOk());
  absl::StatusOr<PgRows> fenced =
      a_conn_->Exec(LeaderLease::kFenceSql, {a_->name(), a_->holder(), "1"});
  ASSERT_THAT(fenced, IsOk());
  ASSERT_EQ(fenced->rows.size(), 1u);
  AwaitRunOut();
  ASSERT_THAT(b_conn_->Exec("SET lock_timeout = '200ms'"), IsOk());
  EXPECT_THAT(b_->TryAcquire(kLong), StatusIs(absl::StatusCode::kUnavailable,
                                              ::testing::HasSubstr("55P03")));
  EXPECT_TRUE(b_conn_->healthy()) << "a lock timeout is not a lost connection";
  ASSERT_THAT(a_conn_->Exec("COMMIT"), IsOk());
  absl::StatusOr<LeaseView> b = b_->TryAcquire(kLong);
  ASSERT_THAT(b, IsOk());
  EXPECT_TRUE(b->acquired);
  EXPECT_EQ(b->epoch, 2);
}

TEST_F(LeaderLeaseTest, ADatabaseRestartIsUnavailableThenResetReconnects) {
  ASSERT_THAT(a_->TryAcquire(kLong), IsOk());
  pg_.Stop();
  EXPECT_THAT(a_->Renew(1, kLong), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_FALSE(a_conn_->healthy());
  ASSERT_TRUE(pg_.Start());
  ASSERT_THAT(a_conn_->Reset(), IsOk());
  // The lease is in the database: it survived the restart.
  EXPECT_THAT(a_->Renew(1, kLong),
              IsOkAndHolds(Optional(::testing::Gt(absl::ZeroDuration()))));
}

TEST(PgConnectionTest, RowsComeBackAsTextAndErrorsByTheirSqlState) {
  ap::testing::TempPostgres pg;
  ASSERT_TRUE(pg.ok());
  absl::StatusOr<std::unique_ptr<PgConnection>> c =
      PgConnection::Connect(pg.dsn());
  ASSERT_THAT(c, IsOk());
  PgConnection& conn = **c;
  ASSERT_THAT(conn.Exec("CREATE TABLE t (k int PRIMARY KEY, v text)"), IsOk());
  absl::StatusOr<PgRows> put =
      conn.Exec("INSERT INTO t VALUES ($1, $2), (2, NULL)", {"1", "one"});
  ASSERT_THAT(put, IsOk());
  EXPECT_EQ(put->affected, 2);
  absl::StatusOr<PgRows> rows = conn.Exec("SELECT k, v FROM t ORDER BY k");
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->rows.size(), 2u);
  EXPECT_EQ(rows->rows[0][1], "one");
  EXPECT_EQ(rows->rows[1][1], std::nullopt);
  EXPECT_THAT(conn.Exec("INSERT INTO t VALUES (1, 'again')"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       ::testing::HasSubstr("23505")));
  EXPECT_THAT(conn.Exec("SELEKT 1"),
              StatusIs(absl::StatusCode::kInternal,
                       ::testing::HasSubstr("syntax error")));
  ASSERT_THAT(conn.Exec("SET statement_timeout = '50ms'"), IsOk());
  EXPECT_THAT(
      conn.Exec("SELECT pg_sleep(1)"),
      StatusIs(absl::StatusCode::kUnavailable, ::testing::HasSubstr("57014")));
  EXPECT_TRUE(conn.healthy());
}

TEST(PgConnectionTest, ANameThatDoesNotResolveIsUnavailableNamingIt) {
  absl::StatusOr<std::unique_ptr<PgConnection>> c = PgConnection::Connect(
      "host=/nonexistent/ap-socket-dir port=5432 user=postgres",
      {absl::Seconds(1), absl::Seconds(1)});
  EXPECT_THAT(c, StatusIs(absl::StatusCode::kUnavailable,
                          ::testing::HasSubstr("cannot connect")));
}

}  // namespace
}  // namespace ap
