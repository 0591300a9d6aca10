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

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}

// Weekday (0 = Sunday) of a civil date, from days since 1970-01-01 (a
// Thursday) by Howard Hinnant's days_from_civil.
int Weekday(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = era * 146097 + doe - 719468;
  return static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 is 4
}

// The weekday nearest to day `n` of the month without leaving the month
// (Quartz's `nW`); 0 when the month has no day n.
int NearestWeekday(int n, int first_weekday, int last_day) {
  if (n > last_day) return 0;
  const int w = (first_weekday + n - 1) % 7;
  if (w == 6) return n == 1 ? 3 : n - 1;             // Saturday
  if (w == 0) return n == last_day ? n - 2 : n + 1;  // Sunday
  return n;
}

int LastWeekday(int first_weekday, int last_day) {
  const int w = (first_weekday + last_day - 1) % 7;
  if (w == 6) return last_day - 1;
  if (w == 0) return last_day - 2;
  return last_day;
}

// Bits 1, 8, 15, 22, 29: one day a week, starting on day 1.
constexpr uint32_t kWeekly =
    (1u << 1) | (1u << 8) | (1u << 15) | (1u << 22) | (1u << 29);

constexpr int kSearchYears = 400;

}  // namespace

uint32_t CronExpr::DayMask(int64_t year, int month) const {
  const int last_day = DaysInMonth(year, month);
  const uint32_t in_month =
      (last_day == 31 ? 0xFFFFFFFFu : (1u << (last_day + 1)) - 1) & ~1u;
  const int first_weekday = Weekday(year, month, 1);

  uint32_t dom = dom_;
  if (dom_last_) dom |= 1u << last_day;
  if (dom_last_weekday_) dom |= 1u << LastWeekday(first_weekday, last_day);
  for (uint32_t bits = dom_nearest_weekday_; bits != 0; bits &= bits - 1) {
    dom |=
        1u << NearestWeekday(std::countr_zero(bits), first_weekday, last_day);
  }

  uint32_t dow = 0;
  for (int w = 0; w < 7; ++w) {
    // The first day of the month that falls on weekday w.
    const int first = (w - first_weekday + 7) % 7 + 1;
    if ((dow_ >> w) & 1) dow |= kWeekly << (first - 1);
    if ((dow_last_ >> w) & 1) {
      dow |= 1u << (first + (last_day - first) / 7 * 7);
    }
    for (int k = 1; k <= 5; ++k) {
      if ((dow_nth_ >> (w * 5 + k - 1)) & 1) {
        const int day = first + 7 * (k - 1);
        if (day <= last_day) dow |= 1u << day;
      }
    }
  }
  // Vixie cron: either may match when both are restricted.
  const uint32_t days = (dom_star_ || dow_star_) ? (dom & dow) : (dom | dow);
  return days & in_month & ~1u;  // bit 0 is never a day (nearest-weekday 0)
}

bool CronExpr::Matches(absl::CivilSecond t) const {
  return ((months_ >> t.month()) & 1) && ((hours_ >> t.hour()) & 1) &&
         ((minutes_ >> t.minute()) & 1) && ((seconds_ >> t.second()) & 1) &&
         ((DayMask(t.year(), t.month()) >> t.day()) & 1);
}

std::optional<absl::CivilSecond> CronExpr::NextMatch(
    absl::CivilSecond from) const {
  const int64_t year_limit = from.year() + kSearchYears;
  int64_t y = from.year();
  int mo = from.month();
  int d = from.day();
  int h = from.hour();
  int mi = from.minute();
  int s = from.second();
  // Each step either accepts the current unit or moves to the start of the
  // next candidate one, resetting the smaller units.
  while (y <= year_limit) {
    if (!((months_ >> mo) & 1)) {
      const int next = NextBit(months_, mo + 1);
      if (next < 0) {
        ++y;
        mo = NextBit(months_, 1);
      } else {
        mo = next;
      }
      d = 1, h = 0, mi = 0, s = 0;
      continue;
    }
    const int day = NextBit(DayMask(y, mo), d);
    if (day < 0) {
      if (++mo > 12) ++y, mo = 1;
      d = 1, h = 0, mi = 0, s = 0;
      continue;
    }
    if (day != d) d = day, h = 0, mi = 0, s = 0;
    const int hour = NextBit(hours_, h);
    if (hour < 0) {
      ++d, h = 0, mi = 0, s = 0;  // past the month's end DayMask finds none
      continue;
    }
    if (hour != h) h = hour, mi = 0, s = 0;
    const int minute = NextBit(minutes_, mi);
    if (minute < 0) {
      ++h, mi = 0, s = 0;
      continue;
    }
    if (minute != mi) mi = minute, s = 0;
    const int second = NextBit(seconds_, s);
    if (second < 0) {
      ++mi, s = 0;
      continue;
    }
    return absl::CivilSecond(y, mo, d, h, mi, second);
  }
  return std::nullopt;
}

}  // namespace ap::cron
