#include "operator/app.h"

#include "absl/strings/str_join.h"
#include "common/http/ops_server.h"
#include "common/log/log.h"
#include "common/signals.h"
#include "common/version.h"
#include "operator/link/grpc_stub.h"
#include "operator/node.h"

namespace ap {

int RunOperator(const OperatorConfig& config) {
  InstallTerminationHandlers();
  GrpcStubFactory stubs(
      config.token,
      ClientTls{config.tls, config.tls_ca, config.tls_cert, config.tls_key});
  OperatorNode node(config, Clock::Real(), LinkOptionsFrom(config), &stubs);
  if (absl::Status s = node.Start(); !s.ok()) {
    LogEvent(spdlog::level::critical, "spool_unusable",
             {{"dir", config.spool_dir}, {"error", s.ToString()}});
    return 1;
  }
  OpsHandlers handlers;
  handlers.ready = [&node]() -> absl::Status {
    return node.link().status().linked
               ? absl::OkStatus()
               : absl::UnavailableError("not linked to an aggregator");
  };
  handlers.metrics = [&node] { return node.metrics().Render(node.Snapshot()); };
  absl::StatusOr<std::unique_ptr<OpsServer>> ops =
      OpsServer::Start(config.http_listen, handlers);
  if (!ops.ok()) {
    LogEvent(
        spdlog::level::critical, "http_listen_failed",
        {{"address", config.http_listen}, {"error", ops.status().ToString()}});
    return 1;
  }
  LogEvent(spdlog::level::info, "operator_started",
           {{"id", config.id},
            {"version", kVersion},
            {"aggregator", absl::StrJoin(config.aggregator, ",")},
            {"capacity", config.capacity},
            {"http_port", (*ops)->port()},
            {"spooled", node.spool().depth()}});

  const int signal = WaitForTerminationSignal();
  LogEvent(spdlog::level::info, "operator_draining",
           {{"signal", signal},
            {"running", node.executor().running()},
            {"grace", absl::FormatDuration(config.shutdown_grace)}});
  node.Drain(config.shutdown_grace);
  (*ops)->Stop();
  LogEvent(spdlog::level::info, "operator_stopped",
           {{"still_spooled", node.spool().depth()}});
  return 0;
}

}  // namespace ap
