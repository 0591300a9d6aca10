#include "aggregator/notify/outbox.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "aggregator/records/keys.h"
#include "common/log/log.h"
#include "common/proto_time.h"
#include "common/status.h"

namespace ap {

NotificationOutbox::NotificationOutbox(WorkflowStore* store,
                                       WebhookClient* client, Clock* clock,
                                       OutboxOptions options, Observer observer)
    : store_(store),
      client_(client),
      clock_(clock),
      options_(options),
      observer_(std::move(observer)) {}

absl::Status NotificationOutbox::Load() {
  std::vector<store::v1::NotificationRecord> stored;
  AP_RETURN_IF_ERROR(
      store_->ForEachNotification([&](store::v1::NotificationRecord&& n) {
        stored.push_back(std::move(n));
        return true;
      }));
  {
    absl::MutexLock l(&mu_);
    by_id_.clear();
    due_.clear();
  }
  Add(std::move(stored));
  return absl::OkStatus();
}

void NotificationOutbox::Add(
    std::vector<store::v1::NotificationRecord> recorded) {
  absl::MutexLock l(&mu_);
  for (store::v1::NotificationRecord& n : recorded) {
    if (auto it = by_id_.find(n.id()); it != by_id_.end()) {
      due_.erase({FromProto(it->second.next_attempt_at()), n.id()});
    }
    due_.insert({FromProto(n.next_attempt_at()), n.id()});
    by_id_[n.id()] = std::move(n);
  }
}

std::optional<absl::Time> NotificationOutbox::NextDue() const {
  absl::MutexLock l(&mu_);
  if (due_.empty()) return std::nullopt;
  return due_.begin()->first;
}

size_t NotificationOutbox::size() const {
  absl::MutexLock l(&mu_);
  return by_id_.size();
}

absl::Duration NotificationOutbox::Delay(int attempts) {
  const BackoffOptions& b = options_.backoff;
  double seconds = absl::ToDoubleSeconds(b.initial) *
                   std::pow(b.multiplier, std::max(0, attempts - 1));
  seconds = std::min(seconds, absl::ToDoubleSeconds(b.max));
  absl::MutexLock l(&mu_);
  const double factor =
      absl::Uniform(random_, 1.0 - b.jitter, 1.0 + b.jitter);
  return std::min(absl::Seconds(seconds * factor), b.max);
}

absl::Status NotificationOutbox::Settle(const store::v1::NotificationRecord& n,
                                        bool keep) {
  WorkflowBatch batch;
  const std::string key = keys::Notification(n.workflow_id(), n.id());
  if (keep) {
    batch.PutRecord(key, n.SerializeAsString());
  } else {
    batch.DeleteRecord(key);
  }
  FairMutexLock l(store_->write_mutex());
  return store_->Write(batch);
}

absl::StatusOr<size_t> NotificationOutbox::DeliverDue(
    const std::atomic<bool>* cancel) {
  size_t delivered = 0;
  const absl::Time now = clock_->TimeNow();
  while (!cancel->load()) {
    store::v1::NotificationRecord n;
    {
      absl::MutexLock l(&mu_);
      if (due_.empty() || due_.begin()->first > now) break;
      n = by_id_.at(due_.begin()->second);
    }
    const absl::Status sent = client_->Post(n, cancel);
    if (absl::IsCancelled(sent)) break;  // tried again by the next leader
    const absl::Time after = clock_->TimeNow();
    absl::string_view result = "delivered";
    store::v1::NotificationRecord next = n;
    if (!sent.ok()) {
      next.set_attempts(n.attempts() + 1);
      next.set_last_error(std::string(sent.message()).substr(0, 1024));
      result = after - FromProto(n.created_at()) >= options_.give_up_after
                   ? "dropped"
                   : "failed";
      *next.mutable_next_attempt_at() =
          ToProtoTimestamp(after + Delay(next.attempts()));
    }
    AP_RETURN_IF_ERROR(Settle(next, /*keep=*/result == "failed"));
    {
      absl::MutexLock l(&mu_);
      due_.erase({FromProto(n.next_attempt_at()), n.id()});
      if (result == "failed") {
        due_.insert({FromProto(next.next_attempt_at()), n.id()});
        by_id_[n.id()] = next;
      } else {
        by_id_.erase(n.id());
      }
    }
    const spdlog::level::level_enum level =
        result == "delivered" ? spdlog::level::info
        : result == "dropped" ? spdlog::level::err
                              : spdlog::level::warn;
    LogEvent(level, absl::StrCat("notification_", result),
             {{"notification", n.id()},
              {"target", n.target_id()},
              {"attempts", next.attempts()},
              {"error", sent.ok() ? "" : next.last_error()}});
    if (observer_) observer_(next, result);
    if (result == "delivered") ++delivered;
  }
  return delivered;
}

}  // namespace ap
