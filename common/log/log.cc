#include "common/log/log.h"

#include <memory>

#include "absl/strings/ascii.h"
#include "spdlog/sinks/stdout_sinks.h"

namespace ap {
namespace {

bool NeedsQuotes(absl::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' ||
        static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return true;
    }
  }
  return false;
}

void AppendQuoted(std::string* out, absl::string_view v) {
  out->push_back('"');
  for (char c : v) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          absl::StrAppend(
              out, "\\x",
              absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

}  // namespace

absl::StatusOr<spdlog::level::level_enum> ParseLogLevel(
    absl::string_view name) {
  const std::string n = absl::AsciiStrToLower(name);
  if (n == "trace") return spdlog::level::trace;
  if (n == "debug") return spdlog::level::debug;
  if (n == "info") return spdlog::level::info;
  if (n == "warn" || n == "warning") return spdlog::level::warn;
  if (n == "error") return spdlog::level::err;
  if (n == "critical") return spdlog::level::critical;
  if (n == "off") return spdlog::level::off;
  return absl::InvalidArgumentError(absl::StrCat(
      "log level \"", name,
      "\" is not one of trace, debug, info, warn, error, critical, off"));
}

absl::Status InitLogging(absl::string_view program, absl::string_view level) {
  absl::StatusOr<spdlog::level::level_enum> lvl = ParseLogLevel(level);
  if (!lvl.ok()) return lvl.status();
  auto logger = std::make_shared<spdlog::logger>(
      std::string(program), std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %-5l %n %v",
                      spdlog::pattern_time_type::utc);
  logger->set_level(*lvl);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  return absl::OkStatus();
}

std::string FormatEvent(absl::string_view event,
                        std::initializer_list<LogField> fields) {
  std::string out(event);
  for (const LogField& f : fields) {
    absl::StrAppend(&out, " ", f.key, "=");
    if (NeedsQuotes(f.value)) {
      AppendQuoted(&out, f.value);
    } else {
      out.append(f.value);
    }
  }
  // The event name is ours, but keep the one-line promise regardless.
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

void LogEvent(spdlog::level::level_enum level, absl::string_view event,
              std::initializer_list<LogField> fields) {
  if (!spdlog::default_logger_raw()->should_log(level)) return;
  spdlog::default_logger_raw()->log(level, "{}", FormatEvent(event, fields));
}

}  // namespace ap
