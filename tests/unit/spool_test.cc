#include "operator/spool/spool.h"

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace ap {
namespace {

using ::ap::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

v1::ReportRequest Outcome(const std::string& id, int attempt = 1) {
  v1::ReportRequest r;
  r.set_execution_id(id);
  r.set_attempt(attempt);
  r.set_status(v1::EXECUTION_STATUS_SUCCEEDED);
  return r;
}

std::vector<std::string> Ids(const std::vector<Spool::Entry>& entries) {
  std::vector<std::string> ids;
  for (const Spool::Entry& e : entries) ids.push_back(e.outcome.execution_id());
  return ids;
}

std::unique_ptr<Spool> OpenSpool(const std::string& dir,
                                 uint64_t max = 1 << 20) {
  absl::StatusOr<std::unique_ptr<Spool>> s = Spool::Open(dir, max);
  EXPECT_STATUS_OK(s);
  return s.ok() ? *std::move(s) : nullptr;
}

TEST(SpoolTest, OutcomesComeBackOldestFirst) {
  testing::TempDir dir;
  auto spool = OpenSpool(dir.path());
  for (const char* id : {"a", "b", "c"})
    ASSERT_STATUS_OK(spool->Append(Outcome(id)));
  auto oldest = spool->Oldest(2);
  ASSERT_STATUS_OK(oldest);
  EXPECT_THAT(Ids(*oldest), ElementsAre("a", "b"));
  EXPECT_EQ(spool->depth(), 3u);
}

TEST(SpoolTest, ARestartFindsEveryOutcomeAndKeepsCounting) {
  testing::TempDir dir;
  {
    auto spool = OpenSpool(dir.path());
    ASSERT_STATUS_OK(spool->Append(Outcome("a")));
    ASSERT_STATUS_OK(spool->Append(Outcome("b")));
  }
  auto spool = OpenSpool(dir.path());
  EXPECT_EQ(spool->depth(), 2u);
  ASSERT_STATUS_OK(spool->Append(Outcome("c")));
  auto oldest = spool->Oldest(10);
  ASSERT_STATUS_OK(oldest);
  EXPECT_THAT(Ids(*oldest), ElementsAre("a", "b", "c"));
}

TEST(SpoolTest, RemovedOutcomesAreGoneAfterARestart) {
  testing::TempDir dir;
  {
    auto spool = OpenSpool(dir.path());
    absl::StatusOr<uint64_t> a = spool->Append(Outcome("a"));
    ASSERT_STATUS_OK(a);
    ASSERT_STATUS_OK(spool->Append(Outcome("b")));
    ASSERT_STATUS_OK(spool->Remove(*a));
    EXPECT_STATUS_OK(spool->Remove(*a));  // already gone is fine
  }
  auto spool = OpenSpool(dir.path());
  auto oldest = spool->Oldest(10);
  ASSERT_STATUS_OK(oldest);
  EXPECT_THAT(Ids(*oldest), ElementsAre("b"));
}

TEST(SpoolTest, AHalfWrittenAppendIsDroppedAtOpen) {
  testing::TempDir dir;
  std::ofstream(dir.path() + "/00000000000000000007.tmp") << "half";
  auto spool = OpenSpool(dir.path());
  EXPECT_EQ(spool->depth(), 0u);
  EXPECT_FALSE(
      std::filesystem::exists(dir.path() + "/00000000000000000007.tmp"));
}

TEST(SpoolTest, ACorruptOutcomeIsSetAsideNotReplayed) {
  testing::TempDir dir;
  {
    auto spool = OpenSpool(dir.path());
    ASSERT_STATUS_OK(spool->Append(Outcome("a")));
    ASSERT_STATUS_OK(spool->Append(Outcome("b")));
  }
  std::ofstream(dir.path() + "/00000000000000000001.outcome",
                std::ios::trunc | std::ios::binary)
      << "\xff\xff\xff not a proto";
  auto spool = OpenSpool(dir.path());
  auto oldest = spool->Oldest(10);
  ASSERT_STATUS_OK(oldest);
  EXPECT_THAT(Ids(*oldest), ElementsAre("b"));
  EXPECT_EQ(spool->depth(), 1u);
  EXPECT_TRUE(
      std::filesystem::exists(dir.path() + "/00000000000000000001.corrupt"));
}

TEST(SpoolTest, AFullSpoolRefusesWithTheLimitNamed) {
  testing::TempDir dir;
  const uint64_t one = Outcome("a").SerializeAsString().size();
  auto spool = OpenSpool(dir.path(), 2 * one);
  ASSERT_STATUS_OK(spool->Append(Outcome("a")));
  ASSERT_STATUS_OK(spool->Append(Outcome("b")));
  absl::StatusOr<uint64_t> third = spool->Append(Outcome("c"));
  EXPECT_THAT(third, StatusIs(absl::StatusCode::kResourceExhausted,
                              HasSubstr("spool_max_bytes")));
  auto oldest = spool->Oldest(10);
  ASSERT_STATUS_OK(oldest);
  ASSERT_STATUS_OK(spool->Remove((*oldest)[0].sequence));
  EXPECT_STATUS_OK(spool->Append(Outcome("c")));
  EXPECT_EQ(spool->bytes(), 2 * one);
}

// Appends write and fsync outside the spool's lock, so an operator's
// workers do not queue behind each other's fsyncs; every outcome still
// gets its own sequence, and the limit holds across them.
TEST(SpoolTest, ConcurrentAppendsEachGetASequenceWithinTheLimit) {
  testing::TempDir dir;
  const uint64_t one = Outcome("e00").SerializeAsString().size();
  auto spool = OpenSpool(dir.path(), 50 * one);
  std::atomic<int> stored{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        char id[4];
        std::snprintf(id, sizeof(id), "e%d%d", t, i);
        absl::StatusOr<uint64_t> s = spool->Append(Outcome(id));
        if (s.ok()) {
          ++stored;
        } else {
          EXPECT_EQ(s.status().code(), absl::StatusCode::kResourceExhausted);
          ++refused;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(stored.load(), 50);
  EXPECT_EQ(refused.load(), 30);
  EXPECT_EQ(spool->depth(), 50u);
  EXPECT_EQ(spool->bytes(), 50 * one);
  absl::StatusOr<std::vector<Spool::Entry>> all = spool->Oldest(100);
  ASSERT_STATUS_OK(all);
  ASSERT_EQ(all->size(), 50u);
  for (size_t i = 1; i < all->size(); ++i) {
    EXPECT_LT((*all)[i - 1].sequence, (*all)[i].sequence);
  }
  // All of it is on disk: a restart finds the same.
  spool.reset();
  auto reopened = OpenSpool(dir.path(), 50 * one);
  EXPECT_EQ(reopened->depth(), 50u);
}

TEST(SpoolTest, AnUnusableDirectoryIsAClearError) {
  testing::TempDir dir;
  std::ofstream(dir.path() + "/file") << "x";
  EXPECT_THAT(
      Spool::Open(dir.path() + "/file/spool", 1 << 20),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("spool_dir")));
}

}  // namespace
}  // namespace ap
