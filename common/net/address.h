#ifndef AP_COMMON_NET_ADDRESS_H_
#define AP_COMMON_NET_ADDRESS_H_

// HOST:PORT addresses as flags and config give them.

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ap {

struct HostPort {
  std::string host;  // without brackets for IPv6
  int port = 0;
};

// Splits "host:port", "[v6]:port"; the port must be 0-65535.
absl::StatusOr<HostPort> ParseHostPort(absl::string_view text);

// OK for an address a server can listen on ("0.0.0.0:2206", "[::]:0",
// "localhost:8080"), else INVALID_ARGUMENT saying what is wrong.
absl::Status ValidateListenAddress(absl::string_view text);

}  // namespace ap

#endif  // AP_COMMON_NET_ADDRESS_H_
