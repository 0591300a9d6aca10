#ifndef AP_COMMON_CONFIG_SCHEMA_H_
#define AP_COMMON_CONFIG_SCHEMA_H_

// A configuration schema: the documented, typed keys of one binary's Config
// struct, each bound to the struct field it sets.
//
// Keys are snake_case (`grpc_listen`). The same key is the YAML key, the
// flag (--grpc_listen or --grpc-listen) and, upper-cased with an AP_ prefix,
// the environment variable (AP_GRPC_LISTEN). The field's value when it is
// added is its default, shown in documentation.
//
// Values arrive as text from the sources (see loader.h); each kind parses
// and range-checks its text and names the key in every error.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ap {

// One value for a key as a source gave it: a scalar is one item; a list is
// several, or one comma-separated item.
struct ConfigValue {
  std::vector<std::string> items;
  bool is_list = false;
  // Where it came from, for errors: `config file x.yaml`, `flag --x`,
  // `environment AP_X`.
  std::string origin;
};

struct ConfigKey {
  std::string name;
  // "string", "int", "duration", "bool", "double", "list".
  std::string type;
  std::string help;
  // The field's value when it was bound, as text: its default when bound
  // to a fresh Config, the effective value when bound to a loaded one.
  std::string default_text;
  // Parses a value into the bound field; the error says what was wrong
  // with the text (the caller adds the key and origin).
  std::function<absl::Status(const ConfigValue&)> set;
  // Never printed (tokens, keys).
  bool secret = false;
  // Its environment variable: EnvVarName(name) unless overridden.
  std::string env;
};

class ConfigSchema {
 public:
  void AddString(std::string name, std::string* field, std::string help);
  // A string shown as "<redacted>" when the configuration is printed.
  void AddSecret(std::string name, std::string* field, std::string help);
  // A string printed through `redact` (a connection string with its
  // password hidden).
  void AddRedacted(std::string name, std::string* field,
                   std::function<std::string(absl::string_view)> redact,
                   std::string help);
  // One of `allowed` (case-sensitive), e.g. log levels.
  void AddEnum(std::string name, std::string* field,
               std::vector<std::string> allowed, std::string help);
  void AddInt(std::string name, int64_t* field, int64_t min, int64_t max,
              std::string help);
  void AddInt(std::string name, int* field, int min, int max, std::string help);
  // absl duration syntax: "5s", "250ms", "1m30s", "0".
  void AddDuration(std::string name, absl::Duration* field, absl::Duration min,
                   absl::Duration max, std::string help);
  void AddDouble(std::string name, double* field, double min, double max,
                 std::string help);
  // true/false, yes/no, on/off, 1/0.
  void AddBool(std::string name, bool* field, std::string help);
  // The `log_level` key every binary has (trace ... off).
  void AddLogLevel(std::string* field);
  // A YAML sequence, or comma-separated text from flags and environment.
  void AddList(std::string name, std::vector<std::string>* field,
               std::string help);

  // Reads `name` from environment variable `env` instead of AP_<NAME>.
  void SetEnvName(absl::string_view name, std::string env);

  const std::vector<ConfigKey>& keys() const { return keys_; }
  const ConfigKey* Find(absl::string_view name) const;

  // Sets the key from `value`; INVALID_ARGUMENT names key, origin and cause.
  absl::Status Set(absl::string_view name, const ConfigValue& value) const;

  // A Markdown table of every key: key, flag, variable, default, meaning.
  std::string MarkdownTable() const;
  // `key: value` lines of every key's bound value, secrets redacted.
  std::string ValuesAsYaml() const;

 private:
  void Add(ConfigKey key);
  std::vector<ConfigKey> keys_;
};

// INVALID_ARGUMENT `config key "KEY": WHY`, for Config::Validate rules.
absl::Status ConfigKeyError(absl::string_view key, absl::string_view why);

// AP_ + upper-cased key: "grpc_listen" -> "AP_GRPC_LISTEN".
std::string EnvVarName(absl::string_view key);

// "5s" etc.; rejects text absl cannot parse. Exposed for flag parsing.
absl::Status ParseDurationText(absl::string_view text, absl::Duration* out);
absl::Status ParseBoolText(absl::string_view text, bool* out);

}  // namespace ap

#endif  // AP_COMMON_CONFIG_SCHEMA_H_
