// An OperatorNode (link over real gRPC, worker pool, spool, flusher)
// against an in-process aggregator's Node service on 127.0.0.1, with a
// local HTTP target. Real clock; waits are bounded.

#include <memory>
#include <string>

#include "aggregator/service/grpc_server.h"
#include "aggregator/service/node_service.h"
#include "aggregator/workflows/service.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "operator/link/grpc_stub.h"
#include "operator/node.h"
#include "tests/testing/unique_name.h"
#include "tests/testing/http_target.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/temp_store.h"

namespace ap {
namespace {

const Caller kAlice{"alice", Role::kWriter};

template <typename F>
bool Eventually(F cond, absl::Duration timeout = absl::Seconds(15)) {
  const absl::Time until = absl::Now() + timeout;
  while (absl::Now() < until) {
    if (cond()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return cond();
}

class OperatorNodeTest : public ::testing::Test {
 protected:
  OperatorNodeTest() {
    token_ = creds_.AddOperator("op-1", absl::Now())->secret;
    StartServer(0);
    v1::Workflow w;
    w.set_name(ap::testing::UniqueName("job"));
    w.mutable_trigger()->mutable_manual();
    v1::Step* s = w.add_steps();
    s->set_id("call");
    s->mutable_http()->set_url(target_.Url("/echo"));
    s->mutable_http()->set_method("POST");
    s->mutable_http()->set_body("{{execution.id}}");
    workflow_ = service_.Create(kAlice, w)->id();
  }
  ~OperatorNodeTest() override {
    if (node_) node_->Drain(absl::Seconds(1), absl::Seconds(1));
    node_.reset();
    dispatcher_.DrainAll("test over");
    if (server_) server_->Shutdown(absl::Seconds(1));
  }

  void StartServer(int port) {
    GrpcServerOptions options;
    options.listen = "127.0.0.1:" + std::to_string(port);
    auto server = GrpcServer::Start(
        options, {{v1::Node::service_full_name(), &node_service_}});
    ASSERT_STATUS_OK(server);
    server_ = *std::move(server);
    server_->SetServing(true);
    port_ = server_->port();
  }
  // A crash, as the operator sees it: streams end, nothing is drained.
  void KillServer() {
    server_->Shutdown(absl::ZeroDuration());
    server_.reset();
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
  v1::ExecutionStatus StatusOf(const std::string& exec) {
    auto e = store_.GetExecution(exec);
    return e.ok() && *e ? (**e).status() : v1::EXECUTION_STATUS_UNSPECIFIED;
  }
  std::string Trigger() {
    std::string id = service_.Trigger(kAlice, workflow_)->id();
    dispatcher_.DispatchPending();
    return id;
  }

  testing::HttpTarget target_;
  testing::TempStore temp_;
  testing::TempDir spool_;
  Clock* clock_ = Clock::Real();
  WorkflowStore store_{temp_.get()};
  Scheduler scheduler_;
  FiringEngine engine_{&store_, &scheduler_, clock_};
  WorkflowService service_{&store_, &scheduler_, &engine_, clock_, {}};
  CredentialStore creds_{temp_.get()};
  ExecutionLedger ledger_{&store_, clock_};
  Dispatcher dispatcher_{&ledger_, &store_, clock_};
  NodeServiceImpl node_service_{
      &dispatcher_,
      &ledger_,
      &creds_,
      clock_,
      {absl::Seconds(1), absl::Milliseconds(200), "agg-1"}};
  std::unique_ptr<GrpcServer> server_;
  int port_ = 0;
  std::string token_, workflow_;
  std::unique_ptr<GrpcStubFactory> stubs_;
  std::unique_ptr<OperatorNode> node_;
};

TEST_F(OperatorNodeTest, AssignedWorkRunsAndItsOutcomeIsRecordedOnce) {
  StartNode();
  ASSERT_TRUE(Eventually([&] { return node_->link().status().linked; }));
  const std::string exec = Trigger();
  ASSERT_TRUE(Eventually(
      [&] { return StatusOf(exec) == v1::EXECUTION_STATUS_SUCCEEDED; }));
  auto e = store_.GetExecution(exec);
  ASSERT_STATUS_OK(e);
  EXPECT_EQ((**e).step_results(0).output(), "POST " + exec + " ");
  EXPECT_EQ(target_.requests.load(), 1);
  EXPECT_TRUE(Eventually([&] { return node_->spool().depth() == 0; }));
}

TEST_F(OperatorNodeTest, AFullSpoolHandsTheOutcomeOverDirectly) {
  StartNode(absl::Seconds(60), /*spool_max_bytes=*/1);
  ASSERT_TRUE(Eventually([&] { return node_->link().status().linked; }));
  const std::string exec = Trigger();
  ASSERT_TRUE(Eventually(
      [&] { return StatusOf(exec) == v1::EXECUTION_STATUS_SUCCEEDED; }));
  EXPECT_EQ(node_->spool().depth(), 0u);
  EXPECT_THAT(node_->metrics().Render(node_->Snapshot()),
              ::testing::HasSubstr("ap_operator_spool_full_total 1"));
}

TEST_F(OperatorNodeTest, ADrainReportsWhatOutlivesTheGraceAsFailed) {
  v1::Workflow w;
  w.set_name("slow");
  w.mutable_trigger()->mutable_manual();
  v1::Step* s = w.add_steps();
  s->set_id("wait");
  s->mutable_http()->set_url(target_.Url("/slow"));
  const std::string slow = service_.Create(kAlice, w)->id();
  StartNode();
  ASSERT_TRUE(Eventually([&] { return node_->link().status().linked; }));
  const std::string exec = service_.Trigger(kAlice, slow)->id();
  dispatcher_.DispatchPending();
  ASSERT_TRUE(Eventually([&] { return target_.requests.load() == 1; }));
  EXPECT_EQ(StatusOf(exec), v1::EXECUTION_STATUS_RUNNING);  // reported
  node_->Drain(absl::Milliseconds(100), absl::Seconds(5));
  EXPECT_EQ(node_->spool().depth(), 0u);  // reported before it returned
  auto e = store_.GetExecution(exec);
  ASSERT_STATUS_OK(e);
  EXPECT_EQ((**e).status(), v1::EXECUTION_STATUS_FAILED);
  EXPECT_THAT((**e).reason(), ::testing::HasSubstr("operator shut down"));
  node_.reset();
}

TEST_F(OperatorNodeTest, AnOperatorStartedFirstLinksWhenTheAggregatorServes) {
  const int port = port_;
  KillServer();
  StartNode();
  absl::SleepFor(absl::Milliseconds(1500));  // a few failed pings
  EXPECT_FALSE(node_->link().status().linked);
  EXPECT_GE(node_->link().status().ping_failures, 1);
  StartServer(port);
  EXPECT_TRUE(Eventually([&] { return node_->link().status().linked; }));
}

TEST_F(OperatorNodeTest,
       AfterAHealthyPeriodARestartIsRelinkedWithinOneAndAHalfSeconds) {
  StartNode(/*healthy_reset=*/absl::Seconds(1));
  ASSERT_TRUE(Eventually([&] { return node_->link().status().linked; }));
  absl::SleepFor(absl::Milliseconds(1500));  // healthy past healthy_reset
  const int port = port_;
  KillServer();
  ASSERT_TRUE(Eventually([&] { return !node_->link().status().linked; }));
  absl::SleepFor(absl::Seconds(4));  // the aggregator restarting
  EXPECT_GE(node_->link().status().ping_failures, 3);
  StartServer(port);
  const absl::Time serving = absl::Now();
  ASSERT_TRUE(Eventually([&] { return node_->link().status().linked; }));
  EXPECT_LE(absl::Now() - serving, absl::Milliseconds(1500));
}

}  // namespace
}  // namespace ap
