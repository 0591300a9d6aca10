#ifndef AP_AGGREGATOR_DISPATCH_DISPATCHER_H_
#define AP_AGGREGATOR_DISPATCH_DISPATCHER_H_

// Live operators and what they run. Each Sync stream is a Session with a
// bounded outbox of NodeMessages; the gRPC handler drains it onto the
// stream. DispatchPending hands PENDING executions (oldest first) to the
// least-loaded session with free capacity through the ledger; a session
// whose outbox is full gets nothing more, so a slow operator never holds up
// the others. A second Connect for the same operator replaces (closes) the
// first. Drain tells every session to go and closes it.
//
// It is also the fire loop's Placer (placer.h): Reserve() holds room on
// the least-loaded operators for a fire round's new executions, which the
// round writes DISPATCHED; Deliver() sends them and frees what is left.
//
// Kick() asks for a dispatch round: on the dispatcher's own thread once
// Start()ed (dispatch_loop.h), else at once in the caller. Released() and
// Ping() never wait for a round in progress: they are on every report's
// and every ping's path.
//
// Thread-safe. No I/O of its own beyond the ledger.

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "aggregator/dispatch/dispatch_loop.h"
#include "aggregator/dispatch/ledger.h"
#include "ap/v1/aggregator.pb.h"
#include "ap/v1/node.pb.h"
#include "common/clock.h"

namespace ap {

class Session {
 public:
  Session(std::string operator_id, int capacity, size_t outbox_limit)
      : operator_id_(std::move(operator_id)),
        capacity_(capacity),
        outbox_limit_(outbox_limit) {}

  // The next message, waiting on `clock` until `deadline`. False when the
  // deadline passed (send a heartbeat) or the session is closed (check
  // closed()).
  bool Next(Clock* clock, absl::Time deadline, v1::NodeMessage* out);
  // Like Next, but takes up to `max` queued messages (at least one) into
  // `out`, in order.
  bool NextMany(Clock* clock, absl::Time deadline, size_t max,
                std::vector<v1::NodeMessage>* out);
  // False when the outbox is full or the session closed. An Assignment may
  // leave its workflow out and give it as `workflow`: it is copied in when
  // the message is taken (by the stream's thread, not the caller's).
  bool Push(v1::NodeMessage message,
            std::shared_ptr<const v1::Workflow> workflow = nullptr);
  // A message and the workflow to copy into it when taken (see Push).
  struct Outgoing {
    v1::NodeMessage message;
    std::shared_ptr<const v1::Workflow> workflow;  // to copy in, if set
  };
  // Queues the first of `messages`, in order, while the outbox has room,
  // waking the stream's thread once for all of them (one Push each would
  // wake it, and let it preempt the caller, for every message). Returns
  // how many were queued (0 once closed); those are moved from.
  size_t PushMany(std::vector<Outgoing>* messages);
  // How many more messages Push would take (0 once closed).
  size_t Room() const;
  void Close();
  bool closed() const;
  // Puts back a message whose write failed, first in line, even when
  // closed: the stream is over and Disconnect takes it back.
  void Requeue(v1::NodeMessage message);
  // Removes and returns what is still queued (the stream is over).
  std::vector<v1::NodeMessage> TakeUnsent();

  const std::string& operator_id() const { return operator_id_; }
  int capacity() const { return capacity_; }

 private:
  const std::string operator_id_;
  const int capacity_;
  const size_t outbox_limit_;
  static v1::NodeMessage Complete(Outgoing outgoing);

  mutable absl::Mutex mu_;
  std::deque<Outgoing> outbox_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

struct DispatcherOptions {
  size_t outbox_limit = 256;
  // Rounds on the dispatcher's thread start at least this far apart (see
  // dispatch_loop.h).
  absl::Duration min_round_gap = absl::Milliseconds(2);
  // Told of each execution queued for an operator, with how long it had
  // waited past its due time (its scheduled time, or the end of its retry
  // backoff): the dispatch latency (metrics).
  std::function<void(absl::Duration waited)> on_dispatched;
};

class Dispatcher final : public Placer {
 public:
  Dispatcher(ExecutionLedger* ledger, WorkflowStore* store, Clock* clock,
             DispatcherOptions options = {})
      : ledger_(ledger),
        store_(store),
        clock_(clock),
        options_(std::move(options)) {}

  // Runs Kick()ed rounds on a thread of the dispatcher's own, until Stop().
  void Start() { loop_.Start(); }
  void Stop() { loop_.Stop(); }
  // A dispatch round soon (started) or now (not started).
  void Kick() { loop_.Kick(); }
  // Off: no round assigns anything and no fire is placed (this aggregator
  // does not lead); a round in progress finishes first. On by default.
  void SetDispatching(bool on) {
    absl::MutexLock round(&round_mu_);
    dispatching_ = on;
  }

  // Registers a Sync stream; closes an earlier session of the same id.
  // `endpoint` is where it connects from (ListOperators shows it).
  std::shared_ptr<Session> Connect(const std::string& operator_id,
                                   const std::string& version, int capacity,
                                   const std::string& endpoint = "");
  // The stream ended. Assignments still queued for it (never sent) are
  // PENDING again, same attempt; returns how many (dispatch them). What was
  // sent stays leased until it is reported or its lease expires: it may be
  // running, and taking it back at once would run it twice.
  size_t Disconnect(const std::shared_ptr<Session>& session);
  // Records a ping (load and version) for ListOperators.
  void Ping(const v1::PingRequest& ping);

  // Assigns PENDING executions while some session has free capacity.
  // Returns how many were assigned. One round at a time.
  size_t DispatchPending();
  // Placer: room for a fire round's new executions (none while PENDING
  // ones are due: they go first, oldest first, through DispatchPending).
  std::vector<std::string> Reserve(size_t max) override;
  absl::Status Lease(v1::Execution* e, const v1::Workflow& workflow,
                     const std::string& operator_id, absl::Time now) override;
  void Deliver(const std::vector<std::string>& reserved,
               const std::vector<PlacedExecution>& placed) override;

  // An execution left an operator (terminal report, lease expiry, cancel).
  void Released(const std::string& execution_id);
  // Tells the holders of these executions to stop them.
  void Cancel(const std::vector<v1::Execution>& executions);
  // Closes the operator's stream, if one is open (its token was revoked);
  // what was queued and not sent is handed back when the stream ends.
  void Evict(const std::string& operator_id);
  // Every session gets Drain and is closed (shutdown).
  void DrainAll(const std::string& reason);

  std::vector<v1::OperatorInfo> Operators() const;

 private:
  struct OperatorState {
    std::shared_ptr<Session> session;
    absl::flat_hash_set<std::string> holding;  // execution ids
    int reserved = 0;                          // slots held for a fire round
  };
  // The id of the least-loaded connected operator with room, counting its
  // reserved slots and `planned` extra executions per operator, or nullptr.
  const std::string* PickLocked(
      const absl::flat_hash_map<std::string, int>& planned)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Up to `n` picks of PickLocked, each counted against its operator for
  // the next: one operator id per execution to place.
  std::vector<std::string> PlanLocked(size_t n)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Queues each of `all` (written DISPATCHED) for its operator, one push
  // per operator, and counts it held; what cannot be queued is handed back
  // (PENDING). Returns how many were queued.
  size_t SendAllLocked(const std::vector<ExecutionLedger::Assigned>& all)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Hands an assignment its operator never received back (PENDING, same
  // attempt); false when it moved on meanwhile or the write failed (then
  // it goes back when its lease expires; logged).
  bool HandBack(const v1::Assignment& a, const std::string& operator_id,
                const char* why) ABSL_LOCKS_EXCLUDED(mu_);
  // Undoes the hold on `a`, which never reached its operator, and hands it
  // back, same attempt (a failed write is logged: the lease brings it back).
  void HandBackLocked(const ExecutionLedger::Assigned& a, const char* why)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Frees the slots Released() queued since the last call.
  void ApplyReleasedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Updates the operator's OperatorInfo (ListOperators). Takes info_mu_
  // (after mu_ when both are held).
  void UpdateInfo(const std::string& operator_id,
                  const std::function<void(v1::OperatorInfo&)>& change);

  ExecutionLedger* const ledger_;
  WorkflowStore* const store_;
  Clock* const clock_;
  const DispatcherOptions options_;
  // Serializes rounds; taken before mu_.
  absl::Mutex round_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, OperatorState> operators_
      ABSL_GUARDED_BY(mu_);
  // Who holds each execution, and when (a value of recorded_) it was
  // assigned: a Released() queued before a re-assignment of the same
  // execution must not free the new holder's slot.
  struct Holder {
    std::string operator_id;
    uint64_t recorded;
  };
  absl::flat_hash_map<std::string, Holder> holder_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> recorded_{0};
  std::atomic<bool> dispatching_{true};
  // Slots to free (see Released()): execution id, recorded_ at the time.
  absl::Mutex released_mu_;
  std::vector<std::pair<std::string, uint64_t>> released_
      ABSL_GUARDED_BY(released_mu_);
  mutable absl::Mutex info_mu_ ABSL_ACQUIRED_AFTER(mu_);
  absl::flat_hash_map<std::string, v1::OperatorInfo> info_
      ABSL_GUARDED_BY(info_mu_);
  // Last member: stopped (destroyed) before everything its rounds use.
  DispatchLoop loop_{[this] { DispatchPending(); }, clock_,
                     options_.min_round_gap};
};

}  // namespace ap

#endif  // AP_AGGREGATOR_DISPATCH_DISPATCHER_H_
