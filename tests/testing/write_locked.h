#ifndef AP_TESTS_TESTING_WRITE_LOCKED_H_
#define AP_TESTS_TESTING_WRITE_LOCKED_H_

// WorkflowStore::Write for a test that sets up records directly: takes the
// store's write mutex, as every writer in the aggregator holds it.

#include "aggregator/records/workflow_store.h"

namespace ap {

inline absl::Status WriteLocked(WorkflowStore& store,
                                const WorkflowBatch& batch) {
  FairMutexLock l(store.write_mutex());
  return store.Write(batch);
}

}  // namespace ap

#endif  // AP_TESTS_TESTING_WRITE_LOCKED_H_
