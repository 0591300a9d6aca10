#ifndef AP_AGGREGATOR_SERVICE_HTTP_ROUTES_H_
#define AP_AGGREGATOR_SERVICE_HTTP_ROUTES_H_

// The HTTP/JSON routes of a gRPC service, read from its methods'
// (ap.v1.http) options (proto/ap/v1/http.proto): matching a request's
// method and path to an RPC, and building the RPC's request message from
// the path's fields, the query string and the JSON body (protobuf's JSON
// mapping: lowerCamelCase or the .proto's names, enums by name, times in
// RFC 3339, durations as "30s"). Immutable once built; thread-safe.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace ap {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

struct HttpRouteMatch {
  const google::protobuf::MethodDescriptor* method = nullptr;
  // The path's `{field}` values (percent-decoded), by field path.
  std::vector<std::pair<std::string, std::string>> path_fields;
  // The route's body: "*", a field name, or empty (none).
  std::string body;
};

class HttpRoutes {
 public:
  // The routes of every method of `service` that has one.
  static HttpRoutes For(const google::protobuf::ServiceDescriptor* service);
  // The methods of `service` without a route (a test keeps it empty).
  static std::vector<std::string> Unrouted(
      const google::protobuf::ServiceDescriptor* service);

  // NOT_FOUND when no route has this path; UNIMPLEMENTED naming the
  // methods that are served when one has it with another HTTP method.
  absl::StatusOr<HttpRouteMatch> Match(absl::string_view http_method,
                                       absl::string_view path) const;

  // "GET /v1/workflows/{id}" for each route, in the service's order.
  std::vector<std::string> Describe() const;

 private:
  struct Route {
    std::string http_method;
    std::vector<std::string> segments;  // "{field}" for a variable
    std::string verb;                   // after ':', or empty
    std::string body;
    const google::protobuf::MethodDescriptor* method;
  };
  std::vector<Route> routes_;
};

// Fills `request` (of match.method's input type) from the body (per the
// route's body), then the query string (not with body "*"), then the path.
// INVALID_ARGUMENT naming what is wrong: the body's JSON, an unknown field,
// a value of the wrong type.
absl::Status BuildRequest(const HttpRouteMatch& match, const QueryParams& query,
                          absl::string_view body,
                          google::protobuf::Message* request);

}  // namespace ap

#endif  // AP_AGGREGATOR_SERVICE_HTTP_ROUTES_H_
