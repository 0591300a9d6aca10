#include "cli/examine_command.h"

#include <fstream>
#include <ostream>
#include <tuple>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "cli/output.h"
#include "common/enum_label.h"
#include "common/proto_time.h"
#include "common/status.h"
#include "common/version.h"

namespace ap {
namespace {

// Over, one way or another: what watch prints (SKIPPED included).
bool Finished(v1::ExecutionStatus s) {
  return s == v1::EXECUTION_STATUS_SUCCEEDED ||
         s == v1::EXECUTION_STATUS_FAILED ||
         s == v1::EXECUTION_STATUS_TIMED_OUT ||
         s == v1::EXECUTION_STATUS_SKIPPED ||
         s == v1::EXECUTION_STATUS_CANCELED;
}

std::string DescribePolicy(const v1::Policy& p) {
  return absl::StrCat("concurrency ", EnumWord(p.concurrency()), ", misfire ",
                      EnumWord(p.misfire()), " within ",
                      absl::FormatDuration(FromProto(p.catchup_window())),
                      ", timeout ",
                      absl::FormatDuration(FromProto(p.execution_timeout())),
                      ", attempts ", p.retry().max_attempts());
}

std::string Field(const std::string& name, const std::string& value) {
  return absl::StrCat(name, std::string(12 - name.size(), ' '), value, "\n");
}

std::vector<std::string> FireRow(const v1::ExpectedFire& f) {
  return {FormatTimestamp(f.scheduled_at()), EnumWord(f.diagnosis()),
          f.execution_id().empty() ? "-" : f.execution_id(),
          f.execution_id().empty() ? "-" : EnumWord(f.execution_status()),
          f.detail()};
}

}  // namespace

std::string RenderExamineReport(const v1::ExamineWorkflowResponse& r) {
  const v1::Workflow& w = r.workflow();
  std::string out = absl::StrCat("Workflow ", w.id(), " \"", w.name(), "\" ",
                                 EnumWord(w.status()), "\n");
  absl::StrAppend(
      &out, Field("trigger:", DescribeTrigger(w.trigger())),
      Field("start:", FormatTimestamp(w.start_at())),
      Field("expire:", FormatTimestamp(w.expire_at())),
      Field("policy:", DescribePolicy(w.policy())),
      Field("window:", absl::StrCat(FormatTimestamp(r.since()), " .. ",
                                    FormatTimestamp(r.until()))));
  if (w.status() == v1::WORKFLOW_STATUS_COMPLETED) {
    absl::StrAppend(&out,
                    Field("completed:", EnumLabel(w.completion_reason())));
  }
  absl::StrAppend(&out, "\n", r.summary(), "\n\nExpected fires (",
                  r.expected_fires_size(), "):\n");
  std::vector<std::vector<std::string>> rows;
  for (const v1::ExpectedFire& f : r.expected_fires())
    rows.push_back(FireRow(f));
  absl::StrAppend(&out, RenderTable({"SCHEDULED", "DIAGNOSIS", "EXECUTION",
                                     "STATUS", "DETAIL"},
                                    rows));
  if (r.other_executions_size() > 0) {
    absl::StrAppend(&out, "\nOther executions (manual):\n");
    rows.clear();
    for (const v1::Execution& e : r.other_executions()) {
      rows.push_back({e.id(), FormatTimestamp(e.scheduled_at()),
                      EnumWord(e.status()), e.reason()});
    }
    absl::StrAppend(
        &out,
        RenderTable({"EXECUTION", "SCHEDULED", "STATUS", "REASON"}, rows));
  }
  absl::StrAppend(&out, "\nNext fires:\n");
  if (r.upcoming().empty()) absl::StrAppend(&out, "  none\n");
  for (const auto& t : r.upcoming()) {
    absl::StrAppend(&out, "  ", FormatTimestamp(t), "\n");
  }
  return out;
}

absl::StatusOr<absl::Time> ParseWhen(const std::string& text, absl::Time now) {
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, text, &t, &err)) return t;
  absl::Duration ago;
  if (absl::ParseDuration(text, &ago) && ago >= absl::ZeroDuration()) {
    return now - ago;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "\"", text,
      "\" is neither an RFC 3339 time (2026-06-01T12:00:00Z) nor a duration "
      "ago (6h)"));
}

absl::Status ParseWhenFlag(absl::string_view flag, const std::string& text,
                           absl::Time now, google::protobuf::Timestamp* out) {
  absl::StatusOr<absl::Time> t = ParseWhen(text, now);
  if (!t.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", t.status().message()));
  }
  *out = ToProtoTimestamp(*t);
  return absl::OkStatus();
}

int ExamineCommand(const std::string& id, const ApctlConfig& config,
                   const UserCommandOptions& options, const CommandIo& io) {
  v1::ExamineWorkflowRequest req;
  req.set_id(id);
  const absl::Time now = absl::Now();
  // A bound not given is not sent (the server then defaults it): asking
  // for the field's message would send the epoch.
  using Field = google::protobuf::Timestamp* (v1::ExamineWorkflowRequest::*)();
  for (auto [flag, text, field] :
       {std::tuple<const char*, const std::string&, Field>{
            "--since", options.since,
            &v1::ExamineWorkflowRequest::mutable_since},
        std::tuple<const char*, const std::string&, Field>{
            "--until", options.until,
            &v1::ExamineWorkflowRequest::mutable_until}}) {
    if (text.empty()) continue;
    if (absl::Status s = ParseWhenFlag(flag, text, now, (req.*field)());
        !s.ok()) {
      return UsageError(io, std::string(s.message()));
    }
  }
  CommandSession session(config, io);
  return session.Run([&](AggregatorClient& c) -> absl::Status {
    v1::ExamineWorkflowResponse resp;
    AP_RETURN_IF_ERROR(FromGrpcStatus(
        c.stub().ExamineWorkflow(c.Context().get(), req, &resp)));
    const std::string report = RenderExamineReport(resp);
    if (!options.out.empty()) {
      absl::StatusOr<std::string> json = RenderJson(resp);
      if (!json.ok()) return json.status();
      std::ofstream f(options.out);
      f << "ap examine report, apctl " << kVersion << ", made "
        << absl::FormatTime(absl::RFC3339_sec, now, absl::UTCTimeZone())
        << " (secrets redacted by the aggregator)\n\n"
        << report << "\n--- ExamineWorkflow answer (JSON) ---\n"
        << *json;
      if (!f) {
        return absl::FailedPreconditionError(
            absl::StrCat("cannot write ", options.out));
      }
    }
    return session.Print(resp, [&] { return report; });
  });
}

int WatchCommand(const std::string& id, const ApctlConfig& config,
                 const UserCommandOptions& options, const CommandIo& io,
                 Clock* clock) {
  CommandSession session(config, io);
  return session.Run([&](AggregatorClient& c) -> absl::Status {
    absl::flat_hash_set<std::string> seen;
    bool first = true;
    int printed = 0;
    while (options.limit == 0 || printed < options.limit) {
      v1::ListExecutionsRequest req;
      req.set_workflow_id(id);
      req.set_page_size(100);
      v1::ListExecutionsResponse resp;
      AP_RETURN_IF_ERROR(FromGrpcStatus(
          c.stub().ListExecutions(c.Context().get(), req, &resp)));
      // Newest first on the wire; print oldest first.
      for (int i = resp.executions_size() - 1; i >= 0; --i) {
        const v1::Execution& e = resp.executions(i);
        if (!Finished(e.status()) || !seen.insert(e.id()).second) {
          continue;
        }
        if (first) continue;  // finished before the watch began
        if (options.limit > 0 && printed >= options.limit) break;
        ++printed;
        if (config.output == "table") {
          session.out() << FormatTimestamp(e.scheduled_at()) << "  " << e.id()
                        << "  " << EnumWord(e.status()) << "  attempt "
                        << e.attempt() << "  "
                        << (e.operator_id().empty() ? "-" : e.operator_id())
                        << (e.reason().empty() ? "" : "  ") << e.reason()
                        << std::endl;
        } else {
          AP_RETURN_IF_ERROR(session.PrintDetail(e));
          session.out().flush();
        }
      }
      if (first) {
        session.human() << "watching " << id << " (Ctrl-C to stop)"
                        << std::endl;
        first = false;
      }
      if (options.limit > 0 && printed >= options.limit) break;
      clock->SleepFor(options.interval);
    }
    return absl::OkStatus();
  });
}

}  // namespace ap
