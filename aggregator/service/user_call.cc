#include "aggregator/service/user_call.h"

#include "absl/strings/str_cat.h"

#include <string>

#include "common/log/log.h"
#include "common/status.h"

namespace ap {
namespace {

std::string Metadata(const grpc::ServerContext* ctx, const char* key) {
  auto it = ctx->client_metadata().find(key);
  if (it == ctx->client_metadata().end()) return "";
  return std::string(it->second.data(), it->second.size());
}

}  // namespace

grpc::Status HandleUserCall(
    const UserApi& api, grpc::ServerContext* ctx, const char* service,
    const char* method, const google::protobuf::Message& req,
    google::protobuf::Message* resp,
    const std::function<absl::Status(const Caller&)>& fn) {
  if (api.forwarder != nullptr) {
    std::optional<grpc::Status> forwarded = api.forwarder->Forward(
        ctx, absl::StrCat("/", service, "/", method), req, resp);
    if (forwarded.has_value()) return *forwarded;
  }
  absl::StatusOr<Caller> caller =
      api.credentials->AuthenticateUser(Metadata(ctx, "authorization"));
  absl::Status s = caller.ok() ? fn(*caller) : caller.status();
  if (!s.ok()) {
    LogEvent(s.code() == absl::StatusCode::kInternal ||
                     s.code() == absl::StatusCode::kDataLoss
                 ? spdlog::level::err
                 : spdlog::level::debug,
             "rpc_failed",
             {{"method", method},
              {"owner", caller.ok() ? caller->owner : "-"},
              {"code", absl::StatusCodeToString(s.code())},
              {"error", s.message()}});
  }
  return ToGrpcStatus(s);
}

}  // namespace ap
