#ifndef AP_COMMON_CONFIG_LOADER_H_
#define AP_COMMON_CONFIG_LOADER_H_

// Fills a schema's fields from three layers, each overriding the one before,
// in the usual order (flag > environment > file > default):
//   1. a YAML file (a flat map of key: value or key: [list]),
//   2. AP_* environment variables,
//   3. flags given on the command line (not flag defaults).
// Fields no layer mentions keep their defaults. Errors name the key and the
// layer it came from; an unknown key in the file is an error (a typo there
// would otherwise silently keep a default).

#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/config/schema.h"

namespace ap {

// Looks a name up; nullopt when it is not set.
using ConfigLookup =
    std::function<std::optional<std::string>(absl::string_view name)>;

struct ConfigSources {
  // YAML file to read first; empty for none. A missing or unreadable file
  // is an error: it was asked for.
  std::string file;
  // Flags by key name, only those given on the command line.
  ConfigLookup flag;
  // Environment variables by name (AP_GRPC_LISTEN).
  ConfigLookup env;
};

absl::Status LoadConfig(const ConfigSchema& schema,
                        const ConfigSources& sources);

// Reads only the YAML layer (exposed for tests and --validate messages).
absl::Status ApplyYamlFile(const ConfigSchema& schema, const std::string& path);
absl::Status ApplyYamlText(const ConfigSchema& schema, absl::string_view text,
                           absl::string_view origin);

// getenv(), as a ConfigLookup.
ConfigLookup ProcessEnvironment();

}  // namespace ap

#endif  // AP_COMMON_CONFIG_LOADER_H_
