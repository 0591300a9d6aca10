// The leader lease on a real PostgreSQL (a server of the test's own, on a
// unix socket): one holder at a time, by the database's clock, a new epoch
// at each change of holder, and a fence that no deposed holder passes.

#include "aggregator/cluster/leader_lease.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "aggregator/cluster/leader_elector.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/eventually.h"
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
    LeaseView last;
    ap::testing::Eventually([&] {
      absl::StatusOr<LeaseView> v = b_->TryAcquire(kLong);
      EXPECT_THAT(v, IsOk());
      if (v.ok()) last = *v;
      return !v.ok() || v->acquired;
    });
    return last;
  }
  // Waits until the lease has run out by the database's clock (read on B's
  // connection).
  void AwaitRunOut() {
    ASSERT_TRUE(ap::testing::Eventually([&] {
      absl::StatusOr<LeaseView> v = b_->Read();
      EXPECT_THAT(v, IsOk());
      return !v.ok() || v->remaining <= absl::ZeroDuration();
    })) << "the lease never ran out";
  }
  // Whether `lease`'s holder passes the fence at `epoch`, in a transaction
  // of its own connection.
  bool PassesFence(PgConnection* conn, const LeaderLease& lease,
                   int64_t epoch) {
    EXPECT_THAT(conn->Exec("BEGIN"), IsOk());
    absl::StatusOr<PgRows> r =
        conn->Exec(LeaderLease::kFenceSql,
                   {lease.name(), lease.holder(), absl::StrCat(epoch)});
    if (!r.ok()) {
      EXPECT_THAT(r, StatusIs(absl::StatusCode::kFailedPrecondition,
                              ::testing::HasSubstr("55AP0")));
    }
    // A failed fence aborts the transaction: its COMMIT rolls back.
    EXPECT_THAT(conn->Exec("COMMIT"), IsOk());
    return r.ok();
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
  // Each term is kept: who led from when.
  absl::StatusOr<PgRows> terms = a_conn_->Exec(
      "SELECT epoch::text, holder FROM ap_leader_terms ORDER BY epoch");
  ASSERT_THAT(terms, IsOk());
  ASSERT_EQ(terms->rows.size(), 2u);
  EXPECT_EQ(terms->rows[0][1], "agg-a/1");
  EXPECT_EQ(terms->rows[1][1], "agg-b/1");
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

TEST_F(LeaderLeaseTest,
       ADatabaseRestartIsUnavailableThenTheNextCallReconnects) {
  ASSERT_THAT(a_->TryAcquire(kLong), IsOk());
  pg_.Stop();
  EXPECT_THAT(a_->Renew(1, kLong), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_FALSE(a_conn_->healthy());
  EXPECT_THAT(a_->Renew(1, kLong), StatusIs(absl::StatusCode::kUnavailable,
                                            ::testing::HasSubstr("connect")));
  ASSERT_TRUE(pg_.Start());
  // The lease is in the database: it survived the restart.
  EXPECT_THAT(a_->Renew(1, kLong),
              IsOkAndHolds(Optional(::testing::Gt(absl::ZeroDuration()))));
}

// One server and one connection to it.
class PgConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pg_.ok());
    absl::StatusOr<std::unique_ptr<PgConnection>> c =
        PgConnection::Connect(pg_.dsn());
    ASSERT_THAT(c, IsOk());
    conn_ = *std::move(c);
  }
  PgConnection& conn() { return *conn_; }

  ap::testing::TempPostgres pg_;
  std::unique_ptr<PgConnection> conn_;
};

TEST_F(PgConnectionTest, RowsComeBackAsTextAndErrorsByTheirSqlState) {
  ASSERT_THAT(conn().Exec("CREATE TABLE t (k int PRIMARY KEY, v text)"),
              IsOk());
  absl::StatusOr<PgRows> put =
      conn().Exec("INSERT INTO t VALUES ($1, $2), (2, NULL)", {"1", "one"});
  ASSERT_THAT(put, IsOk());
  EXPECT_EQ(put->affected, 2);
  absl::StatusOr<PgRows> rows = conn().Exec("SELECT k, v FROM t ORDER BY k");
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->rows.size(), 2u);
  EXPECT_EQ(rows->rows[0][1], "one");
  EXPECT_EQ(rows->rows[1][1], std::nullopt);
  EXPECT_THAT(conn().Exec("INSERT INTO t VALUES (1, 'again')"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       ::testing::HasSubstr("23505")));
  EXPECT_THAT(conn().Exec("SELEKT 1"),
              StatusIs(absl::StatusCode::kInternal,
                       ::testing::HasSubstr("syntax error")));
  ASSERT_THAT(conn().Exec("SET statement_timeout = '50ms'"), IsOk());
  EXPECT_THAT(
      conn().Exec("SELECT pg_sleep(1)"),
      StatusIs(absl::StatusCode::kUnavailable, ::testing::HasSubstr("57014")));
  EXPECT_TRUE(conn().healthy());
}

// Two aggregators' electors on one database, on the real clock. A is cut
// off from the database for good (its role may no longer log in, its
// session is terminated): it stops leading before B starts.
TEST(ElectorsOnPostgresTest,
     ALeaderCutOffFromTheDatabaseStopsBeforeAnotherLeads) {
  ap::testing::TempPostgres pg;
  ASSERT_TRUE(pg.ok());
  auto admin = PgConnection::Connect(pg.dsn());
  ASSERT_THAT(admin, IsOk());
  ASSERT_THAT((*admin)->Exec("CREATE ROLE agg_a LOGIN SUPERUSER"), IsOk());
  const PgOptions quick{absl::Seconds(1), absl::Milliseconds(300)};
  auto conn_a = PgConnection::Connect(pg.dsn("agg_a"), quick);
  auto conn_b = PgConnection::Connect(pg.dsn(), quick);
  ASSERT_THAT(conn_a, IsOk());
  ASSERT_THAT(conn_b, IsOk());
  LeaderLease lease_a(conn_a->get(), "a/1"), lease_b(conn_b->get(), "b/1");
  ASSERT_THAT(lease_a.EnsureTable(), IsOk());

  absl::Mutex mu;
  std::vector<std::pair<std::string, absl::Time>> events;
  auto hooks = [&](const std::string& who) {
    return LeaderElector::Hooks{
        [&, who](int64_t epoch) {
          absl::MutexLock l(&mu);
          events.emplace_back(who + " elected " + std::to_string(epoch),
                              absl::Now());
        },
        [&, who](int64_t epoch, const std::string&) {
          absl::MutexLock l(&mu);
          events.emplace_back(who + " deposed " + std::to_string(epoch),
                              absl::Now());
        }};
  };
  // Waits (on the hooks' mutex) until at least n events happened.
  auto await = [&](size_t n) {
    absl::MutexLock l(&mu);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
      return events.size() >= n;
    };
    return mu.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(10));
  };
  const ElectorOptions options{absl::Seconds(1), absl::Milliseconds(200)};
  LeaderElector a(&lease_a, Clock::Real(), options, hooks("a"));
  LeaderElector b(&lease_b, Clock::Real(), options, hooks("b"));
  a.Start();
  ASSERT_TRUE(await(1));
  b.Start();
  ASSERT_THAT((*admin)->Exec("ALTER ROLE agg_a NOLOGIN"), IsOk());
  ASSERT_THAT((*admin)->Exec("SELECT pg_terminate_backend(pid) FROM "
                             "pg_stat_activity WHERE usename = 'agg_a'"),
              IsOk());
  const absl::Time cut = absl::Now();
  ASSERT_TRUE(await(3));
  b.Stop();
  a.Stop();
  absl::MutexLock l(&mu);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events[0].first, "a elected 1");
  EXPECT_EQ(events[1].first, "a deposed 1");
  EXPECT_EQ(events[2].first, "b elected 2");
  EXPECT_LT(events[1].second, events[2].second);
  // B leads within about the lease after the cut.
  EXPECT_LT(events[2].second - cut, absl::Seconds(2));
}

// A transaction cut by a lost connection never seems to commit: its COMMIT
// fails rather than succeeding on a new session.
TEST_F(PgConnectionTest, APipelineIsOneTransactionAnsweredInOrder) {
  ASSERT_THAT(conn().Exec("CREATE TABLE t (k int PRIMARY KEY)"), IsOk());
  absl::StatusOr<std::vector<PgRows>> done = conn().ExecPipeline(
      {{"INSERT INTO t VALUES ($1)", {"1"}, {}},
       {"INSERT INTO t VALUES (2), (3)", {}, {}},
       {"SELECT count(*) FROM t", {}, {}}});
  ASSERT_THAT(done, IsOk());
  ASSERT_EQ(done->size(), 3u);
  EXPECT_EQ((*done)[1].affected, 2);
  EXPECT_EQ((*done)[2].rows[0][0], "3");
  // A statement that fails rolls back those before it, and its error is
  // the answer; the connection goes on.
  EXPECT_THAT(conn().ExecPipeline({{"INSERT INTO t VALUES (4)", {}, {}},
                                   {"INSERT INTO t VALUES (1)", {}, {}},
                                   {"INSERT INTO t VALUES (5)", {}, {}}}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       ::testing::HasSubstr("23505")));
  absl::StatusOr<PgRows> left = conn().Exec("SELECT count(*) FROM t");
  ASSERT_THAT(left, IsOk());
  EXPECT_EQ(left->rows[0][0], "3");
}

TEST_F(PgConnectionTest, ATransactionCutByARestartDoesNotCommit) {
  ASSERT_THAT(conn().Exec("CREATE TABLE t (k int)"), IsOk());
  ASSERT_THAT(conn().Exec("BEGIN"), IsOk());
  ASSERT_THAT(conn().Exec("INSERT INTO t VALUES (1)"), IsOk());
  pg_.Stop();
  ASSERT_TRUE(pg_.Start());
  EXPECT_THAT(conn().Exec("INSERT INTO t VALUES (2)"),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(conn().Exec("COMMIT"),
              StatusIs(absl::StatusCode::kUnavailable,
                       ::testing::HasSubstr("did not commit")));
  absl::StatusOr<PgRows> rows = conn().Exec("SELECT count(*) FROM t");
  ASSERT_THAT(rows, IsOk());
  EXPECT_EQ(rows->rows[0][0], "0");
}

TEST(PgConnectTest, ANameThatDoesNotResolveIsUnavailableNamingIt) {
  absl::StatusOr<std::unique_ptr<PgConnection>> c = PgConnection::Connect(
      "host=/nonexistent/ap-socket-dir port=5432 user=postgres",
      {absl::Seconds(1), absl::Seconds(1)});
  EXPECT_THAT(c, StatusIs(absl::StatusCode::kUnavailable,
                          ::testing::HasSubstr("cannot connect")));
}

}  // namespace
}  // namespace ap
