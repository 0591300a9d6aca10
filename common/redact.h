#ifndef AP_COMMON_REDACT_H_
#define AP_COMMON_REDACT_H_

// Secrets in headers and environment variables are never shown back: not in
// logs, examine output or the REPL. A name is secret when it is
// Authorization, Proxy-Authorization or Cookie, or contains "token",
// "secret", "password", "passwd" or "key" (case-insensitive).

#include <string>

#include "absl/strings/string_view.h"
#include "ap/v1/workflow.pb.h"

namespace ap {

inline constexpr char kRedacted[] = "<redacted>";

bool IsSecretName(absl::string_view name);

// Replaces the values of secret headers and environment variables, and a
// notification webhook's path (often its secret).
void RedactWorkflow(v1::Workflow* workflow);

// `url` up to its host: "https://hooks.slack.com/<redacted>" (a webhook's
// path is often its secret: Slack's incoming webhooks).
std::string RedactUrlPath(absl::string_view url);

// A PostgreSQL connection string (key=value pairs or a postgres:// URI)
// with its password replaced by <redacted>, for printing.
std::string RedactDsn(absl::string_view dsn);

}  // namespace ap

#endif  // AP_COMMON_REDACT_H_
