#ifndef AP_AGGREGATOR_SERVICE_NODE_SERVICE_H_
#define AP_AGGREGATOR_SERVICE_NODE_SERVICE_H_

// ap.v1.Node over gRPC: authenticates the operator token (whose operator
// id must be the request's), then Ping feeds the Dispatcher's view of the
// operator, Sync drains the operator's Session onto the stream with a
// Heartbeat whenever nothing else was sent for heartbeat_interval, and
// Report goes to the ledger, freeing capacity for more dispatch. On a
// standby of a cluster every call is answered UNAVAILABLE naming the
// leader, whom the operator then calls.

#include <string>

#include "aggregator/auth/credentials.h"
#include "aggregator/dispatch/connect_limiter.h"
#include "aggregator/dispatch/dispatcher.h"
#include "aggregator/dispatch/ledger.h"
#include "aggregator/http/metrics.h"
#include "aggregator/service/leader_forwarder.h"
#include "ap/v1/node.grpc.pb.h"
#include "common/clock.h"

namespace ap {

struct NodeServiceOptions {
  absl::Duration ping_interval = absl::Seconds(5);
  absl::Duration heartbeat_interval = absl::Seconds(5);
  std::string aggregator_id;
  // In a cluster: set, a standby answers every call UNAVAILABLE naming the
  // leader (leader_forwarder.h).
  LeaderElsewhere leader_elsewhere;
  // Sync connects one operator may make per window.
  int max_connects = 10;
  absl::Duration connect_window = absl::Seconds(10);
};

// Ping is served on gRPC's callback API (no hand-off to a sync-server
// thread per call: pings are the most frequent call); the others are
// synchronous (Sync holds a thread per stream by design).
class NodeServiceImpl final
    : public v1::Node::WithCallbackMethod_Ping<v1::Node::Service> {
 public:
  // `metrics` is optional.
  NodeServiceImpl(Dispatcher* dispatcher, ExecutionLedger* ledger,
                  CredentialStore* credentials, Clock* clock,
                  NodeServiceOptions options,
                  AggregatorMetrics* metrics = nullptr)
      : dispatcher_(dispatcher),
        ledger_(ledger),
        credentials_(credentials),
        clock_(clock),
        options_(std::move(options)),
        connects_(clock, options_.max_connects, options_.connect_window),
        metrics_(metrics) {}

  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* ctx,
                                 const v1::PingRequest* req,
                                 v1::PingResponse* resp) override;
  grpc::Status Sync(grpc::ServerContext* ctx, const v1::SyncRequest* req,
                    grpc::ServerWriter<v1::NodeMessage>* writer) override;
  grpc::Status Report(grpc::ServerContext* ctx, const v1::ReportRequest* req,
                      v1::ReportResponse* resp) override;
  grpc::Status ReportBatch(grpc::ServerContext* ctx,
                           const v1::ReportBatchRequest* req,
                           v1::ReportBatchResponse* resp) override;

  static constexpr int kMaxReportBatch = 1000;

 private:
  // The operator the call's token belongs to.
  absl::StatusOr<std::string> TokenOperator(const grpc::ServerContextBase* ctx);
  // The operator the token belongs to, if it is `claimed`.
  absl::StatusOr<std::string> Authenticate(const grpc::ServerContextBase* ctx,
                                           const std::string& claimed);
  static bool IsHandBack(const v1::ReportRequest& r);
  // Metrics and the freed slot for a decided report; true when it freed
  // a slot (dispatch more).
  bool Settle(const v1::ReportRequest& r,
              const absl::StatusOr<v1::ReportResponse>& answer);

  Dispatcher* const dispatcher_;
  ExecutionLedger* const ledger_;
  CredentialStore* const credentials_;
  Clock* const clock_;
  const NodeServiceOptions options_;
  ConnectLimiter connects_;
  AggregatorMetrics* const metrics_;
};

}  // namespace ap

#endif  // AP_AGGREGATOR_SERVICE_NODE_SERVICE_H_
