#ifndef AP_CLI_EXAMINE_COMMAND_H_
#define AP_CLI_EXAMINE_COMMAND_H_

// `apctl examine ID`: why a workflow did or did not fire. The workflow's
// trigger, bounds and policy, its next fire times, and every fire it
// should have made in a window beside what was recorded, each with a
// diagnosis (the aggregator's ExamineWorkflow). --out writes the same
// report, plus the raw answer as JSON, to a file to attach to a bug; the
// aggregator has already redacted secrets (header values) from it.
//
// `apctl watch ID`: prints each execution of the workflow as it finishes,
// until interrupted (or --limit of them), polling every --interval.

#include <string>

#include "absl/time/time.h"
#include "ap/v1/aggregator.pb.h"
#include "cli/session.h"
#include "cli/user_commands.h"
#include "common/clock.h"

namespace ap {

// The report a person reads.
std::string RenderExamineReport(const v1::ExamineWorkflowResponse& r);

// "2026-06-01T12:00:00Z" or a duration ago ("6h", "90m") from `now`.
absl::StatusOr<absl::Time> ParseWhen(const std::string& text, absl::Time now);
// ParseWhen into `out`; INVALID_ARGUMENT naming `flag` ("--from: ...").
absl::Status ParseWhenFlag(absl::string_view flag, const std::string& text,
                           absl::Time now, google::protobuf::Timestamp* out);

int ExamineCommand(const std::string& id, const ApctlConfig& config,
                   const UserCommandOptions& options, const CommandIo& io);

int WatchCommand(const std::string& id, const ApctlConfig& config,
                 const UserCommandOptions& options, const CommandIo& io,
                 Clock* clock);

}  // namespace ap

#endif  // AP_CLI_EXAMINE_COMMAND_H_
