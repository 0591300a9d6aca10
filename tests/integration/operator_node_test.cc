// An OperatorNode (link over real gRPC, worker pool, spool, flusher)
// against an AggregatorNode as the binary runs it (store, services, servers
// on 127.0.0.1), with a local HTTP target. Real clock; every wait is for a
// condition, bounded.

#include <functional>
#include <memory>
#include <string>

#include "aggregator/node.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "operator/link/grpc_stub.h"
#include "operator/node.h"
#include "tests/testing/aggregator_config.h"
#include "tests/testing/eventually.h"
#include "tests/testing/http_target.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/unique_name.h"

namespace ap {
namespace {

const Caller kAlice{"alice", Role::kWriter};
constexpr absl::Duration kWait = absl::Seconds(15);

// Reads of the aggregator's records, until they show what is awaited.
bool Eventually(const std::function<bool()>& cond) {
  return ap::testing::Eventually(cond, kWait);
}

class OperatorNodeTest : public ::testing::Test {
 protected:
  OperatorNodeTest() {
    StartAggregator(0);
    token_ =
        aggregator_->credentials().AddOperator("op-1", absl::Now())->secret;
    workflow_ = Create("job", target_.Url("/echo"), "POST", "{{execution.id}}");
  }
  ~OperatorNodeTest() override {
    if (node_) node_->Drain(absl::Seconds(1), absl::Seconds(1));
    node_.reset();
    aggregator_.reset();
  }

  void StartAggregator(int port) {
    AggregatorConfig config =
        ap::testing::TestAggregatorConfig(data_.path(), port);
    config.ping_interval = absl::Seconds(1);
    config.heartbeat_interval = absl::Milliseconds(200);
    aggregator_ = std::make_unique<AggregatorNode>(config);
    ASSERT_STATUS_OK(aggregator_->Start());
    port_ = aggregator_->grpc_port();
  }
  // The aggregator goes away (its process stopped): its operators are told
  // and their streams end. The store stays for the next StartAggregator.
  void StopAggregator() {
    aggregator_->Drain(absl::ZeroDuration());
    aggregator_.reset();
  }
  std::string Create(const std::string& name, const std::string& url,
                     const std::string& method = "GET",
                     const std::string& body = "") {
    v1::Workflow w;
    w.set_name(ap::testing::UniqueName(name));
    w.mutable_trigger()->mutable_manual();
    v1::Step* s = w.add_steps();
    s->set_id("call");
    s->mutable_http()->set_url(url);
    s->mutable_http()->set_method(method);
    s->mutable_http()->set_body(body);
    return aggregator_->workflows().Create(kAlice, w)->id();
  }
  void StartNode(absl::Duration healthy_reset = absl::Seconds(60),
                 int64_t spool_max_bytes = 1 << 20) {
    OperatorConfig config;
    config.healthy_reset = healthy_reset;
    config.spool_max_bytes = spool_max_bytes;
    config.aggregator = {"127.0.0.1:" + std::to_string(port_)};
    config.id = "op-1";
    config.token = token_;
    config.capacity = 2;
    config.spool_dir = spool_.path();
    stubs_ = std::make_unique<GrpcStubFactory>(token_, ClientTls{});
    node_ = std::make_unique<OperatorNode>(
        config, Clock::Real(), LinkOptionsFrom(config), stubs_.get());
    ASSERT_STATUS_OK(node_->Start());
  }
  bool AwaitLink(const std::function<bool(const LinkStatus&)>& pred) {
    return node_->link().AwaitStatus(pred, kWait);
  }
  bool AwaitLinked() {
    return AwaitLink([](const LinkStatus& s) { return s.linked; });
  }
  v1::ExecutionStatus StatusOf(const std::string& exec) {
    auto e = aggregator_->store().GetExecution(exec);
    return e.ok() && *e ? (**e).status() : v1::EXECUTION_STATUS_UNSPECIFIED;
  }
  std::string Trigger(const std::string& workflow) {
    return aggregator_->workflows().Trigger(kAlice, workflow)->id();
  }

  testing::HttpTarget target_;
  testing::TempDir data_;
  testing::TempDir spool_;
  std::unique_ptr<AggregatorNode> aggregator_;
  int port_ = 0;
  std::string token_, workflow_;
  std::unique_ptr<GrpcStubFactory> stubs_;
  std::unique_ptr<OperatorNode> node_;
};

TEST_F(OperatorNodeTest, AssignedWorkRunsAndItsOutcomeIsRecordedOnce) {
  StartNode();
  ASSERT_TRUE(AwaitLinked());
  const std::string exec = Trigger(workflow_);
  ASSERT_TRUE(Eventually(
      [&] { return StatusOf(exec) == v1::EXECUTION_STATUS_SUCCEEDED; }));
  auto e = aggregator_->store().GetExecution(exec);
  ASSERT_STATUS_OK(e);
  EXPECT_EQ((**e).step_results(0).output(), "POST " + exec + " ");
  EXPECT_EQ(target_.requests.load(), 1);
  EXPECT_TRUE(node_->spool().AwaitEmpty(Clock::Real(), absl::Now() + kWait));
}

TEST_F(OperatorNodeTest, AFullSpoolHandsTheOutcomeOverDirectly) {
  StartNode(absl::Seconds(60), /*spool_max_bytes=*/1);
  ASSERT_TRUE(AwaitLinked());
  const std::string exec = Trigger(workflow_);
  ASSERT_TRUE(Eventually(
      [&] { return StatusOf(exec) == v1::EXECUTION_STATUS_SUCCEEDED; }));
  EXPECT_EQ(node_->spool().depth(), 0u);
  EXPECT_THAT(node_->metrics().Render(node_->Snapshot()),
              ::testing::HasSubstr("ap_operator_spool_full_total 1"));
}

TEST_F(OperatorNodeTest, ADrainReportsWhatOutlivesTheGraceAsFailed) {
  const std::string slow = Create("slow", target_.Url("/slow"));
  StartNode();
  ASSERT_TRUE(AwaitLinked());
  const std::string exec = Trigger(slow);
  ASSERT_TRUE(Eventually([&] { return target_.requests.load() == 1; }));
  ASSERT_TRUE(Eventually(
      [&] { return StatusOf(exec) == v1::EXECUTION_STATUS_RUNNING; }));
  node_->Drain(absl::Milliseconds(100), absl::Seconds(5));
  EXPECT_EQ(node_->spool().depth(), 0u);  // reported before it returned
  auto e = aggregator_->store().GetExecution(exec);
  ASSERT_STATUS_OK(e);
  EXPECT_EQ((**e).status(), v1::EXECUTION_STATUS_FAILED);
  EXPECT_THAT((**e).reason(), ::testing::HasSubstr("operator shut down"));
  node_.reset();
}

TEST_F(OperatorNodeTest, AnOperatorStartedFirstLinksWhenTheAggregatorServes) {
  const int port = port_;
  StopAggregator();
  StartNode();
  ASSERT_TRUE(AwaitLink([](const LinkStatus& s) {
    return s.ping_failures >= 2;  // a few failed pings
  }));
  EXPECT_FALSE(node_->link().status().linked);
  StartAggregator(port);
  EXPECT_TRUE(AwaitLinked());
}

// The relink's bound after a healthy link (link_test checks it, and the
// healthy period, on a simulated clock); here over real gRPC, with any
// link counted as healthy (healthy_reset 0).
TEST_F(OperatorNodeTest,
       AfterAHealthyLinkARestartIsRelinkedWithinOneAndAHalfSeconds) {
  StartNode(/*healthy_reset=*/absl::ZeroDuration());
  ASSERT_TRUE(AwaitLinked());
  const int port = port_;
  const int64_t failures = node_->link().status().ping_failures;
  StopAggregator();
  ASSERT_TRUE(AwaitLink([&](const LinkStatus& s) {
    return !s.linked && s.ping_failures >= failures + 3;  // restarting
  }));
  StartAggregator(port);
  const absl::Time serving = absl::Now();
  ASSERT_TRUE(AwaitLinked());
  EXPECT_LE(absl::Now() - serving, absl::Milliseconds(1500));
}

}  // namespace
}  // namespace ap
