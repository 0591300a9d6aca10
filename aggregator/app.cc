#include "aggregator/app.h"

#include "aggregator/node.h"
#include "common/log/log.h"
#include "common/redact.h"
#include "common/signals.h"
#include "common/version.h"

namespace ap {

int RunAggregator(const AggregatorConfig& config) {
  LogEvent(spdlog::level::info, "starting",
           {{"version", kVersion},
            {"store", config.store},
            {"where", config.store == "postgres"
                          ? RedactDsn(config.postgres_dsn)
                          : config.data_dir},
            {"grpc_listen", config.grpc_listen}});
  AggregatorNode node(config);
  if (absl::Status s = node.Start(); !s.ok()) {
    LogEvent(spdlog::level::critical, "start_failed",
             {{"error", s.ToString()}});
    return 1;
  }
  LogEvent(spdlog::level::info, "serving",
           {{"grpc_port", node.grpc_port()},
            {"schema_version", node.schema_version()},
            {"reflection", config.reflection ? "on" : "off"},
            {"tls", config.tls_cert.empty()        ? "off"
                    : config.tls_client_ca.empty() ? "on"
                                                   : "mtls"},
            {"repl", config.repl_socket.empty() ? "off" : config.repl_socket},
            {"http_port", node.http_port()},
            {"aggregator_id", node.aggregator_id()}});

  const int sig = WaitForTerminationSignal();
  LogEvent(spdlog::level::info, "draining",
           {{"signal", sig},
            {"grace", absl::FormatDuration(config.shutdown_grace)}});
  const int64_t fires = node.fires();
  node.Drain(config.shutdown_grace);
  LogEvent(spdlog::level::info, "stopped", {{"fires", fires}});
  return 0;
}

}  // namespace ap
