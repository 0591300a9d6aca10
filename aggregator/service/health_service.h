#ifndef AP_AGGREGATOR_SERVICE_HEALTH_SERVICE_H_
#define AP_AGGREGATOR_SERVICE_HEALTH_SERVICE_H_

// grpc.health.v1.Health (Check and Watch) for the aggregator.
//
// gRPC's built-in health service never ends a Watch stream, so an open
// watcher would hold a draining server for its whole grace period. This one
// ends every Watch when Shutdown() is called, after sending NOT_SERVING.
//
// Check of a service it does not know answers NOT_FOUND; Watch of one
// streams SERVICE_UNKNOWN until it becomes known (as the protocol says).
// Thread-safe.

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace ap {

class HealthService final : public grpc::health::v1::Health::Service {
 public:
  using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

  // Makes `service` known ("" is the server as a whole) with `status`.
  void SetStatus(const std::string& service, ServingStatus status);
  // Sets every known service.
  void SetAll(ServingStatus status);
  // Everything NOT_SERVING for good; every Watch stream ends.
  void Shutdown();

  grpc::Status Check(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::health::v1::HealthCheckResponse* response) override;
  grpc::Status Watch(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::ServerWriter<grpc::health::v1::HealthCheckResponse>*
                         writer) override;

 private:
  ServingStatus StatusOf(const std::string& service) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, ServingStatus> statuses_
      ABSL_GUARDED_BY(mu_);
  // Grows on every change, so watchers can wait for "something changed".
  uint64_t version_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace ap

#endif  // AP_AGGREGATOR_SERVICE_HEALTH_SERVICE_H_
