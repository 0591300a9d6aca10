#include "operator/link/grpc_stub.h"

#include "ap/v1/node.grpc.pb.h"
#include "common/keepalive.h"
#include "common/log/log.h"
#include "common/status.h"
#include "grpc/health/v1/health.grpc.pb.h"
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
  absl::Status Finish() override { return FromGrpcStatus(reader_->Finish()); }

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
        health_(grpc::health::v1::Health::NewStub(channel)),
        token_(std::move(token)),
        tls_error_(std::move(tls_error)) {}

  absl::StatusOr<v1::PingResponse> Ping(const v1::PingRequest& request,
                                        absl::Duration deadline) override {
    if (!tls_error_.ok()) return tls_error_;
    auto ctx = CallContext(token_, deadline);
    v1::PingResponse response;
    AP_RETURN_IF_ERROR(
        FromGrpcStatus(node_->Ping(ctx.get(), request, &response)));
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

  absl::Status CheckHealth(absl::Duration deadline) override {
    if (!tls_error_.ok()) return tls_error_;
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    AP_RETURN_IF_ERROR(
        FromGrpcStatus(health_->Check(&ctx, request, &response)));
    if (response.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
      return absl::UnavailableError(absl::StrCat(
          "health: ", grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
                          response.status())));
    }
    return absl::OkStatus();
  }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Node::Stub> node_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
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
