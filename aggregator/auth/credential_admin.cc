#include "aggregator/auth/credential_admin.h"

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/proto_time.h"
#include "common/status.h"

namespace ap {
namespace {

v1::ApiKey ToProto(const store::v1::ApiKeyRecord& r) {
  v1::ApiKey k;
  k.set_id(r.id());
  k.set_owner(r.owner());
  k.set_role(static_cast<v1::Role>(r.role()));
  k.set_name(r.name());
  *k.mutable_created_at() = r.created_at();
  return k;
}

}  // namespace

absl::Status RequireAdmin(const Caller& caller) {
  if (caller.role == Role::kAdmin) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("this API key has the ", RoleName(caller.role),
                   " role; managing credentials needs admin"));
}

absl::StatusOr<v1::CreateApiKeyResponse> CredentialAdmin::CreateApiKey(
    const Caller& caller, const v1::CreateApiKeyRequest& request) {
  AP_RETURN_IF_ERROR(RequireAdmin(caller));
  if (request.role() == v1::ROLE_UNSPECIFIED ||
      !v1::Role_IsValid(request.role())) {
    return absl::InvalidArgumentError(
        "role: must be ROLE_READER, ROLE_WRITER or ROLE_ADMIN");
  }
  const absl::Time now = clock_->TimeNow();
  AP_ASSIGN_OR_RETURN(
      NewSecret key,
      credentials_->CreateApiKey(request.owner(),
                                 static_cast<Role>(request.role()),
                                 request.name(), now));
  v1::CreateApiKeyResponse out;
  v1::ApiKey* k = out.mutable_key();
  k->set_id(key.id);
  k->set_owner(request.owner());
  k->set_role(request.role());
  k->set_name(request.name());
  *k->mutable_created_at() = ToProtoTimestamp(now);
  out.set_secret(std::move(key.secret));
  LogEvent(spdlog::level::info, "api_key_created",
           {{"id", k->id()},
            {"owner", k->owner()},
            {"role", RoleName(static_cast<Role>(request.role()))},
            {"by", caller.owner}});
  return out;
}

absl::StatusOr<v1::ListApiKeysResponse> CredentialAdmin::ListApiKeys(
    const Caller& caller) {
  AP_RETURN_IF_ERROR(RequireAdmin(caller));
  AP_ASSIGN_OR_RETURN(std::vector<store::v1::ApiKeyRecord> keys,
                      credentials_->ListApiKeys());
  v1::ListApiKeysResponse out;
  for (const auto& r : keys) *out.add_keys() = ToProto(r);
  return out;
}

absl::Status CredentialAdmin::RevokeApiKey(const Caller& caller,
                                           const std::string& id) {
  AP_RETURN_IF_ERROR(RequireAdmin(caller));
  if (id.empty()) return absl::InvalidArgumentError("id: required");
  AP_RETURN_IF_ERROR(credentials_->RevokeApiKey(id));
  LogEvent(spdlog::level::info, "api_key_revoked",
           {{"id", id}, {"by", caller.owner}});
  return absl::OkStatus();
}

absl::StatusOr<v1::AddOperatorResponse> CredentialAdmin::AddOperator(
    const Caller& caller, const std::string& operator_id) {
  AP_RETURN_IF_ERROR(RequireAdmin(caller));
  const absl::Time now = clock_->TimeNow();
  AP_ASSIGN_OR_RETURN(NewSecret token,
                      credentials_->AddOperator(operator_id, now));
  // Its earlier token, if any, no longer works: nor does a stream opened
  // with it.
  Revoked(operator_id);
  v1::AddOperatorResponse out;
  out.mutable_token()->set_operator_id(operator_id);
  *out.mutable_token()->mutable_created_at() = ToProtoTimestamp(now);
  out.set_secret(std::move(token.secret));
  LogEvent(spdlog::level::info, "operator_added",
           {{"operator", operator_id}, {"by", caller.owner}});
  return out;
}

absl::StatusOr<v1::ListOperatorTokensResponse>
CredentialAdmin::ListOperatorTokens(const Caller& caller) {
  AP_RETURN_IF_ERROR(RequireAdmin(caller));
  AP_ASSIGN_OR_RETURN(std::vector<store::v1::OperatorRecord> ops,
                      credentials_->ListOperators());
  v1::ListOperatorTokensResponse out;
  for (const auto& r : ops) {
    v1::OperatorToken* t = out.add_operators();
    t->set_operator_id(r.operator_id());
    *t->mutable_created_at() = r.created_at();
  }
  return out;
}

absl::Status CredentialAdmin::RemoveOperator(const Caller& caller,
                                             const std::string& operator_id) {
  AP_RETURN_IF_ERROR(RequireAdmin(caller));
  if (operator_id.empty()) {
    return absl::InvalidArgumentError("operator_id: required");
  }
  AP_RETURN_IF_ERROR(credentials_->RemoveOperator(operator_id));
  Revoked(operator_id);
  LogEvent(spdlog::level::info, "operator_removed",
           {{"operator", operator_id}, {"by", caller.owner}});
  return absl::OkStatus();
}

void CredentialAdmin::Revoked(const std::string& operator_id) {
  if (on_operator_revoked_) on_operator_revoked_(operator_id);
}

}  // namespace ap
