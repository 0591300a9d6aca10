#ifndef AP_OPERATOR_LINK_LINK_H_
#define AP_OPERATOR_LINK_LINK_H_

// The operator's link to an aggregator (docs/protocol.md):
//
// - Ping at the interval the aggregator sets, each with a deadline. A failed
//   ping closes the stream, drops the connection and is retried after the
//   reconnect backoff (1 s, x2, ±20 %, 30 s cap; reset only after the link
//   was healthy for healthy_reset). An outage that follows a healthy link
//   is retried in step with its length instead: the next try comes within
//   outage_retry_ratio of the time the link has been down (at least the
//   initial delay, at most the cap), so an aggregator back after an outage
//   of D is found within max(1 s, D / 10) for D up to 5 minutes (a crash,
//   a restart, a redeploy); a flapping one (never healthy that long) keeps
//   backing off exponentially.
// - After a good ping, the Sync stream is opened. A watchdog cancels it
//   when nothing (not even a heartbeat) came for stale_heartbeats heartbeat
//   intervals, and the link starts over on a new connection. A stream that
//   ends is followed by a ping at once; after a Drain the backoff is reset
//   too (a routine reconnect, logged at DEBUG).
// - Several endpoints, the members of one cluster: a failed ping moves on
//   to the next member (EndpointSelector); a standby's answer naming the
//   leader moves the link there at once, without backing off (up to
//   kMaxFollows times between good pings).
// - Logs: the first failure of an outage at WARN with its cause, repeats
//   rate-limited; the reconnect once at INFO with the outage's length.
//
// Calls go through a StubFactory (grpc_stub.h in the binary, fakes in
// tests); waits go through the injected clock. Run() is the loop (one
// thread); everything else is thread-safe.

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ap/v1/node.pb.h"
#include "common/backoff/backoff.h"
#include "common/clock.h"
#include "operator/link/aggregator_stub.h"
#include "operator/link/endpoints.h"

namespace ap {

struct LinkOptions {
  std::vector<std::string> endpoints;
  std::string operator_id;
  std::string version;
  BackoffOptions backoff;  // 1 s, x2, ±20 %, 30 s
  absl::Duration healthy_reset = absl::Seconds(60);
  // After a healthy link: the delay before the next try, as a fraction of
  // how long the link has been down (jittered down by up to `jitter`).
  // 0 backs off exponentially as after a flapping link.
  double outage_retry_ratio = 0.09;
  // After a Drain, a reconnect within this is routine (logged at DEBUG).
  absl::Duration routine_reconnect = absl::Seconds(10);
  absl::Duration ping_deadline = absl::Seconds(5);
  int stale_heartbeats = 3;
  int failover_after = 1;
};

// What the link needs from, and delivers to, the rest of the operator.
// Called from the link's threads.
class LinkHandler {
 public:
  virtual ~LinkHandler() = default;
  // Capacity, running, queue depth (operator_id and version are set).
  virtual void FillPing(v1::PingRequest* ping) = 0;
  // Capacity and the attempts still running.
  virtual void FillSync(v1::SyncRequest* sync) = 0;
  virtual void OnAssignment(const v1::Assignment& assignment) = 0;
  virtual void OnCancel(const v1::Cancel& cancel) = 0;
  // A Sync stream is open: a good time to replay the spool.
  virtual void OnLinked() = 0;
};

struct LinkStatus {
  bool linked = false;  // a Sync stream is open
  std::string endpoint;
  int64_t connects = 0;    // streams opened
  int64_t messages = 0;    // received on streams, heartbeats included
  int64_t reconnects = 0;  // streams opened after the first
  int64_t ping_failures = 0;
  int64_t stale_streams = 0;
  int64_t failovers = 0;
  int64_t leader_follows = 0;  // moves to a leader a standby named
  absl::Duration last_ping_latency;
  absl::Duration backoff_delay;  // the last one waited
};

class Link {
 public:
  static constexpr int kMaxFollows = 3;

  Link(LinkOptions options, StubFactory* stubs, Clock* clock,
       LinkHandler* handler);
  ~Link();

  void Run();
  void Stop();
  // Stop holding a Sync stream (no more assignments) but keep pinging, so
  // outcomes can still be reported: the first step of a drain.
  void Quiesce();

  // Report on the current aggregator; UNAVAILABLE unless its last ping
  // succeeded.
  absl::StatusOr<v1::ReportResponse> Report(const v1::ReportRequest& report,
                                            absl::Duration deadline);
  // Several at once, as AggregatorStub::ReportBatch.
  absl::StatusOr<std::vector<absl::StatusOr<v1::ReportResponse>>> ReportBatch(
      const std::vector<v1::ReportRequest>& reports, absl::Duration deadline);
  LinkStatus status() const;
  // Waits until `pred` holds of the status (re-checked at each change, no
  // polling) or `timeout` of real time passes; returns whether it holds.
  bool AwaitStatus(const std::function<bool(const LinkStatus&)>& pred,
                   absl::Duration timeout) const;

 private:
  // The current aggregator's stub; UNAVAILABLE unless its last ping
  // succeeded.
  absl::StatusOr<std::shared_ptr<AggregatorStub>> ReachableStub();
  struct Stream;
  struct RunState;
  // How the time between two pings ended.
  enum class Watch { kPing, kStreamEnded, kStale, kQuiesce, kStop };

  // Run's steps: a failed ping (false on Stop), a good one, and what
  // follows the time between pings.
  bool OnPingFailure(RunState* st, const absl::Status& cause);
  void OnPingSuccess(RunState* st, const v1::PingResponse& ping);
  void AfterWatch(RunState* st, Watch watch);

  absl::StatusOr<v1::PingResponse> Ping();
  void OpenStream();
  void CloseStream();
  void ReadStream(SyncStream* call);
  // Drops the stream and the connection: the next ping starts afresh.
  void Disconnect();
  Watch WatchUntil(absl::Duration next_ping,
                   const EndpointSelector& endpoints);
  // Waits on the clock until `deadline` (monotonic), Stop, or the
  // stream's end; false on Stop.
  bool WaitUntil(absl::Duration deadline);
  absl::Duration StaleAt() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const LinkOptions options_;
  StubFactory* const stubs_;
  Clock* const clock_;
  LinkHandler* const handler_;

  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool quiesce_ ABSL_GUARDED_BY(mu_) = false;
  // The current stub answered its last ping.
  bool reachable_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<AggregatorStub> stub_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Stream> stream_;  // the Run thread's
  bool stream_ended_ ABSL_GUARDED_BY(mu_) = false;
  bool drained_ ABSL_GUARDED_BY(mu_) = false;
  absl::Duration last_message_ ABSL_GUARDED_BY(mu_);  // monotonic
  absl::Duration heartbeat_interval_ ABSL_GUARDED_BY(mu_) = absl::Seconds(5);
  LinkStatus status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ap

#endif  // AP_OPERATOR_LINK_LINK_H_
