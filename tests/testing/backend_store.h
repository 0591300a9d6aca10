#ifndef AP_TESTS_TESTING_BACKEND_STORE_H_
#define AP_TESTS_TESTING_BACKEND_STORE_H_

// The store-level contract suites run on both backends: a test fixture
// takes a Backend parameter and gets a fresh, empty Store of that kind.
// RocksDB: a temporary directory. PostgreSQL: a new database on the one
// server this test binary starts on first use (tests/testing/temp_postgres.h),
// so each test costs a CREATE DATABASE, not an initdb.

#include <atomic>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "aggregator/store/pg_connection.h"
#include "aggregator/store/pg_store.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_postgres.h"
#include "tests/testing/temp_store.h"

namespace ap::testing {

enum class Backend { kRocksDb, kPostgres };

inline std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kRocksDb ? "RocksDb" : "Postgres";
}

#define AP_BOTH_BACKENDS(Suite)                                              \
  INSTANTIATE_TEST_SUITE_P(                                                  \
      , Suite,                                                               \
      ::testing::Values(::ap::testing::Backend::kRocksDb,                    \
                        ::ap::testing::Backend::kPostgres),                  \
      ::ap::testing::BackendName)

// The test binary's PostgreSQL server, started on first use and stopped at
// exit.
inline TempPostgres& SharedPostgres() {
  static TempPostgres* server = [] {
    std::atexit([] { delete server; });
    return new TempPostgres();
  }();
  return *server;
}

// The DSN of a new, empty database on the shared server.
inline std::string FreshPostgresDatabase() {
  static std::atomic<int> next{0};
  TempPostgres& pg = SharedPostgres();
  const std::string name = absl::StrCat("ap_test_", next++);
  absl::StatusOr<std::unique_ptr<PgConnection>> admin =
      PgConnection::Connect(pg.dsn());
  EXPECT_TRUE(admin.ok()) << admin.status();
  if (admin.ok()) {
    absl::StatusOr<PgRows> made =
        (*admin)->Exec(absl::StrCat("CREATE DATABASE ", name));
    EXPECT_TRUE(made.ok()) << made.status();
  }
  return pg.dsn("postgres", name);
}

class BackendStore {
 public:
  explicit BackendStore(Backend backend) : backend_(backend) {
    if (backend_ == Backend::kRocksDb) {
      rocks_ = std::make_unique<TempStore>();
    } else {
      options_.dsn = FreshPostgresDatabase();
      Open();
    }
  }

  Backend backend() const { return backend_; }
  Store* get() {
    return rocks_ != nullptr ? static_cast<Store*>(rocks_->get()) : pg_.get();
  }
  // Null on RocksDB.
  PostgresStore* postgres() { return pg_.get(); }
  const std::string& dsn() const { return options_.dsn; }

  // A restart: the store closed and opened again on the same data.
  void Reopen() {
    if (rocks_ != nullptr) {
      rocks_->Close();
      rocks_->Open();
    } else {
      pg_.reset();
      Open();
    }
  }

 private:
  void Open() {
    absl::StatusOr<std::unique_ptr<PostgresStore>> s =
        PostgresStore::Open(options_);
    ASSERT_TRUE(s.ok()) << s.status();
    pg_ = *std::move(s);
  }

  const Backend backend_;
  std::unique_ptr<TempStore> rocks_;
  PgStoreOptions options_;
  std::unique_ptr<PostgresStore> pg_;
};

}  // namespace ap::testing

#endif  // AP_TESTS_TESTING_BACKEND_STORE_H_
