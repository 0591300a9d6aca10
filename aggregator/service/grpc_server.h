#ifndef AP_AGGREGATOR_SERVICE_GRPC_SERVER_H_
#define AP_AGGREGATOR_SERVICE_GRPC_SERVER_H_

// The aggregator's gRPC server: the given services plus grpc.health.v1
// (Check and Watch, see health_service.h) and, optionally, server
// reflection, with the keepalive policy of common/keepalive.h. Health of ""
// and of every given service starts NOT_SERVING; the owner sets SERVING once
// the store and scheduler are up. Shutdown reports NOT_SERVING and ends
// health Watch streams before draining calls.
//
// Thread-safe.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "aggregator/service/health_service.h"
#include "common/tls.h"
#include "grpcpp/server.h"

namespace ap {

// A service to serve, with its full name for health checks
// (e.g. ap::v1::Aggregator::service_full_name()).
struct ServiceEntry {
  std::string name;
  grpc::Service* service;
};

struct GrpcServerOptions {
  std::string listen = "0.0.0.0:2206";
  ServerTls tls;  // plaintext unless a certificate is given
  bool reflection = true;
  int max_message_bytes = 4 * 1024 * 1024;
  // Handler threads kept waiting for calls once their call is over.
  int max_idle_threads = 32;
};

class GrpcServer {
 public:
  // Binds and starts serving. `services` must outlive the server. Fails
  // with UNAVAILABLE when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(
      const GrpcServerOptions& options, std::vector<ServiceEntry> services);
  ~GrpcServer();

  // The bound port (useful with port 0).
  int port() const { return port_; }

  // Health of "" and of every registered service.
  void SetServing(bool serving);
  // Health of one service ("" the server as a whole).
  void SetServing(const std::string& service, bool serving);

  // A channel to this server within the process (no network, no TLS): the
  // HTTP gateway's. Calls on it after Shutdown fail UNAVAILABLE.
  std::shared_ptr<grpc::Channel> InProcessChannel();

  // Stops accepting calls, lets in-flight ones finish until `grace`, then
  // cancels the rest. Idempotent.
  void Shutdown(absl::Duration grace);

 private:
  GrpcServer(std::unique_ptr<HealthService> health,
             std::unique_ptr<grpc::Server> server, int port);

  std::unique_ptr<HealthService> health_;  // outlives server_
  std::unique_ptr<grpc::Server> server_;
  int port_;
};

}  // namespace ap

#endif  // AP_AGGREGATOR_SERVICE_GRPC_SERVER_H_
