// aggregator: stores workflows, decides when they fire, hands executions to
// operators. main() only wires flags and config to RunAggregator.

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "aggregator/app.h"
#include "aggregator/config.h"
#include "common/config/flags.h"
#include "common/log/log.h"
#include "common/signals.h"

ABSL_FLAG(std::string, config, "", "YAML config file [env AP_CONFIG]");
ABSL_FLAG(bool, validate, false,
          "check the configuration, print it and exit (0 valid, 2 not)");
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, std::string,
               grpc_listen);
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, std::string,
               data_dir);
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, std::string,
               log_level);
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, bool,
               reflection);
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, absl::Duration,
               shutdown_grace);
AP_CONFIG_FLAG(ap::AggregatorConfig, ap::BindAggregatorConfig, int,
               max_message_bytes);

int main(int argc, char** argv) {
  ap::SetUpUsage(
      "aggregator",
      "the ap aggregator: stores cron workflows and fires them.\n"
      "usage: aggregator [--config=FILE] [--data-dir=DIR] [--grpc-listen=ADDR]"
      " [flags]\nFlags may be written with - or _.");
  ap::AggregatorConfig config;
  if (std::optional<int> code = ap::StartFromCommandLine(
          "aggregator", argc, argv, &ap::BindAggregatorConfig, &config,
          FLAGS_config, FLAGS_validate)) {
    return *code;
  }
  if (absl::Status s = ap::InitLogging("aggregator", config.log_level);
      !s.ok()) {
    std::fprintf(stderr, "aggregator: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  ap::InstallTerminationHandlers();
  return ap::RunAggregator(config);
}
