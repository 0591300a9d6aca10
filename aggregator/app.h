#ifndef AP_AGGREGATOR_APP_H_
#define AP_AGGREGATOR_APP_H_

// The aggregator process: opens the store, serves gRPC (health and
// reflection; the ap services arrive with the aggregator and dispatch
// issues), reports SERVING, and on SIGTERM or SIGINT drains and exits.

#include "aggregator/config.h"

namespace ap {

// Runs until a termination signal; returns the process exit code (0 after
// a clean drain, 1 when start-up failed). InstallTerminationHandlers must
// have been called.
int RunAggregator(const AggregatorConfig& config);

}  // namespace ap

#endif  // AP_AGGREGATOR_APP_H_
