// libFuzzer target: any text through the cron parser and schedules. Checks
// that nothing crashes or hangs, that errors carry a message, that fires
// strictly increase, and that in UTC every fire matches the expression.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/cron/cron_expr.h"
#include "common/cron/schedule.h"

namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'772'900'000);  // 2026-03-07

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 512) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<ap::cron::CronExpr> expr = ap::cron::CronExpr::Parse(text);
  if (!expr.ok()) {
    Check(!expr.status().message().empty());
  } else {
    std::optional<absl::CivilSecond> m =
        expr->NextMatch(absl::CivilSecond(2026, 3, 7, 0, 0, 0));
    Check(m.has_value() && expr->Matches(*m));
  }

  for (const char* zone : {"", "America/New_York", "Australia/Lord_Howe"}) {
    absl::StatusOr<ap::cron::Schedule> s =
        ap::cron::Schedule::Parse(text, zone);
    if (!s.ok()) {
      Check(!s.status().message().empty());
      continue;
    }
    absl::Time t = kStart;
    for (int i = 0; i < 8; ++i) {
      const absl::Time next = s->Next(t, kStart);
      if (next == absl::InfiniteFuture()) break;
      Check(next > t);
      if (*zone == '\0' && expr.ok()) {
        Check(expr->Matches(absl::UTCTimeZone().At(next).cs));
      }
      t = next;
    }
  }
  return 0;
}
