#include "cli/output.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/proto_time.h"
#include "google/protobuf/util/json_util.h"

namespace ap {
namespace {

void SetBlockStyle(YAML::Node node) {
  node.SetStyle(YAML::EmitterStyle::Block);
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      SetBlockStyle(it->second);
    }
  } else if (node.IsSequence()) {
    for (auto it = node.begin(); it != node.end(); ++it) SetBlockStyle(*it);
  }
}

}  // namespace

std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  };
  measure(header);
  for (const auto& row : rows) measure(row);
  std::string out;
  auto print = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size())
        line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    absl::StrAppend(&out, line, "\n");
  };
  print(header);
  for (const auto& row : rows) print(row);
  return out;
}

absl::StatusOr<std::string> RenderJson(const google::protobuf::Message& m) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = false;
  auto s = google::protobuf::util::MessageToJsonString(m, &json, options);
  if (!s.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot print as JSON: ", s.message().as_string()));
  }
  if (json.empty() || json.back() != '\n') json.push_back('\n');
  return json;
}

absl::StatusOr<std::string> RenderYaml(const google::protobuf::Message& m) {
  absl::StatusOr<std::string> json = RenderJson(m);
  if (!json.ok()) return json.status();
  YAML::Node node = YAML::Load(*json);  // JSON is YAML
  SetBlockStyle(node);
  YAML::Emitter out;
  out << node;
  return absl::StrCat(out.c_str(), "\n");
}

std::string DescribeTrigger(const v1::Trigger& t) {
  switch (t.kind_case()) {
    case v1::Trigger::kCron:
      return absl::StrCat(
          absl::StrJoin(t.cron().schedules(), "; "), " (",
          t.cron().timezone().empty() ? "UTC" : t.cron().timezone(), ")");
    case v1::Trigger::kInterval:
      return absl::StrCat(
          "every ", absl::FormatDuration(FromProto(t.interval().every())));
    case v1::Trigger::kFixedTimes:
      return absl::StrCat(t.fixed_times().times_size(), " fixed time(s)");
    case v1::Trigger::kManual:
      return "manual";
    default:
      return "-";
  }
}

std::string FormatTimestamp(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "-";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", FromProto(t),
                          absl::UTCTimeZone());
}

std::string FormatShortDuration(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return "-";
  if (d < absl::Seconds(1)) {
    return absl::StrCat(absl::ToInt64Milliseconds(d), "ms");
  }
  return absl::FormatDuration(absl::Trunc(d, absl::Milliseconds(100)));
}

}  // namespace ap
