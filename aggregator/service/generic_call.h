#ifndef AP_AGGREGATOR_SERVICE_GENERIC_CALL_H_
#define AP_AGGREGATOR_SERVICE_GENERIC_CALL_H_

// One unary gRPC call by method name with the request already serialized,
// waiting for its answer: how the aggregator calls a service it does not
// link a stub for (a leader's, through LeaderForwarder; its own user API,
// through the HTTP gateway's in-process channel).

#include <string>

#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"

namespace ap {

// `method` is "/package.Service/Method". `response` gets the answer's
// bytes when the status is OK.
grpc::Status CallUnary(const std::shared_ptr<grpc::Channel>& channel,
                       grpc::ClientContext* ctx, const std::string& method,
                       const std::string& request, std::string* response);

}  // namespace ap

#endif  // AP_AGGREGATOR_SERVICE_GENERIC_CALL_H_
