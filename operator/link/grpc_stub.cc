#include "operator/link/grpc_stub.h"

#include "ap/v1/node.grpc.pb.h"
#include "common/keepalive.h"
#include "common/log/log.h"
#include "common/status.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"

namespace ap {
namespace {

std::unique_ptr<grpc::ClientContext> CallContext(const std::string& token,
                                                 absl::Duration deadline) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("authorization", "Bearer " + token);
  if (deadline != absl::InfiniteDuration()) {
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  }
  return ctx;
}

// The call's status, with the leader a standby named (kLeaderPayload).
absl::Status CallStatus(const grpc::Status& s, const grpc::ClientContext& ctx) {
  absl::Status out = FromGrpcStatus(s);
  if (out.ok()) return out;
  const auto& trailers = ctx.GetServerTrailingMetadata();
  auto leader = trailers.find("ap-leader");
  if (leader != trailers.end()) {
    out.SetPayload(kLeaderPayload,
                   absl::Cord(absl::string_view(leader->second.data(),
                                                leader->second.size())));
  }
  return out;
}

class GrpcSyncStream : public SyncStream {
 public:
  GrpcSyncStream(v1::Node::Stub* stub, const std::string& token,
                 const v1::SyncRequest& request)
      : ctx_(CallContext(token, absl::InfiniteDuration())),
        reader_(stub->Sync(ctx_.get(), request)) {}
  bool Read(v1::NodeMessage* message) override {
    return reader_->Read(message);
  }
  void Cancel() override { ctx_->TryCancel(); }
  absl::Status Finish() override {
    const grpc::Status s = reader_->Finish();
    return CallStatus(s, *ctx_);
  }

 private:
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientReader<v1::NodeMessage>> reader_;
};

class GrpcStub : public AggregatorStub {
 public:
  GrpcStub(std::shared_ptr<grpc::Channel> channel, std::string token,
           absl::Status tls_error)
      : channel_(channel),
        node_(v1::Node::NewStub(channel)),
        token_(std::move(token)),
        tls_error_(std::move(tls_error)) {}

  absl::StatusOr<v1::PingResponse> Ping(const v1::PingRequest& request,
                                        absl::Duration deadline) override {
    if (!tls_error_.ok()) return tls_error_;
    auto ctx = CallContext(token_, deadline);
    v1::PingResponse response;
    const grpc::Status s = node_->Ping(ctx.get(), request, &response);
    AP_RETURN_IF_ERROR(CallStatus(s, *ctx));
    return response;
  }

  std::unique_ptr<SyncStream> Sync(const v1::SyncRequest& request) override {
    return std::make_unique<GrpcSyncStream>(node_.get(), token_, request);
  }

  absl::StatusOr<v1::ReportResponse> Report(const v1::ReportRequest& request,
                                            absl::Duration deadline) override {
    if (!tls_error_.ok()) return tls_error_;
    auto ctx = CallContext(token_, deadline);
    v1::ReportResponse response;
    AP_RETURN_IF_ERROR(
        FromGrpcStatus(node_->Report(ctx.get(), request, &response)));
    return response;
  }

  absl::StatusOr<std::vector<absl::StatusOr<v1::ReportResponse>>> ReportBatch(
      const std::vector<v1::ReportRequest>& reports,
      absl::Duration deadline) override {
    if (!tls_error_.ok()) return tls_error_;
    auto ctx = CallContext(token_, deadline);
    v1::ReportBatchRequest request;
    for (const v1::ReportRequest& r : reports) *request.add_reports() = r;
    v1::ReportBatchResponse response;
    AP_RETURN_IF_ERROR(
        FromGrpcStatus(node_->ReportBatch(ctx.get(), request, &response)));
    std::vector<absl::StatusOr<v1::ReportResponse>> out;
    out.reserve(response.results_size());
    for (v1::ReportBatchResult& r : *response.mutable_results()) {
      if (r.error_code() != 0) {
        out.push_back(absl::Status(
            static_cast<absl::StatusCode>(r.error_code()), r.error_message()));
      } else {
        out.push_back(std::move(*r.mutable_response()));
      }
    }
    return out;
  }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Node::Stub> node_;
  const std::string token_;
  const absl::Status tls_error_;
};

}  // namespace

GrpcStubFactory::GrpcStubFactory(std::string token, const ClientTls& tls)
    : token_(std::move(token)) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> c =
      MakeChannelCredentials(tls);
  if (c.ok()) {
    credentials_ = *c;
  } else {
    credentials_ = grpc::InsecureChannelCredentials();
    tls_error_ = c.status();
    LogEvent(spdlog::level::err, "tls_config_failed",
             {{"error", c.status().ToString()}});
  }
}

std::shared_ptr<AggregatorStub> GrpcStubFactory::Connect(
    const std::string& endpoint) {
  grpc::ChannelArguments args;
  keepalive::ApplyToChannel(&args);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  return std::make_shared<GrpcStub>(
      grpc::CreateCustomChannel(endpoint, credentials_, args), token_,
      tls_error_);
}

}  // namespace ap
