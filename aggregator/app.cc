#include "aggregator/app.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "aggregator/service/grpc_server.h"
#include "aggregator/store/rocksdb_store.h"
#include "common/log/log.h"
#include "common/signals.h"
#include "common/version.h"

namespace ap {

int RunAggregator(const AggregatorConfig& config) {
  LogEvent(spdlog::level::info, "starting",
           {{"version", kVersion},
            {"data_dir", config.data_dir},
            {"grpc_listen", config.grpc_listen}});
  absl::StatusOr<std::unique_ptr<RocksDbStore>> store =
      RocksDbStore::Open({config.data_dir, /*sync_writes=*/true});
  if (!store.ok()) {
    LogEvent(
        spdlog::level::critical, "store_open_failed",
        {{"data_dir", config.data_dir}, {"error", store.status().ToString()}});
    return 1;
  }
  GrpcServerOptions options;
  options.listen = config.grpc_listen;
  options.reflection = config.reflection;
  options.max_message_bytes = config.max_message_bytes;
  absl::StatusOr<std::unique_ptr<GrpcServer>> server =
      GrpcServer::Start(options, {});
  if (!server.ok()) {
    LogEvent(spdlog::level::critical, "listen_failed",
             {{"address", config.grpc_listen},
              {"error", server.status().ToString()}});
    return 1;
  }
  (*server)->SetServing(true);
  LogEvent(spdlog::level::info, "serving",
           {{"grpc_port", (*server)->port()},
            {"schema_version", (*store)->schema_version()},
            {"reflection", config.reflection ? "on" : "off"}});

  const int sig = WaitForTerminationSignal();
  LogEvent(spdlog::level::info, "draining",
           {{"signal", sig},
            {"grace", absl::FormatDuration(config.shutdown_grace)}});
  (*server)->Shutdown(config.shutdown_grace);
  store->reset();  // closes RocksDB, flushing its memtables
  LogEvent(spdlog::level::info, "stopped");
  return 0;
}

}  // namespace ap
