#include "common/config/flags.h"

#include <optional>

#include "absl/flags/internal/parse.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/version.h"

namespace ap {

std::vector<char*> NormalizeFlagDashes(int argc, char** argv,
                                       std::vector<std::string>* storage) {
  storage->clear();
  storage->reserve(argc);
  bool after_terminator = false;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") after_terminator = true;
    if (i > 0 && !after_terminator && absl::StartsWith(arg, "-")) {
      const size_t dashes = absl::StartsWith(arg, "--") ? 2 : 1;
      const size_t end = std::min(arg.find('='), arg.size());
      for (size_t j = dashes; j < end; ++j) {
        if (arg[j] == '-') arg[j] = '_';
      }
    }
    storage->push_back(std::move(arg));
  }
  std::vector<char*> out;
  for (std::string& s : *storage) out.push_back(s.data());
  return out;
}

ConfigLookup CommandLineFlags() {
  return [](absl::string_view name) -> std::optional<std::string> {
    // absl 20220623 exposes "was this flag given" only here.
    if (!absl::flags_internal::WasPresentOnCommandLine(name)) {
      return std::nullopt;
    }
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr) return std::nullopt;
    return flag->CurrentValue();
  };
}

absl::Status CheckFlagsCoverSchema(const ConfigSchema& schema) {
  for (const ConfigKey& key : schema.keys()) {
    if (absl::FindCommandLineFlag(key.name) == nullptr) {
      return absl::InternalError(
          absl::StrCat("config key \"", key.name, "\" has no flag"));
    }
  }
  return absl::OkStatus();
}

void SetUpUsage(const char* program, const char* usage) {
  absl::SetProgramUsageMessage(usage);
  static std::string* const version = new std::string;
  *version = absl::StrCat(program, " ", kVersion, "\n");
  absl::FlagsUsageConfig config;
  config.contains_help_flags = [](absl::string_view file) {
    return absl::EndsWith(file, "/main.cc");
  };
  config.contains_helpshort_flags = config.contains_help_flags;
  config.version_string = [] { return *version; };
  absl::SetFlagsUsageConfig(config);
}

absl::StatusOr<std::vector<std::string>> ParseFlagsAndLoadConfig(
    int argc, char** argv, const ConfigSchema& schema,
    const absl::Flag<std::string>& config_flag) {
  std::vector<std::string> storage;
  std::vector<char*> args = NormalizeFlagDashes(argc, argv, &storage);
  std::vector<char*> rest =
      absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  if (absl::Status s =
          LoadConfigFromCommandLine(schema, absl::GetFlag(config_flag));
      !s.ok()) {
    return s;
  }
  return std::vector<std::string>(rest.begin() + 1, rest.end());
}

absl::Status LoadConfigFromCommandLine(const ConfigSchema& schema,
                                       const std::string& config_flag) {
  if (absl::Status s = CheckFlagsCoverSchema(schema); !s.ok()) return s;
  ConfigSources sources{config_flag, CommandLineFlags(), ProcessEnvironment()};
  if (sources.file.empty()) {
    sources.file = sources.env("AP_CONFIG").value_or("");
  }
  return LoadConfig(schema, sources);
}

}  // namespace ap
