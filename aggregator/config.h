#ifndef AP_AGGREGATOR_CONFIG_H_
#define AP_AGGREGATOR_CONFIG_H_

// The aggregator's configuration: one struct, filled by common/config from
// YAML < flags < AP_* environment. Every key is listed in
// docs/configuration.md (a test keeps that page true).

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "aggregator/records/workflow_store.h"
#include "common/config/schema.h"

namespace ap {

struct AggregatorConfig {
  // gRPC listen address (user API, Node API, health, reflection).
  std::string grpc_listen = "0.0.0.0:2206";
  // Where workflows and executions are kept: "rocksdb" (embedded, in
  // data_dir, one aggregator) or "postgres" (postgres_dsn, a cluster of
  // aggregators with one leader).
  std::string store = "rocksdb";
  // Directory of the embedded RocksDB store; created if missing.
  std::string data_dir = "./data";
  // libpq connection string or URI of the PostgreSQL store.
  std::string postgres_dsn;
  // How long the leader's lease lasts without renewal (postgres): a standby
  // takes over within about this after the leader dies.
  absl::Duration leader_lease = absl::Seconds(3);
  // The gRPC address the other members and operators reach this aggregator
  // at (postgres); empty: this host's name and the gRPC port.
  std::string advertise_address;
  std::string log_level = "info";
  // TLS on the gRPC port (PEM files); client CA turns on mTLS.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  // Serve gRPC server reflection.
  bool reflection = true;
  // How long SIGTERM waits for in-flight calls before cutting them off.
  absl::Duration shutdown_grace = absl::Seconds(10);
  // Largest gRPC message accepted, in bytes.
  int max_message_bytes = 4 * 1024 * 1024;
  // HTTP address of /health, /ready, /metrics, /operators; empty: off.
  std::string http_listen = "0.0.0.0:8080";
  // Origins allowed to call the HTTP/JSON API from a browser, besides the
  // API's own.
  std::vector<std::string> http_allowed_origins;
  // Unix socket of the admin REPL; empty turns it off.
  std::string repl_socket = "/tmp/ap.sock";
  // Executions kept per workflow (0: any number), and their longest age
  // (0: any age); open ones are always kept. Swept every interval.
  int64_t retention_max_executions = 1000;
  absl::Duration retention_max_age = absl::Hours(24 * 30);
  absl::Duration retention_interval = absl::Minutes(10);
  // Node protocol: how often operators ping, how often a Sync stream gets a
  // heartbeat, and the time added to an execution's timeout for its lease.
  absl::Duration ping_interval = absl::Seconds(5);
  absl::Duration heartbeat_interval = absl::Seconds(5);
  absl::Duration lease_grace = absl::Seconds(30);
  // Parsed workflow records kept in memory (0: none).
  int64_t workflow_cache = WorkflowStore::kDefaultWorkflowCache;
  // A fire handled later than this counts as missed (misfire policy).
  absl::Duration misfire_threshold = absl::Minutes(1);
  // While this many executions wait for an operator, due fires are held
  // back and recorded later (FiringOptions::max_pending; 0: no bound).
  int64_t max_pending = 10'000;

  // Checks what single keys cannot (none of the keys depend on each other
  // yet, but addresses are checked here).
  absl::Status Validate() const;
};

// Adds every key of `config` to `schema`, bound to its field.
void BindAggregatorConfig(ConfigSchema* schema, AggregatorConfig* config);

}  // namespace ap

#endif  // AP_AGGREGATOR_CONFIG_H_
