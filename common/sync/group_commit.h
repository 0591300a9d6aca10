#ifndef AP_COMMON_SYNC_GROUP_COMMIT_H_
#define AP_COMMON_SYNC_GROUP_COMMIT_H_

// Group commit: concurrent callers of Submit() (one request) and SubmitAll()
// (several) are served in batches, one call of `commit` per batch, so that
// N concurrent callers cost one fsync'd write instead of N (the
// aggregator's reports, the operator's spool).
//
// No thread of its own. The first caller to find no batch in progress
// becomes the leader: it locks `serialize` (the lock the commit needs, so
// that callers arriving while it waits for that lock join this batch),
// takes every request queued so far (its own included), runs `commit` on
// them, and wakes the callers it served. Callers that arrive meanwhile queue
// up; when the leader is done one of them leads the next batch. A lone caller
// therefore commits at once, with no added latency; under load batches grow by
// themselves to the number of callers waiting on the previous write.
//
// `commit` receives the batch in arrival order and must set every item's
// result. Thread-safe.

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace ap {

// `Serialize` is a mutex type with Lock() and Unlock().
template <typename Request, typename Result, typename Serialize = absl::Mutex>
class GroupCommit {
 public:
  struct Item {
    const Request* request;
    Result result;
  };
  using CommitFn = std::function<void(std::vector<Item*>& batch)>;

  // `commit` runs with `serialize` held.
  GroupCommit(Serialize* serialize, CommitFn commit, Result unset)
      : serialize_(serialize),
        commit_(std::move(commit)),
        unset_(std::move(unset)) {}

  Result Submit(const Request& request) {
    return std::move(SubmitAll({request}).front());
  }

  // Several requests of one caller, committed together (in the same batch,
  // in this order); their results in the same order.
  std::vector<Result> SubmitAll(const std::vector<Request>& requests) {
    Waiter self;
    self.items.reserve(requests.size());
    for (const Request& r : requests) self.items.push_back({&r, unset_});
    std::vector<Waiter*> mine;
    {
      absl::MutexLock l(&mu_);
      queue_.push_back(&self);
      auto served_or_free = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return self.done || !leading_;
      };
      mu_.Await(absl::Condition(&served_or_free));
      if (self.done) return self.Results();
      leading_ = true;
    }
    {
      serialize_->Lock();
      {
        absl::MutexLock l(&mu_);
        mine.swap(queue_);
      }
      std::vector<Item*> batch;
      for (Waiter* w : mine) {
        for (Item& item : w->items) batch.push_back(&item);
      }
      commit_(batch);
      serialize_->Unlock();
    }
    {
      absl::MutexLock l(&mu_);
      for (Waiter* w : mine) w->done = true;
      leading_ = false;
      ++batches_;
    }
    return self.Results();
  }

  // Callers queued for the next batch (tests).
  size_t waiting() const {
    absl::MutexLock l(&mu_);
    return queue_.size();
  }

  // Batches committed so far (tests and metrics).
  uint64_t batches() const {
    absl::MutexLock l(&mu_);
    return batches_;
  }

 private:
  struct Waiter {
    std::vector<Item> items;
    bool done = false;
    std::vector<Result> Results() {
      std::vector<Result> out;
      out.reserve(items.size());
      for (Item& item : items) out.push_back(std::move(item.result));
      return out;
    }
  };

  Serialize* const serialize_;
  const CommitFn commit_;
  const Result unset_;
  mutable absl::Mutex mu_;
  std::vector<Waiter*> queue_ ABSL_GUARDED_BY(mu_);
  bool leading_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t batches_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace ap

#endif  // AP_COMMON_SYNC_GROUP_COMMIT_H_
