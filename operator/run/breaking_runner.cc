#include "operator/run/breaking_runner.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"

namespace ap {
namespace {

bool TargetUnwell(const v1::StepResult& r) {
  if (r.status() == v1::STEP_STATUS_TIMED_OUT) return true;
  return r.status() == v1::STEP_STATUS_FAILED &&
         (r.http_status() == 0 || r.http_status() >= 500);
}

}  // namespace

v1::StepResult BreakingRunner::Run(const v1::Step& step,
                                   const StepContext& ctx) {
  const std::string target = TargetOf(step.http().url());
  const absl::Time asked = clock_->TimeNow();
  while (!breakers_->Allow(target)) {
    const absl::Time now = clock_->TimeNow();
    v1::StepResult r;
    if (ctx.canceled != nullptr && ctx.canceled->load()) {
      r.set_status(v1::STEP_STATUS_CANCELED);
      r.set_error(absl::StrCat("canceled while the circuit for ", target,
                               " was open; not sent"));
      return r;
    }
    const absl::Time limit = std::max(ctx.deadline, ctx.execution_deadline);
    if (now >= limit) {
      r.set_status(v1::STEP_STATUS_FAILED);
      r.set_error(absl::StrCat("circuit open for ", target,
                               ": recent requests failed, and it did not "
                               "close before the execution's deadline; not "
                               "sent"));
      return r;
    }
    const absl::Duration wait =
        std::min(breakers_->TrialIn(target, kCancelPoll), kCancelPoll);
    clock_->SleepUntil(std::min(now + std::max(wait, absl::Milliseconds(1)),
                                limit));
  }
  // The step's own timeout starts now that its request goes out.
  StepContext sent = ctx;
  const absl::Duration waited = clock_->TimeNow() - asked;
  if (waited > absl::ZeroDuration()) {
    sent.deadline = std::min(ctx.deadline + waited,
                             std::max(ctx.deadline, ctx.execution_deadline));
  }
  v1::StepResult r = http_->Run(step, sent);
  if (r.status() == v1::STEP_STATUS_CANCELED) {
    breakers_->OnNoResult(target);
  } else {
    breakers_->OnResult(target, !TargetUnwell(r));
  }
  return r;
}

}  // namespace ap
