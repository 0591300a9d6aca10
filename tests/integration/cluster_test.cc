// Aggregators sharing one PostgreSQL database (store: postgres), each an
// AggregatorNode on 127.0.0.1 with a real leader lease: one leads, the
// others stand by, forward the user API and send operators to the leader;
// when the leader stops, a standby takes over and fires; a leader whose
// lease was taken writes nothing more.

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <httplib.h>
#include "aggregator/node.h"
#include "ap/v1/aggregator.grpc.pb.h"
#include "ap/v1/node.grpc.pb.h"
#include "common/proto_time.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "tests/testing/aggregator_config.h"
#include "tests/testing/backend_store.h"
#include "tests/testing/eventually.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace ap {
namespace {

using ::ap::testing::Eventually;
using ::testing::HasSubstr;

constexpr absl::Duration kWait = absl::Seconds(20);
const Caller kAlice{"alice", Role::kWriter};

std::shared_ptr<grpc::Channel> ChannelTo(const AggregatorNode& node) {
  return grpc::CreateChannel("127.0.0.1:" + std::to_string(node.grpc_port()),
                             grpc::InsecureChannelCredentials());
}

// grpc.health.v1 Check of `service` on `node`: SERVING or not.
bool Serving(const AggregatorNode& node, const std::string& service) {
  auto stub = grpc::health::v1::Health::NewStub(ChannelTo(node));
  grpc::ClientContext ctx;
  grpc::health::v1::HealthCheckRequest req;
  req.set_service(service);
  grpc::health::v1::HealthCheckResponse resp;
  return stub->Check(&ctx, req, &resp).ok() &&
         resp.status() == grpc::health::v1::HealthCheckResponse::SERVING;
}

v1::Workflow EverySecond() {
  v1::Workflow w;
  w.set_name("every-second");
  w.mutable_trigger()->mutable_cron()->add_schedules("* * * * * *");
  w.add_steps()->set_id("run");
  w.mutable_steps(0)->mutable_command()->add_argv("/bin/true");
  return w;
}

class ClusterTest : public ::testing::Test {
 protected:
  ~ClusterTest() override {
    for (auto& node : nodes_) node.reset();
  }

  AggregatorNode* StartMember() {
    AggregatorConfig config =
        ap::testing::TestAggregatorConfig(dirs_.emplace_back().path());
    config.store = "postgres";
    config.postgres_dsn = dsn_;
    config.leader_lease = absl::Seconds(1);
    config.http_listen = "127.0.0.1:0";
    nodes_.push_back(std::make_unique<AggregatorNode>(config));
    EXPECT_STATUS_OK(nodes_.back()->Start());
    return nodes_.back().get();
  }
  // The member that leads, once one does (null if none within kWait).
  AggregatorNode* Leader() {
    AggregatorNode* leader = nullptr;
    Eventually(
        [&] {
          for (auto& n : nodes_) {
            if (n != nullptr && n->leading()) leader = n.get();
          }
          return leader != nullptr;
        },
        kWait);
    return leader;
  }
  // Two members, once one leads and the other names it: {leader, standby}
  // (nulls if that does not happen within kWait).
  std::pair<AggregatorNode*, AggregatorNode*> StartPair() {
    StartMember();
    StartMember();
    AggregatorNode* leader = Leader();
    if (leader == nullptr) return {nullptr, nullptr};
    AggregatorNode* standby = Standby(leader);
    if (!Eventually([&] {
          return standby->LeaderIfStandby() == leader->address();
        })) {
      ADD_FAILURE() << "the standby never named " << leader->address();
      return {nullptr, nullptr};
    }
    return {leader, standby};
  }
  AggregatorNode* Standby(AggregatorNode* leader) {
    for (auto& n : nodes_) {
      if (n != nullptr && n.get() != leader) return n.get();
    }
    return nullptr;
  }
  std::vector<std::string> Query(const std::string& sql) {
    absl::StatusOr<std::unique_ptr<PgConnection>> c =
        PgConnection::Connect(dsn_);
    EXPECT_STATUS_OK(c);
    std::vector<std::string> out;
    if (!c.ok()) return out;
    absl::StatusOr<PgRows> rows = (*c)->Exec(sql);
    EXPECT_STATUS_OK(rows);
    if (!rows.ok()) return out;
    for (const auto& row : rows->rows) out.push_back(row[0].value_or("NULL"));
    return out;
  }

  const std::string dsn_ = ap::testing::FreshPostgresDatabase();
  std::deque<ap::testing::TempDir> dirs_;
  std::vector<std::unique_ptr<AggregatorNode>> nodes_;
};

TEST_F(ClusterTest, OneMemberLeadsAndTheOtherStandsByNamingIt) {
  auto [leader, standby] = StartPair();
  ASSERT_NE(leader, nullptr);
  EXPECT_FALSE(standby->leading());
  EXPECT_EQ(leader->LeaderIfStandby(), std::nullopt);
  EXPECT_TRUE(Serving(*leader, ""));
  EXPECT_TRUE(Serving(*standby, ""));
  EXPECT_TRUE(Serving(*leader, "ap.v1.Node"));
  EXPECT_FALSE(Serving(*standby, "ap.v1.Node"));
}

TEST_F(ClusterTest, AStandbyForwardsTheUserApiAndSendsOperatorsToTheLeader) {
  auto [leader, standby] = StartPair();
  ASSERT_NE(leader, nullptr);
  absl::StatusOr<NewSecret> key = leader->credentials().CreateApiKey(
      "alice", Role::kWriter, "test", absl::Now());
  ASSERT_STATUS_OK(key);

  auto users = v1::Aggregator::NewStub(ChannelTo(*standby));
  grpc::ClientContext create;
  create.AddMetadata("authorization", "Bearer " + key->secret);
  v1::CreateWorkflowRequest req;
  *req.mutable_workflow() = EverySecond();
  v1::Workflow created;
  ASSERT_TRUE(users->CreateWorkflow(&create, req, &created).ok());
  absl::StatusOr<v1::Workflow> stored =
      leader->workflows().Get(kAlice, created.id());
  ASSERT_STATUS_OK(stored);
  EXPECT_EQ(stored->name(), "every-second");

  grpc::ClientContext bad_key;  // the leader's answer comes back as it is
  bad_key.AddMetadata("authorization", "Bearer apk_wrong");
  v1::GetWorkflowRequest get;
  get.set_id(created.id());
  v1::Workflow got;
  EXPECT_EQ(users->GetWorkflow(&bad_key, get, &got).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  // The HTTP/JSON API of a standby goes the same way.
  httplib::Client http("127.0.0.1", standby->http_port());
  httplib::Result r = http.Get(
      ("/v1/workflows/" + created.id()).c_str(),
      {{"Authorization", "Bearer " + key->secret}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_THAT(r->body, HasSubstr("\"every-second\""));
  // The console's overview, asked of the standby, is the leader's.
  r = http.Get("/v1/overview", {{"Authorization", "Bearer " + key->secret}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_THAT(r->body, HasSubstr("\"store\":\"postgres\""));
  EXPECT_THAT(r->body,
              HasSubstr("\"leaderAddress\":\"" + leader->address() + "\""));
  EXPECT_THAT(r->body, HasSubstr(absl::StrCat("\"epoch\":\"", leader->epoch(),
                                              "\"")));

  auto operators = v1::Node::NewStub(ChannelTo(*standby));
  grpc::ClientContext ping;
  v1::PingRequest p;
  p.set_operator_id("op-1");
  v1::PingResponse pong;
  const grpc::Status s = operators->Ping(&ping, p, &pong);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(s.error_message(), HasSubstr(leader->address()));
  const auto& trailers = ping.GetServerTrailingMetadata();
  auto named = trailers.find("ap-leader");
  ASSERT_NE(named, trailers.end());
  EXPECT_EQ(std::string(named->second.data(), named->second.size()),
            leader->address());
}

TEST_F(ClusterTest, WhenTheLeaderStopsAStandbyTakesOverAndFires) {
  StartMember();
  StartMember();
  AggregatorNode* first = Leader();
  ASSERT_NE(first, nullptr);
  absl::StatusOr<v1::Workflow> created =
      first->workflows().Create(kAlice, EverySecond());
  ASSERT_STATUS_OK(created);
  ASSERT_TRUE(Eventually([&] { return first->fires() >= 2; }));
  first->Drain(absl::ZeroDuration());  // gives the lease up
  AggregatorNode* second = nullptr;
  ASSERT_TRUE(Eventually([&] {
    second = Standby(first);
    return second->leading();
  }));
  EXPECT_EQ(second->epoch(), first->epoch() + 1);
  ASSERT_TRUE(Eventually([&] { return second->fires() >= 2; }))
      << "the new leader does not fire";
  // Each fire is recorded once, each by the epoch that fired it.
  EXPECT_THAT(Query("SELECT count(*) FROM ap_executions GROUP BY "
                    "scheduled_at HAVING count(*) > 1"),
              ::testing::IsEmpty());
  EXPECT_THAT(Query("SELECT DISTINCT written_epoch::text FROM ap_executions "
                    "ORDER BY 1"),
              ::testing::ElementsAre("1", "2"));
  // Nothing written by a term after the next one began.
  EXPECT_THAT(Query("SELECT e.id FROM ap_executions e JOIN ap_leader_terms t "
                    "ON t.epoch = e.written_epoch + 1 "
                    "WHERE e.written_at >= t.since"),
              ::testing::IsEmpty());
}

// A leader paused past its lease finds, at its next write, that another
// holds it: nothing lands, and it stops leading at once.
TEST_F(ClusterTest, ALeaderWhoseLeaseWasTakenWritesNothingAndStepsDown) {
  AggregatorNode* node = StartMember();
  ASSERT_EQ(Leader(), node);
  absl::StatusOr<v1::Workflow> created =
      node->workflows().Create(kAlice, EverySecond());
  ASSERT_STATUS_OK(created);
  ASSERT_TRUE(Eventually([&] { return node->fires() >= 1; }));
  // Another holder takes the lease over, as after a pause.
  ASSERT_THAT(Query("UPDATE ap_leader SET holder = 'elsewhere:1/x', "
                    "epoch = epoch + 1, lease_until = clock_timestamp() + "
                    "interval '1 hour', since = clock_timestamp() "
                    "RETURNING epoch::text"),
              ::testing::ElementsAre("2"));
  ASSERT_TRUE(Eventually([&] { return !node->leading(); }))
      << "still leading after its lease was taken";
  EXPECT_THAT(Query("SELECT count(*)::text FROM ap_executions e, ap_leader l "
                    "WHERE e.written_at > l.since"),
              ::testing::ElementsAre("0"));
  EXPECT_TRUE(Eventually(
      [&] { return node->LeaderIfStandby() == "elsewhere:1"; }));
}

}  // namespace
}  // namespace ap
