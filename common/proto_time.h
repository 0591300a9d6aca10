#ifndef AP_COMMON_PROTO_TIME_H_
#define AP_COMMON_PROTO_TIME_H_

// google.protobuf.Timestamp / Duration <-> absl::Time / Duration, with the
// range checks protobuf's JSON mapping applies (years 0001-9999, nanos in
// [0, 1e9), durations within +-10000 years).

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace ap {

absl::Time FromProto(const google::protobuf::Timestamp& ts);
absl::Duration FromProto(const google::protobuf::Duration& d);
google::protobuf::Timestamp ToProtoTimestamp(absl::Time t);
google::protobuf::Duration ToProtoDuration(absl::Duration d);

// INVALID_ARGUMENT "<field>: ..." when out of range.
absl::Status ValidateTimestamp(absl::string_view field,
                               const google::protobuf::Timestamp& ts);
absl::Status ValidateDuration(absl::string_view field,
                              const google::protobuf::Duration& d);

}  // namespace ap

#endif  // AP_COMMON_PROTO_TIME_H_
