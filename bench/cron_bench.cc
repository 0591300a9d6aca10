// Cron engine and scheduler core benchmarks (figures: docs/benchmarks.md).

#include <string>
#include <vector>

#include "aggregator/schedule/scheduler.h"
#include "bench/bench_util.h"
#include "benchmark/benchmark.h"
#include "common/cron/cron_expr.h"
#include "common/cron/schedule.h"

namespace ap::bench {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'772'900'000);

void BM_Parse(benchmark::State& state) {
  const auto exprs = LoadExpressions();
  size_t i = 0;
  for (auto _ : state) {
    auto e = cron::CronExpr::Parse(exprs[i++ % exprs.size()].first);
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Parse);

// Next fire from the previous one, round-robin over the mix.
void BM_NextFire(benchmark::State& state) {
  std::vector<cron::Schedule> schedules;
  for (const auto& [expr, zone] : LoadExpressions()) {
    schedules.push_back(*cron::Schedule::Parse(expr, zone));
  }
  std::vector<absl::Time> at(schedules.size(), kStart);
  size_t i = 0;
  for (auto _ : state) {
    const size_t k = i++ % schedules.size();
    at[k] = schedules[k].Next(at[k]);
    benchmark::DoNotOptimize(at[k]);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NextFire);

Trigger MakeTrigger(int i) {
  static const char* const kExprs[] = {"*/5 * * * *", "0 9 * * 1-5",
                                       "30 2 * * *", "0 */6 * * *"};
  static const char* const kZones[] = {"UTC", "America/New_York",
                                       "Europe/Berlin", "Asia/Kolkata"};
  v1::Trigger p;
  p.mutable_cron()->add_schedules(kExprs[i % 4]);
  p.mutable_cron()->set_timezone(kZones[(i / 4) % 4]);
  return *Trigger::Create(p, std::nullopt, std::nullopt, kStart);
}

std::string Id(int i) {
  // ULID-sized ids (26 characters), as the aggregator assigns.
  std::string id = "01JDWORKFLOW" + std::to_string(10'000'000'000'000 + i);
  return id.substr(0, 26);
}

// Inserting N workflows: time per insert and peak RSS of the process.
void BM_SchedulerInsert(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  for (auto _ : state) {
    Scheduler scheduler;
    for (int i = 0; i < n; ++i) scheduler.Upsert(Id(i), MakeTrigger(i), kStart);
    benchmark::DoNotOptimize(scheduler.armed());
    state.counters["peak_rss_MiB"] = PeakRssMiB();
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_SchedulerInsert)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// Popping due fires (each re-armed at its next fire) from a queue of N.
void BM_SchedulerTakeDue(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  Scheduler scheduler;
  for (int i = 0; i < n; ++i) scheduler.Upsert(Id(i), MakeTrigger(i), kStart);
  absl::Time now = kStart;
  int64_t fires = 0;
  for (auto _ : state) {
    std::vector<Scheduler::Fire> due = scheduler.TakeDue(now, 1000);
    if (due.empty()) {
      now = *scheduler.NextFireTime();
      continue;
    }
    fires += static_cast<int64_t>(due.size());
  }
  state.SetItemsProcessed(fires);
}
BENCHMARK(BM_SchedulerTakeDue)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace ap::bench

BENCHMARK_MAIN();
