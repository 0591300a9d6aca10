#ifndef AP_CLI_CONFIG_H_
#define AP_CLI_CONFIG_H_

// apctl's configuration: where the aggregator is and how to talk to it.
// Filled like the servers' (YAML file < flags < AP_* environment), so
// AP_AGGREGATOR and AP_API_KEY work in scripts and containers.

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/config/schema.h"

namespace ap {

struct ApctlConfig {
  std::string aggregator = "127.0.0.1:2206";
  std::string api_key;
  std::string output = "table";
  absl::Duration timeout = absl::Seconds(10);
  // TLS to the aggregator; tls_ca empty uses the system roots; tls_cert and
  // tls_key present a client certificate (mTLS).
  bool tls = false;
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;

  absl::Status Validate() const;
};

void BindApctlConfig(ConfigSchema* schema, ApctlConfig* config);

}  // namespace ap

#endif  // AP_CLI_CONFIG_H_
