#ifndef AP_COMMON_CONFIG_FLAGS_H_
#define AP_COMMON_CONFIG_FLAGS_H_

// The bridge between absl flags and the config loader. Only main() uses it.

#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/config/loader.h"
#include "common/config/schema.h"

namespace ap {

// Rewrites `--some-flag[=v]` to `--some_flag[=v]` so that users can write
// flags with dashes (absl flag names cannot contain them). Stops at `--`.
std::vector<char*> NormalizeFlagDashes(int argc, char** argv,
                                       std::vector<std::string>* storage);

// Looks up absl flags by name, returning values only for flags given on the
// command line, so that an unset flag never overrides the config file.
ConfigLookup CommandLineFlags();

// INTERNAL if a schema key has no absl flag of the same name (a wiring bug
// in main).
absl::Status CheckFlagsCoverSchema(const ConfigSchema& schema);

// Help for the positional arguments given with --help (`apctl workflow
// --help`): the text to print, or "" for the general help.
using CommandHelp =
    std::function<std::string(const std::vector<std::string>& args)>;

// For main(): sets the usage text; --help prints it and then the flags
// defined in main.cc files (flags_help.h), or, with positional arguments
// and a `command_help`, that command's help; --version prints "PROGRAM
// VERSION".
void SetUpUsage(const char* program, const char* usage,
                CommandHelp command_help = nullptr);

// The general --help text: the usage, then every flag.
std::string UsageText();

// argv with each flag's value joined to it (`-f -` becomes `--f=-`), so
// that a value starting with '-' is read as the value it is. Call after
// CheckFlagSyntax.
std::vector<std::string> JoinFlagValues(const std::vector<char*>& args);

// Checks argv (after NormalizeFlagDashes) before absl sees it, which would
// exit(1) on its own: unknown flags and values a flag cannot parse are
// INVALID_ARGUMENT naming the flag. Sets *help_requested for --help or -h.
absl::Status CheckFlagSyntax(const std::vector<char*>& args,
                             bool* help_requested);

// For main(): parses argv (dashes normalized) with absl flags, then loads
// `schema` as LoadConfigFromCommandLine does, with the file named by
// `config_flag`. Returns the positional arguments after argv[0]. --help and
// -h print the usage and the flags of main.cc and exit 0.
absl::StatusOr<std::vector<std::string>> ParseFlagsAndLoadConfig(
    int argc, char** argv, const ConfigSchema& schema,
    const absl::Flag<std::string>& config_flag);

// Loads `schema` from the YAML file (config_flag, else AP_CONFIG), then the
// flags given on the command line, then AP_* variables.
absl::Status LoadConfigFromCommandLine(const ConfigSchema& schema,
                                       const std::string& config_flag);

// The help text of a config key, for its flag: built from a default Config
// so that the schema stays the one place that documents each key.
template <typename Config>
std::string ConfigKeyHelp(void (*bind)(ConfigSchema*, Config*),
                          absl::string_view key) {
  Config config;
  ConfigSchema schema;
  bind(&schema, &config);
  const ConfigKey* k = schema.Find(key);
  if (k == nullptr) return "(not a config key)";
  return absl::StrCat(k->help, " [env ", k->env, "]");
}

// The common start of a binary's main(): parses flags, loads `config` and
// validates it (Config::Validate). Returns nullopt to go on, or the exit
// code to return: 0 after --validate printed a valid configuration, 2 after
// printing "PROGRAM: error" to stderr. Positional arguments go to `args`;
// with args == nullptr there must be none.
template <typename Config>
std::optional<int> StartFromCommandLine(
    const char* program, int argc, char** argv,
    void (*bind)(ConfigSchema*, Config*), Config* config,
    const absl::Flag<std::string>& config_flag,
    const absl::Flag<bool>& validate_flag,
    std::vector<std::string>* args_out = nullptr) {
  ConfigSchema schema;
  bind(&schema, config);
  absl::StatusOr<std::vector<std::string>> args =
      ParseFlagsAndLoadConfig(argc, argv, schema, config_flag);
  absl::Status status = args.status();
  if (status.ok() && args_out != nullptr) *args_out = *args;
  if (status.ok() && !args->empty() &&
      (args_out == nullptr || absl::GetFlag(validate_flag))) {
    status = absl::InvalidArgumentError(absl::StrCat(
        "unexpected argument \"", args->front(), "\" (see --help)"));
  }
  if (status.ok()) status = config->Validate();
  if (!status.ok()) {
    std::fprintf(stderr, "%s: %s\n", program,
                 std::string(status.message()).c_str());
    return 2;
  }
  if (!absl::GetFlag(validate_flag)) return std::nullopt;
  ConfigSchema effective;  // bound now, it shows the loaded values
  bind(&effective, config);
  std::printf("# configuration is valid\n%s", effective.ValuesAsYaml().c_str());
  return 0;
}

}  // namespace ap

// Defines the absl flag of a config key. The key, the flag and the Config
// field share one name; the default and help come from Config and its bind
// function.
#define AP_CONFIG_FLAG(Config, bind, type, name) \
  ABSL_FLAG(type, name, Config{}.name, ::ap::ConfigKeyHelp<Config>(bind, #name))

#endif  // AP_COMMON_CONFIG_FLAGS_H_
