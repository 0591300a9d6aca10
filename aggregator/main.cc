// aggregator: stores workflows, decides when they fire, hands executions to
// operators. main() only wires flags and config to RunAggregator.

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "aggregator/admin_cli.h"
#include "aggregator/app.h"
#include "aggregator/config.h"
#include "common/config/flags.h"
#include "common/log/log.h"
#include "common/signals.h"
#include "common/sync/deadlock_detection.h"

ABSL_FLAG(std::string, config, "", "YAML config file [env AP_CONFIG]");
ABSL_FLAG(bool, validate, false,
          "check the configuration, print it and exit (0 valid, 2 not)");
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, std::string,
               grpc_listen);
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, std::string,
               data_dir);
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, std::string,
               store);
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, std::string,
               postgres_dsn);
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, absl::Duration,
               leader_lease);
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, std::string,
               advertise_address);
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, std::string,
               log_level);
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, std::string,
               tls_cert);
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, std::string,
               tls_key);
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, std::string,
               tls_client_ca);
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, bool,
               reflection);
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, absl::Duration,
               shutdown_grace);
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, int,
               max_message_bytes);
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, std::string,
               http_listen);
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig,
               std::vector<std::string>, http_allowed_origins);
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, std::string,
               repl_socket);
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, int64_t,
               retention_max_executions);
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, absl::Duration,
               retention_max_age);
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, absl::Duration,
               retention_interval);
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, int64_t,
               workflow_cache);
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, absl::Duration,
               ping_interval);
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, absl::Duration,
               heartbeat_interval);
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, absl::Duration,
               lease_grace);
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, absl::Duration,
               misfire_threshold);
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, int64_t,
               max_pending);
ABSL_FLAG(std::string, owner, "", "keys create: the owner the key acts for");
ABSL_FLAG(std::string, role, "writer", "keys create: reader, writer or admin");
ABSL_FLAG(std::string, name, "", "keys create: a note on who holds the key");
ABSL_FLAG(std::string, id, "", "operators add: the operator id");

int main(int argc, char** argv) {
  ap::SetUpUsage(
      "aggregator",
      "aggregator: the ap aggregator. It stores cron workflows, decides when "
      "each fires, and hands the executions to operators.\n\n"
      "usage: aggregator [--config=FILE] [--data-dir=DIR] [--grpc-listen=ADDR]"
      " [flags]\n"
      "       aggregator [--data-dir=DIR] keys create --owner=NAME "
      "--role=reader|writer|admin [--name=TEXT]\n"
      "       aggregator [--data-dir=DIR] keys list | keys revoke ID\n"
      "       aggregator [--data-dir=DIR] operators add --id=ID | operators "
      "list | operators remove ID\n"
      "\nFlags may be written with - or _ and take their value after = or a "
      "space.");
  ap::AggregatorConfig config;
  std::vector<std::string> args;
  if (std::optional<int> code = ap::StartFromCommandLine(
          "aggregator", argc, argv, &ap::BindAggregatorConfig, &config,
          FLAGS_config, FLAGS_validate, &args)) {
    return *code;
  }
  if (!args.empty()) {
    return ap::RunAdminCommand(
        args, config,
        {absl::GetFlag(FLAGS_owner), absl::GetFlag(FLAGS_role),
         absl::GetFlag(FLAGS_name), absl::GetFlag(FLAGS_id)},
        std::cout, std::cerr);
  }
  if (absl::Status s = ap::InitLogging("aggregator", config.log_level);
      !s.ok()) {
    std::fprintf(stderr, "aggregator: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  ap::DisableMutexDeadlockDetection();
  ap::InstallTerminationHandlers();
  return ap::RunAggregator(config);
}
