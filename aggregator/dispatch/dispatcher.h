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
// Thread-safe. No I/O of its own beyond the ledger.

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
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
  // False when the outbox is full or the session closed.
  bool Push(v1::NodeMessage message);
  // Whether Push would take another message.
  bool HasRoom() const;
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
  mutable absl::Mutex mu_;
  std::deque<v1::NodeMessage> outbox_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

struct DispatcherOptions {
  size_t outbox_limit = 256;
};

class Dispatcher {
 public:
  Dispatcher(ExecutionLedger* ledger, WorkflowStore* store, Clock* clock,
             DispatcherOptions options = {})
      : ledger_(ledger), store_(store), clock_(clock), options_(options) {}

  // Registers a Sync stream; closes an earlier session of the same id.
  std::shared_ptr<Session> Connect(const std::string& operator_id,
                                   const std::string& version, int capacity);
  // The stream ended. Assignments still queued for it (never sent) are
  // PENDING again, same attempt; returns how many (dispatch them). What was
  // sent stays leased until it is reported or its lease expires: it may be
  // running, and taking it back at once would run it twice.
  size_t Disconnect(const std::shared_ptr<Session>& session);
  // Records a ping (load and version) for ListOperators.
  void Ping(const v1::PingRequest& ping);

  // Assigns PENDING executions while some session has free capacity.
  // Returns how many were assigned.
  size_t DispatchPending();
  // An execution left an operator (terminal report, lease expiry, cancel).
  void Released(const std::string& execution_id);
  // Tells the holders of these executions to stop them.
  void Cancel(const std::vector<v1::Execution>& executions);
  // Every session gets Drain and is closed (shutdown).
  void DrainAll(const std::string& reason);

  std::vector<v1::OperatorInfo> Operators() const;

 private:
  struct OperatorState {
    v1::OperatorInfo info;
    std::shared_ptr<Session> session;
    absl::flat_hash_set<std::string> holding;  // execution ids
  };
  // The least-loaded connected operator with room, counting `planned`
  // extra executions per operator, or nullptr.
  OperatorState* PickLocked(
      const absl::flat_hash_map<std::string, int>& planned)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Builds the Assignment for a just-dispatched execution.
  absl::StatusOr<v1::NodeMessage> AssignmentFor(const v1::Execution& e);

  ExecutionLedger* const ledger_;
  WorkflowStore* const store_;
  Clock* const clock_;
  const DispatcherOptions options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, OperatorState> operators_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::string> holder_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ap

#endif  // AP_AGGREGATOR_DISPATCH_DISPATCHER_H_
