#include "common/enum_label.h"

#include "ap/v1/node.pb.h"
#include "gtest/gtest.h"

namespace ap {
namespace {

TEST(EnumLabelTest, StripsTheTypePrefixAndLowercases) {
  EXPECT_EQ(EnumLabel(v1::EXECUTION_STATUS_SUCCEEDED), "succeeded");
  EXPECT_EQ(EnumLabel(v1::EXECUTION_STATUS_TIMED_OUT), "timed_out");
  EXPECT_EQ(EnumLabel(v1::REPORT_RESULT_STALE), "stale");
  EXPECT_EQ(EnumLabel(static_cast<v1::ReportResult>(99)), "99");
}

TEST(EnumLabelTest, PrefixFromTheTypeName) {
  EXPECT_EQ(EnumValuePrefix("ExecutionStatus"), "EXECUTION_STATUS_");
  EXPECT_EQ(EnumValuePrefix("Role"), "ROLE_");
}

}  // namespace
}  // namespace ap
