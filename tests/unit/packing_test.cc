#include "aggregator/dispatch/packing.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ap {
namespace {

v1::NodeMessage Assign(const std::string& id, size_t payload = 0) {
  v1::NodeMessage m;
  m.mutable_assignment()->set_execution_id(id);
  if (payload > 0) {
    m.mutable_assignment()->mutable_workflow()->set_name(
        std::string(payload, 'x'));
  }
  return m;
}

v1::NodeMessage CancelOf(const std::string& id) {
  v1::NodeMessage m;
  m.mutable_cancel()->set_execution_id(id);
  return m;
}

// Each message as text: "a1" (an assignment), "[a1 a2]" (a batch), "c1".
std::vector<std::string> Shape(const std::vector<v1::NodeMessage>& ms) {
  std::vector<std::string> out;
  for (const v1::NodeMessage& m : ms) {
    if (m.has_assignment()) {
      out.push_back(m.assignment().execution_id());
    } else if (m.has_cancel()) {
      out.push_back("c" + m.cancel().execution_id());
    } else if (m.has_assignments()) {
      std::string s = "[";
      for (const v1::Assignment& a : m.assignments().assignments()) {
        s += (s.size() > 1 ? " " : "") + a.execution_id();
      }
      out.push_back(s + "]");
    }
  }
  return out;
}

TEST(PackingTest, ConsecutiveAssignmentsShareAMessageInOrder) {
  std::vector<v1::NodeMessage> in;
  for (const char* id : {"a1", "a2", "a3"}) in.push_back(Assign(id));
  EXPECT_THAT(Shape(PackAssignments(std::move(in), 1 << 20)),
              ::testing::ElementsAre("[a1 a2 a3]"));
}

TEST(PackingTest, OtherMessagesKeepTheirPlaceBetweenBatches) {
  std::vector<v1::NodeMessage> in;
  in.push_back(Assign("a1"));
  in.push_back(Assign("a2"));
  in.push_back(CancelOf("1"));
  in.push_back(Assign("a3"));
  in.push_back(CancelOf("3"));
  EXPECT_THAT(Shape(PackAssignments(std::move(in), 1 << 20)),
              ::testing::ElementsAre("[a1 a2]", "c1", "a3", "c3"));
}

TEST(PackingTest, ABatchStopsAtTheByteLimitAndABigAssignmentGoesAlone) {
  std::vector<v1::NodeMessage> in;
  in.push_back(Assign("a1", 400));
  in.push_back(Assign("a2", 400));
  in.push_back(Assign("a3", 400));
  in.push_back(Assign("big", 5000));
  in.push_back(Assign("a4", 400));
  EXPECT_THAT(Shape(PackAssignments(std::move(in), 1000)),
              ::testing::ElementsAre("[a1 a2]", "a3", "big", "a4"));
}

TEST(PackingTest, UnpackingGivesBackOneMessagePerAssignment) {
  std::vector<v1::NodeMessage> in;
  for (const char* id : {"a1", "a2"}) in.push_back(Assign(id));
  std::vector<v1::NodeMessage> packed = PackAssignments(std::move(in), 1 << 20);
  ASSERT_EQ(packed.size(), 1u);
  EXPECT_THAT(Shape(UnpackAssignments(std::move(packed[0]))),
              ::testing::ElementsAre("a1", "a2"));
  EXPECT_THAT(Shape(UnpackAssignments(CancelOf("1"))),
              ::testing::ElementsAre("c1"));
}

}  // namespace
}  // namespace ap
