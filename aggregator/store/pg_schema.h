#ifndef AP_AGGREGATOR_STORE_PG_SCHEMA_H_
#define AP_AGGREGATOR_STORE_PG_SCHEMA_H_

// The aggregator's tables in PostgreSQL, created and versioned by the
// aggregator itself (docs/storage.md shows them and how to query them):
//
//   ap_meta             name -> value (schema_version, ...)
//   ap_workflows        one row a workflow: owner, name, status, and the
//                       whole ap.v1.Workflow in `record`
//   ap_executions       one row an execution: workflow, status, attempt,
//                       scheduled time, operator, and the ap.v1.Execution
//   ap_workflow_events  each workflow's status changes, by time
//   ap_credentials      API keys and operator tokens, by secret's SHA-256
//   ap_notifications    notifications waiting for delivery (version 2)
//   ap_notify_state     what each workflow's notifications remember (2)
//   ap_leader           the leader lease (cluster/leader_lease.h)
//   ap_leader_terms     every term: epoch, holder, since
//
// Each row that a write of the aggregator put also says which leader epoch
// wrote it (written_epoch; 0 when unfenced) and when, by the database's
// clock (written_at).
//
// Text columns that keys are made of are COLLATE "C", so that they sort
// bytewise, as the store's keys do.

#include "absl/status/statusor.h"
#include "aggregator/store/pg_connection.h"

namespace ap {

inline constexpr int kPgSchemaVersion = 2;

// The leader lease's tables (cluster/leader_lease.h), part of the schema:
// the lease, and a row for every term (who led from when, by epoch); and
// the fence, ap_fence(lease, holder, epoch): what each of a leader's write
// transactions runs first. It locks the lease row (FOR SHARE) while that
// holder holds that epoch and the lease has not run out by the database's
// clock, and otherwise fails with SQLSTATE kFencedSqlState, which aborts
// the transaction. A takeover waits for a transaction that passed it.
inline constexpr char kFencedSqlState[] = "55AP0";
inline constexpr char kLeaderTableSql[] =
    "CREATE TABLE IF NOT EXISTS ap_leader ("
    " name text PRIMARY KEY,"
    " holder text NOT NULL,"
    " epoch bigint NOT NULL,"
    " lease_until timestamptz NOT NULL,"
    " since timestamptz NOT NULL);"
    "CREATE TABLE IF NOT EXISTS ap_leader_terms ("
    " name text NOT NULL,"
    " epoch bigint NOT NULL,"
    " holder text NOT NULL,"
    " since timestamptz NOT NULL,"
    " PRIMARY KEY (name, epoch));"
    "CREATE OR REPLACE FUNCTION ap_fence(lease text, who text, at_epoch bigint)"
    " RETURNS void LANGUAGE plpgsql AS $$ BEGIN"
    "  PERFORM 1 FROM ap_leader WHERE name = lease AND holder = who"
    "   AND epoch = at_epoch AND lease_until > clock_timestamp() FOR SHARE;"
    "  IF NOT FOUND THEN"
    "   RAISE EXCEPTION 'the lease % is not held by % at epoch %',"
    "    lease, who, at_epoch USING ERRCODE = '55AP0';"
    "  END IF;"
    " END $$";
// Parameters $1, $2, $3: the lease's name, the holder, the epoch.
inline constexpr char kLeaderFenceSql[] = "SELECT ap_fence($1, $2, $3::bigint)";

// Brings the database's schema to kPgSchemaVersion: creates it in an empty
// database, migrates an older one forward, and refuses (FAILED_PRECONDITION)
// one written by a newer aggregator. Aggregators starting together take
// turns (an advisory lock). Returns the version found before (0: none).
absl::StatusOr<int> MigratePgSchema(PgConnection* conn);

}  // namespace ap

#endif  // AP_AGGREGATOR_STORE_PG_SCHEMA_H_
