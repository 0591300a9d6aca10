#include "operator/link/link.h"

#include <algorithm>
#include <optional>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "common/backoff/reconnect_backoff.h"
#include "common/log/log.h"
#include "common/log/rate_limiter.h"
#include "common/proto_time.h"
#include "common/status.h"

namespace ap {

struct Link::Stream {
  std::unique_ptr<SyncStream> call;
  std::thread reader;
};

namespace {

std::string Cause(const absl::Status& s) {
  return absl::StrCat(absl::StatusCodeToString(s.code()), ": ", s.message());
}

// When the link went down and how soon to try again. An outage that
// follows a link healthy for healthy_reset is retried in step with its
// length (outage_retry_ratio of it, within the initial delay and the cap),
// so a restarted or redeployed aggregator is found after a tenth of the
// time it was away; otherwise the reconnect backoff grows, never reset by a
// short success, so a flapping aggregator is not hammered. Owned by Run.
class Outage {
 public:
  Outage(const LinkOptions& options, Clock* clock)
      : options_(options),
        clock_(clock),
        backoff_(options.backoff, options.healthy_reset, clock),
        since_(clock->MonotonicNow()) {}

  // A ping failed: how long to wait before the next.
  absl::Duration OnFailure() {
    const absl::Duration now = clock_->MonotonicNow();
    GoDown(now);
    // Counted either way, so that flaps after this outage keep growing.
    const absl::Duration exponential = backoff_.OnFailure();
    if (!after_health_ || options_.outage_retry_ratio <= 0) return exponential;
    const absl::Duration bound =
        std::clamp(options_.outage_retry_ratio * (now - since_),
                   options_.backoff.initial, options_.backoff.max);
    // Jittered down only: the bound is what the relink time rests on.
    return bound * absl::Uniform(gen_, 1.0 - options_.backoff.jitter, 1.0);
  }
  // A ping succeeded: the length of the outage it ended, if one did.
  std::optional<absl::Duration> OnSuccess() {
    backoff_.OnSuccess();
    if (up_) return std::nullopt;
    up_ = true;
    return clock_->MonotonicNow() - since_;
  }
  // The stream went silent: the link is down (for the log), though no
  // ping failed, so the backoff is unchanged.
  void OnStale() { GoDown(clock_->MonotonicNow()); }
  // The aggregator asked for a reconnect (Drain): no backoff.
  void Reset() { backoff_.Reset(); }
  // How long the link has been down (zero while up).
  absl::Duration length() const {
    return up_ ? absl::ZeroDuration() : clock_->MonotonicNow() - since_;
  }

 private:
  void GoDown(absl::Duration now) {
    if (!up_) return;
    up_ = false;
    const std::optional<absl::Duration> healthy = backoff_.healthy_since();
    after_health_ = healthy && now - *healthy >= options_.healthy_reset;
    since_ = now;
  }

  const LinkOptions& options_;
  Clock* const clock_;
  ReconnectBackoff backoff_;
  absl::BitGen gen_;
  bool up_ = false;
  // Start-up counts as after health: try often at first.
  bool after_health_ = true;
  absl::Duration since_;
};

}  // namespace

Link::Link(LinkOptions options, StubFactory* stubs, Clock* clock,
           LinkHandler* handler)
    : options_(std::move(options)),
      stubs_(stubs),
      clock_(clock),
      handler_(handler) {}

Link::~Link() {
  Stop();
  CloseStream();
}

void Link::Stop() {
  absl::MutexLock l(&mu_);
  stop_ = true;
}

void Link::Quiesce() {
  absl::MutexLock l(&mu_);
  quiesce_ = true;
}

absl::StatusOr<v1::PingResponse> Link::Ping() {
  v1::PingRequest req;
  handler_->FillPing(&req);
  req.set_operator_id(options_.operator_id);
  req.set_version(options_.version);
  std::shared_ptr<AggregatorStub> stub;
  {
    absl::MutexLock l(&mu_);
    stub = stub_;
    *req.mutable_last_ping_latency() =
        ToProtoDuration(status_.last_ping_latency);
  }
  const absl::Duration start = clock_->MonotonicNow();
  absl::StatusOr<v1::PingResponse> resp =
      stub->Ping(req, options_.ping_deadline);
  if (!resp.ok()) return resp;
  absl::MutexLock l(&mu_);
  reachable_ = true;
  status_.last_ping_latency = clock_->MonotonicNow() - start;
  if (resp->has_heartbeat_interval() &&
      FromProto(resp->heartbeat_interval()) > absl::ZeroDuration()) {
    heartbeat_interval_ = FromProto(resp->heartbeat_interval());
  }
  return resp;
}

void Link::OpenStream() {
  v1::SyncRequest req;
  handler_->FillSync(&req);
  req.set_operator_id(options_.operator_id);
  req.set_version(options_.version);
  req.set_accepts_batches(true);
  std::shared_ptr<AggregatorStub> stub;
  {
    absl::MutexLock l(&mu_);
    stub = stub_;
    stream_ended_ = false;
    drained_ = false;
    last_message_ = clock_->MonotonicNow();
  }
  stream_ = std::make_unique<Stream>();
  stream_->call = stub->Sync(req);
  stream_->reader =
      std::thread([this, call = stream_->call.get()] { ReadStream(call); });
  absl::MutexLock l(&mu_);
  status_.linked = true;
  if (status_.connects++ > 0) ++status_.reconnects;
}

void Link::ReadStream(SyncStream* call) {
  v1::NodeMessage m;
  while (call->Read(&m)) {
    {
      absl::MutexLock l(&mu_);
      last_message_ = clock_->MonotonicNow();
      ++status_.messages;
    }
    if (m.has_assignment()) {
      handler_->OnAssignment(m.assignment());
    } else if (m.has_assignments()) {
      for (const v1::Assignment& a : m.assignments().assignments()) {
        handler_->OnAssignment(a);
      }
    } else if (m.has_cancel()) {
      handler_->OnCancel(m.cancel());
    } else if (m.has_drain()) {
      LogEvent(spdlog::level::debug, "aggregator_draining",
               {{"reason", m.drain().reason()}});
      absl::MutexLock l(&mu_);
      drained_ = true;
    }
  }
  const absl::Status end = call->Finish();
  absl::MutexLock l(&mu_);
  stream_ended_ = true;
  status_.linked = false;
  if (!drained_ && !end.ok() && end.code() != absl::StatusCode::kCancelled) {
    LogEvent(spdlog::level::warn, "sync_stream_ended",
             {{"endpoint", status_.endpoint}, {"cause", Cause(end)}});
  }
}

void Link::CloseStream() {
  if (stream_ == nullptr) return;
  stream_->call->Cancel();
  stream_->reader.join();
  stream_.reset();
  absl::MutexLock l(&mu_);
  status_.linked = false;
  stream_ended_ = false;  // or every later wait would return at once
}

void Link::Disconnect() {
  CloseStream();
  absl::MutexLock l(&mu_);
  stub_.reset();
  reachable_ = false;
}

bool Link::WaitUntil(absl::Duration deadline) {
  absl::MutexLock l(&mu_);
  const absl::Time wall =
      clock_->TimeNow() + (deadline - clock_->MonotonicNow());
  auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stop_ || stream_ended_ || (quiesce_ && status_.linked);
  };
  clock_->AwaitWithDeadline(&mu_, absl::Condition(&woken), wall);
  return !stop_;
}

absl::Duration Link::StaleAt() const {
  return last_message_ + heartbeat_interval_ * options_.stale_heartbeats;
}

Link::Watch Link::WatchUntil(absl::Duration next_ping,
                             const EndpointSelector& endpoints) {
  while (true) {
    absl::Duration wake;
    {
      absl::MutexLock l(&mu_);
      wake = std::min(next_ping, StaleAt());
    }
    if (!WaitUntil(wake)) return Watch::kStop;
    const absl::Duration now = clock_->MonotonicNow();
    bool stale;
    absl::Duration silent;
    {
      absl::MutexLock l(&mu_);
      if (stream_ended_) return Watch::kStreamEnded;
      if (quiesce_ && status_.linked) return Watch::kQuiesce;
      silent = now - last_message_;
      stale = now >= StaleAt();
      if (stale) ++status_.stale_streams;
    }
    if (stale) {
      LogEvent(spdlog::level::warn, "sync_stream_stale",
               {{"endpoint", endpoints.current()},
                {"silent_for", absl::FormatDuration(silent)}});
      return Watch::kStale;
    }
    if (now >= next_ping) return Watch::kPing;
  }
}

// What the Run loop keeps between iterations.
struct Link::RunState {
  RunState(const LinkOptions& options, Clock* clock)
      : outage(options, clock),
        endpoints(options.endpoints, options.failover_after),
        failures(clock, absl::Minutes(1)) {}
  Outage outage;
  EndpointSelector endpoints;
  LogRateLimiter failures;
  // Moves to a named leader since the last good ping: a few are followed
  // at once, more back off (members whose views disagree for a moment).
  int follows = 0;
  // After a Drain the reconnect is routine: logged at DEBUG, unless it
  // takes longer than routine_reconnect.
  bool routine = false;
};

void Link::Run() {
  RunState st(options_, clock_);
  while (true) {
    {
      absl::MutexLock l(&mu_);
      if (stop_) break;
      if (stub_ == nullptr) {
        stub_ = stubs_->Connect(st.endpoints.current());
        status_.endpoint = st.endpoints.current();
      }
    }
    absl::StatusOr<v1::PingResponse> ping = Ping();
    if (!ping.ok()) {
      if (!OnPingFailure(&st, ping.status())) break;
      continue;
    }
    OnPingSuccess(&st, *ping);
    absl::Duration interval = FromProto(ping->ping_interval());
    if (interval <= absl::ZeroDuration()) interval = absl::Seconds(5);
    const Watch watch =
        WatchUntil(clock_->MonotonicNow() + interval, st.endpoints);
    if (watch == Watch::kStop) break;
    AfterWatch(&st, watch);
  }
  Disconnect();
}

bool Link::OnPingFailure(RunState* st, const absl::Status& cause) {
  Disconnect();
  const std::string from = st->endpoints.current();
  if (st->follows < kMaxFollows && st->endpoints.Follow(LeaderNamed(cause))) {
    ++st->follows;
    LogEvent(spdlog::level::info, "following_leader",
             {{"from", from}, {"to", st->endpoints.current()}});
    absl::MutexLock l(&mu_);
    ++status_.leader_follows;
    return !stop_;  // at once, without backing off
  }
  const absl::Duration delay = st->outage.OnFailure();
  st->routine =
      st->routine && st->outage.length() < options_.routine_reconnect;
  {
    absl::MutexLock l(&mu_);
    ++status_.ping_failures;
    status_.backoff_delay = delay;
  }
  const LogRateLimiter::Decision d = st->failures.Check("ping_failed");
  if (d.log) {
    LogEvent(st->routine ? spdlog::level::debug : spdlog::level::warn,
             "ping_failed",
             {{"endpoint", st->endpoints.current()},
              {"cause", Cause(cause)},
              {"retry_in_ms", absl::ToInt64Milliseconds(delay)},
              {"suppressed", d.suppressed}});
  }
  if (st->routine) st->failures.Forget("ping_failed");
  const std::string failed = st->endpoints.current();
  if (st->endpoints.OnFailure()) {
    LogEvent(spdlog::level::warn, "failover",
             {{"from", failed}, {"to", st->endpoints.current()}});
    absl::MutexLock l(&mu_);
    ++status_.failovers;
  }
  return WaitUntil(clock_->MonotonicNow() + delay);
}

void Link::OnPingSuccess(RunState* st, const v1::PingResponse& ping) {
  st->endpoints.OnSuccess();
  st->follows = 0;
  st->failures.Forget("ping_failed");
  if (std::optional<absl::Duration> down = st->outage.OnSuccess()) {
    LogEvent(st->routine ? spdlog::level::debug : spdlog::level::info,
             "aggregator_linked",
             {{"endpoint", st->endpoints.current()},
              {"aggregator", ping.aggregator_id()},
              {"outage_ms", absl::ToInt64Milliseconds(*down)}});
  }
  st->routine = false;
  bool quiesced;
  {
    absl::MutexLock l(&mu_);
    quiesced = quiesce_;
  }
  if (stream_ == nullptr && !quiesced) {
    OpenStream();
    handler_->OnLinked();
  }
}

void Link::AfterWatch(RunState* st, Watch watch) {
  switch (watch) {
    case Watch::kStreamEnded: {
      bool drained;
      {
        absl::MutexLock l(&mu_);
        drained = drained_;
      }
      CloseStream();
      if (drained) {
        st->outage.Reset();
        st->routine = true;
      }
      break;
    }
    case Watch::kStale:
      // An outage like any other: its end is logged with its length.
      st->outage.OnStale();
      Disconnect();
      break;
    case Watch::kQuiesce:
      CloseStream();
      LogEvent(spdlog::level::info, "sync_stream_closed",
               {{"endpoint", st->endpoints.current()},
                {"reason", "draining: no new assignments"}});
      break;
    case Watch::kPing:
    case Watch::kStop:
      break;
  }
}

absl::StatusOr<std::shared_ptr<AggregatorStub>> Link::ReachableStub() {
  absl::MutexLock l(&mu_);
  if (!reachable_ || stub_ == nullptr) {
    return absl::UnavailableError("no aggregator reachable");
  }
  return stub_;
}

absl::StatusOr<v1::ReportResponse> Link::Report(const v1::ReportRequest& report,
                                                absl::Duration deadline) {
  AP_ASSIGN_OR_RETURN(std::shared_ptr<AggregatorStub> stub, ReachableStub());
  return stub->Report(report, deadline);
}

absl::StatusOr<std::vector<absl::StatusOr<v1::ReportResponse>>>
Link::ReportBatch(const std::vector<v1::ReportRequest>& reports,
                  absl::Duration deadline) {
  AP_ASSIGN_OR_RETURN(std::shared_ptr<AggregatorStub> stub, ReachableStub());
  return stub->ReportBatch(reports, deadline);
}

LinkStatus Link::status() const {
  absl::MutexLock l(&mu_);
  return status_;
}

bool Link::AwaitStatus(const std::function<bool(const LinkStatus&)>& pred,
                       absl::Duration timeout) const {
  absl::MutexLock l(&mu_);
  auto holds = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return pred(status_);
  };
  return mu_.AwaitWithTimeout(absl::Condition(&holds), timeout);
}

}  // namespace ap
