#ifndef AP_TESTS_TESTING_UNIQUE_NAME_H_
#define AP_TESTS_TESTING_UNIQUE_NAME_H_

// Workflow names are unique among an owner's live workflows: fixtures that
// create several through the service name each one anew.

#include <atomic>
#include <string>

namespace ap::testing {

// "base-1", "base-2", ...: a new name on every call in this process.
inline std::string UniqueName(const std::string& base) {
  static std::atomic<int> made{0};
  return base + "-" + std::to_string(++made);
}

}  // namespace ap::testing

#endif  // AP_TESTS_TESTING_UNIQUE_NAME_H_
