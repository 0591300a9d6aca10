#include "aggregator/store/pg_store.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "aggregator/store/pg_schema.h"
#include "aggregator/store/pg_tables.h"
#include "common/status.h"

namespace ap {
namespace {

using Params = std::vector<std::optional<std::string>>;

constexpr size_t kPage = 500;
// PostgreSQL takes at most 65535 parameters a statement.
constexpr size_t kMaxParams = 30000;

// One table's rows to put and to delete in a Write.
struct TableChanges {
  const pg::Writer* writer = nullptr;
  const char* table = nullptr;
  std::vector<Params> puts;
  std::vector<Params> deletes;  // the key columns
};

std::string Placeholders(const pg::Writer& w, size_t first, size_t columns,
                         absl::string_view epoch) {
  std::string row = "(";
  for (size_t c = 0; c < columns; ++c) {
    absl::StrAppend(&row, c == 0 ? "" : ", ", "$", first + c, w.casts[c]);
  }
  if (!epoch.empty()) absl::StrAppend(&row, ", ", epoch);
  absl::StrAppend(&row, ")");
  return row;
}

// INSERT ... ON CONFLICT DO UPDATE of `rows` (all of one table).
std::string UpsertSql(const TableChanges& t, size_t rows, int64_t epoch) {
  const pg::Writer& w = *t.writer;
  std::vector<std::string> columns(w.columns.begin(), w.columns.end());
  if (w.epoch) columns.push_back("written_epoch");
  std::string sql = absl::StrCat("INSERT INTO ", t.table, " (",
                                 absl::StrJoin(columns, ", "), ") VALUES ");
  const std::string epoch_text = w.epoch ? absl::StrCat(epoch) : "";
  for (size_t r = 0; r < rows; ++r) {
    absl::StrAppend(&sql, r == 0 ? "" : ", ",
                    Placeholders(w, 1 + r * w.columns.size(),
                                 w.columns.size(), epoch_text));
  }
  std::vector<std::string> keys(w.columns.begin(), w.columns.begin() + w.keys);
  std::vector<std::string> sets;
  for (size_t c = w.keys; c < columns.size(); ++c) {
    sets.push_back(absl::StrCat(columns[c], " = EXCLUDED.", columns[c]));
  }
  if (w.written_at) sets.push_back("written_at = clock_timestamp()");
  absl::StrAppend(&sql, " ON CONFLICT (", absl::StrJoin(keys, ", "),
                  ") DO UPDATE SET ", absl::StrJoin(sets, ", "));
  return sql;
}

std::string DeleteSql(const TableChanges& t, size_t rows) {
  const pg::Writer& w = *t.writer;
  std::vector<std::string> keys(w.columns.begin(), w.columns.begin() + w.keys);
  std::string sql = absl::StrCat("DELETE FROM ", t.table, " WHERE (",
                                 absl::StrJoin(keys, ", "), ") IN (");
  for (size_t r = 0; r < rows; ++r) {
    absl::StrAppend(&sql, r == 0 ? "" : ", ",
                    Placeholders(w, 1 + r * w.keys, w.keys, ""));
  }
  absl::StrAppend(&sql, ")");
  return sql;
}

// Adds the statements for `rows` in chunks to `out`, each row's parameters
// in turn.
template <typename SqlFor>
void InChunks(const std::vector<Params>& rows, size_t columns,
              int binary_column, SqlFor sql_for,
              std::vector<PgStatement>* out) {
  const size_t per = std::max<size_t>(1, std::min(kPage, kMaxParams / columns));
  for (size_t at = 0; at < rows.size(); at += per) {
    const size_t n = std::min(per, rows.size() - at);
    PgStatement& st = out->emplace_back();
    st.sql = sql_for(n);
    st.params.reserve(n * columns);
    for (size_t r = at; r < at + n; ++r) {
      for (size_t c = 0; c < columns; ++c) {
        st.params.push_back(rows[r][c]);
        st.format.binary_params.push_back(static_cast<int>(c) ==
                                          binary_column);
      }
    }
  }
}

// Calls fn for each row (key, value) of `select` in order, read through a
// cursor in a read-only transaction of its own; sets *stopped when fn
// said stop.
absl::Status ScanCursor(PgConnection* conn, const std::string& select,
                        const Params& params, const Store::ScanFn& fn,
                        bool* stopped) {
  AP_RETURN_IF_ERROR(conn->Exec("BEGIN READ ONLY").status());
  auto read = [&]() -> absl::Status {
    AP_RETURN_IF_ERROR(
        conn->Exec(absl::StrCat("DECLARE ap_scan NO SCROLL CURSOR FOR ", select),
                   params)
            .status());
    PgFormat binary;
    binary.binary_results = true;
    const std::string fetch = absl::StrCat("FETCH ", kPage, " FROM ap_scan");
    for (;;) {
      AP_ASSIGN_OR_RETURN(PgRows rows, conn->Exec(fetch, {}, binary));
      for (const auto& row : rows.rows) {
        if (!fn(row[0].value_or(""), row[1].value_or(""))) {
          *stopped = true;
          return absl::OkStatus();
        }
      }
      if (rows.rows.size() < kPage) return absl::OkStatus();
    }
  };
  const absl::Status s = read();
  (void)conn->Exec(s.ok() ? "COMMIT" : "ROLLBACK");
  return s;
}

}  // namespace

// Where a scan starts and ends, as keys.
struct PostgresStore::Bounds {
  std::string lo;
  bool lo_inclusive = true;
  std::string hi;  // exclusive; empty: no end
};

// Connections handed out one caller at a time, made on first use. One that
// was lost is connected again at most once every reconnect_backoff.
class PostgresStore::Pool {
 public:
  Pool(const PgStoreOptions& options, int size)
      : options_(options), size_(size) {}

  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<PgConnection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    ~Lease() {
      if (conn_ != nullptr) pool_->Return(std::move(conn_));
    }
    PgConnection* get() { return conn_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<PgConnection> conn_;
  };

  absl::StatusOr<Lease> Acquire() {
    std::unique_ptr<PgConnection> conn;
    {
      absl::MutexLock l(&mu_);
      mu_.Await(absl::Condition(this, &Pool::HasRoom));
      if (!idle_.empty()) {
        conn = std::move(idle_.back());
        idle_.pop_back();
      } else {
        ++made_;  // a place kept for the connection made below
      }
    }
    absl::Status s = conn == nullptr ? Make(&conn) : Revive(conn.get());
    if (!s.ok()) {
      Return(std::move(conn));
      return s;
    }
    return Lease(this, std::move(conn));
  }

 private:
  bool HasRoom() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !idle_.empty() || made_ < size_;
  }
  absl::Status Gate() {
    absl::MutexLock l(&mu_);
    const absl::Time now = absl::Now();
    if (now < next_try_) {
      return absl::UnavailableError(absl::StrCat(
          "postgres: the database could not be reached; trying again in ",
          absl::FormatDuration(absl::Ceil(next_try_ - now,
                                          absl::Milliseconds(1)))));
    }
    next_try_ = now + options_.reconnect_backoff;
    return absl::OkStatus();
  }
  absl::Status Make(std::unique_ptr<PgConnection>* conn) {
    AP_RETURN_IF_ERROR(Gate());
    absl::StatusOr<std::unique_ptr<PgConnection>> c =
        PgConnection::Connect(options_.dsn, options_.connection);
    if (!c.ok()) return c.status();
    *conn = *std::move(c);
    Reached();
    return absl::OkStatus();
  }
  absl::Status Revive(PgConnection* conn) {
    if (conn->healthy()) return absl::OkStatus();
    AP_RETURN_IF_ERROR(Gate());
    AP_RETURN_IF_ERROR(conn->Reset());
    Reached();
    return absl::OkStatus();
  }
  void Reached() {
    absl::MutexLock l(&mu_);
    next_try_ = absl::InfinitePast();
  }
  // A null connection gives its place back.
  void Return(std::unique_ptr<PgConnection> conn) {
    absl::MutexLock l(&mu_);
    if (conn != nullptr) {
      idle_.push_back(std::move(conn));
    } else {
      --made_;
    }
  }

  const PgStoreOptions& options_;
  const int size_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<PgConnection>> idle_ ABSL_GUARDED_BY(mu_);
  int made_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time next_try_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

PostgresStore::PostgresStore(PgStoreOptions options)
    : options_(std::move(options)),
      readers_(std::make_unique<Pool>(options_,
                                      std::max(1, options_.read_connections))),
      writer_(std::make_unique<Pool>(options_, 1)) {}

PostgresStore::~PostgresStore() = default;

absl::StatusOr<std::unique_ptr<PostgresStore>> PostgresStore::Open(
    PgStoreOptions options) {
  std::unique_ptr<PostgresStore> store(new PostgresStore(std::move(options)));
  AP_ASSIGN_OR_RETURN(Pool::Lease conn, store->writer_->Acquire());
  AP_ASSIGN_OR_RETURN(store->schema_version_found_,
                      MigratePgSchema(conn.get()));
  return store;
}

void PostgresStore::Fence(std::string name, std::string holder,
                          int64_t epoch) {
  absl::MutexLock l(&fence_mu_);
  fence_ = FenceSpec{std::move(name), std::move(holder), epoch};
}

void PostgresStore::Unfence() {
  absl::MutexLock l(&fence_mu_);
  fence_.reset();
}

absl::StatusOr<std::optional<Params>> PostgresStore::FenceParams(
    int64_t* epoch) {
  absl::MutexLock l(&fence_mu_);
  *epoch = 0;
  if (!fence_.has_value()) {
    if (options_.fenced) {
      return absl::FailedPreconditionError(
          "this aggregator is not the leader: only the leader writes");
    }
    return std::nullopt;
  }
  *epoch = fence_->epoch;
  return Params{fence_->name, fence_->holder, absl::StrCat(fence_->epoch)};
}

absl::StatusOr<std::optional<std::string>> PostgresStore::Get(
    absl::string_view key) {
  std::optional<std::string> found;
  AP_RETURN_IF_ERROR(
      Scan(key, "", [&](absl::string_view k, absl::string_view v) {
        if (k == key) found = std::string(v);
        return false;  // the first key with this prefix is the key, or none is
      }));
  return found;
}

absl::Status PostgresStore::Write(const WriteBatch& batch) {
  if (batch.empty()) return absl::OkStatus();
  // The last operation on a key is the one that counts.
  absl::flat_hash_map<absl::string_view, size_t> last;
  for (size_t i = 0; i < batch.ops().size(); ++i) {
    last[batch.ops()[i].key] = i;
  }
  std::vector<TableChanges> tables(pg::Families().size());
  for (size_t i = 0; i < batch.ops().size(); ++i) {
    const WriteBatch::Op& op = batch.ops()[i];
    if (last[op.key] != i) continue;
    const pg::Family* family = pg::FamilyOf(op.key);
    if (family == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("key \"", op.key, "\": no table holds keys like it"));
    }
    AP_ASSIGN_OR_RETURN(std::vector<absl::string_view> parts,
                        pg::SplitKey(*family, op.key));
    if (family->writer == nullptr) continue;  // an index: the rows keep it
    TableChanges& t = tables[family - pg::Families().data()];
    t.writer = family->writer;
    t.table = family->table;
    // A delete needs only the key columns, which the key gives.
    Params row;
    if (absl::Status s = family->writer->row(
            parts, op.is_delete ? absl::string_view() : op.value, &row);
        !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("key \"", op.key, "\": ", s.message()));
    }
    if (op.is_delete) {
      row.resize(family->writer->keys);
      t.deletes.push_back(std::move(row));
    } else {
      t.puts.push_back(std::move(row));
    }
  }
  int64_t epoch = 0;
  AP_ASSIGN_OR_RETURN(std::optional<Params> fence, FenceParams(&epoch));
  // One transaction in one round trip: the fence first (its failure aborts
  // the rest), then each table's rows.
  std::vector<PgStatement> statements;
  if (fence.has_value()) statements.push_back({kLeaderFenceSql, *fence, {}});
  for (const TableChanges& t : tables) {
    if (t.writer == nullptr) continue;
    InChunks(
        t.puts, t.writer->columns.size(), t.writer->binary_column,
        [&](size_t n) { return UpsertSql(t, n, epoch); }, &statements);
    InChunks(
        t.deletes, t.writer->keys, -1,
        [&](size_t n) { return DeleteSql(t, n); }, &statements);
  }
  const absl::Time started = absl::Now();
  AP_ASSIGN_OR_RETURN(Pool::Lease lease, writer_->Acquire());
  absl::StatusOr<std::vector<PgRows>> done =
      lease.get()->ExecPipeline(statements);
  if (!done.ok()) {
    if (fence.has_value() &&
        absl::StrContains(done.status().message(), kFencedSqlState)) {
      if (options_.on_fenced_out) options_.on_fenced_out(epoch);
      return absl::FailedPreconditionError(absl::StrCat(
          "not the leader: the lease of epoch ", epoch,
          " is no longer held; nothing was written"));
    }
    return done.status();
  }
  if (options_.on_write) options_.on_write(absl::Now() - started);
  return absl::OkStatus();
}

absl::Status PostgresStore::Scan(absl::string_view prefix,
                                 absl::string_view start_after,
                                 const ScanFn& fn) {
  Bounds b{std::string(prefix), true, pg::Successor(prefix)};
  if (!start_after.empty() && start_after >= b.lo) {
    b.lo = std::string(start_after);
    b.lo_inclusive = false;
  }
  return ScanRange(prefix, std::move(b), /*reverse=*/false, fn);
}

absl::Status PostgresStore::ScanReverse(absl::string_view prefix,
                                        absl::string_view start_before,
                                        const ScanFn& fn) {
  Bounds b{std::string(prefix), true, pg::Successor(prefix)};
  if (!start_before.empty() && (b.hi.empty() || start_before < b.hi)) {
    b.hi = std::string(start_before);
  }
  return ScanRange(prefix, std::move(b), /*reverse=*/true, fn);
}

absl::Status PostgresStore::ScanRange(absl::string_view prefix, Bounds bounds,
                                      bool reverse, const ScanFn& fn) {
  std::vector<const pg::Family*> families;
  for (const pg::Family& f : pg::Families()) {
    if (absl::StartsWith(f.prefix, prefix) ||
        absl::StartsWith(prefix, f.prefix)) {
      families.push_back(&f);
    }
  }
  if (reverse) std::reverse(families.begin(), families.end());
  AP_ASSIGN_OR_RETURN(Pool::Lease lease, readers_->Acquire());
  PgConnection* conn = lease.get();
  for (const pg::Family* f : families) {
    // Within one parent (every component but the last given): by the last
    // component, on the table's index. Otherwise by the whole key.
    absl::string_view rest = prefix;
    std::string parent;
    std::vector<absl::string_view> given;
    if (absl::ConsumePrefix(&rest, f->prefix)) {
      const size_t slash = rest.rfind('/');
      if (slash != absl::string_view::npos) {
        given = absl::StrSplit(rest.substr(0, slash), '/');
        if (given.size() >= f->parts.size()) continue;  // no such keys
        if (given.size() + 1 == f->parts.size()) {
          parent = absl::StrCat(f->prefix, rest.substr(0, slash + 1));
        }
      } else if (f->parts.size() == 1) {
        parent = f->prefix;
      }
    }
    const bool by_last = !parent.empty();
    std::string column = by_last ? f->parts.back().sql : pg::KeySql(*f);
    if (by_last) column = absl::StrCat("(", column, ") COLLATE \"C\"");
    Bounds b = bounds;
    for (;;) {
      Params params;
      std::vector<std::string> where;
      if (*f->where != '\0') where.push_back(f->where);
      if (by_last) {
        for (absl::string_view g : given) {
          params.emplace_back(std::string(g));
          const pg::Part& part = f->parts[params.size() - 1];
          where.push_back(absl::StrCat(part.column, " = $", params.size(),
                                       part.cast));
        }
      }
      // Keys before the parent's, or after them, bound nothing here.
      auto local = [&](const std::string& key) -> std::optional<std::string> {
        if (!by_last) return key;
        if (absl::StartsWith(key, parent)) return key.substr(parent.size());
        return std::nullopt;
      };
      if (std::optional<std::string> lo = local(b.lo);
          lo.has_value() && !lo->empty()) {
        params.emplace_back(*lo);
        where.push_back(absl::StrCat(column, b.lo_inclusive ? " >= $" : " > $",
                                     params.size()));
      } else if (by_last && b.lo > parent) {
        break;  // starts past every key of the parent
      }
      if (!b.hi.empty()) {
        if (std::optional<std::string> hi = local(b.hi); hi.has_value()) {
          if (hi->empty()) break;
          params.emplace_back(*hi);
          where.push_back(absl::StrCat(column, " < $", params.size()));
        } else if (b.hi <= parent) {
          break;  // ends before every key of the parent
        }
      }
      const std::string select = absl::StrCat(
          "SELECT ", column, ", ", f->value, " FROM ", f->table,
          where.empty() ? "" : " WHERE ", absl::StrJoin(where, " AND "),
          " ORDER BY ", column, reverse ? " DESC" : "");
      if (!by_last) {
        // By the whole key no index helps: the rows are sorted once and
        // read through a cursor, not sorted again for every page.
        bool stopped = false;
        AP_RETURN_IF_ERROR(ScanCursor(conn, select, params, fn, &stopped));
        if (stopped) return absl::OkStatus();
        break;
      }
      PgFormat format;
      format.binary_results = true;
      AP_ASSIGN_OR_RETURN(
          PgRows rows,
          conn->Exec(absl::StrCat(select, " LIMIT ", kPage), params, format));
      for (const auto& row : rows.rows) {
        const std::string key = absl::StrCat(parent, row[0].value_or(""));
        if (!fn(key, row[1].value_or(""))) return absl::OkStatus();
        if (reverse) {
          b.hi = key;
        } else {
          b.lo = key;
          b.lo_inclusive = false;
        }
      }
      if (rows.rows.size() < kPage) break;
    }
  }
  return absl::OkStatus();
}

absl::Status PostgresStore::Backup(const std::string&) {
  return absl::UnimplementedError(
      "the PostgreSQL store is backed up by the database (pg_dump, or its "
      "base backups and WAL archive), not by the aggregator: see "
      "docs/operations.md");
}

absl::Status PostgresStore::Compact() {
  AP_ASSIGN_OR_RETURN(Pool::Lease conn, writer_->Acquire());
  return conn.get()
      ->Exec("VACUUM (ANALYZE) ap_workflows, ap_executions, "
             "ap_workflow_events, ap_credentials")
      .status();
}

std::string PostgresStore::Stats() {
  absl::StatusOr<Pool::Lease> conn = readers_->Acquire();
  if (!conn.ok()) return absl::StrCat("error: ", conn.status().ToString(), "\n");
  std::string out;
  for (const char* table : {"ap_workflows", "ap_executions",
                            "ap_workflow_events", "ap_credentials"}) {
    absl::StatusOr<PgRows> r = conn->get()->Exec(
        absl::StrCat("SELECT count(*), pg_total_relation_size('", table,
                     "') FROM ", table));
    if (!r.ok() || r->rows.empty()) {
      absl::StrAppend(&out, table, ": error\n");
      continue;
    }
    absl::StrAppend(&out, table, "_rows: ", r->rows[0][0].value_or("?"), "\n",
                    table, "_bytes: ", r->rows[0][1].value_or("?"), "\n");
  }
  return out;
}

}  // namespace ap
