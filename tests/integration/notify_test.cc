// Notifications, jitter, backfill and the start deadline on both stores
// (RocksDB, PostgreSQL) with a simulated clock: the firing engine, the ledger and the notifier driven by
// hand, a fake webhook, and restarts over the same store.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "aggregator/dispatch/ledger.h"
#include "aggregator/notify/notifier.h"
#include "aggregator/records/keys.h"
#include "aggregator/workflows/service.h"
#include "common/cron/jitter.h"
#include "common/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/backend_store.h"
#include "tests/testing/temp_store.h"
#include "tests/testing/unique_name.h"

namespace ap {
namespace {

using ::ap::testing::IsOk;
using ::ap::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

const absl::Time kT0 = absl::FromCivil(absl::CivilSecond(2026, 6, 1, 12, 0, 0),
                                       absl::UTCTimeZone());
const Caller kAlice{"alice", Role::kWriter};

// Records every POST; answers UNAVAILABLE while down.
class FakeWebhook : public WebhookClient {
 public:
  absl::Status Post(const store::v1::NotificationRecord& n,
                    const std::atomic<bool>*) override {
    absl::MutexLock l(&mu_);
    ++attempts_;
    if (down_) return absl::UnavailableError("connection refused");
    posts_.push_back(n);
    return absl::OkStatus();
  }
  void SetDown(bool down) {
    absl::MutexLock l(&mu_);
    down_ = down;
  }
  std::vector<store::v1::NotificationRecord> posts() {
    absl::MutexLock l(&mu_);
    return posts_;
  }
  int attempts() {
    absl::MutexLock l(&mu_);
    return attempts_;
  }

 private:
  absl::Mutex mu_;
  bool down_ ABSL_GUARDED_BY(mu_) = false;
  int attempts_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<store::v1::NotificationRecord> posts_ ABSL_GUARDED_BY(mu_);
};

class NotifyTest : public ::testing::TestWithParam<ap::testing::Backend> {
 protected:
  NotifyTest() { Open(); }

  void Open() {
    store_ = std::make_unique<WorkflowStore>(kv_.get());
    scheduler_ = std::make_unique<Scheduler>();
    engine_ = std::make_unique<FiringEngine>(store_.get(), scheduler_.get(),
                                             &clock_);
    service_ = std::make_unique<WorkflowService>(
        store_.get(), scheduler_.get(), engine_.get(), &clock_,
        ServiceOptions{});
    ledger_ = std::make_unique<ExecutionLedger>(store_.get(), &clock_);
    notifier_ = std::make_unique<Notifier>(store_.get(), &webhook_, &clock_);
    ASSERT_THAT(engine_->Recover().status(), IsOk());
  }
  // Everything but the store's files and the webhook goes, as in a crash.
  void Restart() {
    notifier_.reset();
    ledger_.reset();
    service_.reset();
    engine_.reset();
    scheduler_.reset();
    store_.reset();
    kv_.Reopen();
    Open();
  }

  // A manual workflow telling one webhook target about `events` (all when
  // empty), at most once a minute.
  v1::Workflow Notifying(std::vector<v1::NotifyEvent> events = {}) {
    v1::Workflow w;
    w.set_name(ap::testing::UniqueName("job"));
    w.mutable_trigger()->mutable_manual();
    w.add_steps()->set_id("s");
    w.mutable_steps(0)->mutable_command()->add_argv("/bin/true");
    *w.mutable_policy()->mutable_notify_interval() =
        ToProtoDuration(absl::Minutes(1));
    v1::NotifyTarget* t = w.add_notify();
    t->set_id("oncall");
    for (v1::NotifyEvent e : events) t->add_events(e);
    t->mutable_webhook()->set_url("http://127.0.0.1:9/hook");
    return w;
  }
  std::string Create(const v1::Workflow& w) {
    absl::StatusOr<v1::Workflow> created = service_->Create(kAlice, w);
    EXPECT_THAT(created, IsOk());
    return created.ok() ? created->id() : "";
  }

  // Triggers the workflow and reports the run's outcome.
  std::string Run(const std::string& workflow_id, v1::ExecutionStatus outcome) {
    clock_.AdvanceTime(absl::Seconds(1));
    absl::StatusOr<v1::Execution> e = service_->Trigger(kAlice, workflow_id);
    EXPECT_THAT(e, IsOk());
    EXPECT_THAT(ledger_->Assign(e->id(), "op-1"), IsOk());
    v1::ReportRequest r;
    r.set_operator_id("op-1");
    r.set_execution_id(e->id());
    r.set_attempt(1);
    r.set_status(outcome);
    r.set_reason(outcome == v1::EXECUTION_STATUS_FAILED ? "exit status 1" : "");
    EXPECT_THAT(ledger_->Report("op-1", r), IsOk());
    return e->id();
  }

  size_t StoredNotifications() {
    size_t n = 0;
    EXPECT_THAT(store_->ForEachNotification([&](auto&&) {
      ++n;
      return true;
    }),
                IsOk());
    return n;
  }

  ap::testing::BackendStore kv_{GetParam()};
  SimulatedClock clock_{kT0};
  FakeWebhook webhook_;
  std::unique_ptr<WorkflowStore> store_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<FiringEngine> engine_;
  std::unique_ptr<WorkflowService> service_;
  std::unique_ptr<ExecutionLedger> ledger_;
  std::unique_ptr<Notifier> notifier_;
};

TEST_P(NotifyTest, AFailingWorkflowNotifiesOncePerBurstThenRecovers) {
  const std::string id = Create(Notifying());
  const std::string first = Run(id, v1::EXECUTION_STATUS_FAILED);
  for (int i = 0; i < 4; ++i) Run(id, v1::EXECUTION_STATUS_FAILED);
  Run(id, v1::EXECUTION_STATUS_SUCCEEDED);
  ASSERT_THAT(notifier_->RunOnce(), IsOk());
  std::vector<store::v1::NotificationRecord> posts = webhook_.posts();
  ASSERT_THAT(posts, SizeIs(1));  // the burst's first failure only
  EXPECT_EQ(posts[0].event(), "failed");
  EXPECT_THAT(posts[0].body(), HasSubstr(first));
  EXPECT_THAT(posts[0].body(), HasSubstr("exit status 1"));
  EXPECT_EQ(posts[0].headers().at("X-Ap-Notification-Id"), posts[0].id());

  // The quiet minute ends: one summary, saying it recovered after 4 more.
  clock_.AdvanceTime(absl::Minutes(1));
  ASSERT_THAT(notifier_->RunOnce(), IsOk());
  posts = webhook_.posts();
  ASSERT_THAT(posts, SizeIs(2));
  EXPECT_EQ(posts[1].event(), "recovered");
  EXPECT_THAT(posts[1].body(), HasSubstr("\"count\": 5"));
  EXPECT_THAT(posts[1].body(), HasSubstr("4 failed, 1 recovered"));

  // Successes while all is well tell nobody; the next failure, at once.
  Run(id, v1::EXECUTION_STATUS_SUCCEEDED);
  clock_.AdvanceTime(absl::Minutes(2));
  Run(id, v1::EXECUTION_STATUS_FAILED);
  ASSERT_THAT(notifier_->RunOnce(), IsOk());
  posts = webhook_.posts();
  ASSERT_THAT(posts, SizeIs(3));
  EXPECT_EQ(posts[2].event(), "failed");
  EXPECT_EQ(StoredNotifications(), 0u);
}

TEST_P(NotifyTest, ATargetIsToldOnlyTheEventsItChose) {
  const std::string id = Create(Notifying({v1::NOTIFY_EVENT_RECOVERED}));
  Run(id, v1::EXECUTION_STATUS_FAILED);
  ASSERT_THAT(notifier_->RunOnce(), IsOk());
  EXPECT_THAT(webhook_.posts(), SizeIs(0));
  Run(id, v1::EXECUTION_STATUS_SUCCEEDED);
  ASSERT_THAT(notifier_->RunOnce(), IsOk());
  ASSERT_THAT(webhook_.posts(), SizeIs(1));
  EXPECT_EQ(webhook_.posts()[0].event(), "recovered");
}

TEST_P(NotifyTest, AWebhookThatIsDownIsRetriedUntilUpWithoutBlockingFires) {
  v1::Workflow cron = Notifying();
  cron.mutable_trigger()->mutable_cron()->add_schedules("*/10 * * * * *");
  const std::string cron_id = Create(cron);
  const std::string id = Create(Notifying());
  webhook_.SetDown(true);
  Run(id, v1::EXECUTION_STATUS_FAILED);
  size_t fired = 0;
  for (int i = 0; i < 10; ++i) {
    ASSERT_THAT(notifier_->RunOnce(), IsOk());
    clock_.AdvanceTime(absl::Seconds(10));
    absl::StatusOr<FireReport> round = engine_->FireDue();
    ASSERT_THAT(round, IsOk());
    fired += round->recorded;
  }
  EXPECT_EQ(fired, 10u);  // the cron workflow fired on, every 10 s
  EXPECT_GE(webhook_.attempts(), 3);
  EXPECT_THAT(webhook_.posts(), SizeIs(0));
  EXPECT_EQ(StoredNotifications(), 1u);  // kept, with its attempts
  store::v1::NotificationRecord waiting;
  ASSERT_THAT(store_->ForEachNotification([&](auto&& n) {
    waiting = n;
    return true;
  }),
              IsOk());
  EXPECT_GE(waiting.attempts(), 3);
  EXPECT_THAT(waiting.last_error(), HasSubstr("connection refused"));
  // The API shows it waiting (without URL, headers or body), to its
  // owner only.
  absl::StatusOr<v1::ListNotificationsResponse> listed =
      service_->ListNotifications(kAlice, id);
  ASSERT_THAT(listed, IsOk());
  ASSERT_THAT(listed->notifications(), SizeIs(1));
  EXPECT_EQ(listed->notifications(0).id(), waiting.id());
  EXPECT_EQ(listed->notifications(0).target_id(), "oncall");
  EXPECT_EQ(listed->notifications(0).event(), "failed");
  EXPECT_EQ(listed->notifications(0).attempts(), waiting.attempts());
  EXPECT_THAT(listed->notifications(0).last_error(),
              HasSubstr("connection refused"));
  EXPECT_TRUE(listed->notifications(0).has_next_attempt_at());
  EXPECT_THAT(service_->ListNotifications(kAlice, cron_id)->notifications(),
              SizeIs(0));
  EXPECT_THAT(service_->ListNotifications(Caller{"mallory", Role::kReader}, id),
              StatusIs(absl::StatusCode::kNotFound));

  webhook_.SetDown(false);
  clock_.AdvanceTime(absl::Minutes(5));
  ASSERT_THAT(notifier_->RunOnce(), IsOk());
  ASSERT_THAT(webhook_.posts(), SizeIs(1));
  EXPECT_EQ(webhook_.posts()[0].id(), waiting.id());
  EXPECT_EQ(StoredNotifications(), 0u);
  EXPECT_THAT(service_->ListNotifications(kAlice, id)->notifications(),
              SizeIs(0));
  (void)cron_id;
}

TEST_P(NotifyTest, ARestartInBetweenStillDeliversEachNotification) {
  const std::string id = Create(Notifying());
  Run(id, v1::EXECUTION_STATUS_FAILED);
  Run(id, v1::EXECUTION_STATUS_FAILED);  // held for the summary
  Run(id, v1::EXECUTION_STATUS_FAILED);
  Restart();  // before any delivery
  ASSERT_THAT(notifier_->Start(), IsOk());
  notifier_->Stop();  // loaded; driven by hand from here
  ASSERT_THAT(notifier_->RunOnce(), IsOk());
  ASSERT_THAT(webhook_.posts(), SizeIs(1));
  EXPECT_EQ(webhook_.posts()[0].event(), "failed");

  Restart();  // with two failures held
  ASSERT_THAT(notifier_->Start(), IsOk());
  notifier_->Stop();
  clock_.AdvanceTime(absl::Minutes(1));
  ASSERT_THAT(notifier_->RunOnce(), IsOk());
  ASSERT_THAT(webhook_.posts(), SizeIs(2));
  EXPECT_THAT(webhook_.posts()[1].body(), HasSubstr("\"count\": 2"));
  EXPECT_EQ(StoredNotifications(), 0u);
}

TEST_P(NotifyTest, ADeletedWorkflowsHeldEventsGoWithIt) {
  const std::string id = Create(Notifying());
  Run(id, v1::EXECUTION_STATUS_FAILED);
  Run(id, v1::EXECUTION_STATUS_FAILED);  // held
  ASSERT_THAT(service_->Delete(kAlice, id), IsOk());
  ASSERT_THAT(notifier_->RunOnce(), IsOk());  // made before: still sent
  clock_.AdvanceTime(absl::Minutes(1));
  ASSERT_THAT(notifier_->RunOnce(), IsOk());
  EXPECT_THAT(webhook_.posts(), SizeIs(1));  // no summary
  EXPECT_FALSE(store_->GetNotifyState(id)->has_value());
  EXPECT_EQ(StoredNotifications(), 0u);
}

TEST_P(NotifyTest, TheStartDeadlineRecordsAnUntakenRunAsMissed) {
  v1::Workflow w = Notifying({v1::NOTIFY_EVENT_MISSED});
  w.mutable_trigger()->mutable_cron()->add_schedules("0 * * * * *");
  *w.mutable_policy()->mutable_start_deadline() =
      ToProtoDuration(absl::Seconds(30));
  const std::string id = Create(w);
  v1::Workflow patient = Notifying();
  patient.mutable_trigger()->mutable_cron()->add_schedules("0 * * * * *");
  const std::string patient_id = Create(patient);

  clock_.AdvanceTime(absl::Minutes(1));
  ASSERT_THAT(engine_->FireDue(), IsOk());
  const std::string late = keys::ExecutionId(id, kT0 + absl::Minutes(1));
  ASSERT_EQ((*store_->GetExecution(late))->status(),
            v1::EXECUTION_STATUS_PENDING);
  clock_.AdvanceTime(absl::Seconds(29));
  EXPECT_THAT(*ledger_->ExpireStartDeadlines(), SizeIs(0));
  clock_.AdvanceTime(absl::Seconds(1));
  absl::StatusOr<std::vector<v1::Execution>> skipped =
      ledger_->ExpireStartDeadlines();
  ASSERT_THAT(skipped, IsOk());
  ASSERT_THAT(*skipped, SizeIs(1));
  const v1::Execution e = **store_->GetExecution(late);
  EXPECT_EQ(e.status(), v1::EXECUTION_STATUS_SKIPPED);
  EXPECT_THAT(e.reason(), HasSubstr(kStartDeadlineReason));
  // Without a deadline a run waits for an operator however long.
  clock_.AdvanceTime(absl::Hours(1));
  EXPECT_THAT(*ledger_->ExpireStartDeadlines(), SizeIs(0));
  EXPECT_EQ((*store_->GetExecution(keys::ExecutionId(
                 patient_id, kT0 + absl::Minutes(1))))
                ->status(),
            v1::EXECUTION_STATUS_PENDING);

  v1::ExamineWorkflowRequest examine;
  examine.set_id(id);
  *examine.mutable_since() = ToProtoTimestamp(kT0);
  *examine.mutable_until() = ToProtoTimestamp(kT0 + absl::Minutes(1));
  absl::StatusOr<v1::ExamineWorkflowResponse> r =
      service_->Examine(kAlice, examine);
  ASSERT_THAT(r, IsOk());
  ASSERT_THAT(r->expected_fires(), SizeIs(1));
  EXPECT_EQ(r->expected_fires(0).diagnosis(),
            v1::DIAGNOSIS_SKIPPED_START_DEADLINE);

  ASSERT_THAT(notifier_->RunOnce(), IsOk());
  ASSERT_THAT(webhook_.posts(), SizeIs(1));
  EXPECT_EQ(webhook_.posts()[0].event(), "missed");
  EXPECT_THAT(webhook_.posts()[0].body(), HasSubstr("start deadline passed"));
}

TEST_P(NotifyTest, JitterIsStableAcrossRestartsAndAggregatorsAndWithinBounds) {
  v1::Workflow w = Notifying();
  w.mutable_trigger()->mutable_cron()->add_schedules("0 * * * *");
  *w.mutable_policy()->mutable_jitter() = ToProtoDuration(absl::Minutes(10));
  const v1::Workflow created = *service_->Create(kAlice, w);
  const absl::Duration offset =
      cron::JitterOffset(created.id(), absl::Minutes(10));
  EXPECT_GE(offset, absl::ZeroDuration());
  EXPECT_LT(offset, absl::Minutes(10));
  ASSERT_GT(offset, absl::ZeroDuration());  // this id's, as it happens
  // The fire of 12:00 (now) is moved to 12:00 + offset: still ahead.
  const absl::Time first = kT0 + offset;
  EXPECT_EQ(FromProto(created.next_fire_at()), first);

  // Another aggregator (its own scheduler and engine) on the same records,
  // after a restart, arms and fires it at the same moved time.
  Restart();
  clock_.AdvanceTime(first - kT0 - absl::Milliseconds(1));
  absl::StatusOr<FireReport> before = engine_->FireDue();
  ASSERT_THAT(before, IsOk());
  EXPECT_EQ(before->recorded, 0u);
  clock_.AdvanceTime(absl::Milliseconds(1));
  ASSERT_THAT(engine_->FireDue(), IsOk());
  EXPECT_TRUE((*store_->GetExecution(keys::ExecutionId(created.id(), first)))
                  .has_value());
  const v1::Workflow after = **store_->GetWorkflow(created.id());
  EXPECT_EQ(FromProto(after.next_fire_at()), first + absl::Hours(1));

  // Down for three fires: the misfire policy (RUN_ONCE, a 10 min catch-up
  // window) works on the moved times too.
  Restart();
  clock_.AdvanceTime(absl::Hours(3) + absl::Minutes(1));
  ASSERT_THAT(engine_->FireDue(), IsOk());
  for (int h = 1; h <= 3; ++h) {
    const std::optional<v1::Execution> e = *store_->GetExecution(
        keys::ExecutionId(created.id(), first + absl::Hours(h)));
    ASSERT_TRUE(e.has_value()) << h;
    EXPECT_EQ(e->cause(), v1::EXECUTION_CAUSE_CATCHUP);
    EXPECT_EQ(e->status(), h == 3 ? v1::EXECUTION_STATUS_PENDING
                                  : v1::EXECUTION_STATUS_SKIPPED);
  }

  // Examine lists the moved times.
  v1::ExamineWorkflowRequest examine;
  examine.set_id(created.id());
  *examine.mutable_since() = ToProtoTimestamp(kT0);
  *examine.mutable_until() = ToProtoTimestamp(first + absl::Hours(3));
  absl::StatusOr<v1::ExamineWorkflowResponse> r =
      service_->Examine(kAlice, examine);
  ASSERT_THAT(r, IsOk());
  ASSERT_THAT(r->expected_fires(), SizeIs(4));
  EXPECT_EQ(FromProto(r->expected_fires(0).scheduled_at()), first);
  EXPECT_EQ(r->expected_fires(0).diagnosis(), v1::DIAGNOSIS_NO_OPERATOR);
  EXPECT_EQ(r->expected_fires(1).diagnosis(), v1::DIAGNOSIS_SKIPPED_MISFIRE);
}

TEST_P(NotifyTest, BackfillIsIdempotentAndBounded) {
  v1::Workflow w = Notifying();
  w.mutable_trigger()->mutable_cron()->add_schedules("0 * * * *");
  const std::string id = Create(w);
  clock_.AdvanceTime(absl::Minutes(30));
  v1::BackfillWorkflowRequest req;
  req.set_id(id);
  *req.mutable_from() = ToProtoTimestamp(kT0 - absl::Hours(5));
  *req.mutable_to() = ToProtoTimestamp(kT0);
  req.set_dry_run(true);
  absl::StatusOr<v1::BackfillWorkflowResponse> dry =
      service_->Backfill(kAlice, req);
  ASSERT_THAT(dry, IsOk());
  EXPECT_THAT(dry->recorded(), SizeIs(6));  // 07:00 .. 12:00, both ends
  EXPECT_FALSE(store_->GetExecution(dry->recorded(0).id())->has_value());

  req.set_dry_run(false);
  absl::StatusOr<v1::BackfillWorkflowResponse> done =
      service_->Backfill(kAlice, req);
  ASSERT_THAT(done, IsOk());
  ASSERT_THAT(done->recorded(), SizeIs(6));
  EXPECT_EQ(FromProto(done->recorded(0).scheduled_at()),
            kT0 - absl::Hours(5));
  for (const v1::Execution& e : done->recorded()) {
    const v1::Execution stored = **store_->GetExecution(e.id());
    EXPECT_EQ(stored.cause(), v1::EXECUTION_CAUSE_BACKFILL);
    EXPECT_EQ(stored.status(), v1::EXECUTION_STATUS_PENDING);
  }
  absl::StatusOr<v1::BackfillWorkflowResponse> again =
      service_->Backfill(kAlice, req);
  ASSERT_THAT(again, IsOk());
  EXPECT_THAT(again->recorded(), SizeIs(0));
  EXPECT_THAT(again->existing_execution_ids(), SizeIs(6));

  // Bounded: more than 1000 fires in the window is refused, naming it.
  v1::Workflow minutely = Notifying();
  minutely.mutable_trigger()->mutable_cron()->add_schedules("* * * * *");
  req.set_id(Create(minutely));
  *req.mutable_from() = ToProtoTimestamp(kT0 - absl::Hours(24));
  EXPECT_THAT(service_->Backfill(kAlice, req),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("more than 1000 fires")));
  EXPECT_EQ(*store_->CountExecutions(req.id()), 0);
  *req.mutable_to() = ToProtoTimestamp(clock_.TimeNow() + absl::Hours(1));
  EXPECT_THAT(service_->Backfill(kAlice, req),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("in the future")));
  EXPECT_THAT(service_->Backfill({"alice", Role::kReader}, req),
              StatusIs(absl::StatusCode::kPermissionDenied));

  // FORBID: two fires would run at once; one is fine.
  v1::Workflow forbid = Notifying();
  forbid.mutable_trigger()->mutable_cron()->add_schedules("0 * * * *");
  forbid.mutable_policy()->set_concurrency(v1::CONCURRENCY_POLICY_FORBID);
  req.set_id(Create(forbid));
  *req.mutable_from() = ToProtoTimestamp(kT0 - absl::Hours(2));
  *req.mutable_to() = ToProtoTimestamp(kT0);
  EXPECT_THAT(service_->Backfill(kAlice, req),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("would run at once")));
  *req.mutable_from() = ToProtoTimestamp(kT0);
  EXPECT_THAT(service_->Backfill(kAlice, req), IsOk());
}

AP_BOTH_BACKENDS(NotifyTest);

// A webhook that takes the connection and never answers holds up a leader
// stepping down no longer than it takes curl to notice (not the 60 s of
// the delivery's timeout).
TEST(NotifierTest, StoppingCutsADeliveryInFlightShort) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), len), 0);
  ASSERT_EQ(listen(listener, 4), 0);  // never accepted, never answered
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);

  ap::testing::TempStore temp;
  WorkflowStore store(temp.get());
  store::v1::NotificationRecord n;
  n.set_id("n-1");
  n.set_workflow_id("01JWF");
  n.set_url(absl::StrCat("http://127.0.0.1:", ntohs(addr.sin_port), "/"));
  *n.mutable_timeout() = ToProtoDuration(absl::Seconds(60));
  *n.mutable_created_at() = ToProtoTimestamp(absl::Now());
  *n.mutable_next_attempt_at() = ToProtoTimestamp(absl::Now());
  WorkflowBatch batch;
  batch.PutRecord(keys::Notification("01JWF", "n-1"), n.SerializeAsString());
  {
    FairMutexLock l(store.write_mutex());
    ASSERT_THAT(store.Write(batch), IsOk());
  }
  CurlWebhookClient curl;
  Notifier notifier(&store, &curl, Clock::Real());
  ASSERT_THAT(notifier.Start(), IsOk());
  absl::SleepFor(absl::Milliseconds(300));  // the POST is in flight
  const absl::Time stopping = absl::Now();
  notifier.Stop();
  EXPECT_LT(absl::Now() - stopping, absl::Seconds(30));
  size_t kept = 0;
  ASSERT_THAT(store.ForEachNotification([&](auto&& r) {
    kept += r.id() == "n-1" && r.attempts() == 0;
    return true;
  }),
              IsOk());
  EXPECT_EQ(kept, 1u);  // cut short: as it was, for the next leader
  close(listener);
}

}  // namespace
}  // namespace ap
