#include "common/status.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ap {
namespace {

using ::ap::testing::IsOk;
using ::ap::testing::StatusIs;

TEST(StatusConversionTest, EveryCodeRoundTripsWithItsMessage) {
  for (int c = 1; c <= 16; ++c) {
    const absl::Status s(static_cast<absl::StatusCode>(c), "msg");
    const grpc::Status g = ToGrpcStatus(s);
    EXPECT_EQ(static_cast<int>(g.error_code()), c);
    EXPECT_EQ(g.error_message(), "msg");
    EXPECT_EQ(FromGrpcStatus(g), s);
  }
}

TEST(StatusConversionTest, OkStaysOk) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_THAT(FromGrpcStatus(grpc::Status::OK), IsOk());
}

TEST(StatusConversionTest, OutOfRangeGrpcCodeBecomesUnknown) {
  grpc::Status weird(grpc::StatusCode::DO_NOT_USE, "odd");
  EXPECT_THAT(FromGrpcStatus(weird), StatusIs(absl::StatusCode::kUnknown));
}

absl::Status FailIf(bool fail) {
  return fail ? absl::InvalidArgumentError("bad") : absl::OkStatus();
}

absl::StatusOr<int> Half(int n) {
  if (n % 2 != 0) return absl::InvalidArgumentError("odd");
  return n / 2;
}

absl::Status Chain(bool fail, int* out) {
  AP_RETURN_IF_ERROR(FailIf(fail));
  AP_ASSIGN_OR_RETURN(int h, Half(8));
  AP_ASSIGN_OR_RETURN(*out, Half(h));
  return absl::OkStatus();
}

absl::StatusOr<int> QuarterOf(int n) {
  AP_ASSIGN_OR_RETURN(int h, Half(n));
  AP_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(StatusMacrosTest, ReturnIfErrorStopsAtTheFirstError) {
  int out = 0;
  EXPECT_THAT(Chain(true, &out), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(out, 0);
  EXPECT_THAT(Chain(false, &out), IsOk());
  EXPECT_EQ(out, 2);
}

TEST(StatusMacrosTest, AssignOrReturnPropagatesTheError) {
  EXPECT_EQ(*QuarterOf(12), 3);
  EXPECT_THAT(QuarterOf(6), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace ap
