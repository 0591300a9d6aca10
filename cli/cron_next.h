#ifndef AP_CLI_CRON_NEXT_H_
#define AP_CLI_CRON_NEXT_H_

// `apctl cron next EXPR [--tz ZONE] [--from RFC3339] [-n N] [--jitter D
// --workflow ID]`: the next N fire times of a schedule, strictly after
// `from`, as RFC 3339 timestamps in ZONE, one a line; with a jitter, the
// times that workflow really fires at (policy.jitter moves them by an
// offset derived from the id alone, common/cron/jitter.h). Works offline:
// the user's way to check a schedule before creating a workflow.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ap {

// `from` empty means now (`now`). INVALID_ARGUMENT for a bad expression,
// zone, time or count, with the parser's message, or a jitter without a
// workflow id.
absl::StatusOr<std::vector<std::string>> CronNext(
    absl::string_view expr, absl::string_view zone, absl::string_view from,
    int count, absl::Time now, absl::Duration jitter = absl::ZeroDuration(),
    absl::string_view workflow_id = "");

}  // namespace ap

#endif  // AP_CLI_CRON_NEXT_H_
