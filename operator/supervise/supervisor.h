#ifndef AP_OPERATOR_SUPERVISE_SUPERVISOR_H_
#define AP_OPERATOR_SUPERVISE_SUPERVISOR_H_

// Runs the operator's long-lived loops (link, spool flusher, ...) each on
// its own thread. A loop that throws, or returns while the supervisor is
// not stopping, is logged (its name, how many restarts so far, why) and
// started again after a backoff (100 ms, x2, up to 10 s). Thread-safe.

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/clock.h"

namespace ap {

class Supervisor {
 public:
  explicit Supervisor(Clock* clock) : clock_(clock) {}
  ~Supervisor();  // Stop()

  // `run` is the loop; `stop` makes it return soon.
  void Add(std::string name, std::function<void()> run,
           std::function<void()> stop);
  // Stops every loop (calls each `stop`, joins the threads).
  void Stop();

  int64_t restarts(const std::string& name) const;

 private:
  struct Loop {
    std::string name;
    std::function<void()> run;
    std::function<void()> stop;
    int64_t restarts = 0;
    std::thread thread;
  };
  void Supervise(Loop* loop);

  Clock* const clock_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::unique_ptr<Loop>> loops_;
};

}  // namespace ap

#endif  // AP_OPERATOR_SUPERVISE_SUPERVISOR_H_
