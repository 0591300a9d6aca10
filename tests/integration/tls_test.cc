// TLS and mTLS on the aggregator's gRPC port, probed as apctl does.

#include "common/tls.h"

#include "aggregator/service/grpc_server.h"
#include "cli/health.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_certs.h"

namespace ap {
namespace {

using ::ap::testing::StatusIs;
using ::testing::HasSubstr;

class TlsTest : public ::testing::Test {
 protected:
  std::unique_ptr<GrpcServer> Start(bool mtls) {
    GrpcServerOptions options;
    options.listen = "127.0.0.1:0";
    options.tls = {certs_.server_cert(), certs_.server_key(),
                   mtls ? certs_.ca() : ""};
    absl::StatusOr<std::unique_ptr<GrpcServer>> server =
        GrpcServer::Start(options, {});
    EXPECT_TRUE(server.ok()) << server.status();
    (*server)->SetServing(true);
    return *std::move(server);
  }
  absl::StatusOr<std::string> Probe(int port, const ClientTls& tls) {
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds =
        MakeChannelCredentials(tls);
    if (!creds.ok()) return creds.status();
    return CheckHealth(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port), *creds), "",
        absl::Seconds(3));
  }

  ap::testing::TestCerts certs_;
};

TEST_F(TlsTest, TlsClientTalksPlaintextClientDoesNot) {
  auto server = Start(/*mtls=*/false);
  EXPECT_EQ(*Probe(server->port(), {true, certs_.ca(), "", ""}), "SERVING");
  EXPECT_THAT(Probe(server->port(), {}),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(TlsTest, ClientThatDoesNotTrustTheCaIsRefused) {
  auto server = Start(false);
  // The system roots do not know the test CA.
  EXPECT_THAT(Probe(server->port(), {true, "", "", ""}),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(TlsTest, MutualTlsNeedsAClientCertificate) {
  auto server = Start(/*mtls=*/true);
  EXPECT_EQ(*Probe(server->port(), {true, certs_.ca(), certs_.client_cert(),
                                    certs_.client_key()}),
            "SERVING");
  EXPECT_THAT(Probe(server->port(), {true, certs_.ca(), "", ""}),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(TlsTest, UnreadableOrNonPemFilesAreNamed) {
  GrpcServerOptions options;
  options.listen = "127.0.0.1:0";
  options.tls = {"/nonexistent/cert.pem", certs_.server_key(), ""};
  EXPECT_THAT(
      GrpcServer::Start(options, {}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("tls_cert: cannot read /nonexistent/cert.pem")));
  options.tls = {certs_.server_cert(), "/proc/version", ""};
  EXPECT_THAT(GrpcServer::Start(options, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("tls_key: /proc/version is not a PEM file")));
}

}  // namespace
}  // namespace ap
