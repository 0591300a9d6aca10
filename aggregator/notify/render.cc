#include "aggregator/notify/render.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/json_escape.h"
#include "common/proto_time.h"

namespace ap {
namespace {

bool IsNotificationName(absl::string_view name) {
  static const char* const kNames[] = {
      "notification.id",  "notification.event",     "notification.text",
      "notification.count", "workflow.id",          "workflow.name",
      "execution.id",     "execution.status",       "execution.reason",
      "execution.scheduled_at", "execution.attempt"};
  for (const char* n : kNames) {
    if (name == n) return true;
  }
  return false;
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

std::string StatusLabel(v1::ExecutionStatus s) {
  return std::string(
      absl::StripPrefix(v1::ExecutionStatus_Name(s), "EXECUTION_STATUS_"));
}

int64_t Count(const NotificationFacts& f) {
  int64_t n = 0;
  for (const auto& [event, count] : f.held) n += count;
  return n;
}

// One line for people.
std::string Text(const NotificationFacts& f) {
  const v1::Execution& e = *f.execution;
  std::string text;
  switch (f.event) {
    case v1::NOTIFY_EVENT_RECOVERED:
      text = absl::StrCat("ap: workflow \"", f.workflow->name(),
                          "\" recovered: execution ", e.id(), " succeeded");
      break;
    case v1::NOTIFY_EVENT_MISSED:
      text = absl::StrCat("ap: workflow \"", f.workflow->name(),
                          "\" missed the fire at ",
                          Rfc3339(FromProto(e.scheduled_at())), ": ",
                          e.reason());
      break;
    default:
      text = absl::StrCat("ap: workflow \"", f.workflow->name(), "\" ",
                          StatusLabel(e.status()), ": execution ", e.id(),
                          e.reason().empty() ? "" : ": ", e.reason());
  }
  if (Count(f) > 1) {
    std::string held;
    for (const auto& [event, count] : f.held) {
      absl::StrAppend(&held, held.empty() ? "" : ", ", count, " ", event);
    }
    absl::StrAppend(&text, " (", held, " since the last notification)");
  }
  return text;
}

std::string Lookup(const NotificationFacts& f, absl::string_view name) {
  const v1::Execution& e = *f.execution;
  if (name == "notification.id") return f.id;
  if (name == "notification.event") return EventName(f.event);
  if (name == "notification.text") return Text(f);
  if (name == "notification.count") return absl::StrCat(Count(f));
  if (name == "workflow.id") return f.workflow->id();
  if (name == "workflow.name") return f.workflow->name();
  if (name == "execution.id") return e.id();
  if (name == "execution.status") return StatusLabel(e.status());
  if (name == "execution.reason") return e.reason();
  if (name == "execution.scheduled_at") {
    return Rfc3339(FromProto(e.scheduled_at()));
  }
  if (name == "execution.attempt") return absl::StrCat(e.attempt());
  return "";
}

std::string DefaultBody(const NotificationFacts& f) {
  const v1::Execution& e = *f.execution;
  std::string held;
  for (const auto& [event, count] : f.held) {
    absl::StrAppend(&held, held.empty() ? "" : ", ", "\"", event,
                    "\": ", count);
  }
  return absl::StrFormat(
      R"({"id": "%s", "event": "%s", "count": %d, "text": "%s", )"
      R"("workflow": {"id": "%s", "name": "%s"}, )"
      R"("execution": {"id": "%s", "status": "%s", "reason": "%s", )"
      R"("scheduled_at": "%s", "attempt": %d}, "held": {%s}, )"
      R"("created_at": "%s"})",
      JsonEscape(f.id), EventName(f.event), Count(f), JsonEscape(Text(f)),
      JsonEscape(f.workflow->id()), JsonEscape(f.workflow->name()),
      JsonEscape(e.id()), StatusLabel(e.status()), JsonEscape(e.reason()),
      Rfc3339(FromProto(e.scheduled_at())), e.attempt(), held,
      Rfc3339(f.now));
}

}  // namespace

const TemplateNames& NotificationTemplateNames() {
  static constexpr TemplateNames kNames{
      &IsNotificationName,
      "notification.id, notification.event, notification.text, "
      "notification.count, workflow.id, workflow.name, execution.id, "
      "execution.status, execution.reason, execution.scheduled_at, "
      "execution.attempt"};
  return kNames;
}

std::string EventName(v1::NotifyEvent event) {
  switch (event) {
    case v1::NOTIFY_EVENT_FAILED:
      return "failed";
    case v1::NOTIFY_EVENT_MISSED:
      return "missed";
    case v1::NOTIFY_EVENT_RECOVERED:
      return "recovered";
    default:
      return "unknown";
  }
}

absl::StatusOr<store::v1::NotificationRecord> RenderNotification(
    const v1::NotifyTarget& target, const NotificationFacts& facts) {
  const v1::WebhookTarget& hook = target.webhook();
  store::v1::NotificationRecord r;
  r.set_id(facts.id);
  r.set_workflow_id(facts.workflow->id());
  r.set_target_id(target.id());
  r.set_event(EventName(facts.event));
  r.set_url(hook.url());
  *r.mutable_headers() = hook.headers();
  (*r.mutable_headers())["X-Ap-Notification-Id"] = facts.id;
  bool typed = false;
  for (const auto& [name, value] : hook.headers()) {
    typed |= absl::EqualsIgnoreCase(name, "Content-Type");
  }
  if (!typed) (*r.mutable_headers())["Content-Type"] = "application/json";
  if (hook.body().empty()) {
    r.set_body(DefaultBody(facts));
  } else {
    absl::StatusOr<std::string> body = RenderTemplate(
        hook.body(),
        [&](absl::string_view name) { return JsonEscape(Lookup(facts, name)); },
        NotificationTemplateNames());
    if (!body.ok()) return body.status();
    r.set_body(*std::move(body));
  }
  *r.mutable_timeout() = hook.has_timeout() ? hook.timeout()
                                            : ToProtoDuration(absl::Seconds(10));
  *r.mutable_created_at() = ToProtoTimestamp(facts.now);
  *r.mutable_next_attempt_at() = ToProtoTimestamp(facts.now);
  return r;
}

}  // namespace ap
