#include "aggregator/store/pg_schema.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace ap {
namespace {

// Schema version 1, from nothing.
constexpr char kCreate1[] = R"sql(
CREATE TABLE ap_workflows (
  id            text COLLATE "C" PRIMARY KEY,
  owner         text COLLATE "C" NOT NULL,
  name          text NOT NULL,
  status        text NOT NULL,
  status_code   smallint NOT NULL,
  written_epoch bigint NOT NULL,
  written_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  record        bytea NOT NULL
);
CREATE INDEX ap_workflows_by_owner ON ap_workflows (owner, id);
CREATE INDEX ap_workflows_by_owner_status
  ON ap_workflows (owner, status_code, id);

CREATE TABLE ap_executions (
  workflow_id   text COLLATE "C" NOT NULL,
  id            text COLLATE "C" NOT NULL,
  status        text NOT NULL,
  attempt       integer NOT NULL,
  scheduled_at  timestamptz,
  operator_id   text,
  written_epoch bigint NOT NULL,
  written_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  record        bytea NOT NULL,
  PRIMARY KEY (workflow_id, id)
);
CREATE INDEX ap_executions_open ON ap_executions (workflow_id, id)
  WHERE status IN ('PENDING', 'DISPATCHED', 'RUNNING');

CREATE TABLE ap_workflow_events (
  workflow_id   text COLLATE "C" NOT NULL,
  at_ns         bigint NOT NULL,
  at            timestamptz GENERATED ALWAYS AS
                  (to_timestamp(at_ns / 1e9)) STORED,
  status        text NOT NULL,
  written_epoch bigint NOT NULL,
  PRIMARY KEY (workflow_id, at_ns)
);

CREATE TABLE ap_credentials (
  kind          text COLLATE "C" NOT NULL,
  hash          text COLLATE "C" NOT NULL,
  written_epoch bigint NOT NULL,
  record        bytea NOT NULL,
  PRIMARY KEY (kind, hash)
);
)sql";

// From version 1 to 2: notifications (issue 21).
constexpr char kCreate2[] = R"sql(
CREATE TABLE ap_notifications (
  workflow_id   text COLLATE "C" NOT NULL,
  id            text COLLATE "C" NOT NULL,
  written_epoch bigint NOT NULL,
  written_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  record        bytea NOT NULL,
  PRIMARY KEY (workflow_id, id)
);

CREATE TABLE ap_notify_state (
  workflow_id   text COLLATE "C" PRIMARY KEY,
  written_epoch bigint NOT NULL,
  written_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  record        bytea NOT NULL
);
)sql";

// Any number, so long as every aggregator uses the same one.
constexpr char kMigrationLock[] = "SELECT pg_advisory_xact_lock(220600001)";

absl::StatusOr<int> VersionFound(PgConnection* conn) {
  AP_ASSIGN_OR_RETURN(
      PgRows rows,
      conn->Exec("SELECT value FROM ap_meta WHERE name = 'schema_version'"));
  if (rows.rows.empty() || !rows.rows[0][0].has_value()) return 0;
  int version = 0;
  if (!absl::SimpleAtoi(*rows.rows[0][0], &version) || version < 1) {
    return absl::DataLossError(
        absl::StrCat("ap_meta.schema_version is \"", *rows.rows[0][0],
                     "\", not a schema version"));
  }
  return version;
}

absl::StatusOr<int> MigrateInTransaction(PgConnection* conn) {
  AP_RETURN_IF_ERROR(conn->Exec(kMigrationLock).status());
  AP_RETURN_IF_ERROR(conn->Exec("CREATE TABLE IF NOT EXISTS ap_meta ("
                                "name text COLLATE \"C\" PRIMARY KEY, "
                                "value text NOT NULL)")
                         .status());
  AP_ASSIGN_OR_RETURN(const int found, VersionFound(conn));
  if (found > kPgSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the database's schema is version ", found,
        ", written by a newer aggregator; this one knows up to version ",
        kPgSchemaVersion, ": run the newer aggregator (refusing to touch it)"));
  }
  // From an older version one step at a time.
  if (found < 1) {
    AP_RETURN_IF_ERROR(conn->Exec(kCreate1).status());
    AP_RETURN_IF_ERROR(conn->Exec(kLeaderTableSql).status());
  }
  if (found < 2) AP_RETURN_IF_ERROR(conn->Exec(kCreate2).status());
  if (found != kPgSchemaVersion) {
    AP_RETURN_IF_ERROR(
        conn->Exec("INSERT INTO ap_meta (name, value) "
                   "VALUES ('schema_version', $1) ON CONFLICT (name) "
                   "DO UPDATE SET value = EXCLUDED.value",
                   {absl::StrCat(kPgSchemaVersion)})
            .status());
  }
  return found;
}

}  // namespace

absl::StatusOr<int> MigratePgSchema(PgConnection* conn) {
  AP_RETURN_IF_ERROR(conn->Exec("BEGIN").status());
  absl::StatusOr<int> found = MigrateInTransaction(conn);
  if (!found.ok()) {
    (void)conn->Exec("ROLLBACK");
    return found.status();
  }
  AP_RETURN_IF_ERROR(conn->Exec("COMMIT").status());
  return found;
}

}  // namespace ap
