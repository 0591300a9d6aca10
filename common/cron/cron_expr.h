#ifndef AP_COMMON_CRON_CRON_EXPR_H_
#define AP_COMMON_CRON_CRON_EXPR_H_

// A cron expression parsed once into bitsets, matched in civil time.
//
// Syntax: 5 fields (minute hour day-of-month month day-of-week) or 6 (a
// leading seconds field). Each field is a comma-separated list of `*`,
// `N`, `N-M`, `*/S`, `N-M/S`, `N/S` (N to the field's maximum); months
// JAN-DEC and days SUN-SAT by name, case-insensitive; day of week 0-7
// (0 and 7 are Sunday). `?` is `*` in the day fields. Day of month also
// takes `L` (last day), `LW` (last weekday) and `NW` (the weekday nearest
// day N, never crossing into another month; no fire when the month has no
// day N). Day of week also takes `DL` (last D of the month, `5L` = last
// Friday), `D#K` (K-th D of the month, K 1-5) and `L` (Saturday).
// Descriptors: @yearly @annually @monthly @weekly @daily @midnight
// @hourly. (`@every` is not a civil pattern: see schedule.h.)
//
// Day of month and day of week combine as in Vixie cron: when both are
// restricted either may match; when either begins with `*` (or is `?`),
// both must.
//
// Expressions that can never match (`0 0 30 2 *`) are rejected by Parse.
// Immutable and thread-compatible; cheap to copy (about 64 bytes).

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace ap::cron {

class CronExpr {
 public:
  // Parses 5 or 6 fields or a descriptor. Errors are INVALID_ARGUMENT and
  // point at the field: `field 3 (day of month): 32 is out of range 1-31`.
  static absl::StatusOr<CronExpr> Parse(absl::string_view text);

  // Whether the civil second matches every field.
  bool Matches(absl::CivilSecond t) const;

  // The first matching civil second at or after `from`, or nullopt when
  // none exists within 400 years (a full Gregorian cycle).
  std::optional<absl::CivilSecond> NextMatch(absl::CivilSecond from) const;

  // True when the seconds, minute or hour field begins with `*`: such
  // schedules fire hourly or more often and keep real-time cadence across
  // daylight-saving changes (Vixie cron's "wildcard" jobs).
  bool wildcard() const { return wildcard_; }

 private:
  friend class CronParser;

  // Bit d set for each day d of the month that matches both day fields.
  uint32_t DayMask(int64_t year, int month) const;

  uint64_t seconds_ = 0;              // bit s, 0-59
  uint64_t minutes_ = 0;              // bit m, 0-59
  uint32_t hours_ = 0;                // bit h, 0-23
  uint32_t dom_ = 0;                  // bit d, 1-31
  uint32_t dom_nearest_weekday_ = 0;  // bit d for `dW`
  uint64_t dow_nth_ = 0;           // bit (weekday * 5 + k - 1) for `weekday#k`
  uint16_t months_ = 0;            // bit m, 1-12
  uint8_t dow_ = 0;                // bit w, 0-6 (Sunday 0)
  uint8_t dow_last_ = 0;           // bit w for `wL`
  bool dom_last_ = false;          // L
  bool dom_last_weekday_ = false;  // LW
  bool dom_star_ = false;          // day-of-month began with * or was ?
  bool dow_star_ = false;          // day-of-week began with * or was ?
  bool wildcard_ = false;
};

}  // namespace ap::cron

#endif  // AP_COMMON_CRON_CRON_EXPR_H_
