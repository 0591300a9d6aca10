#ifndef AP_TESTS_TESTING_TEMP_DIR_H_
#define AP_TESTS_TESTING_TEMP_DIR_H_

// A fresh directory under the test's temporary directory, named after the
// test and removed at the end.

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"

namespace ap::testing {

// A new, empty directory under the test temp dir, named after `prefix`,
// unique across processes (mkdtemp): ctest -j runs test processes side by
// side, and a name made from an object's address can repeat in two of them
// (it does under TSan, whose address layout is fixed).
// A parameterized test's name has a '/', which becomes '_'.
inline std::string MakeTempDir(std::string prefix) {
  std::replace(prefix.begin(), prefix.end(), '/', '_');
  std::string path = ::testing::TempDir() + "/ap-" + prefix + "-XXXXXX";
  if (mkdtemp(path.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp " << path << ": " << std::strerror(errno);
  }
  return path;
}

class TempDir {
 public:
  TempDir() {
    path_ = MakeTempDir(
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace ap::testing

#endif  // AP_TESTS_TESTING_TEMP_DIR_H_
