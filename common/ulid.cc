#include "common/ulid.h"

namespace ap {
namespace {

constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

}  // namespace

std::string UlidGenerator::Next() {
  const absl::Time now = clock_->TimeNow();
  const uint64_t ms =
      static_cast<uint64_t>(std::max<int64_t>(0, absl::ToUnixMillis(now))) &
      ((uint64_t{1} << 48) - 1);
  uint64_t hi, lo, t;
  {
    absl::MutexLock l(&mu_);
    if (ms > last_ms_) {
      last_ms_ = ms;
      rand_hi_ = absl::Uniform<uint64_t>(bitgen_, 0, 1 << 16);
      rand_lo_ =
          absl::Uniform<uint64_t>(absl::IntervalClosed, bitgen_, 0, UINT64_MAX);
    } else if (++rand_lo_ == 0) {  // same (or earlier) millisecond
      rand_hi_ = (rand_hi_ + 1) & 0xffff;
    }
    t = last_ms_;
    hi = rand_hi_;
    lo = rand_lo_;
  }
  // 128 bits: 48 time, 16 + 64 random; 26 base32 digits cover 130 bits.
  std::string out(26, '0');
  // Time: 10 digits of 5 bits = 50 bits (top 2 are zero).
  for (int i = 9; i >= 0; --i, t >>= 5) out[i] = kAlphabet[t & 31];
  // Randomness: 16 digits = 80 bits, from (hi:16, lo:64).
  for (int i = 25; i >= 10; --i) {
    out[i] = kAlphabet[lo & 31];
    lo = (lo >> 5) | ((hi & 31) << 59);
    hi >>= 5;
  }
  return out;
}

bool UlidGenerator::IsValid(absl::string_view id) {
  if (id.size() != 26) return false;
  for (char c : id) {
    bool found = false;
    for (const char* a = kAlphabet; *a != '\0'; ++a) found |= (*a == c);
    if (!found) return false;
  }
  return id[0] <= '7';  // 48-bit time fits
}

}  // namespace ap
