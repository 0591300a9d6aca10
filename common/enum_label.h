#ifndef AP_COMMON_ENUM_LABEL_H_
#define AP_COMMON_ENUM_LABEL_H_

// A protobuf enum value as a metric label or short word:
// EXECUTION_STATUS_TIMED_OUT -> "timed_out", REPORT_RESULT_STALE ->
// "stale". The prefix stripped is the enum type's name in UPPER_SNAKE, as
// the style guide prefixes values; unknown numbers give their digits.

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/generated_enum_reflection.h"

namespace ap {

// "ExecutionStatus" -> "EXECUTION_STATUS_".
std::string EnumValuePrefix(const std::string& type_name);

template <typename E>
std::string EnumLabel(E value) {
  const google::protobuf::EnumDescriptor* type =
      google::protobuf::GetEnumDescriptor<E>();
  const google::protobuf::EnumValueDescriptor* v =
      type->FindValueByNumber(static_cast<int>(value));
  if (v == nullptr) return absl::StrCat(static_cast<int>(value));
  std::string name = v->name();
  const std::string prefix = EnumValuePrefix(type->name());
  if (absl::StartsWith(name, prefix)) name = name.substr(prefix.size());
  return absl::AsciiStrToLower(name);
}

}  // namespace ap

#endif  // AP_COMMON_ENUM_LABEL_H_
