// operator: runs the executions an aggregator assigns. main() only wires
// flags and config.
//
// This build checks its configuration (--validate); the link to the
// aggregator, execution and the spool are not built yet, and running
// without --validate says so and exits 1 rather than pretend to work.

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "common/config/flags.h"
#include "operator/config.h"

ABSL_FLAG(std::string, config, "", "YAML config file [env AP_CONFIG]");
ABSL_FLAG(bool, validate, false,
          "check the configuration, print it and exit (0 valid, 2 not)");
AP_CONFIG_FLAG(ap::OperatorConfig, ap::BindOperatorConfig,
               std::vector<std::string>, aggregator);
AP_CONFIG_FLAG(ap::OperatorConfig, ap::BindOperatorConfig, std::string, id);
AP_CONFIG_FLAG(ap::OperatorConfig, ap::BindOperatorConfig, std::string, token);
AP_CONFIG_FLAG(ap::OperatorConfig, ap::BindOperatorConfig, int, capacity);
AP_CONFIG_FLAG(ap::OperatorConfig, ap::BindOperatorConfig, std::string,
               spool_dir);
AP_CONFIG_FLAG(ap::OperatorConfig, ap::BindOperatorConfig, std::string,
               http_listen);
AP_CONFIG_FLAG(ap::OperatorConfig, ap::BindOperatorConfig, std::string,
               log_level);
AP_CONFIG_FLAG(ap::OperatorConfig, ap::BindOperatorConfig,
               std::vector<std::string>, allowed_commands);
AP_CONFIG_FLAG(ap::OperatorConfig, ap::BindOperatorConfig, absl::Duration,
               healthy_reset);

int main(int argc, char** argv) {
  ap::SetUpUsage(
      "operator",
      "the ap operator: runs the executions an aggregator assigns.\n"
      "usage: operator --aggregator=HOST:PORT[,HOST:PORT...] --id=ID "
      "--token=TOKEN [flags]\nFlags may be written with - or _.");
  ap::OperatorConfig config;
  if (std::optional<int> code = ap::StartFromCommandLine(
          "operator", argc, argv, &ap::BindOperatorConfig, &config,
          FLAGS_config, FLAGS_validate)) {
    return *code;
  }
  std::fprintf(stderr,
               "operator: this build can only check its configuration "
               "(--validate); connecting to an aggregator and running "
               "executions are not built yet\n");
  return 1;
}
