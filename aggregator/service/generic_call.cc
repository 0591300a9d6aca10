#include "aggregator/service/generic_call.h"

#include <vector>

#include "absl/synchronization/mutex.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"

namespace ap {

grpc::Status CallUnary(const std::shared_ptr<grpc::Channel>& channel,
                       grpc::ClientContext* ctx, const std::string& method,
                       const std::string& request, std::string* response) {
  grpc::Slice bytes(request);
  grpc::ByteBuffer in(&bytes, 1);
  grpc::GenericStub stub(channel);
  grpc::ByteBuffer out;
  absl::Mutex mu;
  bool done = false;
  grpc::Status answer;
  stub.UnaryCall(ctx, method, grpc::StubOptions(), &in, &out,
                 [&](grpc::Status st) {
                   absl::MutexLock l(&mu);
                   answer = std::move(st);
                   done = true;
                 });
  {
    absl::MutexLock l(&mu);
    mu.Await(absl::Condition(&done));
  }
  if (!answer.ok()) return answer;
  std::vector<grpc::Slice> slices;
  response->clear();
  if (out.Dump(&slices).ok()) {
    for (const grpc::Slice& slice : slices) {
      response->append(reinterpret_cast<const char*>(slice.begin()),
                       slice.size());
    }
  }
  return grpc::Status::OK;
}

}  // namespace ap
