#ifndef AP_AGGREGATOR_STORE_PG_CONNECTION_H_
#define AP_AGGREGATOR_STORE_PG_CONNECTION_H_

// One libpq connection to PostgreSQL, with absl::Status errors: what the
// PostgreSQL parts of the aggregator (the leader lease, the store) talk
// through. Statements take text parameters ($1, $2, ...) and answer rows
// of text, NULL as nullopt.
//
// Errors: a lost or refused connection, a server shutting down, a
// statement or lock timeout is UNAVAILABLE (try again later, reconnecting with
// Reset); a serialization failure or deadlock is ABORTED (retry the
// transaction); a unique or foreign-key violation, or an object not in the
// state asked for (class 55: a fence that did not pass),
// FAILED_PRECONDITION; anything else INTERNAL. Each message is PostgreSQL's, with its SQLSTATE.
// Not thread-safe: one thread at a time.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

struct pg_conn;

namespace ap {

struct PgRows {
  std::vector<std::vector<std::optional<std::string>>> rows;
  int64_t affected = 0;  // rows an INSERT, UPDATE or DELETE changed
};

// How a statement's parameters and results travel. Binary parameters go
// as they are (a bytea's bytes, with the parameter cast ::bytea in the
// SQL); binary results come as the server's binary format, which for text
// and bytea columns is their bytes, unescaped.
struct PgFormat {
  std::vector<bool> binary_params;  // by position; absent: text
  bool binary_results = false;
};

// One statement of a pipeline.
struct PgStatement {
  std::string sql;
  std::vector<std::optional<std::string>> params;
  PgFormat format;
};

struct PgOptions {
  // How long connecting may take.
  absl::Duration connect_timeout = absl::Seconds(5);
  // Each statement is canceled by the server after this (0: never).
  absl::Duration statement_timeout = absl::Seconds(10);
};

class PgConnection {
 public:
  // `dsn` is a libpq connection string or URI.
  static absl::StatusOr<std::unique_ptr<PgConnection>> Connect(
      const std::string& dsn, PgOptions options = {});
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement (or, without parameters, several separated by ';').
  // After the connection was lost it connects again first; if it was lost
  // inside a transaction, the next call instead fails UNAVAILABLE (that
  // transaction did not commit), and the one after connects again.
  absl::StatusOr<PgRows> Exec(
      absl::string_view sql,
      const std::vector<std::optional<std::string>>& params = {},
      const PgFormat& format = {});

  // Sends every statement at once and waits for their answers once (libpq
  // pipeline mode): one round trip. They run as one transaction, which
  // commits when all succeeded; the first that fails rolls it back, and
  // its error is returned. Not inside a transaction begun with Exec.
  absl::StatusOr<std::vector<PgRows>> ExecPipeline(
      const std::vector<PgStatement>& statements);

  // Whether the connection is up: false once it was lost, until a later
  // call (or Reset) connects again.
  bool healthy() const;
  // Connects again with the same settings (a transaction in progress is
  // gone).
  absl::Status Reset();

 private:
  PgConnection(pg_conn* conn, std::string dsn, PgOptions options)
      : conn_(conn), dsn_(std::move(dsn)), options_(options) {}
  absl::Status Configure();
  // Connects again after a loss, or fails as Exec explains.
  absl::Status Revive();

  pg_conn* conn_;
  bool lost_ = false;
  bool lost_in_transaction_ = false;
  const std::string dsn_;
  const PgOptions options_;
};

}  // namespace ap

#endif  // AP_AGGREGATOR_STORE_PG_CONNECTION_H_
