#include "operator/run/http_runner.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/proto_time.h"

namespace ap {
namespace {

struct Transfer {
  std::string body;
  bool truncated = false;
  size_t max = 0;
  const std::atomic<bool>* canceled = nullptr;
};

size_t OnData(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  AppendBounded(data, size * n, t->max, &t->body, &t->truncated);
  return size * n;  // keep reading: the status code still matters
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  return t->canceled != nullptr && t->canceled->load() ? 1 : 0;
}

bool Expected(const v1::HttpStep& h, long status) {
  if (h.expect_status().empty()) return status >= 200 && status < 300;
  return std::find(h.expect_status().begin(), h.expect_status().end(),
                   static_cast<int>(status)) != h.expect_status().end();
}

// Whether the connection can carry the next request. After an answer that
// has no body (1xx, 204, 304, or any answer to HEAD) curl reads no body,
// so bytes a broken server sends anyway stay on the connection and would
// be read as the start of the next answer; after a failed transfer the
// connection's state is unknown.
bool Reusable(CURLcode code, const std::string& method, long status) {
  if (code != CURLE_OK || method == "HEAD") return false;
  return status >= 200 && status != 204 && status != 304;
}

}  // namespace

HttpRunner::HttpRunner() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

HttpRunner::~HttpRunner() {
  absl::MutexLock l(&mu_);
  for (void* h : idle_) curl_easy_cleanup(static_cast<CURL*>(h));
}

void* HttpRunner::Take() {
  {
    absl::MutexLock l(&mu_);
    if (!idle_.empty()) {
      CURL* curl = static_cast<CURL*>(idle_.back());
      idle_.pop_back();
      curl_easy_reset(curl);  // options only: open connections stay
      return curl;
    }
  }
  return curl_easy_init();
}

void HttpRunner::Give(void* handle) {
  {
    absl::MutexLock l(&mu_);
    if (idle_.size() < kMaxIdle) {
      idle_.push_back(handle);
      return;
    }
  }
  curl_easy_cleanup(static_cast<CURL*>(handle));
}

v1::StepResult HttpRunner::Run(const v1::Step& step, const StepContext& ctx) {
  const v1::HttpStep& h = step.http();
  v1::StepResult r;
  const absl::Duration budget = ctx.deadline - ctx.clock->TimeNow();
  if (budget <= absl::ZeroDuration()) {
    r.set_status(v1::STEP_STATUS_TIMED_OUT);
    r.set_error("no time left before the execution's deadline");
    return r;
  }
  CURL* curl = static_cast<CURL*>(Take());
  if (curl == nullptr) {
    r.set_status(v1::STEP_STATUS_FAILED);
    r.set_error("cannot create a curl handle");
    return r;
  }
  Transfer t;
  t.max = ctx.max_output_bytes;
  t.canceled = ctx.canceled;
  const std::string method =
      h.method().empty() ? "GET" : absl::AsciiStrToUpper(h.method());
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : h.headers()) {
    headers =
        curl_slist_append(headers, absl::StrCat(name, ": ", value).c_str());
  }
  curl_easy_setopt(curl, CURLOPT_URL, h.url().c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   std::max<long>(1, absl::ToInt64Milliseconds(budget)));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnData);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &OnProgress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  if (method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  if (!h.body().empty() || method == "POST" || method == "PUT" ||
      method == "PATCH") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, h.body().data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(h.body().size()));
    if (method != "POST") {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
  }
  const CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  if (Reusable(code, method, status)) {
    Give(curl);
  } else {
    curl_easy_cleanup(curl);
  }

  r.set_http_status(static_cast<int>(status));
  r.set_output(std::move(t.body));
  r.set_output_truncated(t.truncated);
  if (code == CURLE_ABORTED_BY_CALLBACK) {
    r.set_status(v1::STEP_STATUS_CANCELED);
    r.set_error("canceled");
  } else if (code == CURLE_OPERATION_TIMEDOUT) {
    r.set_status(v1::STEP_STATUS_TIMED_OUT);
    r.set_error(absl::StrCat("no complete response within ",
                             absl::FormatDuration(budget)));
  } else if (code != CURLE_OK) {
    r.set_status(v1::STEP_STATUS_FAILED);
    r.set_error(
        absl::StrCat(method, " ", h.url(), ": ", curl_easy_strerror(code)));
  } else if (!Expected(h, status)) {
    r.set_status(v1::STEP_STATUS_FAILED);
    r.set_error(absl::StrCat("unexpected HTTP status ", status));
  } else {
    r.set_status(v1::STEP_STATUS_SUCCEEDED);
  }
  return r;
}

}  // namespace ap
