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
//   GET /console/   the web console's files (only with `console` files):
//                   index.html at /console/, the rest by their paths,
//                   with a Content-Security-Policy allowing nothing but
//                   this origin (no inline script or style);
//                   / and /console redirect to /console/, and /telemetry
//                   to the console's overview
//   /v1/...         any method: the `api` handler (the aggregator's
//                   HTTP/JSON API), bodies up to max_api_body bytes; a
//                   larger one, or a path under /v1/ nothing serves, is
//                   answered in JSON too
// Runs its own thread; Stop() returns once it has stopped.

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "ap/v1/aggregator.pb.h"

namespace httplib {
class Server;
}

namespace ap {

// One request of the JSON API, as the handler sees it.
struct HttpCall {
  std::string method;  // GET, POST, PATCH, DELETE, OPTIONS
  std::string path;    // without the query string
  std::vector<std::pair<std::string, std::string>> query;  // decoded
  std::string authorization;  // the Authorization header ("": none)
  std::string origin;         // the Origin header ("": none)
  std::string host;           // the Host header
  std::string body;
};

struct HttpAnswer {
  int status = 200;
  std::string body;  // JSON
  std::vector<std::pair<std::string, std::string>> headers;
};

// A file served as it is (the console's, built into the binary).
struct StaticFile {
  std::string path;  // relative to the mount point: "index.html", "js/a.js"
  std::string content_type;
  std::string body;
};

struct OpsHandlers {
  // OK when ready, else the reason.
  std::function<absl::Status()> ready;
  std::function<std::string()> metrics;
  std::function<std::vector<v1::OperatorInfo>()> operators;
  // The web console's files (none: not served).
  std::vector<StaticFile> console;
  // The JSON API under /v1/ (none: not served).
  std::function<HttpAnswer(const HttpCall&)> api;
  size_t max_api_body = 1 << 20;
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
