#ifndef AP_OPERATOR_NODE_H_
#define AP_OPERATOR_NODE_H_

// One operator, without the process around it (signals, HTTP): the spool,
// the worker pool, the link and the spool flusher, wired together and run
// under a supervisor. Assignments from the link go to the pool; every
// outcome goes to the spool first and is reported from there. The
// operator binary runs one; tests run several in one process.

#include <memory>

#include "absl/status/status.h"
#include "common/clock.h"
#include "operator/config.h"
#include "operator/link/link.h"
#include "operator/metrics.h"
#include "operator/run/breaking_runner.h"
#include "operator/run/circuit_breaker.h"
#include "operator/run/command_runner.h"
#include "operator/run/executor.h"
#include "operator/run/http_runner.h"
#include "operator/run/running_reporter.h"
#include "operator/spool/flusher.h"
#include "operator/spool/spool.h"
#include "operator/supervise/supervisor.h"

namespace ap {

class OperatorNode : public LinkHandler {
 public:
  // `stubs` (grpc_stub.h, or a fake) must outlive the node.
  OperatorNode(OperatorConfig config, Clock* clock, LinkOptions link_options,
               StubFactory* stubs);
  ~OperatorNode() override;

  // Opens the spool (a previous run's outcomes are replayed and never run
  // again) and starts the link and the flusher.
  absl::Status Start();
  // SIGTERM: stop taking work, let running executions finish within
  // `grace` (then cancel them), hand over what is spooled (for at most
  // `flush`), stop.
  void Drain(absl::Duration grace, absl::Duration flush = absl::Seconds(5));

  OperatorMetrics::Snapshot Snapshot() const;
  OperatorMetrics& metrics() { return metrics_; }
  Link& link() { return *link_; }
  Spool& spool() { return *spool_; }
  Executor& executor() { return *executor_; }
  CircuitBreakers& breakers() { return breakers_; }

  // LinkHandler
  void FillPing(v1::PingRequest* ping) override;
  void FillSync(v1::SyncRequest* sync) override;
  void OnAssignment(const v1::Assignment& assignment) override;
  void OnCancel(const v1::Cancel& cancel) override;
  void OnLinked() override;

 private:
  void OnOutcome(v1::ReportRequest outcome);
  // The gate before an attempt runs (false: its lease ran out; not run,
  // no outcome); queues its RUNNING report for running_.
  bool OnStart(const v1::Assignment& assignment);

  const OperatorConfig config_;
  Clock* const clock_;
  const LinkOptions link_options_;
  StubFactory* const stubs_;
  OperatorMetrics metrics_;
  HttpRunner http_;
  CircuitBreakers breakers_;
  BreakingRunner guarded_http_;
  CommandRunner command_;
  std::unique_ptr<Spool> spool_;
  std::unique_ptr<Executor> executor_;
  std::unique_ptr<Link> link_;
  std::unique_ptr<Flusher> flusher_;
  std::unique_ptr<RunningReporter> running_;
  std::unique_ptr<Supervisor> supervisor_;
};

// LinkOptions from the operator's configuration.
LinkOptions LinkOptionsFrom(const OperatorConfig& config);

}  // namespace ap

#endif  // AP_OPERATOR_NODE_H_
