#ifndef AP_TESTS_TESTING_FAKE_AGGREGATOR_H_
#define AP_TESTS_TESTING_FAKE_AGGREGATOR_H_

// Fake aggregators behind the operator's StubFactory seam: each endpoint
// can be up or down, answers pings with the intervals a test sets, holds
// Sync streams a test writes to or ends, can stand by naming a leader as a
// cluster's standby does, and records reports. No network; thread-safe.

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/proto_time.h"
#include "operator/link/aggregator_stub.h"

namespace ap::testing {

class FakeEndpoint {
 public:
  FakeEndpoint() {
    ping_answer_.set_aggregator_id("fake");
    *ping_answer_.mutable_ping_interval() = ToProtoDuration(absl::Seconds(5));
    *ping_answer_.mutable_heartbeat_interval() =
        ToProtoDuration(absl::Seconds(5));
  }

  // Down: pings and reports fail UNAVAILABLE and open streams end.
  void SetUp(bool up) {
    absl::MutexLock l(&mu_);
    up_ = up;
    if (!up) EndStreamsLocked(absl::UnavailableError("connection reset"));
  }
  // A standby of a cluster: pings fail UNAVAILABLE naming `leader` (empty:
  // none known), as the aggregator's StandbyAnswer does; open streams end
  // the same way.
  void SetStandby(const std::string& leader) {
    absl::MutexLock l(&mu_);
    standby_ = StandbyLocked(leader);
    EndStreamsLocked(standby_);
  }
  // Every open stream gets `m`.
  void Send(const v1::NodeMessage& m) {
    absl::MutexLock l(&mu_);
    for (auto& s : streams_) {
      if (!s->done) s->inbox.push_back(m);
    }
  }
  void SendHeartbeat() {
    v1::NodeMessage m;
    m.mutable_heartbeat();
    Send(m);
  }
  // Sends Drain, then ends every stream with OK.
  void Drain() {
    v1::NodeMessage m;
    m.mutable_drain()->set_reason("aggregator shutting down");
    absl::MutexLock l(&mu_);
    for (auto& s : streams_) {
      if (!s->done) s->inbox.push_back(m);
    }
    EndStreamsLocked(absl::OkStatus());
  }
  void SetIntervals(absl::Duration ping, absl::Duration heartbeat) {
    absl::MutexLock l(&mu_);
    *ping_answer_.mutable_ping_interval() = ToProtoDuration(ping);
    *ping_answer_.mutable_heartbeat_interval() = ToProtoDuration(heartbeat);
  }
  // Whether ReportBatch exists here (else UNIMPLEMENTED, as an older
  // aggregator would answer).
  void SetReportBatch(bool exists) {
    absl::MutexLock l(&mu_);
    report_batch_ = exists;
  }
  void SetReportResult(v1::ReportResult r) {
    absl::MutexLock l(&mu_);
    report_result_ = r;
  }

  // Wait (on this endpoint's mutex, no polling; at most 10 s of real time)
  // until at least `n` pings or syncs arrived, or exactly `n` streams are
  // open; return whether that happened.
  bool AwaitPings(int n) const {
    return Await([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return pings_ >= n;
    });
  }
  bool AwaitSyncs(int n) const {
    return Await([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return syncs_ >= n;
    });
  }
  bool AwaitOpenStreams(int n) const {
    return Await([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return OpenStreamsLocked() == n;
    });
  }

  int pings() const { return Get(&FakeEndpoint::pings_); }
  int syncs() const { return Get(&FakeEndpoint::syncs_); }

  int open_streams() const {
    absl::MutexLock l(&mu_);
    return OpenStreamsLocked();
  }
  std::vector<v1::ReportRequest> reports() const {
    absl::MutexLock l(&mu_);
    return reports_;
  }
  v1::SyncRequest last_sync() const {
    absl::MutexLock l(&mu_);
    return last_sync_;
  }

 private:
  friend class FakeStub;
  friend class FakeStream;
  struct StreamState {
    std::deque<v1::NodeMessage> inbox;
    bool done = false;
    bool canceled = false;
    absl::Status end;
  };

  template <typename F>
  bool Await(F cond) const {
    absl::MutexLock l(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&cond), absl::Seconds(10));
  }
  int OpenStreamsLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    int n = 0;
    for (auto& s : streams_) n += s->done ? 0 : 1;
    return n;
  }
  int Get(int FakeEndpoint::*field) const {
    absl::MutexLock l(&mu_);
    return this->*field;
  }
  static absl::Status StandbyLocked(const std::string& leader) {
    absl::Status s = absl::UnavailableError(
        "this aggregator is a standby; the leader is at " + leader);
    s.SetPayload(kLeaderPayload, absl::Cord(leader));
    return s;
  }
  void EndStreamsLocked(absl::Status end) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (auto& s : streams_) {
      if (!s->done) {
        s->done = true;
        s->end = end;
      }
    }
  }

  mutable absl::Mutex mu_;
  bool up_ ABSL_GUARDED_BY(mu_) = true;
  v1::PingResponse ping_answer_ ABSL_GUARDED_BY(mu_);
  v1::ReportResult report_result_ ABSL_GUARDED_BY(mu_) =
      v1::REPORT_RESULT_ACCEPTED;
  int pings_ ABSL_GUARDED_BY(mu_) = 0;
  int syncs_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status standby_ ABSL_GUARDED_BY(mu_);  // OK: not a standby
  v1::SyncRequest last_sync_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::ReportRequest> reports_ ABSL_GUARDED_BY(mu_);
  bool report_batch_ ABSL_GUARDED_BY(mu_) = true;
  std::vector<std::shared_ptr<StreamState>> streams_ ABSL_GUARDED_BY(mu_);
};

class FakeStream : public SyncStream {
 public:
  FakeStream(FakeEndpoint* endpoint,
             std::shared_ptr<FakeEndpoint::StreamState> state)
      : endpoint_(endpoint), state_(std::move(state)) {}

  bool Read(v1::NodeMessage* m) override {
    absl::MutexLock l(&endpoint_->mu_);
    endpoint_->mu_.Await(absl::Condition(
        +[](FakeEndpoint::StreamState* s) {
          return s->done || !s->inbox.empty();
        },
        state_.get()));
    if (state_->inbox.empty()) return false;
    *m = std::move(state_->inbox.front());
    state_->inbox.pop_front();
    return true;
  }
  void Cancel() override {
    absl::MutexLock l(&endpoint_->mu_);
    state_->canceled = true;
    if (!state_->done) {
      state_->done = true;
      state_->inbox.clear();
      state_->end = absl::CancelledError("canceled by the operator");
    }
  }
  absl::Status Finish() override {
    absl::MutexLock l(&endpoint_->mu_);
    return state_->end;
  }

 private:
  FakeEndpoint* const endpoint_;
  std::shared_ptr<FakeEndpoint::StreamState> state_;
};

class FakeStub : public AggregatorStub {
 public:
  explicit FakeStub(FakeEndpoint* e) : e_(e) {}

  absl::StatusOr<v1::PingResponse> Ping(const v1::PingRequest&,
                                        absl::Duration) override {
    absl::MutexLock l(&e_->mu_);
    ++e_->pings_;
    if (!e_->up_) return absl::UnavailableError("connection refused");
    if (!e_->standby_.ok()) return e_->standby_;
    return e_->ping_answer_;
  }
  std::unique_ptr<SyncStream> Sync(const v1::SyncRequest& request) override {
    auto state = std::make_shared<FakeEndpoint::StreamState>();
    absl::MutexLock l(&e_->mu_);
    ++e_->syncs_;
    e_->last_sync_ = request;
    if (!e_->up_) {
      state->done = true;
      state->end = absl::UnavailableError("connection refused");
    }
    e_->streams_.push_back(state);
    return std::make_unique<FakeStream>(e_, state);
  }
  absl::StatusOr<v1::ReportResponse> Report(const v1::ReportRequest& request,
                                            absl::Duration) override {
    absl::MutexLock l(&e_->mu_);
    if (!e_->up_) return absl::UnavailableError("connection refused");
    e_->reports_.push_back(request);
    v1::ReportResponse r;
    r.set_result(e_->report_result_);
    return r;
  }
  absl::StatusOr<std::vector<absl::StatusOr<v1::ReportResponse>>> ReportBatch(
      const std::vector<v1::ReportRequest>& reports,
      absl::Duration deadline) override {
    {
      absl::MutexLock l(&e_->mu_);
      if (!e_->report_batch_) {
        return absl::UnimplementedError("unknown method ReportBatch");
      }
    }
    std::vector<absl::StatusOr<v1::ReportResponse>> out;
    for (const v1::ReportRequest& r : reports) {
      absl::StatusOr<v1::ReportResponse> one = Report(r, deadline);
      if (!one.ok() && one.status().code() == absl::StatusCode::kUnavailable) {
        return one.status();  // the whole call failed
      }
      out.push_back(std::move(one));
    }
    return out;
  }

 private:
  FakeEndpoint* const e_;
};

class FakeStubFactory : public StubFactory {
 public:
  FakeEndpoint& endpoint(const std::string& name) {
    absl::MutexLock l(&mu_);
    auto& e = endpoints_[name];
    if (e == nullptr) e = std::make_unique<FakeEndpoint>();
    return *e;
  }
  std::shared_ptr<AggregatorStub> Connect(const std::string& name) override {
    FakeEndpoint* e = &endpoint(name);
    absl::MutexLock l(&mu_);
    ++connects_[name];
    return std::make_shared<FakeStub>(e);
  }
  int connects(const std::string& name) {
    absl::MutexLock l(&mu_);
    return connects_[name];
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<FakeEndpoint>> endpoints_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> connects_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ap::testing

#endif  // AP_TESTS_TESTING_FAKE_AGGREGATOR_H_
