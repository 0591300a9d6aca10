// ExamineWorkflow's diagnoses, from real firing rounds, pauses and
// outcomes on a RocksDB store with a simulated clock.

#include "aggregator/workflows/examine.h"

#include <memory>
#include <string>

#include "aggregator/records/keys.h"
#include "aggregator/workflows/service.h"
#include "common/proto_time.h"
#include "common/redact.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/unique_name.h"
#include "tests/testing/firing_core.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_store.h"
#include "tests/testing/write_locked.h"

namespace ap {
namespace {

using ::ap::testing::IsOk;
using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromCivil(absl::CivilSecond(2026, 6, 1, 12, 0, 0),
                                       absl::UTCTimeZone());
const Caller kAlice{"alice", Role::kWriter};

class ExamineTest : public ::testing::Test, protected ap::testing::FiringCore {
 protected:
  ExamineTest() : FiringCore(kT0) {}

  v1::Workflow Create(v1::Workflow w) {
    w.set_name(ap::testing::UniqueName("job"));
    if (!w.has_trigger())
      w.mutable_trigger()->mutable_cron()->add_schedules("* * * * *");
    v1::Step* s = w.add_steps();
    s->set_id("call");
    s->mutable_http()->set_url("http://127.0.0.1:9/x");
    (*s->mutable_http()->mutable_headers())["Authorization"] = "Bearer s3cret";
    absl::StatusOr<v1::Workflow> out = service_.Create(kAlice, w);
    EXPECT_THAT(out, IsOk());
    return *out;
  }
  void Minute() {
    clock_.AdvanceTime(absl::Minutes(1));
    ASSERT_THAT(engine_.FireDue(), IsOk());
  }
  // Sets an execution's outcome, as the Node service will.
  void Finish(const std::string& wf, absl::Time at, v1::ExecutionStatus status,
              const std::string& error = "") {
    v1::Execution before = **store_.GetExecution(keys::ExecutionId(wf, at));
    v1::Execution after = before;
    after.set_status(status);
    if (!error.empty()) {
      v1::StepResult* r = after.add_step_results();
      r->set_step_id("call");
      r->set_error(error);
    }
    WorkflowBatch b;
    b.PutExecution(&before, after);
    ASSERT_THAT(WriteLocked(store_, b), IsOk());
  }
  v1::ExamineWorkflowResponse Examine(const std::string& id, absl::Time since,
                                      absl::Time until) {
    absl::StatusOr<v1::ExamineWorkflowResponse> r = ExamineWorkflow(
        &store_, **store_.GetWorkflow(id), since, until, clock_.TimeNow());
    EXPECT_THAT(r, IsOk());
    return *r;
  }

  WorkflowService service_{&store_, &scheduler_, &engine_, &clock_, {}};
};

std::vector<v1::Diagnosis> Diagnoses(const v1::ExamineWorkflowResponse& r) {
  std::vector<v1::Diagnosis> out;
  for (const auto& f : r.expected_fires()) out.push_back(f.diagnosis());
  return out;
}

TEST_F(ExamineTest, EachFireGetsItsDiagnosis) {
  const v1::Workflow w = Create({});
  Minute();  // 12:01 fires
  Minute();  // 12:02 fires
  Finish(w.id(), kT0 + absl::Minutes(1), v1::EXECUTION_STATUS_SUCCEEDED);
  Finish(w.id(), kT0 + absl::Minutes(2), v1::EXECUTION_STATUS_FAILED,
         "HTTP 503 from http://127.0.0.1:9/x");
  ASSERT_THAT(service_.Pause(kAlice, w.id()), IsOk());
  Minute();
  Minute();  // 12:03, 12:04 paused
  ASSERT_THAT(service_.Resume(kAlice, w.id()), IsOk());
  Minute();  // 12:05 fires, stays PENDING
  const v1::ExamineWorkflowResponse r =
      Examine(w.id(), kT0 - absl::Minutes(1), kT0 + absl::Minutes(7));
  EXPECT_THAT(Diagnoses(r),
              ::testing::ElementsAre(
                  v1::DIAGNOSIS_NOT_STARTED,  // 12:00, before creation
                  v1::DIAGNOSIS_SUCCEEDED, v1::DIAGNOSIS_FAILED,
                  v1::DIAGNOSIS_PAUSED, v1::DIAGNOSIS_PAUSED,
                  v1::DIAGNOSIS_NO_OPERATOR,  // 12:05 waits for an operator
                  v1::DIAGNOSIS_NOT_DUE, v1::DIAGNOSIS_NOT_DUE));
  EXPECT_THAT(r.expected_fires(2).detail(), HasSubstr("HTTP 503"));
  EXPECT_THAT(r.expected_fires(3).detail(),
              HasSubstr("paused (since 2026-06-01T12:02:00Z)"));
  EXPECT_THAT(r.summary(), HasSubstr("8 expected fire(s)"));
  EXPECT_THAT(r.summary(), HasSubstr("2 PAUSED"));
  EXPECT_EQ(FromProto(r.upcoming(0)), kT0 + absl::Minutes(8));
}

TEST_F(ExamineTest, SkipsAreExplainedByTheirReason) {
  v1::Workflow in;
  in.mutable_policy()->set_concurrency(v1::CONCURRENCY_POLICY_FORBID);
  in.mutable_policy()->set_misfire(v1::MISFIRE_POLICY_SKIP);
  const v1::Workflow w = Create(in);
  Minute();  // 12:01 PENDING
  Minute();  // 12:02 SKIPPED (FORBID)
  clock_.AdvanceTime(absl::Minutes(3));
  ASSERT_THAT(engine_.FireDue(), IsOk());  // 12:03-12:05 missed: SKIP
  const v1::ExamineWorkflowResponse r =
      Examine(w.id(), kT0, kT0 + absl::Minutes(4));
  EXPECT_THAT(Diagnoses(r),
              ::testing::ElementsAre(v1::DIAGNOSIS_NO_OPERATOR,
                                     v1::DIAGNOSIS_SKIPPED_CONCURRENCY,
                                     v1::DIAGNOSIS_SKIPPED_MISFIRE,
                                     v1::DIAGNOSIS_SKIPPED_MISFIRE));
  EXPECT_THAT(r.expected_fires(1).detail(), HasSubstr("FORBID"));
}

TEST_F(ExamineTest, StartAtExpireAtAndCancelAreExplained) {
  v1::Workflow in;
  *in.mutable_start_at() = ToProtoTimestamp(kT0 + absl::Minutes(2));
  *in.mutable_expire_at() = ToProtoTimestamp(kT0 + absl::Minutes(4));
  const v1::Workflow w = Create(in);
  for (int i = 0; i < 5; ++i) Minute();
  const v1::ExamineWorkflowResponse r =
      Examine(w.id(), kT0, kT0 + absl::Minutes(5));
  EXPECT_THAT(Diagnoses(r), ::testing::ElementsAre(v1::DIAGNOSIS_NOT_STARTED,
                                                   v1::DIAGNOSIS_NO_OPERATOR,
                                                   v1::DIAGNOSIS_NO_OPERATOR,
                                                   v1::DIAGNOSIS_EXPIRED,
                                                   v1::DIAGNOSIS_EXPIRED));
  EXPECT_THAT(r.expected_fires(0).detail(), HasSubstr("start_at"));
  EXPECT_THAT(r.expected_fires(3).detail(), HasSubstr("expire_at"));
  EXPECT_EQ(r.workflow().status(), v1::WORKFLOW_STATUS_COMPLETED);
  EXPECT_EQ(r.upcoming_size(), 0);
}

TEST_F(ExamineTest, CanceledWorkflowExplainsLaterFires) {
  const v1::Workflow w = Create({});
  Minute();
  ASSERT_THAT(service_.Cancel(kAlice, w.id(), "retired"), IsOk());
  Minute();
  const v1::ExamineWorkflowResponse r =
      Examine(w.id(), kT0, kT0 + absl::Minutes(2));
  ASSERT_EQ(r.expected_fires_size(), 2);
  EXPECT_EQ(r.expected_fires(1).diagnosis(), v1::DIAGNOSIS_EXPIRED);
  EXPECT_THAT(r.expected_fires(1).detail(), HasSubstr("canceled"));
}

TEST_F(ExamineTest, ManualExecutionsAreListedApartAndSecretsRedacted) {
  const v1::Workflow w = Create({});
  clock_.AdvanceTime(absl::Seconds(30));
  ASSERT_THAT(service_.Trigger(kAlice, w.id()), IsOk());
  const v1::ExamineWorkflowResponse r =
      Examine(w.id(), kT0, kT0 + absl::Minutes(1));
  ASSERT_EQ(r.other_executions_size(), 1);
  EXPECT_EQ(r.other_executions(0).cause(), v1::EXECUTION_CAUSE_MANUAL);
  EXPECT_EQ(r.workflow().steps(0).http().headers().at("Authorization"),
            kRedacted);
  EXPECT_THAT(r.DebugString(), ::testing::Not(HasSubstr("s3cret")));
}

TEST_F(ExamineTest, IntervalFiresAreExpectedOnTheStartAtGrid) {
  v1::Workflow in;
  *in.mutable_trigger()->mutable_interval()->mutable_every() =
      ToProtoDuration(absl::Minutes(1));
  *in.mutable_start_at() = ToProtoTimestamp(kT0 + absl::Seconds(30));
  const v1::Workflow w = Create(in);
  clock_.AdvanceTime(absl::Seconds(30));
  ASSERT_THAT(engine_.FireDue(), IsOk());  // 12:00:30
  clock_.AdvanceTime(absl::Minutes(1));
  ASSERT_THAT(engine_.FireDue(), IsOk());  // 12:01:30
  const v1::ExamineWorkflowResponse r =
      Examine(w.id(), kT0, kT0 + absl::Minutes(2));
  EXPECT_THAT(Diagnoses(r), ::testing::ElementsAre(v1::DIAGNOSIS_NO_OPERATOR,
                                                   v1::DIAGNOSIS_NO_OPERATOR));
  EXPECT_EQ(FromProto(r.expected_fires(0).scheduled_at()),
            kT0 + absl::Seconds(30));
}

TEST_F(ExamineTest, AFireWithNoRecordAndNoReasonIsReportedMissing) {
  const v1::Workflow w = Create({});
  Minute();
  // Lose the record behind the engine's back, as a bug would.
  WriteBatch b;
  b.Delete(keys::Execution(w.id(),
                           keys::ExecutionId(w.id(), kT0 + absl::Minutes(1))));
  ASSERT_THAT(temp_.get()->Write(b), IsOk());
  const v1::ExamineWorkflowResponse r =
      Examine(w.id(), kT0, kT0 + absl::Minutes(1));
  ASSERT_EQ(r.expected_fires_size(), 1);
  EXPECT_EQ(r.expected_fires(0).diagnosis(), v1::DIAGNOSIS_MISSING);
  EXPECT_THAT(r.expected_fires(0).detail(), HasSubstr("please report it"));
}

}  // namespace
}  // namespace ap
