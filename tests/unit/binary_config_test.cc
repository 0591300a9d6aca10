// The per-binary Config structs: their Validate rules.

#include "aggregator/config.h"
#include "cli/config.h"
#include "common/redact.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "operator/config.h"
#include "tests/testing/status_matchers.h"

namespace ap {
namespace {

using ::ap::testing::IsOk;
using ::ap::testing::StatusIs;
using ::testing::HasSubstr;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

TEST(AggregatorConfigTest, DefaultsAreValid) {
  EXPECT_THAT(AggregatorConfig{}.Validate(), IsOk());
  EXPECT_EQ(AggregatorConfig{}.grpc_listen, "0.0.0.0:2206");
}

TEST(AggregatorConfigTest, BadListenAddressNamesTheKey) {
  AggregatorConfig c;
  c.grpc_listen = "2206";
  EXPECT_THAT(c.Validate(), StatusIs(kInvalid, HasSubstr("grpc_listen")));
}

TEST(AggregatorConfigTest, EmptyDataDirIsRejected) {
  AggregatorConfig c;
  c.data_dir = "";
  EXPECT_THAT(c.Validate(), StatusIs(kInvalid, HasSubstr("data_dir")));
}

TEST(AggregatorConfigTest, PostgresStoreNeedsADsnAndNotADataDir) {
  AggregatorConfig c;
  c.store = "postgres";
  EXPECT_THAT(c.Validate(), StatusIs(kInvalid, HasSubstr("postgres_dsn")));
  c.postgres_dsn = "host=db dbname=ap";
  c.data_dir = "";
  EXPECT_THAT(c.Validate(), IsOk());
}

TEST(AggregatorConfigTest, ThePrintedConfigurationHidesTheDsnsPassword) {
  AggregatorConfig c;
  c.postgres_dsn = "host=db user=ap password=hunter2 dbname=ap";
  ConfigSchema schema;
  BindAggregatorConfig(&schema, &c);
  const std::string yaml = schema.ValuesAsYaml();
  EXPECT_THAT(yaml, HasSubstr("host=db user=ap password=<redacted> dbname=ap"));
  EXPECT_THAT(yaml, ::testing::Not(HasSubstr("hunter2")));
}

TEST(RedactDsnTest, ThePasswordGoesWhateverTheFormAndTheRestStays) {
  EXPECT_EQ(RedactDsn("host=db password=s3cret user=ap"),
            "host=db password=<redacted> user=ap");
  EXPECT_EQ(RedactDsn("password = 'a b\\' c' host=db"),
            "password = <redacted> host=db");
  EXPECT_EQ(RedactDsn("postgres://ap:s3cret@db:5432/ap?sslmode=require"),
            "postgres://ap:<redacted>@db:5432/ap?sslmode=require");
  EXPECT_EQ(RedactDsn("postgresql://db/ap?user=ap&password=s3cret&x=1"),
            "postgresql://db/ap?user=ap&password=<redacted>&x=1");
  EXPECT_EQ(RedactDsn("postgres://ap@db/ap"), "postgres://ap@db/ap");
  EXPECT_EQ(RedactDsn("host=db dbname=ap"), "host=db dbname=ap");
}

OperatorConfig ValidOperator() {
  OperatorConfig c;
  c.id = "op-1";
  c.token = "t";
  return c;
}

TEST(OperatorConfigTest, IdAndTokenAreRequired) {
  EXPECT_THAT(ValidOperator().Validate(), IsOk());
  OperatorConfig c = ValidOperator();
  c.id = "";
  EXPECT_THAT(c.Validate(), StatusIs(kInvalid, HasSubstr("\"id\"")));
  c = ValidOperator();
  c.token = "";
  EXPECT_THAT(c.Validate(), StatusIs(kInvalid, HasSubstr("AP_OPERATOR_TOKEN")));
}

TEST(OperatorConfigTest, IdMayOnlyUseSafeCharacters) {
  OperatorConfig c = ValidOperator();
  c.id = "op 1";
  EXPECT_THAT(c.Validate(), StatusIs(kInvalid, HasSubstr("\"id\"")));
  c.id = std::string(65, 'a');
  EXPECT_THAT(c.Validate(), StatusIs(kInvalid, HasSubstr("\"id\"")));
}

TEST(OperatorConfigTest, EveryAggregatorEndpointMustBeDialable) {
  OperatorConfig c = ValidOperator();
  c.aggregator = {"a:1", "b"};
  EXPECT_THAT(c.Validate(), StatusIs(kInvalid, HasSubstr("aggregator")));
  c.aggregator = {"a:0"};
  EXPECT_THAT(c.Validate(), StatusIs(kInvalid, HasSubstr("port 0")));
  c.aggregator = {};
  EXPECT_THAT(c.Validate(), StatusIs(kInvalid, HasSubstr("at least one")));
}

TEST(OperatorConfigTest, AllowedCommandsMustBeAbsolutePaths) {
  OperatorConfig c = ValidOperator();
  c.allowed_commands = {"/bin/echo", "curl"};
  EXPECT_THAT(c.Validate(), StatusIs(kInvalid, HasSubstr("\"curl\"")));
}

TEST(ApctlConfigTest, AggregatorMustBeHostPort) {
  ApctlConfig c;
  EXPECT_THAT(c.Validate(), IsOk());
  c.aggregator = "localhost";
  EXPECT_THAT(c.Validate(), StatusIs(kInvalid, HasSubstr("aggregator")));
}

}  // namespace
}  // namespace ap

namespace ap {
namespace {

TEST(AggregatorConfigTest, TlsCertAndKeyGoTogetherAndMtlsNeedsTls) {
  AggregatorConfig c;
  c.tls_cert = "/x/cert.pem";
  EXPECT_THAT(c.Validate(),
              ::ap::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                      ::testing::HasSubstr("tls_key")));
  c.tls_key = "/x/key.pem";
  EXPECT_THAT(c.Validate(), ::ap::testing::IsOk());
  AggregatorConfig m;
  m.tls_client_ca = "/x/ca.pem";
  EXPECT_THAT(m.Validate(),
              ::ap::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                      ::testing::HasSubstr("tls_client_ca")));
}

TEST(ApctlConfigTest, TlsFilesNeedTls) {
  ApctlConfig c;
  c.tls_ca = "/x/ca.pem";
  EXPECT_THAT(c.Validate(),
              ::ap::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                      ::testing::HasSubstr("tls")));
  c.tls = true;
  EXPECT_THAT(c.Validate(), ::ap::testing::IsOk());
}

}  // namespace
}  // namespace ap
