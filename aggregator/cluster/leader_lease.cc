#include "aggregator/cluster/leader_lease.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace ap {
namespace {

std::string Micros(absl::Duration d) {
  return absl::StrCat(absl::ToInt64Microseconds(d));
}

// A column that must be there and parse.
absl::StatusOr<absl::Duration> Seconds(const std::optional<std::string>& v) {
  double s = 0;
  if (!v || !absl::SimpleAtod(*v, &s)) {
    return absl::InternalError(absl::StrCat(
        "postgres: ap_leader: not a number of seconds: ", v ? *v : "NULL"));
  }
  return absl::Seconds(s);
}

absl::StatusOr<int64_t> Epoch(const std::optional<std::string>& v) {
  int64_t e = 0;
  if (!v || !absl::SimpleAtoi(*v, &e)) {
    return absl::InternalError(
        absl::StrCat("postgres: ap_leader: not an epoch: ", v ? *v : "NULL"));
  }
  return e;
}

}  // namespace

absl::Status LeaderLease::EnsureTable() {
  absl::Status s = conn_->Exec(kLeaderTableSql).status();
  // Two aggregators creating it at once: one wins, the other sees it.
  if (s.code() == absl::StatusCode::kFailedPrecondition) {
    return conn_->Exec("SELECT 1 FROM ap_leader LIMIT 1").status();
  }
  return s;
}

absl::StatusOr<LeaseView> LeaderLease::TryAcquire(absl::Duration ttl) {
  AP_ASSIGN_OR_RETURN(
      PgRows taken,
      conn_->Exec(
          // The times of a takeover are read once the old holder's row is
          // locked (after any fenced write of its has committed), so every
          // write of epoch e is older than the start of term e + 1.
          "WITH taken AS ("
          " INSERT INTO ap_leader AS l (name, holder, epoch, lease_until, since)"
          " VALUES ($1, $2, 1,"
          "  clock_timestamp() + $3::bigint * interval '1 microsecond',"
          "  clock_timestamp())"
          " ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder,"
          "  epoch = l.epoch + 1,"
          "  lease_until ="
          "   clock_timestamp() + $3::bigint * interval '1 microsecond',"
          "  since = clock_timestamp()"
          " WHERE l.lease_until <= clock_timestamp()"
          " RETURNING epoch, holder, since,"
          "  extract(epoch from lease_until - clock_timestamp()) AS left_s),"
          " term AS (INSERT INTO ap_leader_terms (name, epoch, holder, since)"
          "  SELECT $1, epoch, holder, since FROM taken)"
          " SELECT epoch, left_s FROM taken",
          {name_, holder_, Micros(ttl)}));
  if (taken.rows.empty()) return Read();
  LeaseView v;
  v.acquired = true;
  v.holder = holder_;
  AP_ASSIGN_OR_RETURN(v.epoch, Epoch(taken.rows[0][0]));
  AP_ASSIGN_OR_RETURN(v.remaining, Seconds(taken.rows[0][1]));
  return v;
}

absl::StatusOr<std::optional<absl::Duration>> LeaderLease::Renew(
    int64_t epoch, absl::Duration ttl) {
  AP_ASSIGN_OR_RETURN(
      PgRows renewed,
      conn_->Exec(
          "UPDATE ap_leader SET lease_until ="
          "  clock_timestamp() + $4::bigint * interval '1 microsecond'"
          " WHERE name = $1 AND holder = $2 AND epoch = $3"
          "  AND lease_until > clock_timestamp()"
          " RETURNING extract(epoch from lease_until - clock_timestamp())",
          {name_, holder_, absl::StrCat(epoch), Micros(ttl)}));
  if (renewed.rows.empty()) return std::optional<absl::Duration>();
  AP_ASSIGN_OR_RETURN(absl::Duration left, Seconds(renewed.rows[0][0]));
  return std::optional<absl::Duration>(left);
}

absl::Status LeaderLease::Release(int64_t epoch) {
  return conn_
      ->Exec(
          "UPDATE ap_leader SET lease_until = clock_timestamp()"
          " WHERE name = $1 AND holder = $2 AND epoch = $3"
          "  AND lease_until > clock_timestamp()",
          {name_, holder_, absl::StrCat(epoch)})
      .status();
}

absl::StatusOr<LeaseView> LeaderLease::Read() {
  AP_ASSIGN_OR_RETURN(
      PgRows r,
      conn_->Exec("SELECT holder, epoch,"
                  " extract(epoch from lease_until - clock_timestamp())"
                  " FROM ap_leader WHERE name = $1",
                  {name_}));
  LeaseView v;
  if (r.rows.empty()) return v;
  v.holder = r.rows[0][0].value_or("");
  AP_ASSIGN_OR_RETURN(v.epoch, Epoch(r.rows[0][1]));
  AP_ASSIGN_OR_RETURN(v.remaining, Seconds(r.rows[0][2]));
  return v;
}

}  // namespace ap
