#ifndef AP_OPERATOR_SPOOL_SEGMENT_RECORD_H_
#define AP_OPERATOR_SPOOL_SEGMENT_RECORD_H_

// One outcome in a spool segment (spool.h), little-endian:
//   "APS1"   magic
//   u32      payload length
//   u64      sequence
//   u32      CRC-32C of the sequence's 8 bytes and the payload
//   payload  a serialized ap.v1.ReportRequest
// A record whose magic or length does not hold is where a torn or damaged
// tail begins: nothing after it can be framed. One whose checksum alone
// fails is damaged in place; the records after it can still be read.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace ap {

inline constexpr size_t kSegmentHeaderBytes = 20;
// Larger is damage, not an outcome (max_output_bytes is far below).
inline constexpr uint32_t kMaxRecordPayload = 64u << 20;

std::string EncodeSegmentRecord(uint64_t sequence, absl::string_view payload);

struct SegmentRecord {
  uint64_t sequence = 0;
  absl::string_view payload;  // into the decoded buffer
  size_t size = 0;            // header and payload
  bool intact = true;         // false: the checksum does not match
};

// The record at the start of `data`, or nullopt when none can be framed
// there (too short, wrong magic, a length past the end).
std::optional<SegmentRecord> DecodeSegmentRecord(absl::string_view data);

}  // namespace ap

#endif  // AP_OPERATOR_SPOOL_SEGMENT_RECORD_H_
