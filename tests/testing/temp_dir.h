#ifndef AP_TESTS_TESTING_TEMP_DIR_H_
#define AP_TESTS_TESTING_TEMP_DIR_H_

// A fresh directory under the test's temporary directory, named after the
// test and removed at the end.

#include <cstdint>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"

namespace ap::testing {

class TempDir {
 public:
  TempDir() {
    path_ = ::testing::TempDir() + "/ap-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() +
            "-" + std::to_string(reinterpret_cast<uintptr_t>(this));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
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
