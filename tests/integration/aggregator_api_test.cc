// ap.v1.Aggregator over real gRPC on 127.0.0.1:0: an AggregatorNode as the
// binary runs it, on a simulated clock.

#include <memory>
#include <string>

#include "aggregator/node.h"
#include "common/proto_time.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/testing/aggregator_config.h"
#include "tests/testing/eventually.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/unique_name.h"

namespace ap {
namespace {

using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromCivil(absl::CivilSecond(2026, 6, 1, 12, 0, 0),
                                       absl::UTCTimeZone());

v1::Workflow Minutely() {
  v1::Workflow w;
  w.set_name(ap::testing::UniqueName("job"));
  w.mutable_trigger()->mutable_cron()->add_schedules("* * * * *");
  v1::Step* s = w.add_steps();
  s->set_id("ping");
  s->mutable_http()->set_url("http://127.0.0.1:9/ping");
  return w;
}

class AggregatorApiTest : public ::testing::Test {
 protected:
  AggregatorApiTest() {
    AggregatorConfig config = ap::testing::TestAggregatorConfig(dir_.path());
    node_ = std::make_unique<AggregatorNode>(config, &clock_);
    EXPECT_STATUS_OK(node_->Start());
    CredentialStore& creds = node_->credentials();
    alice_ = creds.CreateApiKey("alice", Role::kWriter, "", kT0)->secret;
    alice_reader_ = creds.CreateApiKey("alice", Role::kReader, "", kT0)->secret;
    bob_ = creds.CreateApiKey("bob", Role::kWriter, "", kT0)->secret;
    operator_ = creds.AddOperator("op-1", kT0)->secret;
    stub_ = v1::Aggregator::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(node_->grpc_port()),
                            grpc::InsecureChannelCredentials()));
  }

  // A context carrying `secret` (none when empty).
  std::unique_ptr<grpc::ClientContext> As(const std::string& secret) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (!secret.empty()) ctx->AddMetadata("authorization", "Bearer " + secret);
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    return ctx;
  }

  grpc::Status Create(const std::string& secret, v1::Workflow w,
                      v1::Workflow* out) {
    v1::CreateWorkflowRequest r;
    *r.mutable_workflow() = std::move(w);
    return stub_->CreateWorkflow(As(secret).get(), r, out);
  }

  SimulatedClock clock_{kT0};
  testing::TempDir dir_;
  std::unique_ptr<AggregatorNode> node_;
  std::unique_ptr<v1::Aggregator::Stub> stub_;
  std::string alice_, alice_reader_, bob_, operator_;
};

TEST_F(AggregatorApiTest, AuthMatrix) {
  v1::Workflow w;
  ASSERT_TRUE(Create(alice_, Minutely(), &w).ok());
  v1::GetWorkflowRequest get;
  get.set_id(w.id());
  v1::Workflow out;

  grpc::Status s = stub_->GetWorkflow(As("").get(), get, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("missing `authorization"));

  s = stub_->GetWorkflow(As("apk_wrong").get(), get, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);

  s = stub_->GetWorkflow(As(operator_).get(), get, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("operator token"));

  s = stub_->GetWorkflow(As(bob_).get(), get, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);

  EXPECT_TRUE(stub_->GetWorkflow(As(alice_reader_).get(), get, &out).ok());
  v1::PauseWorkflowRequest pause;
  pause.set_id(w.id());
  s = stub_->PauseWorkflow(As(alice_reader_).get(), pause, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(stub_->PauseWorkflow(As(alice_).get(), pause, &out).ok());
}

TEST_F(AggregatorApiTest, LifecycleOverGrpc) {
  v1::Workflow w;
  ASSERT_TRUE(Create(alice_, Minutely(), &w).ok());
  EXPECT_EQ(w.owner(), "alice");
  EXPECT_EQ(FromProto(w.next_fire_at()), kT0 + absl::Minutes(1));

  // The node's fire loop fires it once the clock reaches it.
  clock_.AdvanceTime(absl::Minutes(1));
  v1::ListExecutionsRequest list;
  list.set_workflow_id(w.id());
  v1::ListExecutionsResponse executions;
  // Until the loop's thread fires it.
  ap::testing::Eventually([&] {
    const bool listed =
        stub_->ListExecutions(As(alice_).get(), list, &executions).ok();
    EXPECT_TRUE(listed);
    return !listed || executions.executions_size() > 0;
  });
  ASSERT_EQ(executions.executions_size(), 1);
  v1::GetExecutionRequest get_exec;
  get_exec.set_id(executions.executions(0).id());
  v1::Execution exec;
  ASSERT_TRUE(stub_->GetExecution(As(alice_).get(), get_exec, &exec).ok());
  EXPECT_EQ(exec.status(), v1::EXECUTION_STATUS_PENDING);

  v1::TriggerWorkflowRequest trigger;
  trigger.set_id(w.id());
  ASSERT_TRUE(stub_->TriggerWorkflow(As(alice_).get(), trigger, &exec).ok());
  EXPECT_EQ(exec.cause(), v1::EXECUTION_CAUSE_MANUAL);

  v1::Workflow out;
  v1::PauseWorkflowRequest pause;
  pause.set_id(w.id());
  ASSERT_TRUE(stub_->PauseWorkflow(As(alice_).get(), pause, &out).ok());
  EXPECT_EQ(out.status(), v1::WORKFLOW_STATUS_PAUSED);
  v1::ResumeWorkflowRequest resume;
  resume.set_id(w.id());
  ASSERT_TRUE(stub_->ResumeWorkflow(As(alice_).get(), resume, &out).ok());
  EXPECT_EQ(out.status(), v1::WORKFLOW_STATUS_ACTIVE);
  v1::CancelWorkflowRequest cancel;
  cancel.set_id(w.id());
  ASSERT_TRUE(stub_->CancelWorkflow(As(alice_).get(), cancel, &out).ok());
  EXPECT_EQ(out.status(), v1::WORKFLOW_STATUS_CANCELED);

  v1::ListWorkflowsResponse listed;
  ASSERT_TRUE(stub_->ListWorkflows(As(alice_).get(), {}, &listed).ok());
  EXPECT_EQ(listed.workflows_size(), 1);
  ASSERT_TRUE(stub_->ListWorkflows(As(bob_).get(), {}, &listed).ok());
  EXPECT_EQ(listed.workflows_size(), 0);

  v1::DeleteWorkflowRequest del;
  del.set_id(w.id());
  v1::DeleteWorkflowResponse deleted;
  ASSERT_TRUE(stub_->DeleteWorkflow(As(alice_).get(), del, &deleted).ok());
  v1::GetWorkflowRequest get;
  get.set_id(w.id());
  EXPECT_EQ(stub_->GetWorkflow(As(alice_).get(), get, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(AggregatorApiTest, InvalidWorkflowNamesTheFieldOverGrpc) {
  v1::Workflow bad = Minutely();
  bad.mutable_trigger()->mutable_cron()->set_schedules(0, "0 0 32 * *");
  v1::Workflow out;
  grpc::Status s = Create(alice_, bad, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "trigger.cron.schedules[0]: field 3 (day of month): 32 is out of "
            "range 1-31");
}

TEST_F(AggregatorApiTest, PreviewScheduleListsTheNextFires) {
  v1::PreviewScheduleRequest r;
  r.mutable_trigger()->mutable_cron()->add_schedules("30 2 * * *");
  r.mutable_trigger()->mutable_cron()->set_timezone("America/New_York");
  *r.mutable_from() =
      ToProtoTimestamp(absl::FromUnixSeconds(1772913600));  // 2026-03-07T20:00Z
  r.set_count(2);
  v1::PreviewScheduleResponse resp;
  ASSERT_TRUE(stub_->PreviewSchedule(As(alice_reader_).get(), r, &resp).ok());
  ASSERT_EQ(resp.fire_times_size(), 2);
  EXPECT_EQ(FromProto(resp.fire_times(0)),
            absl::FromUnixSeconds(1772953200));  // 07:00Z
  r.set_count(5000);
  EXPECT_EQ(stub_->PreviewSchedule(As(alice_).get(), r, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AggregatorApiTest, PreviewScheduleShowsTheTimesAJitterMovesTo) {
  v1::Workflow w = Minutely();
  *w.mutable_policy()->mutable_jitter() = ToProtoDuration(absl::Seconds(50));
  v1::Workflow created;
  ASSERT_TRUE(Create(alice_, w, &created).ok());
  v1::PreviewScheduleRequest r;
  *r.mutable_trigger() = created.trigger();
  *r.mutable_jitter() = created.policy().jitter();
  *r.mutable_from() = created.created_at();
  r.set_count(2);
  v1::PreviewScheduleResponse resp;
  grpc::Status s = stub_->PreviewSchedule(As(alice_).get(), r, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("workflow_id: required with jitter"));
  r.set_workflow_id(created.id());
  ASSERT_TRUE(stub_->PreviewSchedule(As(alice_).get(), r, &resp).ok());
  ASSERT_EQ(resp.fire_times_size(), 2);
  // The first is the workflow's own next fire, as stored.
  EXPECT_EQ(FromProto(resp.fire_times(0)), FromProto(created.next_fire_at()));
  EXPECT_EQ(FromProto(resp.fire_times(1)) - FromProto(resp.fire_times(0)),
            absl::Minutes(1));
}

TEST_F(AggregatorApiTest, ExamineOverGrpcIsOwnerScoped) {
  v1::Workflow w;
  ASSERT_TRUE(Create(alice_, Minutely(), &w).ok());
  v1::ExamineWorkflowRequest r;
  r.set_id(w.id());
  v1::ExamineWorkflowResponse resp;
  ASSERT_TRUE(stub_->ExamineWorkflow(As(alice_reader_).get(), r, &resp).ok());
  EXPECT_EQ(resp.workflow().id(), w.id());
  EXPECT_EQ(stub_->ExamineWorkflow(As(bob_).get(), r, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(AggregatorApiTest, ListOperatorsShowsTheAllowList) {
  v1::ListOperatorsResponse resp;
  ASSERT_TRUE(stub_->ListOperators(As(alice_).get(), {}, &resp).ok());
  ASSERT_EQ(resp.operators_size(), 1);
  EXPECT_EQ(resp.operators(0).id(), "op-1");
}

}  // namespace
}  // namespace ap
