#ifndef AP_TESTS_TESTING_AGGREGATOR_CONFIG_H_
#define AP_TESTS_TESTING_AGGREGATOR_CONFIG_H_

// The configuration integration tests start an AggregatorNode with: its
// store in `data_dir`, gRPC on 127.0.0.1 (`port` 0: any free one), no HTTP
// server and no REPL socket. Tests change what else they need.

#include <string>

#include "aggregator/config.h"

namespace ap::testing {

inline AggregatorConfig TestAggregatorConfig(const std::string& data_dir,
                                             int port = 0) {
  AggregatorConfig config;
  config.data_dir = data_dir;
  config.grpc_listen = "127.0.0.1:" + std::to_string(port);
  config.http_listen = "";
  config.repl_socket = "";
  return config;
}

}  // namespace ap::testing

#endif  // AP_TESTS_TESTING_AGGREGATOR_CONFIG_H_
