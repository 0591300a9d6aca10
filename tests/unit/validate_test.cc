// Workflow validation: each invalid field is named in the error.

#include "aggregator/workflows/validate.h"

#include <functional>
#include <set>
#include <string>

#include "common/proto_time.h"
#include "common/workflow_spec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ap {
namespace {

using ::ap::testing::IsOk;
using ::ap::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

v1::Workflow Valid() {
  v1::Workflow w;
  w.set_name("nightly report");
  (*w.mutable_labels())["team"] = "ops";
  w.mutable_trigger()->mutable_cron()->add_schedules("0 2 * * *");
  w.mutable_trigger()->mutable_cron()->set_timezone("Europe/Berlin");
  v1::Step* fetch = w.add_steps();
  fetch->set_id("fetch");
  fetch->mutable_http()->set_url(
      "https://example.invalid/report?run={{execution.id}}");
  (*fetch->mutable_http()->mutable_headers())["Authorization"] = "Bearer x";
  v1::Step* post = w.add_steps();
  post->set_id("post");
  post->mutable_http()->set_method("POST");
  post->mutable_http()->set_url("https://example.invalid/in");
  post->mutable_http()->set_body("{{ steps.fetch.output }}");
  v1::Step* cmd = w.add_steps();
  cmd->set_id("archive");
  cmd->mutable_command()->add_argv("/usr/bin/gzip");
  cmd->mutable_command()->add_argv("{{workflow.id}}");
  return w;
}

struct Case {
  const char* name;
  std::function<void(v1::Workflow*)> mutate;
  const char* error_prefix;
};

class InvalidWorkflowTest : public ::testing::TestWithParam<Case> {};

TEST_P(InvalidWorkflowTest, NamesTheField) {
  v1::Workflow w = Valid();
  GetParam().mutate(&w);
  EXPECT_THAT(ValidateWorkflow(w),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith(GetParam().error_prefix)));
}

const Case kCases[] = {
    {"EmptyName", [](v1::Workflow* w) { w->clear_name(); }, "name: required"},
    {"LongName", [](v1::Workflow* w) { w->set_name(std::string(201, 'x')); },
     "name: longer than 200"},
    {"MultiLineName", [](v1::Workflow* w) { w->set_name("a\nb"); },
     "name: must be one line"},
    {"BadLabelKey",
     [](v1::Workflow* w) { (*w->mutable_labels())["bad key"] = "v"; },
     "labels[\"bad key\"]: key must be"},
    {"NoTrigger", [](v1::Workflow* w) { w->clear_trigger(); },
     "trigger: set exactly one"},
    {"BadCron",
     [](v1::Workflow* w) {
       w->mutable_trigger()->mutable_cron()->set_schedules(0, "0 0 32 * *");
     },
     "trigger.cron.schedules[0]: field 3 (day of month): 32 is out of range"},
    {"BadZone",
     [](v1::Workflow* w) {
       w->mutable_trigger()->mutable_cron()->set_timezone("Moon/Base");
     },
     "trigger.cron.timezone: unknown time zone"},
    {"IntervalTooShort",
     [](v1::Workflow* w) {
       *w->mutable_trigger()->mutable_interval()->mutable_every() =
           ToProtoDuration(absl::Milliseconds(100));
     },
     "trigger.interval.every: must be at least 1s"},
    {"ExpireBeforeStart",
     [](v1::Workflow* w) {
       *w->mutable_start_at() =
           ToProtoTimestamp(absl::FromUnixSeconds(2'000'000'000));
       *w->mutable_expire_at() =
           ToProtoTimestamp(absl::FromUnixSeconds(1'000'000'000));
     },
     "expire_at: must be after start_at"},
    {"NegativeMaxExecutions",
     [](v1::Workflow* w) { w->set_max_executions(-1); },
     "max_executions: must not be negative"},
    {"UnknownEnum",
     [](v1::Workflow* w) {
       w->mutable_policy()->set_misfire(static_cast<v1::MisfirePolicy>(42));
     },
     "policy.misfire: 42 is not a known value"},
    {"NegativeCatchup",
     [](v1::Workflow* w) {
       *w->mutable_policy()->mutable_catchup_window() =
           ToProtoDuration(-absl::Seconds(1));
     },
     "policy.catchup_window: must be between"},
    {"MalformedDuration",
     [](v1::Workflow* w) {
       w->mutable_policy()->mutable_execution_timeout()->set_seconds(5);
       w->mutable_policy()->mutable_execution_timeout()->set_nanos(-5);
     },
     "policy.execution_timeout: not a valid duration"},
    {"TooManyAttempts",
     [](v1::Workflow* w) {
       w->mutable_policy()->mutable_retry()->set_max_attempts(1000);
     },
     "policy.retry.max_attempts: must be between 0 and 100"},
    {"InitialBackoffAboveTheDefaultMax",
     [](v1::Workflow* w) {
       *w->mutable_policy()->mutable_retry()->mutable_initial_backoff() =
           ToProtoDuration(absl::Seconds(600));
     },
     "policy.retry.initial_backoff: 10m is above max_backoff (5m, the "
     "default); set max_backoff too"},
    {"MaxBackoffBelowTheDefaultInitial",
     [](v1::Workflow* w) {
       *w->mutable_policy()->mutable_retry()->mutable_max_backoff() =
           ToProtoDuration(absl::Seconds(2));
     },
     "policy.retry.max_backoff: 2s is below initial_backoff (10s, the "
     "default); set initial_backoff too"},
    {"MaxBackoffBelowInitial",
     [](v1::Workflow* w) {
       *w->mutable_policy()->mutable_retry()->mutable_initial_backoff() =
           ToProtoDuration(absl::Seconds(30));
       *w->mutable_policy()->mutable_retry()->mutable_max_backoff() =
           ToProtoDuration(absl::Seconds(20));
     },
     "policy.retry.max_backoff: 20s is below initial_backoff (30s)"},
    {"NoSteps", [](v1::Workflow* w) { w->clear_steps(); },
     "steps: needs at least one"},
    {"TooManySteps",
     [](v1::Workflow* w) {
       for (int i = 0; i < 60; ++i) *w->add_steps() = w->steps(0);
     },
     "steps: at most 50"},
    {"BadStepId", [](v1::Workflow* w) { w->mutable_steps(1)->set_id("Post!"); },
     "steps[1].id: must be 1-64"},
    {"DuplicateStepId",
     [](v1::Workflow* w) { w->mutable_steps(1)->set_id("fetch"); },
     "steps[1].id: \"fetch\" is used by an earlier step"},
    {"StepWithoutAction",
     [](v1::Workflow* w) { w->mutable_steps(2)->clear_command(); },
     "steps[2]: set http or command"},
    {"BadMethod",
     [](v1::Workflow* w) {
       w->mutable_steps(0)->mutable_http()->set_method("FETCH");
     },
     "steps[0].http.method: \"FETCH\" is not"},
    {"NoUrl",
     [](v1::Workflow* w) { w->mutable_steps(0)->mutable_http()->clear_url(); },
     "steps[0].http.url: required"},
    {"FtpUrl",
     [](v1::Workflow* w) {
       w->mutable_steps(0)->mutable_http()->set_url("ftp://x/y");
     },
     "steps[0].http.url: must start with http://"},
    {"HugeUrl",
     [](v1::Workflow* w) {
       w->mutable_steps(0)->mutable_http()->set_url("https://x/" +
                                                    std::string(3000, 'a'));
     },
     "steps[0].http.url: longer than 2048"},
    {"HeaderInjection",
     [](v1::Workflow* w) {
       (*w->mutable_steps(0)->mutable_http()->mutable_headers())["X"] =
           "a\r\nEvil: 1";
     },
     "steps[0].http.headers[\"X\"]: value has a line break"},
    {"BadExpectStatus",
     [](v1::Workflow* w) {
       w->mutable_steps(0)->mutable_http()->add_expect_status(700);
     },
     "steps[0].http.expect_status[0]: 700 is not an HTTP status"},
    {"HugeBody",
     [](v1::Workflow* w) {
       w->mutable_steps(1)->mutable_http()->set_body(std::string(70000, 'b'));
     },
     "steps[1].http.body: longer than 65536"},
    {"ForwardStepReference",
     [](v1::Workflow* w) {
       w->mutable_steps(0)->mutable_http()->set_body("{{steps.post.output}}");
     },
     "steps[0].http.body: {{steps.post.output}} refers to step \"post\", which "
     "does not run earlier"},
    {"UnknownPlaceholder",
     [](v1::Workflow* w) {
       w->mutable_steps(1)->mutable_http()->set_body("{{secrets.db}}");
     },
     "steps[1].http.body: unknown placeholder {{secrets.db}}"},
    {"UnclosedPlaceholder",
     [](v1::Workflow* w) {
       w->mutable_steps(1)->mutable_http()->set_body("{{workflow.id");
     },
     "steps[1].http.body: unclosed \"{{\""},
    {"DeepTemplating",
     [](v1::Workflow* w) {
       std::string body;
       for (int i = 0; i < 100; ++i) body += "{{workflow.id}}";
       w->mutable_steps(1)->mutable_http()->set_body(body);
     },
     "steps[1].http.body: more than 64 placeholders"},
    {"RelativeCommand",
     [](v1::Workflow* w) {
       w->mutable_steps(2)->mutable_command()->set_argv(0, "gzip");
     },
     "steps[2].command.argv[0]: must be an absolute path"},
    {"EmptyArgv",
     [](v1::Workflow* w) {
       w->mutable_steps(2)->mutable_command()->clear_argv();
     },
     "steps[2].command.argv: needs the program"},
    {"BadEnvName",
     [](v1::Workflow* w) {
       (*w->mutable_steps(2)->mutable_command()->mutable_env())["1X"] = "v";
     },
     "steps[2].command.env[\"1X\"]: name must be"},
    {"NegativeStepTimeout",
     [](v1::Workflow* w) {
       *w->mutable_steps(2)->mutable_command()->mutable_timeout() =
           ToProtoDuration(-absl::Seconds(3));
     },
     "steps[2].command.timeout: must be between"},
    {"JitterTooLong",
     [](v1::Workflow* w) {
       *w->mutable_policy()->mutable_jitter() = ToProtoDuration(absl::Hours(25));
     },
     "policy.jitter: must be between"},
    {"StartDeadlineZero",
     [](v1::Workflow* w) {
       *w->mutable_policy()->mutable_start_deadline() =
           ToProtoDuration(absl::ZeroDuration());
     },
     "policy.start_deadline: must be between"},
    {"NotifyIntervalTooShort",
     [](v1::Workflow* w) {
       *w->mutable_policy()->mutable_notify_interval() =
           ToProtoDuration(absl::Milliseconds(10));
     },
     "policy.notify_interval: must be between"},
    {"NotifyTargetWithoutId",
     [](v1::Workflow* w) {
       w->add_notify()->mutable_webhook()->set_url("https://h.invalid/");
     },
     "notify[0].id: must be 1-64"},
    {"NotifyTargetTwice",
     [](v1::Workflow* w) {
       for (int i = 0; i < 2; ++i) {
         v1::NotifyTarget* t = w->add_notify();
         t->set_id("a");
         t->mutable_webhook()->set_url("https://h.invalid/");
       }
     },
     "notify[1].id: \"a\" is used twice"},
    {"NotifyTargetWithoutWebhook",
     [](v1::Workflow* w) { w->add_notify()->set_id("a"); },
     "notify[0]: set webhook"},
    {"NotifyUnknownEvent",
     [](v1::Workflow* w) {
       v1::NotifyTarget* t = w->add_notify();
       t->set_id("a");
       t->add_events(v1::NOTIFY_EVENT_UNSPECIFIED);
       t->mutable_webhook()->set_url("https://h.invalid/");
     },
     "notify[0].events[0]: must be"},
    {"NotifyBadUrl",
     [](v1::Workflow* w) {
       v1::NotifyTarget* t = w->add_notify();
       t->set_id("a");
       t->mutable_webhook()->set_url("ftp://h.invalid/");
     },
     "notify[0].webhook.url: must start with http"},
    {"NotifyStepPlaceholder",
     [](v1::Workflow* w) {
       v1::NotifyTarget* t = w->add_notify();
       t->set_id("a");
       t->mutable_webhook()->set_url("https://h.invalid/");
       t->mutable_webhook()->set_body("{{steps.fetch.output}}");
     },
     "notify[0].webhook.body: unknown placeholder {{steps.fetch.output}}"},
    {"NotifyLongTimeout",
     [](v1::Workflow* w) {
       v1::NotifyTarget* t = w->add_notify();
       t->set_id("a");
       t->mutable_webhook()->set_url("https://h.invalid/");
       *t->mutable_webhook()->mutable_timeout() =
           ToProtoDuration(absl::Minutes(5));
     },
     "notify[0].webhook.timeout: must be between"},
    {"NotifyTemplatedUrl",
     [](v1::Workflow* w) {
       v1::NotifyTarget* t = w->add_notify();
       t->set_id("a");
       t->mutable_webhook()->set_url("https://h.invalid/{{workflow.id}}");
     },
     "notify[0].webhook.url: is not a template"},
};

INSTANTIATE_TEST_SUITE_P(Fields, InvalidWorkflowTest,
                         ::testing::ValuesIn(kCases),
                         [](const auto& info) { return info.param.name; });

TEST(ValidateWorkflowTest, ValidWorkflowPasses) {
  EXPECT_THAT(ValidateWorkflow(Valid()), IsOk());
}

TEST(ValidateWorkflowTest, OutputOnlyFieldsAreIgnored) {
  v1::Workflow w = Valid();
  w.set_id("whatever");
  w.set_owner("someone-else");
  w.set_status(static_cast<v1::WorkflowStatus>(99));
  w.set_execution_count(-5);
  EXPECT_THAT(ValidateWorkflow(w), IsOk());
}

TEST(ApplyDefaultsTest, FillsTheDocumentedDefaults) {
  v1::Workflow w = Valid();
  ApplyDefaults(&w);
  EXPECT_EQ(w.policy().concurrency(), v1::CONCURRENCY_POLICY_ALLOW);
  EXPECT_EQ(w.policy().misfire(), v1::MISFIRE_POLICY_RUN_ONCE);
  EXPECT_EQ(FromProto(w.policy().catchup_window()), absl::Minutes(10));
  EXPECT_EQ(FromProto(w.policy().execution_timeout()), absl::Hours(1));
  EXPECT_EQ(w.policy().retry().max_attempts(), 1);
  EXPECT_EQ(w.steps(0).http().method(), "GET");
  EXPECT_EQ(FromProto(w.steps(0).http().timeout()), absl::Seconds(30));
  EXPECT_EQ(FromProto(w.steps(2).command().timeout()), absl::Seconds(60));
  EXPECT_THAT(ValidateWorkflow(w), IsOk());
}

TEST(ApplyDefaultsTest, KeepsWhatTheUserSet) {
  v1::Workflow w = Valid();
  w.mutable_policy()->set_misfire(v1::MISFIRE_POLICY_SKIP);
  *w.mutable_policy()->mutable_catchup_window() =
      ToProtoDuration(absl::Minutes(3));
  ApplyDefaults(&w);
  EXPECT_EQ(w.policy().misfire(), v1::MISFIRE_POLICY_SKIP);
  EXPECT_EQ(FromProto(w.policy().catchup_window()), absl::Minutes(3));
  EXPECT_EQ(w.steps(1).http().method(), "POST");
}

// Every field of a workflow is either the user's (copied by
// CopyWorkflowSpec: UpdateWorkflow and apctl diff) or the aggregator's: a
// new field must be put on one side.
TEST(WorkflowSpecTest, EveryFieldIsSpecOrOutputOnlyAndTheSpecIsCopied) {
  const std::set<std::string> spec = {
      "name",   "labels", "trigger", "start_at", "expire_at",
      "max_executions", "policy", "steps", "notify"};
  const std::set<std::string> output_only = {
      "id",          "owner",        "status",     "completion_reason",
      "execution_count", "last_fired_at", "next_fire_at", "created_at",
      "updated_at",  "version"};
  const google::protobuf::Descriptor* d = v1::Workflow::descriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const std::string& name = d->field(i)->name();
    EXPECT_TRUE(spec.count(name) + output_only.count(name) == 1) << name;
  }
  v1::Workflow from = Valid();
  *from.mutable_start_at() = ToProtoTimestamp(absl::UnixEpoch());
  *from.mutable_expire_at() = ToProtoTimestamp(absl::UnixEpoch());
  from.set_max_executions(3);
  from.mutable_policy()->set_concurrency(v1::CONCURRENCY_POLICY_FORBID);
  from.add_notify()->set_id("oncall");
  v1::Workflow copied;
  copied.set_id("kept");
  CopyWorkflowSpec(from, &copied);
  for (const std::string& name : spec) {
    const google::protobuf::FieldDescriptor* f = d->FindFieldByName(name);
    const google::protobuf::Reflection* r = v1::Workflow::GetReflection();
    if (f->is_repeated()) {
      EXPECT_EQ(r->FieldSize(copied, f), r->FieldSize(from, f)) << name;
      EXPECT_GT(r->FieldSize(copied, f), 0) << name;
    } else {
      EXPECT_TRUE(r->HasField(copied, f)) << name;
    }
  }
  EXPECT_EQ(copied.id(), "kept");
}

}  // namespace
}  // namespace ap
