#include "aggregator/service/health_service.h"

#include "absl/time/time.h"

namespace ap {
namespace {

using grpc::health::v1::HealthCheckResponse;

// How often a Watch notices that its client went away while nothing changes.
constexpr absl::Duration kCancelPoll = absl::Milliseconds(200);

}  // namespace

void HealthService::SetStatus(const std::string& service,
                              ServingStatus status) {
  absl::MutexLock l(&mu_);
  if (shutdown_) return;
  statuses_[service] = status;
  ++version_;
}

void HealthService::SetAll(ServingStatus status) {
  absl::MutexLock l(&mu_);
  if (shutdown_) return;
  for (auto& [name, s] : statuses_) s = status;
  ++version_;
}

void HealthService::Shutdown() {
  absl::MutexLock l(&mu_);
  for (auto& [name, s] : statuses_) s = HealthCheckResponse::NOT_SERVING;
  shutdown_ = true;
  ++version_;
}

HealthService::ServingStatus HealthService::StatusOf(
    const std::string& service) const {
  auto it = statuses_.find(service);
  return it == statuses_.end() ? HealthCheckResponse::SERVICE_UNKNOWN
                               : it->second;
}

grpc::Status HealthService::Check(
    grpc::ServerContext*, const grpc::health::v1::HealthCheckRequest* request,
    HealthCheckResponse* response) {
  absl::ReaderMutexLock l(&mu_);
  const ServingStatus status = StatusOf(request->service());
  if (status == HealthCheckResponse::SERVICE_UNKNOWN) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "service name unknown");
  }
  response->set_status(status);
  return grpc::Status::OK;
}

grpc::Status HealthService::Watch(
    grpc::ServerContext* context,
    const grpc::health::v1::HealthCheckRequest* request,
    grpc::ServerWriter<HealthCheckResponse>* writer) {
  uint64_t seen_version = 0;
  bool first = true;
  ServingStatus last_sent = HealthCheckResponse::UNKNOWN;
  while (true) {
    ServingStatus status;
    bool shutdown;
    {
      absl::MutexLock l(&mu_);
      auto changed = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return first || version_ != seen_version;
      };
      if (!mu_.AwaitWithTimeout(absl::Condition(&changed), kCancelPoll)) {
        if (context->IsCancelled()) return grpc::Status::CANCELLED;
        continue;
      }
      seen_version = version_;
      status = StatusOf(request->service());
      shutdown = shutdown_;
    }
    if (first || status != last_sent) {
      HealthCheckResponse response;
      response.set_status(status);
      if (!writer->Write(response)) return grpc::Status::CANCELLED;
      last_sent = status;
      first = false;
    }
    if (shutdown) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "server draining");
    }
  }
}

}  // namespace ap
