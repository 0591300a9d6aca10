#ifndef AP_TESTS_TESTING_TEMP_STORE_H_
#define AP_TESTS_TESTING_TEMP_STORE_H_

// A RocksDB store in a fresh temporary directory, removed at the end; Close
// and Open simulate a process restart (the directory stays).

#include <filesystem>
#include <memory>
#include <string>

#include "aggregator/store/rocksdb_store.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace ap::testing {

class TempStore {
 public:
  TempStore() {
    dir_ = MakeTempDir(
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    Open();
  }
  ~TempStore() {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Opens the store unless it is open.
  void Open() {
    if (store_ != nullptr) return;
    auto opened = RocksDbStore::Open({dir_, /*sync_writes=*/false});
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = *std::move(opened);
  }
  void Close() { store_.reset(); }

  RocksDbStore* get() { return store_.get(); }
  const std::string& dir() const { return dir_; }

  // Number of keys under `prefix`.
  int Count(absl::string_view prefix) {
    int n = 0;
    EXPECT_TRUE(store_
                    ->Scan(prefix, "",
                           [&](absl::string_view, absl::string_view) {
                             ++n;
                             return true;
                           })
                    .ok());
    return n;
  }

 private:
  std::string dir_;
  std::unique_ptr<RocksDbStore> store_;
};

}  // namespace ap::testing

#endif  // AP_TESTS_TESTING_TEMP_STORE_H_
