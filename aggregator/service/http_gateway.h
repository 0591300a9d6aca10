#ifndef AP_AGGREGATOR_SERVICE_HTTP_GATEWAY_H_
#define AP_AGGREGATOR_SERVICE_HTTP_GATEWAY_H_

// The user API on the HTTP port as JSON (docs/http-api.md), in the style
// of grpc-gateway: each request is matched to an RPC by the routes its
// proto declares (http_routes.h), turned into the RPC's request, and
// called on this aggregator's own gRPC server through an in-process
// channel with the caller's Authorization header as its metadata, so that
// keys, roles, validation and the forwarding of a standby to its leader
// are the gRPC API's very own. Answers are the response in protobuf's JSON
// mapping, or an error {code, message, details} with the HTTP status that
// matches the gRPC code.
//
// A request with an Origin header from another origin (a page elsewhere,
// calling with the user's key) is refused unless that origin is allowed.
// Thread-safe.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "aggregator/service/http_routes.h"
#include "common/http/ops_server.h"
#include "grpcpp/channel.h"
#include "grpcpp/support/status.h"

namespace ap {

// The HTTP status grpc-gateway gives a gRPC code (INVALID_ARGUMENT 400,
// UNAUTHENTICATED 401, PERMISSION_DENIED 403, NOT_FOUND 404, ...).
int HttpStatusOf(grpc::StatusCode code);
// {"code": N, "message": "...", "details": []} with that status.
HttpAnswer ErrorAnswer(grpc::StatusCode code, absl::string_view message);

class HttpGateway {
 public:
  struct Options {
    // Origins (scheme://host[:port]) allowed to call from a browser, besides
    // the API's own.
    std::vector<std::string> allowed_origins;
    // How long a call may take.
    absl::Duration deadline = absl::Seconds(30);
  };

  // `channel` reaches this aggregator's own gRPC server.
  HttpGateway(const google::protobuf::ServiceDescriptor* service,
              std::function<std::shared_ptr<grpc::Channel>()> channel,
              Options options);

  HttpAnswer Handle(const HttpCall& call) const;

 private:
  // The RPC `call` names, called; the answer without CORS headers.
  HttpAnswer Call(const HttpCall& call) const;
  // Empty when `call` comes from no browser or from this origin; else the
  // origin, allowed or not (`allowed`).
  std::string CrossOrigin(const HttpCall& call, bool* allowed) const;

  const google::protobuf::ServiceDescriptor* const service_;
  const HttpRoutes routes_;
  const std::function<std::shared_ptr<grpc::Channel>()> channel_;
  const Options options_;
};

}  // namespace ap

#endif  // AP_AGGREGATOR_SERVICE_HTTP_GATEWAY_H_
