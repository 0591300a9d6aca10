// Next-fire rate of ap's cron engine on bench/expressions.txt, computed the
// same way as bench/croner/next_fire.mjs does with croner: for each
// expression, N next fires, each from the previous one, starting over at
// 2026-03-07T00:00:00Z every 100 fires. Prints one line:
// "ap next_fire_per_sec=... checksum=..." (the checksum, a sum of the fire
// times in seconds, equals croner's when both compute the same fires).
// Used by bench/croner/compare.sh.
// usage: cron_compare [N] [EXPRESSIONS_FILE]

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "bench/bench_util.h"
#include "common/cron/schedule.h"

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 200000;
  std::vector<ap::cron::Schedule> schedules;
  for (const auto& [expr, zone] :
       ap::bench::LoadExpressions(argc > 2 ? argv[2] : "")) {
    schedules.push_back(*ap::cron::Schedule::Parse(expr, zone));
  }
  const absl::Time start = absl::FromUnixSeconds(1'772'841'600);
  int64_t checksum = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (const ap::cron::Schedule& s : schedules) {
    absl::Time t = start;
    for (int i = 0; i < n; ++i) {
      if (i % 100 == 0) t = start;
      t = s.Next(t);
      checksum += absl::ToUnixSeconds(t);
    }
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  const double total = static_cast<double>(n) * schedules.size();
  std::printf(
      "ap next_fire_per_sec=%.0f total=%.0f seconds=%.3f checksum=%lld\n",
      total / secs, total, secs, static_cast<long long>(checksum));
  return 0;
}
