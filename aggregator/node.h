#ifndef AP_AGGREGATOR_NODE_H_
#define AP_AGGREGATOR_NODE_H_

// One aggregator, without the process around it (signals, exit codes): the
// store, the records, the scheduler and the firing engine, the ledger and
// the dispatcher, the services, and the gRPC, HTTP and REPL servers, wired
// together once, with their hooks, in their start order and the reverse
// stop order. The peer of OperatorNode: the aggregator binary runs one,
// and tests and benchmarks build this class rather than the graph.
//
// Its parts are of two kinds. Every aggregator runs the servers and what
// answers reads and records reports. Only the one that schedules runs the
// leader-only parts: the fire loop, dispatch rounds (and placing fires on
// operators), lease expiry and start deadlines, retention, and the
// delivery of notifications. StartLeading() and StopLeading()
// start and stop those while the node runs; after StopLeading() returns
// no fire, dispatch round, lease expiry or sweep runs until StartLeading(),
// which first re-reads every workflow from the store.
//
// With store: postgres the node is a member of a cluster sharing one
// database: a LeaderElector (cluster/) starts the leader-only parts when
// this member takes the lease, with its store fenced by the lease's epoch,
// and stops them when it loses it. A standby serves health and metrics,
// forwards the user API to the leader and sends operators there.
//
// Start() once, then Drain() (or the destructor). Thread-safe.

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "aggregator/auth/credential_admin.h"
#include "aggregator/auth/credentials.h"
#include "aggregator/cluster/leader_elector.h"
#include "aggregator/cluster/leader_lease.h"
#include "aggregator/config.h"
#include "aggregator/dispatch/dispatcher.h"
#include "aggregator/dispatch/ledger.h"
#include "aggregator/http/metrics.h"
#include "aggregator/notify/notifier.h"
#include "aggregator/notify/webhook_client.h"
#include "aggregator/repl/commands.h"
#include "aggregator/repl/server.h"
#include "aggregator/schedule/fire_loop.h"
#include "aggregator/schedule/firing.h"
#include "aggregator/schedule/scheduler.h"
#include "aggregator/service/admin_service.h"
#include "aggregator/service/aggregator_service.h"
#include "aggregator/service/grpc_server.h"
#include "aggregator/service/http_gateway.h"
#include "aggregator/service/node_service.h"
#include "aggregator/service/leader_forwarder.h"
#include "aggregator/store/pg_store.h"
#include "aggregator/store/rocksdb_store.h"
#include "aggregator/workflows/retention.h"
#include "aggregator/workflows/service.h"
#include "aggregator/records/workflow_store.h"
#include "common/clock.h"
#include "common/http/ops_server.h"
#include "common/periodic.h"

namespace ap {

class AggregatorNode {
 public:
  // What benchmarks and tests watch, called after the node's own handling
  // on the thread that did the work (keep them cheap). Either may be empty.
  struct Observers {
    std::function<void(const FireReport&)> fire_round;
    std::function<void(absl::Duration took)> store_write;  // each fsync'd
  };

  explicit AggregatorNode(AggregatorConfig config,
                          Clock* clock = Clock::Real(),
                          Observers observers = {});
  ~AggregatorNode();

  // Opens the store, serves gRPC (SERVING), HTTP and the REPL as
  // configured, and starts leading: at once on RocksDB; on PostgreSQL once
  // elected.
  absl::Status Start();
  // Starts the leader-only parts (a failure to load the workflows is
  // logged); StopLeading stops them.
  void StartLeading();
  void StopLeading();
  bool leading() const { return leading_; }
  // SIGTERM: operators told to reconnect elsewhere, servers stopped within
  // `grace`, the leader-only parts stopped, the store closed.
  void Drain(absl::Duration grace);

  int grpc_port() const { return server_ ? server_->port() : 0; }
  int http_port() const { return http_ ? http_->port() : 0; }
  const std::string& aggregator_id() const { return aggregator_id_; }
  int schema_version() const;
  // The gRPC address this member is reached at (advertise_address, or
  // this host and the gRPC port).
  const std::string& address() const { return address_; }
  // nullopt while this node leads or is alone; else the leader's address
  // (empty: none known).
  std::optional<std::string> LeaderIfStandby() const;
  // The epoch this node leads or last led (0: never, or alone).
  int64_t epoch() const { return elector_ ? elector_->epoch() : 0; }
  int64_t fires() const { return loop_ ? loop_->fires() : 0; }

  WorkflowService& workflows() { return *workflows_; }
  CredentialStore& credentials() { return *credentials_; }
  Dispatcher& dispatcher() { return *dispatcher_; }
  WorkflowStore& store() { return *store_; }
  ExecutionLedger& ledger() { return *ledger_; }
  Notifier& notifier() { return *notifier_; }

 private:
  absl::Status OpenStore();
  // Joins the cluster (store: postgres): the lease and its elector.
  absl::Status StartElector();
  void Elected(int64_t epoch);
  // StartLeading, or why it could not: the workflows could not be read.
  absl::Status Lead();
  void Deposed(int64_t epoch, const std::string& why);
  void BuildGraph();
  absl::Status StartServers();
  OpsHandlers MakeHttpHandlers();
  // Stored workflows and open executions by status (left empty on a
  // standby and where the store cannot read them now).
  void CountsByStatus(
      absl::flat_hash_map<v1::WorkflowStatus, int64_t>* workflows,
      absl::flat_hash_map<v1::ExecutionStatus, size_t>* open);
  // What GetOverview answers.
  v1::Overview Overview();
  // A dispatch round soon, if leading.
  void Dispatch();
  // Executions canceled (REPLACE, cancel, delete) leave their operator.
  void Canceled(const std::vector<v1::Execution>& canceled);

  const AggregatorConfig config_;
  Clock* const clock_;
  const Observers observers_;
  Activity activity_{clock_};
  AggregatorMetrics metrics_{&activity_};
  std::atomic<bool> leading_{false};
  std::atomic<bool> draining_{false};
  absl::Mutex leading_mu_;  // serializes StartLeading/StopLeading

  // In construction order; destroyed in reverse.
  std::unique_ptr<Store> kv_;
  RocksDbStore* rocks_ = nullptr;  // one of these is kv_
  PostgresStore* pg_ = nullptr;
  std::string address_;
  std::unique_ptr<LeaderForwarder> forwarder_;
  std::string aggregator_id_;
  std::unique_ptr<WorkflowStore> store_;
  Scheduler scheduler_;
  std::unique_ptr<FiringEngine> engine_;
  std::unique_ptr<ExecutionLedger> ledger_;
  std::unique_ptr<WebhookClient> webhooks_;
  std::unique_ptr<Notifier> notifier_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<FireLoop> loop_;
  std::unique_ptr<WorkflowService> workflows_;
  std::unique_ptr<CredentialStore> credentials_;
  std::unique_ptr<AggregatorServiceImpl> aggregator_;
  std::unique_ptr<CredentialAdmin> credential_admin_;
  std::unique_ptr<AdminServiceImpl> admin_;
  std::unique_ptr<NodeServiceImpl> node_;
  std::unique_ptr<PeriodicTask> leases_;
  std::unique_ptr<Retention> retention_;
  std::unique_ptr<PeriodicTask> sweeper_;
  std::unique_ptr<ReplCommands> repl_commands_;
  std::unique_ptr<GrpcServer> server_;
  std::shared_ptr<grpc::Channel> inproc_;  // to server_, for gateway_
  std::unique_ptr<HttpGateway> gateway_;
  std::unique_ptr<ReplServer> repl_;
  std::unique_ptr<OpsServer> http_;
  // The cluster (store: postgres); stopped before the servers.
  std::unique_ptr<PgConnection> lease_conn_;
  std::unique_ptr<LeaderLease> lease_;
  std::unique_ptr<LeaderElector> elector_;
  std::atomic<LeaderElector*> elector_view_{nullptr};  // for other threads
};

}  // namespace ap

#endif  // AP_AGGREGATOR_NODE_H_
