#ifndef AP_AGGREGATOR_SERVICE_ADMIN_SERVICE_H_
#define AP_AGGREGATOR_SERVICE_ADMIN_SERVICE_H_

// ap.v1.Admin over gRPC: authenticates the caller's API key and calls
// CredentialAdmin, which holds the logic (admin role, revocation hooks).

#include "aggregator/auth/credential_admin.h"
#include "aggregator/auth/credentials.h"
#include "aggregator/service/user_call.h"
#include "ap/v1/admin.grpc.pb.h"

namespace ap {

class AdminServiceImpl final : public v1::Admin::Service {
 public:
  // `forwarder` (optional) sends calls on a standby to the leader.
  AdminServiceImpl(CredentialAdmin* admin, CredentialStore* credentials,
                   LeaderForwarder* forwarder = nullptr)
      : admin_(admin), api_{credentials, forwarder} {}

  grpc::Status CreateApiKey(grpc::ServerContext* ctx,
                            const v1::CreateApiKeyRequest* req,
                            v1::CreateApiKeyResponse* resp) override;
  grpc::Status ListApiKeys(grpc::ServerContext* ctx,
                           const v1::ListApiKeysRequest* req,
                           v1::ListApiKeysResponse* resp) override;
  grpc::Status RevokeApiKey(grpc::ServerContext* ctx,
                            const v1::RevokeApiKeyRequest* req,
                            v1::RevokeApiKeyResponse* resp) override;
  grpc::Status AddOperator(grpc::ServerContext* ctx,
                           const v1::AddOperatorRequest* req,
                           v1::AddOperatorResponse* resp) override;
  grpc::Status ListOperatorTokens(grpc::ServerContext* ctx,
                                  const v1::ListOperatorTokensRequest* req,
                                  v1::ListOperatorTokensResponse* resp) override;
  grpc::Status RemoveOperator(grpc::ServerContext* ctx,
                              const v1::RemoveOperatorRequest* req,
                              v1::RemoveOperatorResponse* resp) override;

 private:
  CredentialAdmin* const admin_;
  const UserApi api_;
};

}  // namespace ap

#endif  // AP_AGGREGATOR_SERVICE_ADMIN_SERVICE_H_
