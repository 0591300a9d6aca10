#include "operator/run/execution.h"

#include <algorithm>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/proto_time.h"
#include "common/template/template.h"

namespace ap {
namespace {

absl::Duration StepTimeout(const v1::Step& step) {
  if (step.has_http() && step.http().has_timeout()) {
    return FromProto(step.http().timeout());
  }
  if (step.has_command() && step.command().has_timeout()) {
    return FromProto(step.command().timeout());
  }
  return step.has_http() ? absl::Seconds(30) : absl::Seconds(60);
}

// The step with every templated field rendered.
absl::StatusOr<v1::Step> Render(
    const v1::Step& step,
    const std::function<std::string(absl::string_view)>& lookup) {
  v1::Step out = step;
  auto render = [&](std::string* field) -> absl::Status {
    absl::StatusOr<std::string> r = RenderTemplate(*field, lookup);
    if (!r.ok()) return r.status();
    *field = *std::move(r);
    return absl::OkStatus();
  };
  absl::Status s;
  if (out.has_http()) {
    v1::HttpStep* h = out.mutable_http();
    if (s = render(h->mutable_url()); !s.ok()) return s;
    if (s = render(h->mutable_body()); !s.ok()) return s;
    for (auto& [name, value] : *h->mutable_headers()) {
      if (s = render(&value); !s.ok()) return s;
    }
  } else if (out.has_command()) {
    v1::CommandStep* c = out.mutable_command();
    for (std::string& arg : *c->mutable_argv()) {
      if (s = render(&arg); !s.ok()) return s;
    }
    for (auto& [name, value] : *c->mutable_env()) {
      if (s = render(&value); !s.ok()) return s;
    }
  }
  return out;
}

v1::ExecutionStatus OutcomeOf(v1::StepStatus s) {
  switch (s) {
    case v1::STEP_STATUS_TIMED_OUT:
      return v1::EXECUTION_STATUS_TIMED_OUT;
    case v1::STEP_STATUS_CANCELED:
      return v1::EXECUTION_STATUS_CANCELED;
    default:
      return v1::EXECUTION_STATUS_FAILED;
  }
}

}  // namespace

v1::ReportRequest RunExecution(const v1::Assignment& a, const Runners& runners,
                               size_t max_output_bytes,
                               const std::atomic<bool>& canceled) {
  v1::ReportRequest report;
  report.set_execution_id(a.execution_id());
  report.set_attempt(a.attempt());
  const absl::Time started = runners.clock->TimeNow();
  *report.mutable_started_at() = ToProtoTimestamp(started);
  const v1::Workflow& w = a.workflow();
  absl::Time deadline =
      a.has_deadline() ? FromProto(a.deadline()) : absl::InfiniteFuture();
  if (w.policy().has_execution_timeout()) {
    deadline =
        std::min(deadline, started + FromProto(w.policy().execution_timeout()));
  }
  absl::flat_hash_map<std::string, std::string> outputs;
  const std::string scheduled = absl::FormatTime(
      "%Y-%m-%dT%H:%M:%E3SZ", FromProto(a.scheduled_at()), absl::UTCTimeZone());
  auto lookup = [&](absl::string_view name) -> std::string {
    if (name == "execution.id") return a.execution_id();
    if (name == "execution.scheduled_at") return scheduled;
    if (name == "execution.attempt") return absl::StrCat(a.attempt());
    if (name == "workflow.id") return w.id();
    absl::string_view id = name;
    if (absl::ConsumePrefix(&id, "steps.") &&
        absl::ConsumeSuffix(&id, ".output")) {
      auto it = outputs.find(id);
      return it == outputs.end() ? "" : it->second;
    }
    return "";
  };

  v1::ExecutionStatus status = v1::EXECUTION_STATUS_SUCCEEDED;
  for (const v1::Step& step : w.steps()) {
    v1::StepResult* result = report.add_step_results();
    result->set_step_id(step.id());
    if (status != v1::EXECUTION_STATUS_SUCCEEDED) {
      result->set_status(v1::STEP_STATUS_SKIPPED);
      continue;
    }
    const absl::Time step_start = runners.clock->TimeNow();
    *result->mutable_started_at() = ToProtoTimestamp(step_start);
    StepRunner* runner = step.has_http()      ? runners.http
                         : step.has_command() ? runners.command
                                              : nullptr;
    absl::StatusOr<v1::Step> rendered = Render(step, lookup);
    if (canceled.load()) {
      result->set_status(v1::STEP_STATUS_CANCELED);
      result->set_error("canceled before it started");
    } else if (runner == nullptr) {
      result->set_status(v1::STEP_STATUS_FAILED);
      result->set_error("this operator cannot run this kind of step");
    } else if (!rendered.ok()) {
      result->set_status(v1::STEP_STATUS_FAILED);
      result->set_error(
          absl::StrCat("templating: ", rendered.status().message()));
    } else {
      const StepContext ctx{std::min(deadline, step_start + StepTimeout(step)),
                            &canceled, max_output_bytes, deadline,
                            runners.clock};
      v1::StepResult got = runner->Run(*rendered, ctx);
      got.set_step_id(step.id());
      *got.mutable_started_at() = result->started_at();
      *result = std::move(got);
    }
    *result->mutable_finished_at() = ToProtoTimestamp(runners.clock->TimeNow());
    if (result->status() == v1::STEP_STATUS_SUCCEEDED) {
      outputs[step.id()] = result->output();
    } else {
      status = OutcomeOf(result->status());
      report.set_reason(
          absl::StrCat("step ", step.id(), ": ", result->error()));
    }
  }
  report.set_status(status);
  *report.mutable_finished_at() = ToProtoTimestamp(runners.clock->TimeNow());
  return report;
}

std::optional<std::string> WhyNotStart(const v1::Assignment& a,
                                       absl::Time now) {
  if (!a.has_deadline() || now < FromProto(a.deadline())) return std::nullopt;
  return absl::StrCat("its lease ran out before it could start (deadline ",
                      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ",
                                       FromProto(a.deadline()),
                                       absl::UTCTimeZone()),
                      ")");
}

v1::ReportRequest HandBack(const v1::Assignment& assignment,
                           const std::string& reason) {
  v1::ReportRequest r;
  r.set_execution_id(assignment.execution_id());
  r.set_attempt(assignment.attempt());
  r.set_status(v1::EXECUTION_STATUS_PENDING);
  r.set_reason(reason);
  return r;
}

}  // namespace ap
