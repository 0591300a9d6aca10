#include "aggregator/store/pg_tables.h"

#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "ap/v1/workflow.pb.h"
#include "common/proto_time.h"

namespace ap::pg {
namespace {

using Columns = std::vector<std::optional<std::string>>;
using Parts = std::vector<absl::string_view>;

std::string EnumLabel(const std::string& name, absl::string_view prefix) {
  return std::string(absl::StripPrefix(name, prefix));
}

template <typename Message>
absl::Status Parse(absl::string_view value, Message* m) {
  if (!m->ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return absl::InvalidArgumentError(
        absl::StrCat("the value is not an ", m->GetTypeName()));
  }
  return absl::OkStatus();
}

absl::Status MetaRow(const Parts& parts, absl::string_view value,
                     Columns* out) {
  *out = {std::string(parts[0]), std::string(value)};
  return absl::OkStatus();
}

absl::Status WorkflowRow(const Parts& parts, absl::string_view value,
                         Columns* out) {
  v1::Workflow w;
  if (absl::Status s = Parse(value, &w); !s.ok()) return s;
  *out = {std::string(parts[0]),
          w.owner(),
          w.name(),
          EnumLabel(v1::WorkflowStatus_Name(w.status()), "WORKFLOW_STATUS_"),
          absl::StrCat(static_cast<int>(w.status())),
          std::string(value)};
  return absl::OkStatus();
}

absl::Status ExecutionRow(const Parts& parts, absl::string_view value,
                          Columns* out) {
  v1::Execution e;
  if (absl::Status s = Parse(value, &e); !s.ok()) return s;
  std::optional<std::string> scheduled;
  if (e.has_scheduled_at()) {
    scheduled = absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ",
                                 FromProto(e.scheduled_at()),
                                 absl::UTCTimeZone());
  }
  std::optional<std::string> operator_id;
  if (!e.operator_id().empty()) operator_id = e.operator_id();
  *out = {std::string(parts[0]),
          std::string(parts[1]),
          EnumLabel(v1::ExecutionStatus_Name(e.status()), "EXECUTION_STATUS_"),
          absl::StrCat(e.attempt()),
          std::move(scheduled),
          std::move(operator_id),
          std::string(value)};
  return absl::OkStatus();
}

absl::Status EventRow(const Parts& parts, absl::string_view value,
                      Columns* out) {
  int64_t ns = 0;
  if (parts[1].size() != 20 || !absl::SimpleAtoi(parts[1], &ns)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", parts[1], "\" is not a 20-digit time in ns"));
  }
  *out = {std::string(parts[0]), absl::StrCat(ns), std::string(value)};
  return absl::OkStatus();
}

// A row of (workflow_id[, id], record): the key's components and the value.
absl::Status RecordRow(const Parts& parts, absl::string_view value,
                       Columns* out) {
  out->clear();
  for (absl::string_view p : parts) out->emplace_back(std::string(p));
  out->emplace_back(std::string(value));
  return absl::OkStatus();
}

template <const char* kKind>
absl::Status CredentialRow(const Parts& parts, absl::string_view value,
                           Columns* out) {
  *out = {std::string(kKind), std::string(parts[0]), std::string(value)};
  return absl::OkStatus();
}

constexpr char kApiKey[] = "api_key";
constexpr char kOperatorToken[] = "operator_token";

const Writer kMetaWriter{{"name", "value"}, {"", ""}, 1, -1, false, false,
                         &MetaRow};
const Writer kWorkflowWriter{
    {"id", "owner", "name", "status", "status_code", "record"},
    {"", "", "", "", "::smallint", "::bytea"},
    1,
    5,
    true,
    true,
    &WorkflowRow};
const Writer kExecutionWriter{{"workflow_id", "id", "status", "attempt",
                               "scheduled_at", "operator_id", "record"},
                              {"", "", "", "::integer", "::timestamptz", "",
                               "::bytea"},
                              2,
                              6,
                              true,
                              true,
                              &ExecutionRow};
const Writer kEventWriter{{"workflow_id", "at_ns", "status"},
                          {"", "::bigint", ""},
                          2,
                          -1,
                          false,
                          true,
                          &EventRow};
const Writer kApiKeyWriter{{"kind", "hash", "record"}, {"", "", "::bytea"},
                           2, 2, false, true, &CredentialRow<kApiKey>};
const Writer kOperatorTokenWriter{{"kind", "hash", "record"},
                                  {"", "", "::bytea"},
                                  2,
                                  2,
                                  false,
                                  true,
                                  &CredentialRow<kOperatorToken>};

const Writer kNotificationWriter{{"workflow_id", "id", "record"},
                                 {"", "", "::bytea"},
                                 2,
                                 2,
                                 true,
                                 true,
                                 &RecordRow};
const Writer kNotifyStateWriter{{"workflow_id", "record"},
                                {"", "::bytea"},
                                1,
                                1,
                                true,
                                true,
                                &RecordRow};

constexpr char kOpen[] = "status IN ('PENDING', 'DISPATCHED', 'RUNNING')";

}  // namespace

const std::vector<Family>& Families() {
  static const auto* families = new std::vector<Family>{
      {"evt/", "ap_workflow_events", "",
       {{"workflow_id", "workflow_id", ""},
        {"lpad(at_ns::text, 20, '0')", "at_ns", "::bigint"}},
       "status", &kEventWriter},
      {"ex/", "ap_executions", "",
       {{"workflow_id", "workflow_id", ""}, {"id", "id", ""}},
       "record", &kExecutionWriter},
      {"key/", "ap_credentials", "kind = 'api_key'", {{"hash", "hash", ""}},
       "record", &kApiKeyWriter},
      {"meta/", "ap_meta", "", {{"name", "name", ""}}, "value",
       &kMetaWriter},
      {"nst/", "ap_notify_state", "", {{"workflow_id", "workflow_id", ""}},
       "record", &kNotifyStateWriter},
      {"ntf/", "ap_notifications", "",
       {{"workflow_id", "workflow_id", ""}, {"id", "id", ""}}, "record",
       &kNotificationWriter},
      {"open/", "ap_executions", kOpen,
       {{"workflow_id", "workflow_id", ""}, {"id", "id", ""}},
       "''::bytea", nullptr},
      {"optok/", "ap_credentials", "kind = 'operator_token'",
       {{"hash", "hash", ""}}, "record", &kOperatorTokenWriter},
      {"wf/", "ap_workflows", "", {{"id", "id", ""}}, "record",
       &kWorkflowWriter},
      {"wfo/", "ap_workflows", "",
       {{"owner", "owner", ""}, {"id", "id", ""}}, "''::bytea", nullptr},
      {"wfs/", "ap_workflows", "",
       {{"owner", "owner", ""},
        {"lpad(status_code::text, 2, '0')", "status_code", "::smallint"},
        {"id", "id", ""}},
       "''::bytea", nullptr},
  };
  return *families;
}

const Family* FamilyOf(absl::string_view key) {
  for (const Family& f : Families()) {
    if (absl::StartsWith(key, f.prefix)) return &f;
  }
  return nullptr;
}

absl::StatusOr<std::vector<absl::string_view>> SplitKey(const Family& family,
                                                        absl::string_view key) {
  absl::string_view rest = key;
  rest.remove_prefix(std::string_view(family.prefix).size());
  std::vector<absl::string_view> parts = absl::StrSplit(rest, '/');
  if (parts.size() != family.parts.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key \"", key, "\": ", family.prefix, " keys have ",
        family.parts.size(), " component(s) after the prefix"));
  }
  for (absl::string_view p : parts) {
    if (p.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("key \"", key, "\" has an empty component"));
    }
  }
  return parts;
}

std::string KeySql(const Family& family) {
  std::string sql = absl::StrCat("('", family.prefix, "'");
  for (size_t i = 0; i < family.parts.size(); ++i) {
    absl::StrAppend(&sql, i == 0 ? "" : " || '/'", " || ",
                    family.parts[i].sql);
  }
  absl::StrAppend(&sql, ") COLLATE \"C\"");
  return sql;
}

std::string Successor(absl::string_view prefix) {
  std::string s(prefix);
  while (!s.empty() && static_cast<unsigned char>(s.back()) == 0xff) {
    s.pop_back();
  }
  if (!s.empty()) s.back() = static_cast<char>(s.back() + 1);
  return s;
}

}  // namespace ap::pg
