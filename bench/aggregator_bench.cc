// Aggregator benchmarks on real RocksDB (fsync'd writes), or PostgreSQL
// with --store=postgres --postgres_dsn=DSN, printing figures for
// docs/benchmarks.md:
//   create   N creates through WorkflowService (validation, one fsync each)
//   fire     N workflows firing once a minute, spread over the seconds; a
//            simulated hour handled as fast as possible: fires/s persisted
//   lateness N workflows firing every second on the real clock for
//            --seconds: p50/p99/max lateness (handled - scheduled)
//   restart  N workflows stored, then open + Recover timed, and peak RSS
// usage: aggregator_bench --mode=MODE --workflows=N [--seconds=S] [--dir=D]
//        [--store=postgres --postgres_dsn=DSN]

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "aggregator/schedule/firing.h"
#include "aggregator/workflows/service.h"
#include "bench/bench_store.h"
#include "bench/bench_util.h"
#include "bench/populate.h"
#include "common/proto_time.h"
#include "common/sync/deadlock_detection.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, mode, "fire", "create, fire, lateness or restart");
ABSL_FLAG(int, workflows, 100000, "number of workflows");
ABSL_FLAG(int, seconds, 10, "lateness: how long to run");
ABSL_FLAG(int, minutes, 10, "fire: simulated minutes to handle");
ABSL_FLAG(bool, burst, false,
          "lateness: all workflows due at the same second boundary (cron), "
          "instead of spread evenly over each second (intervals)");
ABSL_FLAG(std::string, dir, "/tmp/ap-bench", "scratch data directory");
ABSL_FLAG(std::string, store, "rocksdb", "rocksdb or postgres");
ABSL_FLAG(std::string, postgres_dsn, "",
          "with --store=postgres: the database (its ap_* tables are dropped)");

namespace ap::bench {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);  // :00 seconds

v1::Workflow Spec(const std::string& cron) {
  v1::Workflow w;
  w.set_name("bench");
  w.mutable_trigger()->mutable_cron()->add_schedules(cron);
  v1::Step* s = w.add_steps();
  s->set_id("call");
  s->mutable_http()->set_url("http://127.0.0.1:9/hook");
  return w;
}

BenchStore Where(const std::string& dir) {
  return {absl::GetFlag(FLAGS_store) == "postgres", dir,
          absl::GetFlag(FLAGS_postgres_dsn)};
}

// The store, emptied first; exits naming what failed.
std::unique_ptr<Store> Fresh(const std::string& dir, bool sync) {
  absl::StatusOr<std::unique_ptr<Store>> s =
      OpenBenchStore(Where(dir), /*fresh=*/true, sync);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.status().ToString().c_str());
    std::exit(1);
  }
  return *std::move(s);
}

// The store as it is, durable writes.
std::unique_ptr<Store> Reopen(const std::string& dir) {
  absl::StatusOr<std::unique_ptr<Store>> s =
      OpenBenchStore(Where(dir), /*fresh=*/false);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.status().ToString().c_str());
    std::exit(1);
  }
  return *std::move(s);
}

// Stores n workflows directly (bulk, unsynced), as Create would.
void Populate(Store* store, int n, absl::Time created,
              const std::function<std::string(int)>& cron) {
  UlidGenerator ids(Clock::Real());
  WorkflowBatch batch;
  for (int i = 0; i < n; ++i) {
    v1::Workflow w = Spec(cron(i));
    ApplyDefaults(&w);
    w.set_id(ids.Next());
    w.set_owner("bench");
    w.set_status(v1::WORKFLOW_STATUS_ACTIVE);
    *w.mutable_created_at() = ToProtoTimestamp(created);
    *w.mutable_next_fire_at() =
        ToProtoTimestamp(*Trigger::FromWorkflow(w, created)->Next(created));
    batch.PutWorkflow(nullptr, w);
    if ((i + 1) % 10000 == 0 || i + 1 == n) {
      (void)store->Write(batch.raw());
      batch = WorkflowBatch();
    }
  }
}

std::string SecondSpread(int i) { return absl::StrCat(i % 60, " * * * * *"); }

void Create(int n, const std::string& dir) {
  auto rocks = Fresh(dir, /*sync=*/true);
  WorkflowStore store(rocks.get());
  Scheduler scheduler;
  FiringEngine engine(&store, &scheduler, Clock::Real());
  ServiceOptions options;
  options.max_workflows_per_owner = n + 1;
  WorkflowService service(&store, &scheduler, &engine, Clock::Real(), options);
  const absl::Time start = absl::Now();
  for (int i = 0; i < n; ++i) {
    if (!service.Create({"bench", Role::kWriter}, Spec("*/5 * * * *")).ok()) {
      std::printf("create failed\n");
      return;
    }
  }
  const double secs = absl::ToDoubleSeconds(absl::Now() - start);
  std::printf("create: %d workflows in %.2f s = %.0f creates/s (fsync each)\n",
              n, secs, n / secs);
}

void Fire(int n, int minutes, const std::string& dir) {
  auto rocks = Fresh(dir, /*sync=*/false);
  Populate(rocks.get(), n, kT0, SecondSpread);
  rocks.reset();
  rocks = Reopen(dir);
  WorkflowStore store(rocks.get());
  Scheduler scheduler;
  SimulatedClock clock(kT0);
  FiringEngine engine(&store, &scheduler, &clock);
  (void)engine.Recover();
  // Handle simulated minutes, one second at a time, as fast as it goes.
  int64_t fires = 0;
  int64_t rounds = 0;
  const absl::Time start = absl::Now();
  for (int s = 0; s < minutes * 60; ++s) {
    clock.AdvanceTime(absl::Seconds(1));
    while (true) {
      absl::StatusOr<FireReport> r = engine.FireDue();
      if (!r.ok()) {
        std::printf("fire failed: %s\n", r.status().ToString().c_str());
        return;
      }
      const size_t handled = r->recorded + r->skipped;
      if (handled == 0) break;
      fires += static_cast<int64_t>(handled);
      ++rounds;
    }
  }
  const double secs = absl::ToDoubleSeconds(absl::Now() - start);
  std::printf(
      "fire: %d workflows, %lld fires persisted in %.2f s = %.0f fires/s "
      "(%lld fsync'd batches, %.0f fires each); peak RSS %.0f MiB\n",
      n, static_cast<long long>(fires), secs, fires / secs,
      static_cast<long long>(rounds), static_cast<double>(fires) / rounds,
      PeakRssMiB());
}

void Lateness(int n, int seconds, bool burst, const std::string& dir) {
  auto rocks = Fresh(dir, /*sync=*/false);
  const absl::Time now = absl::Now();
  if (burst) {
    Populate(rocks.get(), n, now,
             [](int) { return std::string("* * * * * *"); });
  } else {
    PopulateSpreadIntervals(rocks.get(), n, now);
  }
  rocks.reset();
  rocks = Reopen(dir);
  WorkflowStore store(rocks.get());
  Scheduler scheduler;
  FiringEngine engine(&store, &scheduler, Clock::Real());
  (void)engine.Recover();
  std::vector<absl::Duration> lateness;
  const absl::Time end = absl::Now() + absl::Seconds(seconds);
  while (absl::Now() < end) {
    absl::StatusOr<FireReport> r = engine.FireDue();
    if (!r.ok()) return;
    // The first second handles fires due since population; skip them.
    if (absl::Now() > now + absl::Seconds(2)) {
      lateness.insert(lateness.end(), r->lateness.begin(), r->lateness.end());
    }
    if (r->recorded + r->skipped == 0) {
      const std::optional<absl::Time> next = scheduler.NextFireTime();
      if (next && *next > absl::Now()) absl::SleepFor(*next - absl::Now());
    }
  }
  std::sort(lateness.begin(), lateness.end());
  auto pct = [&](double p) {
    return absl::ToDoubleMilliseconds(
        lateness[static_cast<size_t>(p * (lateness.size() - 1))]);
  };
  std::printf(
      "lateness (%s): %d workflows firing every second (%d fires/s) for %d "
      "s: %zu fires, p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
      burst ? "burst at each second" : "spread over each second", n, n, seconds,
      lateness.size(), pct(0.5), pct(0.99), pct(1.0));
}

void Restart(int n, const std::string& dir) {
  {
    auto rocks = Fresh(dir, /*sync=*/false);
    Populate(rocks.get(), n, kT0, SecondSpread);
  }
  const absl::Time start = absl::Now();
  auto rocks = Reopen(dir);
  const absl::Time opened = absl::Now();
  WorkflowStore store(rocks.get());
  Scheduler scheduler;
  FiringEngine engine(&store, &scheduler, Clock::Real());
  const size_t loaded = *engine.Recover();
  const absl::Time done = absl::Now();
  std::printf(
      "restart: %zu workflows: open %.2f s + recover %.2f s = %.2f s; "
      "armed %zu; peak RSS %.0f MiB\n",
      loaded, absl::ToDoubleSeconds(opened - start),
      absl::ToDoubleSeconds(done - opened), absl::ToDoubleSeconds(done - start),
      scheduler.armed(), PeakRssMiB());
}

}  // namespace
}  // namespace ap::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  ap::DisableMutexDeadlockDetection();
  spdlog::set_level(spdlog::level::warn);
  const std::string mode = absl::GetFlag(FLAGS_mode);
  const int n = absl::GetFlag(FLAGS_workflows);
  const std::string dir = absl::GetFlag(FLAGS_dir);
  if (mode == "create")
    ap::bench::Create(n, dir);
  else if (mode == "fire")
    ap::bench::Fire(n, absl::GetFlag(FLAGS_minutes), dir);
  else if (mode == "lateness")
    ap::bench::Lateness(n, absl::GetFlag(FLAGS_seconds),
                        absl::GetFlag(FLAGS_burst), dir);
  else if (mode == "restart")
    ap::bench::Restart(n, dir);
  else
    std::printf("unknown --mode %s\n", mode.c_str());
  std::filesystem::remove_all(dir);
  return 0;
}
