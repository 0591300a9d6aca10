#include "operator/link/endpoints.h"

#include "gtest/gtest.h"

namespace ap {
namespace {

TEST(EndpointSelectorTest, OneEndpointNeverMoves) {
  EndpointSelector e({"a"}, 1);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(e.OnFailure());
  EXPECT_EQ(e.current(), "a");
}

TEST(EndpointSelectorTest, MovesOnAfterConsecutiveFailuresRoundRobin) {
  EndpointSelector e({"a", "b", "c"}, 2);
  EXPECT_FALSE(e.OnFailure());
  e.OnSuccess();  // a success in between starts the count again
  EXPECT_FALSE(e.OnFailure());
  EXPECT_TRUE(e.OnFailure());
  EXPECT_EQ(e.current(), "b");
  EXPECT_FALSE(e.OnFailure());
  EXPECT_TRUE(e.OnFailure());
  EXPECT_EQ(e.current(), "c");
  EXPECT_FALSE(e.OnFailure());
  EXPECT_TRUE(e.OnFailure());
  EXPECT_EQ(e.current(), "a");
}

TEST(EndpointSelectorTest, FollowsTheLeaderAMemberNames) {
  EndpointSelector e({"a", "b", "c"}, 3);
  EXPECT_FALSE(e.OnFailure());
  EXPECT_TRUE(e.Follow("c"));
  EXPECT_EQ(e.current(), "c");
  EXPECT_FALSE(e.Follow("c"));  // already there
  EXPECT_FALSE(e.Follow(""));   // no leader known: stay
  // The failure count started again with the move.
  EXPECT_FALSE(e.OnFailure());
  EXPECT_FALSE(e.OnFailure());
  EXPECT_TRUE(e.OnFailure());
  EXPECT_EQ(e.current(), "a");
}

TEST(EndpointSelectorTest, ALeaderNotConfiguredJoinsTheMembers) {
  EndpointSelector e({"a", "b"}, 1);
  EXPECT_TRUE(e.Follow("10.0.0.9:2206"));
  EXPECT_EQ(e.current(), "10.0.0.9:2206");
  EXPECT_TRUE(e.OnFailure());
  EXPECT_EQ(e.current(), "a");
  EXPECT_TRUE(e.OnFailure());
  EXPECT_TRUE(e.OnFailure());
  EXPECT_EQ(e.current(), "10.0.0.9:2206");
}

}  // namespace
}  // namespace ap
