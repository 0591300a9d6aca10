#include "cli/cron_next.h"

#include "absl/strings/str_cat.h"
#include "common/cron/schedule.h"

namespace ap {

absl::StatusOr<std::vector<std::string>> CronNext(absl::string_view expr,
                                                  absl::string_view zone,
                                                  absl::string_view from,
                                                  int count, absl::Time now) {
  if (count < 1 || count > 10000) {
    return absl::InvalidArgumentError(
        absl::StrCat("-n ", count, " must be between 1 and 10000"));
  }
  absl::Time start = now;
  if (!from.empty()) {
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, from, &start, &err)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--from \"", from,
          "\" is not an RFC 3339 time such as 2026-03-07T20:00:00Z"));
    }
  }
  absl::StatusOr<cron::Schedule> schedule = cron::Schedule::Parse(expr, zone);
  if (!schedule.ok()) return schedule.status();
  std::vector<std::string> out;
  absl::Time t = start;
  for (int i = 0; i < count; ++i) {
    t = schedule->Next(t, /*anchor=*/start);
    if (t == absl::InfiniteFuture()) break;
    out.push_back(
        absl::FormatTime("%Y-%m-%d%ET%H:%M:%S%Ez", t, schedule->time_zone()));
  }
  return out;
}

}  // namespace ap
