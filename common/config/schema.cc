#include "common/config/schema.h"

#include <cmath>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace ap {
namespace {

// The single text of a scalar value, or an error if a list was given.
absl::Status Scalar(const ConfigValue& value, std::string* out) {
  if (value.is_list || value.items.size() != 1) {
    return absl::InvalidArgumentError("expected a single value, got a list");
  }
  *out = std::string(absl::StripAsciiWhitespace(value.items[0]));
  return absl::OkStatus();
}

template <typename Int>
std::function<absl::Status(const ConfigValue&)> IntSetter(Int* field, Int min,
                                                          Int max) {
  return [field, min, max](const ConfigValue& value) -> absl::Status {
    std::string text;
    if (absl::Status s = Scalar(value, &text); !s.ok()) return s;
    int64_t parsed = 0;
    if (!absl::SimpleAtoi(text, &parsed)) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", text, "\" is not a whole number"));
    }
    if (parsed < min || parsed > max) {
      return absl::InvalidArgumentError(
          absl::StrCat(parsed, " is out of range ", min, " to ", max));
    }
    *field = static_cast<Int>(parsed);
    return absl::OkStatus();
  };
}

}  // namespace

absl::Status ConfigKeyError(absl::string_view key, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("config key \"", key, "\": ", why));
}

std::string EnvVarName(absl::string_view key) {
  return absl::StrCat("AP_", absl::AsciiStrToUpper(key));
}

absl::Status ParseDurationText(absl::string_view text, absl::Duration* out) {
  absl::Duration d;
  if (!absl::ParseDuration(text, &d) || d == absl::InfiniteDuration() ||
      d == -absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", text, "\" is not a duration; write e.g. 5s, 250ms, 1m30s, 2h"));
  }
  *out = d;
  return absl::OkStatus();
}

absl::Status ParseBoolText(absl::string_view text, bool* out) {
  const std::string t = absl::AsciiStrToLower(text);
  if (t == "true" || t == "yes" || t == "on" || t == "1") {
    *out = true;
  } else if (t == "false" || t == "no" || t == "off" || t == "0") {
    *out = false;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not a boolean; write true or false"));
  }
  return absl::OkStatus();
}

void ConfigSchema::Add(ConfigKey key) {
  key.env = EnvVarName(key.name);
  keys_.push_back(std::move(key));
}

void ConfigSchema::SetEnvName(absl::string_view name, std::string env) {
  for (ConfigKey& key : keys_) {
    if (key.name == name) key.env = std::move(env);
  }
}

void ConfigSchema::AddString(std::string name, std::string* field,
                             std::string help) {
  Add({std::move(name), "string", std::move(help), *field,
       [field](const ConfigValue& v) { return Scalar(v, field); }});
}

void ConfigSchema::AddSecret(std::string name, std::string* field,
                             std::string help) {
  AddString(std::move(name), field, std::move(help));
  keys_.back().secret = true;
  keys_.back().default_text = field->empty() ? "" : "<redacted>";
}

void ConfigSchema::AddRedacted(
    std::string name, std::string* field,
    std::function<std::string(absl::string_view)> redact, std::string help) {
  AddString(std::move(name), field, std::move(help));
  keys_.back().default_text = redact(*field);
}

void ConfigSchema::AddEnum(std::string name, std::string* field,
                           std::vector<std::string> allowed, std::string help) {
  std::string type = absl::StrCat("one of ", absl::StrJoin(allowed, ", "));
  Add({std::move(name), std::move(type), std::move(help), *field,
       [field, allowed](const ConfigValue& v) -> absl::Status {
         std::string text;
         if (absl::Status s = Scalar(v, &text); !s.ok()) return s;
         for (const std::string& a : allowed) {
           if (text == a) {
             *field = text;
             return absl::OkStatus();
           }
         }
         return absl::InvalidArgumentError(absl::StrCat(
             "\"", text, "\" is not one of ", absl::StrJoin(allowed, ", ")));
       }});
}

void ConfigSchema::AddLogLevel(std::string* field) {
  AddEnum("log_level", field,
          {"trace", "debug", "info", "warn", "error", "critical", "off"},
          "least severe log level written");
}

void ConfigSchema::AddInt(std::string name, int64_t* field, int64_t min,
                          int64_t max, std::string help) {
  Add({std::move(name), "int", std::move(help), absl::StrCat(*field),
       IntSetter<int64_t>(field, min, max)});
}

void ConfigSchema::AddInt(std::string name, int* field, int min, int max,
                          std::string help) {
  Add({std::move(name), "int", std::move(help), absl::StrCat(*field),
       IntSetter<int>(field, min, max)});
}

void ConfigSchema::AddDuration(std::string name, absl::Duration* field,
                               absl::Duration min, absl::Duration max,
                               std::string help) {
  Add({std::move(name), "duration", std::move(help),
       absl::FormatDuration(*field),
       [field, min, max](const ConfigValue& v) -> absl::Status {
         std::string text;
         if (absl::Status s = Scalar(v, &text); !s.ok()) return s;
         absl::Duration d;
         if (absl::Status s = ParseDurationText(text, &d); !s.ok()) return s;
         if (d < min || d > max) {
           return absl::InvalidArgumentError(absl::StrCat(
               text, " is out of range ", absl::FormatDuration(min), " to ",
               absl::FormatDuration(max)));
         }
         *field = d;
         return absl::OkStatus();
       }});
}

void ConfigSchema::AddDouble(std::string name, double* field, double min,
                             double max, std::string help) {
  Add({std::move(name), "double", std::move(help), absl::StrCat(*field),
       [field, min, max](const ConfigValue& v) -> absl::Status {
         std::string text;
         if (absl::Status s = Scalar(v, &text); !s.ok()) return s;
         double d = 0;
         if (!absl::SimpleAtod(text, &d) || !std::isfinite(d)) {
           return absl::InvalidArgumentError(
               absl::StrCat("\"", text, "\" is not a number"));
         }
         if (d < min || d > max) {
           return absl::InvalidArgumentError(
               absl::StrCat(text, " is out of range ", min, " to ", max));
         }
         *field = d;
         return absl::OkStatus();
       }});
}

void ConfigSchema::AddBool(std::string name, bool* field, std::string help) {
  Add({std::move(name), "bool", std::move(help), *field ? "true" : "false",
       [field](const ConfigValue& v) -> absl::Status {
         std::string text;
         if (absl::Status s = Scalar(v, &text); !s.ok()) return s;
         return ParseBoolText(text, field);
       }});
}

void ConfigSchema::AddList(std::string name, std::vector<std::string>* field,
                           std::string help) {
  Add({std::move(name), "list", std::move(help), absl::StrJoin(*field, ","),
       [field](const ConfigValue& v) -> absl::Status {
         std::vector<std::string> items;
         auto keep = [&items](absl::string_view item) {
           item = absl::StripAsciiWhitespace(item);
           if (!item.empty()) items.emplace_back(item);
         };
         for (const std::string& item : v.items) {
           if (v.is_list) {
             keep(item);
           } else {  // text from flags and environment is comma-separated
             for (absl::string_view part : absl::StrSplit(item, ',')) {
               keep(part);
             }
           }
         }
         *field = std::move(items);
         return absl::OkStatus();
       }});
}

const ConfigKey* ConfigSchema::Find(absl::string_view name) const {
  for (const ConfigKey& key : keys_) {
    if (key.name == name) return &key;
  }
  return nullptr;
}

absl::Status ConfigSchema::Set(absl::string_view name,
                               const ConfigValue& value) const {
  const ConfigKey* key = Find(name);
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown config key \"", name, "\" (", value.origin, ")"));
  }
  absl::Status s = key->set(value);
  if (s.ok()) return s;
  return absl::InvalidArgumentError(absl::StrCat(
      "config key \"", name, "\" (", value.origin, "): ", s.message()));
}

std::string ConfigSchema::MarkdownTable() const {
  std::string out =
      "| key | flag | environment | type | default | meaning |\n"
      "|---|---|---|---|---|---|\n";
  for (const ConfigKey& k : keys_) {
    std::string flag = k.name;
    absl::StrReplaceAll({{"_", "-"}}, &flag);
    const std::string shown_default =
        k.default_text.empty() ? "(none)"
                               : absl::StrCat("`", k.default_text, "`");
    absl::StrAppend(&out, "| `", k.name, "` | `--", flag, "` | `", k.env,
                    "` | ", k.type, " | ", shown_default, " | ", k.help,
                    " |\n");
  }
  return out;
}

std::string ConfigSchema::ValuesAsYaml() const {
  std::string out;
  for (const ConfigKey& k : keys_) {
    const std::string value =
        k.secret && !k.default_text.empty() ? "<redacted>" : k.default_text;
    absl::StrAppend(&out, k.name, ": \"", absl::CEscape(value), "\"\n");
  }
  return out;
}

}  // namespace ap
