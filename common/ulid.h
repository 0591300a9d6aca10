#ifndef AP_COMMON_ULID_H_
#define AP_COMMON_ULID_H_

// ULIDs (26 characters of Crockford base32: 48-bit millisecond time, then
// 80 random bits), which sort by creation time as text. Ids made in the
// same millisecond by one generator still sort in order: the random part
// is incremented instead of redrawn.
//
// Thread-safe.

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"

namespace ap {

class UlidGenerator {
 public:
  explicit UlidGenerator(Clock* clock) : clock_(clock) {}

  std::string Next();

  // True for 26 characters of Crockford base32 (upper case).
  static bool IsValid(absl::string_view id);

 private:
  Clock* const clock_;
  absl::Mutex mu_;
  absl::BitGen bitgen_ ABSL_GUARDED_BY(mu_);
  uint64_t last_ms_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t rand_hi_ ABSL_GUARDED_BY(mu_) = 0;  // 16 bits
  uint64_t rand_lo_ ABSL_GUARDED_BY(mu_) = 0;  // 64 bits
};

}  // namespace ap

#endif  // AP_COMMON_ULID_H_
