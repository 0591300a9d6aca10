#ifndef AP_AGGREGATOR_CLUSTER_LEADER_LEASE_H_
#define AP_AGGREGATOR_CLUSTER_LEADER_LEASE_H_

// Leadership of a cluster of aggregators sharing one PostgreSQL database:
// one row of table ap_leader, a lease timed by the database's clock
// (clock_timestamp()), never by an aggregator's, and a fencing epoch that
// grows by one each time the lease changes hands.
//
//   TryAcquire  takes the lease when nobody holds it or the holder's has
//               run out: the next epoch, for `ttl` from the database's now.
//   Renew       extends it for the same holder and epoch while it has not
//               run out; nullopt: it is lost, stop leading at once.
//   Release     ends it now (a clean stop), so a standby need not wait.
//   kFenceSql   what a leader's write transaction runs first: it locks the
//               lease row (FOR SHARE) while this holder still holds this
//               epoch, and otherwise fails (FAILED_PRECONDITION), aborting
//               the transaction. A takeover waits for the transaction to
//               end, so a write commits only under a lease that was valid
//               when it was checked, and no other leader has written
//               since.
//
// A holder names one process's incarnation (a restarted aggregator is a new
// holder): a paused process that comes back must find its epoch gone. Not
// thread-safe (one PgConnection).

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "aggregator/store/pg_connection.h"
#include "aggregator/store/pg_schema.h"

namespace ap {

// The lease as the database sees it.
struct LeaseView {
  bool acquired = false;  // this call took it
  std::string holder;     // empty: nobody has held it yet
  int64_t epoch = 0;
  absl::Duration remaining;  // by the database's clock; <= 0: ran out
};

// What the leader elector needs of a lease: LeaderLease over PostgreSQL,
// a fake in tests.
class LeaseBackend {
 public:
  virtual ~LeaseBackend() = default;
  virtual absl::StatusOr<LeaseView> TryAcquire(absl::Duration ttl) = 0;
  // The time left after renewing (nullopt: lost).
  virtual absl::StatusOr<std::optional<absl::Duration>> Renew(
      int64_t epoch, absl::Duration ttl) = 0;
  virtual absl::Status Release(int64_t epoch) = 0;
};

class LeaderLease final : public LeaseBackend {
 public:
  // Parameters $1, $2, $3: the lease's name, the holder, the epoch.
  static constexpr const char* kFenceSql = kLeaderFenceSql;

  // `conn` outlives this. `name` tells leases of one database apart.
  LeaderLease(PgConnection* conn, std::string holder,
              std::string name = "scheduler")
      : conn_(conn), holder_(std::move(holder)), name_(std::move(name)) {}

  // Creates table ap_leader if it does not exist.
  absl::Status EnsureTable();

  absl::StatusOr<LeaseView> TryAcquire(absl::Duration ttl) override;
  absl::StatusOr<std::optional<absl::Duration>> Renew(
      int64_t epoch, absl::Duration ttl) override;
  absl::Status Release(int64_t epoch) override;
  absl::StatusOr<LeaseView> Read();

  const std::string& holder() const { return holder_; }
  const std::string& name() const { return name_; }

 private:
  PgConnection* const conn_;
  const std::string holder_;
  const std::string name_;
};

}  // namespace ap

#endif  // AP_AGGREGATOR_CLUSTER_LEADER_LEASE_H_
