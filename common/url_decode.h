#ifndef AP_COMMON_URL_DECODE_H_
#define AP_COMMON_URL_DECODE_H_

// Percent-decoding of URL parts (RFC 3986): "%2F" -> "/"; a `%` not
// followed by two hex digits stays as it is. In a query string (form
// encoding) `+` is a space; in a path it is itself.

#include <string>

#include "absl/strings/string_view.h"

namespace ap {

std::string UrlDecode(absl::string_view s, bool plus_is_space);

}  // namespace ap

#endif  // AP_COMMON_URL_DECODE_H_
