#include "common/redact.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace ap {

bool IsSecretName(absl::string_view name) {
  const std::string n = absl::AsciiStrToLower(name);
  if (n == "authorization" || n == "proxy-authorization" || n == "cookie" ||
      n == "set-cookie") {
    return true;
  }
  for (const char* word : {"token", "secret", "password", "passwd", "key"}) {
    if (absl::StrContains(n, word)) return true;
  }
  return false;
}

void RedactWorkflow(v1::Workflow* w) {
  for (v1::Step& step : *w->mutable_steps()) {
    // mutable_http() would switch a command step to http: check first.
    if (step.has_http()) {
      for (auto& [name, value] : *step.mutable_http()->mutable_headers()) {
        if (IsSecretName(name)) value = kRedacted;
      }
    }
    if (step.has_command()) {
      for (auto& [name, value] : *step.mutable_command()->mutable_env()) {
        if (IsSecretName(name)) value = kRedacted;
      }
    }
  }
}

}  // namespace ap
