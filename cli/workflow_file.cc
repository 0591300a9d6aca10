#include "cli/workflow_file.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/json_escape.h"
#include "google/protobuf/util/json_util.h"

namespace ap {
namespace {

std::string Quote(const std::string& s) {
  return absl::StrCat("\"", JsonEscape(s), "\"");
}

bool IsPlainLiteral(const std::string& s) {
  if (s == "true" || s == "false" || s == "null") return true;
  double d;
  return !s.empty() && absl::SimpleAtod(s, &d) &&
         s.find_first_not_of("0123456789+-.eE") == std::string::npos;
}

void Append(const YAML::Node& node, std::string* out) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      out->push_back('{');
      bool first = true;
      for (auto it = node.begin(); it != node.end(); ++it) {
        if (!first) out->push_back(',');
        first = false;
        absl::StrAppend(out, Quote(it->first.Scalar()), ":");
        Append(it->second, out);
      }
      out->push_back('}');
      break;
    }
    case YAML::NodeType::Sequence: {
      out->push_back('[');
      bool first = true;
      for (auto it = node.begin(); it != node.end(); ++it) {
        if (!first) out->push_back(',');
        first = false;
        Append(*it, out);
      }
      out->push_back(']');
      break;
    }
    case YAML::NodeType::Scalar:
      // A plain (unquoted) scalar keeps its type; "!" marks a quoted one.
      if (node.Tag() != "!" && IsPlainLiteral(node.Scalar())) {
        out->append(node.Scalar());
      } else {
        out->append(Quote(node.Scalar()));
      }
      break;
    default:
      out->append("null");
  }
}

}  // namespace

absl::StatusOr<std::string> YamlToJson(const std::string& yaml) {
  try {
    YAML::Node node = YAML::Load(yaml);
    std::string out;
    Append(node, &out);
    return out;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        "line ", e.mark.line + 1, ", column ", e.mark.column + 1, ": ", e.msg));
  }
}

absl::StatusOr<std::string> ReadSource(const std::string& path,
                                       std::istream* in) {
  std::stringstream text;
  if (path == "-") {
    text << in->rdbuf();
    return text.str();
  }
  std::ifstream f(path);
  if (!f) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read ", path, ": no such file or not readable"));
  }
  text << f.rdbuf();
  return text.str();
}

absl::StatusOr<std::vector<v1::Workflow>> ParseWorkflowDocuments(
    const std::string& text, const std::string& source) {
  const absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(text);
  if (!trimmed.empty() && trimmed.front() == '{') {
    absl::StatusOr<v1::Workflow> w = ParseWorkflowFile(text, source);
    if (!w.ok()) return w.status();
    return std::vector<v1::Workflow>{*std::move(w)};
  }
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": not valid YAML: line ", e.mark.line + 1,
                     ", column ", e.mark.column + 1, ": ", e.msg));
  }
  std::vector<v1::Workflow> out;
  for (size_t i = 0; i < docs.size(); ++i) {
    if (docs[i].IsNull()) continue;
    const std::string where =
        docs.size() > 1 ? absl::StrCat(source, ", document ", i + 1) : source;
    std::string json;
    Append(docs[i], &json);
    absl::StatusOr<v1::Workflow> w = ParseWorkflowFile(json, where);
    if (!w.ok()) return w.status();
    out.push_back(*std::move(w));
  }
  if (out.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": empty file"));
  }
  return out;
}

absl::StatusOr<v1::Workflow> ParseWorkflowFile(const std::string& text,
                                               const std::string& source) {
  const absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(text);
  if (trimmed.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": empty file"));
  }
  std::string json;
  if (trimmed.front() == '{') {
    json = text;
  } else {
    absl::StatusOr<std::string> converted = YamlToJson(text);
    if (!converted.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ": not valid YAML: ", converted.status().message()));
    }
    json = *std::move(converted);
  }
  v1::Workflow w;
  google::protobuf::util::JsonParseOptions options;
  auto s = google::protobuf::util::JsonStringToMessage(json, &w, options);
  if (!s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": not a workflow: ", s.message().as_string()));
  }
  return w;
}

}  // namespace ap
