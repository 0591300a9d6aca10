#ifndef AP_COMMON_SYNC_FAIR_MUTEX_H_
#define AP_COMMON_SYNC_FAIR_MUTEX_H_

// A mutex handed over in the order it was asked for (a ticket lock).
//
// absl::Mutex lets a thread that releases it take it straight back, ahead
// of threads already waiting. For the store's write lock that starved
// whole parties: the fire loop and the dispatch loop, each taking it again
// as soon as they let go, kept report commits waiting for seconds. With
// FairMutex every party that asks gets its turn, in order; a turn costs a
// thread hand-off, small next to the fsync'd write it protects.

#include <cstdint>
#include <thread>

#include "absl/base/internal/raw_logging.h"
#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace ap {

class ABSL_LOCKABLE FairMutex {
 public:
  FairMutex() = default;
  FairMutex(const FairMutex&) = delete;
  FairMutex& operator=(const FairMutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    absl::MutexLock l(&mu_);
    const uint64_t ticket = next_++;
    auto my_turn = [this, ticket]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return serving_ == ticket;
    };
    mu_.Await(absl::Condition(&my_turn));
    owner_ = std::this_thread::get_id();
  }

  void Unlock() ABSL_UNLOCK_FUNCTION() {
    absl::MutexLock l(&mu_);
    owner_ = std::thread::id();
    ++serving_;
  }

  // Threads waiting for their turn (tests).
  uint64_t waiting() const {
    absl::MutexLock l(&mu_);
    return next_ - serving_ - (owner_ == std::thread::id() ? 0 : 1);
  }

  // Dies unless the calling thread holds it.
  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() {
    absl::MutexLock l(&mu_);
    if (owner_ != std::this_thread::get_id()) {
      ABSL_RAW_LOG(FATAL, "FairMutex %p is not held by this thread",
                   static_cast<const void*>(this));
    }
  }

 private:
  mutable absl::Mutex mu_;
  uint64_t next_ ABSL_GUARDED_BY(mu_) = 0;     // the next ticket given out
  uint64_t serving_ ABSL_GUARDED_BY(mu_) = 0;  // the ticket that holds it
  std::thread::id owner_ ABSL_GUARDED_BY(mu_);
};

class ABSL_SCOPED_LOCKABLE FairMutexLock {
 public:
  explicit FairMutexLock(FairMutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu)
      : mu_(mu) {
    mu_->Lock();
  }
  ~FairMutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  FairMutexLock(const FairMutexLock&) = delete;
  FairMutexLock& operator=(const FairMutexLock&) = delete;

 private:
  FairMutex* const mu_;
};

}  // namespace ap

#endif  // AP_COMMON_SYNC_FAIR_MUTEX_H_
