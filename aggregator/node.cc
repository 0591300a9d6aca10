#include "aggregator/node.h"

#include <utility>

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "aggregator/console_files.h"
#include "aggregator/store/pg_schema.h"
#include "common/enum_label.h"
#include "common/log/log.h"
#include "common/net/address.h"
#include "common/proto_time.h"
#include "common/redact.h"
#include "common/tls.h"
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

// HOST:PORT for this member: `advertise` if set, else the listen host (or
// this host's name when listening on every interface) and `port`.
std::string MemberAddress(const AggregatorConfig& config, int port) {
  if (!config.advertise_address.empty()) return config.advertise_address;
  absl::StatusOr<HostPort> listen = ParseHostPort(config.grpc_listen);
  std::string host = listen.ok() ? listen->host : "";
  if (host.empty() || host == "0.0.0.0" || host == "::") {
    char name[256] = {};
    host = gethostname(name, sizeof(name) - 1) == 0 ? name : "localhost";
  }
  if (host.find(':') != std::string::npos) host = absl::StrCat("[", host, "]");
  return absl::StrCat(host, ":", port);
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
  auto on_write = [this](absl::Duration took) {
    metrics_.OnStoreWrite(took);
    if (observers_.store_write) observers_.store_write(took);
  };
  if (config_.store == "postgres") {
    PgStoreOptions options;
    options.dsn = config_.postgres_dsn;
    options.fenced = true;  // only the leader writes
    options.on_write = on_write;
    options.on_fenced_out = [this](int64_t epoch) {
      if (LeaderElector* e = elector_view_.load()) {
        e->Depose(epoch, "a write found the lease held by another aggregator");
      }
    };
    absl::StatusOr<std::unique_ptr<PostgresStore>> pg =
        PostgresStore::Open(std::move(options));
    if (!pg.ok()) {
      return Annotated(pg.status(),
                       absl::StrCat("opening the PostgreSQL store at ",
                                    RedactDsn(config_.postgres_dsn)));
    }
    pg_ = pg->get();
    kv_ = *std::move(pg);
    // The member's name; its address once the gRPC port is bound.
    aggregator_id_ = MemberAddress(config_, ParseHostPort(config_.grpc_listen)
                                                .value_or(HostPort{}).port);
  } else {
    absl::StatusOr<std::unique_ptr<RocksDbStore>> rocks =
        RocksDbStore::Open({config_.data_dir, /*sync_writes=*/true, on_write});
    if (!rocks.ok()) return Annotated(rocks.status(), "opening the store");
    rocks_ = rocks->get();
    kv_ = *std::move(rocks);
    absl::StatusOr<std::string> id = StableAggregatorId(rocks_, clock_);
    if (!id.ok()) return Annotated(id.status(), "reading the aggregator id");
    aggregator_id_ = *std::move(id);
  }
  store_ = std::make_unique<WorkflowStore>(
      kv_.get(), static_cast<size_t>(config_.workflow_cache));
  return absl::OkStatus();
}

std::optional<std::string> AggregatorNode::LeaderIfStandby() const {
  if (pg_ == nullptr || leading_) return std::nullopt;
  LeaderElector* elector = elector_view_.load();
  if (elector == nullptr) return std::string();
  const std::string holder = elector->holder();
  // A holder is "<address>/<incarnation>".
  const std::string address = holder.substr(0, holder.rfind('/'));
  // This member's own lease, while it starts leading: not known yet.
  if (holder.empty() || address == address_) return std::string();
  return address;
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
  firing.max_pending = static_cast<size_t>(config_.max_pending);
  engine_ = std::make_unique<FiringEngine>(store_.get(), &scheduler_, clock_,
                                           firing);
  ledger_ = std::make_unique<ExecutionLedger>(store_.get(), clock_,
                                              LedgerOptions{config_.lease_grace});
  webhooks_ = std::make_unique<CurlWebhookClient>();
  notifier_ = std::make_unique<Notifier>(
      store_.get(), webhooks_.get(), clock_, OutboxOptions{},
      [this](const store::v1::NotificationRecord& n, absl::string_view result) {
        metrics_.OnNotification(n.event(), result);
      });
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
  credentials_ = std::make_unique<CredentialStore>(kv_.get(), clock_);
  LeaderElsewhere leader_elsewhere;
  if (pg_ != nullptr) {
    leader_elsewhere = [this] { return LeaderIfStandby(); };
    std::shared_ptr<grpc::ChannelCredentials> channel =
        grpc::InsecureChannelCredentials();
    if (!config_.tls_cert.empty()) {
      // Members present their own certificate to each other.
      absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> tls =
          MakeChannelCredentials({true, config_.tls_client_ca,
                                  config_.tls_cert, config_.tls_key});
      if (tls.ok()) channel = *std::move(tls);
    }
    forwarder_ = std::make_unique<LeaderForwarder>(leader_elsewhere, channel,
                                                   aggregator_id_);
  }
  aggregator_ = std::make_unique<AggregatorServiceImpl>(
      workflows_.get(), credentials_.get(), clock_, dispatcher_.get(),
      forwarder_.get(), [this] { return Overview(); });
  // A removed or replaced operator token also ends the stream it opened.
  credential_admin_ = std::make_unique<CredentialAdmin>(
      credentials_.get(), clock_,
      [this](const std::string& id) { dispatcher_->Evict(id); });
  admin_ = std::make_unique<AdminServiceImpl>(
      credential_admin_.get(), credentials_.get(), forwarder_.get());
  node_ = std::make_unique<NodeServiceImpl>(
      dispatcher_.get(), ledger_.get(), credentials_.get(), clock_,
      NodeServiceOptions{config_.ping_interval, config_.heartbeat_interval,
                         aggregator_id_, leader_elsewhere},
      &metrics_);
  leases_ = std::make_unique<PeriodicTask>(clock_, absl::Seconds(1), [this] {
    absl::StatusOr<std::vector<v1::Execution>> expired =
        ledger_->ExpireLeases();
    if (!expired.ok()) {
      LogEvent(spdlog::level::err, "lease_check_failed",
               {{"error", expired.status().ToString()}});
      return;
    }
    for (const v1::Execution& e : *expired) {
      dispatcher_->Released(e.id());
      metrics_.OnOutcome(e.status());
    }
    metrics_.OnLeasesExpired(expired->size());
    absl::StatusOr<std::vector<v1::Execution>> late =
        ledger_->ExpireStartDeadlines();
    if (!late.ok()) {
      LogEvent(spdlog::level::err, "start_deadline_check_failed",
               {{"error", late.status().ToString()}});
    } else {
      metrics_.OnStartDeadlinesPassed(late->size());
    }
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
      std::make_unique<ReplCommands>(kv_.get(), store_.get(), [this] {
        return absl::StrCat("workflows_known: ", scheduler_.size(), "\n",
                            "workflows_armed: ", scheduler_.armed(), "\n",
                            "fires_since_start: ", loop_->fires(), "\n");
      });
}

// What the store cannot read now is left out of this scrape or overview,
// and so is all of it on a standby (what it keeps in memory is not kept up:
// the leader writes).
void AggregatorNode::CountsByStatus(
    absl::flat_hash_map<v1::WorkflowStatus, int64_t>* workflows,
    absl::flat_hash_map<v1::ExecutionStatus, size_t>* open) {
  if (LeaderIfStandby().has_value()) return;
  if (auto w = store_->WorkflowCounts(); w.ok()) *workflows = *std::move(w);
  if (auto e = store_->OpenCounts(); e.ok()) *open = *std::move(e);
}

v1::Overview AggregatorNode::Overview() {
  v1::Overview o;
  o.set_aggregator_id(aggregator_id_);
  o.set_version(kVersion);
  o.set_role(pg_ != nullptr ? absl::StrCat("leader (epoch ", epoch(), ")")
                            : "leader");
  o.set_store(pg_ != nullptr ? "postgres" : "rocksdb");
  if (pg_ != nullptr) {
    o.set_leader_address(address_);
    o.set_epoch(epoch());
  }
  *o.mutable_now() = ToProtoTimestamp(clock_->TimeNow());
  o.set_workflows_known(static_cast<int64_t>(scheduler_.size()));
  o.set_workflows_armed(static_cast<int64_t>(scheduler_.armed()));
  o.set_fires(loop_->fires());
  absl::flat_hash_map<v1::WorkflowStatus, int64_t> workflows;
  absl::flat_hash_map<v1::ExecutionStatus, size_t> open;
  CountsByStatus(&workflows, &open);
  for (const auto& [status, n] : workflows) {
    (*o.mutable_workflows_by_status())[EnumLabel(status)] = n;
  }
  for (const auto& [status, n] : open) {
    (*o.mutable_open_executions())[EnumLabel(status)] =
        static_cast<int64_t>(n);
  }
  for (v1::ActivityMinute& m : activity_.LastHour()) {
    *o.add_activity() = std::move(m);
  }
  return o;
}

OpsHandlers AggregatorNode::MakeHttpHandlers() {
  OpsHandlers handlers;
  handlers.ready = [this]() -> absl::Status {
    if (draining_) return absl::UnavailableError("draining");
    if (std::optional<std::string> leader = LeaderIfStandby()) {
      return absl::UnavailableError(
          leader->empty() ? "standby: no leader known yet"
                          : absl::StrCat("standby: the leader is at ", *leader));
    }
    if (!loop_->running()) {
      return absl::UnavailableError("fire loop not running");
    }
    return absl::OkStatus();
  };
  handlers.metrics = [this] {
    size_t connected = 0;
    for (const v1::OperatorInfo& op : dispatcher_->Operators()) {
      connected += op.connected();
    }
    AggregatorMetrics::Snapshot snapshot{
        static_cast<double>(scheduler_.size()),
        static_cast<double>(scheduler_.armed()),
        static_cast<double>(connected)};
    const absl::Time now = clock_->TimeNow();
    snapshot.workflows_due = static_cast<double>(scheduler_.DueCount(now));
    if (std::optional<absl::Time> next = scheduler_.NextFireTime();
        next && *next < now) {
      snapshot.fire_delay_seconds = absl::ToDoubleSeconds(now - *next);
    }
    snapshot.leader = leading_ ? 1 : 0;
    snapshot.leader_epoch = static_cast<double>(epoch());
    snapshot.notifications_queued = static_cast<double>(notifier_->queued());
    CountsByStatus(&snapshot.workflows_by_status, &snapshot.open_executions);
    return metrics_.Render(snapshot);
  };
  handlers.operators = [this] { return dispatcher_->Operators(); };
  handlers.api = [this](const HttpCall& call) { return gateway_->Handle(call); };
  handlers.max_api_body = static_cast<size_t>(config_.max_message_bytes);
  handlers.console = ConsoleFiles();
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
    inproc_ = server_->InProcessChannel();
    gateway_ = std::make_unique<HttpGateway>(
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            v1::Aggregator::service_full_name()),
        [this] { return inproc_; },
        HttpGateway::Options{config_.http_allowed_origins});
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
  address_ = MemberAddress(config_, server_->port());
  if (pg_ != nullptr) {
    server_->SetServing(true);
    // Operators are served by the leader only.
    server_->SetServing(v1::Node::service_full_name(), false);
    return StartElector();
  }
  if (absl::Status s = Lead(); !s.ok()) return s;
  server_->SetServing(true);
  return absl::OkStatus();
}

absl::Status AggregatorNode::StartElector() {
  PgOptions options;
  options.statement_timeout = config_.leader_lease / 3;
  absl::StatusOr<std::unique_ptr<PgConnection>> conn =
      PgConnection::Connect(config_.postgres_dsn, options);
  if (!conn.ok()) return Annotated(conn.status(), "the leader lease");
  lease_conn_ = *std::move(conn);
  // A holder names this process: a restarted one is a new holder.
  lease_ = std::make_unique<LeaderLease>(
      lease_conn_.get(),
      absl::StrCat(address_, "/", UlidGenerator(clock_).Next()));
  ElectorOptions elector;
  elector.ttl = config_.leader_lease;
  elector.margin = std::min(absl::Milliseconds(500), config_.leader_lease / 6);
  elector_ = std::make_unique<LeaderElector>(
      lease_.get(), clock_, elector,
      LeaderElector::Hooks{
          [this](int64_t epoch) { Elected(epoch); },
          [this](int64_t epoch, const std::string& why) {
            Deposed(epoch, why);
          }});
  elector_view_ = elector_.get();
  LogEvent(spdlog::level::info, "cluster_joined",
           {{"holder", lease_->holder()},
            {"leader_lease", absl::FormatDuration(config_.leader_lease)}});
  elector_->Start();
  return absl::OkStatus();
}

void AggregatorNode::Elected(int64_t epoch) {
  pg_->Fence(lease_->name(), lease_->holder(), epoch);
  metrics_.OnLeadershipChange();
  if (absl::Status s = Lead(); !s.ok()) {
    // Leading without the workflows would fire nothing: let another try.
    elector_->Depose(epoch, absl::StrCat("could not start leading: ",
                                         s.ToString()));
    return;
  }
  if (server_ != nullptr) {
    server_->SetServing(v1::Node::service_full_name(), true);
  }
  LogEvent(spdlog::level::info, "leading", {{"epoch", epoch}});
}

void AggregatorNode::Deposed(int64_t epoch, const std::string& why) {
  pg_->Unfence();  // nothing more is written from here
  StopLeading();
  metrics_.OnLeadershipChange();
  if (server_ != nullptr) {
    server_->SetServing(v1::Node::service_full_name(), false);
  }
  // Its operators go to find the new leader.
  dispatcher_->DrainAll("this aggregator is no longer the leader");
  LogEvent(spdlog::level::warn, "standing_by",
           {{"epoch", epoch}, {"why", why}});
}

void AggregatorNode::StartLeading() {
  if (absl::Status s = Lead(); !s.ok()) {
    LogEvent(spdlog::level::err, "recover_failed", {{"error", s.ToString()}});
  }
}

absl::Status AggregatorNode::Lead() {
  absl::MutexLock l(&leading_mu_);
  if (leading_) return absl::OkStatus();
  // What another leader, or this one before, wrote is what counts.
  const absl::Duration started = clock_->MonotonicNow();
  store_->Forget();
  absl::StatusOr<size_t> loaded = engine_->Recover();
  if (!loaded.ok()) return Annotated(loaded.status(), "loading the workflows");
  if (absl::Status s = notifier_->Start(); !s.ok()) {
    return Annotated(s, "loading the notifications to deliver");
  }
  LogEvent(spdlog::level::info, "workflows_loaded",
           {{"count", *loaded},
            {"armed", scheduler_.armed()},
            {"took_ms",
             absl::ToInt64Milliseconds(clock_->MonotonicNow() - started)}});
  dispatcher_->SetDispatching(true);
  dispatcher_->Start();
  loop_->Start();
  sweeper_->Start();
  leases_->Start();
  leading_ = true;
  dispatcher_->Kick();  // what waited meanwhile
  return absl::OkStatus();
}

void AggregatorNode::StopLeading() {
  absl::MutexLock l(&leading_mu_);
  if (!leading_) return;
  leading_ = false;
  leases_->Stop();
  sweeper_->Stop();
  notifier_->Stop();
  loop_->Stop();  // no fire after this
  dispatcher_->SetDispatching(false);
  dispatcher_->Stop();  // nor a dispatch round
}

int AggregatorNode::schema_version() const {
  if (rocks_ != nullptr) return rocks_->schema_version();
  return pg_ != nullptr ? kPgSchemaVersion : 0;
}

void AggregatorNode::Drain(absl::Duration grace) {
  if (server_ == nullptr) return;
  // Operators first: told to reconnect elsewhere, their streams end, so
  // they do not hold the drain.
  draining_ = true;
  // A leader stops its leader-only parts and gives the lease up, so that a
  // standby takes over at once.
  if (elector_ != nullptr) elector_->Stop();
  dispatcher_->DrainAll("aggregator shutting down");
  server_->Shutdown(grace);  // NOT_SERVING first
  if (repl_) repl_->Stop();
  if (http_) http_->Stop();
  StopLeading();
  server_.reset();
  rocks_ = nullptr;
  pg_ = nullptr;
  kv_.reset();  // flushes RocksDB
}

}  // namespace ap
