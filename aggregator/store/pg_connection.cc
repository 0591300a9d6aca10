#include "aggregator/store/pg_connection.h"

#include <libpq-fe.h>

#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/log/log.h"

namespace ap {
namespace {

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

std::string ConnectionError(pg_conn* conn) {
  return std::string(absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn)));
}

std::string SqlState(const PGresult* r) {
  const char* state =
      r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  return state != nullptr ? state : "";
}

// Whether a failed statement failed because the connection did: libpq's
// own error (no SQLSTATE), a connection exception (08), or the server
// shutting down or not yet up (57P01-57P03).
bool ConnectionLost(pg_conn* conn, const PGresult* r) {
  const std::string code = SqlState(r);
  return code.empty() || PQstatus(conn) == CONNECTION_BAD ||
         absl::StartsWith(code, "08") || code == "57P01" || code == "57P02" ||
         code == "57P03";
}

// The status for a failed statement, from its SQLSTATE class.
absl::Status StatementError(pg_conn* conn, const PGresult* r) {
  const std::string code = SqlState(r);
  std::string message(absl::StripTrailingAsciiWhitespace(
      r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(conn)));
  if (message.empty()) message = ConnectionError(conn);
  message = absl::StrCat("postgres: ", message,
                         code.empty() ? "" : absl::StrCat(" (", code, ")"));
  // A statement or lock timeout: the server is there, but too busy.
  if (ConnectionLost(conn, r) || code == "57014" || code == "55P03") {
    return absl::UnavailableError(message);
  }
  if (code == "40001" || code == "40P01") return absl::AbortedError(message);
  // Object not in prerequisite state (a fence that did not pass, say).
  if (absl::StartsWith(code, "55")) {
    return absl::FailedPreconditionError(message);
  }
  if (absl::StartsWith(code, "23")) {
    return absl::FailedPreconditionError(message);
  }
  return absl::InternalError(message);
}

// The server's notices ("table ... does not exist, skipping") go to the
// debug log, not stderr.
void LogNotice(void*, const char* message) {
  LogEvent(spdlog::level::debug, "postgres_notice",
           {{"message", absl::StripTrailingAsciiWhitespace(message)}});
}

// Result rows, as Exec gives them.
PgRows RowsOf(PGresult* r) {
  PgRows out;
  const char* affected = PQcmdTuples(r);
  if (affected != nullptr && *affected != '\0') {
    out.affected = std::strtoll(affected, nullptr, 10);
  }
  const int rows = PQntuples(r);
  const int columns = PQnfields(r);
  out.rows.reserve(rows);
  for (int i = 0; i < rows; ++i) {
    std::vector<std::optional<std::string>>& row = out.rows.emplace_back();
    row.reserve(columns);
    for (int j = 0; j < columns; ++j) {
      if (PQgetisnull(r, i, j)) {
        row.emplace_back();
      } else {
        row.emplace_back(std::string(PQgetvalue(r, i, j), PQgetlength(r, i, j)));
      }
    }
  }
  return out;
}

// A statement's parameters as libpq takes them.
struct ParamArrays {
  ParamArrays(const std::vector<std::optional<std::string>>& params,
              const PgFormat& format) {
    values.reserve(params.size());
    lengths.reserve(params.size());
    formats.reserve(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      const auto& p = params[i];
      values.push_back(p ? p->data() : nullptr);
      lengths.push_back(p ? static_cast<int>(p->size()) : 0);
      formats.push_back(
          i < format.binary_params.size() && format.binary_params[i] ? 1 : 0);
    }
  }
  int size() const { return static_cast<int>(values.size()); }
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
};

}  // namespace

absl::StatusOr<std::unique_ptr<PgConnection>> PgConnection::Connect(
    const std::string& dsn, PgOptions options) {
  const std::string timeout = absl::StrCat(
      std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(
                               options.connect_timeout, absl::Seconds(1)))));
  // dbname is expanded as the whole connection string; what follows it
  // overrides what the string says.
  const char* keys[] = {"dbname", "connect_timeout", "application_name",
                        nullptr};
  const char* values[] = {dsn.c_str(), timeout.c_str(), "ap-aggregator",
                          nullptr};
  pg_conn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn == nullptr) {
    return absl::ResourceExhaustedError("postgres: out of memory connecting");
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    absl::Status s = absl::UnavailableError(
        absl::StrCat("postgres: cannot connect: ", ConnectionError(conn)));
    PQfinish(conn);
    return s;
  }
  PQsetNoticeProcessor(conn, &LogNotice, nullptr);
  std::unique_ptr<PgConnection> c(new PgConnection(conn, dsn, options));
  if (absl::Status s = c->Configure(); !s.ok()) return s;
  return c;
}

PgConnection::~PgConnection() { PQfinish(conn_); }

absl::Status PgConnection::Configure() {
  return Exec(absl::StrCat(
                  "SET statement_timeout = ",
                  absl::ToInt64Milliseconds(options_.statement_timeout)))
      .status();
}

absl::StatusOr<PgRows> PgConnection::Exec(
    absl::string_view sql,
    const std::vector<std::optional<std::string>>& params,
    const PgFormat& format) {
  if (absl::Status s = Revive(); !s.ok()) return s;
  const std::string text(sql);
  const bool in_transaction = PQtransactionStatus(conn_) != PQTRANS_IDLE;
  Result r;
  if (params.empty() && !format.binary_results) {
    r.reset(PQexec(conn_, text.c_str()));
  } else {
    const ParamArrays p(params, format);
    r.reset(PQexecParams(conn_, text.c_str(), p.size(), nullptr,
                         p.values.data(), p.lengths.data(), p.formats.data(),
                         format.binary_results ? 1 : 0));
  }
  const ExecStatusType status =
      r != nullptr ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    if (ConnectionLost(conn_, r.get())) {
      lost_ = true;
      lost_in_transaction_ = in_transaction;
    }
    return StatementError(conn_, r.get());
  }
  return RowsOf(r.get());
}

absl::Status PgConnection::Revive() {
  if (!lost_) return absl::OkStatus();
  // A transaction the lost connection was in is gone: say so once, to
  // whatever comes next in it (a COMMIT must not succeed on a new
  // session); after that, connect again.
  if (lost_in_transaction_) {
    lost_in_transaction_ = false;
    return absl::UnavailableError(
        "postgres: the connection was lost inside a transaction; it did "
        "not commit");
  }
  return Reset();
}

absl::StatusOr<std::vector<PgRows>> PgConnection::ExecPipeline(
    const std::vector<PgStatement>& statements) {
  if (absl::Status s = Revive(); !s.ok()) return s;
  auto lost = [this](const PGresult* r) {
    absl::Status s = StatementError(conn_, r);
    lost_ = true;  // the pipeline's state is unknown: start afresh
    return s;
  };
  if (PQenterPipelineMode(conn_) != 1) return lost(nullptr);
  for (const PgStatement& st : statements) {
    const ParamArrays p(st.params, st.format);
    if (PQsendQueryParams(conn_, st.sql.c_str(), p.size(), nullptr,
                          p.values.data(), p.lengths.data(), p.formats.data(),
                          st.format.binary_results ? 1 : 0) != 1) {
      return lost(nullptr);
    }
  }
  if (PQpipelineSync(conn_) != 1) return lost(nullptr);
  std::vector<PgRows> out;
  absl::Status failed;
  // Each statement's result, then a null; then the sync's.
  for (size_t i = 0; i < statements.size(); ++i) {
    Result r(PQgetResult(conn_));
    if (r == nullptr) return lost(nullptr);
    const ExecStatusType status = PQresultStatus(r.get());
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
      out.push_back(RowsOf(r.get()));
    } else if (status != PGRES_PIPELINE_ABORTED && failed.ok()) {
      if (ConnectionLost(conn_, r.get())) return lost(r.get());
      failed = StatementError(conn_, r.get());
    }
    while (Result rest{PQgetResult(conn_)}) {
    }
  }
  Result sync(PQgetResult(conn_));
  if (sync == nullptr || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) {
    return lost(sync.get());
  }
  if (PQexitPipelineMode(conn_) != 1) return lost(nullptr);
  if (!failed.ok()) return failed;
  return out;
}

bool PgConnection::healthy() const {
  return !lost_ && PQstatus(conn_) == CONNECTION_OK;
}

absl::Status PgConnection::Reset() {
  PQreset(conn_);
  lost_ = PQstatus(conn_) != CONNECTION_OK;
  lost_in_transaction_ = false;
  if (PQstatus(conn_) != CONNECTION_OK) {
    return absl::UnavailableError(
        absl::StrCat("postgres: cannot reconnect: ", ConnectionError(conn_)));
  }
  return Configure();
}

}  // namespace ap
