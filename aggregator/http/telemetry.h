#ifndef AP_AGGREGATOR_HTTP_TELEMETRY_H_
#define AP_AGGREGATOR_HTTP_TELEMETRY_H_

// /telemetry: one HTML page a person reads (refreshes every 5 s):
// operators (version, connected, last seen, capacity, load), workflow
// counts (by status too), open executions by status, and the latest outcomes
// with status and duration. Every value is HTML-escaped.

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "ap/v1/aggregator.pb.h"
#include "ap/v1/workflow.pb.h"

namespace ap {

struct TelemetryData {
  std::string aggregator_id;
  std::string version;
  absl::Time now;
  size_t workflows_known = 0;
  size_t workflows_armed = 0;
  int64_t fires = 0;
  // Stored workflows by status; executions not finished yet by status.
  absl::flat_hash_map<v1::WorkflowStatus, int64_t> workflows_by_status;
  absl::flat_hash_map<v1::ExecutionStatus, size_t> open_executions;
  std::vector<v1::OperatorInfo> operators;
  std::vector<v1::Execution> recent;
  // "leader", "leader (epoch 3)", "standby; the leader is at agg-2:2206".
  std::string role = "leader";
};

std::string HtmlEscape(absl::string_view text);
std::string RenderTelemetry(const TelemetryData& data);

}  // namespace ap

#endif  // AP_AGGREGATOR_HTTP_TELEMETRY_H_
