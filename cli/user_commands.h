#ifndef AP_CLI_USER_COMMANDS_H_
#define AP_CLI_USER_COMMANDS_H_

// apctl's commands on the user API (ap.v1.Aggregator):
//   workflow create -f FILE|-      workflow list [--status=S]
//   workflow get ID                workflow pause|resume|cancel|delete|trigger
//   ID executions WORKFLOW_ID [--status=S] [--limit=N] execution get
//   EXECUTION_ID     operators
// Output as a table (for people) or in the proto's JSON mapping / YAML
// (-o json|yaml). Errors go to `err` with the gRPC code and a hint.
// Exit codes: 0 done; 1 the aggregator refused or could not be reached;
// 2 bad usage or an unreadable/invalid file.

#include <iosfwd>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "cli/config.h"
#include "cli/session.h"

namespace ap {

struct UserCommandOptions {
  std::string file;    // -f: a workflow file, or "-" for standard input
  std::string status;  // --status: a filter
  int limit = 0;       // --limit: most rows (0: the server's page)
  std::string reason;  // --reason: for cancel
  std::string since;   // --since, --until: examine's window (RFC 3339, or
  std::string until;   //   a duration ago such as 6h)
  std::string out;     // --out: examine also writes its report here
  absl::Duration interval = absl::Seconds(1);  // --interval: watch's poll
  std::string from;    // --from, --to: backfill's window (RFC 3339, or a
  std::string to;      //   duration ago)
  bool dry_run = false;  // --dry-run: backfill records nothing
};

// Whether args[0] names one of these commands.
bool IsUserCommand(const std::vector<std::string>& args);

int RunUserCommand(const std::vector<std::string>& args,
                   const ApctlConfig& config, const UserCommandOptions& options,
                   const CommandIo& io);

}  // namespace ap

#endif  // AP_CLI_USER_COMMANDS_H_
