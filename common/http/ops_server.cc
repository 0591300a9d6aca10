#include "common/http/ops_server.h"

#include <httplib.h>

#include "absl/strings/str_cat.h"
#include "common/net/address.h"
#include "google/protobuf/util/json_util.h"

namespace ap {

absl::StatusOr<std::unique_ptr<OpsServer>> OpsServer::Start(
    const std::string& listen, OpsHandlers handlers) {
  absl::StatusOr<HostPort> hp = ParseHostPort(listen);
  if (!hp.ok()) return hp.status();
  std::unique_ptr<OpsServer> out(new OpsServer());
  out->server_ = std::make_unique<httplib::Server>();
  httplib::Server& s = *out->server_;
  // httplib's default adds SO_REUSEPORT, with which a second aggregator on
  // the same port would share it silently instead of failing.
  s.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  s.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  s.Get("/ready",
        [h = handlers](const httplib::Request&, httplib::Response& res) {
          const absl::Status ready = h.ready();
          res.status = ready.ok() ? 200 : 503;
          res.set_content(
              ready.ok() ? std::string("ready\n")
                         : absl::StrCat("not ready: ", ready.message(), "\n"),
              "text/plain");
        });
  s.Get("/metrics",
        [h = handlers](const httplib::Request&, httplib::Response& res) {
          res.set_content(h.metrics(), "text/plain; version=0.0.4");
        });
  if (handlers.operators)
    s.Get("/operators", [h = handlers](const httplib::Request&,
                                       httplib::Response& res) {
      v1::ListOperatorsResponse list;
      for (const v1::OperatorInfo& op : h.operators())
        *list.add_operators() = op;
      std::string json;
      google::protobuf::util::JsonPrintOptions options;
      options.add_whitespace = true;
      (void)google::protobuf::util::MessageToJsonString(list, &json, options);
      res.set_content(json, "application/json");
    });
  if (handlers.telemetry)
    s.Get("/telemetry",
          [h = handlers](const httplib::Request&, httplib::Response& res) {
            res.set_content(h.telemetry(), "text/html; charset=utf-8");
          });
  const int port = hp->port == 0
                       ? s.bind_to_any_port(hp->host)
                       : (s.bind_to_port(hp->host, hp->port) ? hp->port : -1);
  if (port <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", listen, " (address in use?)"));
  }
  out->port_ = port;
  out->thread_ =
      std::thread([srv = out->server_.get()] { srv->listen_after_bind(); });
  // stop() before the listen loop runs would be lost: wait for it.
  for (int i = 0; i < 500 && !s.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return out;
}

OpsServer::~OpsServer() { Stop(); }

void OpsServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace ap
