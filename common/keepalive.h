#ifndef AP_COMMON_KEEPALIVE_H_
#define AP_COMMON_KEEPALIVE_H_

// gRPC keepalive, defined once for both sides (gRPC doc/keepalive.md).
//
// Operators ping every kClientTime and give up after kClientTimeout, with or
// without calls in flight. The aggregator accepts pings as often as
// kServerMinPingInterval, which must not exceed kClientTime or it would
// answer GOAWAY too_many_pings; a test pins that.

#include "absl/time/time.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/support/channel_arguments.h"

namespace ap::keepalive {

inline constexpr absl::Duration kClientTime = absl::Seconds(10);
inline constexpr absl::Duration kClientTimeout = absl::Seconds(5);
inline constexpr absl::Duration kServerMinPingInterval = absl::Seconds(5);
// The server's own pings to idle clients, so dead peers are noticed.
inline constexpr absl::Duration kServerTime = absl::Seconds(30);
inline constexpr absl::Duration kServerTimeout = absl::Seconds(10);

void ApplyToChannel(grpc::ChannelArguments* args);
void ApplyToServer(grpc::ServerBuilder* builder);

}  // namespace ap::keepalive

#endif  // AP_COMMON_KEEPALIVE_H_
