#include "common/net/address.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ap {

absl::StatusOr<HostPort> ParseHostPort(absl::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not HOST:PORT (no port)"));
  }
  absl::string_view host = text.substr(0, colon);
  absl::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", text, "\": write IPv6 addresses in brackets, e.g. [::1]:2206"));
  }
  if (host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" has no host"));
  }
  int port = 0;
  if (!absl::SimpleAtoi(port_text, &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", text, "\": port \"", port_text, "\" is not a number 0-65535"));
  }
  return HostPort{std::string(host), port};
}

absl::Status ValidateListenAddress(absl::string_view text) {
  return ParseHostPort(text).status();
}

}  // namespace ap
