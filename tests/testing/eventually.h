#ifndef AP_TESTS_TESTING_EVENTUALLY_H_
#define AP_TESTS_TESTING_EVENTUALLY_H_

// Waits for a condition another thread or process makes true, when there
// is nothing to wait on but reading it again (records in a store, a
// server's view): checks `cond` every 5 ms until it holds or `timeout` of
// real time passes. Returns whether it held.

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace ap::testing {

template <typename F>
bool Eventually(F cond, absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time until = absl::Now() + timeout;
  while (absl::Now() < until) {
    if (cond()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return cond();
}

}  // namespace ap::testing

#endif  // AP_TESTS_TESTING_EVENTUALLY_H_
