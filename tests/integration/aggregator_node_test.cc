// The AggregatorNode as the binary runs it (store, services, servers on
// 127.0.0.1:0) with an OperatorNode linked over real gRPC: its leader-only
// parts are stopped and started while a workflow fires every second, and
// no fire is lost or doubled. Real clock; waits are bounded.

#include <memory>
#include <set>
#include <string>

#include "aggregator/node.h"
#include "aggregator/records/keys.h"
#include "common/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "operator/link/grpc_stub.h"
#include "operator/node.h"
#include "tests/testing/aggregator_config.h"
#include "tests/testing/eventually.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace ap {
namespace {

const Caller kAlice{"alice", Role::kWriter};

constexpr absl::Duration kWait = absl::Seconds(20);
using ::ap::testing::Eventually;

class AggregatorNodeTest : public ::testing::Test {
 protected:
  AggregatorNodeTest() {
    AggregatorConfig config = ap::testing::TestAggregatorConfig(data_.path());
    config.ping_interval = absl::Seconds(1);
    config.heartbeat_interval = absl::Milliseconds(200);
    node_ = std::make_unique<AggregatorNode>(config);
  }
  ~AggregatorNodeTest() override {
    if (op_) op_->Drain(absl::Seconds(1), absl::Seconds(1));
    op_.reset();
    node_.reset();
  }

  void StartOperator() {
    const std::string token =
        node_->credentials().AddOperator("op-1", absl::Now())->secret;
    OperatorConfig config;
    config.aggregator = {"127.0.0.1:" + std::to_string(node_->grpc_port())};
    config.id = "op-1";
    config.token = token;
    config.capacity = 4;
    config.spool_dir = spool_.path();
    config.allowed_commands = {"/bin/true"};
    stubs_ = std::make_unique<GrpcStubFactory>(token, ClientTls{});
    op_ = std::make_unique<OperatorNode>(config, Clock::Real(),
                                         LinkOptionsFrom(config), stubs_.get());
    ASSERT_STATUS_OK(op_->Start());
    ASSERT_TRUE(Eventually([&] { return op_->link().status().linked; }, kWait));
  }

  std::vector<v1::Execution> Executions(const std::string& id) {
    v1::ListExecutionsRequest r;
    r.set_workflow_id(id);
    r.set_page_size(1000);
    absl::StatusOr<v1::ListExecutionsResponse> resp =
        node_->workflows().ListExecutions(kAlice, r);
    EXPECT_STATUS_OK(resp);
    return {resp->executions().begin(), resp->executions().end()};
  }

  testing::TempDir data_, spool_;
  std::unique_ptr<AggregatorNode> node_;
  std::unique_ptr<GrpcStubFactory> stubs_;
  std::unique_ptr<OperatorNode> op_;
};

TEST_F(AggregatorNodeTest, ServesAndLeadsOnceStarted) {
  ASSERT_STATUS_OK(node_->Start());
  EXPECT_TRUE(node_->leading());
  EXPECT_GT(node_->grpc_port(), 0);
  EXPECT_EQ(node_->aggregator_id().size(), 26u);
}

TEST_F(AggregatorNodeTest, NoFireIsLostOrDoubledAcrossTenLeadershipChanges) {
  ASSERT_STATUS_OK(node_->Start());
  StartOperator();
  v1::Workflow w;
  w.set_name("every-second");
  w.mutable_trigger()->mutable_cron()->add_schedules("* * * * * *");
  w.add_steps()->set_id("run");
  w.mutable_steps(0)->mutable_command()->add_argv("/bin/true");
  absl::StatusOr<v1::Workflow> created = node_->workflows().Create(kAlice, w);
  ASSERT_STATUS_OK(created);
  const absl::Time begin = absl::Now();
  for (int i = 0; i < 10; ++i) {
    absl::SleepFor(absl::Milliseconds(700));
    node_->StopLeading();
    EXPECT_FALSE(node_->leading());
    absl::SleepFor(absl::Milliseconds(600));  // fires come due meanwhile
    node_->StartLeading();
  }
  const absl::Time end = absl::Now();
  // Every second up to the end fired; all ran.
  const absl::Time last = absl::FromUnixSeconds(absl::ToUnixSeconds(end));
  ASSERT_TRUE(Eventually(
      [&] {
        std::vector<v1::Execution> all = Executions(created->id());
        if (all.empty() || FromProto(all[0].scheduled_at()) < last)
          return false;
        for (const v1::Execution& e : all) {
          if (e.status() != v1::EXECUTION_STATUS_SUCCEEDED) return false;
        }
        return true;
      },
      kWait));
  std::set<absl::Time> fired;
  for (const v1::Execution& e : Executions(created->id())) {
    EXPECT_TRUE(fired.insert(FromProto(e.scheduled_at())).second)
        << "doubled: " << e.id();
  }
  const absl::Time first = *fired.begin();
  EXPECT_LE(first, absl::FromUnixSeconds(absl::ToUnixSeconds(begin) + 1));
  for (absl::Time t = first; t <= last; t += absl::Seconds(1)) {
    EXPECT_TRUE(fired.count(t)) << "lost: " << t;
  }
}

}  // namespace
}  // namespace ap
