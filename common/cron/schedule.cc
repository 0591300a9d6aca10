#include "common/cron/schedule.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace ap::cron {
namespace {

// The first whole second strictly after `t`.
absl::Time NextWholeSecond(absl::Time t) {
  // ToUnixSeconds rounds toward negative infinity.
  return absl::FromUnixSeconds(absl::ToUnixSeconds(t) + 1);
}

absl::StatusOr<absl::Duration> ParseEvery(absl::string_view text) {
  absl::string_view rest = absl::StripAsciiWhitespace(text.substr(6));
  absl::Duration d;
  if (rest.empty() || !absl::ParseDuration(rest, &d)) {
    return absl::InvalidArgumentError(
        absl::StrCat("@every needs a duration such as 90s, 5m or 1h30m; got \"",
                     rest, "\""));
  }
  if (d < absl::Seconds(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("@every ", rest, " is shorter than the 1s minimum"));
  }
  if (d == absl::InfiniteDuration() || absl::Trunc(d, absl::Seconds(1)) != d) {
    return absl::InvalidArgumentError(
        absl::StrCat("@every ", rest, " must be a whole number of seconds"));
  }
  return d;
}

}  // namespace

absl::StatusOr<absl::TimeZone> LoadZone(absl::string_view name) {
  absl::TimeZone zone = absl::UTCTimeZone();
  if (name.empty()) return zone;
  if (!absl::LoadTimeZone(name, &zone)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown time zone \"", name,
        "\"; use an IANA name such as Europe/Berlin or America/New_York"));
  }
  return zone;
}

absl::StatusOr<Schedule> Schedule::Parse(absl::string_view expr,
                                         absl::string_view time_zone) {
  absl::StatusOr<absl::TimeZone> zone = LoadZone(time_zone);
  if (!zone.ok()) return zone.status();
  absl::string_view trimmed = absl::StripAsciiWhitespace(expr);
  if (absl::StartsWithIgnoreCase(trimmed, "@every") &&
      (trimmed.size() == 6 || absl::ascii_isspace(trimmed[6]))) {
    absl::StatusOr<absl::Duration> every = ParseEvery(trimmed);
    if (!every.ok()) return every.status();
    return Schedule(std::nullopt, *every, *zone);
  }
  absl::StatusOr<CronExpr> cron = CronExpr::Parse(trimmed);
  if (!cron.ok()) return cron.status();
  return Schedule(*cron, absl::ZeroDuration(), *zone);
}

absl::Time Schedule::Next(absl::Time after, absl::Time anchor) const {
  if (!expr_) return NextInterval(after, anchor);
  return expr_->wildcard() ? NextWildcard(after) : NextFixed(after);
}

absl::Time Schedule::NextInterval(absl::Time after, absl::Time anchor) const {
  if (after < anchor) return anchor;
  // k = floor((after - anchor) / interval) + 1, in whole seconds.
  const int64_t elapsed = absl::ToInt64Seconds(after - anchor);
  const int64_t period = absl::ToInt64Seconds(interval_);
  return anchor + interval_ * (elapsed / period + 1);
}

// Matching civil times map to instants in civil order: a time in a gap to
// the end of the gap, a repeated time to its first occurrence. The first
// such instant after `after` is the answer.
absl::Time Schedule::NextFixed(absl::Time after) const {
  absl::CivilSecond from = zone_.At(NextWholeSecond(after)).cs;
  while (true) {
    std::optional<absl::CivilSecond> match = expr_->NextMatch(from);
    if (!match) return absl::InfiniteFuture();
    const absl::TimeZone::TimeInfo info = zone_.At(*match);
    const absl::Time t =
        info.kind == absl::TimeZone::TimeInfo::SKIPPED ? info.trans : info.pre;
    if (t > after) return t;
    from = *match + 1;  // an overlap's second pass: already fired
  }
}

// Walks real time: within one UTC offset civil and real time move
// together; at each offset change the search restarts from the new wall
// time, so skipped wall times never match and repeated ones match twice.
absl::Time Schedule::NextWildcard(absl::Time after) const {
  absl::Time t = NextWholeSecond(after);
  while (true) {
    const absl::TimeZone::CivilInfo here = zone_.At(t);
    std::optional<absl::CivilSecond> match = expr_->NextMatch(here.cs);
    if (!match) return absl::InfiniteFuture();
    const absl::Time candidate = t + absl::Seconds(*match - here.cs);
    absl::TimeZone::CivilTransition change;
    if (zone_.NextTransition(t, &change)) {
      const absl::Time change_at = zone_.At(change.to).post;
      if (change_at > t && candidate >= change_at) {
        t = change_at;
        continue;
      }
    }
    return candidate;
  }
}

}  // namespace ap::cron
