#ifndef AP_AGGREGATOR_AUTH_CALLER_H_
#define AP_AGGREGATOR_AUTH_CALLER_H_

// Who is calling the user API: the owner and role of their API key.

#include <string>

#include "absl/status/status.h"

namespace ap {

enum class Role { kReader = 1, kWriter = 2, kAdmin = 3 };

struct Caller {
  std::string owner;
  Role role = Role::kReader;
};

// PERMISSION_DENIED unless the caller may change things (writer or admin).
inline absl::Status RequireWriter(const Caller& caller) {
  if (caller.role == Role::kReader) {
    return absl::PermissionDeniedError(
        "this API key has the reader role; writing needs writer or admin");
  }
  return absl::OkStatus();
}

}  // namespace ap

#endif  // AP_AGGREGATOR_AUTH_CALLER_H_
