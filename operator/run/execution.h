#ifndef AP_OPERATOR_RUN_EXECUTION_H_
#define AP_OPERATOR_RUN_EXECUTION_H_

// One attempt of an execution, start to outcome: the workflow's steps in
// order, each with its templates rendered ({{steps.ID.output}},
// {{execution.id}}, {{execution.scheduled_at}}, {{execution.attempt}}, {{workflow.id}}), its own
// timeout and the execution's deadline. The first step that does not
// succeed ends the run: the rest are SKIPPED and the outcome says which
// step and why. No thread of its own; the executor calls it on a worker.

#include <atomic>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "ap/v1/node.pb.h"
#include "operator/run/step_runner.h"

namespace ap {

// What an execution runs with: a runner per kind of step, and the clock
// its times and deadlines are read from.
struct Runners {
  StepRunner* http = nullptr;
  StepRunner* command = nullptr;
  Clock* clock = Clock::Real();
};

// The outcome to report (operator_id left empty). `canceled` stops the run
// between and inside steps: the outcome is then CANCELED.
v1::ReportRequest RunExecution(const v1::Assignment& assignment,
                               const Runners& runners, size_t max_output_bytes,
                               const std::atomic<bool>& canceled);

// Why an attempt must not start now, or nullopt when it may: its lease
// (the assignment's deadline) has run out, so the aggregator may have
// given the execution to another operator already. This is the gate
// before a step runs; the RUNNING report that follows is sent in the
// background (running_reporter.h), and a STALE answer to it cancels the
// attempt (docs/protocol.md).
std::optional<std::string> WhyNotStart(const v1::Assignment& assignment,
                                       absl::Time now);

// The report that hands an assignment back unstarted (status PENDING):
// the aggregator makes it PENDING again, same attempt.
v1::ReportRequest HandBack(const v1::Assignment& assignment,
                           const std::string& reason);

}  // namespace ap

#endif  // AP_OPERATOR_RUN_EXECUTION_H_
