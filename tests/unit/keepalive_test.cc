#include "common/keepalive.h"

#include "gtest/gtest.h"

namespace ap::keepalive {
namespace {

// The aggregator must accept the operator's pings, or it answers GOAWAY
// too_many_pings and the operator's connection flaps.
TEST(KeepaliveTest, ServerAcceptsPingsAsOftenAsClientsSendThem) {
  EXPECT_LE(kServerMinPingInterval, kClientTime);
}

TEST(KeepaliveTest, TimeoutsAreShorterThanIntervals) {
  EXPECT_LT(kClientTimeout, kClientTime);
  EXPECT_LT(kServerTimeout, kServerTime);
}

TEST(KeepaliveTest, ValuesMatchTheDesign) {
  EXPECT_EQ(kClientTime, absl::Seconds(10));
  EXPECT_EQ(kClientTimeout, absl::Seconds(5));
}

TEST(KeepaliveTest, ChannelArgumentsCarryPermitWithoutCalls) {
  grpc::ChannelArguments args;
  ApplyToChannel(&args);
  grpc_channel_args c = args.c_channel_args();
  bool permit = false;
  for (size_t i = 0; i < c.num_args; ++i) {
    if (std::string(c.args[i].key) == GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS) {
      permit = c.args[i].value.integer == 1;
    }
  }
  EXPECT_TRUE(permit);
}

}  // namespace
}  // namespace ap::keepalive
