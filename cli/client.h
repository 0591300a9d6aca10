#ifndef AP_CLI_CLIENT_H_
#define AP_CLI_CLIENT_H_

// apctl's connection to an aggregator: one channel (TLS when configured),
// each call with the API key as a bearer token and the configured deadline;
// and what to tell a person when a call fails.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "ap/v1/admin.grpc.pb.h"
#include "ap/v1/aggregator.grpc.pb.h"
#include "cli/config.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"

namespace ap {

class AggregatorClient {
 public:
  // INVALID_ARGUMENT when a TLS file cannot be read.
  static absl::StatusOr<std::unique_ptr<AggregatorClient>> Connect(
      const ApctlConfig& config);

  // A context carrying the API key and the deadline.
  std::unique_ptr<grpc::ClientContext> Context() const;
  v1::Aggregator::Stub& stub() { return *stub_; }
  v1::Admin::Stub& admin() { return *admin_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

 private:
  AggregatorClient(const ApctlConfig& config,
                   std::shared_ptr<grpc::Channel> channel);
  const ApctlConfig config_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Aggregator::Stub> stub_;
  std::unique_ptr<v1::Admin::Stub> admin_;
};

// "apctl: NOT_FOUND: workflow X not found" and, where one helps, a second
// line "hint: ...".
std::string DescribeError(const absl::Status& s, const ApctlConfig& config);

}  // namespace ap

#endif  // AP_CLI_CLIENT_H_
