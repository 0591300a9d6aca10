#include "common/proto_time.h"

#include <cstdint>

#include "absl/strings/str_cat.h"

namespace ap {
namespace {

// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
constexpr int64_t kMinSeconds = -62135596800;
constexpr int64_t kMaxSeconds = 253402300799;
// About 10000 years, as protobuf's Duration allows.
constexpr int64_t kMaxDurationSeconds = 315576000000;

}  // namespace

absl::Time FromProto(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

absl::Duration FromProto(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

google::protobuf::Timestamp ToProtoTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t seconds = absl::ToUnixSeconds(t);  // rounds down
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds))));
  return ts;
}

google::protobuf::Duration ToProtoDuration(absl::Duration d) {
  google::protobuf::Duration out;
  const int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &d);
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d)));
  return out;
}

absl::Status ValidateTimestamp(absl::string_view field,
                               const google::protobuf::Timestamp& ts) {
  if (ts.seconds() < kMinSeconds || ts.seconds() > kMaxSeconds ||
      ts.nanos() < 0 || ts.nanos() > 999999999) {
    return absl::InvalidArgumentError(
        absl::StrCat(field,
                     ": not a valid timestamp (years 0001 to 9999, nanos 0 to "
                     "999999999)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateDuration(absl::string_view field,
                              const google::protobuf::Duration& d) {
  const bool same_sign = (d.seconds() >= 0 && d.nanos() >= 0) ||
                         (d.seconds() <= 0 && d.nanos() <= 0);
  if (d.seconds() < -kMaxDurationSeconds || d.seconds() > kMaxDurationSeconds ||
      d.nanos() < -999999999 || d.nanos() > 999999999 || !same_sign) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": not a valid duration"));
  }
  return absl::OkStatus();
}

}  // namespace ap
