#include "common/http/ops_server.h"

#include <httplib.h>

#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/json_escape.h"
#include "common/net/address.h"
#include "common/url_decode.h"
#include "google/protobuf/util/json_util.h"

namespace ap {
namespace {

constexpr char kApiPaths[] = R"(/v1/.*)";

std::string JsonError(int code, absl::string_view message) {
  return absl::StrCat("{\"code\": ", code, ", \"message\": \"",
                      JsonEscape(message), "\", \"details\": []}\n");
}

// The query string of a request target ("/path?a=1&b=2"), decoded.
std::vector<std::pair<std::string, std::string>> QueryOf(
    absl::string_view target) {
  std::vector<std::pair<std::string, std::string>> out;
  const size_t q = target.find('?');
  if (q == absl::string_view::npos) return out;
  for (absl::string_view pair :
       absl::StrSplit(target.substr(q + 1), '&', absl::SkipEmpty())) {
    const size_t eq = pair.find('=');
    out.emplace_back(UrlDecode(pair.substr(0, eq), true),
                     eq == absl::string_view::npos
                         ? std::string()
                         : UrlDecode(pair.substr(eq + 1), true));
  }
  return out;
}

void ServeApi(const OpsHandlers& handlers, httplib::Server* s) {
  auto serve = [api = handlers.api](const httplib::Request& req,
                                    httplib::Response& res) {
    HttpCall call{req.method, req.path, {}, req.get_header_value("Authorization"),
                  req.get_header_value("Origin"), req.get_header_value("Host"),
                  req.body};
    // Not req.params: httplib adds the fields of a form-encoded body to it
    // (curl -d sends JSON as a form unless told otherwise).
    call.query = QueryOf(req.target);
    HttpAnswer answer = api(call);
    res.status = answer.status;
    for (const auto& [name, value] : answer.headers) res.set_header(name, value);
    res.set_content(answer.body, "application/json");
  };
  s->Get(kApiPaths, serve);
  s->Post(kApiPaths, serve);
  s->Patch(kApiPaths, serve);
  s->Put(kApiPaths, serve);  // answered 405 by the routes
  s->Delete(kApiPaths, serve);
  s->Options(kApiPaths, serve);
  s->set_payload_max_length(handlers.max_api_body);
  // What httplib answers by itself under /v1/ (a body too large, a method
  // it has no handler for) is JSON as well.
  s->set_error_handler(httplib::Server::HandlerWithResponse(
      [max = handlers.max_api_body](const httplib::Request& req,
                                    httplib::Response& res) {
    if (!res.body.empty() || req.path.rfind("/v1/", 0) != 0) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    std::string message;
    int code = 3;  // INVALID_ARGUMENT
    if (res.status == 413) {
      message = absl::StrCat("the body is larger than ", max, " bytes");
    } else if (res.status == 400) {
      message = absl::StrCat(
          "the request could not be read; a ", req.method,
          " needs a Content-Length (with curl: -d '{}', not -X ",
          req.method, " alone)");
    } else {
      code = 12;  // UNIMPLEMENTED
      message = absl::StrCat(req.method, " ", req.path, " is not served");
    }
    res.set_content(JsonError(code, message),
        "application/json");
    return httplib::Server::HandlerResponse::Handled;
  }));
}

// Only this origin's scripts, styles, images and API; no inline script or
// style, no plugins, no framing, no <base>, forms post only here.
constexpr char kConsolePolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

void ServeConsole(const std::vector<StaticFile>& files, httplib::Server* s) {
  auto redirect = [](absl::string_view to) {
    return [to = std::string(to)](const httplib::Request&,
                                  httplib::Response& res) {
      res.set_redirect(to, 302);
    };
  };
  s->Get("/", redirect("/console/"));
  s->Get("/console", redirect("/console/"));
  // The page that was /telemetry is the console's overview.
  s->Get("/telemetry", redirect("/console/#/overview"));
  auto table = std::make_shared<absl::flat_hash_map<std::string, StaticFile>>();
  for (const StaticFile& f : files) (*table)[f.path] = f;
  s->Get(R"(/console/(.*))", [table](const httplib::Request& req,
                                     httplib::Response& res) {
    std::string path = req.matches[1];
    if (path.empty()) path = "index.html";
    auto it = table->find(path);
    res.set_header("Content-Security-Policy", kConsolePolicy);
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "no-referrer");
    res.set_header("Cache-Control", "no-cache");
    if (it == table->end()) {
      res.status = 404;
      res.set_content(absl::StrCat("no such file: /console/", path, "\n"),
                      "text/plain; charset=utf-8");
      return;
    }
    res.set_content(it->second.body, it->second.content_type);
  });
}

}  // namespace

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
  if (!handlers.console.empty()) ServeConsole(handlers.console, &s);
  if (handlers.api) ServeApi(handlers, &s);
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
