#ifndef AP_COMMON_JSON_ESCAPE_H_
#define AP_COMMON_JSON_ESCAPE_H_

// Text as the inside of a JSON string (RFC 8259): quote, backslash and
// control characters escaped; everything else, UTF-8 included, as it is.

#include <string>

#include "absl/strings/string_view.h"

namespace ap {

std::string JsonEscape(absl::string_view s);

}  // namespace ap

#endif  // AP_COMMON_JSON_ESCAPE_H_
