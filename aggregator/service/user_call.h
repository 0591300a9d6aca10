#ifndef AP_AGGREGATOR_SERVICE_USER_CALL_H_
#define AP_AGGREGATOR_SERVICE_USER_CALL_H_

// What every call on an API-key service (ap.v1.Aggregator, ap.v1.Admin)
// does around its logic: on a standby, forward it to the leader
// (leader_forwarder.h); else authenticate the `authorization` metadata,
// run the call as that caller, log a failure, and answer a grpc::Status.

#include <functional>

#include "absl/status/statusor.h"
#include "aggregator/auth/caller.h"
#include "aggregator/auth/credentials.h"
#include "aggregator/service/leader_forwarder.h"
#include "google/protobuf/message.h"
#include "grpcpp/server_context.h"

namespace ap {

struct UserApi {
  CredentialStore* credentials;
  LeaderForwarder* forwarder = nullptr;  // null: never forwards
};

// `service` and `method` name the call ("ap.v1.Aggregator", "GetWorkflow").
grpc::Status HandleUserCall(
    const UserApi& api, grpc::ServerContext* ctx, const char* service,
    const char* method, const google::protobuf::Message& req,
    google::protobuf::Message* resp,
    const std::function<absl::Status(const Caller&)>& fn);

// Copies a StatusOr's value into a response message.
template <typename T>
absl::Status Into(absl::StatusOr<T> result, T* out) {
  if (!result.ok()) return result.status();
  *out = *std::move(result);
  return absl::OkStatus();
}

}  // namespace ap

#endif  // AP_AGGREGATOR_SERVICE_USER_CALL_H_
