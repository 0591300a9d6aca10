#ifndef AP_AGGREGATOR_NOTIFY_RENDER_H_
#define AP_AGGREGATOR_NOTIFY_RENDER_H_

// A notification as it is sent: the target's webhook request with its
// body rendered, made when the event is recorded (so that delivery needs
// nothing but the record, even after the workflow changed or went).
//
// The body is the target's template (WebhookTarget.body) with each
// placeholder replaced by its value JSON-escaped (no quotes added), or,
// without a template, ap's own JSON document:
//
//   {"id": "...", "event": "failed", "count": 1, "text": "...",
//    "workflow": {"id": "...", "name": "..."},
//    "execution": {"id": "...", "status": "FAILED", "reason": "...",
//                  "scheduled_at": "...", "attempt": 1},
//    "held": {"failed": 3}, "created_at": "..."}
//
// `count` is how many events the notification stands for: 1, or for a
// summary the events held back during the quiet period (`held`, by event).

#include <map>
#include <string>

#include "absl/time/time.h"
#include "ap/store/v1/records.pb.h"
#include "ap/v1/workflow.pb.h"
#include "common/template/template.h"

namespace ap {

// The placeholders a WebhookTarget.body may use.
const TemplateNames& NotificationTemplateNames();

// "failed", "missed", "recovered".
std::string EventName(v1::NotifyEvent event);

struct NotificationFacts {
  std::string id;
  v1::NotifyEvent event;
  // Events it stands for, by EventName (a summary: several).
  std::map<std::string, int64_t> held;
  const v1::Workflow* workflow;
  const v1::Execution* execution;  // the latest one it is about
  absl::Time now;
};

// The record to deliver to `target`. INVALID_ARGUMENT if its body does not
// parse (validation refuses such a workflow).
absl::StatusOr<store::v1::NotificationRecord> RenderNotification(
    const v1::NotifyTarget& target, const NotificationFacts& facts);

}  // namespace ap

#endif  // AP_AGGREGATOR_NOTIFY_RENDER_H_
