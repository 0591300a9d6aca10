#include "operator/spool/segment_record.h"

#include <cstring>

#include "common/crc32c.h"

namespace ap {
namespace {

constexpr char kMagic[4] = {'A', 'P', 'S', '1'};

void PutLe(uint64_t v, int bytes, std::string* out) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t GetLe(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) {
    v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  }
  return v;
}

uint32_t Checksum(const char* sequence_bytes, absl::string_view payload) {
  return Crc32c(payload, Crc32c(absl::string_view(sequence_bytes, 8)));
}

}  // namespace

std::string EncodeSegmentRecord(uint64_t sequence, absl::string_view payload) {
  std::string out(kMagic, sizeof(kMagic));
  out.reserve(kSegmentHeaderBytes + payload.size());
  PutLe(payload.size(), 4, &out);
  PutLe(sequence, 8, &out);
  PutLe(Checksum(out.data() + 8, payload), 4, &out);
  out.append(payload.data(), payload.size());
  return out;
}

std::optional<SegmentRecord> DecodeSegmentRecord(absl::string_view data) {
  if (data.size() < kSegmentHeaderBytes ||
      std::memcmp(data.data(), kMagic, sizeof(kMagic)) != 0) {
    return std::nullopt;
  }
  const uint64_t length = GetLe(data.data() + 4, 4);
  if (length > kMaxRecordPayload ||
      data.size() - kSegmentHeaderBytes < length) {
    return std::nullopt;
  }
  SegmentRecord r;
  r.sequence = GetLe(data.data() + 8, 8);
  r.payload = data.substr(kSegmentHeaderBytes, length);
  r.size = kSegmentHeaderBytes + length;
  r.intact =
      GetLe(data.data() + 16, 4) == Checksum(data.data() + 8, r.payload);
  return r;
}

}  // namespace ap
