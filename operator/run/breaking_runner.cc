#include "operator/run/breaking_runner.h"

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
  if (!breakers_->Allow(target)) {
    v1::StepResult r;
    r.set_status(v1::STEP_STATUS_FAILED);
    r.set_error(absl::StrCat("circuit open for ", target,
                             ": recent requests failed; not sent"));
    return r;
  }
  v1::StepResult r = http_->Run(step, ctx);
  if (r.status() == v1::STEP_STATUS_CANCELED) {
    breakers_->OnNoResult(target);
  } else {
    breakers_->OnResult(target, !TargetUnwell(r));
  }
  return r;
}

}  // namespace ap
