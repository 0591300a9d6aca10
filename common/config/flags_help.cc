#include "common/config/flags_help.h"

#include <algorithm>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace ap {
namespace {

constexpr size_t kWidth = 79;
constexpr char kIndent[] = "      ";

// `text` wrapped at kWidth after kIndent.
std::string Wrap(absl::string_view text) {
  std::string out, line = kIndent;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (line.size() > sizeof(kIndent) - 1 &&
        line.size() + 1 + word.size() > kWidth) {
      absl::StrAppend(&out, line, "\n");
      line = kIndent;
    }
    if (line.size() > sizeof(kIndent) - 1) line.push_back(' ');
    absl::StrAppend(&line, word);
  }
  return absl::StrCat(out, line, "\n");
}

}  // namespace

std::string FlagSpelling(absl::string_view name) {
  std::string out = name.size() == 1 ? "-" : "--";
  for (char c : name) out.push_back(c == '_' ? '-' : c);
  return out;
}

std::string FlagsHelpText(
    const std::function<bool(absl::string_view, absl::string_view)>&
        include) {
  std::vector<const absl::CommandLineFlag*> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (!absl::EndsWith(flag->Filename(), "/main.cc")) continue;
    if (include && !include(flag->Name(), flag->Help())) continue;
    flags.push_back(flag);
  }
  std::sort(flags.begin(), flags.end(),
            [](const absl::CommandLineFlag* a, const absl::CommandLineFlag* b) {
              return a->Name() < b->Name();
            });
  std::string out;
  for (const absl::CommandLineFlag* flag : flags) {
    const std::string spelled = FlagSpelling(flag->Name());
    const bool is_switch = flag->IsOfType<bool>();
    absl::StrAppend(&out, "  ", spelled,
                    is_switch                 ? ""
                    : flag->Name().size() == 1 ? " VALUE"
                                               : "=VALUE",
                    "\n");
    std::string help = flag->Help();
    const std::string def = flag->DefaultValue();
    if (!def.empty() && def != "false") {
      absl::StrAppend(&help, " (default: ", def, ")");
    }
    absl::StrAppend(&out, Wrap(help));
  }
  return out;
}

}  // namespace ap
