#include "aggregator/service/grpc_server.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/keepalive.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace ap {
namespace {

// Reflection describes only services whose descriptors are in the
// generated pool. gRPC's own health service does not put them there, so
// touch ours to make the linker keep them.
void LinkHealthDescriptors() {
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
}

}  // namespace

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(
    const GrpcServerOptions& options, std::vector<ServiceEntry> services) {
  LinkHealthDescriptors();
  grpc::EnableDefaultHealthCheckService(false);
  auto health = std::make_unique<HealthService>();
  health->SetStatus("", grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  if (options.reflection) {
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  }
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MakeServerCredentials(options.tls);
  if (!credentials.ok()) return credentials.status();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, *credentials, &port);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  // With SO_REUSEPORT a second aggregator on the same port would silently
  // share its traffic instead of failing to start.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  keepalive::ApplyToServer(&builder);
  // gRPC's synchronous server ends a handler thread after its call when
  // two others are already idle, and starts one when none is: with reports
  // and Sync streams blocking in their handlers that was a thousand thread
  // starts and exits a second at 10,000 executions/s. Idle threads stay.
  builder.SetSyncServerOption(
      grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
      options.max_idle_threads);
  builder.RegisterService(health.get());
  for (const ServiceEntry& entry : services) {
    builder.RegisterService(entry.service);
    health->SetStatus(entry.name,
                      grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen,
                     " (address in use, or not an address of this host?)"));
  }
  return std::unique_ptr<GrpcServer>(
      new GrpcServer(std::move(health), std::move(server), port));
}

GrpcServer::GrpcServer(std::unique_ptr<HealthService> health,
                       std::unique_ptr<grpc::Server> server, int port)
    : health_(std::move(health)), server_(std::move(server)), port_(port) {}

GrpcServer::~GrpcServer() { Shutdown(absl::ZeroDuration()); }

void GrpcServer::SetServing(bool serving) {
  health_->SetAll(serving ? grpc::health::v1::HealthCheckResponse::SERVING
                          : grpc::health::v1::HealthCheckResponse::NOT_SERVING);
}

void GrpcServer::SetServing(const std::string& service, bool serving) {
  health_->SetStatus(service,
                     serving ? grpc::health::v1::HealthCheckResponse::SERVING
                             : grpc::health::v1::HealthCheckResponse::NOT_SERVING);
}

void GrpcServer::Shutdown(absl::Duration grace) {
  if (server_ == nullptr) return;
  health_->Shutdown();  // NOT_SERVING, and open Watch streams end now
  server_->Shutdown(std::chrono::system_clock::now() +
                    absl::ToChronoMilliseconds(grace));
  server_->Wait();
  server_.reset();
}

std::shared_ptr<grpc::Channel> GrpcServer::InProcessChannel() {
  grpc::ChannelArguments args;
  return server_->InProcessChannel(args);
}

}  // namespace ap
