#include "aggregator/auth/credentials.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/proto_time.h"
#include "common/status.h"

namespace ap {
namespace {

constexpr char kApiKeyPrefix[] = "apk_";
constexpr char kOperatorPrefix[] = "apo_";
constexpr char kApiKeyKeys[] = "key/";
constexpr char kOperatorKeys[] = "optok/";

std::string Sha256Hex(absl::string_view secret) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
         digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

absl::StatusOr<std::string> NewRandomSecret(absl::string_view prefix) {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    return absl::InternalError("no randomness from OpenSSL RAND_bytes");
  }
  return absl::StrCat(
      prefix, absl::BytesToHexString(absl::string_view(
                  reinterpret_cast<const char*>(bytes), sizeof(bytes))));
}

// The secret from "Bearer <secret>", or UNAUTHENTICATED saying what to send.
absl::StatusOr<absl::string_view> BearerSecret(absl::string_view header,
                                               absl::string_view kind) {
  if (header.empty()) {
    return absl::UnauthenticatedError(
        absl::StrCat("missing `authorization: Bearer <", kind, ">` metadata"));
  }
  absl::string_view secret = header;
  if (!absl::ConsumePrefix(&secret, "Bearer ") &&
      !absl::ConsumePrefix(&secret, "bearer ")) {
    return absl::UnauthenticatedError(absl::StrCat(
        "the authorization metadata must be `Bearer <", kind, ">`"));
  }
  return absl::StripAsciiWhitespace(secret);
}

template <typename Record>
absl::StatusOr<std::vector<Record>> ScanRecords(Store* store,
                                                absl::string_view prefix) {
  std::vector<Record> out;
  absl::Status parse;
  AP_RETURN_IF_ERROR(store->Scan(
      prefix, "", [&](absl::string_view key, absl::string_view value) {
        Record r;
        if (!r.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          parse = absl::DataLossError(absl::StrCat("cannot parse ", key));
          return false;
        }
        out.push_back(std::move(r));
        return true;
      }));
  AP_RETURN_IF_ERROR(parse);
  return out;
}

// Deletes every record under `prefix` that `match` accepts; returns how many.
template <typename Record, typename Match>
absl::StatusOr<int> DeleteWhere(Store* store, absl::string_view prefix,
                                Match match) {
  WriteBatch batch;
  int n = 0;
  AP_RETURN_IF_ERROR(store->Scan(
      prefix, "", [&](absl::string_view key, absl::string_view value) {
        Record r;
        if (r.ParseFromArray(value.data(), static_cast<int>(value.size())) &&
            match(r)) {
          batch.Delete(key);
          ++n;
        }
        return true;
      }));
  if (n > 0) AP_RETURN_IF_ERROR(store->Write(batch));
  return n;
}

}  // namespace

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  const std::string n = absl::AsciiStrToLower(name);
  if (n == "reader") return Role::kReader;
  if (n == "writer") return Role::kWriter;
  if (n == "admin") return Role::kAdmin;
  return absl::InvalidArgumentError(
      absl::StrCat("role \"", name, "\" is not one of reader, writer, admin"));
}

const char* RoleName(Role role) {
  switch (role) {
    case Role::kReader:
      return "reader";
    case Role::kWriter:
      return "writer";
    case Role::kAdmin:
      return "admin";
  }
  return "unknown";
}

absl::Status ValidateName(absl::string_view field, absl::string_view name) {
  bool ok = !name.empty() && name.size() <= 64;
  for (char c : name) {
    ok &= absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-';
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", name, "\" must be 1-64 of [A-Za-z0-9._-]"));
  }
  return absl::OkStatus();
}

absl::StatusOr<NewSecret> CredentialStore::CreateApiKey(absl::string_view owner,
                                                        Role role,
                                                        absl::string_view name,
                                                        absl::Time now) {
  AP_RETURN_IF_ERROR(ValidateName("owner", owner));
  if (name.size() > 200) {
    return absl::InvalidArgumentError("name: longer than 200 bytes");
  }
  AP_ASSIGN_OR_RETURN(std::string secret, NewRandomSecret(kApiKeyPrefix));
  const std::string hash = Sha256Hex(secret);
  store::v1::ApiKeyRecord r;
  r.set_id(hash.substr(0, 12));
  r.set_owner(std::string(owner));
  r.set_role(static_cast<int>(role));
  r.set_name(std::string(name));
  *r.mutable_created_at() = ToProtoTimestamp(now);
  WriteBatch batch;
  batch.Put(absl::StrCat(kApiKeyKeys, hash), r.SerializeAsString());
  AP_RETURN_IF_ERROR(store_->Write(batch));
  return NewSecret{std::move(secret), r.id()};
}

absl::StatusOr<std::vector<store::v1::ApiKeyRecord>>
CredentialStore::ListApiKeys() {
  return ScanRecords<store::v1::ApiKeyRecord>(store_, kApiKeyKeys);
}

absl::Status CredentialStore::RevokeApiKey(absl::string_view id) {
  AP_ASSIGN_OR_RETURN(int n, DeleteWhere<store::v1::ApiKeyRecord>(
                                 store_, kApiKeyKeys,
                                 [&](const auto& r) { return r.id() == id; }));
  if (n == 0)
    return absl::NotFoundError(absl::StrCat("no API key with id ", id));
  return absl::OkStatus();
}

absl::StatusOr<NewSecret> CredentialStore::AddOperator(
    absl::string_view operator_id, absl::Time now) {
  AP_RETURN_IF_ERROR(ValidateName("operator id", operator_id));
  // A new token replaces the operator's old one.
  if (absl::Status s = RemoveOperator(operator_id);
      !s.ok() && s.code() != absl::StatusCode::kNotFound) {
    return s;
  }
  AP_ASSIGN_OR_RETURN(std::string secret, NewRandomSecret(kOperatorPrefix));
  store::v1::OperatorRecord r;
  r.set_operator_id(std::string(operator_id));
  *r.mutable_created_at() = ToProtoTimestamp(now);
  WriteBatch batch;
  batch.Put(absl::StrCat(kOperatorKeys, Sha256Hex(secret)),
            r.SerializeAsString());
  AP_RETURN_IF_ERROR(store_->Write(batch));
  return NewSecret{std::move(secret), std::string(operator_id)};
}

absl::StatusOr<std::vector<store::v1::OperatorRecord>>
CredentialStore::ListOperators() {
  return ScanRecords<store::v1::OperatorRecord>(store_, kOperatorKeys);
}

absl::Status CredentialStore::RemoveOperator(absl::string_view operator_id) {
  AP_ASSIGN_OR_RETURN(int n, DeleteWhere<store::v1::OperatorRecord>(
                                 store_, kOperatorKeys, [&](const auto& r) {
                                   return r.operator_id() == operator_id;
                                 }));
  ForgetOperators();
  if (n == 0) {
    return absl::NotFoundError(absl::StrCat("no operator ", operator_id));
  }
  return absl::OkStatus();
}

absl::StatusOr<Caller> CredentialStore::AuthenticateUser(
    absl::string_view authorization) {
  AP_ASSIGN_OR_RETURN(absl::string_view secret,
                      BearerSecret(authorization, "API key"));
  if (absl::StartsWith(secret, kOperatorPrefix)) {
    return absl::UnauthenticatedError(
        "this is an operator token; the user API needs an API key (apk_...)");
  }
  AP_ASSIGN_OR_RETURN(
      std::optional<std::string> raw,
      store_->Get(absl::StrCat(kApiKeyKeys, Sha256Hex(secret))));
  store::v1::ApiKeyRecord r;
  if (!raw || !r.ParseFromString(*raw)) {
    return absl::UnauthenticatedError("unknown or revoked API key");
  }
  return Caller{r.owner(), static_cast<Role>(r.role())};
}

absl::StatusOr<std::string> CredentialStore::AuthenticateOperator(
    absl::string_view authorization) {
  AP_ASSIGN_OR_RETURN(absl::string_view secret,
                      BearerSecret(authorization, "operator token"));
  if (absl::StartsWith(secret, kApiKeyPrefix)) {
    return absl::UnauthenticatedError(
        "this is an API key; the Node API needs an operator token (apo_...)");
  }
  const absl::Duration now = clock_->MonotonicNow();
  uint64_t generation;
  {
    absl::MutexLock l(&mu_);
    auto it = known_operators_.find(secret);
    if (it != known_operators_.end() && now < it->second.until) {
      return it->second.operator_id;
    }
    generation = generation_;
  }
  AP_ASSIGN_OR_RETURN(
      std::optional<std::string> raw,
      store_->Get(absl::StrCat(kOperatorKeys, Sha256Hex(secret))));
  store::v1::OperatorRecord r;
  if (!raw || !r.ParseFromString(*raw)) {
    return absl::UnauthenticatedError("unknown or removed operator token");
  }
  absl::MutexLock l(&mu_);
  // Not if an operator was removed since the read: it may have been this.
  if (generation != generation_) return r.operator_id();
  // Expired entries of removed tokens would otherwise stay: drop them all
  // now and then (the live ones come back at their next call).
  if (known_operators_.size() >= 1024) known_operators_.clear();
  known_operators_[secret] = {r.operator_id(), now + kOperatorCacheTime};
  return r.operator_id();
}

void CredentialStore::ForgetOperators() {
  absl::MutexLock l(&mu_);
  known_operators_.clear();
  ++generation_;
}

}  // namespace ap
