#include "cli/config.h"

#include "common/net/address.h"

namespace ap {

absl::Status ApctlConfig::Validate() const {
  absl::StatusOr<HostPort> hp = ParseHostPort(aggregator);
  if (!hp.ok()) return ConfigKeyError("aggregator", hp.status().message());
  if (tls_cert.empty() != tls_key.empty()) {
    return ConfigKeyError(tls_cert.empty() ? "tls_cert" : "tls_key",
                          "tls_cert and tls_key go together");
  }
  if (!tls && (!tls_ca.empty() || !tls_cert.empty())) {
    return ConfigKeyError("tls", "tls_ca/tls_cert are set but tls is off");
  }
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
  schema->AddBool("tls", &config->tls, "connect with TLS");
  schema->AddString("tls_ca", &config->tls_ca,
                    "PEM CA bundle to verify the aggregator (empty: system "
                    "roots)");
  schema->AddString("tls_cert", &config->tls_cert,
                    "PEM client certificate, for mTLS");
  schema->AddString("tls_key", &config->tls_key, "PEM private key of tls_cert");
}

}  // namespace ap
