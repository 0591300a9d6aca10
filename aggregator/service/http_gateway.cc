#include "aggregator/service/http_gateway.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "aggregator/service/generic_call.h"
#include "common/json_escape.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/client_context.h"

namespace ap {

int HttpStatusOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::CANCELLED:
      return 499;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    default:
      return 500;
  }
}

HttpAnswer ErrorAnswer(grpc::StatusCode code, absl::string_view message) {
  return {HttpStatusOf(code),
          absl::StrCat("{\"code\": ", static_cast<int>(code),
                       ", \"message\": \"", JsonEscape(message),
                       "\", \"details\": []}\n"),
          {}};
}

HttpGateway::HttpGateway(
    const google::protobuf::ServiceDescriptor* service,
    std::function<std::shared_ptr<grpc::Channel>()> channel, Options options)
    : service_(service),
      routes_(HttpRoutes::For(service)),
      channel_(std::move(channel)),
      options_(std::move(options)) {}

std::string HttpGateway::CrossOrigin(const HttpCall& call,
                                     bool* allowed) const {
  *allowed = true;
  if (call.origin.empty() || call.origin == "http://" + call.host ||
      call.origin == "https://" + call.host) {
    return "";
  }
  *allowed = std::find(options_.allowed_origins.begin(),
                       options_.allowed_origins.end(),
                       call.origin) != options_.allowed_origins.end();
  return call.origin;
}

HttpAnswer HttpGateway::Handle(const HttpCall& call) const {
  bool allowed = true;
  const std::string origin = CrossOrigin(call, &allowed);
  if (!allowed) {
    return ErrorAnswer(
        grpc::StatusCode::PERMISSION_DENIED,
        absl::StrCat("a cross-origin call from ", origin,
                     " is refused; allow it with http_allowed_origins"));
  }
  std::vector<std::pair<std::string, std::string>> cors;
  if (!origin.empty()) {
    cors = {{"Access-Control-Allow-Origin", origin}, {"Vary", "Origin"}};
  }
  if (call.method == "OPTIONS") {  // a browser's preflight
    HttpAnswer ok{204, "", cors};
    ok.headers.emplace_back("Access-Control-Allow-Methods",
                            "GET, POST, PATCH, DELETE");
    ok.headers.emplace_back("Access-Control-Allow-Headers",
                            "Authorization, Content-Type");
    ok.headers.emplace_back("Access-Control-Max-Age", "600");
    return ok;
  }
  HttpAnswer answer = Call(call);
  answer.headers.insert(answer.headers.end(), cors.begin(), cors.end());
  return answer;
}

HttpAnswer HttpGateway::Call(const HttpCall& call) const {
  absl::StatusOr<HttpRouteMatch> match = routes_.Match(call.method, call.path);
  if (!match.ok()) {
    HttpAnswer answer = ErrorAnswer(
        static_cast<grpc::StatusCode>(match.status().code()),
        match.status().message());
    if (absl::IsUnimplemented(match.status())) answer.status = 405;
    return answer;
  }
  const google::protobuf::Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(
          match->method->input_type());
  std::unique_ptr<google::protobuf::Message> request(prototype->New());
  if (absl::Status s = BuildRequest(*match, call.query, call.body,
                                    request.get());
      !s.ok()) {
    return ErrorAnswer(static_cast<grpc::StatusCode>(s.code()), s.message());
  }
  grpc::ClientContext ctx;
  if (!call.authorization.empty()) {
    ctx.AddMetadata("authorization", call.authorization);
  }
  ctx.set_deadline(std::chrono::system_clock::now() +
                   absl::ToChronoMilliseconds(options_.deadline));
  std::string bytes;
  const grpc::Status st = CallUnary(
      channel_(), &ctx,
      absl::StrCat("/", service_->full_name(), "/", match->method->name()),
      request->SerializeAsString(), &bytes);
  if (!st.ok()) return ErrorAnswer(st.error_code(), st.error_message());
  std::unique_ptr<google::protobuf::Message> response(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(match->method->output_type())
          ->New());
  if (!response->ParseFromString(bytes)) {
    return ErrorAnswer(grpc::StatusCode::INTERNAL, "the answer did not parse");
  }
  HttpAnswer answer{200, "", {}};
  (void)google::protobuf::util::MessageToJsonString(*response, &answer.body);
  answer.body += "\n";
  return answer;
}

}  // namespace ap
