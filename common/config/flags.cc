#include "common/config/flags.h"

#include <cstdlib>
#include <iostream>
#include <optional>

#include "absl/flags/internal/parse.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/config/flags_help.h"
#include "common/version.h"

namespace ap {
namespace {

// Flags absl itself defines and handles (usage, flagfile, ...).
bool IsAbslOwnFlag(absl::string_view name) {
  static const char* const kOwn[] = {
      "helpfull",  "helpshort",  "helppackage",     "helpon",
      "helpmatch", "version",    "only_check_args", "flagfile",
      "fromenv",   "tryfromenv", "undefok"};
  for (const char* own : kOwn) {
    if (name == own) return true;
  }
  return false;
}

}  // namespace

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

namespace {

struct Usage {
  std::string text;
  CommandHelp command_help;
};

Usage& TheUsage() {
  static Usage* const usage = new Usage;
  return *usage;
}

}  // namespace

void SetUpUsage(const char* program, const char* usage,
                CommandHelp command_help) {
  TheUsage() = {usage, std::move(command_help)};
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

std::string UsageText() {
  return absl::StrCat(TheUsage().text, "\n\nFlags:\n", FlagsHelpText());
}

std::vector<std::string> JoinFlagValues(const std::vector<char*>& args) {
  std::vector<std::string> out;
  bool after_terminator = false;
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "--") after_terminator = true;
    if (i == 0 || after_terminator || arg.size() < 2 || arg[0] != '-' ||
        absl::StrContains(arg, '=') || i + 1 == args.size()) {
      out.emplace_back(arg);
      continue;
    }
    absl::string_view name = arg;
    name.remove_prefix(absl::StartsWith(name, "--") ? 2 : 1);
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr || flag->IsOfType<bool>() || name == "help" ||
        name == "h") {
      out.emplace_back(arg);
      continue;
    }
    out.push_back(absl::StrCat("--", name, "=", args[++i]));
  }
  return out;
}

absl::Status CheckFlagSyntax(const std::vector<char*>& args,
                             bool* help_requested) {
  *help_requested = false;
  for (size_t i = 1; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "--") break;
    if (arg.size() < 2 || arg[0] != '-') continue;  // positional
    arg.remove_prefix(absl::StartsWith(arg, "--") ? 2 : 1);
    const size_t eq = arg.find('=');
    const absl::string_view name = arg.substr(0, eq);
    if (name == "help" || name == "h") {
      *help_requested = true;
      continue;
    }
    if (IsAbslOwnFlag(name)) continue;
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr && absl::StartsWith(name, "no")) {
      const absl::CommandLineFlag* negated =
          absl::FindCommandLineFlag(name.substr(2));
      if (negated != nullptr && negated->IsOfType<bool>() &&
          eq == absl::string_view::npos) {
        continue;  // --noreflection
      }
    }
    if (flag == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, " (see --help)"));
    }
    absl::string_view value;
    if (eq != absl::string_view::npos) {
      value = arg.substr(eq + 1);
    } else if (flag->IsOfType<bool>()) {
      continue;
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("flag --", name, " needs a value"));
    }
    // Parsing into the flag is harmless: absl parses the same text again.
    std::string error;
    if (!absl::FindCommandLineFlag(name)->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat("flag --", name, ": ", error));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ParseFlagsAndLoadConfig(
    int argc, char** argv, const ConfigSchema& schema,
    const absl::Flag<std::string>& config_flag) {
  std::vector<std::string> storage;
  std::vector<char*> args = NormalizeFlagDashes(argc, argv, &storage);
  // absl exits 1 on --help and on a bad flag; we want 0 and 2.
  bool help = false;
  if (absl::Status s = CheckFlagSyntax(args, &help); !s.ok()) return s;
  std::vector<std::string> joined = JoinFlagValues(args);
  if (help) {
    std::vector<std::string> positional;
    bool after_terminator = false;
    for (size_t i = 1; i < joined.size(); ++i) {
      if (joined[i] == "--") after_terminator = true;
      if (after_terminator || joined[i].empty() || joined[i][0] != '-') {
        if (joined[i] != "--") positional.push_back(joined[i]);
      }
    }
    std::string text;
    if (!positional.empty() && TheUsage().command_help) {
      text = TheUsage().command_help(positional);
    }
    std::cout << (text.empty() ? UsageText() : text);
    std::exit(0);
  }
  args.clear();
  for (std::string& a : joined) args.push_back(a.data());
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
