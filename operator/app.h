#ifndef AP_OPERATOR_APP_H_
#define AP_OPERATOR_APP_H_

// The operator process: spool, worker pool, link, spool flusher and the
// operations HTTP port, wired together; SIGTERM drains.

#include "operator/config.h"

namespace ap {

// Runs until SIGTERM/SIGINT; returns the exit code (0 after a clean
// drain, 1 when it cannot start: spool or HTTP port unusable).
int RunOperator(const OperatorConfig& config);

}  // namespace ap

#endif  // AP_OPERATOR_APP_H_
