// The execution ledger on RocksDB with a simulated clock: leases,
// idempotent reports, lease expiry and retries, across a restart too.

#include "aggregator/dispatch/ledger.h"

#include <memory>
#include <string>

#include "aggregator/records/keys.h"
#include "aggregator/workflows/service.h"
#include "common/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/unique_name.h"
#include "tests/testing/faulty_store.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_store.h"

namespace ap {
namespace {

using ::ap::testing::IsOk;
using ::ap::testing::StatusIs;
using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromCivil(absl::CivilSecond(2026, 6, 1, 12, 0, 0),
                                       absl::UTCTimeZone());

class LedgerTest : public ::testing::Test {
 protected:
  LedgerTest() { Open(); }

  void Open() {
    temp_.Open();
    faulty_ = std::make_unique<ap::testing::FaultyStore>(temp_.get());
    store_ = std::make_unique<WorkflowStore>(faulty_.get());
    engine_ =
        std::make_unique<FiringEngine>(store_.get(), &scheduler_, &clock_);
    service_ = std::make_unique<WorkflowService>(
        store_.get(), &scheduler_, engine_.get(), &clock_, ServiceOptions{});
    ledger_ = std::make_unique<ExecutionLedger>(store_.get(), &clock_);
  }
  void Restart() {
    ledger_.reset();
    service_.reset();
    engine_.reset();
    store_.reset();
    faulty_.reset();
    temp_.Close();
    Open();
  }

  // A manual-trigger workflow and one PENDING execution of it.
  std::string PendingExecution(
      int max_attempts = 1, absl::Duration initial_backoff = absl::Seconds(10),
      absl::Duration max_backoff = absl::Minutes(5)) {
    v1::Workflow w;
    w.set_name(ap::testing::UniqueName("job"));
    w.mutable_trigger()->mutable_manual();
    w.mutable_policy()->mutable_retry()->set_max_attempts(max_attempts);
    *w.mutable_policy()->mutable_retry()->mutable_initial_backoff() =
        ToProtoDuration(initial_backoff);
    *w.mutable_policy()->mutable_retry()->mutable_max_backoff() =
        ToProtoDuration(max_backoff);
    *w.mutable_policy()->mutable_execution_timeout() =
        ToProtoDuration(absl::Minutes(5));
    w.add_steps()->set_id("s");
    w.mutable_steps(0)->mutable_http()->set_url("http://127.0.0.1:9/");
    const std::string id = service_->Create({"alice", Role::kWriter}, w)->id();
    clock_.AdvanceTime(absl::Milliseconds(1));
    return service_->Trigger({"alice", Role::kWriter}, id)->id();
  }

  v1::Execution Get(const std::string& id) {
    return **store_->GetExecution(id);
  }

  v1::ReportRequest Report(const std::string& id, int attempt,
                           v1::ExecutionStatus status) {
    v1::ReportRequest r;
    r.set_operator_id("op-1");
    r.set_execution_id(id);
    r.set_attempt(attempt);
    r.set_status(status);
    return r;
  }
  v1::ReportResult Send(const v1::ReportRequest& r,
                        const std::string& op = "op-1") {
    absl::StatusOr<v1::ReportResponse> resp = ledger_->Report(op, r);
    EXPECT_THAT(resp, IsOk());
    return resp.ok() ? resp->result() : v1::REPORT_RESULT_UNSPECIFIED;
  }

  ap::testing::TempStore temp_;
  std::unique_ptr<ap::testing::FaultyStore> faulty_;
  SimulatedClock clock_{kT0};
  Scheduler scheduler_;
  std::unique_ptr<WorkflowStore> store_;
  std::unique_ptr<FiringEngine> engine_;
  std::unique_ptr<WorkflowService> service_;
  std::unique_ptr<ExecutionLedger> ledger_;
};

constexpr auto kAccepted = v1::REPORT_RESULT_ACCEPTED;
constexpr auto kDuplicate = v1::REPORT_RESULT_DUPLICATE;
constexpr auto kStale = v1::REPORT_RESULT_STALE;

TEST_F(LedgerTest, AssignLeasesTheExecutionToTheOperator) {
  const std::string id = PendingExecution();
  EXPECT_THAT(*ledger_->Pending(10), ::testing::ElementsAre(id));
  absl::StatusOr<v1::Execution> e = ledger_->Assign(id, "op-1");
  ASSERT_THAT(e, IsOk());
  EXPECT_EQ(e->status(), v1::EXECUTION_STATUS_DISPATCHED);
  EXPECT_EQ(e->operator_id(), "op-1");
  // execution_timeout 5 min + grace 30 s.
  EXPECT_EQ(FromProto(e->lease_expires_at()),
            clock_.TimeNow() + absl::Minutes(5) + absl::Seconds(30));
  EXPECT_THAT(*ledger_->Pending(10), ::testing::IsEmpty());
  EXPECT_THAT(
      ledger_->Assign(id, "op-2"),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("DISPATCHED")));
  EXPECT_THAT(ledger_->Assign("W-20260101T000000.000Z", "op-1"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(LedgerTest, RunningThenTerminalOutcomeIsRecorded) {
  const std::string id = PendingExecution();
  ASSERT_THAT(ledger_->Assign(id, "op-1"), IsOk());
  EXPECT_EQ(Send(Report(id, 1, v1::EXECUTION_STATUS_RUNNING)), kAccepted);
  EXPECT_EQ(Get(id).status(), v1::EXECUTION_STATUS_RUNNING);
  v1::ReportRequest done = Report(id, 1, v1::EXECUTION_STATUS_SUCCEEDED);
  v1::StepResult* step = done.add_step_results();
  step->set_step_id("s");
  step->set_output(std::string(100 * 1024, 'x'));
  EXPECT_EQ(Send(done), kAccepted);
  const v1::Execution e = Get(id);
  EXPECT_EQ(e.status(), v1::EXECUTION_STATUS_SUCCEEDED);
  EXPECT_EQ(e.step_results(0).output().size(), 64u * 1024u);
  EXPECT_TRUE(e.step_results(0).output_truncated());
  EXPECT_FALSE(e.has_lease_expires_at());
  EXPECT_EQ(temp_.Count(keys::OpenPrefix(e.workflow_id())), 0);
}

TEST_F(LedgerTest, ReportIsIdempotentPerAttempt) {
  const std::string id = PendingExecution();
  ASSERT_THAT(ledger_->Assign(id, "op-1"), IsOk());
  EXPECT_EQ(Send(Report(id, 1, v1::EXECUTION_STATUS_SUCCEEDED)), kAccepted);
  EXPECT_EQ(Send(Report(id, 1, v1::EXECUTION_STATUS_SUCCEEDED)), kDuplicate);
  v1::ReportRequest late_failure = Report(id, 1, v1::EXECUTION_STATUS_FAILED);
  late_failure.set_reason("replayed from the spool");
  EXPECT_EQ(Send(late_failure), kDuplicate);
  EXPECT_EQ(Get(id).status(), v1::EXECUTION_STATUS_SUCCEEDED);  // first wins
  EXPECT_EQ(Send(Report(id, 1, v1::EXECUTION_STATUS_RUNNING)), kDuplicate);
}

TEST_F(LedgerTest, AHandedBackAttemptIsPendingAgainForAnotherOperator) {
  const std::string id = PendingExecution();
  ASSERT_THAT(ledger_->Assign(id, "op-1"), IsOk());
  absl::StatusOr<v1::ReportResponse> r = ledger_->HandBack("op-1", id, 1);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->result(), kAccepted);
  const v1::Execution e = Get(id);
  EXPECT_EQ(e.status(), v1::EXECUTION_STATUS_PENDING);
  EXPECT_EQ(e.attempt(), 1);  // not counted as a failed attempt
  EXPECT_FALSE(e.has_lease_expires_at());
  EXPECT_THAT(*ledger_->Pending(10), ::testing::ElementsAre(id));
  EXPECT_THAT(ledger_->Assign(id, "op-2"), IsOk());
  // The same hand-back again, or from another operator: too late.
  EXPECT_EQ(ledger_->HandBack("op-1", id, 1)->result(), kStale);
}

TEST_F(LedgerTest, AStartedOrOtherAttemptCannotBeHandedBack) {
  const std::string id = PendingExecution(/*max_attempts=*/3);
  ASSERT_THAT(ledger_->Assign(id, "op-1"), IsOk());
  EXPECT_EQ(ledger_->HandBack("op-1", id, 2)->result(), kStale);
  EXPECT_EQ(Send(Report(id, 1, v1::EXECUTION_STATUS_RUNNING)), kAccepted);
  EXPECT_EQ(ledger_->HandBack("op-1", id, 1)->result(), kStale);
  EXPECT_EQ(Get(id).status(), v1::EXECUTION_STATUS_RUNNING);
  EXPECT_EQ(ledger_->HandBack("op-1", "W-20260101T000000.000Z", 1)->result(),
            kStale);
}

TEST_F(LedgerTest, RepeatedRunningIsDuplicate) {
  const std::string id = PendingExecution();
  ASSERT_THAT(ledger_->Assign(id, "op-1"), IsOk());
  EXPECT_EQ(Send(Report(id, 1, v1::EXECUTION_STATUS_RUNNING)), kAccepted);
  EXPECT_EQ(Send(Report(id, 1, v1::EXECUTION_STATUS_RUNNING)), kDuplicate);
}

TEST_F(LedgerTest, ExpiredLeaseRetriesWithTheNextAttemptAndOldReportsAreStale) {
  const std::string id = PendingExecution(/*max_attempts=*/2);
  ASSERT_THAT(ledger_->Assign(id, "op-1"), IsOk());
  clock_.AdvanceTime(absl::Minutes(5) + absl::Seconds(29));
  EXPECT_THAT(*ledger_->ExpireLeases(), ::testing::IsEmpty());
  clock_.AdvanceTime(absl::Seconds(1));
  std::vector<v1::Execution> changed = *ledger_->ExpireLeases();
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].status(), v1::EXECUTION_STATUS_PENDING);
  EXPECT_EQ(changed[0].attempt(), 2);
  EXPECT_THAT(changed[0].reason(), HasSubstr("lease expired on operator op-1"));
  // The retry waits out initial_backoff (10 s by default).
  EXPECT_THAT(*ledger_->Pending(10), ::testing::IsEmpty());
  clock_.AdvanceTime(absl::Seconds(10));
  EXPECT_THAT(*ledger_->Pending(10), ::testing::ElementsAre(id));
  // The first operator's late outcome no longer counts.
  EXPECT_EQ(Send(Report(id, 1, v1::EXECUTION_STATUS_SUCCEEDED)), kStale);

  ASSERT_THAT(ledger_->Assign(id, "op-2"), IsOk());
  clock_.AdvanceTime(absl::Minutes(6));
  changed = *ledger_->ExpireLeases();
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].status(), v1::EXECUTION_STATUS_FAILED);
  EXPECT_THAT(changed[0].reason(),
              HasSubstr("retry policy spent (max_attempts 2)"));
  EXPECT_EQ(temp_.Count("open/"), 0);
}

TEST_F(LedgerTest, AFailedAttemptIsRetriedWithGrowingBackoffUntilSpent) {
  const std::string id = PendingExecution(/*max_attempts=*/4, absl::Seconds(10),
                                          absl::Seconds(15));
  // Attempt n fails; attempt n+1 is due after 10 s, then 15 s (20 capped).
  const absl::Duration waits[] = {absl::Seconds(10), absl::Seconds(15),
                                  absl::Seconds(15)};
  for (int attempt = 1; attempt <= 3; ++attempt) {
    ASSERT_THAT(ledger_->Assign(id, "op-1"), IsOk());
    v1::ReportRequest failed = Report(id, attempt, v1::EXECUTION_STATUS_FAILED);
    failed.set_reason("HTTP 503");
    absl::StatusOr<v1::ReportResponse> r = ledger_->Report("op-1", failed);
    ASSERT_THAT(r, IsOk());
    EXPECT_EQ(r->result(), kAccepted);
    EXPECT_THAT(r->detail(), HasSubstr("retry as attempt"));
    const v1::Execution e = Get(id);
    EXPECT_EQ(e.status(), v1::EXECUTION_STATUS_PENDING);
    EXPECT_EQ(e.attempt(), attempt + 1);
    EXPECT_THAT(e.reason(), HasSubstr("FAILED: HTTP 503"));
    // The failed attempt's repeat is now stale.
    EXPECT_EQ(Send(failed), kStale);
    const absl::Duration wait = waits[attempt - 1];
    clock_.AdvanceTime(wait - absl::Milliseconds(1));
    EXPECT_THAT(*ledger_->Pending(10), ::testing::IsEmpty()) << attempt;
    clock_.AdvanceTime(absl::Milliseconds(1));
    EXPECT_THAT(*ledger_->Pending(10), ::testing::ElementsAre(id));
  }
  ASSERT_THAT(ledger_->Assign(id, "op-1"), IsOk());
  EXPECT_EQ(Send(Report(id, 4, v1::EXECUTION_STATUS_TIMED_OUT)), kAccepted);
  EXPECT_EQ(Get(id).status(), v1::EXECUTION_STATUS_TIMED_OUT);  // spent
  EXPECT_EQ(temp_.Count("open/"), 0);
}

TEST_F(LedgerTest, SuccessAndCancelAreNeverRetried) {
  const std::string a = PendingExecution(/*max_attempts=*/3);
  const std::string b = PendingExecution(/*max_attempts=*/3);
  ASSERT_THAT(ledger_->Assign(a, "op-1"), IsOk());
  ASSERT_THAT(ledger_->Assign(b, "op-1"), IsOk());
  EXPECT_EQ(Send(Report(a, 1, v1::EXECUTION_STATUS_SUCCEEDED)), kAccepted);
  EXPECT_EQ(Send(Report(b, 1, v1::EXECUTION_STATUS_CANCELED)), kAccepted);
  EXPECT_EQ(Get(a).status(), v1::EXECUTION_STATUS_SUCCEEDED);
  EXPECT_EQ(Get(b).status(), v1::EXECUTION_STATUS_CANCELED);
}

TEST_F(LedgerTest, ReportsFromTheWrongOperatorOrForVanishedExecutionsAreStale) {
  const std::string id = PendingExecution();
  ASSERT_THAT(ledger_->Assign(id, "op-1"), IsOk());
  EXPECT_EQ(Send(Report(id, 1, v1::EXECUTION_STATUS_SUCCEEDED), "op-9"),
            kStale);
  EXPECT_EQ(
      Send(Report("W-20260101T000000.000Z", 1, v1::EXECUTION_STATUS_SUCCEEDED)),
      kStale);
  EXPECT_EQ(Get(id).status(), v1::EXECUTION_STATUS_DISPATCHED);
}

TEST_F(LedgerTest, ImpossibleReportsAreInvalid) {
  const std::string id = PendingExecution();
  ASSERT_THAT(ledger_->Assign(id, "op-1"), IsOk());
  EXPECT_THAT(
      ledger_->Report("op-1", Report(id, 7, v1::EXECUTION_STATUS_SUCCEEDED)),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("never assigned")));
  EXPECT_THAT(
      ledger_->Report("op-1", Report(id, 1, v1::EXECUTION_STATUS_SKIPPED)),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("not EXECUTION_STATUS_SKIPPED")));
  EXPECT_THAT(
      ledger_->Report("op-1",
                      Report(id, 1, static_cast<v1::ExecutionStatus>(77))),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not 77")));
}

// Results of ReportMany, as REPORT_RESULT values (UNSPECIFIED for errors).
std::vector<v1::ReportResult> Results(
    const std::vector<absl::StatusOr<v1::ReportResponse>>& answers) {
  std::vector<v1::ReportResult> out;
  for (const auto& a : answers) {
    out.push_back(a.ok() ? a->result() : v1::REPORT_RESULT_UNSPECIFIED);
  }
  return out;
}

TEST_F(LedgerTest, ReportsInOneBatchSeeEachOther) {
  const std::string a = PendingExecution();
  const std::string b = PendingExecution();
  ASSERT_THAT(ledger_->Assign(a, "op-1"), IsOk());
  ASSERT_THAT(ledger_->Assign(b, "op-1"), IsOk());
  const v1::ReportRequest a_running =
      Report(a, 1, v1::EXECUTION_STATUS_RUNNING);
  const v1::ReportRequest a_done = Report(a, 1, v1::EXECUTION_STATUS_SUCCEEDED);
  const v1::ReportRequest b_done = Report(b, 1, v1::EXECUTION_STATUS_FAILED);
  const v1::ReportRequest b_again =
      Report(b, 1, v1::EXECUTION_STATUS_SUCCEEDED);
  const v1::ReportRequest bad = Report(b, 1, v1::EXECUTION_STATUS_PENDING);
  const auto answers = ledger_->ReportMany({{"op-1", &a_running},
                                            {"op-1", &a_done},
                                            {"op-1", &b_done},
                                            {"op-1", &b_again},
                                            {"op-1", &bad}});
  EXPECT_THAT(Results(answers), ::testing::ElementsAre(
                                    kAccepted, kAccepted, kAccepted, kDuplicate,
                                    v1::REPORT_RESULT_UNSPECIFIED));
  EXPECT_THAT(answers[4], StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Get(a).status(), v1::EXECUTION_STATUS_SUCCEEDED);
  EXPECT_EQ(Get(b).status(), v1::EXECUTION_STATUS_FAILED);  // first wins
  EXPECT_EQ(temp_.Count("open/"), 0);
}

TEST_F(LedgerTest, AFailedWriteFailsEveryAnswerThatDependedOnIt) {
  const std::string a = PendingExecution();
  ASSERT_THAT(ledger_->Assign(a, "op-1"), IsOk());
  const v1::ReportRequest done = Report(a, 1, v1::EXECUTION_STATUS_SUCCEEDED);
  const v1::ReportRequest stale =
      Report("W-20260101T000000.000Z", 1, v1::EXECUTION_STATUS_SUCCEEDED);
  faulty_->fail_writes = true;
  // The repeat would be DUPLICATE of an outcome that was never stored: it
  // must fail too, or its operator would drop the outcome from its spool.
  const auto answers =
      ledger_->ReportMany({{"op-1", &done}, {"op-1", &done}, {"op-1", &stale}});
  EXPECT_THAT(answers[0], StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(answers[1], StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(Results(answers)[2], kStale);  // did not depend on the write
  EXPECT_EQ(Get(a).status(), v1::EXECUTION_STATUS_DISPATCHED);
  faulty_->fail_writes = false;
  EXPECT_EQ(Send(done), kAccepted);
}

TEST_F(LedgerTest, LeasesSurviveARestart) {
  const std::string id = PendingExecution();
  ASSERT_THAT(ledger_->Assign(id, "op-1"), IsOk());
  Restart();
  EXPECT_EQ(Get(id).status(), v1::EXECUTION_STATUS_DISPATCHED);
  clock_.AdvanceTime(absl::Minutes(6));
  std::vector<v1::Execution> changed = *ledger_->ExpireLeases();
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].status(),
            v1::EXECUTION_STATUS_FAILED);  // max_attempts 1
}

TEST_F(LedgerTest, TheQueueFollowsARawDeleteOfAnOpenRecord) {
  const std::string a = PendingExecution();
  const std::string b = PendingExecution();
  ASSERT_THAT(*ledger_->Pending(10), ::testing::ElementsAre(a, b));
  // As the REPL's raw `delete` could do.
  const v1::Execution gone = Get(a);
  WriteBatch raw;
  raw.Delete(keys::Execution(gone.workflow_id(), a));
  ASSERT_THAT(store_->WriteRaw(raw), IsOk());
  EXPECT_THAT(*ledger_->AssignMany({{a, "op-1"}, {b, "op-1"}}),
              ::testing::SizeIs(1));
  EXPECT_THAT(*ledger_->Pending(10), ::testing::IsEmpty());
}

TEST_F(LedgerTest, PendingIsOldestScheduledFirst) {
  const std::string a = PendingExecution();
  const std::string b = PendingExecution();
  EXPECT_THAT(*ledger_->Pending(10), ::testing::ElementsAre(a, b));
  EXPECT_THAT(*ledger_->Pending(1), ::testing::ElementsAre(a));
}

}  // namespace
}  // namespace ap
