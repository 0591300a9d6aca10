#include "aggregator/notify/webhook_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/proto_time.h"
#include "common/redact.h"

namespace ap {
namespace {

// The start of the answer's body, for the error.
size_t OnData(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  const size_t room = body->size() < 256 ? 256 - body->size() : 0;
  body->append(data, std::min(room, size * n));
  return size * n;
}

int OnProgress(void* cancel, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(cancel)->load() ? 1 : 0;
}

}  // namespace

CurlWebhookClient::CurlWebhookClient() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

absl::Status CurlWebhookClient::Post(const store::v1::NotificationRecord& n,
                                     const std::atomic<bool>* cancel) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::UnavailableError("cannot create a curl handle");
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : n.headers()) {
    headers =
        curl_slist_append(headers, absl::StrCat(name, ": ", value).c_str());
  }
  std::string answer;
  const int64_t timeout_ms =
      n.has_timeout() ? absl::ToInt64Milliseconds(FromProto(n.timeout())) : 10000;
  curl_easy_setopt(curl, CURLOPT_URL, n.url().c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, n.body().data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(n.body().size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, std::max<long>(1, timeout_ms));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnData);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &OnProgress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, cancel);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  const CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc == CURLE_ABORTED_BY_CALLBACK) {
    return absl::CancelledError("the aggregator stopped leading");
  }
  if (rc != CURLE_OK) {
    return absl::UnavailableError(
        absl::StrCat("POST ", RedactUrlPath(n.url()), ": ",
                     curl_easy_strerror(rc)));
  }
  if (status < 200 || status >= 300) {
    return absl::UnavailableError(absl::StrCat(
        "POST ", RedactUrlPath(n.url()), " answered ", status, ": ", answer));
  }
  return absl::OkStatus();
}

}  // namespace ap
