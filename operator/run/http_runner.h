#ifndef AP_OPERATOR_RUN_HTTP_RUNNER_H_
#define AP_OPERATOR_RUN_HTTP_RUNNER_H_

// HTTP steps through libcurl: method, URL (http and https only), headers,
// body, the timeout, the expected status codes (any 2xx when none are
// given). The response body is the step's output, cut to the configured
// size.
//
// Connections are kept and reused: a call takes an idle curl handle (each
// keeps its own open connections, reset of every option between calls)
// and gives it back after, so steps calling the same host do not pay a new
// TCP (and TLS) handshake each time. A handle is not kept after a failed
// transfer or an answer without a body (1xx, 204, 304, HEAD): bytes a
// broken server sends after such an answer would be read as the next
// step's answer. Thread-safe: one handle per call at a time; at most
// kMaxIdle handles are kept idle.

#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "operator/run/step_runner.h"

namespace ap {

class HttpRunner : public StepRunner {
 public:
  static constexpr size_t kMaxIdle = 256;

  HttpRunner();  // curl_global_init, once per process
  ~HttpRunner() override;
  v1::StepResult Run(const v1::Step& step, const StepContext& ctx) override;

 private:
  // CURL*, kept opaque here.
  void* Take() ABSL_LOCKS_EXCLUDED(mu_);
  void Give(void* handle) ABSL_LOCKS_EXCLUDED(mu_);

  absl::Mutex mu_;
  std::vector<void*> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ap

#endif  // AP_OPERATOR_RUN_HTTP_RUNNER_H_
