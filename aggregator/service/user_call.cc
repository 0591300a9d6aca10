#include "aggregator/service/user_call.h"

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
    CredentialStore* credentials, grpc::ServerContext* ctx, const char* method,
    const std::function<absl::Status(const Caller&)>& fn) {
  absl::StatusOr<Caller> caller =
      credentials->AuthenticateUser(Metadata(ctx, "authorization"));
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
