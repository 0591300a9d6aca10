#ifndef AP_COMMON_HTTP_OPS_SERVER_H_
#define AP_COMMON_HTTP_OPS_SERVER_H_

// An operations HTTP port (cpp-httplib), for the aggregator and the
// operator:
//   GET /health     200 "ok" while the process runs (liveness)
//   GET /ready      200 when ready (aggregator: store open and fire loop
//                   running; operator: linked), 503 with the reason
//   GET /metrics    Prometheus text format
//   GET /operators  JSON: the operators, as ListOperators shows them
//                   (only with an `operators` handler)
//   GET /telemetry  an HTML page for people (only with a `telemetry`
//                   handler)
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

#endif  // AP_COMMON_HTTP_OPS_SERVER_H_
