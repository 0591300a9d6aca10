#ifndef AP_AGGREGATOR_DISPATCH_PACKING_H_
#define AP_AGGREGATOR_DISPATCH_PACKING_H_

// Assignments to an operator that accepts batches (SyncRequest.
// accepts_batches) go several to a NodeMessage: one stream write instead of
// one each, which at thousands of assignments a second is most of what a
// Sync stream costs both ends.

#include <cstddef>
#include <vector>

#include "ap/v1/node.pb.h"

namespace ap {

// Runs of consecutive assignments in `messages` become AssignmentBatch
// messages of at most `max_bytes` of assignments each (an assignment larger
// than that goes alone, as a plain assignment); everything else, and the
// order, stays as it was.
std::vector<v1::NodeMessage> PackAssignments(
    std::vector<v1::NodeMessage> messages, size_t max_bytes);

// The inverse: a batch becomes one message per assignment; other messages
// are returned as they are.
std::vector<v1::NodeMessage> UnpackAssignments(v1::NodeMessage message);

}  // namespace ap

#endif  // AP_AGGREGATOR_DISPATCH_PACKING_H_
