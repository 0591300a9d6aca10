#include "aggregator/schedule/scheduler.h"

#include <utility>

namespace ap {

std::optional<absl::Time> Scheduler::Upsert(absl::string_view id,
                                            Trigger trigger, absl::Time after,
                                            bool paused) {
  absl::MutexLock l(&mu_);
  const std::optional<absl::Time> next = trigger.Next(after);
  queue_.Put(id, Entry{std::move(trigger), paused});
  if (next && !paused) {
    queue_.Arm(id, *next);
  } else {
    queue_.Disarm(id);
  }
  return next;
}

bool Scheduler::Rearm(absl::string_view id, absl::Time at) {
  absl::MutexLock l(&mu_);
  Entry* e = queue_.Find(id);
  if (e == nullptr || e->paused) return false;
  return queue_.Arm(id, at);
}

bool Scheduler::Remove(absl::string_view id) {
  absl::MutexLock l(&mu_);
  return queue_.Erase(id);
}

bool Scheduler::Pause(absl::string_view id) {
  absl::MutexLock l(&mu_);
  Entry* e = queue_.Find(id);
  if (e == nullptr) return false;
  e->paused = true;
  queue_.Disarm(id);
  return true;
}

std::optional<absl::Time> Scheduler::Resume(absl::string_view id,
                                            absl::Time after) {
  absl::MutexLock l(&mu_);
  Entry* e = queue_.Find(id);
  if (e == nullptr) return std::nullopt;
  e->paused = false;
  const std::optional<absl::Time> next = e->trigger.Next(after);
  if (next) queue_.Arm(id, *next);
  return next;
}

std::vector<Scheduler::Fire> Scheduler::TakeDue(absl::Time now, size_t max) {
  std::vector<Fire> fires;
  absl::MutexLock l(&mu_);
  while (fires.size() < max) {
    std::optional<TimerQueue<Entry>::Armed> top = queue_.Earliest();
    if (!top || top->at > now) break;
    const std::string id = *top->id;
    Entry* e = queue_.Find(id);
    const std::optional<absl::Time> next = e->trigger.Next(top->at);
    fires.push_back({id, top->at, e->trigger.cause(), next});
    if (next) {
      queue_.Arm(id, *next);
    } else {
      queue_.Disarm(id);
    }
  }
  return fires;
}

std::vector<std::pair<std::string, absl::Time>> Scheduler::PeekDue(
    absl::Time now, size_t max) const {
  absl::MutexLock l(&mu_);
  std::vector<std::pair<std::string, absl::Time>> out;
  for (const TimerQueue<Entry>::Armed& a : queue_.ArmedBy(now, max)) {
    out.emplace_back(*a.id, a.at);
  }
  return out;
}

size_t Scheduler::DueCount(absl::Time now) const {
  absl::MutexLock l(&mu_);
  return queue_.ArmedBy(now, queue_.armed()).size();
}

std::optional<absl::Time> Scheduler::NextFireTime() const {
  absl::MutexLock l(&mu_);
  std::optional<TimerQueue<Entry>::Armed> top = queue_.Earliest();
  if (!top) return std::nullopt;
  return top->at;
}

std::optional<absl::Time> Scheduler::NextFireTime(absl::string_view id) const {
  absl::MutexLock l(&mu_);
  return queue_.ArmedAt(id);
}

std::vector<absl::Time> Scheduler::FiresBetween(absl::string_view id,
                                                absl::Time after,
                                                absl::Time until,
                                                size_t max) const {
  std::vector<absl::Time> out;
  absl::MutexLock l(&mu_);
  const Entry* e = queue_.Find(id);
  if (e == nullptr) return out;
  for (std::optional<absl::Time> t = e->trigger.Next(after);
       t && *t <= until && out.size() < max; t = e->trigger.Next(*t)) {
    out.push_back(*t);
  }
  return out;
}

size_t Scheduler::size() const {
  absl::MutexLock l(&mu_);
  return queue_.size();
}

size_t Scheduler::armed() const {
  absl::MutexLock l(&mu_);
  return queue_.armed();
}

}  // namespace ap
