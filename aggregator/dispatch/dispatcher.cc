#include "aggregator/dispatch/dispatcher.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/proto_time.h"
#include "common/status.h"

namespace ap {

bool Session::Next(Clock* clock, absl::Time deadline, v1::NodeMessage* out) {
  std::vector<v1::NodeMessage> one;
  if (!NextMany(clock, deadline, 1, &one)) return false;
  *out = std::move(one.front());
  return true;
}

bool Session::NextMany(Clock* clock, absl::Time deadline, size_t max,
                       std::vector<v1::NodeMessage>* out) {
  std::vector<Outgoing> taken;
  {
    absl::MutexLock l(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !outbox_.empty() || closed_;
    };
    clock->AwaitWithDeadline(&mu_, absl::Condition(&ready), deadline);
    if (outbox_.empty()) return false;  // timeout, or closed and flushed
    while (!outbox_.empty() && taken.size() < std::max<size_t>(max, 1)) {
      taken.push_back(std::move(outbox_.front()));
      outbox_.pop_front();
    }
  }
  for (Outgoing& o : taken) out->push_back(Complete(std::move(o)));
  return true;
}

v1::NodeMessage Session::Complete(Outgoing outgoing) {
  if (outgoing.workflow != nullptr) {
    *outgoing.message.mutable_assignment()->mutable_workflow() =
        *outgoing.workflow;
  }
  return std::move(outgoing.message);
}

bool Session::Push(v1::NodeMessage message,
                   std::shared_ptr<const v1::Workflow> workflow) {
  absl::MutexLock l(&mu_);
  if (closed_ || outbox_.size() >= outbox_limit_) return false;
  outbox_.push_back({std::move(message), std::move(workflow)});
  return true;
}

size_t Session::PushMany(std::vector<Outgoing>* messages) {
  absl::MutexLock l(&mu_);
  if (closed_) return 0;
  size_t queued = 0;
  while (queued < messages->size() && outbox_.size() < outbox_limit_) {
    outbox_.push_back(std::move((*messages)[queued++]));
  }
  return queued;
}

size_t Session::Room() const {
  absl::MutexLock l(&mu_);
  return closed_ || outbox_.size() >= outbox_limit_
             ? 0
             : outbox_limit_ - outbox_.size();
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
  outbox_.push_front({std::move(message), nullptr});
}

std::vector<v1::NodeMessage> Session::TakeUnsent() {
  std::deque<Outgoing> unsent;
  {
    absl::MutexLock l(&mu_);
    unsent.swap(outbox_);
  }
  std::vector<v1::NodeMessage> out;
  out.reserve(unsent.size());
  for (Outgoing& o : unsent) out.push_back(Complete(std::move(o)));
  return out;
}

std::shared_ptr<Session> Dispatcher::Connect(const std::string& operator_id,
                                             const std::string& version,
                                             int capacity,
                                             const std::string& endpoint) {
  auto session = std::make_shared<Session>(operator_id, std::max(1, capacity),
                                           options_.outbox_limit);
  const absl::Time now = clock_->TimeNow();
  {
    absl::MutexLock l(&mu_);
    OperatorState& op = operators_[operator_id];
    if (op.session) {
      op.session->Close();  // a second Sync replaces the first
      LogEvent(spdlog::level::info, "sync_replaced",
               {{"operator", operator_id}});
    }
    op.session = session;
    // Under mu_, so that a Disconnect of the replaced session cannot mark
    // the operator disconnected after this.
    UpdateInfo(operator_id, [&](v1::OperatorInfo& info) {
      info.set_version(version);
      info.set_endpoint(endpoint);
      info.set_capacity(session->capacity());
      info.set_connected(true);
      *info.mutable_connected_since() = ToProtoTimestamp(now);
      *info.mutable_last_seen() = ToProtoTimestamp(now);
    });
  }
  return session;
}

size_t Dispatcher::Disconnect(const std::shared_ptr<Session>& session) {
  session->Close();
  std::vector<v1::Assignment> unsent;
  {
    absl::MutexLock l(&mu_);
    ApplyReleasedLocked();
    auto it = operators_.find(session->operator_id());
    // Assignments still queued never reached the operator: no longer held
    // by it, and handed back below rather than at the end of their lease.
    for (v1::NodeMessage& m : session->TakeUnsent()) {
      if (!m.has_assignment()) continue;
      const std::string& id = m.assignment().execution_id();
      if (it != operators_.end()) it->second.holding.erase(id);
      holder_.erase(id);
      unsent.push_back(std::move(*m.mutable_assignment()));
    }
    if (it != operators_.end() && it->second.session == session) {
      it->second.session.reset();
      UpdateInfo(session->operator_id(),
                 [](v1::OperatorInfo& info) { info.set_connected(false); });
    }
  }
  // The writes happen outside the dispatcher's lock: fire and dispatch
  // rounds do not wait for them.
  size_t returned = 0;
  for (const v1::Assignment& a : unsent) {
    if (HandBack(a, session->operator_id(),
                 "stream ended before it was sent")) {
      ++returned;
    }
  }
  return returned;
}

bool Dispatcher::HandBack(const v1::Assignment& a,
                          const std::string& operator_id, const char* why) {
  const absl::Status s =
      ledger_->Unassign(a.execution_id(), operator_id, a.attempt());
  if (s.ok()) {
    LogEvent(spdlog::level::info, "assignment_returned",
             {{"execution", a.execution_id()},
              {"attempt", a.attempt()},
              {"operator", operator_id},
              {"reason", why}});
    return true;
  }
  if (s.code() != absl::StatusCode::kFailedPrecondition) {
    // Not written: it stays DISPATCHED and goes back when its lease ends.
    LogEvent(spdlog::level::err, "hand_back_failed",
             {{"execution", a.execution_id()},
              {"operator", operator_id},
              {"error", s.ToString()},
              {"then", "returned when its lease expires"}});
  }
  return false;  // or it moved on meanwhile (canceled, expired)
}

void Dispatcher::Ping(const v1::PingRequest& ping) {
  const absl::Time now = clock_->TimeNow();
  UpdateInfo(ping.operator_id(), [&](v1::OperatorInfo& info) {
    info.set_version(ping.version());
    info.set_running(ping.running());
    info.set_queue_depth(ping.queue_depth());
    *info.mutable_ping_latency() = ping.last_ping_latency();
    *info.mutable_last_seen() = ToProtoTimestamp(now);
  });
}

void Dispatcher::UpdateInfo(
    const std::string& operator_id,
    const std::function<void(v1::OperatorInfo&)>& change) {
  absl::MutexLock l(&info_mu_);
  v1::OperatorInfo& info = info_[operator_id];
  info.set_id(operator_id);
  change(info);
}

const std::string* Dispatcher::PickLocked(
    const absl::flat_hash_map<std::string, int>& planned) {
  const std::string* best_id = nullptr;
  double best_load = 0;
  for (auto& [id, op] : operators_) {
    auto extra = planned.find(id);
    const int extra_n =
        op.reserved + (extra == planned.end() ? 0 : extra->second);
    // Never plan more than the outbox takes: what does not fit would be
    // written DISPATCHED and then handed back, two writes for nothing.
    if (!op.session || static_cast<size_t>(extra_n) >= op.session->Room()) {
      continue;
    }
    const int held = static_cast<int>(op.holding.size()) + extra_n;
    if (held >= op.session->capacity()) continue;
    const double load = static_cast<double>(held) / op.session->capacity();
    if (best_id == nullptr || load < best_load ||
        (load == best_load && id < *best_id)) {
      best_id = &id;
      best_load = load;
    }
  }
  return best_id;
}

std::vector<std::string> Dispatcher::PlanLocked(size_t n) {
  std::vector<std::string> picks;
  absl::flat_hash_map<std::string, int> planned;
  while (picks.size() < n) {
    const std::string* best = PickLocked(planned);
    if (best == nullptr) break;
    ++planned[*best];
    picks.push_back(*best);
  }
  return picks;
}

namespace {

// How long `e`, just dispatched, waited past the time it was due.
absl::Duration Waited(const v1::Execution& e) {
  absl::Time due = FromProto(e.scheduled_at());
  if (e.has_not_before()) due = std::max(due, FromProto(e.not_before()));
  return FromProto(e.dispatched_at()) - due;
}

// The Assignment without its workflow (Session::Push copies that in later).
v1::NodeMessage AssignmentFor(const ExecutionLedger::Assigned& assigned) {
  const v1::Execution& e = assigned.execution;
  v1::NodeMessage m;
  v1::Assignment* a = m.mutable_assignment();
  a->set_execution_id(e.id());
  a->set_attempt(e.attempt());
  *a->mutable_scheduled_at() = e.scheduled_at();
  a->set_cause(e.cause());
  *a->mutable_deadline() = e.lease_expires_at();
  return m;
}

}  // namespace

size_t Dispatcher::DispatchPending() {
  absl::MutexLock round(&round_mu_);
  if (!dispatching_) return 0;
  size_t assigned = 0;
  absl::MutexLock l(&mu_);
  ApplyReleasedLocked();
  while (true) {
    if (PickLocked({}) == nullptr) return assigned;
    absl::StatusOr<std::vector<std::string>> pending = ledger_->Pending(512);
    if (!pending.ok() || pending->empty()) return assigned;
    // Plan the round, then record all of it in one write.
    const std::vector<std::string> picks = PlanLocked(pending->size());
    if (picks.empty()) return assigned;
    std::vector<std::pair<std::string, std::string>> plan;
    for (size_t i = 0; i < picks.size(); ++i) {
      plan.emplace_back((*pending)[i], picks[i]);
    }
    absl::StatusOr<std::vector<ExecutionLedger::Assigned>> done =
        ledger_->AssignMany(plan);
    if (!done.ok()) {
      LogEvent(spdlog::level::err, "dispatch_failed",
               {{"error", done.status().ToString()}});
      return assigned;
    }
    const size_t progressed = SendAllLocked(*done);
    assigned += progressed;
    if (progressed == 0) return assigned;
  }
}

size_t Dispatcher::SendAllLocked(
    const std::vector<ExecutionLedger::Assigned>& all) {
  // By operator, in order: each stream is woken once.
  absl::flat_hash_map<std::string,
                      std::vector<const ExecutionLedger::Assigned*>>
      by_operator;
  for (const ExecutionLedger::Assigned& a : all) {
    if (a.workflow == nullptr) {
      HandBackLocked(a, "workflow gone");
      continue;
    }
    by_operator[a.execution.operator_id()].push_back(&a);
  }
  size_t sent = 0;
  for (const auto& [op_id, group] : by_operator) {
    OperatorState& op = operators_[op_id];
    std::vector<Session::Outgoing> messages;
    for (const ExecutionLedger::Assigned* a : group) {
      // Held before it is pushed: once pushed, the operator may run it and
      // report before this thread goes on, and a Released() that saw an
      // older recorded_ would be ignored, leaking the slot.
      op.holding.insert(a->execution.id());
      holder_[a->execution.id()] = {op_id, ++recorded_};
      messages.push_back({AssignmentFor(*a), a->workflow});
    }
    const size_t queued = op.session ? op.session->PushMany(&messages) : 0;
    for (size_t i = 0; i < group.size(); ++i) {
      if (i >= queued) {
        HandBackLocked(*group[i], op.session ? "outbox full" : "stream ended");
      } else if (options_.on_dispatched) {
        options_.on_dispatched(Waited(group[i]->execution));
      }
    }
    sent += queued;
  }
  return sent;
}

void Dispatcher::HandBackLocked(const ExecutionLedger::Assigned& a,
                                const char* why) {
  const std::string& id = a.execution.id();
  const std::string& op_id = a.execution.operator_id();
  operators_[op_id].holding.erase(id);
  holder_.erase(id);
  LogEvent(spdlog::level::warn, "assignment_not_sent",
           {{"execution", id}, {"operator", op_id}, {"error", why}});
  if (absl::Status s = ledger_->Unassign(id, op_id); !s.ok()) {
    LogEvent(spdlog::level::err, "hand_back_failed",
             {{"execution", id},
              {"operator", op_id},
              {"error", s.ToString()},
              {"then", "returned when its lease expires"}});
  }
}

std::vector<std::string> Dispatcher::Reserve(size_t max) {
  if (!dispatching_) return {};
  absl::MutexLock l(&mu_);
  ApplyReleasedLocked();
  // Executions already waiting go first (oldest first, DispatchPending).
  absl::StatusOr<bool> waiting = ledger_->AnyPending();
  if (!waiting.ok() || *waiting) return {};
  std::vector<std::string> slots = PlanLocked(max);
  for (const std::string& id : slots) ++operators_[id].reserved;
  return slots;
}

absl::Status Dispatcher::Lease(v1::Execution* e, const v1::Workflow& workflow,
                               const std::string& operator_id, absl::Time now) {
  absl::Status leased = ledger_->Lease(e, &workflow, operator_id, now);
  if (!leased.ok()) {
    LogEvent(spdlog::level::err, "placement_refused",
             {{"execution", e->id()}, {"error", leased.ToString()}});
  }
  return leased;
}

void Dispatcher::Deliver(const std::vector<std::string>& reserved,
                         const std::vector<PlacedExecution>& placed) {
  bool handed_back = false;
  {
    absl::MutexLock l(&mu_);
    for (const std::string& id : reserved) --operators_[id].reserved;
    handed_back = SendAllLocked(placed) < placed.size();
  }
  if (handed_back) Kick();  // PENDING again: another operator may take it
}

void Dispatcher::Released(const std::string& execution_id) {
  const uint64_t now = recorded_.load();
  absl::MutexLock l(&released_mu_);
  released_.emplace_back(execution_id, now);
}

void Dispatcher::ApplyReleasedLocked() {
  std::vector<std::pair<std::string, uint64_t>> released;
  {
    absl::MutexLock l(&released_mu_);
    released.swap(released_);
  }
  for (const auto& [execution_id, when] : released) {
    auto it = holder_.find(execution_id);
    // Not held, or assigned again after it was released.
    if (it == holder_.end() || it->second.recorded > when) continue;
    auto op = operators_.find(it->second.operator_id);
    if (op != operators_.end()) op->second.holding.erase(execution_id);
    holder_.erase(it);
  }
}

void Dispatcher::Cancel(const std::vector<v1::Execution>& executions) {
  absl::MutexLock l(&mu_);
  ApplyReleasedLocked();
  for (const v1::Execution& e : executions) {
    auto holder = holder_.find(e.id());
    if (holder == holder_.end()) continue;
    auto op = operators_.find(holder->second.operator_id);
    if (op == operators_.end() || !op->second.session) continue;
    v1::NodeMessage m;
    m.mutable_cancel()->set_execution_id(e.id());
    m.mutable_cancel()->set_attempt(e.attempt());
    m.mutable_cancel()->set_reason(e.reason());
    if (!op->second.session->Push(std::move(m))) {
      LogEvent(
          spdlog::level::warn, "cancel_not_sent",
          {{"execution", e.id()}, {"operator", holder->second.operator_id}});
    }
  }
}

void Dispatcher::Evict(const std::string& operator_id) {
  absl::MutexLock l(&mu_);
  auto it = operators_.find(operator_id);
  if (it == operators_.end() || !it->second.session) return;
  it->second.session->Close();
  LogEvent(spdlog::level::info, "operator_evicted",
           {{"operator", operator_id}, {"reason", "credentials revoked"}});
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
  absl::MutexLock l(&info_mu_);
  std::vector<v1::OperatorInfo> out;
  for (const auto& [id, info] : info_) out.push_back(info);
  return out;
}

}  // namespace ap
