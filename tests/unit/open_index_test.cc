// OpenIndex: the in-memory dispatch queue and lease order.

#include "aggregator/records/open_index.h"

#include "common/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ap {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

v1::Execution Exec(const std::string& id, v1::ExecutionStatus status,
                   absl::Time scheduled,
                   std::optional<absl::Time> lease = std::nullopt) {
  v1::Execution e;
  e.set_id(id);
  e.set_status(status);
  *e.mutable_scheduled_at() = ToProtoTimestamp(scheduled);
  if (lease) *e.mutable_lease_expires_at() = ToProtoTimestamp(*lease);
  return e;
}

// A PENDING retry waiting out its backoff until `not_before`.
v1::Execution Retry(const std::string& id, absl::Time scheduled,
                    absl::Time not_before) {
  v1::Execution e = Exec(id, v1::EXECUTION_STATUS_PENDING, scheduled);
  *e.mutable_not_before() = ToProtoTimestamp(not_before);
  return e;
}

TEST(OpenIndexTest, PendingIsOldestScheduledFirstThenById) {
  OpenIndex index;
  index.Apply(OpenIndex::EntryFor(
      Exec("c", v1::EXECUTION_STATUS_PENDING, kT0 + absl::Seconds(2))));
  index.Apply(
      OpenIndex::EntryFor(Exec("b", v1::EXECUTION_STATUS_PENDING, kT0)));
  index.Apply(
      OpenIndex::EntryFor(Exec("a", v1::EXECUTION_STATUS_PENDING, kT0)));
  EXPECT_THAT(index.Pending(10, kT0), ElementsAre("a", "b", "c"));
  EXPECT_THAT(index.Pending(2, kT0), ElementsAre("a", "b"));
}

TEST(OpenIndexTest, EachChangeReplacesTheExecutionsEntry) {
  OpenIndex index;
  const absl::Time lease = kT0 + absl::Minutes(5);
  index.Apply(
      OpenIndex::EntryFor(Exec("a", v1::EXECUTION_STATUS_PENDING, kT0)));
  index.Apply(OpenIndex::EntryFor(
      Exec("a", v1::EXECUTION_STATUS_DISPATCHED, kT0, lease)));
  EXPECT_THAT(index.Pending(10, kT0), IsEmpty());
  EXPECT_THAT(index.LeasesExpiredBy(lease - absl::Seconds(1)), IsEmpty());
  EXPECT_THAT(index.LeasesExpiredBy(lease), ElementsAre("a"));
  index.Apply(OpenIndex::EntryFor(
      Exec("a", v1::EXECUTION_STATUS_SUCCEEDED, kT0, std::nullopt)));
  EXPECT_THAT(index.LeasesExpiredBy(lease), IsEmpty());
  EXPECT_EQ(index.pending_size() + index.leased_size(), 0u);
}

TEST(OpenIndexTest, CountsFollowEachExecutionsCurrentStatus) {
  OpenIndex index;
  index.Apply(
      OpenIndex::EntryFor(Exec("a", v1::EXECUTION_STATUS_PENDING, kT0)));
  index.Apply(
      OpenIndex::EntryFor(Exec("b", v1::EXECUTION_STATUS_PENDING, kT0)));
  index.Apply(OpenIndex::EntryFor(
      Exec("a", v1::EXECUTION_STATUS_DISPATCHED, kT0, kT0 + absl::Minutes(1))));
  EXPECT_EQ(index.count(v1::EXECUTION_STATUS_PENDING), 1u);
  EXPECT_EQ(index.count(v1::EXECUTION_STATUS_DISPATCHED), 1u);
  index.Apply(OpenIndex::EntryFor(
      Exec("a", v1::EXECUTION_STATUS_RUNNING, kT0, kT0 + absl::Minutes(1))));
  index.Apply(OpenIndex::EntryFor(
      Exec("b", v1::EXECUTION_STATUS_SUCCEEDED, kT0)));  // closes it
  index.Apply(OpenIndex::Closed("never-seen"));
  EXPECT_EQ(index.count(v1::EXECUTION_STATUS_PENDING), 0u);
  EXPECT_EQ(index.count(v1::EXECUTION_STATUS_DISPATCHED), 0u);
  EXPECT_EQ(index.count(v1::EXECUTION_STATUS_RUNNING), 1u);
  EXPECT_EQ(index.count(v1::EXECUTION_STATUS_SUCCEEDED), 0u);
}

TEST(OpenIndexTest, AnyPendingDueSeesPastRetriesBackingOff) {
  OpenIndex index;
  EXPECT_FALSE(index.AnyPendingDue(kT0));
  index.Apply(OpenIndex::EntryFor(Retry("r", kT0, kT0 + absl::Minutes(1))));
  EXPECT_FALSE(index.AnyPendingDue(kT0));  // backing off
  EXPECT_TRUE(index.AnyPendingDue(kT0 + absl::Minutes(1)));
  index.Apply(OpenIndex::EntryFor(
      Exec("n", v1::EXECUTION_STATUS_PENDING, kT0 + absl::Hours(1))));
  EXPECT_TRUE(index.AnyPendingDue(kT0));  // no backoff: due at once
  index.Apply(OpenIndex::EntryFor(
      Exec("n", v1::EXECUTION_STATUS_DISPATCHED, kT0, kT0 + absl::Minutes(5))));
  EXPECT_FALSE(index.AnyPendingDue(kT0));
}

TEST(OpenIndexTest, ARetryBackingOffIsNotDueYet) {
  OpenIndex index;
  index.Apply(OpenIndex::EntryFor(Retry("a", kT0, kT0 + absl::Seconds(10))));
  index.Apply(OpenIndex::EntryFor(
      Exec("b", v1::EXECUTION_STATUS_PENDING, kT0 + absl::Seconds(1))));
  EXPECT_THAT(index.Pending(10, kT0 + absl::Seconds(9)), ElementsAre("b"));
  EXPECT_THAT(index.Pending(10, kT0 + absl::Seconds(10)),
              ElementsAre("a", "b"));
}

TEST(OpenIndexTest, ClosedRemovesAndRepeatsAreHarmless) {
  OpenIndex index;
  index.Apply(
      OpenIndex::EntryFor(Exec("a", v1::EXECUTION_STATUS_PENDING, kT0)));
  index.Apply(
      OpenIndex::EntryFor(Exec("a", v1::EXECUTION_STATUS_PENDING, kT0)));
  EXPECT_EQ(index.pending_size(), 1u);
  index.Apply(OpenIndex::Closed("a"));
  index.Apply(OpenIndex::Closed("a"));
  EXPECT_THAT(index.Pending(10, kT0), IsEmpty());
}

TEST(OpenIndexTest, AWorkflowsOpenExecutionsAreItsOwnOldestFirst) {
  auto of = [](const std::string& workflow, const std::string& id,
               v1::ExecutionStatus status) {
    v1::Execution e = Exec(id, status, kT0, kT0 + absl::Minutes(5));
    e.set_workflow_id(workflow);
    return OpenIndex::EntryFor(e);
  };
  auto ids = [](const OpenIndex& index, const std::string& workflow) {
    std::vector<std::string> out;
    for (const auto& e : index.OfWorkflow(workflow)) out.push_back(e->id());
    return out;
  };
  OpenIndex index;
  index.Apply(of("w1", "w1-2", v1::EXECUTION_STATUS_PENDING));
  index.Apply(of("w2", "w2-1", v1::EXECUTION_STATUS_RUNNING));
  index.Apply(of("w1", "w1-1", v1::EXECUTION_STATUS_DISPATCHED));
  EXPECT_THAT(ids(index, "w1"), ElementsAre("w1-1", "w1-2"));
  index.Apply(of("w1", "w1-1", v1::EXECUTION_STATUS_SUCCEEDED));  // closed
  EXPECT_THAT(ids(index, "w1"), ElementsAre("w1-2"));
  index.Apply(OpenIndex::Closed("w1-2"));
  EXPECT_THAT(ids(index, "w1"), IsEmpty());
  EXPECT_THAT(ids(index, "w2"), ElementsAre("w2-1"));
  EXPECT_THAT(ids(index, "w3"), IsEmpty());
}

}  // namespace
}  // namespace ap
