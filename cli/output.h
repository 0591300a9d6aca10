#ifndef AP_CLI_OUTPUT_H_
#define AP_CLI_OUTPUT_H_

// How apctl prints: aligned tables for a terminal, and a message in the
// proto's JSON mapping or as YAML for scripts.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/time/time.h"
#include "ap/v1/workflow.pb.h"
#include "common/enum_label.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"

namespace ap {

// Columns padded to their widest cell, two spaces apart, header first;
// the last column is not padded.
std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows);

// The proto3 JSON mapping, indented, with a trailing newline.
absl::StatusOr<std::string> RenderJson(const google::protobuf::Message& m);
// The same content as YAML (block style).
absl::StatusOr<std::string> RenderYaml(const google::protobuf::Message& m);

// A trigger in one line: "30 2 * * * (America/New_York)", "every 5m",
// "3 fixed time(s)", "manual".
std::string DescribeTrigger(const v1::Trigger& t);

// An enum value as a word for a table: EXECUTION_STATUS_TIMED_OUT ->
// "TIMED_OUT".
template <typename E>
std::string EnumWord(E value) {
  return absl::AsciiStrToUpper(EnumLabel(value));
}

// RFC 3339 in UTC to the second, or "-" for an unset timestamp.
std::string FormatTimestamp(const google::protobuf::Timestamp& t);
// "1.5s", "250ms"; "-" when d is zero or negative.
std::string FormatShortDuration(absl::Duration d);

}  // namespace ap

#endif  // AP_CLI_OUTPUT_H_
