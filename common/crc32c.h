#ifndef AP_COMMON_CRC32C_H_
#define AP_COMMON_CRC32C_H_

// CRC-32C (Castagnoli), as iSCSI, ext4 and RocksDB use it: a checksum
// that tells a torn or damaged record from a whole one. Table-driven, no
// hardware instruction (it checksums outcomes, not bulk data).

#include <cstdint>

#include "absl/strings/string_view.h"

namespace ap {

// `crc` continues an earlier value (0 to start).
uint32_t Crc32c(absl::string_view data, uint32_t crc = 0);

}  // namespace ap

#endif  // AP_COMMON_CRC32C_H_
