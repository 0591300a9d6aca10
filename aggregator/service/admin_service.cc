#include "aggregator/service/admin_service.h"

#include "aggregator/service/user_call.h"

namespace ap {

grpc::Status AdminServiceImpl::CreateApiKey(grpc::ServerContext* ctx,
                                            const v1::CreateApiKeyRequest* req,
                                            v1::CreateApiKeyResponse* resp) {
  return HandleUserCall(credentials_, ctx, "CreateApiKey",
                        [&](const Caller& c) {
                          return Into(admin_->CreateApiKey(c, *req), resp);
                        });
}

grpc::Status AdminServiceImpl::ListApiKeys(grpc::ServerContext* ctx,
                                           const v1::ListApiKeysRequest*,
                                           v1::ListApiKeysResponse* resp) {
  return HandleUserCall(credentials_, ctx, "ListApiKeys", [&](const Caller& c) {
    return Into(admin_->ListApiKeys(c), resp);
  });
}

grpc::Status AdminServiceImpl::RevokeApiKey(grpc::ServerContext* ctx,
                                            const v1::RevokeApiKeyRequest* req,
                                            v1::RevokeApiKeyResponse*) {
  return HandleUserCall(
      credentials_, ctx, "RevokeApiKey",
      [&](const Caller& c) { return admin_->RevokeApiKey(c, req->id()); });
}

grpc::Status AdminServiceImpl::AddOperator(grpc::ServerContext* ctx,
                                           const v1::AddOperatorRequest* req,
                                           v1::AddOperatorResponse* resp) {
  return HandleUserCall(credentials_, ctx, "AddOperator", [&](const Caller& c) {
    return Into(admin_->AddOperator(c, req->operator_id()), resp);
  });
}

grpc::Status AdminServiceImpl::ListOperatorTokens(
    grpc::ServerContext* ctx, const v1::ListOperatorTokensRequest*,
    v1::ListOperatorTokensResponse* resp) {
  return HandleUserCall(credentials_, ctx, "ListOperatorTokens",
                        [&](const Caller& c) {
                          return Into(admin_->ListOperatorTokens(c), resp);
                        });
}

grpc::Status AdminServiceImpl::RemoveOperator(
    grpc::ServerContext* ctx, const v1::RemoveOperatorRequest* req,
    v1::RemoveOperatorResponse*) {
  return HandleUserCall(credentials_, ctx, "RemoveOperator",
                        [&](const Caller& c) {
                          return admin_->RemoveOperator(c, req->operator_id());
                        });
}

}  // namespace ap
