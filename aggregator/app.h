#ifndef AP_AGGREGATOR_APP_H_
#define AP_AGGREGATOR_APP_H_

// The aggregator process around an AggregatorNode (node.h): its log lines,
// and on SIGTERM or SIGINT a drain and exit.

#include "aggregator/config.h"

namespace ap {

// Runs until a termination signal; returns the process exit code (0 after
// a clean drain, 1 when start-up failed). InstallTerminationHandlers must
// have been called.
int RunAggregator(const AggregatorConfig& config);

}  // namespace ap

#endif  // AP_AGGREGATOR_APP_H_
