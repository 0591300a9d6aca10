// The user API's logic on a real store with a simulated clock: owner
// scoping, roles, lifecycle, paging, triggering and deletion.

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "aggregator/records/keys.h"
#include "aggregator/workflows/service.h"
#include "common/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_store.h"

namespace ap {
namespace {

using ::ap::testing::IsOk;
using ::ap::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

const absl::Time kT0 = absl::FromCivil(absl::CivilSecond(2026, 6, 1, 12, 0, 0),
                                       absl::UTCTimeZone());
const Caller kAlice{"alice", Role::kWriter};
const Caller kAliceReader{"alice", Role::kReader};
const Caller kBob{"bob", Role::kWriter};

// Names are unique per owner: each call gets its own unless told.
v1::Workflow Minutely(std::string name = "") {
  static int made = 0;
  if (name.empty()) name = "job-" + std::to_string(++made);
  v1::Workflow w;
  w.set_name(name);
  w.mutable_trigger()->mutable_cron()->add_schedules("* * * * *");
  v1::Step* s = w.add_steps();
  s->set_id("ping");
  s->mutable_http()->set_url("http://127.0.0.1:9/ping");
  return w;
}

class WorkflowServiceTest : public ::testing::Test {
 protected:
  WorkflowServiceTest() { Build({}); }

  void Build(ServiceOptions options, FiringOptions firing = {}) {
    service_.reset();
    engine_ = std::make_unique<FiringEngine>(&store_, &scheduler_, &clock_,
                                             firing);
    WorkflowService::Hooks hooks;
    // Hooks run without the write lock (they may dispatch, which takes it):
    // taking it here would deadlock if they did not.
    hooks.on_change = [this] {
      FairMutexLock l(store_.write_mutex());
      ++changes_;
    };
    hooks.on_canceled = [this](const std::vector<v1::Execution>& e) {
      canceled_.insert(canceled_.end(), e.begin(), e.end());
    };
    service_ = std::make_unique<WorkflowService>(
        &store_, &scheduler_, engine_.get(), &clock_, options, hooks);
  }

  v1::Workflow CreateOk(const Caller& c, v1::Workflow w = Minutely()) {
    absl::StatusOr<v1::Workflow> out = service_->Create(c, std::move(w));
    EXPECT_THAT(out, IsOk());
    return out.ok() ? *out : v1::Workflow();
  }

  void Tick(absl::Duration d) {
    clock_.AdvanceTime(d);
    ASSERT_THAT(engine_->FireDue(), IsOk());
  }

  absl::StatusOr<v1::Workflow> Update(const v1::Workflow& w,
                                      int64_t expected_version = 0,
                                      bool validate_only = false) {
    v1::UpdateWorkflowRequest r;
    *r.mutable_workflow() = w;
    r.set_expected_version(expected_version);
    r.set_validate_only(validate_only);
    return service_->Update(kAlice, r);
  }

  std::vector<v1::Execution> Executions(const std::string& id,
                                        int page_size = 0) {
    v1::ListExecutionsRequest r;
    r.set_workflow_id(id);
    r.set_page_size(page_size);
    absl::StatusOr<v1::ListExecutionsResponse> resp =
        service_->ListExecutions(kAlice, r);
    EXPECT_THAT(resp, IsOk());
    return {resp->executions().begin(), resp->executions().end()};
  }

  ap::testing::TempStore temp_;
  WorkflowStore store_{temp_.get()};
  Scheduler scheduler_;
  SimulatedClock clock_{kT0};
  std::unique_ptr<FiringEngine> engine_;
  std::unique_ptr<WorkflowService> service_;
  int changes_ = 0;
  std::vector<v1::Execution> canceled_;
};

TEST_F(WorkflowServiceTest, CreateAssignsIdOwnerStatusNextFireAndDefaults) {
  v1::Workflow in = Minutely();
  in.set_owner("mallory");  // ignored: the owner comes from the API key
  in.set_execution_count(99);
  const v1::Workflow w = CreateOk(kAlice, in);
  EXPECT_EQ(w.id().size(), 26u);
  EXPECT_EQ(w.owner(), "alice");
  EXPECT_EQ(w.status(), v1::WORKFLOW_STATUS_ACTIVE);
  EXPECT_EQ(w.execution_count(), 0);
  EXPECT_EQ(FromProto(w.next_fire_at()), kT0 + absl::Minutes(1));
  EXPECT_EQ(FromProto(w.created_at()), kT0);
  EXPECT_EQ(w.policy().misfire(), v1::MISFIRE_POLICY_RUN_ONCE);
  EXPECT_EQ(scheduler_.NextFireTime(w.id()), kT0 + absl::Minutes(1));
  EXPECT_EQ(changes_, 1);
  EXPECT_THAT(service_->Get(kAlice, w.id()), IsOk());
}

TEST_F(WorkflowServiceTest, CreatedWorkflowFires) {
  const v1::Workflow w = CreateOk(kAlice);
  Tick(absl::Minutes(1));
  Tick(absl::Minutes(1));
  EXPECT_THAT(Executions(w.id()), SizeIs(2));
  EXPECT_EQ(service_->Get(kAlice, w.id())->execution_count(), 2);
}

TEST_F(WorkflowServiceTest, InvalidWorkflowIsRejectedNamingTheField) {
  v1::Workflow w = Minutely();
  w.mutable_steps(0)->mutable_http()->set_url("gopher://x");
  EXPECT_THAT(service_->Create(kAlice, w),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("steps[0].http.url")));
}

TEST_F(WorkflowServiceTest, WorkflowWithNoFireLeftIsRejected) {
  v1::Workflow w = Minutely();
  w.mutable_trigger()->clear_cron();
  *w.mutable_trigger()->mutable_fixed_times()->add_times() =
      ToProtoTimestamp(kT0 - absl::Hours(1));
  EXPECT_THAT(
      service_->Create(kAlice, w),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no fire time")));
}

TEST_F(WorkflowServiceTest, ReadersCannotWrite) {
  const v1::Workflow w = CreateOk(kAlice);
  const auto kDenied = absl::StatusCode::kPermissionDenied;
  EXPECT_THAT(service_->Create(kAliceReader, Minutely()), StatusIs(kDenied));
  EXPECT_THAT(service_->Pause(kAliceReader, w.id()), StatusIs(kDenied));
  EXPECT_THAT(service_->Trigger(kAliceReader, w.id()), StatusIs(kDenied));
  EXPECT_THAT(service_->Delete(kAliceReader, w.id()), StatusIs(kDenied));
  EXPECT_THAT(service_->Get(kAliceReader, w.id()), IsOk());
}

TEST_F(WorkflowServiceTest, AnotherOwnersWorkflowIsNotFoundLikeAMissingOne) {
  const v1::Workflow w = CreateOk(kAlice);
  const auto kNotFound = absl::StatusCode::kNotFound;
  EXPECT_THAT(service_->Get(kBob, w.id()), StatusIs(kNotFound));
  EXPECT_THAT(service_->Pause(kBob, w.id()), StatusIs(kNotFound));
  EXPECT_THAT(service_->Delete(kBob, w.id()), StatusIs(kNotFound));
  EXPECT_THAT(service_->Trigger(kBob, w.id()), StatusIs(kNotFound));
  EXPECT_THAT(service_->Get(kAlice, "01JNOSUCHWORKFLOW000000000"),
              StatusIs(kNotFound));
  Tick(absl::Minutes(1));
  const std::string exec = keys::ExecutionId(w.id(), kT0 + absl::Minutes(1));
  EXPECT_THAT(service_->GetExecution(kAlice, exec), IsOk());
  EXPECT_THAT(service_->GetExecution(kBob, exec), StatusIs(kNotFound));
  v1::ListExecutionsRequest r;
  r.set_workflow_id(w.id());
  EXPECT_THAT(service_->ListExecutions(kBob, r), StatusIs(kNotFound));
}

TEST_F(WorkflowServiceTest, ListIsScopedPagedAndFiltered) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    v1::Workflow w = Minutely((i % 2 ? "backup-" : "report-") + std::to_string(i));
    (*w.mutable_labels())["env"] = i < 3 ? "prod" : "dev";
    ids.push_back(CreateOk(kAlice, w).id());
    clock_.AdvanceTime(absl::Milliseconds(1));
  }
  CreateOk(kBob);
  v1::ListWorkflowsRequest r;
  r.set_page_size(2);
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    absl::StatusOr<v1::ListWorkflowsResponse> resp = service_->List(kAlice, r);
    ASSERT_THAT(resp, IsOk());
    for (const auto& w : resp->workflows()) seen.push_back(w.id());
    if (resp->next_page_token().empty()) break;
    r.set_page_token(resp->next_page_token());
  }
  EXPECT_EQ(seen, ids);  // oldest first, bob's not among them

  v1::ListWorkflowsRequest filtered;
  (*filtered.mutable_labels())["env"] = "prod";
  filtered.set_name_prefix("backup-");
  absl::StatusOr<v1::ListWorkflowsResponse> resp =
      service_->List(kAlice, filtered);
  ASSERT_THAT(resp, IsOk());
  ASSERT_THAT(resp->workflows(), SizeIs(1));
  EXPECT_EQ(resp->workflows(0).id(), ids[1]);
}

TEST_F(WorkflowServiceTest, ListByStatusUsesTheStatusIndex) {
  const v1::Workflow a = CreateOk(kAlice);
  const v1::Workflow b = CreateOk(kAlice);
  ASSERT_THAT(service_->Pause(kAlice, b.id()), IsOk());
  v1::ListWorkflowsRequest r;
  r.set_status(v1::WORKFLOW_STATUS_PAUSED);
  absl::StatusOr<v1::ListWorkflowsResponse> resp = service_->List(kAlice, r);
  ASSERT_THAT(resp, IsOk());
  ASSERT_THAT(resp->workflows(), SizeIs(1));
  EXPECT_EQ(resp->workflows(0).id(), b.id());
  r.set_status(v1::WORKFLOW_STATUS_ACTIVE);
  EXPECT_EQ(service_->List(kAlice, r)->workflows(0).id(), a.id());
}

TEST_F(WorkflowServiceTest, BadListArgumentsAreNamed) {
  v1::ListWorkflowsRequest r;
  r.set_page_token("not-a-token");
  EXPECT_THAT(
      service_->List(kAlice, r),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
  r.clear_page_token();
  r.set_page_size(5000);
  EXPECT_THAT(
      service_->List(kAlice, r),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_size")));
}

TEST_F(WorkflowServiceTest, PausedWorkflowSkipsItsFiresAndResumesFromNow) {
  const v1::Workflow w = CreateOk(kAlice);
  absl::StatusOr<v1::Workflow> paused = service_->Pause(kAlice, w.id());
  ASSERT_THAT(paused, IsOk());
  EXPECT_EQ(paused->status(), v1::WORKFLOW_STATUS_PAUSED);
  EXPECT_FALSE(paused->has_next_fire_at());
  Tick(absl::Minutes(10));
  EXPECT_THAT(Executions(w.id()), SizeIs(0));
  clock_.AdvanceTime(absl::Seconds(30));  // 12:10:30
  absl::StatusOr<v1::Workflow> resumed = service_->Resume(kAlice, w.id());
  ASSERT_THAT(resumed, IsOk());
  EXPECT_EQ(FromProto(resumed->next_fire_at()), kT0 + absl::Minutes(11));
  Tick(absl::Seconds(30));
  EXPECT_THAT(Executions(w.id()), SizeIs(1));  // nothing from the pause
}

TEST_F(WorkflowServiceTest, PauseRecordsTheFiresHeldBackForItFirst) {
  FiringOptions firing;
  firing.max_pending = 1;
  Build({}, firing);
  const v1::Workflow w = CreateOk(kAlice);
  Tick(absl::Minutes(1));  // recorded: now one execution waits
  Tick(absl::Minutes(1));  // 12:02 is due and held back
  Tick(absl::Minutes(1));  // and 12:03
  ASSERT_THAT(Executions(w.id()), SizeIs(1));
  absl::StatusOr<v1::Workflow> paused = service_->Pause(kAlice, w.id());
  ASSERT_THAT(paused, IsOk());
  EXPECT_EQ(paused->status(), v1::WORKFLOW_STATUS_PAUSED);
  EXPECT_FALSE(paused->has_next_fire_at());
  EXPECT_EQ(FromProto(paused->last_fired_at()), kT0 + absl::Minutes(3));
  std::vector<v1::Execution> ex = Executions(w.id());  // newest first
  ASSERT_THAT(ex, SizeIs(3));  // the held fires were owed: recorded, to run
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(FromProto(ex[i].scheduled_at()), kT0 + absl::Minutes(3 - i));
    EXPECT_EQ(ex[i].status(), v1::EXECUTION_STATUS_PENDING);
    EXPECT_EQ(ex[i].cause(), v1::EXECUTION_CAUSE_CRON);
  }
  Tick(absl::Minutes(10));
  EXPECT_THAT(Executions(w.id()), SizeIs(3));  // nothing after the pause
}

TEST_F(WorkflowServiceTest,
       PauseAndResumeAreIdempotentButNotForEndedWorkflows) {
  const v1::Workflow w = CreateOk(kAlice);
  ASSERT_THAT(service_->Pause(kAlice, w.id()), IsOk());
  EXPECT_THAT(service_->Pause(kAlice, w.id()), IsOk());
  ASSERT_THAT(service_->Cancel(kAlice, w.id(), ""), IsOk());
  EXPECT_THAT(
      service_->Pause(kAlice, w.id()),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("CANCELED")));
  EXPECT_THAT(service_->Resume(kAlice, w.id()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(WorkflowServiceTest, CancelStopsFiresAndCancelsOpenExecutions) {
  const v1::Workflow w = CreateOk(kAlice);
  Tick(absl::Minutes(1));
  Tick(absl::Minutes(1));
  absl::StatusOr<v1::Workflow> c = service_->Cancel(kAlice, w.id(), "retired");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->status(), v1::WORKFLOW_STATUS_CANCELED);
  ASSERT_THAT(canceled_, SizeIs(2));
  for (const v1::Execution& e : Executions(w.id())) {
    EXPECT_EQ(e.status(), v1::EXECUTION_STATUS_CANCELED);
    EXPECT_EQ(e.reason(), "workflow canceled: retired");
  }
  EXPECT_EQ(temp_.Count(keys::OpenPrefix(w.id())), 0);
  Tick(absl::Minutes(5));
  EXPECT_THAT(Executions(w.id()), SizeIs(2));
}

TEST_F(WorkflowServiceTest, DeleteRemovesTheWorkflowItsExecutionsAndIndexes) {
  const v1::Workflow w = CreateOk(kAlice);
  const v1::Workflow other = CreateOk(kAlice);
  for (int i = 0; i < 3; ++i) Tick(absl::Minutes(1));
  ASSERT_THAT(service_->Delete(kAlice, w.id()), IsOk());
  EXPECT_THAT(service_->Get(kAlice, w.id()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(temp_.Count(keys::ExecutionPrefix(w.id())), 0);
  EXPECT_EQ(temp_.Count(keys::OpenPrefix(w.id())), 0);
  EXPECT_EQ(temp_.Count(keys::OwnerPrefix("alice")), 1);
  EXPECT_EQ(temp_.Count(keys::kOpenPrefix), 3);  // the other workflow's
  Tick(absl::Minutes(1));
  EXPECT_EQ(temp_.Count(keys::ExecutionPrefix(w.id())), 0);
  EXPECT_EQ(temp_.Count(keys::ExecutionPrefix(other.id())), 4);
}

// Delete stops what runs, as cancel does: the operators are told.
TEST_F(WorkflowServiceTest, DeleteStopsItsOpenExecutions) {
  const v1::Workflow w = CreateOk(kAlice);
  Tick(absl::Minutes(1));
  Tick(absl::Minutes(1));
  ASSERT_THAT(service_->Delete(kAlice, w.id()), IsOk());
  ASSERT_THAT(canceled_, SizeIs(2));
  for (const v1::Execution& e : canceled_) {
    EXPECT_EQ(e.workflow_id(), w.id());
    EXPECT_EQ(e.status(), v1::EXECUTION_STATUS_CANCELED);
    EXPECT_EQ(e.reason(), "workflow deleted");
  }
}

TEST_F(WorkflowServiceTest, TriggerRecordsAManualExecutionNow) {
  v1::Workflow in = Minutely();
  in.mutable_trigger()->clear_cron();
  in.mutable_trigger()->mutable_manual();
  const v1::Workflow w = CreateOk(kAlice, in);
  EXPECT_FALSE(w.has_next_fire_at());
  clock_.AdvanceTime(absl::Milliseconds(1500));
  absl::StatusOr<v1::Execution> e = service_->Trigger(kAlice, w.id());
  ASSERT_THAT(e, IsOk());
  EXPECT_EQ(e->cause(), v1::EXECUTION_CAUSE_MANUAL);
  EXPECT_EQ(e->status(), v1::EXECUTION_STATUS_PENDING);
  EXPECT_EQ(e->id(), w.id() + "-20260601T120001.500Z");
  // A second trigger in the same millisecond gets its own execution.
  absl::StatusOr<v1::Execution> again = service_->Trigger(kAlice, w.id());
  ASSERT_THAT(again, IsOk());
  EXPECT_NE(again->id(), e->id());
  EXPECT_EQ(service_->Get(kAlice, w.id())->execution_count(), 2);
}

TEST_F(WorkflowServiceTest, TriggerUnderForbidWhileOneIsOpenIsRefusedNamingIt) {
  v1::Workflow in = Minutely();
  in.mutable_policy()->set_concurrency(v1::CONCURRENCY_POLICY_FORBID);
  const v1::Workflow w = CreateOk(kAlice, in);
  absl::StatusOr<v1::Execution> first = service_->Trigger(kAlice, w.id());
  ASSERT_THAT(first, IsOk());
  // A person asking for a run is told why there is none; nothing is
  // recorded.
  EXPECT_THAT(service_->Trigger(kAlice, w.id()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("has execution " + first->id() +
                                 " open (EXECUTION_STATUS_PENDING) and its "
                                 "concurrency policy is FORBID")));
  EXPECT_THAT(Executions(w.id()), SizeIs(1));
  EXPECT_EQ(service_->Get(kAlice, w.id())->execution_count(), 1);
}

TEST_F(WorkflowServiceTest, ListExecutionsIsNewestFirstPagedAndFiltered) {
  v1::Workflow in = Minutely();
  in.mutable_policy()->set_concurrency(v1::CONCURRENCY_POLICY_FORBID);
  const v1::Workflow w = CreateOk(kAlice, in);
  Tick(absl::Minutes(1));
  Tick(absl::Minutes(1));
  Tick(absl::Minutes(1));  // PENDING, SKIPPED, SKIPPED
  std::vector<v1::Execution> all = Executions(w.id());
  ASSERT_THAT(all, SizeIs(3));
  EXPECT_EQ(FromProto(all[0].scheduled_at()), kT0 + absl::Minutes(3));
  EXPECT_EQ(FromProto(all[2].scheduled_at()), kT0 + absl::Minutes(1));

  v1::ListExecutionsRequest r;
  r.set_workflow_id(w.id());
  r.set_page_size(2);
  absl::StatusOr<v1::ListExecutionsResponse> p1 =
      service_->ListExecutions(kAlice, r);
  ASSERT_THAT(p1, IsOk());
  ASSERT_THAT(p1->executions(), SizeIs(2));
  r.set_page_token(p1->next_page_token());
  absl::StatusOr<v1::ListExecutionsResponse> p2 =
      service_->ListExecutions(kAlice, r);
  ASSERT_THAT(p2, IsOk());
  ASSERT_THAT(p2->executions(), SizeIs(1));
  EXPECT_EQ(p2->executions(0).id(), all[2].id());
  EXPECT_TRUE(p2->next_page_token().empty());

  v1::ListExecutionsRequest pending;
  pending.set_workflow_id(w.id());
  pending.set_status(v1::EXECUTION_STATUS_PENDING);
  EXPECT_THAT(service_->ListExecutions(kAlice, pending)->executions(),
              SizeIs(1));
}

TEST_F(WorkflowServiceTest, OwnerQuotaIsEnforced) {
  ServiceOptions options;
  options.max_workflows_per_owner = 2;
  Build(options);
  CreateOk(kAlice);
  CreateOk(kAlice);
  EXPECT_THAT(
      service_->Create(kAlice, Minutely()),
      StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("limit")));
  EXPECT_THAT(service_->Create(kBob, Minutely()), IsOk());
}

// ---------------------------------------------------------------- update --

v1::Workflow WithSchedule(v1::Workflow w, const std::string& cron) {
  w.mutable_trigger()->mutable_cron()->clear_schedules();
  w.mutable_trigger()->mutable_cron()->add_schedules(cron);
  return w;
}

TEST_F(WorkflowServiceTest, UpdateReplacesTheSpecBumpsTheVersionAndRearms) {
  const v1::Workflow w = CreateOk(kAlice);
  EXPECT_EQ(w.version(), 1);
  clock_.AdvanceTime(absl::Seconds(10));
  v1::Workflow spec = WithSchedule(w, "0 * * * *");
  spec.set_name("hourly");
  (*spec.mutable_labels())["team"] = "ops";
  absl::StatusOr<v1::Workflow> u = Update(spec);
  ASSERT_THAT(u, IsOk());
  EXPECT_EQ(u->version(), 2);
  EXPECT_EQ(u->name(), "hourly");
  EXPECT_EQ(u->labels().at("team"), "ops");
  EXPECT_EQ(u->trigger().cron().schedules(0), "0 * * * *");
  EXPECT_EQ(FromProto(u->next_fire_at()), kT0 + absl::Hours(1));
  EXPECT_EQ(FromProto(u->updated_at()), kT0 + absl::Seconds(10));
  EXPECT_EQ(FromProto(u->created_at()), kT0);  // output-only fields kept
  EXPECT_EQ(u->owner(), "alice");
  EXPECT_EQ(scheduler_.NextFireTime(w.id()), kT0 + absl::Hours(1));
  EXPECT_EQ(service_->Get(kAlice, w.id())->version(), 2);
  Tick(absl::Minutes(5));  // the old every-minute schedule is gone
  EXPECT_THAT(Executions(w.id()), SizeIs(0));
}

TEST_F(WorkflowServiceTest, UpdateChangesTheNotifyTargetsAndTheJitter) {
  const v1::Workflow w = CreateOk(kAlice);
  v1::Workflow spec = WithSchedule(w, "0 * * * *");
  v1::NotifyTarget* t = spec.add_notify();
  t->set_id("oncall");
  t->mutable_webhook()->set_url("https://hooks.example.invalid/ap");
  *spec.mutable_policy()->mutable_jitter() = ToProtoDuration(absl::Minutes(10));
  absl::StatusOr<v1::Workflow> u = Update(spec);
  ASSERT_THAT(u, IsOk());
  EXPECT_EQ(u->version(), 2);
  ASSERT_EQ(service_->Get(kAlice, w.id())->notify_size(), 1);
  EXPECT_EQ(service_->Get(kAlice, w.id())->notify(0).id(), "oncall");
  // The 12:00 fire (now) moves ahead to 12:00 + the workflow's offset.
  EXPECT_EQ(FromProto(u->next_fire_at()), kT0 + Trigger::OffsetOf(*u));
  EXPECT_GT(Trigger::OffsetOf(*u), absl::ZeroDuration());
  spec.clear_notify();
  u = Update(spec);
  ASSERT_THAT(u, IsOk());
  EXPECT_EQ(u->version(), 3);
  EXPECT_EQ(service_->Get(kAlice, w.id())->notify_size(), 0);
}

TEST_F(WorkflowServiceTest, AnUnchangedSpecKeepsItsVersionAndChangesNothing) {
  const v1::Workflow w = CreateOk(kAlice);
  v1::Workflow same = w;
  same.set_status(v1::WORKFLOW_STATUS_PAUSED);  // output only: ignored
  same.clear_policy();                           // the defaults, as stored
  absl::StatusOr<v1::Workflow> u = Update(same);
  ASSERT_THAT(u, IsOk());
  EXPECT_EQ(u->version(), 1);
  EXPECT_EQ(u->status(), v1::WORKFLOW_STATUS_ACTIVE);
  EXPECT_EQ(FromProto(u->updated_at()), kT0);
}

TEST_F(WorkflowServiceTest, AStaleExpectedVersionIsAbortedAndChangesNothing) {
  const v1::Workflow w = CreateOk(kAlice);
  ASSERT_THAT(Update(WithSchedule(w, "*/2 * * * *"), 1), IsOk());
  EXPECT_THAT(Update(WithSchedule(w, "*/3 * * * *"), 1),
              StatusIs(absl::StatusCode::kAborted,
                       HasSubstr("is at version 2, not 1")));
  EXPECT_EQ(service_->Get(kAlice, w.id())->trigger().cron().schedules(0),
            "*/2 * * * *");
  EXPECT_THAT(Update(WithSchedule(w, "*/3 * * * *"), 2), IsOk());
}

TEST_F(WorkflowServiceTest, ValidateOnlyAnswersTheResultAndStoresNothing) {
  const v1::Workflow w = CreateOk(kAlice);
  absl::StatusOr<v1::Workflow> u =
      Update(WithSchedule(w, "0 0 * * *"), 0, /*validate_only=*/true);
  ASSERT_THAT(u, IsOk());
  EXPECT_EQ(u->version(), 2);
  EXPECT_EQ(service_->Get(kAlice, w.id())->version(), 1);
  EXPECT_EQ(scheduler_.NextFireTime(w.id()), kT0 + absl::Minutes(1));
}

TEST_F(WorkflowServiceTest, UpdateRefusesBadSpecsReadersAndFinishedWorkflows) {
  const v1::Workflow w = CreateOk(kAlice);
  EXPECT_THAT(Update(WithSchedule(w, "61 * * * *")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("trigger.cron.schedules[0]")));
  v1::UpdateWorkflowRequest r;
  *r.mutable_workflow() = w;
  EXPECT_THAT(service_->Update(kAliceReader, r),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(service_->Update(kBob, r),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(service_->Cancel(kAlice, w.id(), ""), IsOk());
  EXPECT_THAT(Update(WithSchedule(w, "0 * * * *")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("is WORKFLOW_STATUS_CANCELED")));
}

TEST_F(WorkflowServiceTest, NamesAreUniqueAmongAnOwnersLiveWorkflows) {
  const v1::Workflow w = CreateOk(kAlice, Minutely("nightly"));
  EXPECT_THAT(service_->Create(kAlice, Minutely("nightly")),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("workflow " + w.id() +
                                 " is already named \"nightly\"")));
  EXPECT_THAT(service_->Create(kBob, Minutely("nightly")), IsOk());
  const v1::Workflow other = CreateOk(kAlice, Minutely("weekly"));
  v1::Workflow renamed = other;
  renamed.set_name("nightly");
  EXPECT_THAT(Update(renamed), StatusIs(absl::StatusCode::kAlreadyExists,
                                        HasSubstr(w.id())));
  // A canceled workflow no longer holds its name.
  ASSERT_THAT(service_->Cancel(kAlice, w.id(), ""), IsOk());
  EXPECT_THAT(service_->Create(kAlice, Minutely("nightly")), IsOk());
}

TEST_F(WorkflowServiceTest, LoweringMaxExecutionsToWhatRanCompletesAtOnce) {
  const v1::Workflow w = CreateOk(kAlice);
  Tick(absl::Minutes(1));
  Tick(absl::Minutes(1));
  v1::Workflow spec = w;
  spec.set_max_executions(2);
  absl::StatusOr<v1::Workflow> u = Update(spec);
  ASSERT_THAT(u, IsOk());
  EXPECT_EQ(u->status(), v1::WORKFLOW_STATUS_COMPLETED);
  EXPECT_EQ(u->completion_reason(), v1::COMPLETION_REASON_MAX_EXECUTIONS);
  EXPECT_FALSE(u->has_next_fire_at());
  Tick(absl::Minutes(1));
  EXPECT_THAT(Executions(w.id()), SizeIs(2));
}

TEST_F(WorkflowServiceTest, ExecutionsRecordTheVersionTheyFiredUnder) {
  const v1::Workflow w = CreateOk(kAlice);
  Tick(absl::Minutes(1));
  v1::Workflow spec = w;
  spec.mutable_steps(0)->mutable_http()->set_url("http://127.0.0.1:9/v2");
  ASSERT_THAT(Update(spec), IsOk());
  Tick(absl::Minutes(1));
  const std::vector<v1::Execution> all = Executions(w.id());  // newest first
  ASSERT_THAT(all, SizeIs(2));
  EXPECT_EQ(all[0].workflow_version(), 2);
  EXPECT_EQ(all[1].workflow_version(), 1);
}

// A fire that is due when the schedule changes, but not yet taken by the
// fire loop, still fires once; the next follows the new schedule.
TEST_F(WorkflowServiceTest, AFireDueAtTheChangeIsNeitherLostNorDoubled) {
  const v1::Workflow w = CreateOk(kAlice);
  clock_.AdvanceTime(absl::Minutes(1) + absl::Milliseconds(3));  // due
  ASSERT_THAT(Update(WithSchedule(w, "*/2 * * * *")), IsOk());
  Tick(absl::ZeroDuration());
  Tick(absl::Minutes(1));
  const std::vector<v1::Execution> all = Executions(w.id());
  ASSERT_THAT(all, SizeIs(2));
  EXPECT_EQ(FromProto(all[1].scheduled_at()), kT0 + absl::Minutes(1));
  EXPECT_EQ(FromProto(all[0].scheduled_at()), kT0 + absl::Minutes(2));
}

// A workflow firing every second has its schedule changed 20 times, at
// every kind of moment (just before a fire, when one is due and not yet
// taken, just after one): every second fires exactly once.
TEST_F(WorkflowServiceTest, TwentyScheduleChangesLoseAndDoubleNoFire) {
  const char* const kEverySecond[] = {"* * * * * *", "*/1 * * * * *",
                                      "@every 1s", "0-59 * * * * *"};
  v1::Workflow w = CreateOk(kAlice, WithSchedule(Minutely(), "* * * * * *"));
  const absl::Duration offsets[] = {absl::ZeroDuration(),
                                    absl::Milliseconds(1),
                                    absl::Milliseconds(999),
                                    absl::Milliseconds(500)};
  int64_t version = w.version();
  for (int i = 0; i < 20; ++i) {
    clock_.AdvanceTime(absl::Seconds(1) + offsets[i % 4] -
                       (i > 0 ? offsets[(i - 1) % 4] : absl::ZeroDuration()));
    if (i % 3 == 0) {
      ASSERT_THAT(engine_->FireDue(), IsOk());
    }
    absl::StatusOr<v1::Workflow> u =
        Update(WithSchedule(w, kEverySecond[(i + 1) % 4]), version);
    ASSERT_THAT(u, IsOk()) << i;
    version = u->version();
    if (i % 3 != 0) {
      ASSERT_THAT(engine_->FireDue(), IsOk());
    }
  }
  Tick(absl::Seconds(1));
  const absl::Time last = clock_.TimeNow();
  std::vector<v1::Execution> all = Executions(w.id(), 1000);
  std::set<absl::Time> seconds;
  for (const v1::Execution& e : all) {
    EXPECT_TRUE(seconds.insert(FromProto(e.scheduled_at())).second)
        << "doubled: " << e.id();
  }
  std::set<absl::Time> want;
  for (absl::Time t = kT0 + absl::Seconds(1); t <= last; t += absl::Seconds(1))
    want.insert(t);
  EXPECT_EQ(seconds, want);
  EXPECT_EQ(version, 21);
}

}  // namespace
}  // namespace ap
