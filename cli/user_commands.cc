#include "cli/user_commands.h"

#include <functional>
#include <iostream>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/apply_command.h"
#include "cli/client.h"
#include "cli/examine_command.h"
#include "cli/output.h"
#include "cli/session.h"
#include "cli/workflow_file.h"
#include "common/enum_label.h"
#include "common/proto_time.h"
#include "common/status.h"

namespace ap {
namespace {

std::vector<std::string> WorkflowRow(const v1::Workflow& w) {
  return {w.id(),
          w.name(),
          EnumWord(w.status()),
          DescribeTrigger(w.trigger()),
          FormatTimestamp(w.next_fire_at()),
          FormatTimestamp(w.last_fired_at()),
          absl::StrCat(w.execution_count())};
}
const std::vector<std::string> kWorkflowHeader = {
    "ID", "NAME", "STATUS", "TRIGGER", "NEXT FIRE", "LAST FIRED", "RUNS"};

std::string Duration(const google::protobuf::Timestamp& from,
                     const google::protobuf::Timestamp& to) {
  if (from.seconds() == 0 || to.seconds() == 0) return "-";
  return FormatShortDuration(FromProto(to) - FromProto(from));
}

std::vector<std::string> ExecutionRow(const v1::Execution& e) {
  return {e.id(),
          FormatTimestamp(e.scheduled_at()),
          EnumWord(e.status()),
          absl::StrCat(e.attempt()),
          e.operator_id().empty() ? "-" : e.operator_id(),
          Duration(e.started_at(), e.finished_at()),
          e.reason()};
}
const std::vector<std::string> kExecutionHeader = {
    "EXECUTION", "SCHEDULED", "STATUS", "ATTEMPT",
    "OPERATOR",  "TOOK",      "REASON"};

int WorkflowCreate(const ApctlConfig& config, const UserCommandOptions& options,
                   const CommandIo& io) {
  if (options.file.empty()) {
    return UsageError(io, "workflow create needs -f FILE (or -f - for stdin)");
  }
  absl::StatusOr<std::string> text = ReadSource(options.file, io.in);
  if (!text.ok()) return UsageError(io, std::string(text.status().message()));
  absl::StatusOr<v1::Workflow> w = ParseWorkflowFile(
      *text, options.file == "-" ? "standard input" : options.file);
  if (!w.ok()) return UsageError(io, std::string(w.status().message()));
  CommandSession session(config, io);
  return session.Run([&](AggregatorClient& c) -> absl::Status {
    v1::CreateWorkflowRequest req;
    *req.mutable_workflow() = *w;
    v1::Workflow created;
    AP_RETURN_IF_ERROR(FromGrpcStatus(
        c.stub().CreateWorkflow(c.Context().get(), req, &created)));
    return session.Print(created, [&] {
      return RenderTable(kWorkflowHeader, {WorkflowRow(created)});
    });
  });
}

int WorkflowList(const ApctlConfig& config, const UserCommandOptions& options,
                 const CommandIo& io) {
  v1::ListWorkflowsRequest req;
  if (!options.status.empty()) {
    v1::WorkflowStatus status;
    if (!ParseEnumValue(options.status, "WORKFLOW_STATUS_",
                        &v1::WorkflowStatus_Parse, &status)) {
      return UsageError(io, absl::StrCat("--status: \"", options.status,
                                         "\" is not one of active, paused, "
                                         "completed, canceled"));
    }
    req.set_status(status);
  }
  CommandSession session(config, io);
  return session.Run([&](AggregatorClient& c) -> absl::Status {
    v1::ListWorkflowsResponse all;
    req.set_page_size(options.limit > 0 ? std::min(options.limit, 1000) : 1000);
    do {
      v1::ListWorkflowsResponse page;
      AP_RETURN_IF_ERROR(FromGrpcStatus(
          c.stub().ListWorkflows(c.Context().get(), req, &page)));
      for (auto& w : *page.mutable_workflows()) {
        if (options.limit > 0 && all.workflows_size() >= options.limit) break;
        *all.add_workflows() = std::move(w);
      }
      req.set_page_token(page.next_page_token());
    } while (!req.page_token().empty() &&
             (options.limit == 0 || all.workflows_size() < options.limit));
    return session.Print(all, [&] {
      std::vector<std::vector<std::string>> rows;
      for (const v1::Workflow& w : all.workflows()) {
        rows.push_back(WorkflowRow(w));
      }
      return RenderTable(kWorkflowHeader, rows);
    });
  });
}

// get, pause, resume, cancel, delete, trigger: one id each.
int WorkflowById(const std::string& verb, const std::string& id,
                 const ApctlConfig& config, const UserCommandOptions& options,
                 const CommandIo& io) {
  CommandSession session(config, io);
  return session.Run([&](AggregatorClient& c) -> absl::Status {
    v1::Workflow w;
    auto ctx = c.Context();
    grpc::Status s;
    if (verb == "get") {
      v1::GetWorkflowRequest req;
      req.set_id(id);
      s = c.stub().GetWorkflow(ctx.get(), req, &w);
      AP_RETURN_IF_ERROR(FromGrpcStatus(s));
      return session.PrintDetail(w);
    }
    if (verb == "trigger") {
      v1::TriggerWorkflowRequest req;
      req.set_id(id);
      v1::Execution e;
      AP_RETURN_IF_ERROR(
          FromGrpcStatus(c.stub().TriggerWorkflow(ctx.get(), req, &e)));
      return session.Print(
          e, [&] { return RenderTable(kExecutionHeader, {ExecutionRow(e)}); });
    }
    if (verb == "delete") {
      v1::DeleteWorkflowRequest req;
      req.set_id(id);
      v1::DeleteWorkflowResponse resp;
      AP_RETURN_IF_ERROR(
          FromGrpcStatus(c.stub().DeleteWorkflow(ctx.get(), req, &resp)));
      session.out() << "workflow " << id << " deleted\n";
      return absl::OkStatus();
    }
    if (verb == "pause") {
      v1::PauseWorkflowRequest req;
      req.set_id(id);
      s = c.stub().PauseWorkflow(ctx.get(), req, &w);
    } else if (verb == "resume") {
      v1::ResumeWorkflowRequest req;
      req.set_id(id);
      s = c.stub().ResumeWorkflow(ctx.get(), req, &w);
    } else {
      v1::CancelWorkflowRequest req;
      req.set_id(id);
      req.set_reason(options.reason);
      s = c.stub().CancelWorkflow(ctx.get(), req, &w);
    }
    AP_RETURN_IF_ERROR(FromGrpcStatus(s));
    return session.Print(
        w, [&] { return RenderTable(kWorkflowHeader, {WorkflowRow(w)}); });
  });
}

// `workflow backfill ID --from=T --to=T [--dry-run]`.
int WorkflowBackfill(const std::string& id, const ApctlConfig& config,
                     const UserCommandOptions& options, const CommandIo& io) {
  if (options.from.empty() || options.to.empty()) {
    return UsageError(io,
                      "usage: apctl workflow backfill ID --from=T --to=T "
                      "[--dry-run] (T: RFC 3339, or a duration ago as 6h)");
  }
  v1::BackfillWorkflowRequest req;
  req.set_id(id);
  req.set_dry_run(options.dry_run);
  const absl::Time now = absl::Now();
  for (const auto& [flag, text, field] :
       {std::tuple("--from", options.from,
                   &v1::BackfillWorkflowRequest::mutable_from),
        std::tuple("--to", options.to, &v1::BackfillWorkflowRequest::mutable_to)}) {
    if (absl::Status s = ParseWhenFlag(flag, text, now, (req.*field)());
        !s.ok()) {
      return UsageError(io, std::string(s.message()));
    }
  }
  CommandSession session(config, io);
  return session.Run([&](AggregatorClient& c) -> absl::Status {
    v1::BackfillWorkflowResponse resp;
    AP_RETURN_IF_ERROR(FromGrpcStatus(
        c.stub().BackfillWorkflow(c.Context().get(), req, &resp)));
    return session.Print(resp, [&] {
      std::vector<std::vector<std::string>> rows;
      for (const v1::Execution& e : resp.recorded()) {
        rows.push_back(ExecutionRow(e));
      }
      return absl::StrCat(
          RenderTable(kExecutionHeader, rows),
          options.dry_run ? "would record " : "recorded ",
          resp.recorded_size(), " execution(s); ",
          resp.existing_execution_ids_size(),
          " fire(s) in the window were recorded before and left alone\n");
    });
  });
}

int Executions(const std::string& workflow_id, const ApctlConfig& config,
               const UserCommandOptions& options, const CommandIo& io) {
  v1::ListExecutionsRequest req;
  req.set_workflow_id(workflow_id);
  if (!options.status.empty()) {
    v1::ExecutionStatus status;
    if (!ParseEnumValue(options.status, "EXECUTION_STATUS_",
                        &v1::ExecutionStatus_Parse, &status)) {
      return UsageError(
          io, absl::StrCat("--status: \"", options.status,
                           "\" is not one of pending, dispatched, running, "
                           "succeeded, failed, timed_out, skipped, canceled"));
    }
    req.set_status(status);
  }
  req.set_page_size(options.limit > 0 ? std::min(options.limit, 1000) : 100);
  CommandSession session(config, io);
  return session.Run([&](AggregatorClient& c) -> absl::Status {
    v1::ListExecutionsResponse resp;
    AP_RETURN_IF_ERROR(
        FromGrpcStatus(c.stub().ListExecutions(c.Context().get(), req, &resp)));
    return session.Print(resp, [&] {
      std::vector<std::vector<std::string>> rows;
      for (const v1::Execution& e : resp.executions()) {
        rows.push_back(ExecutionRow(e));
      }
      return RenderTable(kExecutionHeader, rows);
    });
  });
}

int ExecutionGet(const std::string& id, const ApctlConfig& config,
                 const CommandIo& io) {
  CommandSession session(config, io);
  return session.Run([&](AggregatorClient& c) -> absl::Status {
    v1::GetExecutionRequest req;
    req.set_id(id);
    v1::Execution e;
    AP_RETURN_IF_ERROR(
        FromGrpcStatus(c.stub().GetExecution(c.Context().get(), req, &e)));
    return session.PrintDetail(e);
  });
}

int Operators(const ApctlConfig& config, const CommandIo& io) {
  CommandSession session(config, io);
  return session.Run([&](AggregatorClient& c) -> absl::Status {
    v1::ListOperatorsResponse resp;
    AP_RETURN_IF_ERROR(FromGrpcStatus(c.stub().ListOperators(
        c.Context().get(), v1::ListOperatorsRequest(), &resp)));
    return session.Print(resp, [&] {
      std::vector<std::vector<std::string>> rows;
      for (const v1::OperatorInfo& o : resp.operators()) {
        rows.push_back({o.id(), o.version().empty() ? "-" : o.version(),
                        o.endpoint().empty() ? "-" : o.endpoint(),
                        o.connected() ? "yes" : "no",
                        FormatTimestamp(o.last_seen()),
                        absl::StrCat(o.capacity()), absl::StrCat(o.running()),
                        absl::StrCat(o.queue_depth())});
      }
      return RenderTable({"ID", "VERSION", "ENDPOINT", "CONNECTED", "LAST SEEN",
                          "CAPACITY", "RUNNING", "QUEUED"},
                         rows);
    });
  });
}

}  // namespace

bool IsUserCommand(const std::vector<std::string>& args) {
  if (args.empty()) return false;
  const std::string& c = args[0];
  return c == "workflow" || c == "executions" || c == "execution" ||
         c == "operators" || c == "examine" || c == "watch" || c == "apply" ||
         c == "diff";
}

int RunUserCommand(const std::vector<std::string>& args,
                   const ApctlConfig& config, const UserCommandOptions& options,
                   const CommandIo& io) {
  const std::string& command = args[0];
  const std::string verb = args.size() > 1 ? args[1] : "";
  if (command == "workflow") {
    if (verb == "create" && args.size() == 2) {
      return WorkflowCreate(config, options, io);
    }
    if (verb == "list" && args.size() == 2) {
      return WorkflowList(config, options, io);
    }
    for (const char* v :
         {"get", "pause", "resume", "cancel", "delete", "trigger"}) {
      if (verb == v && args.size() == 3) {
        return WorkflowById(verb, args[2], config, options, io);
      }
    }
    if (verb == "backfill" && args.size() == 3) {
      return WorkflowBackfill(args[2], config, options, io);
    }
    return UsageError(
        io,
        "usage: apctl workflow create -f FILE | list [--status=S] | "
        "get|pause|resume|cancel|delete|trigger ID | backfill ID --from=T "
        "--to=T [--dry-run]");
  }
  if (command == "apply" && args.size() == 1) {
    return ApplyCommand(config, options, io);
  }
  if (command == "diff" && args.size() == 1) {
    return DiffCommand(config, options, io);
  }
  if (command == "executions" && args.size() == 2) {
    return Executions(args[1], config, options, io);
  }
  if (command == "execution" && verb == "get" && args.size() == 3) {
    return ExecutionGet(args[2], config, io);
  }
  if (command == "operators" && args.size() == 1) return Operators(config, io);
  if (command == "examine" && args.size() == 2) {
    return ExamineCommand(args[1], config, options, io);
  }
  if (command == "watch" && args.size() == 2) {
    return WatchCommand(args[1], config, options, io, Clock::Real());
  }
  return UsageError(
      io,
      absl::StrCat("usage: apctl executions WORKFLOW_ID "
                   "[--status=S] [--limit=N] | execution get "
                   "EXECUTION_ID | operators | examine ID | watch ID (not \"",
                   absl::StrJoin(args, " "), "\")"));
}

}  // namespace ap
