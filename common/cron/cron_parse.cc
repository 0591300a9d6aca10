// Parsing of cron expressions into CronExpr's bitsets. Every error names
// the field by its position in the text and says what is wrong.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/cron/cron_expr.h"

namespace ap::cron {
namespace {

enum class Field { kSecond, kMinute, kHour, kDayOfMonth, kMonth, kDayOfWeek };

struct FieldInfo {
  const char* name;
  int min;
  int max;
};

FieldInfo Info(Field f) {
  switch (f) {
    case Field::kSecond:
      return {"second", 0, 59};
    case Field::kMinute:
      return {"minute", 0, 59};
    case Field::kHour:
      return {"hour", 0, 23};
    case Field::kDayOfMonth:
      return {"day of month", 1, 31};
    case Field::kMonth:
      return {"month", 1, 12};
    case Field::kDayOfWeek:
      return {"day of week", 0, 7};
  }
  return {"?", 0, 0};
}

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR",
                                       "MAY", "JUN", "JUL", "AUG",
                                       "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kDayNames[] = {"SUN", "MON", "TUE", "WED",
                                     "THU", "FRI", "SAT"};

// The index of `upper` in `names`.
template <size_t N>
bool FindName(const char* const (&names)[N], absl::string_view upper,
              int* index) {
  for (size_t i = 0; i < N; ++i) {
    if (upper == names[i]) {
      *index = static_cast<int>(i);
      return true;
    }
  }
  return false;
}

// What one field's list set, before it is stored in CronExpr.
struct FieldResult {
  uint64_t bits = 0;
  bool starts_with_star = false;  // began with * or was ?
  // Day of month only.
  bool last = false;
  bool last_weekday = false;
  uint32_t nearest_weekday = 0;
  // Day of week only.
  uint8_t last_of = 0;
  uint64_t nth = 0;
};

class FieldParser {
 public:
  FieldParser(Field field, int position) : field_(field), position_(position) {}

  absl::Status Parse(absl::string_view text, FieldResult* out) {
    out->starts_with_star = absl::StartsWith(text, "*") || text == "?";
    for (absl::string_view item : absl::StrSplit(text, ',')) {
      if (item.empty()) return Error("empty list item (two commas in a row?)");
      if (absl::Status s = ParseItem(item, out); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Error(absl::string_view why) const {
    return absl::InvalidArgumentError(
        absl::StrCat("field ", position_, " (", Info(field_).name, "): ", why));
  }

  bool IsDayField() const {
    return field_ == Field::kDayOfMonth || field_ == Field::kDayOfWeek;
  }

  // A number or, in the month and day-of-week fields, a name.
  absl::Status ParseValue(absl::string_view text, int* out) const {
    const FieldInfo info = Info(field_);
    if (!text.empty() && absl::ascii_isdigit(text[0])) {
      if (text.size() > 4 || !absl::SimpleAtoi(text, out)) {
        return Error(absl::StrCat("\"", text, "\" is not a number"));
      }
      if (*out < info.min || *out > info.max) {
        return Error(
            absl::StrCat(*out, " is out of range ", info.min, "-", info.max));
      }
      return absl::OkStatus();
    }
    const std::string upper = absl::AsciiStrToUpper(text);
    if (field_ == Field::kMonth) {
      if (FindName(kMonthNames, upper, out)) {
        ++*out;  // JAN is 1
        return absl::OkStatus();
      }
      return Error(
          absl::StrCat("\"", text, "\" is not a month (1-12 or JAN-DEC)"));
    }
    if (field_ == Field::kDayOfWeek) {
      if (FindName(kDayNames, upper, out)) return absl::OkStatus();
      return Error(
          absl::StrCat("\"", text, "\" is not a day of week (0-7 or SUN-SAT)"));
    }
    return Error(absl::StrCat("\"", text, "\" is not a number"));
  }

  absl::Status ParseItem(absl::string_view item, FieldResult* out) {
    if (absl::Status s = ParseSpecial(item, out); !s.ok() || handled_) {
      handled_ = false;
      return s;
    }
    const FieldInfo info = Info(field_);
    absl::string_view range = item;
    int step = 1;
    bool has_step = false;
    if (const size_t slash = item.find('/'); slash != absl::string_view::npos) {
      range = item.substr(0, slash);
      absl::string_view step_text = item.substr(slash + 1);
      if (step_text.empty() || step_text.size() > 4 ||
          !absl::SimpleAtoi(step_text, &step)) {
        return Error(absl::StrCat("step \"", step_text, "\" is not a number"));
      }
      if (step < 1)
        return Error(absl::StrCat("step ", step, " must be at least 1"));
      has_step = true;
    }
    int lo = info.min;
    int hi = info.max;
    if (range == "*" || (range == "?" && IsDayField())) {
      if (range == "?" && has_step) return Error("'?' takes no step");
    } else if (range == "?") {
      return Error("'?' is only allowed in day of month and day of week");
    } else if (const size_t dash = range.find('-');
               dash != absl::string_view::npos && dash > 0) {
      if (absl::Status s = ParseValue(range.substr(0, dash), &lo); !s.ok()) {
        return s;
      }
      if (absl::Status s = ParseValue(range.substr(dash + 1), &hi); !s.ok()) {
        return s;
      }
      // FRI-SUN: a day-of-week range may end on Sunday written as 0.
      if (field_ == Field::kDayOfWeek && hi == 0 && lo > 0) hi = 7;
      if (lo > hi) {
        return Error(absl::StrCat("range ", range, " goes backwards"));
      }
    } else {
      if (absl::Status s = ParseValue(range, &lo); !s.ok()) return s;
      if (!has_step) hi = lo;  // `N/S` runs from N to the maximum
    }
    for (int v = lo; v <= hi; v += step) out->bits |= uint64_t{1} << v;
    return absl::OkStatus();
  }

  // L, LW, NW (day of month); L, DL, D#K (day of week). Sets handled_ when
  // `item` was one of them.
  absl::Status ParseSpecial(absl::string_view item, FieldResult* out) {
    const std::string upper = absl::AsciiStrToUpper(item);
    if (field_ == Field::kDayOfMonth) {
      if (upper == "L") return Handled([&] { out->last = true; });
      if (upper == "LW") return Handled([&] { out->last_weekday = true; });
      if (upper.size() >= 2 && upper.back() == 'W' &&
          absl::ascii_isdigit(upper[0])) {
        int day = 0;
        absl::Status s = ParseValue(item.substr(0, item.size() - 1), &day);
        if (!s.ok()) return s;
        return Handled([&] { out->nearest_weekday |= uint32_t{1} << day; });
      }
      return absl::OkStatus();
    }
    if (field_ != Field::kDayOfWeek) {
      if (upper == "L" || upper == "LW") {
        return Error("'L' is only allowed in day of month and day of week");
      }
      if (absl::StrContains(upper, '#')) {
        return Error("'#' is only allowed in day of week");
      }
      return absl::OkStatus();
    }
    if (upper == "L") return Handled([&] { out->bits |= uint64_t{1} << 6; });
    if (upper.size() >= 2 && upper.back() == 'L') {
      int day = 0;
      absl::Status s = ParseValue(item.substr(0, item.size() - 1), &day);
      if (!s.ok()) return s;
      return Handled([&] { out->last_of |= uint8_t(1u << (day % 7)); });
    }
    if (const size_t hash = item.find('#'); hash != absl::string_view::npos) {
      int day = 0;
      absl::Status s = ParseValue(item.substr(0, hash), &day);
      if (!s.ok()) return s;
      int nth = 0;
      absl::string_view nth_text = item.substr(hash + 1);
      if (!absl::SimpleAtoi(nth_text, &nth) || nth < 1 || nth > 5) {
        return Error(
            absl::StrCat("\"#", nth_text, "\": the week must be 1 to 5"));
      }
      return Handled(
          [&] { out->nth |= uint64_t{1} << ((day % 7) * 5 + nth - 1); });
    }
    return absl::OkStatus();
  }

  template <typename F>
  absl::Status Handled(F set) {
    set();
    handled_ = true;
    return absl::OkStatus();
  }

  Field field_;
  int position_;
  bool handled_ = false;
};

absl::StatusOr<std::string> ExpandDescriptor(absl::string_view text) {
  const std::string d = absl::AsciiStrToLower(text);
  if (d == "@yearly" || d == "@annually") return std::string("0 0 1 1 *");
  if (d == "@monthly") return std::string("0 0 1 * *");
  if (d == "@weekly") return std::string("0 0 * * 0");
  if (d == "@daily" || d == "@midnight") return std::string("0 0 * * *");
  if (d == "@hourly") return std::string("0 * * * *");
  if (d == "@every" || absl::StartsWith(d, "@every ") ||
      absl::StartsWith(d, "@every\t")) {
    return absl::InvalidArgumentError(
        "@every is an interval, not a calendar pattern (use a Schedule)");
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown descriptor \"", text,
      "\"; known: @yearly @annually @monthly @weekly @daily @midnight "
      "@hourly @every"));
}

}  // namespace

class CronParser {
 public:
  static absl::StatusOr<CronExpr> Parse(absl::string_view text);
};

absl::StatusOr<CronExpr> CronParser::Parse(absl::string_view input) {
  std::string text(absl::StripAsciiWhitespace(input));
  if (text.empty()) return absl::InvalidArgumentError("empty cron expression");
  if (text[0] == '@') {
    absl::StatusOr<std::string> expanded = ExpandDescriptor(text);
    if (!expanded.ok()) return expanded.status();
    text = *std::move(expanded);
  }
  std::vector<absl::string_view> fields =
      absl::StrSplit(text, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  if (fields.size() != 5 && fields.size() != 6) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected 5 fields (minute hour day-of-month month day-of-week), 6 "
        "(with leading seconds) or a @descriptor; got ",
        fields.size(), " field", fields.size() == 1 ? "" : "s"));
  }
  const bool has_seconds = fields.size() == 6;
  const Field order[] = {Field::kSecond,     Field::kMinute, Field::kHour,
                         Field::kDayOfMonth, Field::kMonth,  Field::kDayOfWeek};
  FieldResult r[6];
  if (!has_seconds) r[0].bits = 1;  // second 0
  for (size_t i = 0; i < fields.size(); ++i) {
    const size_t slot = has_seconds ? i : i + 1;
    FieldParser parser(order[slot], static_cast<int>(i + 1));
    if (absl::Status s = parser.Parse(fields[i], &r[slot]); !s.ok()) return s;
  }

  CronExpr e;
  e.seconds_ = r[0].bits;
  e.minutes_ = r[1].bits;
  e.hours_ = static_cast<uint32_t>(r[2].bits);
  e.dom_ = static_cast<uint32_t>(r[3].bits);
  e.dom_last_ = r[3].last;
  e.dom_last_weekday_ = r[3].last_weekday;
  e.dom_nearest_weekday_ = r[3].nearest_weekday;
  e.months_ = static_cast<uint16_t>(r[4].bits);
  // Day of week 7 is Sunday.
  e.dow_ = static_cast<uint8_t>((r[5].bits | (r[5].bits >> 7)) & 0x7f);
  e.dow_last_ = r[5].last_of;
  e.dow_nth_ = r[5].nth;
  e.dom_star_ = r[3].starts_with_star;
  e.dow_star_ = r[5].starts_with_star;
  e.wildcard_ = (has_seconds && r[0].starts_with_star) ||
                r[1].starts_with_star || r[2].starts_with_star;

  // A full Gregorian cycle repeats every calendar pattern, so no match in
  // 400 years means none ever.
  if (!e.NextMatch(absl::CivilSecond(2000, 1, 1, 0, 0, 0)).has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", input, "\" can never fire (no such date, e.g. February 30)"));
  }
  return e;
}

absl::StatusOr<CronExpr> CronExpr::Parse(absl::string_view text) {
  return CronParser::Parse(text);
}

}  // namespace ap::cron
