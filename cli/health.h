#ifndef AP_CLI_HEALTH_H_
#define AP_CLI_HEALTH_H_

// `apctl health`: a grpc.health.v1 Check, usable as a container health
// check (exit 0 only when SERVING).

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"

namespace ap {

// The serving status name ("SERVING", "NOT_SERVING", "SERVICE_UNKNOWN",
// "UNKNOWN") of `service` ("" for the server as a whole), or the call's
// error (UNAVAILABLE when nothing answers, NOT_FOUND for a service the
// server does not know).
absl::StatusOr<std::string> CheckHealth(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& service,
    absl::Duration timeout);

}  // namespace ap

#endif  // AP_CLI_HEALTH_H_
