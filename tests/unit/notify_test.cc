// Notifications without a store: which event an outcome is, how a
// notification is rendered, and the stable jitter offset.

#include <set>
#include <string>

#include "aggregator/notify/planner.h"
#include "aggregator/notify/render.h"
#include "aggregator/schedule/trigger.h"
#include "common/cron/jitter.h"
#include "common/proto_time.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ap {
namespace {

using ::ap::testing::IsOk;
using ::ap::testing::StatusIs;
using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromCivil(absl::CivilSecond(2026, 6, 1, 12, 0, 0),
                                       absl::UTCTimeZone());

v1::Execution Finished(v1::ExecutionStatus status, std::string reason = "") {
  v1::Execution e;
  e.set_id("01JWF-20260601T120000.000Z");
  e.set_workflow_id("01JWF");
  e.set_status(status);
  e.set_reason(std::move(reason));
  e.set_attempt(1);
  *e.mutable_scheduled_at() = ToProtoTimestamp(kT0);
  return e;
}

TEST(NotifyEventTest, OutcomesAreFailedMissedOrARecovery) {
  EXPECT_EQ(EventOf(Finished(v1::EXECUTION_STATUS_FAILED), false),
            v1::NOTIFY_EVENT_FAILED);
  EXPECT_EQ(EventOf(Finished(v1::EXECUTION_STATUS_TIMED_OUT), false),
            v1::NOTIFY_EVENT_FAILED);
  EXPECT_EQ(EventOf(Finished(v1::EXECUTION_STATUS_SKIPPED,
                             "concurrency FORBID: execution x has not finished"),
                    false),
            v1::NOTIFY_EVENT_MISSED);
  EXPECT_EQ(EventOf(Finished(v1::EXECUTION_STATUS_SKIPPED,
                             "the workflow completed: max_executions (3) "
                             "reached"),
                    false),
            v1::NOTIFY_EVENT_UNSPECIFIED);
  EXPECT_EQ(EventOf(Finished(v1::EXECUTION_STATUS_SUCCEEDED), true),
            v1::NOTIFY_EVENT_RECOVERED);
  EXPECT_EQ(EventOf(Finished(v1::EXECUTION_STATUS_SUCCEEDED), false),
            v1::NOTIFY_EVENT_UNSPECIFIED);
  EXPECT_EQ(EventOf(Finished(v1::EXECUTION_STATUS_CANCELED), true),
            v1::NOTIFY_EVENT_UNSPECIFIED);
}

v1::Workflow Hooked(std::string body) {
  v1::Workflow w;
  w.set_id("01JWF");
  w.set_name("nightly \"report\"");
  v1::NotifyTarget* t = w.add_notify();
  t->set_id("slack");
  t->mutable_webhook()->set_url("http://127.0.0.1:9/");
  t->mutable_webhook()->set_body(std::move(body));
  return w;
}

TEST(RenderNotificationTest, TemplateValuesAreJsonEscaped) {
  const v1::Workflow w = Hooked(R"({"text": "{{notification.text}}"})");
  const v1::Execution e =
      Finished(v1::EXECUTION_STATUS_FAILED, "said \"no\"\nthen <quit>\\");
  absl::StatusOr<store::v1::NotificationRecord> n = RenderNotification(
      w.notify(0), {"n-1", v1::NOTIFY_EVENT_FAILED, {{"failed", 1}}, &w, &e,
                    kT0});
  ASSERT_THAT(n, IsOk());
  google::protobuf::Struct parsed;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(n->body(), &parsed).ok())
      << n->body();
  EXPECT_THAT(parsed.fields().at("text").string_value(),
              HasSubstr("said \"no\"\nthen <quit>\\"));
  EXPECT_EQ(n->headers().at("Content-Type"), "application/json");
  EXPECT_EQ(n->headers().at("X-Ap-Notification-Id"), "n-1");
}

TEST(RenderNotificationTest, TheDefaultBodyIsJsonWithEverything) {
  const v1::Workflow w = Hooked("");
  const v1::Execution e = Finished(v1::EXECUTION_STATUS_SKIPPED, "late");
  absl::StatusOr<store::v1::NotificationRecord> n = RenderNotification(
      w.notify(0), {"n-2", v1::NOTIFY_EVENT_MISSED,
                    {{"missed", 3}, {"failed", 1}}, &w, &e, kT0});
  ASSERT_THAT(n, IsOk());
  google::protobuf::Struct parsed;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(n->body(), &parsed).ok())
      << n->body();
  EXPECT_EQ(parsed.fields().at("event").string_value(), "missed");
  EXPECT_EQ(parsed.fields().at("count").number_value(), 4);
  EXPECT_EQ(parsed.fields().at("workflow").struct_value().fields().at("name")
                .string_value(),
            "nightly \"report\"");
  EXPECT_EQ(parsed.fields().at("held").struct_value().fields().at("missed")
                .number_value(),
            3);
}

TEST(RenderNotificationTest, AnUnknownPlaceholderIsRefusedByName) {
  EXPECT_THAT(ParseTemplate("{{steps.a.output}}", NotificationTemplateNames()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown placeholder {{steps.a.output}}")));
}

TEST(JitterTest, TheOffsetIsFixedByTheIdAlone) {
  // Pinned: another build or machine must compute the same.
  EXPECT_EQ(cron::StableHash(""), 14695981039346656037ull);
  EXPECT_EQ(cron::StableHash("a"), 0xaf63dc4c8601ec8cull);
  const absl::Duration d = cron::JitterOffset("01JWF", absl::Minutes(10));
  EXPECT_EQ(cron::JitterOffset("01JWF", absl::Minutes(10)), d);
  EXPECT_EQ(cron::JitterOffset("01JWF", absl::ZeroDuration()),
            absl::ZeroDuration());
}

TEST(JitterTest, OffsetsStayWithinTheJitterAndSpreadOut) {
  std::set<int64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    const absl::Duration d =
        cron::JitterOffset(absl::StrCat("01JWF", i), absl::Minutes(10));
    ASSERT_GE(d, absl::ZeroDuration());
    ASSERT_LT(d, absl::Minutes(10));
    EXPECT_EQ(d, absl::Milliseconds(absl::ToInt64Milliseconds(d)));
    seen.insert(absl::ToInt64Seconds(d) / 60);
  }
  EXPECT_EQ(seen.size(), 10u);  // every minute of the ten is used
}

TEST(JitterTest, TheTriggerMovesEveryFireAndBoundsTheMovedTimes) {
  v1::Trigger cron;
  cron.mutable_cron()->add_schedules("0 * * * *");
  absl::StatusOr<Trigger> t = Trigger::Create(
      cron, /*start_at=*/kT0 + absl::Minutes(5), std::nullopt, kT0,
      absl::Minutes(7));
  ASSERT_THAT(t, IsOk());
  // 12:07 is at or after start_at (12:05): it counts.
  EXPECT_EQ(*t->Next(kT0), kT0 + absl::Minutes(7));
  EXPECT_EQ(*t->Next(kT0 + absl::Minutes(7)),
            kT0 + absl::Hours(1) + absl::Minutes(7));
}

}  // namespace
}  // namespace ap
