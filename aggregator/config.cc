#include "aggregator/config.h"

#include "common/net/address.h"
#include "common/redact.h"

namespace ap {

absl::Status AggregatorConfig::Validate() const {
  if (absl::Status s = ValidateListenAddress(grpc_listen); !s.ok()) {
    return ConfigKeyError("grpc_listen", s.message());
  }
  if (!http_listen.empty()) {
    if (absl::Status s = ValidateListenAddress(http_listen); !s.ok()) {
      return ConfigKeyError("http_listen", s.message());
    }
  }
  if (store == "postgres") {
    if (postgres_dsn.empty()) {
      return ConfigKeyError("postgres_dsn",
                            "store: postgres needs a connection string");
    }
  } else if (data_dir.empty()) {
    return ConfigKeyError("data_dir", "must name a directory");
  }
  if (tls_cert.empty() != tls_key.empty()) {
    return ConfigKeyError(tls_cert.empty() ? "tls_cert" : "tls_key",
                          "tls_cert and tls_key go together");
  }
  if (!tls_client_ca.empty() && tls_cert.empty()) {
    return ConfigKeyError("tls_client_ca",
                          "mTLS needs TLS: set tls_cert and tls_key too");
  }
  return absl::OkStatus();
}

void BindAggregatorConfig(ConfigSchema* schema, AggregatorConfig* config) {
  schema->AddString("grpc_listen", &config->grpc_listen,
                    "gRPC listen address, HOST:PORT (port 0 picks a free one)");
  schema->AddEnum("store", &config->store, {"rocksdb", "postgres"},
                  "where workflows and executions are kept: the embedded "
                  "RocksDB in data_dir (one aggregator), or PostgreSQL at "
                  "postgres_dsn (several aggregators, one leader)");
  schema->AddString(
      "data_dir", &config->data_dir,
      "directory of the embedded RocksDB store; created if missing");
  schema->AddRedacted("postgres_dsn", &config->postgres_dsn, &RedactDsn,
                      "libpq connection string or postgres:// URI of the "
                      "PostgreSQL store (its password is never printed)");
  schema->AddDuration("leader_lease", &config->leader_lease,
                      absl::Seconds(1), absl::Minutes(5),
                      "how long the leader's lease lasts unrenewed (renewed "
                      "every third of it): a standby takes over within about "
                      "this after the leader dies");
  schema->AddString("advertise_address", &config->advertise_address,
                    "HOST:PORT other members and operators reach this "
                    "aggregator's gRPC at, named to them when it leads; "
                    "empty: this host's name and the gRPC port");
  schema->AddLogLevel(&config->log_level);
  schema->AddString("tls_cert", &config->tls_cert,
                    "PEM certificate (chain) for TLS on the gRPC port; empty "
                    "serves plaintext");
  schema->AddString("tls_key", &config->tls_key, "PEM private key of tls_cert");
  schema->AddString("tls_client_ca", &config->tls_client_ca,
                    "PEM CA bundle; set, clients must present a certificate it "
                    "signed (mTLS)");
  schema->AddBool("reflection", &config->reflection,
                  "serve gRPC server reflection (for grpcurl)");
  schema->AddDuration("shutdown_grace", &config->shutdown_grace,
                      absl::ZeroDuration(), absl::Minutes(10),
                      "on SIGTERM, how long in-flight calls may finish");
  schema->AddInt("max_message_bytes", &config->max_message_bytes, 1024,
                 64 * 1024 * 1024, "largest gRPC message accepted, in bytes");
  schema->AddString("http_listen", &config->http_listen,
                    "HTTP address of /health, /ready, /metrics, /operators "
                    "and the JSON API under /v1/ (port 0 picks a free one); "
                    "empty turns it off");
  schema->AddList("http_allowed_origins", &config->http_allowed_origins,
                  "origins (https://host:port) whose pages may call the "
                  "JSON API with a user's key; others are refused");
  schema->AddString("repl_socket", &config->repl_socket,
                    "unix socket of the admin REPL (mode 0600); empty turns "
                    "it off");
  schema->AddInt("retention_max_executions", &config->retention_max_executions,
                 0, 100'000'000,
                 "executions kept per workflow, newest first (0: any number; "
                 "unfinished ones are always kept)");
  schema->AddDuration("retention_max_age", &config->retention_max_age,
                      absl::ZeroDuration(), absl::Hours(24 * 3650),
                      "executions scheduled longer ago are removed (0: any "
                      "age)");
  schema->AddDuration("retention_interval", &config->retention_interval,
                      absl::Seconds(1), absl::Hours(24),
                      "how often retention sweeps the store");
  schema->AddInt("workflow_cache", &config->workflow_cache, 0, 10'000'000,
                 "workflow records kept parsed in memory, so a fire and its "
                 "dispatch do not read them from the store (0: none)");
  schema->AddDuration("ping_interval", &config->ping_interval,
                      absl::Milliseconds(100), absl::Minutes(10),
                      "how often operators are told to ping");
  schema->AddDuration("heartbeat_interval", &config->heartbeat_interval,
                      absl::Milliseconds(100), absl::Minutes(10),
                      "a Sync stream gets a heartbeat when nothing else was "
                      "sent for this long");
  schema->AddDuration("lease_grace", &config->lease_grace, absl::Seconds(1),
                      absl::Hours(1),
                      "added to an execution's timeout for its lease; after "
                      "the lease it goes to another attempt");
  schema->AddDuration("misfire_threshold", &config->misfire_threshold,
                      absl::Seconds(1), absl::Hours(24),
                      "a fire handled later than this counts as missed and "
                      "follows the workflow's misfire policy");
  schema->AddInt("max_pending", &config->max_pending, 0, 100'000'000,
                 "while this many executions wait for an operator, due fires "
                 "are held back and recorded, oldest first, as operators take "
                 "work: late, not missed (0: no bound)");
}

}  // namespace ap
