#ifndef AP_BENCH_POPULATE_H_
#define AP_BENCH_POPULATE_H_

// Stores workflows for the aggregator benchmarks directly (one unsynced
// batch), as WorkflowService::Create would leave them.

#include "absl/time/time.h"
#include "aggregator/store/store.h"
#include "aggregator/workflows/validate.h"
#include "aggregator/records/workflow_store.h"
#include "common/clock.h"
#include "common/proto_time.h"
#include "common/ulid.h"

namespace ap::bench {

// n workflows firing every `every`, each anchored at its own offset within
// that period: a steady n fires per period, the first at now + 2 s.
inline void PopulateSpreadIntervals(Store* store, int n, absl::Time now,
                                    absl::Duration every = absl::Seconds(1)) {
  UlidGenerator ids(Clock::Real());
  WorkflowBatch batch;
  for (int i = 0; i < n; ++i) {
    v1::Workflow w;
    w.set_name("bench");
    *w.mutable_trigger()->mutable_interval()->mutable_every() =
        ToProtoDuration(every);
    w.add_steps()->set_id("s");
    w.mutable_steps(0)->mutable_http()->set_url("http://127.0.0.1:9/hook");
    ApplyDefaults(&w);
    w.set_id(ids.Next());
    w.set_owner("bench");
    w.set_status(v1::WORKFLOW_STATUS_ACTIVE);
    const absl::Time first = now + absl::Seconds(2) + every * i / n;
    *w.mutable_created_at() = ToProtoTimestamp(first - every);
    *w.mutable_next_fire_at() = ToProtoTimestamp(first);
    batch.PutWorkflow(nullptr, w);
  }
  (void)store->Write(batch.raw());
}

}  // namespace ap::bench

#endif  // AP_BENCH_POPULATE_H_
