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
// operators), lease expiry and retention. StartLeading() and StopLeading()
// start and stop those while the node runs; after StopLeading() returns
// no fire, dispatch round, lease expiry or sweep runs until StartLeading(),
// which first re-reads every workflow from the store.
//
// Start() once, then Drain() (or the destructor). Thread-safe.

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "aggregator/auth/credential_admin.h"
#include "aggregator/auth/credentials.h"
#include "aggregator/config.h"
#include "aggregator/dispatch/dispatcher.h"
#include "aggregator/dispatch/ledger.h"
#include "aggregator/http/metrics.h"
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

  // Opens the store, loads the workflows, serves gRPC (SERVING), HTTP and
  // the REPL as configured, and starts leading.
  absl::Status Start();
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
  int64_t fires() const { return loop_ ? loop_->fires() : 0; }

  WorkflowService& workflows() { return *workflows_; }
  CredentialStore& credentials() { return *credentials_; }
  Dispatcher& dispatcher() { return *dispatcher_; }
  WorkflowStore& store() { return *store_; }
  ExecutionLedger& ledger() { return *ledger_; }

 private:
  absl::Status OpenStore();
  void BuildGraph();
  absl::Status StartServers();
  OpsHandlers MakeHttpHandlers();
  // A dispatch round soon, if leading.
  void Dispatch();
  // Executions canceled (REPLACE, cancel, delete) leave their operator.
  void Canceled(const std::vector<v1::Execution>& canceled);

  const AggregatorConfig config_;
  Clock* const clock_;
  const Observers observers_;
  AggregatorMetrics metrics_;
  std::atomic<bool> leading_{false};
  std::atomic<bool> draining_{false};
  absl::Mutex leading_mu_;  // serializes StartLeading/StopLeading

  // In construction order; destroyed in reverse.
  std::unique_ptr<RocksDbStore> rocks_;
  std::string aggregator_id_;
  std::unique_ptr<WorkflowStore> store_;
  Scheduler scheduler_;
  std::unique_ptr<FiringEngine> engine_;
  std::unique_ptr<ExecutionLedger> ledger_;
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
  std::unique_ptr<ReplServer> repl_;
  std::unique_ptr<OpsServer> http_;
};

}  // namespace ap

#endif  // AP_AGGREGATOR_NODE_H_
