#include "common/cron/cron_expr.h"

#include <bit>

namespace ap::cron {
namespace {

// The lowest set bit of `mask` at or above `from`, or -1.
int NextBit(uint64_t mask, int from) {
  if (from >= 64) return -1;
  const uint64_t rest = mask >> from;
  return rest == 0 ? -1 : from + std::countr_zero(rest);
}

int DaysInMonth(int year, int month) {
  const absl::CivilDay first_of_next(year, month + 1, 1);
  return (first_of_next - 1).day();
}

// 0 = Sunday.
int Weekday(absl::CivilDay d) {
  switch (absl::GetWeekday(d)) {
    case absl::Weekday::sunday: return 0;
    case absl::Weekday::monday: return 1;
    case absl::Weekday::tuesday: return 2;
    case absl::Weekday::wednesday: return 3;
    case absl::Weekday::thursday: return 4;
    case absl::Weekday::friday: return 5;
    case absl::Weekday::saturday: return 6;
  }
  return 0;
}

// The weekday nearest to day `n` of the month without leaving the month
// (Quartz's `nW`); 0 when the month has no day n.
int NearestWeekday(int year, int month, int n, int last_day) {
  if (n > last_day) return 0;
  const int w = Weekday(absl::CivilDay(year, month, n));
  if (w == 6) return n == 1 ? 3 : n - 1;          // Saturday
  if (w == 0) return n == last_day ? n - 2 : n + 1;  // Sunday
  return n;
}

int LastWeekday(int year, int month, int last_day) {
  const int w = Weekday(absl::CivilDay(year, month, last_day));
  if (w == 6) return last_day - 1;
  if (w == 0) return last_day - 2;
  return last_day;
}

constexpr int kSearchYears = 400;

}  // namespace

bool CronExpr::DomMatches(int year, int month, int day, int last_day) const {
  if ((dom_ >> day) & 1) return true;
  if (dom_last_ && day == last_day) return true;
  if (dom_last_weekday_ && day == LastWeekday(year, month, last_day)) {
    return true;
  }
  for (uint32_t bits = dom_nearest_weekday_; bits != 0; bits &= bits - 1) {
    const int n = std::countr_zero(bits);
    if (NearestWeekday(year, month, n, last_day) == day) return true;
  }
  return false;
}

bool CronExpr::DowMatches(int weekday, int day, int last_day) const {
  if ((dow_ >> weekday) & 1) return true;
  if (((dow_last_ >> weekday) & 1) && day + 7 > last_day) return true;
  if (dow_nth_ != 0) {
    const int nth = (day - 1) / 7 + 1;
    if ((dow_nth_ >> (weekday * 5 + nth - 1)) & 1) return true;
  }
  return false;
}

bool CronExpr::DayMatches(absl::CivilDay d) const {
  const int year = static_cast<int>(d.year());
  const int last_day = DaysInMonth(year, d.month());
  const bool dom = DomMatches(year, d.month(), d.day(), last_day);
  const bool dow = DowMatches(Weekday(d), d.day(), last_day);
  // Vixie cron: either may match when both are restricted.
  return (dom_star_ || dow_star_) ? (dom && dow) : (dom || dow);
}

bool CronExpr::Matches(absl::CivilSecond t) const {
  return ((months_ >> t.month()) & 1) && ((hours_ >> t.hour()) & 1) &&
         ((minutes_ >> t.minute()) & 1) && ((seconds_ >> t.second()) & 1) &&
         DayMatches(absl::CivilDay(t));
}

std::optional<absl::CivilSecond> CronExpr::NextMatch(
    absl::CivilSecond from) const {
  const int64_t year_limit = from.year() + kSearchYears;
  absl::CivilSecond t = from;
  while (t.year() <= year_limit) {
    if (!((months_ >> t.month()) & 1)) {
      const int m = NextBit(months_, t.month() + 1);
      t = m > 0 ? absl::CivilSecond(t.year(), m, 1, 0, 0, 0)
                : absl::CivilSecond(t.year() + 1, 1, 1, 0, 0, 0);
      continue;
    }
    if (!DayMatches(absl::CivilDay(t))) {
      t = absl::CivilSecond(absl::CivilDay(t) + 1);
      continue;
    }
    if (!((hours_ >> t.hour()) & 1)) {
      const int h = NextBit(hours_, t.hour() + 1);
      t = h >= 0 ? absl::CivilSecond(absl::CivilHour(t.year(), t.month(),
                                                     t.day(), h))
                 : absl::CivilSecond(absl::CivilDay(t) + 1);
      continue;
    }
    if (!((minutes_ >> t.minute()) & 1)) {
      const int m = NextBit(minutes_, t.minute() + 1);
      t = m >= 0 ? absl::CivilSecond(absl::CivilMinute(t) + (m - t.minute()))
                 : absl::CivilSecond(absl::CivilHour(t) + 1);
      continue;
    }
    if (!((seconds_ >> t.second()) & 1)) {
      const int s = NextBit(seconds_, t.second() + 1);
      t = s >= 0 ? t + (s - t.second())
                 : absl::CivilSecond(absl::CivilMinute(t) + 1);
      continue;
    }
    return t;
  }
  return std::nullopt;
}

}  // namespace ap::cron
