#include "operator/run/step_runner.h"

#include <algorithm>

namespace ap {

void AppendBounded(const char* data, size_t n, size_t max, std::string* out,
                   bool* truncated) {
  if (out->size() >= max) {
    if (n > 0) *truncated = true;
    return;
  }
  const size_t take = std::min(n, max - out->size());
  out->append(data, take);
  if (take < n) *truncated = true;
}

}  // namespace ap
