#include "operator/config.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/net/address.h"

namespace ap {
namespace {

bool IsValidId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

absl::Status OperatorConfig::Validate() const {
  if (aggregator.empty()) {
    return ConfigKeyError("aggregator", "name at least one HOST:PORT");
  }
  for (const std::string& endpoint : aggregator) {
    absl::StatusOr<HostPort> hp = ParseHostPort(endpoint);
    if (!hp.ok()) return ConfigKeyError("aggregator", hp.status().message());
    if (hp->port == 0)
      return ConfigKeyError("aggregator", "port 0 cannot be dialed");
  }
  if (!IsValidId(id)) {
    return ConfigKeyError("id", id.empty()
                                    ? "required: name this operator (--id)"
                                    : "use 1-64 of [A-Za-z0-9._-]");
  }
  if (token.empty()) {
    return ConfigKeyError(
        "token",
        "required: the operator token from `aggregator operators "
        "add` (--token or AP_OPERATOR_TOKEN)");
  }
  if (spool_dir.empty())
    return ConfigKeyError("spool_dir", "must name a directory");
  if (absl::Status s = ValidateListenAddress(http_listen); !s.ok()) {
    return ConfigKeyError("http_listen", s.message());
  }
  for (const std::string& program : allowed_commands) {
    if (!absl::StartsWith(program, "/")) {
      return ConfigKeyError(
          "allowed_commands",
          absl::StrCat("\"", program, "\" is not an absolute path"));
    }
  }
  if (tls_cert.empty() != tls_key.empty()) {
    return ConfigKeyError(tls_cert.empty() ? "tls_cert" : "tls_key",
                          "tls_cert and tls_key go together");
  }
  if (!tls && (!tls_ca.empty() || !tls_cert.empty())) {
    return ConfigKeyError(tls_ca.empty() ? "tls_cert" : "tls_ca",
                          "set tls: true to use it");
  }
  return absl::OkStatus();
}

void BindOperatorConfig(ConfigSchema* schema, OperatorConfig* config) {
  schema->AddList("aggregator", &config->aggregator,
                  "aggregator endpoints HOST:PORT, comma-separated: one "
                  "aggregator, or the members of one cluster (the operator "
                  "works with whichever leads)");
  schema->AddString("id", &config->id,
                    "this operator's id, unique per aggregator (required)");
  schema->AddSecret("token", &config->token,
                    "operator token for the Node service (required)");
  schema->SetEnvName("token", "AP_OPERATOR_TOKEN");
  schema->AddInt("capacity", &config->capacity, 1, 10000,
                 "executions run at once");
  schema->AddString("spool_dir", &config->spool_dir,
                    "directory where outcomes wait until the aggregator "
                    "accepts them");
  schema->AddString("http_listen", &config->http_listen,
                    "HTTP address for /health, /ready and /metrics");
  schema->AddLogLevel(&config->log_level);
  schema->AddList("allowed_commands", &config->allowed_commands,
                  "absolute paths of programs command steps may run; empty "
                  "allows none");
  schema->AddDuration("healthy_reset", &config->healthy_reset, absl::Seconds(1),
                      absl::Hours(1),
                      "the reconnect backoff resets only after the link was "
                      "healthy this long");
  schema->AddInt("failover_after", &config->failover_after, 1, 100,
                 "consecutive failures on a cluster member before trying the "
                 "next (a standby's answer naming the leader moves there at "
                 "once)");
  schema->AddInt("spool_max_bytes", &config->spool_max_bytes, 1 << 20,
                 int64_t{1} << 40,
                 "most bytes of outcomes the spool holds; beyond it new "
                 "outcomes are refused (logged and counted)");
  schema->AddInt("max_output_bytes", &config->max_output_bytes, 0, 16 << 20,
                 "step output kept per step");
  schema->AddInt("breaker_failures", &config->breaker_failures, 1, 1000,
                 "consecutive failures (no response, timeout, 5xx) that open "
                 "an HTTP target's circuit breaker");
  schema->AddDuration("breaker_cool_down", &config->breaker_cool_down,
                      absl::Milliseconds(100), absl::Hours(1),
                      "how long an open circuit breaker sends nothing to its "
                      "target (steps wait) before letting one trial request "
                      "through");
  schema->AddBool("tls", &config->tls, "connect to the aggregator with TLS");
  schema->AddString("tls_ca", &config->tls_ca,
                    "PEM CA bundle that signed the aggregator's certificate "
                    "(empty: the system roots)");
  schema->AddString("tls_cert", &config->tls_cert,
                    "PEM client certificate for mTLS");
  schema->AddString("tls_key", &config->tls_key, "PEM key of tls_cert");
  schema->AddDuration("shutdown_grace", &config->shutdown_grace,
                      absl::ZeroDuration(), absl::Hours(1),
                      "on SIGTERM, how long running executions may finish "
                      "before they are canceled");
}

}  // namespace ap
