#ifndef AP_COMMON_LOG_LOG_H_
#define AP_COMMON_LOG_LOG_H_

// Logging on spdlog: one event a line, as
//   2026-11-25T10:00:00.123456Z info  aggregator fire workflow=01J..
//   lateness_ms=3
// so that grep finds every line about a workflow, execution or operator by
// its key=value field. Values with spaces, quotes, '=' or control characters
// are quoted and escaped; nothing a value holds can break a line in two.

#include <initializer_list>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "spdlog/spdlog.h"

namespace ap {

// One key=value field of a log event. Takes anything absl::StrCat takes.
struct LogField {
  LogField(absl::string_view k, const absl::AlphaNum& v)
      : key(k), value(v.Piece()) {}
  absl::string_view key;
  std::string value;
};

// "trace", "debug", "info", "warn", "error", "critical" or "off".
absl::StatusOr<spdlog::level::level_enum> ParseLogLevel(absl::string_view name);

// Sends the default logger to stderr with the format above, named after the
// program, at `level`. Safe to call again (tests, reconfiguration).
absl::Status InitLogging(absl::string_view program, absl::string_view level);

// `event k=v k2="v 2"`: the text of one log line after the prefix.
std::string FormatEvent(absl::string_view event,
                        std::initializer_list<LogField> fields);

// Logs one event with fields at `level` on the default logger.
void LogEvent(spdlog::level::level_enum level, absl::string_view event,
              std::initializer_list<LogField> fields = {});

}  // namespace ap

#endif  // AP_COMMON_LOG_LOG_H_
