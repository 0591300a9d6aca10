#ifndef AP_AGGREGATOR_AUTH_CREDENTIAL_ADMIN_H_
#define AP_AGGREGATOR_AUTH_CREDENTIAL_ADMIN_H_

// The Admin API's logic, without gRPC: credentials managed while the
// aggregator runs, by callers whose API key has the admin role (others are
// PERMISSION_DENIED). Removing or replacing an operator's token tells
// `on_operator_revoked`, so that its open Sync stream is closed at once
// rather than at its next authentication. Thread-safe.

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "aggregator/auth/caller.h"
#include "aggregator/auth/credentials.h"
#include "ap/v1/admin.pb.h"
#include "common/clock.h"

namespace ap {

class CredentialAdmin {
 public:
  using OperatorRevoked = std::function<void(const std::string& operator_id)>;

  CredentialAdmin(CredentialStore* credentials, Clock* clock,
                  OperatorRevoked on_operator_revoked = nullptr)
      : credentials_(credentials),
        clock_(clock),
        on_operator_revoked_(std::move(on_operator_revoked)) {}

  absl::StatusOr<v1::CreateApiKeyResponse> CreateApiKey(
      const Caller& caller, const v1::CreateApiKeyRequest& request);
  absl::StatusOr<v1::ListApiKeysResponse> ListApiKeys(const Caller& caller);
  absl::Status RevokeApiKey(const Caller& caller, const std::string& id);

  absl::StatusOr<v1::AddOperatorResponse> AddOperator(
      const Caller& caller, const std::string& operator_id);
  absl::StatusOr<v1::ListOperatorTokensResponse> ListOperatorTokens(
      const Caller& caller);
  absl::Status RemoveOperator(const Caller& caller,
                              const std::string& operator_id);

 private:
  void Revoked(const std::string& operator_id);

  CredentialStore* const credentials_;
  Clock* const clock_;
  const OperatorRevoked on_operator_revoked_;
};

// PERMISSION_DENIED unless the caller's key has the admin role.
absl::Status RequireAdmin(const Caller& caller);

}  // namespace ap

#endif  // AP_AGGREGATOR_AUTH_CREDENTIAL_ADMIN_H_
