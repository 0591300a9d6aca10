#ifndef AP_OPERATOR_LINK_AGGREGATOR_STUB_H_
#define AP_OPERATOR_LINK_AGGREGATOR_STUB_H_

// The transport seam between the operator's link logic and an aggregator
// (after google-cloud-cpp's pubsub publisher_stub.h): the link talks to
// these interfaces, grpc_stub.h implements them over gRPC, and tests use
// fakes to drive pings, streams and failures without a network.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/time/time.h"
#include "ap/v1/node.pb.h"

namespace ap {

// A standby's refusal (UNAVAILABLE) carries the address of the cluster's
// leader as this payload of its status (from the `ap-leader` trailer).
inline constexpr char kLeaderPayload[] = "type.ap/leader";

// The leader a failed call's status names, or empty.
inline std::string LeaderNamed(const absl::Status& status) {
  auto leader = status.GetPayload(kLeaderPayload);
  return leader.has_value() ? std::string(*leader) : std::string();
}

// One open Sync stream. Read blocks until a message comes (true) or the
// stream is over (false); Cancel may be called from any thread and makes
// a blocked Read return false soon. Finish, after Read returned false,
// tells why the stream ended.
class SyncStream {
 public:
  virtual ~SyncStream() = default;
  virtual bool Read(v1::NodeMessage* message) = 0;
  virtual void Cancel() = 0;
  virtual absl::Status Finish() = 0;
};

// Calls on one aggregator endpoint. Thread-safe.
class AggregatorStub {
 public:
  virtual ~AggregatorStub() = default;
  virtual absl::StatusOr<v1::PingResponse> Ping(const v1::PingRequest& request,
                                                absl::Duration deadline) = 0;
  virtual std::unique_ptr<SyncStream> Sync(const v1::SyncRequest& request) = 0;
  virtual absl::StatusOr<v1::ReportResponse> Report(
      const v1::ReportRequest& request, absl::Duration deadline) = 0;
  // Several reports in one call: an answer per report, in order (the
  // error Report would have failed with, for one refused), or why the
  // whole call failed (UNIMPLEMENTED from an aggregator without it).
  virtual absl::StatusOr<std::vector<absl::StatusOr<v1::ReportResponse>>>
  ReportBatch(const std::vector<v1::ReportRequest>& reports,
              absl::Duration deadline) = 0;
};

// Makes a stub for an endpoint: a new connection each time, so a fresh
// start carries no transport backoff from the last one. Thread-safe.
class StubFactory {
 public:
  virtual ~StubFactory() = default;
  virtual std::shared_ptr<AggregatorStub> Connect(
      const std::string& endpoint) = 0;
};

}  // namespace ap

#endif  // AP_OPERATOR_LINK_AGGREGATOR_STUB_H_
