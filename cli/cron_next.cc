#include "cli/cron_next.h"

#include "absl/strings/str_cat.h"
#include "common/cron/jitter.h"
#include "common/cron/schedule.h"

namespace ap {

absl::StatusOr<std::vector<std::string>> CronNext(
    absl::string_view expr, absl::string_view zone, absl::string_view from,
    int count, absl::Time now, absl::Duration jitter,
    absl::string_view workflow_id) {
  if (jitter < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--jitter must not be negative");
  }
  if (jitter > absl::ZeroDuration() && workflow_id.empty()) {
    return absl::InvalidArgumentError(
        "--jitter needs --workflow=ID: each workflow's offset is derived "
        "from its id");
  }
  const absl::Duration offset = cron::JitterOffset(workflow_id, jitter);
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
    // As the aggregator's Trigger moves them.
    t = schedule->Next(t - offset, /*anchor=*/start);
    if (t == absl::InfiniteFuture()) break;
    t += offset;
    out.push_back(
        absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*S%Ez", t, schedule->time_zone()));
  }
  return out;
}

}  // namespace ap
