#ifndef AP_TESTS_TESTING_FIRING_CORE_H_
#define AP_TESTS_TESTING_FIRING_CORE_H_

// What the aggregator's integration fixtures stand on: a temporary RocksDB
// store, a simulated clock, and the workflow store, scheduler and firing
// engine over them. A fixture derives from it (after ::testing::Test) and
// adds the service, ledger or dispatcher it needs as its own members, which
// may use these: a base is built before the members.

#include "absl/time/time.h"
#include "aggregator/schedule/firing.h"
#include "aggregator/schedule/scheduler.h"
#include "aggregator/records/workflow_store.h"
#include "common/clock.h"
#include "tests/testing/temp_store.h"

namespace ap::testing {

class FiringCore {
 protected:
  explicit FiringCore(absl::Time start) : clock_(start) {}

  TempStore temp_;
  SimulatedClock clock_;
  WorkflowStore store_{temp_.get()};
  Scheduler scheduler_;
  FiringEngine engine_{&store_, &scheduler_, &clock_};
};

}  // namespace ap::testing

#endif  // AP_TESTS_TESTING_FIRING_CORE_H_
