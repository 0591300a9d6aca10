#ifndef AP_AGGREGATOR_NOTIFY_WEBHOOK_CLIENT_H_
#define AP_AGGREGATOR_NOTIFY_WEBHOOK_CLIENT_H_

// The transport seam of notifications: one POST of a rendered
// notification. CurlWebhookClient is the real one (libcurl, a handle per
// call); tests use a fake. Thread-safe.

#include <atomic>

#include "absl/status/status.h"
#include "ap/store/v1/records.pb.h"

namespace ap {

class WebhookClient {
 public:
  virtual ~WebhookClient() = default;
  // OK on a 2xx answer; UNAVAILABLE naming the status code or the
  // transport's error otherwise, or CANCELLED soon after `*cancel` turns
  // true (the aggregator stops leading).
  virtual absl::Status Post(const store::v1::NotificationRecord& n,
                            const std::atomic<bool>* cancel) = 0;
};

class CurlWebhookClient : public WebhookClient {
 public:
  CurlWebhookClient();  // curl_global_init, once per process
  absl::Status Post(const store::v1::NotificationRecord& n,
                    const std::atomic<bool>* cancel) override;
};

}  // namespace ap

#endif  // AP_AGGREGATOR_NOTIFY_WEBHOOK_CLIENT_H_
