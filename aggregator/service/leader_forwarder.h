#ifndef AP_AGGREGATOR_SERVICE_LEADER_FORWARDER_H_
#define AP_AGGREGATOR_SERVICE_LEADER_FORWARDER_H_

// Calls on a standby of a cluster (store: postgres): the user API is
// forwarded to the leader, so apctl, grpcurl and a load balancer can use
// any member; the Node API is answered UNAVAILABLE naming the leader, so
// an operator moves there at once.
//
// A forwarded call carries the caller's own metadata (its API key) and
// deadline, and is marked; a member that receives a marked call while it
// is a standby itself answers UNAVAILABLE naming whom it thinks leads,
// rather than forwarding again (no loops while views disagree).

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/message.h"
#include "grpcpp/channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/server_context.h"

namespace ap {

// Trailing metadata of a standby's UNAVAILABLE: the leader's address
// (empty: not known yet).
inline constexpr char kLeaderMetadata[] = "ap-leader";
inline constexpr char kForwardedMetadata[] = "ap-forwarded-by";

// nullopt while this aggregator leads (or is alone); else the leader's
// gRPC address, empty while no leader is known.
using LeaderElsewhere = std::function<std::optional<std::string>()>;

// On a standby: UNAVAILABLE saying who leads, the address also in trailing
// metadata. nullopt on the leader.
std::optional<grpc::Status> StandbyAnswer(grpc::ServerContextBase* ctx,
                                          const LeaderElsewhere& leader);

class LeaderForwarder {
 public:
  // `self` names this member in the mark on forwarded calls.
  LeaderForwarder(LeaderElsewhere leader,
                  std::shared_ptr<grpc::ChannelCredentials> credentials,
                  std::string self);

  // nullopt: this member leads, handle the call here. Otherwise the answer
  // to give: the leader's (with `resp` filled) or UNAVAILABLE.
  std::optional<grpc::Status> Forward(grpc::ServerContext* ctx,
                                      const std::string& method,
                                      const google::protobuf::Message& req,
                                      google::protobuf::Message* resp)
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  std::shared_ptr<grpc::Channel> ChannelTo(const std::string& address)
      ABSL_LOCKS_EXCLUDED(mu_);

  const LeaderElsewhere leader_;
  const std::shared_ptr<grpc::ChannelCredentials> credentials_;
  const std::string self_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<grpc::Channel>> channels_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace ap

#endif  // AP_AGGREGATOR_SERVICE_LEADER_FORWARDER_H_
