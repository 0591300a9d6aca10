#ifndef AP_COMMON_VERSION_H_
#define AP_COMMON_VERSION_H_

namespace ap {
// The build's version, from CMake's project(VERSION).
inline constexpr char kVersion[] = AP_VERSION;
}  // namespace ap

#endif  // AP_COMMON_VERSION_H_
