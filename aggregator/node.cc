#include "aggregator/node.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "aggregator/http/telemetry.h"
#include "common/log/log.h"
#include "common/ulid.h"
#include "common/version.h"

namespace ap {
namespace {

constexpr char kAggregatorIdKey[] = "meta/aggregator_id";

// An id for this aggregator that stays the same across restarts.
absl::StatusOr<std::string> StableAggregatorId(Store* store, Clock* clock) {
  absl::StatusOr<std::optional<std::string>> id = store->Get(kAggregatorIdKey);
  if (!id.ok()) return id.status();
  if (id->has_value()) return **id;
  const std::string fresh = UlidGenerator(clock).Next();
  WriteBatch batch;
  batch.Put(kAggregatorIdKey, fresh);
  if (absl::Status s = store->Write(batch); !s.ok()) return s;
  return fresh;
}

// Adds what failed to a status on its way up.
absl::Status Annotated(const absl::Status& s, absl::string_view what) {
  return absl::Status(s.code(), absl::StrCat(what, ": ", s.message()));
}

}  // namespace

AggregatorNode::AggregatorNode(AggregatorConfig config, Clock* clock,
                               Observers observers)
    : config_(std::move(config)),
      clock_(clock),
      observers_(std::move(observers)) {}

AggregatorNode::~AggregatorNode() {
  if (server_ != nullptr) Drain(absl::ZeroDuration());
}

absl::Status AggregatorNode::OpenStore() {
  absl::StatusOr<std::unique_ptr<RocksDbStore>> rocks = RocksDbStore::Open(
      {config_.data_dir, /*sync_writes=*/true,
       [this](absl::Duration took) {
         metrics_.OnStoreWrite(took);
         if (observers_.store_write) observers_.store_write(took);
       }});
  if (!rocks.ok()) return Annotated(rocks.status(), "opening the store");
  rocks_ = *std::move(rocks);
  absl::StatusOr<std::string> id = StableAggregatorId(rocks_.get(), clock_);
  if (!id.ok()) return Annotated(id.status(), "reading the aggregator id");
  aggregator_id_ = *std::move(id);
  store_ = std::make_unique<WorkflowStore>(
      rocks_.get(), static_cast<size_t>(config_.workflow_cache));
  return absl::OkStatus();
}

void AggregatorNode::Dispatch() {
  if (leading_) dispatcher_->Kick();
}

void AggregatorNode::Canceled(const std::vector<v1::Execution>& canceled) {
  dispatcher_->Cancel(canceled);
  for (const v1::Execution& e : canceled) dispatcher_->Released(e.id());
}

void AggregatorNode::BuildGraph() {
  FiringOptions firing;
  firing.misfire_threshold = config_.misfire_threshold;
  engine_ = std::make_unique<FiringEngine>(store_.get(), &scheduler_, clock_,
                                           firing);
  ledger_ = std::make_unique<ExecutionLedger>(store_.get(), clock_,
                                              LedgerOptions{config_.lease_grace});
  DispatcherOptions dispatch_options;
  dispatch_options.on_dispatched = [this](absl::Duration waited) {
    metrics_.OnDispatched(waited);
  };
  dispatcher_ = std::make_unique<Dispatcher>(ledger_.get(), store_.get(),
                                             clock_, dispatch_options);
  // New executions go straight to operators with room, in the fire's write.
  engine_->PlaceWith(dispatcher_.get());
  loop_ = std::make_unique<FireLoop>(
      engine_.get(), &scheduler_, clock_, [this](const FireReport& report) {
        metrics_.OnFireRound(report);
        if (!report.canceled.empty()) Canceled(report.canceled);
        if (report.recorded > report.placed.size()) Dispatch();  // PENDING
        if (observers_.fire_round) observers_.fire_round(report);
      });
  workflows_ = std::make_unique<WorkflowService>(
      store_.get(), &scheduler_, engine_.get(), clock_, ServiceOptions{},
      WorkflowService::Hooks{
          [this] {
            loop_->Wake();
            Dispatch();
          },
          [this](const std::vector<v1::Execution>& c) { Canceled(c); }});
  credentials_ = std::make_unique<CredentialStore>(rocks_.get(), clock_);
  aggregator_ = std::make_unique<AggregatorServiceImpl>(
      workflows_.get(), credentials_.get(), clock_, dispatcher_.get());
  // A removed or replaced operator token also ends the stream it opened.
  credential_admin_ = std::make_unique<CredentialAdmin>(
      credentials_.get(), clock_,
      [this](const std::string& id) { dispatcher_->Evict(id); });
  admin_ = std::make_unique<AdminServiceImpl>(credential_admin_.get(),
                                              credentials_.get());
  node_ = std::make_unique<NodeServiceImpl>(
      dispatcher_.get(), ledger_.get(), credentials_.get(), clock_,
      NodeServiceOptions{config_.ping_interval, config_.heartbeat_interval,
                         aggregator_id_},
      &metrics_);
  leases_ = std::make_unique<PeriodicTask>(clock_, absl::Seconds(1), [this] {
    absl::StatusOr<std::vector<v1::Execution>> expired =
        ledger_->ExpireLeases();
    if (!expired.ok()) {
      LogEvent(spdlog::level::err, "lease_check_failed",
               {{"error", expired.status().ToString()}});
      return;
    }
    for (const v1::Execution& e : *expired) dispatcher_->Released(e.id());
    metrics_.OnLeasesExpired(expired->size());
    Dispatch();  // also sends retries whose backoff has just passed
  });
  retention_ = std::make_unique<Retention>(
      store_.get(), clock_,
      RetentionOptions{config_.retention_max_executions,
                       config_.retention_max_age});
  sweeper_ =
      std::make_unique<PeriodicTask>(clock_, config_.retention_interval, [this] {
        absl::StatusOr<size_t> removed = retention_->Sweep();
        if (!removed.ok()) {
          LogEvent(spdlog::level::err, "retention_failed",
                   {{"error", removed.status().ToString()}});
        } else if (*removed > 0) {
          LogEvent(spdlog::level::info, "retention_swept",
                   {{"removed", *removed}});
        }
      });
  repl_commands_ =
      std::make_unique<ReplCommands>(rocks_.get(), store_.get(), [this] {
        return absl::StrCat("workflows_known: ", scheduler_.size(), "\n",
                            "workflows_armed: ", scheduler_.armed(), "\n",
                            "fires_since_start: ", loop_->fires(), "\n");
      });
}

OpsHandlers AggregatorNode::MakeHttpHandlers() {
  OpsHandlers handlers;
  handlers.ready = [this]() -> absl::Status {
    if (draining_) return absl::UnavailableError("draining");
    if (!loop_->running()) {
      return absl::UnavailableError("fire loop not running");
    }
    return absl::OkStatus();
  };
  // Workflows and open executions by status; what the store cannot read
  // now is left out of this scrape or page.
  auto counts_by_status =
      [this](absl::flat_hash_map<v1::WorkflowStatus, int64_t>* workflows,
             absl::flat_hash_map<v1::ExecutionStatus, size_t>* open) {
        if (auto w = store_->WorkflowCounts(); w.ok()) {
          *workflows = *std::move(w);
        }
        if (auto e = store_->OpenCounts(); e.ok()) *open = *std::move(e);
      };
  handlers.metrics = [this, counts_by_status] {
    size_t connected = 0;
    for (const v1::OperatorInfo& op : dispatcher_->Operators()) {
      connected += op.connected();
    }
    AggregatorMetrics::Snapshot snapshot{
        static_cast<double>(scheduler_.size()),
        static_cast<double>(scheduler_.armed()),
        static_cast<double>(connected)};
    counts_by_status(&snapshot.workflows_by_status, &snapshot.open_executions);
    return metrics_.Render(snapshot);
  };
  handlers.operators = [this] { return dispatcher_->Operators(); };
  handlers.telemetry = [this, counts_by_status] {
    TelemetryData data{aggregator_id_,     kVersion,
                       clock_->TimeNow(),  scheduler_.size(),
                       scheduler_.armed(), loop_->fires()};
    counts_by_status(&data.workflows_by_status, &data.open_executions);
    data.operators = dispatcher_->Operators();
    data.recent = ledger_->Recent();
    return RenderTelemetry(data);
  };
  return handlers;
}

absl::Status AggregatorNode::StartServers() {
  GrpcServerOptions options;
  options.listen = config_.grpc_listen;
  options.tls = {config_.tls_cert, config_.tls_key, config_.tls_client_ca};
  options.reflection = config_.reflection;
  options.max_message_bytes = config_.max_message_bytes;
  absl::StatusOr<std::unique_ptr<GrpcServer>> server = GrpcServer::Start(
      options, {{v1::Aggregator::service_full_name(), aggregator_.get()},
                {v1::Admin::service_full_name(), admin_.get()},
                {v1::Node::service_full_name(), node_.get()}});
  if (!server.ok()) {
    return Annotated(server.status(),
                     absl::StrCat("listening on ", config_.grpc_listen));
  }
  server_ = *std::move(server);
  if (!config_.repl_socket.empty()) {
    absl::StatusOr<std::unique_ptr<ReplServer>> repl =
        ReplServer::Start({config_.repl_socket}, repl_commands_.get());
    if (!repl.ok()) {
      return Annotated(repl.status(),
                       absl::StrCat("the REPL on ", config_.repl_socket));
    }
    repl_ = *std::move(repl);
  }
  if (!config_.http_listen.empty()) {
    absl::StatusOr<std::unique_ptr<OpsServer>> http =
        OpsServer::Start(config_.http_listen, MakeHttpHandlers());
    if (!http.ok()) {
      return Annotated(http.status(),
                       absl::StrCat("HTTP on ", config_.http_listen));
    }
    http_ = *std::move(http);
  }
  return absl::OkStatus();
}

absl::Status AggregatorNode::Start() {
  if (absl::Status s = OpenStore(); !s.ok()) return s;
  BuildGraph();
  // Counted now (one pass over the wfs/ index), not on the first scrape.
  (void)store_->WorkflowCounts();
  if (absl::Status s = StartServers(); !s.ok()) return s;
  StartLeading();
  server_->SetServing(true);
  return absl::OkStatus();
}

void AggregatorNode::StartLeading() {
  absl::MutexLock l(&leading_mu_);
  if (leading_) return;
  // What another leader, or this one before, wrote is what counts.
  const absl::Duration started = clock_->MonotonicNow();
  absl::StatusOr<size_t> loaded = engine_->Recover();
  if (!loaded.ok()) {
    LogEvent(spdlog::level::err, "recover_failed",
             {{"error", loaded.status().ToString()}});
  } else {
    LogEvent(spdlog::level::info, "workflows_loaded",
             {{"count", *loaded},
              {"armed", scheduler_.armed()},
              {"took_ms",
               absl::ToInt64Milliseconds(clock_->MonotonicNow() - started)}});
  }
  dispatcher_->SetDispatching(true);
  dispatcher_->Start();
  loop_->Start();
  sweeper_->Start();
  leases_->Start();
  leading_ = true;
  dispatcher_->Kick();  // what waited meanwhile
}

void AggregatorNode::StopLeading() {
  absl::MutexLock l(&leading_mu_);
  if (!leading_) return;
  leading_ = false;
  leases_->Stop();
  sweeper_->Stop();
  loop_->Stop();  // no fire after this
  dispatcher_->SetDispatching(false);
  dispatcher_->Stop();  // nor a dispatch round
}

int AggregatorNode::schema_version() const {
  return rocks_ ? rocks_->schema_version() : 0;
}

void AggregatorNode::Drain(absl::Duration grace) {
  if (server_ == nullptr) return;
  // Operators first: told to reconnect elsewhere, their streams end, so
  // they do not hold the drain.
  draining_ = true;
  dispatcher_->DrainAll("aggregator shutting down");
  server_->Shutdown(grace);  // NOT_SERVING first
  if (repl_) repl_->Stop();
  if (http_) http_->Stop();
  StopLeading();
  server_.reset();
  rocks_.reset();  // flushes RocksDB
}

}  // namespace ap
