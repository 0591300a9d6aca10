#include "operator/link/endpoints.h"

#include "gtest/gtest.h"

namespace ap {
namespace {

TEST(EndpointSelectorTest, OneEndpointNeverMoves) {
  EndpointSelector e({"a"}, 1, 1);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(e.OnFailure());
  EXPECT_EQ(e.current(), "a");
  EXPECT_FALSE(e.on_backup());
}

TEST(EndpointSelectorTest, MovesOnAfterConsecutiveFailuresRoundRobin) {
  EndpointSelector e({"a", "b", "c"}, 2, 1);
  EXPECT_FALSE(e.OnFailure());
  e.OnSuccess();  // a success in between starts the count again
  EXPECT_FALSE(e.OnFailure());
  EXPECT_TRUE(e.OnFailure());
  EXPECT_EQ(e.current(), "b");
  EXPECT_TRUE(e.on_backup());
  EXPECT_FALSE(e.OnFailure());
  EXPECT_TRUE(e.OnFailure());
  EXPECT_EQ(e.current(), "c");
  EXPECT_FALSE(e.OnFailure());
  EXPECT_TRUE(e.OnFailure());
  EXPECT_EQ(e.current(), "a");
}

TEST(EndpointSelectorTest, GoesBackAfterConsecutiveServingProbes) {
  EndpointSelector e({"a", "b"}, 1, 3);
  ASSERT_TRUE(e.OnFailure());
  EXPECT_FALSE(e.OnPrimaryProbe(true));
  EXPECT_FALSE(e.OnPrimaryProbe(true));
  EXPECT_FALSE(e.OnPrimaryProbe(false));  // starts the count again
  EXPECT_FALSE(e.OnPrimaryProbe(true));
  EXPECT_FALSE(e.OnPrimaryProbe(true));
  EXPECT_TRUE(e.OnPrimaryProbe(true));
  EXPECT_EQ(e.current(), "a");
  EXPECT_FALSE(e.on_backup());
}

TEST(EndpointSelectorTest, ProbesOnThePrimaryChangeNothing) {
  EndpointSelector e({"a", "b"}, 1, 1);
  EXPECT_FALSE(e.OnPrimaryProbe(true));
  EXPECT_EQ(e.current(), "a");
}

}  // namespace
}  // namespace ap
