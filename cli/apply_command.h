#ifndef AP_CLI_APPLY_COMMAND_H_
#define AP_CLI_APPLY_COMMAND_H_

// `apctl apply -f FILE|DIR|-` and `apctl diff -f FILE|DIR|-`: workflows
// kept in files, matched to the stored ones by id when the document has
// one, else by name among the caller's active and paused workflows.
//
// apply creates, updates (under the version it read: a concurrent change
// is ABORTED, not overwritten) or leaves each alone, printing
// `created|updated|unchanged NAME ID`; running it twice changes nothing.
// Every document is parsed before anything is sent: a bad file changes
// nothing. diff prints what apply would change, as lines of the stored
// and the new spec in YAML (`-` stored, `+` new), and stores nothing.

#include <string>

#include "cli/session.h"
#include "cli/user_commands.h"

namespace ap {

int ApplyCommand(const ApctlConfig& config, const UserCommandOptions& options,
                 const CommandIo& io);
int DiffCommand(const ApctlConfig& config, const UserCommandOptions& options,
                const CommandIo& io);

// The lines of `before` and `after` as a diff: unchanged lines start with
// two spaces, removed ones with "- ", added ones with "+ " (longest common
// subsequence of lines).
std::string DiffLines(const std::string& before, const std::string& after);

}  // namespace ap

#endif  // AP_CLI_APPLY_COMMAND_H_
