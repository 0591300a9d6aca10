#ifndef AP_AGGREGATOR_AUTH_CREDENTIALS_H_
#define AP_AGGREGATOR_AUTH_CREDENTIALS_H_

// API keys (user API) and operator tokens (Node API), stored hashed.
//
// A secret is shown once, when it is made: `apk_` + 64 hex digits for API
// keys, `apo_` + 64 hex digits for operator tokens. Only its SHA-256 is
// stored, under key/<hash> or optok/<hash>, so the store never holds a
// usable credential. An operator token cannot call the user API and an API
// key cannot call the Node API. Thread-safe.
//
// Revocation of an API key takes effect on the next call. An operator
// token that authenticated is remembered for kOperatorCacheTime (the Node
// API takes tens of thousands of calls a second; looking each one up was
// 5 % of the aggregator's CPU): RemoveOperator and AddOperator forget at
// once, a delete made in the store directly (the REPL's `rm`) counts within
// that time. Wrong tokens are never remembered.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "aggregator/auth/caller.h"
#include "aggregator/store/store.h"
#include "ap/store/v1/records.pb.h"
#include "common/clock.h"

namespace ap {

struct NewSecret {
  std::string secret;  // show once
  std::string id;      // public id
};

// "reader", "writer" or "admin".
absl::StatusOr<Role> ParseRole(absl::string_view name);
const char* RoleName(Role role);
// INVALID_ARGUMENT unless 1-64 of [A-Za-z0-9._-].
absl::Status ValidateName(absl::string_view field, absl::string_view name);

class CredentialStore {
 public:
  static constexpr absl::Duration kOperatorCacheTime = absl::Seconds(5);

  explicit CredentialStore(Store* store, Clock* clock = Clock::Real())
      : store_(store), clock_(clock) {}

  absl::StatusOr<NewSecret> CreateApiKey(absl::string_view owner, Role role,
                                         absl::string_view name,
                                         absl::Time now);
  absl::StatusOr<std::vector<store::v1::ApiKeyRecord>> ListApiKeys();
  // By public id; NOT_FOUND if none.
  absl::Status RevokeApiKey(absl::string_view id);

  // Makes a new token for an operator id, replacing any earlier one.
  absl::StatusOr<NewSecret> AddOperator(absl::string_view operator_id,
                                        absl::Time now);
  absl::StatusOr<std::vector<store::v1::OperatorRecord>> ListOperators();
  absl::Status RemoveOperator(absl::string_view operator_id);

  // From the `authorization` metadata value ("Bearer <secret>"). Both are
  // UNAUTHENTICATED with a hint when it is missing, malformed, unknown or
  // the other kind of credential.
  absl::StatusOr<Caller> AuthenticateUser(absl::string_view authorization);
  // Returns the operator id the token belongs to.
  absl::StatusOr<std::string> AuthenticateOperator(
      absl::string_view authorization);

 private:
  struct KnownOperator {
    std::string operator_id;
    absl::Duration until;  // monotonic
  };
  // After a removal: nothing remembered counts, nor does a lookup that
  // started before it.
  void ForgetOperators() ABSL_LOCKS_EXCLUDED(mu_);

  Store* const store_;
  Clock* const clock_;
  absl::Mutex mu_;
  // By secret. Holds at most one entry per stored token (only tokens that
  // authenticated are put), plus expired ones until the next clear.
  absl::flat_hash_map<std::string, KnownOperator> known_operators_
      ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;  // ForgetOperators calls
};

}  // namespace ap

#endif  // AP_AGGREGATOR_AUTH_CREDENTIALS_H_
