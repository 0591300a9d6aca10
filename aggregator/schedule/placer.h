#ifndef AP_AGGREGATOR_SCHEDULE_PLACER_H_
#define AP_AGGREGATOR_SCHEDULE_PLACER_H_

// Placing a fire's new executions at once: before a fire round the Placer
// (the dispatcher) reserves room on connected operators; the round records
// as many of its new executions as there is room for DISPATCHED to those
// operators, under a lease, in the fire's own atomic write (instead of
// PENDING, and a second write when a dispatch round assigns them); after
// the write the Placer frees the room left over and sends them. A fire is
// still durable before anything of it is sent, and a crash in between
// leaves a DISPATCHED execution whose lease runs out, as with any other.
//
// No room is reserved while older executions wait to be dispatched: they
// go first, through dispatch rounds.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "ap/v1/workflow.pb.h"

namespace ap {

// An execution written DISPATCHED, with its workflow as stored by the same
// write (null if it could not be read).
struct PlacedExecution {
  v1::Execution execution;
  std::shared_ptr<const v1::Workflow> workflow;
};

class Placer {
 public:
  virtual ~Placer() = default;
  // Room for up to `max` executions: one operator id per slot, least
  // loaded first. Held (counted against capacity) until Deliver.
  virtual std::vector<std::string> Reserve(size_t max) = 0;
  // Makes `e` DISPATCHED to `operator_id` at `now`, under the lease the
  // workflow's execution timeout calls for (FAILED_PRECONDITION, `e`
  // unchanged, unless it is PENDING).
  virtual absl::Status Lease(v1::Execution* e, const v1::Workflow& workflow,
                             const std::string& operator_id,
                             absl::Time now) = 0;
  // The round is over: `placed` (written DISPATCHED into some of
  // `reserved`) go to their operators; the rest of the room is free again.
  // Called once per Reserve, with nothing placed if the write failed.
  virtual void Deliver(const std::vector<std::string>& reserved,
                       const std::vector<PlacedExecution>& placed) = 0;
};

// One round's reserved slots, handed out in order.
class Slots {
 public:
  Slots() = default;
  Slots(Placer* placer, std::vector<std::string> operators)
      : placer_(placer), operators_(std::move(operators)) {}

  // Leases `e` into the next free slot; false when none is left (or the
  // lease was refused: `e` stays as it was, for a dispatch round).
  bool Place(v1::Execution* e, const v1::Workflow& workflow, absl::Time now) {
    if (placer_ == nullptr || next_ >= operators_.size()) return false;
    return placer_->Lease(e, workflow, operators_[next_++], now).ok();
  }
  const std::vector<std::string>& reserved() const { return operators_; }

 private:
  Placer* placer_ = nullptr;
  std::vector<std::string> operators_;
  size_t next_ = 0;
};

}  // namespace ap

#endif  // AP_AGGREGATOR_SCHEDULE_PLACER_H_
