#ifndef AP_COMMON_CRON_SCHEDULE_H_
#define AP_COMMON_CRON_SCHEDULE_H_

// One schedule: a cron expression in an IANA time zone, or `@every D`.
//
// Next(after) is the first fire strictly after `after`, with Vixie cron's
// daylight-saving rules:
//   - A fixed-time schedule (seconds, minute and hour fields not beginning
//     with `*`) whose wall time falls in a spring-forward gap fires once, at
//     the first instant after the gap; in a fall-back overlap it fires once,
//     at the first occurrence.
//   - A wildcard schedule (hourly or more often, see CronExpr::wildcard)
//     follows real time: wall times skipped by a gap do not occur, and wall
//     times repeated by an overlap fire in both occurrences.
// Fires fall on whole seconds.
//
// `@every D` (D at least 1 s, whole seconds, e.g. `@every 90s`,
// `@every 1h30m`) fires at anchor + k*D for whole k; the caller supplies
// the anchor (a workflow's start_at or creation).
//
// Immutable and thread-compatible.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/cron/cron_expr.h"

namespace ap::cron {

// Loads an IANA zone; "" means UTC. INVALID_ARGUMENT names an unknown zone.
absl::StatusOr<absl::TimeZone> LoadZone(absl::string_view name);

class Schedule {
 public:
  static absl::StatusOr<Schedule> Parse(absl::string_view expr,
                                        absl::string_view time_zone = "");

  // The first fire strictly after `after`, or InfiniteFuture() when there
  // is none. `anchor` matters only for @every.
  absl::Time Next(absl::Time after,
                  absl::Time anchor = absl::UnixEpoch()) const;

  bool is_interval() const { return !expr_.has_value(); }
  absl::Duration interval() const { return interval_; }
  const absl::TimeZone& time_zone() const { return zone_; }

 private:
  Schedule(std::optional<CronExpr> expr, absl::Duration interval,
           absl::TimeZone zone)
      : expr_(expr), interval_(interval), zone_(zone) {}

  absl::Time NextFixed(absl::Time after) const;
  absl::Time NextWildcard(absl::Time after) const;
  absl::Time NextInterval(absl::Time after, absl::Time anchor) const;

  std::optional<CronExpr> expr_;  // unset for @every
  absl::Duration interval_;
  absl::TimeZone zone_;
};

}  // namespace ap::cron

#endif  // AP_COMMON_CRON_SCHEDULE_H_
