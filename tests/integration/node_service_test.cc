// ap.v1.Node over real gRPC on 127.0.0.1:0, served by an AggregatorNode as
// the binary runs it, with an in-process test operator. The real clock
// drives the stream (heartbeats every 100 ms); waits are bounded.

#include "aggregator/service/node_service.h"

#include <memory>
#include <string>

#include "aggregator/dispatch/connect_limiter.h"
#include "aggregator/node.h"
#include "ap/v1/admin.grpc.pb.h"
#include "common/proto_time.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "tests/testing/aggregator_config.h"
#include "tests/testing/eventually.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/unique_name.h"

namespace ap {
namespace {

const Caller kAlice{"alice", Role::kWriter};

class NodeServiceTest : public ::testing::Test {
 protected:
  NodeServiceTest() {
    AggregatorConfig config = ap::testing::TestAggregatorConfig(data_.path());
    config.ping_interval = absl::Seconds(7);
    config.heartbeat_interval = absl::Milliseconds(100);
    // A lease lasts the workflow's execution timeout and 1 ms more.
    config.lease_grace = absl::Milliseconds(1);
    node_ = std::make_unique<AggregatorNode>(config);
    EXPECT_STATUS_OK(node_->Start());
    token_ = creds().AddOperator("op-1", absl::Now())->secret;
    other_token_ = creds().AddOperator("op-2", absl::Now())->secret;
    api_key_ =
        creds().CreateApiKey("alice", Role::kWriter, "", absl::Now())->secret;
    channel_ =
        grpc::CreateChannel("127.0.0.1:" + std::to_string(node_->grpc_port()),
                            grpc::InsecureChannelCredentials());
    stub_ = v1::Node::NewStub(channel_);
    v1::Workflow w;
    w.set_name(ap::testing::UniqueName("job"));
    w.mutable_trigger()->mutable_manual();
    w.add_steps()->set_id("s");
    w.mutable_steps(0)->mutable_http()->set_url("http://127.0.0.1:9/");
    workflow_ = service().Create(kAlice, w)->id();
  }
  ~NodeServiceTest() override { node_->Drain(absl::Seconds(2)); }

  CredentialStore& creds() { return node_->credentials(); }
  // Waits until the node has seen every operator's stream end.
  bool AwaitDisconnected() {
    return ap::testing::Eventually([&] {
      for (const v1::OperatorInfo& op : dispatcher().Operators()) {
        if (op.connected()) return false;
      }
      return true;
    });
  }
  WorkflowService& service() { return node_->workflows(); }
  Dispatcher& dispatcher() { return node_->dispatcher(); }

  std::unique_ptr<grpc::ClientContext> As(const std::string& secret) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", "Bearer " + secret);
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    return ctx;
  }
  std::string Trigger() { return service().Trigger(kAlice, workflow_)->id(); }
  // op-1's SUCCEEDED outcome of attempt 1.
  static v1::ReportRequest Succeeded(const std::string& execution_id) {
    v1::ReportRequest r;
    r.set_operator_id("op-1");
    r.set_execution_id(execution_id);
    r.set_attempt(1);
    r.set_status(v1::EXECUTION_STATUS_SUCCEEDED);
    return r;
  }
  v1::SyncRequest Hello(int capacity = 2) {
    v1::SyncRequest r;
    r.set_operator_id("op-1");
    r.set_version("test");
    r.set_capacity(capacity);
    return r;
  }
  // Reads messages until one that is not a heartbeat (bounded by deadline).
  bool ReadWork(grpc::ClientReaderInterface<v1::NodeMessage>* reader,
                v1::NodeMessage* m) {
    while (reader->Read(m)) {
      if (!m->has_heartbeat()) return true;
    }
    return false;
  }

  ap::testing::TempDir data_;
  std::unique_ptr<AggregatorNode> node_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Node::Stub> stub_;
  std::string token_, other_token_, api_key_, workflow_;
};

TEST_F(NodeServiceTest, PingAnswersIntervalsAndIdentity) {
  v1::PingRequest p;
  p.set_operator_id("op-1");
  p.set_version("1.0");
  v1::PingResponse resp;
  ASSERT_TRUE(stub_->Ping(As(token_).get(), p, &resp).ok());
  EXPECT_EQ(resp.aggregator_id(), node_->aggregator_id());
  EXPECT_EQ(resp.ping_interval().seconds(), 7);
  EXPECT_EQ(resp.heartbeat_interval().nanos(), 100'000'000);
  EXPECT_EQ(dispatcher().Operators().at(0).version(), "1.0");
}

// What is queued when the stream starts goes out in one message to an
// operator that accepts batches, one message each to one that does not.
TEST_F(NodeServiceTest, QueuedAssignmentsGoInOneMessageOnlyIfAccepted) {
  for (bool batches : {true, false}) {
    SCOPED_TRACE(batches ? "accepts batches" : "does not");
    std::vector<std::string> pending;
    for (int i = 0; i < 3; ++i) pending.push_back(Trigger());
    auto ctx = As(token_);
    v1::SyncRequest hello = Hello(/*capacity=*/5);
    hello.set_accepts_batches(batches);
    auto reader = stub_->Sync(ctx.get(), hello);
    std::vector<std::string> got;
    int messages = 0;
    v1::NodeMessage m;
    while (got.size() < pending.size() && ReadWork(reader.get(), &m)) {
      ++messages;
      ASSERT_EQ(m.has_assignments(), batches);
      if (m.has_assignment()) got.push_back(m.assignment().execution_id());
      for (const v1::Assignment& a : m.assignments().assignments()) {
        EXPECT_EQ(a.workflow().steps(0).id(), "s");
        got.push_back(a.execution_id());
      }
    }
    EXPECT_EQ(got, pending);
    EXPECT_EQ(messages, batches ? 1 : 3);
    for (const std::string& id : got) {
      v1::ReportResponse resp;
      ASSERT_TRUE(stub_->Report(As(token_).get(), Succeeded(id), &resp).ok());
      EXPECT_EQ(resp.result(), v1::REPORT_RESULT_ACCEPTED);
    }
    ctx->TryCancel();
    while (reader->Read(&m)) {
    }
    // The next round's triggers must find no stream to place them on.
    ASSERT_TRUE(AwaitDisconnected());
  }
}

TEST_F(NodeServiceTest, CredentialsAreCheckedAndMustMatchTheOperator) {
  v1::PingRequest p;
  p.set_operator_id("op-1");
  v1::PingResponse resp;
  EXPECT_EQ(stub_->Ping(As(other_token_).get(), p, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->Ping(As(api_key_).get(), p, &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(stub_->Ping(As("apo_nope").get(), p, &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(NodeServiceTest, PendingWorkIsAssignedOnConnectAndReportedOnce) {
  const std::string exec = Trigger();  // PENDING, no operator yet
  auto ctx = As(token_);
  auto reader = stub_->Sync(ctx.get(), Hello());
  v1::NodeMessage m;
  ASSERT_TRUE(ReadWork(reader.get(), &m));
  ASSERT_TRUE(m.has_assignment());
  EXPECT_EQ(m.assignment().execution_id(), exec);
  EXPECT_EQ(m.assignment().workflow().steps(0).id(), "s");

  const v1::ReportRequest r = Succeeded(exec);
  v1::ReportResponse resp;
  ASSERT_TRUE(stub_->Report(As(token_).get(), r, &resp).ok());
  EXPECT_EQ(resp.result(), v1::REPORT_RESULT_ACCEPTED);
  ASSERT_TRUE(stub_->Report(As(token_).get(), r, &resp).ok());
  EXPECT_EQ(resp.result(), v1::REPORT_RESULT_DUPLICATE);
  EXPECT_EQ((**node_->store().GetExecution(exec)).status(),
            v1::EXECUTION_STATUS_SUCCEEDED);
  ctx->TryCancel();
}

TEST_F(NodeServiceTest, ReportBatchAnswersEachReportInOrder) {
  const std::string exec = Trigger();
  auto ctx = As(token_);
  auto reader = stub_->Sync(ctx.get(), Hello());
  v1::NodeMessage m;
  ASSERT_TRUE(ReadWork(reader.get(), &m));
  ASSERT_EQ(m.assignment().execution_id(), exec);

  v1::ReportBatchRequest batch;
  v1::ReportRequest* done = batch.add_reports();
  *done = Succeeded(exec);
  *batch.add_reports() = *done;  // the same again, in the same batch
  v1::ReportRequest* foreign = batch.add_reports();
  *foreign = *done;
  foreign->set_operator_id("op-2");  // not the token's operator
  v1::ReportRequest* invalid = batch.add_reports();
  *invalid = *done;
  invalid->set_status(v1::EXECUTION_STATUS_SKIPPED);
  v1::ReportBatchResponse resp;
  ASSERT_TRUE(stub_->ReportBatch(As(token_).get(), batch, &resp).ok());
  ASSERT_EQ(resp.results_size(), 4);
  EXPECT_EQ(resp.results(0).response().result(), v1::REPORT_RESULT_ACCEPTED);
  EXPECT_EQ(resp.results(1).response().result(), v1::REPORT_RESULT_DUPLICATE);
  EXPECT_EQ(resp.results(2).error_code(),
            static_cast<int>(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(resp.results(2).error_message(), ::testing::HasSubstr("op-2"));
  EXPECT_EQ(resp.results(3).error_code(),
            static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(resp.results(0).error_code(), 0);
  EXPECT_EQ((**node_->store().GetExecution(exec)).status(),
            v1::EXECUTION_STATUS_SUCCEEDED);
  ctx->TryCancel();
}

TEST_F(NodeServiceTest, ReportBatchRefusesTooManyAndForeignTokens) {
  v1::ReportBatchRequest batch;
  for (int i = 0; i <= NodeServiceImpl::kMaxReportBatch; ++i) {
    *batch.add_reports() = Succeeded("x");
  }
  v1::ReportBatchResponse resp;
  grpc::Status s = stub_->ReportBatch(As(token_).get(), batch, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("at most 1000"));
  EXPECT_EQ(stub_->ReportBatch(As(api_key_).get(), {}, &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(NodeServiceTest, WorkCreatedWhileConnectedIsPushed) {
  auto ctx = As(token_);
  auto reader = stub_->Sync(ctx.get(), Hello());
  v1::NodeMessage m;
  ASSERT_TRUE(reader->Read(&m));       // connected: a first heartbeat
  const std::string exec = Trigger();  // the node dispatches it at once
  ASSERT_TRUE(ReadWork(reader.get(), &m));
  EXPECT_EQ(m.assignment().execution_id(), exec);
  ctx->TryCancel();
}

// ListOperators (apctl operators) shows where each operator connects from.
TEST_F(NodeServiceTest, AConnectedOperatorsEndpointIsItsPeerAddress) {
  auto ctx = As(token_);
  auto reader = stub_->Sync(ctx.get(), Hello());
  v1::NodeMessage m;
  ASSERT_TRUE(reader->Read(&m));  // connected: a first heartbeat
  const std::vector<v1::OperatorInfo> ops = dispatcher().Operators();
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_THAT(ops[0].endpoint(), ::testing::StartsWith("127.0.0.1:"));
  ctx->TryCancel();
}

// Removing an operator online (ap.v1.Admin) ends its open stream at once,
// with UNAUTHENTICATED, and the token is refused from then on.
TEST_F(NodeServiceTest, RemovingAnOperatorClosesItsStream) {
  const std::string root =
      creds().CreateApiKey("root", Role::kAdmin, "", absl::Now())->secret;
  auto ctx = As(token_);
  auto reader = stub_->Sync(ctx.get(), Hello());
  v1::NodeMessage m;
  ASSERT_TRUE(reader->Read(&m));  // connected: a first heartbeat
  v1::RemoveOperatorRequest remove;
  remove.set_operator_id("op-1");
  v1::RemoveOperatorResponse removed;
  const grpc::Status call = v1::Admin::NewStub(channel_)->RemoveOperator(
      As(root).get(), remove, &removed);
  ASSERT_TRUE(call.ok()) << call.error_message();
  while (reader->Read(&m)) {
  }
  const grpc::Status end = reader->Finish();
  EXPECT_EQ(end.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << end.error_message();
  EXPECT_FALSE(dispatcher().Operators().at(0).connected());
  v1::PingRequest p;
  p.set_operator_id("op-1");
  v1::PingResponse resp;
  EXPECT_EQ(stub_->Ping(As(token_).get(), p, &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(NodeServiceTest, HeartbeatsArriveAtTheConfiguredInterval) {
  auto ctx = As(token_);
  auto reader = stub_->Sync(ctx.get(), Hello());
  v1::NodeMessage m;
  const absl::Time start = absl::Now();
  uint64_t last = 0;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(reader->Read(&m));
    ASSERT_TRUE(m.has_heartbeat());
    EXPECT_EQ(m.heartbeat().sequence(), last + 1);
    last = m.heartbeat().sequence();
  }
  // Five at 100 ms: about half a second, certainly not five seconds.
  const absl::Duration took = absl::Now() - start;
  EXPECT_GE(took, absl::Milliseconds(350));
  EXPECT_LT(took, absl::Seconds(3));
  ctx->TryCancel();
}

TEST_F(NodeServiceTest, DrainEndsTheStreamAfterTellingTheOperator) {
  auto ctx = As(token_);
  auto reader = stub_->Sync(ctx.get(), Hello());
  v1::NodeMessage m;
  ASSERT_TRUE(reader->Read(&m));
  dispatcher().DrainAll("aggregator shutting down");
  ASSERT_TRUE(ReadWork(reader.get(), &m));
  EXPECT_EQ(m.drain().reason(), "aggregator shutting down");
  EXPECT_FALSE(reader->Read(&m));
  EXPECT_TRUE(reader->Finish().ok());
}

TEST_F(NodeServiceTest, KilledStreamsWorkIsRedispatchedAfterTheLease) {
  // A 1 s execution timeout + 1 ms grace: the lease runs out in ~1 s.
  v1::Workflow w;
  w.set_name("short");
  w.mutable_trigger()->mutable_manual();
  *w.mutable_policy()->mutable_execution_timeout() =
      ToProtoDuration(absl::Seconds(1));
  w.mutable_policy()->mutable_retry()->set_max_attempts(2);
  *w.mutable_policy()->mutable_retry()->mutable_initial_backoff() =
      ToProtoDuration(absl::ZeroDuration());  // re-dispatch at once
  w.add_steps()->set_id("s");
  w.mutable_steps(0)->mutable_http()->set_url("http://127.0.0.1:9/");
  const std::string wf = service().Create(kAlice, w)->id();
  const std::string exec = service().Trigger(kAlice, wf)->id();
  ASSERT_THAT(node_->ledger().Assign(exec, "op-1"), ::ap::testing::IsOk());

  // op-1 dies mid-execution; op-2 is connected and idle.
  v1::SyncRequest hello = Hello();
  hello.set_operator_id("op-2");
  auto ctx = As(other_token_);
  auto reader = stub_->Sync(ctx.get(), hello);
  v1::NodeMessage m;
  ASSERT_TRUE(reader->Read(&m));

  // The node's lease expiry (every second) finds it, and it goes to op-2 as
  // attempt 2.
  ASSERT_TRUE(ReadWork(reader.get(), &m));
  EXPECT_EQ(m.assignment().execution_id(), exec);
  EXPECT_EQ(m.assignment().attempt(), 2);
  // op-1's outcome of attempt 1, arriving late, is stale.
  v1::ReportResponse resp;
  ASSERT_TRUE(stub_->Report(As(token_).get(), Succeeded(exec), &resp).ok());
  EXPECT_EQ(resp.result(), v1::REPORT_RESULT_STALE);
  ctx->TryCancel();
}

TEST_F(NodeServiceTest, ReconnectStormsAreRefusedWithARetryHint) {
  // The fixture allows 10 connects per 10 s.
  for (int i = 0; i < 10; ++i) {
    auto ctx = As(token_);
    auto reader = stub_->Sync(ctx.get(), Hello());
    v1::NodeMessage m;
    ASSERT_TRUE(reader->Read(&m)) << i;
    ctx->TryCancel();
  }
  auto ctx = As(token_);
  auto reader = stub_->Sync(ctx.get(), Hello());
  v1::NodeMessage m;
  EXPECT_FALSE(reader->Read(&m));
  grpc::Status s = reader->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("retry in"));
  EXPECT_EQ(ctx->GetServerTrailingMetadata().count("retry-after-ms"), 1u);
  // Another operator is not affected.
  v1::SyncRequest other = Hello();
  other.set_operator_id("op-2");
  auto ctx2 = As(other_token_);
  auto reader2 = stub_->Sync(ctx2.get(), other);
  EXPECT_TRUE(reader2->Read(&m));
  ctx2->TryCancel();
}

TEST(ConnectLimiterTest, AdmitsUpToTheLimitPerWindowThenSaysHowLongToWait) {
  SimulatedClock clock;
  ConnectLimiter limiter(&clock, 3, absl::Seconds(10));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(limiter.Admit("a"), absl::ZeroDuration());
    clock.AdvanceTime(absl::Seconds(1));
  }
  EXPECT_EQ(limiter.Admit("a"), absl::Seconds(7));  // the first leaves at 10 s
  EXPECT_EQ(limiter.Admit("b"), absl::ZeroDuration());
  clock.AdvanceTime(absl::Seconds(7));
  EXPECT_EQ(limiter.Admit("a"), absl::ZeroDuration());
}

TEST_F(NodeServiceTest, ASecondSyncReplacesTheFirst) {
  auto first_ctx = As(token_);
  auto first = stub_->Sync(first_ctx.get(), Hello());
  v1::NodeMessage m;
  ASSERT_TRUE(first->Read(&m));
  auto second_ctx = As(token_);
  auto second = stub_->Sync(second_ctx.get(), Hello());
  ASSERT_TRUE(second->Read(&m));
  while (first->Read(&m)) {
  }  // the first stream ends
  EXPECT_TRUE(first->Finish().ok());
  ASSERT_TRUE(second->Read(&m));  // the second lives on
  second_ctx->TryCancel();
}

}  // namespace
}  // namespace ap
