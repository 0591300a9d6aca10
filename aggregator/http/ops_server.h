#ifndef AP_AGGREGATOR_HTTP_OPS_SERVER_H_
#define AP_AGGREGATOR_HTTP_OPS_SERVER_H_

// The aggregator's operations HTTP port (cpp-httplib):
//   GET /health     200 "ok" while the process runs (liveness)
//   GET /ready      200 when the store is open and the fire loop runs,
//                   503 with the reason otherwise
//   GET /metrics    Prometheus text format
//   GET /operators  JSON: the operators, as ListOperators shows them
//   GET /telemetry  an HTML page for people (telemetry.h)
// Runs its own thread; Stop() returns once it has stopped.

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "ap/v1/aggregator.pb.h"

namespace httplib {
class Server;
}

namespace ap {

struct OpsHandlers {
  // OK when ready, else the reason.
  std::function<absl::Status()> ready;
  std::function<std::string()> metrics;
  std::function<std::vector<v1::OperatorInfo>()> operators;
  // The /telemetry page's HTML.
  std::function<std::string()> telemetry;
};

class OpsServer {
 public:
  static absl::StatusOr<std::unique_ptr<OpsServer>> Start(
      const std::string& listen, OpsHandlers handlers);
  ~OpsServer();

  int port() const { return port_; }
  void Stop();

 private:
  OpsServer() = default;

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace ap

#endif  // AP_AGGREGATOR_HTTP_OPS_SERVER_H_
