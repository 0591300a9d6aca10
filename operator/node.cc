#include "operator/node.h"

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/proto_time.h"
#include "common/version.h"

namespace ap {

LinkOptions LinkOptionsFrom(const OperatorConfig& config) {
  LinkOptions o;
  o.endpoints = config.aggregator;
  o.operator_id = config.id;
  o.version = kVersion;
  o.healthy_reset = config.healthy_reset;
  o.failover_after = config.failover_after;
  return o;
}

OperatorNode::OperatorNode(OperatorConfig config, Clock* clock,
                           LinkOptions link_options, StubFactory* stubs)
    : config_(std::move(config)),
      clock_(clock),
      link_options_(std::move(link_options)),
      stubs_(stubs),
      breakers_({config_.breaker_failures, config_.breaker_cool_down}, clock),
      guarded_http_(&http_, &breakers_, clock),
      command_(config_.allowed_commands) {}

OperatorNode::~OperatorNode() {
  if (supervisor_) supervisor_->Stop();
  executor_.reset();  // joins the workers before what they use goes
}

absl::Status OperatorNode::Start() {
  absl::StatusOr<std::unique_ptr<Spool>> spool = Spool::Open(
      config_.spool_dir, static_cast<uint64_t>(config_.spool_max_bytes));
  if (!spool.ok()) return spool.status();
  spool_ = *std::move(spool);
  executor_ = std::make_unique<Executor>(
      ExecutorOptions{config_.capacity,
                      static_cast<size_t>(config_.max_output_bytes)},
      Runners{&guarded_http_, &command_, clock_},
      [this](v1::ReportRequest outcome) { OnOutcome(std::move(outcome)); },
      [this](const v1::Assignment& a) { return OnStart(a); });
  // Outcomes a previous run left in the spool are done: never run again.
  absl::StatusOr<std::vector<Spool::Entry>> left =
      spool_->Oldest(Executor::kRemembered);
  if (!left.ok()) return left.status();
  for (const Spool::Entry& e : *left) {
    executor_->Remember(e.outcome.execution_id(), e.outcome.attempt());
  }
  if (!left->empty()) {
    LogEvent(spdlog::level::info, "spool_replay",
             {{"outcomes", spool_->depth()}});
  }
  link_ = std::make_unique<Link>(link_options_, stubs_, clock_, this);
  flusher_ = std::make_unique<Flusher>(
      spool_.get(),
      [this](const v1::ReportRequest& r) {
        return link_->Report(r, absl::Seconds(10));
      },
      clock_, /*parallel=*/8);
  flusher_->SetBatchReport([this](const std::vector<v1::ReportRequest>& r) {
    return link_->ReportBatch(r, absl::Seconds(10));
  });
  running_ = std::make_unique<RunningReporter>(
      [this](const std::vector<v1::ReportRequest>& r) {
        return link_->ReportBatch(r, absl::Seconds(2));
      },
      [this](const v1::ReportRequest& r, const std::string& detail) {
        // Re-dispatched elsewhere, canceled or gone: stop duplicating it.
        const std::string reason =
            absl::StrCat("the aggregator says it is stale: ", detail);
        if (executor_->Cancel(r.execution_id(), r.attempt(), reason)) {
          LogEvent(spdlog::level::info, "attempt_stopped",
                   {{"execution", r.execution_id()},
                    {"attempt", r.attempt()},
                    {"reason", reason}});
        }
      });
  supervisor_ = std::make_unique<Supervisor>(clock_);
  supervisor_->Add(
      "link", [this] { link_->Run(); }, [this] { link_->Stop(); });
  supervisor_->Add(
      "spool_flusher", [this] { flusher_->Run(); },
      [this] { flusher_->Stop(); });
  supervisor_->Add(
      "running_reporter", [this] { running_->Run(); },
      [this] { running_->Stop(); });
  return absl::OkStatus();
}

void OperatorNode::Drain(absl::Duration grace, absl::Duration flush) {
  link_->Quiesce();  // no new assignments; reports still go out
  executor_->Drain(grace);
  flusher_->Wake();
  spool_->AwaitEmpty(clock_, clock_->TimeNow() + flush);
  supervisor_->Stop();
}

OperatorMetrics::Snapshot OperatorNode::Snapshot() const {
  OperatorMetrics::Snapshot s;
  s.link = link_->status();
  s.running = executor_->running();
  s.queued = executor_->queued();
  s.capacity = config_.capacity;
  s.spool_depth = spool_->depth();
  s.spool_bytes = spool_->bytes();
  for (const auto& [target, state] : breakers_.States()) {
    s.breakers.emplace_back(target, static_cast<int>(state));
  }
  return s;
}

void OperatorNode::FillPing(v1::PingRequest* ping) {
  ping->set_capacity(config_.capacity);
  ping->set_running(executor_->running());
  ping->set_queue_depth(static_cast<int32_t>(spool_->depth()));
}

void OperatorNode::FillSync(v1::SyncRequest* sync) {
  sync->set_capacity(config_.capacity);
  for (v1::ExecutionRef& ref : executor_->Active()) {
    *sync->add_running() = std::move(ref);
  }
}

void OperatorNode::OnAssignment(const v1::Assignment& a) {
  const Executor::Submitted r = executor_->Submit(a);
  metrics_.OnAssignment(r == Executor::Submitted::kDuplicate);
  if (r == Executor::Submitted::kDuplicate) {
    LogEvent(spdlog::level::info, "assignment_not_run",
             {{"execution", a.execution_id()},
              {"attempt", a.attempt()},
              {"reason", "already running or done"}});
  } else if (r == Executor::Submitted::kDraining) {
    OnOutcome(HandBack(a, "operator draining"));
  }
}

void OperatorNode::OnCancel(const v1::Cancel& c) {
  const bool found =
      executor_->Cancel(c.execution_id(), c.attempt(), c.reason());
  LogEvent(spdlog::level::info, "cancel_received",
           {{"execution", c.execution_id()},
            {"attempt", c.attempt()},
            {"running_here", found ? "yes" : "no"}});
}

void OperatorNode::OnLinked() { flusher_->Wake(); }

bool OperatorNode::OnStart(const v1::Assignment& a) {
  if (std::optional<std::string> why = WhyNotStart(a, clock_->TimeNow())) {
    LogEvent(spdlog::level::info, "assignment_not_run",
             {{"execution", a.execution_id()},
              {"attempt", a.attempt()},
              {"reason", *why}});
    return false;
  }
  v1::ReportRequest running;
  running.set_operator_id(config_.id);
  running.set_execution_id(a.execution_id());
  running.set_attempt(a.attempt());
  running.set_status(v1::EXECUTION_STATUS_RUNNING);
  *running.mutable_started_at() = ToProtoTimestamp(clock_->TimeNow());
  running_->Started(std::move(running));
  return true;
}

void OperatorNode::OnOutcome(v1::ReportRequest outcome) {
  outcome.set_operator_id(config_.id);
  running_->Finished(outcome.execution_id(), outcome.attempt());
  if (outcome.status() == v1::EXECUTION_STATUS_PENDING) {
    metrics_.OnHandBack();
    LogEvent(spdlog::level::info, "assignment_handed_back",
             {{"execution", outcome.execution_id()},
              {"attempt", outcome.attempt()},
              {"reason", outcome.reason()}});
  } else {
    metrics_.OnOutcome(outcome.status());
  }
  absl::StatusOr<uint64_t> spooled = spool_->Append(outcome);
  if (spooled.ok()) {
    flusher_->Wake();
    return;
  }
  metrics_.OnSpoolFull();
  // Not durable here: hand it over directly if the aggregator is there.
  // If not, the attempt's lease runs out on the aggregator and the
  // execution is run again (at-least-once), so the fire is not lost.
  absl::StatusOr<v1::ReportResponse> direct =
      link_->Report(outcome, absl::Seconds(10));
  LogEvent(direct.ok() ? spdlog::level::warn : spdlog::level::err,
           "outcome_not_spooled",
           {{"execution", outcome.execution_id()},
            {"attempt", outcome.attempt()},
            {"status", v1::ExecutionStatus_Name(outcome.status())},
            {"error", spooled.status().ToString()},
            {"reported_directly", direct.ok() ? "yes" : "no"}});
}

}  // namespace ap
