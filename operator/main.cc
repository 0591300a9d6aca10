// operator: runs the executions an aggregator assigns. main() only wires
// flags and config.
//

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "common/config/flags.h"
#include "common/log/log.h"
#include "common/sync/deadlock_detection.h"
#include "operator/app.h"
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
AP_CONFIG_FLAG(ap::OperatorConfig, ap::BindOperatorConfig, int, failover_after);
AP_CONFIG_FLAG(ap::OperatorConfig, ap::BindOperatorConfig, int64_t,
               spool_max_bytes);
AP_CONFIG_FLAG(ap::OperatorConfig, ap::BindOperatorConfig, int64_t,
               max_output_bytes);
AP_CONFIG_FLAG(ap::OperatorConfig, ap::BindOperatorConfig, int,
               breaker_failures);
AP_CONFIG_FLAG(ap::OperatorConfig, ap::BindOperatorConfig, absl::Duration,
               breaker_cool_down);
AP_CONFIG_FLAG(ap::OperatorConfig, ap::BindOperatorConfig, bool, tls);
AP_CONFIG_FLAG(ap::OperatorConfig, ap::BindOperatorConfig, std::string, tls_ca);
AP_CONFIG_FLAG(ap::OperatorConfig, ap::BindOperatorConfig, std::string,
               tls_cert);
AP_CONFIG_FLAG(ap::OperatorConfig, ap::BindOperatorConfig, std::string,
               tls_key);
AP_CONFIG_FLAG(ap::OperatorConfig, ap::BindOperatorConfig, absl::Duration,
               shutdown_grace);

int main(int argc, char** argv) {
  ap::SetUpUsage(
      "operator",
      "operator: the ap operator. It runs the executions an aggregator "
      "assigns and reports every outcome.\n\n"
      "usage: operator --aggregator=HOST:PORT[,HOST:PORT...] --id=ID "
      "[flags]   (the token in AP_OPERATOR_TOKEN)\n\n"
      "Flags may be written with - or _ and take their value after = or a "
      "space.");
  ap::OperatorConfig config;
  if (std::optional<int> code = ap::StartFromCommandLine(
          "operator", argc, argv, &ap::BindOperatorConfig, &config,
          FLAGS_config, FLAGS_validate)) {
    return *code;
  }
  if (absl::Status s = ap::InitLogging("operator", config.log_level); !s.ok()) {
    std::fprintf(stderr, "operator: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  ap::DisableMutexDeadlockDetection();
  return ap::RunOperator(config);
}
