#include "common/cron/jitter.h"

namespace ap::cron {

uint64_t StableHash(absl::string_view s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

absl::Duration JitterOffset(absl::string_view workflow_id,
                            absl::Duration jitter) {
  const int64_t ms = absl::ToInt64Milliseconds(jitter);
  if (ms <= 0) return absl::ZeroDuration();
  return absl::Milliseconds(
      static_cast<int64_t>(StableHash(workflow_id) % static_cast<uint64_t>(ms)));
}

}  // namespace ap::cron
