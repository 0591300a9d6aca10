// End to end through an AggregatorNode (as the binary runs it) over
// loopback gRPC, with in-process operators that answer at once: interval
// workflows spread over each period fire, are dispatched, reported
// SUCCEEDED and persisted (fsync'd). Prints
// persisted executions/s and scheduled -> persisted latency; then pings/s.
// usage: node_bench --workflows=N [--every=E] --operators=K --seconds=S
//        --reporters=R [--batch=B] [--store=postgres --postgres_dsn=DSN]
// With --store=postgres the node leads a cluster of one on that database
// (bench/pg_local.sh starts a local server); its ap_* tables are dropped
// first.

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "aggregator/node.h"
#include "bench/bench_store.h"
#include "bench/populate.h"
#include "common/proto_time.h"
#include "common/sync/deadlock_detection.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(int, workflows, 1000,
          "interval workflows, each firing every --every");
ABSL_FLAG(int, every, 1, "seconds between a workflow's fires");
ABSL_FLAG(int, operators, 4, "in-process operators");
ABSL_FLAG(int, seconds, 10, "how long to run");
ABSL_FLAG(int, reporters, 16, "concurrent reporting threads per operator");
ABSL_FLAG(int, batch, 1,
          "outcomes per report call: 1 uses Report, more use ReportBatch "
          "with up to this many");
ABSL_FLAG(bool, assignment_batches, true,
          "operators set SyncRequest.accepts_batches");
ABSL_FLAG(int, ping_inflight, 16, "pings in flight per channel");
ABSL_FLAG(std::string, dir, "/tmp/ap-node-bench", "scratch data directory");
ABSL_FLAG(std::string, store, "rocksdb", "rocksdb or postgres");
ABSL_FLAG(bool, populate_only, false,
          "store the workflows and exit (bench/failover_bench.py)");
ABSL_FLAG(std::string, postgres_dsn, "",
          "with --store=postgres: the database (its ap_* tables are dropped)");

namespace ap::bench {
namespace {

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

// User and system CPU time of this process so far.
absl::Duration ProcessCpu() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return absl::DurationFromTimeval(u.ru_utime) +
         absl::DurationFromTimeval(u.ru_stime);
}

// The machine's CPU time so far, in clock ticks, from /proc/stat's first
// line (user nice system idle iowait irq softirq steal): all of it, the
// busy part (everything but idle and iowait: every process, its children
// and the kernel) and what the hypervisor stole; zeros where there is none.
struct MachineTicks {
  uint64_t total = 0;
  uint64_t busy = 0;
  uint64_t steal = 0;
};
MachineTicks ReadMachineTicks() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  MachineTicks t;
  in >> cpu;
  for (int i = 0; i < 8; ++i) {
    uint64_t v = 0;
    if (!(in >> v)) return {};
    t.total += v;
    if (i != 3 && i != 4) t.busy += v;
    if (i == 7) t.steal = v;
  }
  return t;
}

}  // namespace
}  // namespace ap::bench

int main(int argc, char** argv) {
  using namespace ap;  // NOLINT
  absl::ParseCommandLine(argc, argv);
  DisableMutexDeadlockDetection();
  spdlog::set_level(spdlog::level::warn);
  const std::string dir = absl::GetFlag(FLAGS_dir);
  const int n = absl::GetFlag(FLAGS_workflows);
  const int k = absl::GetFlag(FLAGS_operators);
  const int seconds = absl::GetFlag(FLAGS_seconds);
  std::filesystem::remove_all(dir);
  const int every = std::max(1, absl::GetFlag(FLAGS_every));
  const bool postgres = absl::GetFlag(FLAGS_store) == "postgres";
  const std::string dsn = absl::GetFlag(FLAGS_postgres_dsn);
  {
    // The workflows, written straight into the store the node then opens.
    absl::StatusOr<std::unique_ptr<Store>> store =
        bench::OpenBenchStore({postgres, dir, dsn}, /*fresh=*/true,
                              /*sync=*/false);
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
      return 1;
    }
    bench::PopulateSpreadIntervals(store->get(), n, absl::Now(),
                                   absl::Seconds(every));
  }
  if (absl::GetFlag(FLAGS_populate_only)) return 0;
  // Store writes (each fsync'd, under the store's write lock) and the time
  // they took, to see how busy that one lock is; scheduled -> taken by a
  // fire round (the round's start), per fire, in the window.
  std::atomic<int64_t> writes = 0;
  std::atomic<int64_t> write_ns = 0;
  absl::Mutex late_mu;
  std::vector<absl::Duration> fire_late;
  absl::Time measure_from = absl::InfiniteFuture();
  absl::Time measure_until = absl::InfiniteFuture();
  AggregatorConfig config;
  config.data_dir = dir;
  if (postgres) {
    config.store = "postgres";
    config.postgres_dsn = dsn;
  }
  config.grpc_listen = "127.0.0.1:0";
  config.http_listen = "";
  config.repl_socket = "";
  // The aggregator as the binary runs it (AggregatorNode: fires placed on
  // operators at once, dispatch rounds on their own thread).
  AggregatorNode node(
      config, Clock::Real(),
      {[&](const FireReport& r) {
         const absl::Time now = absl::Now();
         absl::MutexLock l(&late_mu);
         if (now < measure_from || now >= measure_until) return;
         fire_late.insert(fire_late.end(), r.lateness.begin(),
                          r.lateness.end());
       },
       [&](absl::Duration took) {
         ++writes;
         write_ns += absl::ToInt64Nanoseconds(took);
       }});
  if (absl::Status started = node.Start(); !started.ok()) {
    std::fprintf(stderr, "%s\n", started.ToString().c_str());
    return 1;
  }
  while (!node.leading()) absl::SleepFor(absl::Milliseconds(10));
  {
    absl::MutexLock l(&late_mu);
    measure_from = absl::Now() + absl::Seconds(3);
    measure_until = measure_from + absl::Seconds(seconds);
  }
  std::vector<std::string> tokens;
  for (int i = 0; i < k; ++i) {
    tokens.push_back(node.credentials()
                         .AddOperator("op-" + std::to_string(i), absl::Now())
                         ->secret);
  }
  const std::string target = "127.0.0.1:" + std::to_string(node.grpc_port());

  std::mutex mu;
  std::vector<absl::Duration> latency;   // scheduled -> persisted
  std::vector<absl::Duration> received;  // scheduled -> read by an operator
  std::atomic<int64_t> persisted = 0;
  std::atomic<bool> stop = false;
  std::vector<std::thread> operators;
  // Each operator: a thread reading its Sync stream into a queue, and
  // `reporters` threads reporting from it (a real operator's workers report
  // concurrently too, which is what lets the ledger group-commit).
  struct Inbox {
    absl::Mutex mu;
    std::deque<v1::Assignment> queue ABSL_GUARDED_BY(mu);
    bool closed ABSL_GUARDED_BY(mu) = false;
  };
  std::vector<std::unique_ptr<Inbox>> inboxes;
  for (int i = 0; i < k; ++i) inboxes.push_back(std::make_unique<Inbox>());
  const int reporters = absl::GetFlag(FLAGS_reporters);
  const int batch = std::max(1, absl::GetFlag(FLAGS_batch));
  for (int i = 0; i < k; ++i) {
    auto stub = std::shared_ptr<v1::Node::Stub>(v1::Node::NewStub(
        grpc::CreateChannel(target, grpc::InsecureChannelCredentials())));
    const std::string op = "op-" + std::to_string(i);
    Inbox* inbox = inboxes[i].get();
    operators.emplace_back([&, i, stub, op, inbox] {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", "Bearer " + tokens[i]);
      v1::SyncRequest hello;
      hello.set_operator_id(op);
      hello.set_capacity(100000);
      hello.set_accepts_batches(absl::GetFlag(FLAGS_assignment_batches));
      auto reader = stub->Sync(&ctx, hello);
      v1::NodeMessage m;
      while (!stop && reader->Read(&m)) {
        if (m.has_assignment()) {
          v1::Assignment alone = std::move(*m.mutable_assignment());
          *m.mutable_assignments()->add_assignments() = std::move(alone);
        }
        const absl::Time now = absl::Now();
        if (now >= measure_from && now < measure_until) {
          std::lock_guard<std::mutex> l(mu);
          for (const v1::Assignment& a : m.assignments().assignments()) {
            received.push_back(now - FromProto(a.scheduled_at()));
          }
        }
        absl::MutexLock l(&inbox->mu);
        for (v1::Assignment& a :
             *m.mutable_assignments()->mutable_assignments()) {
          inbox->queue.push_back(std::move(a));
        }
      }
      ctx.TryCancel();
      absl::MutexLock l(&inbox->mu);
      inbox->closed = true;
    });
    for (int j = 0; j < reporters; ++j) {
      operators.emplace_back([&, i, stub, op, inbox] {
        for (;;) {
          std::vector<v1::Assignment> taken;
          {
            absl::MutexLock l(&inbox->mu);
            inbox->mu.Await(absl::Condition(
                +[](Inbox* in) ABSL_EXCLUSIVE_LOCKS_REQUIRED(in->mu) {
                  return in->closed || !in->queue.empty();
                },
                inbox));
            if (inbox->queue.empty()) return;
            while (!inbox->queue.empty() &&
                   taken.size() < static_cast<size_t>(batch)) {
              taken.push_back(std::move(inbox->queue.front()));
              inbox->queue.pop_front();
            }
          }
          v1::ReportBatchRequest reports;
          for (const v1::Assignment& a : taken) {
            v1::ReportRequest* r = reports.add_reports();
            r->set_operator_id(op);
            r->set_execution_id(a.execution_id());
            r->set_attempt(a.attempt());
            r->set_status(v1::EXECUTION_STATUS_SUCCEEDED);
          }
          grpc::ClientContext rctx;
          rctx.AddMetadata("authorization", "Bearer " + tokens[i]);
          std::vector<v1::ReportResult> results;
          if (batch == 1) {
            v1::ReportResponse resp;
            if (!stub->Report(&rctx, reports.reports(0), &resp).ok()) continue;
            results.push_back(resp.result());
          } else {
            v1::ReportBatchResponse resp;
            if (!stub->ReportBatch(&rctx, reports, &resp).ok()) continue;
            for (const auto& r : resp.results()) {
              results.push_back(r.response().result());
            }
          }
          const absl::Time now = absl::Now();
          if (now < measure_from || now >= measure_until) continue;
          std::lock_guard<std::mutex> l(mu);
          for (size_t n = 0; n < results.size() && n < taken.size(); ++n) {
            if (results[n] != v1::REPORT_RESULT_ACCEPTED) continue;
            ++persisted;
            latency.push_back(now - FromProto(taken[n].scheduled_at()));
          }
        }
      });
    }
  }
  // CPU of the whole process (aggregator and test operators alike) over
  // the measured seconds: steadier than throughput on a noisy machine.
  absl::SleepFor(measure_from - absl::Now());
  const absl::Duration cpu_from = bench::ProcessCpu();
  const bench::MachineTicks machine_from = bench::ReadMachineTicks();
  const int64_t writes_from = writes;
  const int64_t write_ns_from = write_ns;
  // Executions not finished (recorded, not yet reported), at both ends of
  // the window: a rate holds only if this does not grow.
  auto backlog = [&node] {
    size_t open = 0;
    if (auto counts = node.store().OpenCounts(); counts.ok()) {
      for (const auto& [status, count] : *counts) open += count;
    }
    return open;
  };
  const size_t backlog_from = backlog();
  absl::SleepFor(measure_until - absl::Now());
  const size_t backlog_to = backlog();
  const absl::Duration cpu_used = bench::ProcessCpu() - cpu_from;
  const bench::MachineTicks machine_to = bench::ReadMachineTicks();
  const int64_t writes_used = writes - writes_from;
  const absl::Duration writing = absl::Nanoseconds(write_ns - write_ns_from);
  stop = true;
  node.dispatcher().DrainAll("bench over");
  node.StopLeading();  // no more fires: the pings below run on a quiet node
  for (auto& t : operators) t.join();
  std::sort(latency.begin(), latency.end());
  std::sort(received.begin(), received.end());
  auto pct_of = [](const std::vector<absl::Duration>& sorted, double p) {
    return sorted.empty()
               ? 0.0
               : bench::Ms(
                     sorted[static_cast<size_t>(p * (sorted.size() - 1))]);
  };
  auto pct = [&](double p) { return pct_of(latency, p); };
  std::printf(
      "end to end: %d workflows firing every %d s (%d/s offered), %d "
      "operators, %d s: %.0f executions/s persisted; scheduled -> persisted "
      "p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
      n, every, n / every, k, seconds, static_cast<double>(persisted) / seconds,
      pct(0.5), pct(0.99), pct(1.0));

  std::printf("backlog (executions not finished): %zu at the window's start, "
              "%zu at its end\n",
              backlog_from, backlog_to);
  std::sort(fire_late.begin(), fire_late.end());
  std::printf("scheduled -> taken by a fire round: p50 %.2f ms, p99 %.2f ms\n",
              pct_of(fire_late, 0.5), pct_of(fire_late, 0.99));
  std::printf("scheduled -> read by an operator: p50 %.2f ms, p99 %.2f ms\n",
              pct_of(received, 0.5), pct_of(received, 0.99));
  std::printf("CPU: %.2f cores, %.1f us per persisted execution\n",
              absl::FDivDuration(cpu_used, absl::Seconds(seconds)),
              persisted > 0 ? absl::ToDoubleMicroseconds(cpu_used) /
                                  static_cast<double>(persisted)
                            : 0.0);
  std::printf(
      "store writes: %.0f/s, %.0f us each, the store writing %.0f%% of the "
      "time\n",
      static_cast<double>(writes_used) / seconds,
      writes_used > 0 ? absl::ToDoubleMicroseconds(writing) /
                            static_cast<double>(writes_used)
                      : 0.0,
      100 * absl::FDivDuration(writing, absl::Seconds(seconds)));
  const uint64_t ticks = machine_to.total - machine_from.total;
  auto share = [&](uint64_t from, uint64_t to) {
    return ticks > 0 ? 100.0 * static_cast<double>(to - from) /
                           static_cast<double>(ticks)
                     : 0.0;
  };
  std::printf(
      "machine: %.0f%% busy (all processes and the kernel), %.0f%% of CPU "
      "time stolen by the hypervisor\n",
      share(machine_from.busy, machine_to.busy),
      share(machine_from.steal, machine_to.steal));
  std::printf("report writes (group commits): %llu\n",
              static_cast<unsigned long long>(node.ledger().report_writes()));
  if (postgres) {
    // A member that stopped leading answers pings as a standby would.
    std::printf("pings: measured with the RocksDB store only\n");
    return 0;
  }
  // Pings/s: 2k channels, each with `ping_inflight` calls in flight
  // (callback API: a finished ping starts the next), 3 s.
  std::atomic<int64_t> pings = 0;
  std::atomic<bool> ping_stop = false;
  const int inflight = absl::GetFlag(FLAGS_ping_inflight);
  struct PingCall {
    grpc::ClientContext ctx;
    v1::PingRequest req;
    v1::PingResponse resp;
  };
  std::vector<std::unique_ptr<v1::Node::Stub>> ping_stubs;
  for (int i = 0; i < k * 2; ++i) {
    ping_stubs.push_back(v1::Node::NewStub(
        grpc::CreateChannel(target, grpc::InsecureChannelCredentials())));
  }
  absl::Mutex ping_mu;
  int outstanding = 0;
  std::function<void(int)> ping_once = [&](int i) {
    auto call = std::make_shared<PingCall>();
    call->ctx.AddMetadata("authorization", "Bearer " + tokens[i % k]);
    call->req.set_operator_id("op-" + std::to_string(i % k));
    ping_stubs[i]->async()->Ping(&call->ctx, &call->req, &call->resp,
                                 [&, i, call](grpc::Status s) {
                                   if (s.ok()) ++pings;
                                   if (!ping_stop) {
                                     ping_once(i);
                                     return;
                                   }
                                   absl::MutexLock l(&ping_mu);
                                   --outstanding;
                                 });
  };
  {
    absl::MutexLock l(&ping_mu);
    outstanding = k * 2 * inflight;
  }
  for (int i = 0; i < k * 2; ++i) {
    for (int j = 0; j < inflight; ++j) ping_once(i);
  }
  absl::SleepFor(absl::Seconds(3));
  const int64_t pinged = pings;
  ping_stop = true;
  {
    absl::MutexLock l(&ping_mu);
    ping_mu.Await(absl::Condition(
        +[](int* n) { return *n == 0; }, &outstanding));
  }
  std::printf("pings: %d channels x %d in flight, %.0f pings/s\n", k * 2,
              inflight, static_cast<double>(pinged) / 3);
  node.Drain(absl::Seconds(1));
  std::filesystem::remove_all(dir);
  return 0;
}
