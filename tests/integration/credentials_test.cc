#include "aggregator/auth/credentials.h"

#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/backend_store.h"
#include "tests/testing/temp_store.h"

namespace ap {
namespace {

using ::ap::testing::IsOk;
using ::ap::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
constexpr auto kUnauthenticated = absl::StatusCode::kUnauthenticated;

class CredentialsTest
    : public ::testing::TestWithParam<ap::testing::Backend> {
 protected:
  ap::testing::BackendStore temp_{GetParam()};
  CredentialStore creds_{temp_.get()};
};

std::string Bearer(const std::string& s) { return "Bearer " + s; }

TEST_P(CredentialsTest, ApiKeyAuthenticatesAsItsOwnerAndRole) {
  absl::StatusOr<NewSecret> key =
      creds_.CreateApiKey("team-a", Role::kWriter, "ci", kNow);
  ASSERT_THAT(key, IsOk());
  EXPECT_TRUE(absl::StartsWith(key->secret, "apk_"));
  EXPECT_EQ(key->secret.size(), 4u + 64u);
  absl::StatusOr<Caller> caller = creds_.AuthenticateUser(Bearer(key->secret));
  ASSERT_THAT(caller, IsOk());
  EXPECT_EQ(caller->owner, "team-a");
  EXPECT_EQ(caller->role, Role::kWriter);
}

TEST_P(CredentialsTest, OnlyTheHashIsStored) {
  absl::StatusOr<NewSecret> key =
      creds_.CreateApiKey("team-a", Role::kAdmin, "", kNow);
  ASSERT_THAT(key, IsOk());
  bool leaked = false;
  ASSERT_THAT(temp_.get()->Scan("", "",
                                [&](absl::string_view k, absl::string_view v) {
                                  leaked |= absl::StrContains(k, key->secret) ||
                                            absl::StrContains(v, key->secret);
                                  return true;
                                }),
              IsOk());
  EXPECT_FALSE(leaked);
}

TEST_P(CredentialsTest, MissingMalformedAndUnknownKeysAreUnauthenticated) {
  EXPECT_THAT(
      creds_.AuthenticateUser(""),
      StatusIs(kUnauthenticated, HasSubstr("missing `authorization: Bearer")));
  EXPECT_THAT(creds_.AuthenticateUser("Basic dXNlcjpwYXNz"),
              StatusIs(kUnauthenticated, HasSubstr("must be `Bearer")));
  EXPECT_THAT(creds_.AuthenticateUser("Bearer apk_0000"),
              StatusIs(kUnauthenticated, HasSubstr("unknown or revoked")));
}

TEST_P(CredentialsTest, EachKindOfCredentialWorksOnlyOnItsOwnApi) {
  absl::StatusOr<NewSecret> key =
      creds_.CreateApiKey("team-a", Role::kAdmin, "", kNow);
  absl::StatusOr<NewSecret> token = creds_.AddOperator("op-1", kNow);
  ASSERT_THAT(key, IsOk());
  ASSERT_THAT(token, IsOk());
  EXPECT_EQ(*creds_.AuthenticateOperator(Bearer(token->secret)), "op-1");
  EXPECT_THAT(creds_.AuthenticateUser(Bearer(token->secret)),
              StatusIs(kUnauthenticated, HasSubstr("operator token")));
  EXPECT_THAT(creds_.AuthenticateOperator(Bearer(key->secret)),
              StatusIs(kUnauthenticated, HasSubstr("API key")));
}

TEST_P(CredentialsTest, RevokedKeyStopsWorkingAtOnce) {
  absl::StatusOr<NewSecret> key =
      creds_.CreateApiKey("team-a", Role::kReader, "", kNow);
  ASSERT_THAT(key, IsOk());
  ASSERT_THAT(creds_.ListApiKeys(), IsOk());
  EXPECT_THAT(*creds_.ListApiKeys(), SizeIs(1));
  ASSERT_THAT(creds_.RevokeApiKey(key->id), IsOk());
  EXPECT_THAT(creds_.AuthenticateUser(Bearer(key->secret)),
              StatusIs(kUnauthenticated));
  EXPECT_THAT(creds_.RevokeApiKey(key->id),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(CredentialsTest, NewOperatorTokenReplacesTheOldOne) {
  absl::StatusOr<NewSecret> first = creds_.AddOperator("op-1", kNow);
  absl::StatusOr<NewSecret> second = creds_.AddOperator("op-1", kNow);
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_THAT(creds_.AuthenticateOperator(Bearer(first->secret)),
              StatusIs(kUnauthenticated));
  EXPECT_THAT(creds_.AuthenticateOperator(Bearer(second->secret)), IsOk());
  EXPECT_THAT(*creds_.ListOperators(), SizeIs(1));
  ASSERT_THAT(creds_.RemoveOperator("op-1"), IsOk());
  EXPECT_THAT(creds_.AuthenticateOperator(Bearer(second->secret)),
              StatusIs(kUnauthenticated));
}

TEST_P(CredentialsTest, ReplacingOrRemovingAnOperatorForgetsItsTokenAtOnce) {
  absl::StatusOr<NewSecret> first = creds_.AddOperator("op-1", kNow);
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(creds_.AuthenticateOperator(Bearer(first->secret)), IsOk());
  absl::StatusOr<NewSecret> second = creds_.AddOperator("op-1", kNow);
  ASSERT_THAT(second, IsOk());
  EXPECT_THAT(creds_.AuthenticateOperator(Bearer(first->secret)),
              StatusIs(kUnauthenticated));
  ASSERT_THAT(creds_.AuthenticateOperator(Bearer(second->secret)), IsOk());
  ASSERT_THAT(creds_.RemoveOperator("op-1"), IsOk());
  EXPECT_THAT(creds_.AuthenticateOperator(Bearer(second->secret)),
              StatusIs(kUnauthenticated));
}

// Node API calls come by the tens of thousands a second: a token that
// authenticated is remembered for a few seconds instead of being looked up
// each time. A delete the store makes behind the credential store's back
// (the REPL's raw `rm`) therefore takes effect within that time.
class CredentialCacheTest : public ::testing::Test {
 protected:
  ap::testing::TempStore temp;
  SimulatedClock clock{kNow};
  CredentialStore creds{temp.get(), &clock};
};

TEST_F(CredentialCacheTest, AnOperatorTokenIsRememberedForAFewSeconds) {
  absl::StatusOr<NewSecret> token = creds.AddOperator("op-1", kNow);
  ASSERT_THAT(token, IsOk());
  ASSERT_THAT(creds.AuthenticateOperator(Bearer(token->secret)), IsOk());

  WriteBatch raw_delete;
  ASSERT_THAT(temp.get()->Scan("optok/", "",
                               [&](absl::string_view key, absl::string_view) {
                                 raw_delete.Delete(key);
                                 return true;
                               }),
              IsOk());
  ASSERT_THAT(temp.get()->Write(raw_delete), IsOk());

  clock.AdvanceTime(CredentialStore::kOperatorCacheTime - absl::Seconds(1));
  absl::StatusOr<std::string> cached =
      creds.AuthenticateOperator(Bearer(token->secret));
  ASSERT_THAT(cached, IsOk());
  EXPECT_EQ(*cached, "op-1");
  clock.AdvanceTime(absl::Seconds(1));
  EXPECT_THAT(creds.AuthenticateOperator(Bearer(token->secret)),
              StatusIs(kUnauthenticated));
}

// Only tokens that authenticated are remembered: a flood of wrong ones
// cannot fill memory, and a token stored later works at once.
TEST_F(CredentialCacheTest, AnUnknownTokenIsNotRemembered) {
  const std::string secret = "apo_" + std::string(64, 'a');
  EXPECT_THAT(creds.AuthenticateOperator(Bearer(secret)),
              StatusIs(kUnauthenticated));

  // Stored as `operators add` would, with this secret.
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
         digest);
  store::v1::OperatorRecord record;
  record.set_operator_id("op-1");
  WriteBatch put;
  put.Put(absl::StrCat("optok/", absl::BytesToHexString(absl::string_view(
                                     reinterpret_cast<const char*>(digest),
                                     sizeof(digest)))),
          record.SerializeAsString());
  ASSERT_THAT(temp.get()->Write(put), IsOk());
  EXPECT_THAT(creds.AuthenticateOperator(Bearer(secret)), IsOk());
}

AP_BOTH_BACKENDS(CredentialsTest);

TEST_P(CredentialsTest, NamesAndRolesAreValidated) {
  EXPECT_THAT(creds_.CreateApiKey("team a", Role::kReader, "", kNow),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("owner")));
  EXPECT_THAT(
      creds_.AddOperator("op/1", kNow),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("operator id")));
  EXPECT_EQ(*ParseRole("Writer"), Role::kWriter);
  EXPECT_THAT(ParseRole("root"), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("reader, writer, admin")));
}

}  // namespace
}  // namespace ap
