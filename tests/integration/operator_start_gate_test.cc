// An OperatorNode against a fake aggregator (no network to it; a local
// HTTP target for the steps): the gate before an attempt starts is its
// lease, and a RUNNING report the aggregator answers STALE stops the
// attempt soon after it started.

#include <memory>
#include <string>

#include "common/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "operator/node.h"
#include "tests/testing/eventually.h"
#include "tests/testing/fake_aggregator.h"
#include "tests/testing/http_target.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace ap {
namespace {

using ::testing::HasSubstr;

class OperatorStartGateTest : public ::testing::Test {
 protected:
  OperatorStartGateTest() {
    OperatorConfig config;
    config.aggregator = {"fake:1"};
    config.id = "op-1";
    config.capacity = 1;  // one attempt at a time: they run in order
    config.spool_dir = spool_.path();
    node_ = std::make_unique<OperatorNode>(config, Clock::Real(),
                                           LinkOptionsFrom(config), &stubs_);
    EXPECT_STATUS_OK(node_->Start());
    EXPECT_TRUE(node_->link().AwaitStatus(
        [](const LinkStatus& s) { return s.linked; }, absl::Seconds(15)));
  }
  ~OperatorStartGateTest() override {
    node_->Drain(absl::Seconds(1), absl::Seconds(1));
    node_.reset();
  }

  void Assign(const std::string& id, const std::string& path,
              absl::Time deadline) {
    v1::NodeMessage m;
    v1::Assignment* a = m.mutable_assignment();
    a->set_execution_id(id);
    a->set_attempt(1);
    a->mutable_workflow()->set_id("w");
    v1::Step* s = a->mutable_workflow()->add_steps();
    s->set_id("call");
    s->mutable_http()->set_url(target_.Url(path));
    *a->mutable_deadline() = ToProtoTimestamp(deadline);
    endpoint().Send(m);
  }
  // The reports the fake aggregator got for `id` (RUNNING and outcomes).
  std::vector<v1::ReportRequest> ReportsOf(const std::string& id) {
    std::vector<v1::ReportRequest> out;
    for (const v1::ReportRequest& r : endpoint().reports()) {
      if (r.execution_id() == id) out.push_back(r);
    }
    return out;
  }
  bool Finished(const std::string& id) {
    for (const v1::ReportRequest& r : ReportsOf(id)) {
      if (r.status() != v1::EXECUTION_STATUS_RUNNING) return true;
    }
    return false;
  }
  testing::FakeEndpoint& endpoint() { return stubs_.endpoint("fake:1"); }

  testing::HttpTarget target_;
  testing::TempDir spool_;
  testing::FakeStubFactory stubs_;
  std::unique_ptr<OperatorNode> node_;
};

TEST_F(OperatorStartGateTest, AnAttemptWhoseLeaseRanOutIsNotRun) {
  Assign("late", "/echo", absl::Now() - absl::Seconds(1));
  Assign("fresh", "/echo", absl::Now() + absl::Minutes(1));
  ASSERT_TRUE(testing::Eventually([&] { return Finished("fresh"); }));
  // With one slot, "late" was taken first: it made no request and no
  // report at all (the aggregator's own lease expiry deals with it).
  EXPECT_EQ(target_.requests.load(), 1);
  EXPECT_THAT(ReportsOf("late"), ::testing::IsEmpty());
}

TEST_F(OperatorStartGateTest, ARunningReportAnsweredStaleStopsTheAttempt) {
  endpoint().SetReportResult(v1::REPORT_RESULT_STALE);
  Assign("superseded", "/slow", absl::Now() + absl::Minutes(1));
  ASSERT_TRUE(testing::Eventually([&] { return Finished("superseded"); }));
  std::vector<v1::ReportRequest> got = ReportsOf("superseded");
  ASSERT_GE(got.size(), 2u);
  EXPECT_EQ(got.front().status(), v1::EXECUTION_STATUS_RUNNING);
  EXPECT_EQ(got.back().status(), v1::EXECUTION_STATUS_CANCELED);
  EXPECT_THAT(got.back().reason(),
              HasSubstr("the aggregator says it is stale"));
}

}  // namespace
}  // namespace ap
