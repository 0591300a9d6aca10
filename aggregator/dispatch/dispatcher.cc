#include "aggregator/dispatch/dispatcher.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/proto_time.h"
#include "common/status.h"

namespace ap {

bool Session::Next(Clock* clock, absl::Time deadline, v1::NodeMessage* out) {
  absl::MutexLock l(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !outbox_.empty() || closed_;
  };
  clock->AwaitWithDeadline(&mu_, absl::Condition(&ready), deadline);
  if (outbox_.empty()) return false;  // timeout, or closed and flushed
  *out = std::move(outbox_.front());
  outbox_.pop_front();
  return true;
}

bool Session::Push(v1::NodeMessage message) {
  absl::MutexLock l(&mu_);
  if (closed_ || outbox_.size() >= outbox_limit_) return false;
  outbox_.push_back(std::move(message));
  return true;
}

bool Session::HasRoom() const {
  absl::MutexLock l(&mu_);
  return !closed_ && outbox_.size() < outbox_limit_;
}

void Session::Close() {
  absl::MutexLock l(&mu_);
  closed_ = true;
}

bool Session::closed() const {
  absl::MutexLock l(&mu_);
  return closed_;
}

void Session::Requeue(v1::NodeMessage message) {
  absl::MutexLock l(&mu_);
  outbox_.push_front(std::move(message));
}

std::vector<v1::NodeMessage> Session::TakeUnsent() {
  absl::MutexLock l(&mu_);
  std::vector<v1::NodeMessage> out(std::make_move_iterator(outbox_.begin()),
                                   std::make_move_iterator(outbox_.end()));
  outbox_.clear();
  return out;
}

std::shared_ptr<Session> Dispatcher::Connect(const std::string& operator_id,
                                             const std::string& version,
                                             int capacity) {
  auto session = std::make_shared<Session>(operator_id, std::max(1, capacity),
                                           options_.outbox_limit);
  const absl::Time now = clock_->TimeNow();
  absl::MutexLock l(&mu_);
  OperatorState& op = operators_[operator_id];
  if (op.session) {
    op.session->Close();  // a second Sync replaces the first
    LogEvent(spdlog::level::info, "sync_replaced", {{"operator", operator_id}});
  }
  op.session = session;
  op.info.set_id(operator_id);
  op.info.set_version(version);
  op.info.set_capacity(session->capacity());
  op.info.set_connected(true);
  *op.info.mutable_connected_since() = ToProtoTimestamp(now);
  *op.info.mutable_last_seen() = ToProtoTimestamp(now);
  return session;
}

size_t Dispatcher::Disconnect(const std::shared_ptr<Session>& session) {
  session->Close();
  absl::MutexLock l(&mu_);
  auto it = operators_.find(session->operator_id());
  // Assignments still queued never reached the operator: hand them back
  // now rather than at the end of their lease.
  size_t returned = 0;
  for (const v1::NodeMessage& m : session->TakeUnsent()) {
    if (!m.has_assignment()) continue;
    const v1::Assignment& a = m.assignment();
    if (!ledger_
             ->Unassign(a.execution_id(), session->operator_id(), a.attempt())
             .ok()) {
      continue;  // moved on meanwhile (canceled, expired)
    }
    if (it != operators_.end()) it->second.holding.erase(a.execution_id());
    holder_.erase(a.execution_id());
    ++returned;
    LogEvent(spdlog::level::info, "assignment_returned",
             {{"execution", a.execution_id()},
              {"attempt", a.attempt()},
              {"operator", session->operator_id()},
              {"reason", "stream ended before it was sent"}});
  }
  if (it != operators_.end() && it->second.session == session) {
    it->second.session.reset();
    it->second.info.set_connected(false);
  }
  return returned;
}

void Dispatcher::Ping(const v1::PingRequest& ping) {
  absl::MutexLock l(&mu_);
  OperatorState& op = operators_[ping.operator_id()];
  op.info.set_id(ping.operator_id());
  op.info.set_version(ping.version());
  op.info.set_running(ping.running());
  op.info.set_queue_depth(ping.queue_depth());
  *op.info.mutable_ping_latency() = ping.last_ping_latency();
  *op.info.mutable_last_seen() = ToProtoTimestamp(clock_->TimeNow());
}

Dispatcher::OperatorState* Dispatcher::PickLocked(
    const absl::flat_hash_map<std::string, int>& planned) {
  OperatorState* best = nullptr;
  double best_load = 0;
  for (auto& [id, op] : operators_) {
    if (!op.session || !op.session->HasRoom()) continue;
    auto extra = planned.find(id);
    const int held = static_cast<int>(op.holding.size()) +
                     (extra == planned.end() ? 0 : extra->second);
    if (held >= op.session->capacity()) continue;
    const double load = static_cast<double>(held) / op.session->capacity();
    if (best == nullptr || load < best_load ||
        (load == best_load && id < best->info.id())) {
      best = &op;
      best_load = load;
    }
  }
  return best;
}

absl::StatusOr<v1::NodeMessage> Dispatcher::AssignmentFor(
    const v1::Execution& e) {
  AP_ASSIGN_OR_RETURN(std::optional<v1::Workflow> w,
                      store_->GetWorkflow(e.workflow_id()));
  if (!w)
    return absl::NotFoundError(absl::StrCat("workflow ", e.workflow_id()));
  v1::NodeMessage m;
  v1::Assignment* a = m.mutable_assignment();
  a->set_execution_id(e.id());
  a->set_attempt(e.attempt());
  *a->mutable_workflow() = *std::move(w);
  *a->mutable_scheduled_at() = e.scheduled_at();
  a->set_cause(e.cause());
  *a->mutable_deadline() = e.lease_expires_at();
  return m;
}

size_t Dispatcher::DispatchPending() {
  size_t assigned = 0;
  absl::MutexLock l(&mu_);
  while (true) {
    if (PickLocked({}) == nullptr) return assigned;
    absl::StatusOr<std::vector<std::string>> pending = ledger_->Pending(512);
    if (!pending.ok() || pending->empty()) return assigned;
    // Plan the round (counting each pick against its operator), then
    // record all of it in one write.
    std::vector<std::pair<std::string, std::string>> plan;
    absl::flat_hash_map<std::string, int> planned;
    for (const std::string& id : *pending) {
      OperatorState* best = PickLocked(planned);
      if (best == nullptr) break;
      ++planned[best->info.id()];
      plan.emplace_back(id, best->info.id());
    }
    if (plan.empty()) return assigned;
    absl::StatusOr<std::vector<v1::Execution>> done = ledger_->AssignMany(plan);
    if (!done.ok()) {
      LogEvent(spdlog::level::err, "dispatch_failed",
               {{"error", done.status().ToString()}});
      return assigned;
    }
    size_t progressed = 0;
    for (const v1::Execution& e : *done) {
      OperatorState& op = operators_[e.operator_id()];
      absl::StatusOr<v1::NodeMessage> m = AssignmentFor(e);
      if (!op.session || !m.ok() || !op.session->Push(*std::move(m))) {
        // Never reached the operator: hand it back, same attempt.
        (void)ledger_->Unassign(e.id(), e.operator_id());
        LogEvent(spdlog::level::warn, "assignment_not_sent",
                 {{"execution", e.id()},
                  {"operator", e.operator_id()},
                  {"error", m.ok() ? "outbox full" : m.status().ToString()}});
        continue;
      }
      op.holding.insert(e.id());
      holder_[e.id()] = e.operator_id();
      ++assigned;
      ++progressed;
    }
    if (progressed == 0) return assigned;
  }
}

void Dispatcher::Released(const std::string& execution_id) {
  absl::MutexLock l(&mu_);
  auto it = holder_.find(execution_id);
  if (it == holder_.end()) return;
  auto op = operators_.find(it->second);
  if (op != operators_.end()) op->second.holding.erase(execution_id);
  holder_.erase(it);
}

void Dispatcher::Cancel(const std::vector<v1::Execution>& executions) {
  absl::MutexLock l(&mu_);
  for (const v1::Execution& e : executions) {
    auto holder = holder_.find(e.id());
    if (holder == holder_.end()) continue;
    auto op = operators_.find(holder->second);
    if (op == operators_.end() || !op->second.session) continue;
    v1::NodeMessage m;
    m.mutable_cancel()->set_execution_id(e.id());
    m.mutable_cancel()->set_attempt(e.attempt());
    m.mutable_cancel()->set_reason(e.reason());
    if (!op->second.session->Push(std::move(m))) {
      LogEvent(spdlog::level::warn, "cancel_not_sent",
               {{"execution", e.id()}, {"operator", holder->second}});
    }
  }
}

void Dispatcher::DrainAll(const std::string& reason) {
  absl::MutexLock l(&mu_);
  for (auto& [id, op] : operators_) {
    if (!op.session) continue;
    v1::NodeMessage m;
    m.mutable_drain()->set_reason(reason);
    op.session->Push(std::move(m));
    op.session->Close();
  }
}

std::vector<v1::OperatorInfo> Dispatcher::Operators() const {
  absl::MutexLock l(&mu_);
  std::vector<v1::OperatorInfo> out;
  for (const auto& [id, op] : operators_) out.push_back(op.info);
  return out;
}

}  // namespace ap
