#include "aggregator/workflows/validate.h"

#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "aggregator/notify/planner.h"
#include "aggregator/notify/render.h"
#include "aggregator/schedule/trigger.h"
#include "common/proto_time.h"
#include "common/status.h"
#include "common/template/template.h"

namespace ap {
namespace {

// The retry policy's defaults (workflow.proto documents them).
constexpr absl::Duration kDefaultInitialBackoff = absl::Seconds(10);
constexpr absl::Duration kDefaultMaxBackoff = absl::Minutes(5);

absl::Status Bad(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool IsLabelKeyChar(char c) {
  return IsIdChar(c) || (c >= 'A' && c <= 'Z') || c == '.' || c == '/';
}

bool IsHeaderNameChar(char c) {
  return absl::ascii_isalnum(c) || c == '-' || c == '_';
}

bool HasControlChars(absl::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return true;
  }
  return false;
}

absl::Status CheckLength(absl::string_view field, absl::string_view v,
                         size_t max) {
  if (v.size() > max) {
    return Bad(field, absl::StrCat("longer than ", max, " bytes"));
  }
  return absl::OkStatus();
}

// Parses templates and checks that step references point backwards.
absl::Status CheckTemplate(absl::string_view field, absl::string_view text,
                           const std::set<std::string>& earlier_steps,
                           const TemplateNames& names = StepTemplateNames()) {
  absl::StatusOr<std::vector<TemplatePart>> parts = ParseTemplate(text, names);
  if (!parts.ok()) return Bad(field, parts.status().message());
  for (const TemplatePart& p : *parts) {
    const std::string step = ReferencedStep(p.text);
    if (p.is_placeholder && !step.empty() && !earlier_steps.count(step)) {
      return Bad(field, absl::StrCat("{{", p.text, "}} refers to step \"", step,
                                     "\", which does not run earlier"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckDuration(absl::string_view field,
                           const google::protobuf::Duration& d,
                           absl::Duration min, absl::Duration max) {
  if (absl::Status s = ValidateDuration(field, d); !s.ok()) return s;
  const absl::Duration v = FromProto(d);
  if (v < min || v > max) {
    return Bad(field,
               absl::StrCat("must be between ", absl::FormatDuration(min),
                            " and ", absl::FormatDuration(max)));
  }
  return absl::OkStatus();
}

absl::Status ValidateHttp(absl::string_view f, const v1::HttpStep& http,
                          const std::set<std::string>& earlier,
                          const WorkflowLimits& limits,
                          const TemplateNames& names = StepTemplateNames()) {
  static const char* const kMethods[] = {"",      "GET",    "POST", "PUT",
                                         "PATCH", "DELETE", "HEAD"};
  bool method_ok = false;
  for (const char* m : kMethods) method_ok |= http.method() == m;
  if (!method_ok) {
    return Bad(absl::StrCat(f, ".method"),
               absl::StrCat("\"", http.method(),
                            "\" is not GET, POST, PUT, PATCH, DELETE or HEAD"));
  }
  const std::string url_field = absl::StrCat(f, ".url");
  if (http.url().empty()) return Bad(url_field, "required");
  if (absl::Status s = CheckLength(url_field, http.url(), limits.max_url);
      !s.ok()) {
    return s;
  }
  if (!absl::StartsWith(http.url(), "http://") &&
      !absl::StartsWith(http.url(), "https://")) {
    return Bad(url_field, "must start with http:// or https://");
  }
  if (HasControlChars(http.url()) || absl::StrContains(http.url(), ' ')) {
    return Bad(url_field, "must not contain spaces or line breaks");
  }
  if (absl::Status s = CheckTemplate(url_field, http.url(), earlier, names);
      !s.ok()) {
    return s;
  }
  if (http.headers_size() > limits.max_headers) {
    return Bad(absl::StrCat(f, ".headers"),
               absl::StrCat("at most ", limits.max_headers, " allowed"));
  }
  for (const auto& [name, value] : http.headers()) {
    const std::string hf = absl::StrCat(f, ".headers[\"", name, "\"]");
    bool name_ok = !name.empty() && name.size() <= 256;
    for (char c : name) name_ok &= IsHeaderNameChar(c);
    if (!name_ok) return Bad(hf, "name must be 1-256 of [A-Za-z0-9_-]");
    if (HasControlChars(value)) return Bad(hf, "value has a line break");
    if (absl::Status s = CheckLength(hf, value, limits.max_header_value);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = CheckTemplate(hf, value, earlier, names); !s.ok()) {
      return s;
    }
  }
  const std::string body_field = absl::StrCat(f, ".body");
  if (absl::Status s = CheckLength(body_field, http.body(), limits.max_body);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckTemplate(body_field, http.body(), earlier, names);
      !s.ok()) {
    return s;
  }
  if (http.has_timeout()) {
    if (absl::Status s =
            CheckDuration(absl::StrCat(f, ".timeout"), http.timeout(),
                          absl::Milliseconds(1), limits.max_step_timeout);
        !s.ok()) {
      return s;
    }
  }
  for (int i = 0; i < http.expect_status_size(); ++i) {
    const int code = http.expect_status(i);
    if (code < 100 || code > 599) {
      return Bad(absl::StrCat(f, ".expect_status[", i, "]"),
                 absl::StrCat(code, " is not an HTTP status (100-599)"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateCommand(absl::string_view f, const v1::CommandStep& cmd,
                             const std::set<std::string>& earlier,
                             const WorkflowLimits& limits) {
  const std::string argv_field = absl::StrCat(f, ".argv");
  if (cmd.argv().empty()) return Bad(argv_field, "needs the program to run");
  if (cmd.argv_size() > limits.max_argv) {
    return Bad(argv_field,
               absl::StrCat("at most ", limits.max_argv, " allowed"));
  }
  if (!absl::StartsWith(cmd.argv(0), "/")) {
    return Bad(absl::StrCat(argv_field, "[0]"),
               "must be an absolute path (no shell, no PATH lookup)");
  }
  for (int i = 0; i < cmd.argv_size(); ++i) {
    const std::string af = absl::StrCat(argv_field, "[", i, "]");
    if (absl::StrContains(cmd.argv(i), '\0')) return Bad(af, "has a NUL byte");
    if (absl::Status s = CheckLength(af, cmd.argv(i), limits.max_arg);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = CheckTemplate(af, cmd.argv(i), earlier); !s.ok()) {
      return s;
    }
  }
  if (cmd.env_size() > limits.max_env) {
    return Bad(absl::StrCat(f, ".env"),
               absl::StrCat("at most ", limits.max_env, " allowed"));
  }
  for (const auto& [name, value] : cmd.env()) {
    const std::string ef = absl::StrCat(f, ".env[\"", name, "\"]");
    bool name_ok =
        !name.empty() && name.size() <= 256 && !absl::ascii_isdigit(name[0]);
    for (char c : name) name_ok &= absl::ascii_isalnum(c) || c == '_';
    if (!name_ok) return Bad(ef, "name must be [A-Za-z_][A-Za-z0-9_]*");
    if (absl::StrContains(value, '\0')) return Bad(ef, "has a NUL byte");
    if (absl::Status s = CheckLength(ef, value, limits.max_arg); !s.ok()) {
      return s;
    }
    if (absl::Status s = CheckTemplate(ef, value, earlier); !s.ok()) return s;
  }
  if (cmd.has_timeout()) {
    return CheckDuration(absl::StrCat(f, ".timeout"), cmd.timeout(),
                         absl::Milliseconds(1), limits.max_step_timeout);
  }
  return absl::OkStatus();
}

absl::Status ValidateSteps(const v1::Workflow& w,
                           const WorkflowLimits& limits) {
  if (w.steps().empty()) return Bad("steps", "needs at least one step");
  if (w.steps_size() > limits.max_steps) {
    return Bad("steps", absl::StrCat("at most ", limits.max_steps, " allowed"));
  }
  std::set<std::string> earlier;
  for (int i = 0; i < w.steps_size(); ++i) {
    const v1::Step& step = w.steps(i);
    const std::string f = absl::StrCat("steps[", i, "]");
    bool id_ok = !step.id().empty() && step.id().size() <= 64;
    for (char c : step.id()) id_ok &= IsIdChar(c);
    if (!id_ok)
      return Bad(absl::StrCat(f, ".id"), "must be 1-64 of [a-z0-9_-]");
    if (earlier.count(step.id())) {
      return Bad(
          absl::StrCat(f, ".id"),
          absl::StrCat("\"", step.id(), "\" is used by an earlier step"));
    }
    if (absl::Status s =
            CheckLength(absl::StrCat(f, ".name"), step.name(), limits.max_name);
        !s.ok()) {
      return s;
    }
    absl::Status s;
    switch (step.action_case()) {
      case v1::Step::kHttp:
        s = ValidateHttp(absl::StrCat(f, ".http"), step.http(), earlier,
                         limits);
        break;
      case v1::Step::kCommand:
        s = ValidateCommand(absl::StrCat(f, ".command"), step.command(),
                            earlier, limits);
        break;
      case v1::Step::ACTION_NOT_SET:
        s = Bad(f, "set http or command");
        break;
    }
    if (!s.ok()) return s;
    earlier.insert(step.id());
  }
  return absl::OkStatus();
}

// A webhook is validated as the HTTP POST it makes; only its body is a
// template (of the notification's names).
absl::Status ValidateWebhook(absl::string_view f, const v1::WebhookTarget& hook,
                             const WorkflowLimits& limits) {
  if (absl::StrContains(hook.url(), "{{")) {
    return Bad(absl::StrCat(f, ".url"), "is not a template");
  }
  for (const auto& [name, value] : hook.headers()) {
    if (absl::StrContains(value, "{{")) {
      return Bad(absl::StrCat(f, ".headers[\"", name, "\"]"),
                 "is not a template");
    }
  }
  if (hook.has_timeout()) {
    AP_RETURN_IF_ERROR(CheckDuration(absl::StrCat(f, ".timeout"),
                                     hook.timeout(), absl::Milliseconds(1),
                                     limits.max_webhook_timeout));
  }
  v1::HttpStep post;
  post.set_method("POST");
  post.set_url(hook.url());
  *post.mutable_headers() = hook.headers();
  post.set_body(hook.body());
  if (hook.has_timeout()) *post.mutable_timeout() = hook.timeout();
  return ValidateHttp(f, post, {}, limits, NotificationTemplateNames());
}

absl::Status ValidateNotify(const v1::Workflow& w,
                            const WorkflowLimits& limits) {
  if (w.notify_size() > limits.max_notify) {
    return Bad("notify", absl::StrCat("at most ", limits.max_notify, " allowed"));
  }
  std::set<std::string> ids;
  for (int i = 0; i < w.notify_size(); ++i) {
    const v1::NotifyTarget& t = w.notify(i);
    const std::string f = absl::StrCat("notify[", i, "]");
    bool id_ok = !t.id().empty() && t.id().size() <= 64;
    for (char c : t.id()) id_ok &= IsIdChar(c);
    if (!id_ok) return Bad(absl::StrCat(f, ".id"), "must be 1-64 of [a-z0-9_-]");
    if (!ids.insert(t.id()).second) {
      return Bad(absl::StrCat(f, ".id"),
                 absl::StrCat("\"", t.id(), "\" is used twice"));
    }
    for (int j = 0; j < t.events_size(); ++j) {
      if (!v1::NotifyEvent_IsValid(t.events(j)) ||
          t.events(j) == v1::NOTIFY_EVENT_UNSPECIFIED) {
        return Bad(absl::StrCat(f, ".events[", j, "]"),
                   "must be NOTIFY_EVENT_FAILED, NOTIFY_EVENT_MISSED or "
                   "NOTIFY_EVENT_RECOVERED");
      }
    }
    if (!t.has_webhook()) return Bad(f, "set webhook");
    AP_RETURN_IF_ERROR(
        ValidateWebhook(absl::StrCat(f, ".webhook"), t.webhook(), limits));
  }
  return absl::OkStatus();
}

absl::Status ValidatePolicy(const v1::Policy& p, const WorkflowLimits& limits) {
  if (!v1::ConcurrencyPolicy_IsValid(p.concurrency())) {
    return Bad("policy.concurrency",
               absl::StrCat(p.concurrency(), " is not a known value"));
  }
  if (!v1::MisfirePolicy_IsValid(p.misfire())) {
    return Bad("policy.misfire",
               absl::StrCat(p.misfire(), " is not a known value"));
  }
  if (p.has_catchup_window()) {
    AP_RETURN_IF_ERROR(CheckDuration("policy.catchup_window",
                                     p.catchup_window(), absl::ZeroDuration(),
                                     limits.max_catchup_window));
  }
  if (p.has_execution_timeout()) {
    AP_RETURN_IF_ERROR(CheckDuration("policy.execution_timeout",
                                     p.execution_timeout(), absl::Seconds(1),
                                     limits.max_execution_timeout));
  }
  if (p.has_jitter()) {
    AP_RETURN_IF_ERROR(CheckDuration("policy.jitter", p.jitter(),
                                     absl::ZeroDuration(), limits.max_jitter));
  }
  if (p.has_start_deadline()) {
    AP_RETURN_IF_ERROR(CheckDuration("policy.start_deadline",
                                     p.start_deadline(), absl::Seconds(1),
                                     limits.max_start_deadline));
  }
  if (p.has_notify_interval()) {
    AP_RETURN_IF_ERROR(CheckDuration("policy.notify_interval",
                                     p.notify_interval(), absl::Seconds(1),
                                     absl::Hours(24)));
  }
  const v1::RetryPolicy& r = p.retry();
  if (r.max_attempts() < 0 || r.max_attempts() > limits.max_attempts) {
    return Bad("policy.retry.max_attempts",
               absl::StrCat("must be between 0 and ", limits.max_attempts));
  }
  if (r.has_initial_backoff()) {
    AP_RETURN_IF_ERROR(CheckDuration("policy.retry.initial_backoff",
                                     r.initial_backoff(), absl::ZeroDuration(),
                                     absl::Hours(24)));
  }
  if (r.has_max_backoff()) {
    AP_RETURN_IF_ERROR(CheckDuration("policy.retry.max_backoff",
                                     r.max_backoff(), absl::ZeroDuration(),
                                     absl::Hours(24)));
  }
  // Compared as they will be stored, defaults included: an initial
  // backoff above the default cap would otherwise be cut silently.
  const absl::Duration initial = r.has_initial_backoff()
                                     ? FromProto(r.initial_backoff())
                                     : kDefaultInitialBackoff;
  const absl::Duration max =
      r.has_max_backoff() ? FromProto(r.max_backoff()) : kDefaultMaxBackoff;
  if (max >= initial) return absl::OkStatus();
  if (!r.has_max_backoff()) {
    return Bad("policy.retry.initial_backoff",
               absl::StrCat(absl::FormatDuration(initial),
                            " is above max_backoff (",
                            absl::FormatDuration(max),
                            ", the default); set max_backoff too"));
  }
  return Bad("policy.retry.max_backoff",
             absl::StrCat(absl::FormatDuration(max),
                          " is below initial_backoff (",
                          absl::FormatDuration(initial),
                          r.has_initial_backoff()
                              ? ")"
                              : ", the default); set initial_backoff too"));
}

}  // namespace

absl::Status ValidateWorkflow(const v1::Workflow& w,
                              const WorkflowLimits& limits) {
  if (w.name().empty()) return Bad("name", "required");
  AP_RETURN_IF_ERROR(CheckLength("name", w.name(), limits.max_name));
  if (HasControlChars(w.name())) return Bad("name", "must be one line");
  if (w.labels_size() > limits.max_labels) {
    return Bad("labels",
               absl::StrCat("at most ", limits.max_labels, " allowed"));
  }
  for (const auto& [key, value] : w.labels()) {
    const std::string f = absl::StrCat("labels[\"", key, "\"]");
    bool key_ok = !key.empty() && key.size() <= limits.max_label_key;
    for (char c : key) key_ok &= IsLabelKeyChar(c);
    if (!key_ok) {
      return Bad(f, absl::StrCat("key must be 1-", limits.max_label_key,
                                 " of [A-Za-z0-9._/-]"));
    }
    AP_RETURN_IF_ERROR(CheckLength(f, value, limits.max_label_value));
  }
  if (w.max_executions() < 0)
    return Bad("max_executions", "must not be negative");
  // Parses schedules and zones and checks start_at/expire_at.
  AP_RETURN_IF_ERROR(Trigger::FromWorkflow(w, absl::UnixEpoch()).status());
  AP_RETURN_IF_ERROR(ValidatePolicy(w.policy(), limits));
  AP_RETURN_IF_ERROR(ValidateNotify(w, limits));
  return ValidateSteps(w, limits);
}

void ApplyDefaults(v1::Workflow* w) {
  v1::Policy* p = w->mutable_policy();
  if (p->concurrency() == v1::CONCURRENCY_POLICY_UNSPECIFIED) {
    p->set_concurrency(v1::CONCURRENCY_POLICY_ALLOW);
  }
  if (p->misfire() == v1::MISFIRE_POLICY_UNSPECIFIED) {
    p->set_misfire(v1::MISFIRE_POLICY_RUN_ONCE);
  }
  if (!p->has_catchup_window()) {
    *p->mutable_catchup_window() = ToProtoDuration(absl::Minutes(10));
  }
  if (!p->has_execution_timeout()) {
    *p->mutable_execution_timeout() = ToProtoDuration(absl::Hours(1));
  }
  v1::RetryPolicy* r = p->mutable_retry();
  if (r->max_attempts() == 0) r->set_max_attempts(1);
  if (!r->has_initial_backoff()) {
    *r->mutable_initial_backoff() = ToProtoDuration(kDefaultInitialBackoff);
  }
  if (!r->has_max_backoff()) {
    *r->mutable_max_backoff() = ToProtoDuration(kDefaultMaxBackoff);
  }
  if (!w->notify().empty() && !p->has_notify_interval()) {
    *p->mutable_notify_interval() = ToProtoDuration(kDefaultNotifyInterval);
  }
  for (v1::NotifyTarget& t : *w->mutable_notify()) {
    if (t.has_webhook() && !t.webhook().has_timeout()) {
      *t.mutable_webhook()->mutable_timeout() =
          ToProtoDuration(absl::Seconds(10));
    }
  }
  for (v1::Step& step : *w->mutable_steps()) {
    if (step.has_http()) {
      v1::HttpStep* h = step.mutable_http();
      if (h->method().empty()) h->set_method("GET");
      if (!h->has_timeout())
        *h->mutable_timeout() = ToProtoDuration(absl::Seconds(30));
    } else if (step.has_command()) {
      v1::CommandStep* c = step.mutable_command();
      if (!c->has_timeout())
        *c->mutable_timeout() = ToProtoDuration(absl::Seconds(60));
    }
  }
}

}  // namespace ap
