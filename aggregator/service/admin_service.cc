#include "aggregator/service/admin_service.h"

#include "aggregator/service/user_call.h"

namespace ap {

grpc::Status AdminServiceImpl::CreateApiKey(grpc::ServerContext* ctx,
                                            const v1::CreateApiKeyRequest* req,
                                            v1::CreateApiKeyResponse* resp) {
  return HandleUserCall(api_, ctx, v1::Admin::service_full_name(), "CreateApiKey", *req, resp,
                        [&](const Caller& c) {
                          return Into(admin_->CreateApiKey(c, *req), resp);
                        });
}

grpc::Status AdminServiceImpl::ListApiKeys(grpc::ServerContext* ctx,
                                           const v1::ListApiKeysRequest* req,
                                           v1::ListApiKeysResponse* resp) {
  return HandleUserCall(api_, ctx, v1::Admin::service_full_name(), "ListApiKeys", *req, resp, [&](const Caller& c) {
    return Into(admin_->ListApiKeys(c), resp);
  });
}

grpc::Status AdminServiceImpl::RevokeApiKey(grpc::ServerContext* ctx,
                                            const v1::RevokeApiKeyRequest* req,
                                            v1::RevokeApiKeyResponse* resp) {
  return HandleUserCall(api_, ctx, v1::Admin::service_full_name(), "RevokeApiKey", *req, resp,
      [&](const Caller& c) { return admin_->RevokeApiKey(c, req->id()); });
}

grpc::Status AdminServiceImpl::AddOperator(grpc::ServerContext* ctx,
                                           const v1::AddOperatorRequest* req,
                                           v1::AddOperatorResponse* resp) {
  return HandleUserCall(api_, ctx, v1::Admin::service_full_name(), "AddOperator", *req, resp, [&](const Caller& c) {
    return Into(admin_->AddOperator(c, req->operator_id()), resp);
  });
}

grpc::Status AdminServiceImpl::ListOperatorTokens(
    grpc::ServerContext* ctx, const v1::ListOperatorTokensRequest* req,
    v1::ListOperatorTokensResponse* resp) {
  return HandleUserCall(api_, ctx, v1::Admin::service_full_name(), "ListOperatorTokens", *req, resp,
                        [&](const Caller& c) {
                          return Into(admin_->ListOperatorTokens(c), resp);
                        });
}

grpc::Status AdminServiceImpl::RemoveOperator(
    grpc::ServerContext* ctx, const v1::RemoveOperatorRequest* req,
    v1::RemoveOperatorResponse* resp) {
  return HandleUserCall(api_, ctx, v1::Admin::service_full_name(), "RemoveOperator", *req, resp,
                        [&](const Caller& c) {
                          return admin_->RemoveOperator(c, req->operator_id());
                        });
}

}  // namespace ap
