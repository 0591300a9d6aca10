#include "aggregator/http/activity.h"

#include <algorithm>

#include "aggregator/records/execution_state.h"
#include "common/proto_time.h"

namespace ap {
namespace {

// Minutes since the epoch (ap's times are after it).
int64_t MinuteOf(absl::Time t) { return absl::ToUnixSeconds(t) / 60; }

}  // namespace

Activity::Minute& Activity::Current() {
  const int64_t index = MinuteOf(clock_->TimeNow());
  Minute& m = ring_[static_cast<size_t>(index % kMinutes)];
  if (m.index != index) {
    m = Minute{};
    m.index = index;
  }
  return m;
}

void Activity::OnFired(size_t n, const std::vector<absl::Duration>& lateness) {
  if (n == 0 && lateness.empty()) return;
  absl::MutexLock lock(&mu_);
  Minute& m = Current();
  m.fired += static_cast<int64_t>(n);
  for (absl::Duration d : lateness) {
    ++m.late_count;
    m.late_sum += d;
    m.late_max = std::max(m.late_max, d);
  }
}

void Activity::OnFinished(v1::ExecutionStatus status, size_t n) {
  // SKIPPED is an end too, though never a run's (IsTerminal).
  if (n == 0 || (!IsTerminal(status) && status != v1::EXECUTION_STATUS_SKIPPED)) {
    return;
  }
  absl::MutexLock lock(&mu_);
  Current().finished[static_cast<size_t>(status)] += static_cast<int64_t>(n);
}

std::vector<v1::ActivityMinute> Activity::LastHour() {
  absl::MutexLock lock(&mu_);
  const int64_t now = MinuteOf(clock_->TimeNow());
  std::vector<v1::ActivityMinute> out;
  out.reserve(kMinutes);
  for (int64_t index = now - kMinutes + 1; index <= now; ++index) {
    v1::ActivityMinute& a = out.emplace_back();
    *a.mutable_start() = ToProtoTimestamp(absl::FromUnixSeconds(index * 60));
    const Minute& m = ring_[static_cast<size_t>(index % kMinutes)];
    if (m.index != index) continue;
    a.set_fired(m.fired);
    a.set_succeeded(m.finished[v1::EXECUTION_STATUS_SUCCEEDED]);
    a.set_failed(m.finished[v1::EXECUTION_STATUS_FAILED]);
    a.set_timed_out(m.finished[v1::EXECUTION_STATUS_TIMED_OUT]);
    a.set_canceled(m.finished[v1::EXECUTION_STATUS_CANCELED]);
    a.set_skipped(m.finished[v1::EXECUTION_STATUS_SKIPPED]);
    if (m.late_count > 0) {
      *a.mutable_lateness_mean() = ToProtoDuration(m.late_sum / m.late_count);
      *a.mutable_lateness_max() = ToProtoDuration(m.late_max);
    }
  }
  return out;
}

}  // namespace ap
