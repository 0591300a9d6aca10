#ifndef AP_OPERATOR_LINK_GRPC_STUB_H_
#define AP_OPERATOR_LINK_GRPC_STUB_H_

// AggregatorStub over gRPC: every call carries the operator token as a
// bearer credential; every channel has the shared keepalive settings
// (common/keepalive.h), a subchannel of its own (so a new channel starts
// without gRPC's reconnect backoff) and no transparent retries (the link
// decides when to retry).

#include <memory>
#include <string>

#include "common/tls.h"
#include "grpcpp/security/credentials.h"
#include "operator/link/aggregator_stub.h"

namespace ap {

class GrpcStubFactory : public StubFactory {
 public:
  // Unusable TLS files are logged and make every call fail with the
  // reason (the configuration was validated before).
  GrpcStubFactory(std::string token, const ClientTls& tls);
  std::shared_ptr<AggregatorStub> Connect(const std::string& endpoint) override;

 private:
  const std::string token_;
  std::shared_ptr<grpc::ChannelCredentials> credentials_;
  absl::Status tls_error_;
};

}  // namespace ap

#endif  // AP_OPERATOR_LINK_GRPC_STUB_H_
