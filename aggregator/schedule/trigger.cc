#include "aggregator/schedule/trigger.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/cron/jitter.h"
#include "common/proto_time.h"

namespace ap {
namespace {

absl::Status FieldError(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

}  // namespace

absl::StatusOr<Trigger> Trigger::Create(const v1::Trigger& proto,
                                        std::optional<absl::Time> start_at,
                                        std::optional<absl::Time> expire_at,
                                        absl::Time created_at,
                                        absl::Duration offset) {
  Trigger t;
  t.offset_ = offset;
  if (start_at) t.start_ = *start_at;
  if (expire_at) t.expire_ = *expire_at;
  if (start_at && expire_at && *expire_at <= *start_at) {
    return FieldError("expire_at", "must be after start_at");
  }
  switch (proto.kind_case()) {
    case v1::Trigger::kCron: {
      const v1::CronTrigger& cron = proto.cron();
      if (cron.schedules().empty()) {
        return FieldError("trigger.cron.schedules", "needs at least one");
      }
      if (cron.schedules_size() > kMaxSchedules) {
        return FieldError("trigger.cron.schedules",
                          absl::StrCat("at most ", kMaxSchedules, " allowed"));
      }
      if (absl::Status s = cron::LoadZone(cron.timezone()).status(); !s.ok()) {
        return FieldError("trigger.cron.timezone", s.message());
      }
      for (int i = 0; i < cron.schedules_size(); ++i) {
        absl::StatusOr<cron::Schedule> s =
            cron::Schedule::Parse(cron.schedules(i), cron.timezone());
        if (!s.ok()) {
          return FieldError(absl::StrCat("trigger.cron.schedules[", i, "]"),
                            s.status().message());
        }
        t.schedules_.push_back(*std::move(s));
      }
      t.anchor_ = start_at.value_or(created_at);
      t.cause_ = v1::EXECUTION_CAUSE_CRON;
      break;
    }
    case v1::Trigger::kFixedTimes: {
      const auto& times = proto.fixed_times().times();
      if (times.empty()) {
        return FieldError("trigger.fixed_times.times", "needs at least one");
      }
      if (times.size() > kMaxFixedTimes) {
        return FieldError("trigger.fixed_times.times",
                          absl::StrCat("at most ", kMaxFixedTimes, " allowed"));
      }
      for (int i = 0; i < times.size(); ++i) {
        if (absl::Status s = ValidateTimestamp(
                absl::StrCat("trigger.fixed_times.times[", i, "]"), times[i]);
            !s.ok()) {
          return s;
        }
        t.fixed_times_.push_back(FromProto(times[i]));
      }
      std::sort(t.fixed_times_.begin(), t.fixed_times_.end());
      t.fixed_times_.erase(
          std::unique(t.fixed_times_.begin(), t.fixed_times_.end()),
          t.fixed_times_.end());
      t.cause_ = v1::EXECUTION_CAUSE_FIXED;
      break;
    }
    case v1::Trigger::kInterval: {
      const google::protobuf::Duration& every = proto.interval().every();
      if (absl::Status s = ValidateDuration("trigger.interval.every", every);
          !s.ok()) {
        return s;
      }
      const absl::Duration d = FromProto(every);
      if (d < kMinInterval) {
        return FieldError("trigger.interval.every",
                          absl::StrCat("must be at least ",
                                       absl::FormatDuration(kMinInterval)));
      }
      absl::StatusOr<cron::Schedule> s = cron::Schedule::Parse(
          absl::StrCat("@every ", absl::FormatDuration(d)));
      if (!s.ok())
        return FieldError("trigger.interval.every", s.status().message());
      t.schedules_.push_back(*std::move(s));
      t.anchor_ = start_at.value_or(created_at);
      t.cause_ = v1::EXECUTION_CAUSE_INTERVAL;
      break;
    }
    case v1::Trigger::kManual:
      t.cause_ = v1::EXECUTION_CAUSE_MANUAL;
      break;
    case v1::Trigger::KIND_NOT_SET:
      return FieldError(
          "trigger", "set exactly one of cron, fixed_times, interval, manual");
  }
  return t;
}

absl::StatusOr<Trigger> Trigger::FromWorkflow(const v1::Workflow& w,
                                              absl::Time created_at) {
  std::optional<absl::Time> start_at;
  std::optional<absl::Time> expire_at;
  if (w.has_start_at()) {
    if (absl::Status s = ValidateTimestamp("start_at", w.start_at()); !s.ok()) {
      return s;
    }
    start_at = FromProto(w.start_at());
  }
  if (w.has_expire_at()) {
    if (absl::Status s = ValidateTimestamp("expire_at", w.expire_at());
        !s.ok()) {
      return s;
    }
    expire_at = FromProto(w.expire_at());
  }
  return Create(w.trigger(), start_at, expire_at, created_at, OffsetOf(w));
}

absl::Duration Trigger::OffsetOf(const v1::Workflow& w) {
  if (!w.policy().has_jitter()) return absl::ZeroDuration();
  return cron::JitterOffset(w.id(), FromProto(w.policy().jitter()));
}

absl::Time Trigger::NextUnbounded(absl::Time after) const {
  after -= offset_;
  absl::Time best = absl::InfiniteFuture();
  for (const cron::Schedule& s : schedules_) {
    best = std::min(best, s.Next(after, anchor_));
  }
  auto it = std::upper_bound(fixed_times_.begin(), fixed_times_.end(), after);
  if (it != fixed_times_.end()) best = std::min(best, *it);
  return best == absl::InfiniteFuture() ? best : best + offset_;
}

std::optional<absl::Time> Trigger::Next(absl::Time after) const {
  // Fires at or after start_at count: search from just before it.
  if (after < start_) after = start_ - absl::Nanoseconds(1);
  const absl::Time next = NextUnbounded(after);
  if (next == absl::InfiniteFuture() || next >= expire_) return std::nullopt;
  return next;
}

}  // namespace ap
