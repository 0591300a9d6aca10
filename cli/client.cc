#include "cli/client.h"

#include "absl/strings/str_cat.h"
#include "common/tls.h"
#include "grpcpp/create_channel.h"

namespace ap {
namespace {

std::string HintFor(absl::StatusCode code, const ApctlConfig& config) {
  switch (code) {
    case absl::StatusCode::kUnauthenticated:
      return config.api_key.empty()
                 ? "no API key given: set AP_API_KEY or --api-key (make one "
                   "with `aggregator keys create --owner=NAME --role=writer`)"
                 : "the API key was not accepted: check AP_API_KEY or "
                   "--api-key (an operator token is not an API key)";
    case absl::StatusCode::kPermissionDenied:
      return "this key's role may not do that: readers only read, writers "
             "write their own workflows, admins also manage credentials";
    case absl::StatusCode::kUnavailable:
      return absl::StrCat("is the aggregator running at ", config.aggregator,
                          "? Check with `apctl --aggregator=",
                          config.aggregator, " health`, or set AP_AGGREGATOR");
    case absl::StatusCode::kDeadlineExceeded:
      return absl::StrCat("no answer within ",
                          absl::FormatDuration(config.timeout),
                          ": raise --timeout, or check the aggregator's "
                          "health");
    case absl::StatusCode::kNotFound:
      return "ids are shown by `apctl workflow list` and `apctl executions "
             "WORKFLOW_ID`; another owner's workflows are not visible";
    default:
      return "";
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<AggregatorClient>> AggregatorClient::Connect(
    const ApctlConfig& config) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds =
      MakeChannelCredentials(
          {config.tls, config.tls_ca, config.tls_cert, config.tls_key});
  if (!creds.ok()) return creds.status();
  return std::unique_ptr<AggregatorClient>(new AggregatorClient(
      config, grpc::CreateChannel(config.aggregator, *creds)));
}

AggregatorClient::AggregatorClient(const ApctlConfig& config,
                                   std::shared_ptr<grpc::Channel> channel)
    : config_(config),
      channel_(std::move(channel)),
      stub_(v1::Aggregator::NewStub(channel_)),
      admin_(v1::Admin::NewStub(channel_)) {}

std::unique_ptr<grpc::ClientContext> AggregatorClient::Context() const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!config_.api_key.empty()) {
    ctx->AddMetadata("authorization", "Bearer " + config_.api_key);
  }
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + config_.timeout));
  return ctx;
}

std::string DescribeError(const absl::Status& s, const ApctlConfig& config) {
  std::string out = absl::StrCat("apctl: ", absl::StatusCodeToString(s.code()),
                                 ": ", s.message(), "\n");
  const std::string hint = HintFor(s.code(), config);
  if (!hint.empty()) absl::StrAppend(&out, "hint: ", hint, "\n");
  return out;
}

}  // namespace ap
