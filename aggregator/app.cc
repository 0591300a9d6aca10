#include "aggregator/app.h"

#include <atomic>
#include <memory>

#include "absl/strings/str_cat.h"
#include "aggregator/auth/credential_admin.h"
#include "aggregator/auth/credentials.h"
#include "aggregator/dispatch/dispatcher.h"
#include "aggregator/dispatch/ledger.h"
#include "aggregator/http/metrics.h"
#include "aggregator/http/telemetry.h"
#include "aggregator/repl/commands.h"
#include "aggregator/repl/server.h"
#include "aggregator/schedule/fire_loop.h"
#include "aggregator/schedule/firing.h"
#include "aggregator/schedule/scheduler.h"
#include "aggregator/service/admin_service.h"
#include "aggregator/service/aggregator_service.h"
#include "aggregator/service/grpc_server.h"
#include "aggregator/service/node_service.h"
#include "aggregator/store/rocksdb_store.h"
#include "aggregator/workflows/retention.h"
#include "aggregator/workflows/service.h"
#include "aggregator/workflows/workflow_store.h"
#include "common/http/ops_server.h"
#include "common/log/log.h"
#include "common/periodic.h"
#include "common/signals.h"
#include "common/ulid.h"
#include "common/version.h"

namespace ap {
namespace {

constexpr char kAggregatorIdKey[] = "meta/aggregator_id";

// An id for this aggregator that stays the same across restarts.
absl::StatusOr<std::string> StableAggregatorId(Store* store) {
  absl::StatusOr<std::optional<std::string>> id = store->Get(kAggregatorIdKey);
  if (!id.ok()) return id.status();
  if (id->has_value()) return **id;
  const std::string fresh = UlidGenerator(Clock::Real()).Next();
  WriteBatch batch;
  batch.Put(kAggregatorIdKey, fresh);
  if (absl::Status s = store->Write(batch); !s.ok()) return s;
  return fresh;
}

}  // namespace

int RunAggregator(const AggregatorConfig& config) {
  Clock* clock = Clock::Real();
  LogEvent(spdlog::level::info, "starting",
           {{"version", kVersion},
            {"data_dir", config.data_dir},
            {"grpc_listen", config.grpc_listen}});
  AggregatorMetrics metrics;
  absl::StatusOr<std::unique_ptr<RocksDbStore>> rocks = RocksDbStore::Open(
      {config.data_dir, /*sync_writes=*/true,
       [&metrics](absl::Duration took) { metrics.OnStoreWrite(took); }});
  if (!rocks.ok()) {
    LogEvent(
        spdlog::level::critical, "store_open_failed",
        {{"data_dir", config.data_dir}, {"error", rocks.status().ToString()}});
    return 1;
  }
  WorkflowStore store(rocks->get(), static_cast<size_t>(config.workflow_cache));
  Scheduler scheduler;
  FiringOptions firing;
  firing.misfire_threshold = config.misfire_threshold;
  FiringEngine engine(&store, &scheduler, clock, firing);
  const absl::Duration recover_started = clock->MonotonicNow();
  absl::StatusOr<size_t> loaded = engine.Recover();
  if (!loaded.ok()) {
    LogEvent(spdlog::level::critical, "recover_failed",
             {{"error", loaded.status().ToString()}});
    return 1;
  }
  // Counted now (one pass over the wfs/ index), not on the first scrape.
  (void)store.WorkflowCounts();
  LogEvent(spdlog::level::info, "workflows_loaded",
           {{"count", *loaded},
            {"armed", scheduler.armed()},
            {"took_ms", absl::ToInt64Milliseconds(clock->MonotonicNow() -
                                                  recover_started)}});

  absl::StatusOr<std::string> aggregator_id = StableAggregatorId(rocks->get());
  if (!aggregator_id.ok()) {
    LogEvent(spdlog::level::critical, "store_failed",
             {{"error", aggregator_id.status().ToString()}});
    return 1;
  }
  ExecutionLedger ledger(&store, clock, {config.lease_grace});
  DispatcherOptions dispatch_options;
  dispatch_options.on_dispatched = [&metrics](absl::Duration waited) {
    metrics.OnDispatched(waited);
  };
  Dispatcher dispatcher(&ledger, &store, clock, dispatch_options);
  auto dispatch = [&dispatcher] { dispatcher.Kick(); };
  // Executions canceled (REPLACE, workflow canceled) leave their operator.
  auto cancel = [&dispatcher](const std::vector<v1::Execution>& canceled) {
    dispatcher.Cancel(canceled);
    for (const v1::Execution& e : canceled) dispatcher.Released(e.id());
  };
  // New executions go straight to operators with room, in the fire's write.
  engine.PlaceWith(&dispatcher);
  FireLoop loop(&engine, &scheduler, clock, [&](const FireReport& report) {
    metrics.OnFireRound(report);
    if (!report.canceled.empty()) cancel(report.canceled);
    if (report.recorded > report.placed.size()) dispatch();  // PENDING ones
  });
  WorkflowService workflows(&store, &scheduler, &engine, clock, {},
                            {[&] {
                               loop.Wake();
                               dispatch();
                             },
                             cancel});
  CredentialStore credentials(rocks->get());
  AggregatorServiceImpl aggregator(&workflows, &credentials, clock,
                                   &dispatcher);
  // A removed or replaced operator token also ends the stream it opened.
  CredentialAdmin credential_admin(
      &credentials, clock,
      [&dispatcher](const std::string& id) { dispatcher.Evict(id); });
  AdminServiceImpl admin(&credential_admin, &credentials);
  NodeServiceImpl node(
      &dispatcher, &ledger, &credentials, clock,
      {config.ping_interval, config.heartbeat_interval, *aggregator_id},
      &metrics);
  PeriodicTask leases(clock, absl::Seconds(1), [&] {
    absl::StatusOr<std::vector<v1::Execution>> expired = ledger.ExpireLeases();
    if (!expired.ok()) {
      LogEvent(spdlog::level::err, "lease_check_failed",
               {{"error", expired.status().ToString()}});
      return;
    }
    for (const v1::Execution& e : *expired) dispatcher.Released(e.id());
    metrics.OnLeasesExpired(expired->size());
    dispatch();  // also sends retries whose backoff has just passed
  });

  GrpcServerOptions options;
  options.listen = config.grpc_listen;
  options.tls = {config.tls_cert, config.tls_key, config.tls_client_ca};
  options.reflection = config.reflection;
  options.max_message_bytes = config.max_message_bytes;
  absl::StatusOr<std::unique_ptr<GrpcServer>> server = GrpcServer::Start(
      options, {{v1::Aggregator::service_full_name(), &aggregator},
                {v1::Admin::service_full_name(), &admin},
                {v1::Node::service_full_name(), &node}});
  if (!server.ok()) {
    LogEvent(spdlog::level::critical, "listen_failed",
             {{"address", config.grpc_listen},
              {"error", server.status().ToString()}});
    return 1;
  }
  ReplCommands repl_commands(&store, [&] {
    return absl::StrCat("workflows_known: ", scheduler.size(), "\n",
                        "workflows_armed: ", scheduler.armed(), "\n",
                        "fires_since_start: ", loop.fires(), "\n");
  });
  std::unique_ptr<ReplServer> repl;
  if (!config.repl_socket.empty()) {
    absl::StatusOr<std::unique_ptr<ReplServer>> started =
        ReplServer::Start({config.repl_socket}, &repl_commands);
    if (!started.ok()) {
      LogEvent(spdlog::level::critical, "repl_failed",
               {{"socket", config.repl_socket},
                {"error", started.status().ToString()}});
      return 1;
    }
    repl = *std::move(started);
  }
  Retention retention(
      &store, clock,
      {config.retention_max_executions, config.retention_max_age});
  PeriodicTask sweeper(clock, config.retention_interval, [&retention] {
    absl::StatusOr<size_t> removed = retention.Sweep();
    if (!removed.ok()) {
      LogEvent(spdlog::level::err, "retention_failed",
               {{"error", removed.status().ToString()}});
    } else if (*removed > 0) {
      LogEvent(spdlog::level::info, "retention_swept", {{"removed", *removed}});
    }
  });
  std::atomic<bool> draining = false;
  std::unique_ptr<OpsServer> http;
  if (!config.http_listen.empty()) {
    OpsHandlers handlers;
    handlers.ready = [&]() -> absl::Status {
      if (draining) return absl::UnavailableError("draining");
      if (!loop.running())
        return absl::UnavailableError("fire loop not running");
      return absl::OkStatus();
    };
    // Workflows and open executions by status; what the store cannot read
    // now is left out of this scrape or page. Copied into the handlers:
    // they outlive this block.
    auto counts_by_status =
        [&store](absl::flat_hash_map<v1::WorkflowStatus, int64_t>* workflows,
                 absl::flat_hash_map<v1::ExecutionStatus, size_t>* open) {
          if (auto w = store.WorkflowCounts(); w.ok())
            *workflows = *std::move(w);
          if (auto e = store.OpenCounts(); e.ok()) *open = *std::move(e);
        };
    handlers.metrics = [&, counts_by_status] {
      size_t connected = 0;
      for (const v1::OperatorInfo& op : dispatcher.Operators()) {
        connected += op.connected();
      }
      AggregatorMetrics::Snapshot snapshot{
          static_cast<double>(scheduler.size()),
          static_cast<double>(scheduler.armed()),
          static_cast<double>(connected)};
      counts_by_status(&snapshot.workflows_by_status,
                       &snapshot.open_executions);
      return metrics.Render(snapshot);
    };
    handlers.operators = [&] { return dispatcher.Operators(); };
    handlers.telemetry = [&, counts_by_status] {
      TelemetryData data{*aggregator_id,   kVersion,          clock->TimeNow(),
                         scheduler.size(), scheduler.armed(), loop.fires()};
      counts_by_status(&data.workflows_by_status, &data.open_executions);
      data.operators = dispatcher.Operators();
      data.recent = ledger.Recent();
      return RenderTelemetry(data);
    };
    absl::StatusOr<std::unique_ptr<OpsServer>> started =
        OpsServer::Start(config.http_listen, handlers);
    if (!started.ok()) {
      LogEvent(spdlog::level::critical, "http_failed",
               {{"address", config.http_listen},
                {"error", started.status().ToString()}});
      return 1;
    }
    http = *std::move(started);
  }
  dispatcher.Start();
  loop.Start();
  sweeper.Start();
  leases.Start();
  (*server)->SetServing(true);
  LogEvent(spdlog::level::info, "serving",
           {{"grpc_port", (*server)->port()},
            {"schema_version", (*rocks)->schema_version()},
            {"reflection", config.reflection ? "on" : "off"},
            {"tls", config.tls_cert.empty()        ? "off"
                    : config.tls_client_ca.empty() ? "on"
                                                   : "mtls"},
            {"repl", config.repl_socket.empty() ? "off" : config.repl_socket},
            {"http_port", http ? http->port() : 0},
            {"aggregator_id", *aggregator_id}});

  const int sig = WaitForTerminationSignal();
  LogEvent(spdlog::level::info, "draining",
           {{"signal", sig},
            {"grace", absl::FormatDuration(config.shutdown_grace)}});
  // Operators first: told to reconnect elsewhere, their streams end, so
  // they do not hold the drain.
  draining = true;
  dispatcher.DrainAll("aggregator shutting down");
  (*server)->Shutdown(config.shutdown_grace);  // NOT_SERVING first
  if (repl) repl->Stop();
  if (http) http->Stop();
  sweeper.Stop();
  leases.Stop();
  loop.Stop();        // no fire after this
  dispatcher.Stop();  // nor a dispatch round
  rocks->reset();     // flushes RocksDB
  LogEvent(spdlog::level::info, "stopped", {{"fires", loop.fires()}});
  return 0;
}

}  // namespace ap
