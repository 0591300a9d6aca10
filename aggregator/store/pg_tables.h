#ifndef AP_AGGREGATOR_STORE_PG_TABLES_H_
#define AP_AGGREGATOR_STORE_PG_TABLES_H_

// How the store's keys (records/keys.h, auth/credentials.cc) map onto the
// PostgreSQL tables (pg_schema.h). Each key family is a set of rows of one
// table: a key's components after the family's prefix are the row's key
// columns, and its value is the row's record. The index families (wfo/,
// wfs/, open/) are views over the rows of another family, kept up by the
// table's own indexes: writing their keys changes nothing.
//
//   meta/<name>                        ap_meta (name)
//   wf/<id>                            ap_workflows (id)
//   wfo/<owner>/<id>                   ap_workflows, by owner (view)
//   wfs/<owner>/<status:02>/<id>       ap_workflows, by owner, status (view)
//   ex/<workflow>/<id>                 ap_executions (workflow_id, id)
//   open/<workflow>/<id>               ap_executions not finished (view)
//   evt/<workflow>/<at_ns:020>         ap_workflow_events (workflow_id, at_ns)
//   nst/<workflow>                     ap_notify_state (workflow_id)
//   ntf/<workflow>/<id>                ap_notifications (workflow_id, id)
//   key/<sha256>                       ap_credentials, kind 'api_key'
//   optok/<sha256>                     ap_credentials, kind 'operator_token'

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ap::pg {

// One component of a family's keys.
struct Part {
  const char* sql;     // the component as text, from the row
  const char* column;  // the column it is made from, to match on
  const char* cast;    // the parameter's cast to that column's type
};

// How a family's rows are written (null for a view).
struct Writer {
  // The columns in parameter order; the first `keys` are the primary key,
  // made of the key's components.
  std::vector<const char*> columns;
  std::vector<const char*> casts;  // per column, e.g. "::bytea"
  int keys;
  int binary_column;     // sent as bytes (-1: none)
  bool written_at;       // the table has written_at, set on each update
  bool epoch;            // the table has written_epoch
  // The row's column values from the key's components and its value.
  absl::Status (*row)(const std::vector<absl::string_view>& parts,
                      absl::string_view value,
                      std::vector<std::optional<std::string>>* columns);
};

struct Family {
  const char* prefix;  // "ex/"
  const char* table;
  const char* where;  // which of the table's rows belong ("": all)
  std::vector<Part> parts;
  const char* value;  // the value, as text or bytea
  const Writer* writer;
};

// Every family, in key order.
const std::vector<Family>& Families();
// The family a key belongs to, or null.
const Family* FamilyOf(absl::string_view key);
// The components of `key` after its family's prefix; INVALID_ARGUMENT
// when there are not as many as the family's keys have.
absl::StatusOr<std::vector<absl::string_view>> SplitKey(const Family& family,
                                                        absl::string_view key);
// The whole key as SQL text (COLLATE "C").
std::string KeySql(const Family& family);

// The least string greater than every string starting with `prefix`
// (empty: there is none).
std::string Successor(absl::string_view prefix);

}  // namespace ap::pg

#endif  // AP_AGGREGATOR_STORE_PG_TABLES_H_
