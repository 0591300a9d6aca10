#ifndef AP_CLI_SESSION_H_
#define AP_CLI_SESSION_H_

// What every apctl command on the user API shares: where it prints, how it
// connects and reports a failure, and its exit codes.

#include <functional>
#include <iosfwd>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "cli/client.h"
#include "cli/config.h"
#include "google/protobuf/message.h"

namespace ap {

// 0 done; 1 the aggregator refused or could not be reached; 2 bad usage or
// an unreadable or invalid file.
inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;
inline constexpr int kExitUsage = 2;

struct CommandIo {
  std::ostream* out;
  std::ostream* err;
  std::istream* in;
};

// One command against the aggregator: connects, runs `body`, and turns a
// failure into "apctl: CODE: message" plus a hint and exit code 1.
class CommandSession {
 public:
  CommandSession(const ApctlConfig& config, const CommandIo& io)
      : config_(config), io_(io) {}

  int Run(const std::function<absl::Status(AggregatorClient&)>& body);

  // `m` as JSON or YAML when asked (-o), else the `table` text.
  absl::Status Print(const google::protobuf::Message& m,
                     const std::function<std::string()>& table);
  // One object in detail: YAML for people, JSON when asked.
  absl::Status PrintDetail(const google::protobuf::Message& m);

  std::ostream& out() { return *io_.out; }
  // Where words for a person go: stdout for a table, stderr when stdout is
  // JSON or YAML for a script.
  std::ostream& human() {
    return config_.output == "table" ? *io_.out : *io_.err;
  }
  const ApctlConfig& config() const { return config_; }

 private:
  const ApctlConfig& config_;
  const CommandIo& io_;
};

// Prints "apctl: MESSAGE" to io.err; returns kExitUsage.
int UsageError(const CommandIo& io, const std::string& message);

// Reads an enum value given as "failed", "FAILED" or its full name.
template <typename Enum>
bool ParseEnumValue(const std::string& text, const std::string& prefix,
                    bool (*parse)(const std::string&, Enum*), Enum* out) {
  std::string name = absl::AsciiStrToUpper(text);
  if (name.rfind(prefix, 0) != 0) name = prefix + name;
  return parse(name, out);
}

}  // namespace ap

#endif  // AP_CLI_SESSION_H_
