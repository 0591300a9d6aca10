#include "aggregator/records/keys.h"

#include <set>
#include <string>

#include "common/clock.h"
#include "common/ulid.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ap {
namespace {

const absl::Time kFire = absl::FromCivil(absl::CivilSecond(2026, 3, 8, 7, 0, 0),
                                         absl::UTCTimeZone());

TEST(KeysTest, ExecutionIdIsWorkflowAndScheduledTime) {
  EXPECT_EQ(keys::ExecutionId("01JDABC", kFire),
            "01JDABC-20260308T070000.000Z");
  EXPECT_EQ(keys::ExecutionId("01JDABC", kFire + absl::Milliseconds(250) +
                                             absl::Microseconds(999)),
            "01JDABC-20260308T070000.250Z");
}

TEST(KeysTest, StatusIndexKeyGivesBackItsStatus) {
  EXPECT_EQ(*keys::StatusOfIndexKey(keys::StatusIndex(
                "alice", v1::WORKFLOW_STATUS_PAUSED, "01JDABC")),
            v1::WORKFLOW_STATUS_PAUSED);
  for (const char* bad :
       {"wfs/alice/01JDABC", "wfs/alice/xx/01JDABC", "wfs/alice/99/01JDABC",
        "wfo/alice/02/01JDABC", "wfs/alice/2/01JDABC"}) {
    EXPECT_FALSE(keys::StatusOfIndexKey(bad).ok()) << bad;
  }
}

TEST(KeysTest, SameFireAlwaysGetsTheSameId) {
  EXPECT_EQ(keys::ExecutionId("W", kFire), keys::ExecutionId("W", kFire));
  EXPECT_NE(keys::ExecutionId("W", kFire),
            keys::ExecutionId("W", kFire + absl::Seconds(1)));
}

TEST(KeysTest, ExecutionIdsOfAWorkflowSortByTime) {
  std::string prev;
  for (absl::Duration d :
       {absl::ZeroDuration(), absl::Milliseconds(1), absl::Seconds(1),
        absl::Hours(30), absl::Hours(24 * 400)}) {
    const std::string id = keys::ExecutionId("W", kFire + d);
    EXPECT_LT(prev, id);
    prev = id;
  }
}

TEST(KeysTest, WorkflowIdOfRoundTrips) {
  EXPECT_EQ(*keys::WorkflowIdOf(keys::ExecutionId("01JDABC", kFire)),
            "01JDABC");
  EXPECT_FALSE(keys::WorkflowIdOf("nodash").ok());
  EXPECT_FALSE(keys::WorkflowIdOf("-20260308T070000.000Z").ok());
}

TEST(KeysTest, IndexesNestUnderTheirPrefixes) {
  EXPECT_EQ(keys::OwnerIndex("team-a", "W"), "wfo/team-a/W");
  EXPECT_EQ(keys::StatusIndex("team-a", v1::WORKFLOW_STATUS_PAUSED, "W"),
            "wfs/team-a/02/W");
  EXPECT_EQ(keys::Execution("W", "E"), "ex/W/E");
  EXPECT_EQ(keys::Open("W", "E"), "open/W/E");
  EXPECT_EQ(keys::LastComponent("wfs/team-a/02/W"), "W");
}

TEST(UlidTest, IdsAreValidUniqueAndSortByCreation) {
  SimulatedClock clock(kFire);
  UlidGenerator gen(&clock);
  std::set<std::string> seen;
  std::string prev;
  for (int i = 0; i < 1000; ++i) {
    if (i % 100 == 0) clock.AdvanceTime(absl::Milliseconds(1));
    const std::string id = gen.Next();
    EXPECT_TRUE(UlidGenerator::IsValid(id)) << id;
    EXPECT_LT(prev, id);  // also within one millisecond
    EXPECT_TRUE(seen.insert(id).second);
    prev = id;
  }
}

TEST(UlidTest, ValidityCheck) {
  EXPECT_FALSE(UlidGenerator::IsValid("short"));
  EXPECT_FALSE(UlidGenerator::IsValid("01JDABCDEFGHJKMNPQRSTVWXYI"));  // I
  EXPECT_FALSE(
      UlidGenerator::IsValid("91JDABCDEFGHJKMNPQRSTVWXYZ"));  // > 48 bits
  EXPECT_TRUE(UlidGenerator::IsValid("01JDABCDEFGHJKMNPQRSTVWXYZ"));
}

}  // namespace
}  // namespace ap
