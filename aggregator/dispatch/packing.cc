#include "aggregator/dispatch/packing.h"

#include <utility>

namespace ap {

std::vector<v1::NodeMessage> PackAssignments(
    std::vector<v1::NodeMessage> messages, size_t max_bytes) {
  std::vector<v1::NodeMessage> out;
  out.reserve(messages.size());
  v1::NodeMessage batch;
  size_t batch_bytes = 0;
  auto flush = [&] {
    if (batch.assignments().assignments_size() == 1) {
      v1::NodeMessage alone;
      *alone.mutable_assignment() =
          std::move(*batch.mutable_assignments()->mutable_assignments(0));
      out.push_back(std::move(alone));
    } else if (batch.assignments().assignments_size() > 1) {
      out.push_back(std::move(batch));
    }
    batch = v1::NodeMessage();
    batch_bytes = 0;
  };
  for (v1::NodeMessage& m : messages) {
    if (!m.has_assignment()) {
      flush();
      out.push_back(std::move(m));
      continue;
    }
    const size_t bytes = m.assignment().ByteSizeLong();
    if (batch_bytes > 0 && batch_bytes + bytes > max_bytes) flush();
    *batch.mutable_assignments()->add_assignments() =
        std::move(*m.mutable_assignment());
    batch_bytes += bytes;
  }
  flush();
  return out;
}

std::vector<v1::NodeMessage> UnpackAssignments(v1::NodeMessage message) {
  std::vector<v1::NodeMessage> out;
  if (!message.has_assignments()) {
    out.push_back(std::move(message));
    return out;
  }
  for (v1::Assignment& a :
       *message.mutable_assignments()->mutable_assignments()) {
    v1::NodeMessage alone;
    *alone.mutable_assignment() = std::move(a);
    out.push_back(std::move(alone));
  }
  return out;
}

}  // namespace ap
