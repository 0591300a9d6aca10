#ifndef AP_COMMON_CRON_JITTER_H_
#define AP_COMMON_CRON_JITTER_H_

// A workflow's stable jitter (policy.jitter): every fire moves later by
// the same offset in [0, jitter), derived from the workflow's id alone, so
// that it is the same on every fire, after every restart, on every
// aggregator, and in `apctl cron next --jitter --workflow` (like Jenkins'
// `H`). Whole milliseconds, as execution ids are: two fires of one
// workflow never collapse into one id.

#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ap::cron {

// 64-bit FNV-1a of `s`: fixed by its definition, not by a library or build.
uint64_t StableHash(absl::string_view s);

// The offset of `workflow_id`'s fires under `jitter` (zero when jitter is
// below a millisecond).
absl::Duration JitterOffset(absl::string_view workflow_id,
                            absl::Duration jitter);

}  // namespace ap::cron

#endif  // AP_COMMON_CRON_JITTER_H_
