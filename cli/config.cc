#include "cli/config.h"

#include "common/net/address.h"

namespace ap {

absl::Status ApctlConfig::Validate() const {
  absl::StatusOr<HostPort> hp = ParseHostPort(aggregator);
  if (!hp.ok()) return ConfigKeyError("aggregator", hp.status().message());
  return absl::OkStatus();
}

void BindApctlConfig(ConfigSchema* schema, ApctlConfig* config) {
  schema->AddString("aggregator", &config->aggregator,
                    "the aggregator's gRPC address, HOST:PORT");
  schema->AddSecret("api_key", &config->api_key,
                    "API key sent as `authorization: Bearer KEY`");
  schema->AddEnum("output", &config->output, {"table", "json", "yaml"},
                  "output format");
  schema->AddDuration("timeout", &config->timeout, absl::Milliseconds(1),
                      absl::Hours(1), "deadline of each call");
}

}  // namespace ap
