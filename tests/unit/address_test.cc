#include "common/net/address.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ap {
namespace {

using ::ap::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ParseHostPortTest, AcceptsNamesIpv4AndBracketedIpv6) {
  EXPECT_EQ(ParseHostPort("localhost:2206")->host, "localhost");
  EXPECT_EQ(ParseHostPort("0.0.0.0:0")->port, 0);
  absl::StatusOr<HostPort> v6 = ParseHostPort("[::1]:8080");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 8080);
}

TEST(ParseHostPortTest, RejectsWhatCannotBeAnAddress) {
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(ParseHostPort("localhost"),
              StatusIs(kInvalid, HasSubstr("no port")));
  EXPECT_THAT(ParseHostPort(":2206"), StatusIs(kInvalid, HasSubstr("no host")));
  EXPECT_THAT(ParseHostPort("h:65536"),
              StatusIs(kInvalid, HasSubstr("0-65535")));
  EXPECT_THAT(ParseHostPort("h:-1"), StatusIs(kInvalid));
  EXPECT_THAT(ParseHostPort("h:http"), StatusIs(kInvalid));
  EXPECT_THAT(ParseHostPort("::1:80"),
              StatusIs(kInvalid, HasSubstr("brackets")));
}

}  // namespace
}  // namespace ap
