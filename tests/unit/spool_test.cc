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

TEST(SpoolTest, AnsweredOutcomesAreGoneWithTheirSegment) {
  testing::TempDir dir;
  {
    auto spool = OpenSpool(dir.path());
    absl::StatusOr<uint64_t> a = spool->Append(Outcome("a"));
    absl::StatusOr<uint64_t> b = spool->Append(Outcome("b"));
    ASSERT_STATUS_OK(a);
    ASSERT_STATUS_OK(b);
    ASSERT_STATUS_OK(spool->Remove(*a));
    EXPECT_STATUS_OK(spool->Remove(*a));  // already gone is fine
    ASSERT_STATUS_OK(spool->Remove(*b));
    EXPECT_EQ(spool->depth(), 0u);
  }
  // Closed with nothing left to report: no segment is kept.
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
  auto spool = OpenSpool(dir.path());
  EXPECT_EQ(spool->depth(), 0u);
}

TEST(SpoolTest, AnOutcomeNotAnsweredForSurvivesARestart) {
  testing::TempDir dir;
  {
    auto spool = OpenSpool(dir.path());
    absl::StatusOr<uint64_t> a = spool->Append(Outcome("a"));
    ASSERT_STATUS_OK(a);
    ASSERT_STATUS_OK(spool->Append(Outcome("b")));
    ASSERT_STATUS_OK(spool->Remove(*a));
  }
  // Acknowledgements are not written: "a" shares b's segment and may come
  // back (the aggregator answers the repeat DUPLICATE); "b" must.
  auto spool = OpenSpool(dir.path());
  auto oldest = spool->Oldest(10);
  ASSERT_STATUS_OK(oldest);
  EXPECT_THAT(Ids(*oldest), ::testing::Contains("b"));
}

// The single segment file of a spool directory.
std::string OnlySegment(const std::string& dir) {
  std::string found;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".log") {
      EXPECT_TRUE(found.empty()) << "more than one segment";
      found = e.path().string();
    }
  }
  return found;
}

TEST(SpoolTest, AFileOfTheEarlierFormatIsTakenIntoTheLog) {
  testing::TempDir dir;
  std::ofstream(dir.path() + "/00000000000000000007.tmp") << "half";
  std::ofstream(dir.path() + "/00000000000000000003.outcome",
                std::ios::binary)
      << Outcome("old").SerializeAsString();
  std::ofstream(dir.path() + "/00000000000000000004.outcome",
                std::ios::binary)
      << "\xff\xff\xff not a proto";
  {
    auto spool = OpenSpool(dir.path());
    auto oldest = spool->Oldest(10);
    ASSERT_STATUS_OK(oldest);
    EXPECT_THAT(Ids(*oldest), ElementsAre("old"));
  }
  namespace fs = std::filesystem;
  EXPECT_FALSE(fs::exists(dir.path() + "/00000000000000000003.outcome"));
  EXPECT_FALSE(fs::exists(dir.path() + "/00000000000000000007.tmp"));
  EXPECT_TRUE(fs::exists(dir.path() + "/00000000000000000004.corrupt"));
  auto spool = OpenSpool(dir.path());  // and it stays
  EXPECT_EQ(spool->depth(), 1u);
}

TEST(SpoolTest, ATornTailIsSetAsideAndWhatCameBeforeItIsKept) {
  testing::TempDir dir;
  {
    auto spool = OpenSpool(dir.path());
    ASSERT_STATUS_OK(spool->Append(Outcome("a")));
    ASSERT_STATUS_OK(spool->Append(Outcome("b")));
  }
  const std::string segment = OnlySegment(dir.path());
  const auto whole = std::filesystem::file_size(segment);
  {
    // A crash in the middle of writing a group: half a record.
    std::ofstream out(segment, std::ios::app | std::ios::binary);
    out << std::string("APS1\x30\x00\x00\x00\x09", 9);
  }
  {
    auto spool = OpenSpool(dir.path());
    auto oldest = spool->Oldest(10);
    ASSERT_STATUS_OK(oldest);
    EXPECT_THAT(Ids(*oldest), ElementsAre("a", "b"));
    ASSERT_STATUS_OK(spool->Append(Outcome("c")));
  }
  EXPECT_EQ(std::filesystem::file_size(segment + ".corrupt-tail"), 9u);
  EXPECT_EQ(std::filesystem::file_size(segment), whole) << "cut off";
  auto spool = OpenSpool(dir.path());
  auto oldest = spool->Oldest(10);
  ASSERT_STATUS_OK(oldest);
  EXPECT_THAT(Ids(*oldest), ElementsAre("a", "b", "c"));
}

TEST(SpoolTest, ADamagedOutcomeIsSetAsideAndTheOnesAfterItKept) {
  testing::TempDir dir;
  {
    auto spool = OpenSpool(dir.path());
    ASSERT_STATUS_OK(spool->Append(Outcome("a")));
    ASSERT_STATUS_OK(spool->Append(Outcome("b")));
  }
  const std::string segment = OnlySegment(dir.path());
  {
    // One bit flipped in a's payload (after the 20-byte header).
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(22);
    char c;
    f.get(c);
    f.seekp(22);
    f.put(static_cast<char>(c ^ 0x01));
  }
  auto spool = OpenSpool(dir.path());
  auto oldest = spool->Oldest(10);
  ASSERT_STATUS_OK(oldest);
  EXPECT_THAT(Ids(*oldest), ElementsAre("b"));
  EXPECT_TRUE(std::filesystem::exists(segment + ".corrupt-at-0"));
}

TEST(SpoolTest, AnOutcomeSetAsideIsWrittenOutAndForgotten) {
  testing::TempDir dir;
  auto spool = OpenSpool(dir.path());
  absl::StatusOr<uint64_t> a = spool->Append(Outcome("a"));
  ASSERT_STATUS_OK(a);
  ASSERT_STATUS_OK(spool->SetAside(*a, ".rejected"));
  EXPECT_EQ(spool->depth(), 0u);
  v1::ReportRequest kept;
  std::ifstream in(dir.path() + "/00000000000000000001.rejected",
                   std::ios::binary);
  ASSERT_TRUE(kept.ParseFromIstream(&in));
  EXPECT_EQ(kept.execution_id(), "a");
}

TEST(SpoolTest, SegmentsAreReplacedWhenFullAndRemovedWhenAnswered) {
  testing::TempDir dir;
  auto spool = OpenSpool(dir.path(), 64 << 20);
  v1::ReportRequest big = Outcome("big");
  big.set_reason(std::string(200 * 1024, 'x'));
  std::vector<uint64_t> sequences;
  for (int i = 0; i < 12; ++i) {
    absl::StatusOr<uint64_t> s = spool->Append(big);
    ASSERT_STATUS_OK(s);
    sequences.push_back(*s);
  }
  EXPECT_GE(spool->segments(), 2u);
  for (uint64_t s : sequences) ASSERT_STATUS_OK(spool->Remove(s));
  EXPECT_EQ(spool->segments(), 1u) << "only the active one is left";
  spool.reset();
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
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

// Appends are group-committed (one write and fsync for all queued), so an
// operator's workers do not queue behind each other's fsyncs; every outcome
// still gets its own sequence, and the limit holds across them.
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
