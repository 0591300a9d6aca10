#ifndef AP_BENCH_BENCH_UTIL_H_
#define AP_BENCH_BENCH_UTIL_H_

// Helpers shared by the benchmarks.

#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace ap::bench {

// Peak resident set size of this process so far (VmHWM), in MiB.
inline double PeakRssMiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

// (expression, zone) pairs from `path`, by default bench/expressions.txt.
inline std::vector<std::pair<std::string, std::string>> LoadExpressions(
    const std::string& path = "") {
  std::ifstream in(path.empty() ? std::string(AP_BENCH_DIR) + "/expressions.txt"
                                : path);
  std::vector<std::pair<std::string, std::string>> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    out.emplace_back(line.substr(0, tab), line.substr(tab + 1));
  }
  return out;
}

}  // namespace ap::bench

#endif  // AP_BENCH_BENCH_UTIL_H_
