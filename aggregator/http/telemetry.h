#ifndef AP_AGGREGATOR_HTTP_TELEMETRY_H_
#define AP_AGGREGATOR_HTTP_TELEMETRY_H_

// /telemetry: one HTML page a person reads (refreshes every 5 s):
// operators (version, connected, last seen, capacity, load), workflow
// counts, and the latest outcomes with status and duration. Every value is
// HTML-escaped.

#include <string>
#include <vector>

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
  std::vector<v1::OperatorInfo> operators;
  std::vector<v1::Execution> recent;
};

std::string HtmlEscape(absl::string_view text);
std::string RenderTelemetry(const TelemetryData& data);

}  // namespace ap

#endif  // AP_AGGREGATOR_HTTP_TELEMETRY_H_
