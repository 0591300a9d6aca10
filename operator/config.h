#ifndef AP_OPERATOR_CONFIG_H_
#define AP_OPERATOR_CONFIG_H_

// The operator's configuration: one struct, filled by common/config from
// YAML < flags < AP_* environment. Every key is listed in
// docs/configuration.md (a test keeps that page true).

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/config/schema.h"

namespace ap {

struct OperatorConfig {
  // Aggregator endpoints, HOST:PORT; the first is the primary.
  std::vector<std::string> aggregator = {"127.0.0.1:2206"};
  // This operator's id, unique among the aggregator's operators.
  std::string id;
  // Operator token for the Node service (env AP_OPERATOR_TOKEN).
  std::string token;
  // Executions run at once.
  int capacity = 4;
  // Where outcomes wait until the aggregator accepts them.
  std::string spool_dir = "./spool";
  // HTTP address for /health, /ready and /metrics.
  std::string http_listen = "0.0.0.0:8081";
  std::string log_level = "info";
  // Programs command steps may run (absolute paths).
  std::vector<std::string> allowed_commands;
  // The reconnect backoff resets only after the link was healthy this long.
  absl::Duration healthy_reset = absl::Seconds(60);
  // Consecutive failures on a cluster member before trying the next.
  int failover_after = 1;
  // Most bytes of outcomes the spool holds; beyond it new outcomes are
  // refused (logged and counted).
  int64_t spool_max_bytes = 256LL << 20;
  // Step output kept per step (the aggregator may cut it further).
  int64_t max_output_bytes = 64 << 10;
  // Per HTTP target: consecutive failures that open its circuit breaker,
  // and how long it stays open before one trial request.
  int breaker_failures = 5;
  absl::Duration breaker_cool_down = absl::Seconds(30);
  // TLS to the aggregator: on with tls; tls_ca (empty: system roots);
  // tls_cert + tls_key for mTLS.
  bool tls = false;
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  // SIGTERM: how long running executions may finish before they are
  // canceled.
  absl::Duration shutdown_grace = absl::Seconds(30);

  absl::Status Validate() const;
};

void BindOperatorConfig(ConfigSchema* schema, OperatorConfig* config);

}  // namespace ap

#endif  // AP_OPERATOR_CONFIG_H_
