#include "common/keepalive.h"

#include "grpc/grpc.h"

namespace ap::keepalive {
namespace {
int Ms(absl::Duration d) {
  return static_cast<int>(absl::ToInt64Milliseconds(d));
}
}  // namespace

void ApplyToChannel(grpc::ChannelArguments* args) {
  args->SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, Ms(kClientTime));
  args->SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, Ms(kClientTimeout));
  args->SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Keep pinging an idle connection (no data frames between pings).
  args->SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
}

void ApplyToServer(grpc::ServerBuilder* builder) {
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, Ms(kServerTime));
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                              Ms(kServerTimeout));
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder->AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      Ms(kServerMinPingInterval));
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
}

}  // namespace ap::keepalive
