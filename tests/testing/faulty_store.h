#ifndef AP_TESTS_TESTING_FAULTY_STORE_H_
#define AP_TESTS_TESTING_FAULTY_STORE_H_

// A Store that forwards to another one and fails every Write while
// `fail_writes` is set (a full disk, a store gone read-only).

#include <atomic>
#include <string>

#include "aggregator/store/store.h"

namespace ap::testing {

class FaultyStore : public Store {
 public:
  explicit FaultyStore(Store* inner) : inner_(inner) {}

  std::atomic<bool> fail_writes = false;

  absl::StatusOr<std::optional<std::string>> Get(
      absl::string_view key) override {
    return inner_->Get(key);
  }
  absl::Status Write(const WriteBatch& batch) override {
    if (fail_writes) return absl::UnavailableError("injected: disk full");
    return inner_->Write(batch);
  }
  absl::Status Scan(absl::string_view prefix, absl::string_view start_after,
                    const ScanFn& fn) override {
    return inner_->Scan(prefix, start_after, fn);
  }
  absl::Status ScanReverse(absl::string_view prefix,
                           absl::string_view start_before,
                           const ScanFn& fn) override {
    return inner_->ScanReverse(prefix, start_before, fn);
  }
  absl::Status Backup(const std::string& dir) override {
    return inner_->Backup(dir);
  }
  absl::Status Compact() override { return inner_->Compact(); }
  std::string Stats() override { return inner_->Stats(); }

 private:
  Store* const inner_;
};

}  // namespace ap::testing

#endif  // AP_TESTS_TESTING_FAULTY_STORE_H_
