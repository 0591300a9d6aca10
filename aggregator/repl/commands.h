#ifndef AP_AGGREGATOR_REPL_COMMANDS_H_
#define AP_AGGREGATOR_REPL_COMMANDS_H_

// The admin REPL's commands, over the store, without sockets:
//   list <prefix>*        keys under a prefix (at most 1000 shown)
//   get <key>             one value, decoded (secrets redacted)
//   rm <key>              one key
//   rm <prefix>* [--yes]  every key under a prefix (`rm *` needs --yes)
//   backup <dir>          a consistent copy an aggregator can start from
//   gc                    compaction
//   stats                 store and aggregator figures
//   help, exit
// rm works on raw keys: it bypasses the key indexes and the running
// scheduler, which the output says; the open executions kept in memory
// follow (WorkflowStore::WriteRaw). Any malformed line gets the usage.
// Thread-safe.

#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "aggregator/store/store.h"
#include "aggregator/records/workflow_store.h"

namespace ap {

class ReplCommands {
 public:
  struct Result {
    std::string output;  // ends with a newline
    bool exit = false;
  };

  // `app_stats` adds the aggregator's own figures to `stats`.
  // `store` is the one under `workflows`: the REPL reads and removes raw
  // keys (WorkflowStore::WriteRaw keeps the records' memory in step).
  ReplCommands(Store* store, WorkflowStore* workflows,
               std::function<std::string()> app_stats)
      : workflows_(workflows),
        store_(store),
        app_stats_(std::move(app_stats)) {}

  Result Execute(absl::string_view line);

  static constexpr int kMaxListed = 1000;

 private:
  Result List(absl::string_view arg);
  Result Get(absl::string_view key);
  Result Remove(absl::string_view arg, bool yes);

  WorkflowStore* const workflows_;
  Store* const store_;
  std::function<std::string()> app_stats_;
};

}  // namespace ap

#endif  // AP_AGGREGATOR_REPL_COMMANDS_H_
