#include "aggregator/service/leader_forwarder.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "aggregator/service/generic_call.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"

namespace ap {
namespace {

// How long a forwarded call may take when the caller set no deadline.
constexpr absl::Duration kDefaultDeadline = absl::Seconds(30);

}  // namespace

std::optional<grpc::Status> StandbyAnswer(grpc::ServerContextBase* ctx,
                                          const LeaderElsewhere& leader) {
  if (!leader) return std::nullopt;
  std::optional<std::string> elsewhere = leader();
  if (!elsewhere.has_value()) return std::nullopt;
  ctx->AddTrailingMetadata(kLeaderMetadata, *elsewhere);
  return grpc::Status(
      grpc::StatusCode::UNAVAILABLE,
      elsewhere->empty()
          ? "this aggregator is a standby and no leader is known yet; retry"
          : absl::StrCat("this aggregator is a standby; the leader is at ",
                         *elsewhere));
}

LeaderForwarder::LeaderForwarder(
    LeaderElsewhere leader,
    std::shared_ptr<grpc::ChannelCredentials> credentials, std::string self)
    : leader_(std::move(leader)),
      credentials_(std::move(credentials)),
      self_(std::move(self)) {}

std::shared_ptr<grpc::Channel> LeaderForwarder::ChannelTo(
    const std::string& address) {
  absl::MutexLock l(&mu_);
  std::shared_ptr<grpc::Channel>& channel = channels_[address];
  if (channel == nullptr) channel = grpc::CreateChannel(address, credentials_);
  return channel;
}

std::optional<grpc::Status> LeaderForwarder::Forward(
    grpc::ServerContext* ctx, const std::string& method,
    const google::protobuf::Message& req, google::protobuf::Message* resp) {
  if (!leader_) return std::nullopt;
  std::optional<std::string> leader = leader_();
  if (!leader.has_value()) return std::nullopt;
  if (leader->empty() ||
      ctx->client_metadata().count(kForwardedMetadata) > 0) {
    return StandbyAnswer(ctx, leader_);
  }
  grpc::ClientContext call;
  for (const auto& [key, value] : ctx->client_metadata()) {
    const std::string k(key.data(), key.size());
    if (k == "authorization" || k == "x-request-id") {
      call.AddMetadata(k, std::string(value.data(), value.size()));
    }
  }
  call.AddMetadata(kForwardedMetadata, self_);
  const auto caller_deadline = ctx->deadline();
  const auto fallback = std::chrono::system_clock::now() +
                        absl::ToChronoSeconds(kDefaultDeadline);
  call.set_deadline(std::min(caller_deadline, fallback));

  std::string body;
  const grpc::Status answer = CallUnary(ChannelTo(*leader), &call, method,
                                        req.SerializeAsString(), &body);
  for (const auto& [key, value] : call.GetServerTrailingMetadata()) {
    const std::string k(key.data(), key.size());
    if (k == kLeaderMetadata) {
      ctx->AddTrailingMetadata(k, std::string(value.data(), value.size()));
    }
  }
  if (!answer.ok()) return answer;
  if (!resp->ParseFromString(body)) {
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        "the leader's answer did not parse");
  }
  return grpc::Status::OK;
}

}  // namespace ap
