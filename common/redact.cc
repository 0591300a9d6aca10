#include "common/redact.h"

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

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
  for (v1::NotifyTarget& target : *w->mutable_notify()) {
    if (!target.has_webhook()) continue;
    v1::WebhookTarget* hook = target.mutable_webhook();
    for (auto& [name, value] : *hook->mutable_headers()) {
      if (IsSecretName(name)) value = kRedacted;
    }
    hook->set_url(RedactUrlPath(hook->url()));
  }
}

std::string RedactUrlPath(absl::string_view url) {
  const size_t scheme = url.find("://");
  const size_t path =
      scheme == absl::string_view::npos ? scheme : url.find('/', scheme + 3);
  if (path == absl::string_view::npos) return std::string(url);
  return absl::StrCat(url.substr(0, path + 1), kRedacted);
}

std::string RedactDsn(absl::string_view dsn) {
  std::string out(dsn);
  // URI: postgres://user:password@host/... and ?password=... .
  if (absl::StartsWith(out, "postgres://") ||
      absl::StartsWith(out, "postgresql://")) {
    const size_t scheme = out.find("://") + 3;
    const size_t at = out.find('@', scheme);
    const size_t colon = out.find(':', scheme);
    if (at != std::string::npos && colon != std::string::npos && colon < at) {
      out.replace(colon + 1, at - colon - 1, kRedacted);
    }
    for (const char* key : {"?password=", "&password="}) {
      const size_t p = out.find(key);
      if (p == std::string::npos) continue;
      const size_t from = p + std::string_view(key).size();
      const size_t end = out.find('&', from);
      out.replace(from, (end == std::string::npos ? out.size() : end) - from,
                  kRedacted);
    }
    return out;
  }
  // key=value pairs: password=secret or password='a quoted \' secret'.
  for (size_t p = out.find("password"); p != std::string::npos;
       p = out.find("password", p + 1)) {
    if (p > 0 && !absl::ascii_isspace(static_cast<unsigned char>(out[p - 1]))) {
      continue;
    }
    size_t eq = p + std::string_view("password").size();
    while (eq < out.size() && out[eq] == ' ') ++eq;
    if (eq >= out.size() || out[eq] != '=') continue;
    size_t from = eq + 1;
    while (from < out.size() && out[from] == ' ') ++from;
    size_t end = from;
    if (end < out.size() && out[end] == '\'') {
      for (++end; end < out.size() && out[end] != '\''; ++end) {
        if (out[end] == '\\') ++end;
      }
      end = std::min(end + 1, out.size());
    } else {
      while (end < out.size() &&
             !absl::ascii_isspace(static_cast<unsigned char>(out[end]))) {
        ++end;
      }
    }
    out.replace(from, end - from, kRedacted);
  }
  return out;
}

}  // namespace ap
