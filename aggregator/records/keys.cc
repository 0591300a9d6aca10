#include "aggregator/records/keys.h"

#include <cstdint>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace ap::keys {

std::string Workflow(absl::string_view workflow_id) {
  return absl::StrCat(kWorkflowPrefix, workflow_id);
}

std::string Notification(absl::string_view workflow_id,
                         absl::string_view notification_id) {
  return absl::StrCat(kNotificationPrefix, workflow_id, "/", notification_id);
}

std::string NotifyState(absl::string_view workflow_id) {
  return absl::StrCat(kNotifyStatePrefix, workflow_id);
}

std::string OwnerPrefix(absl::string_view owner) {
  return absl::StrCat("wfo/", owner, "/");
}

std::string OwnerIndex(absl::string_view owner, absl::string_view workflow_id) {
  return absl::StrCat(OwnerPrefix(owner), workflow_id);
}

std::string StatusPrefix(absl::string_view owner, v1::WorkflowStatus status) {
  return absl::StrFormat("wfs/%s/%02d/", owner, static_cast<int>(status));
}

absl::StatusOr<v1::WorkflowStatus> StatusOfIndexKey(absl::string_view key) {
  const std::vector<absl::string_view> parts = absl::StrSplit(key, '/');
  int status = 0;
  if (parts.size() != 4 || absl::StrCat(parts[0], "/") != kStatusIndexPrefix ||
      parts[2].size() != 2 || !absl::SimpleAtoi(parts[2], &status) ||
      !v1::WorkflowStatus_IsValid(status)) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a workflow status index key: ", key));
  }
  return static_cast<v1::WorkflowStatus>(status);
}

std::string StatusIndex(absl::string_view owner, v1::WorkflowStatus status,
                        absl::string_view workflow_id) {
  return absl::StrCat(StatusPrefix(owner, status), workflow_id);
}

std::string ExecutionPrefix(absl::string_view workflow_id) {
  return absl::StrCat(kExecutionPrefix, workflow_id, "/");
}

std::string Execution(absl::string_view workflow_id,
                      absl::string_view execution_id) {
  return absl::StrCat(ExecutionPrefix(workflow_id), execution_id);
}

std::string OpenPrefix(absl::string_view workflow_id) {
  return absl::StrCat(kOpenPrefix, workflow_id, "/");
}

std::string Open(absl::string_view workflow_id,
                 absl::string_view execution_id) {
  return absl::StrCat(OpenPrefix(workflow_id), execution_id);
}

std::string EventPrefix(absl::string_view workflow_id) {
  return absl::StrCat("evt/", workflow_id, "/");
}

std::string Event(absl::string_view workflow_id, absl::Time at) {
  const int64_t ns = std::max<int64_t>(0, absl::ToUnixNanos(at));
  return absl::StrFormat("%s%020d", EventPrefix(workflow_id), ns);
}

absl::Time EventTime(absl::string_view key) {
  int64_t ns = 0;
  if (!absl::SimpleAtoi(LastComponent(key), &ns)) return absl::UnixEpoch();
  return absl::FromUnixNanos(ns);
}

std::string ExecutionId(absl::string_view workflow_id,
                        absl::Time scheduled_at) {
  return absl::StrCat(
      workflow_id, "-",
      absl::FormatTime("%Y%m%dT%H%M%E3SZ", scheduled_at, absl::UTCTimeZone()));
}

absl::StatusOr<std::string> WorkflowIdOf(absl::string_view execution_id) {
  const size_t dash = execution_id.rfind('-');
  if (dash == absl::string_view::npos || dash == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", execution_id, "\" is not an execution id (WORKFLOW-TIME)"));
  }
  return std::string(execution_id.substr(0, dash));
}

absl::string_view LastComponent(absl::string_view key) {
  const size_t slash = key.rfind('/');
  return slash == absl::string_view::npos ? key : key.substr(slash + 1);
}

}  // namespace ap::keys
