#ifndef AP_COMMON_CONFIG_FLAGS_HELP_H_
#define AP_COMMON_CONFIG_FLAGS_HELP_H_

// --help text for the binaries, as people write flags: `-f VALUE` for a
// one-letter flag, `--data-dir=VALUE` (dashes, not underscores) otherwise,
// `--tls` for a switch, each with its help and default; no build paths.
// Only main() uses it.

#include <functional>
#include <string>

#include "absl/strings/string_view.h"

namespace ap {

// The flags defined in main.cc files for which `include(name, help)` holds
// (all when it is null), sorted by name, one block each.
std::string FlagsHelpText(
    const std::function<bool(absl::string_view name, absl::string_view help)>&
        include = nullptr);

// `name` as written on the command line: "-f", "--data-dir".
std::string FlagSpelling(absl::string_view name);

}  // namespace ap

#endif  // AP_COMMON_CONFIG_FLAGS_HELP_H_
