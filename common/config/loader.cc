#include "common/config/loader.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "yaml-cpp/yaml.h"

namespace ap {
namespace {

// A YAML node as a ConfigValue, or an error for maps and other shapes.
absl::Status NodeToValue(const YAML::Node& node, std::string origin,
                         ConfigValue* out) {
  out->origin = std::move(origin);
  if (node.IsScalar()) {
    out->items = {node.Scalar()};
    return absl::OkStatus();
  }
  if (node.IsNull()) {
    return absl::InvalidArgumentError("has no value");
  }
  if (node.IsSequence()) {
    out->is_list = true;
    for (const YAML::Node& item : node) {
      if (!item.IsScalar()) {
        return absl::InvalidArgumentError("list items must be plain values");
      }
      out->items.push_back(item.Scalar());
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError("expected a value or a list, got a map");
}

}  // namespace

absl::Status ApplyYamlText(const ConfigSchema& schema, absl::string_view text,
                           absl::string_view origin) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(origin, ": not valid YAML at line ", e.mark.line + 1,
                     ", column ", e.mark.column + 1, ": ", e.msg));
  }
  if (root.IsNull()) return absl::OkStatus();  // empty file
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(
        absl::StrCat(origin, ": expected a map of key: value at the top"));
  }
  for (const auto& entry : root) {
    if (!entry.first.IsScalar()) {
      return absl::InvalidArgumentError(
          absl::StrCat(origin, ": keys must be plain names"));
    }
    const std::string key = entry.first.Scalar();
    ConfigValue value;
    if (absl::Status s = NodeToValue(entry.second, std::string(origin), &value);
        !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "config key \"", key, "\" (", origin, "): ", s.message()));
    }
    if (absl::Status s = schema.Set(key, value); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ApplyYamlFile(const ConfigSchema& schema,
                           const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read config file ", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  return ApplyYamlText(schema, text.str(), absl::StrCat("config file ", path));
}

absl::Status LoadConfig(const ConfigSchema& schema,
                        const ConfigSources& sources) {
  if (!sources.file.empty()) {
    if (absl::Status s = ApplyYamlFile(schema, sources.file); !s.ok()) {
      return s;
    }
  }
  for (const ConfigKey& key : schema.keys()) {
    if (!sources.env) break;
    const std::string& var = key.env;
    if (std::optional<std::string> text = sources.env(var)) {
      ConfigValue value{{*text}, false, absl::StrCat("environment ", var)};
      if (absl::Status s = schema.Set(key.name, value); !s.ok()) return s;
    }
  }
  for (const ConfigKey& key : schema.keys()) {
    if (!sources.flag) break;
    if (std::optional<std::string> text = sources.flag(key.name)) {
      ConfigValue value{{*text}, false, absl::StrCat("flag --", key.name)};
      if (absl::Status s = schema.Set(key.name, value); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

ConfigLookup ProcessEnvironment() {
  return [](absl::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

}  // namespace ap
