#include "operator/spool/flusher.h"

#include <atomic>
#include <deque>
#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace ap {
namespace {

using ::testing::ElementsAre;

v1::ReportRequest Outcome(const std::string& id) {
  v1::ReportRequest r;
  r.set_execution_id(id);
  r.set_attempt(1);
  r.set_status(v1::EXECUTION_STATUS_SUCCEEDED);
  return r;
}

v1::ReportResponse Answer(v1::ReportResult result) {
  v1::ReportResponse r;
  r.set_result(result);
  return r;
}

// A fake aggregator: answers from a script, records what was reported.
class FakeReports {
 public:
  std::deque<absl::StatusOr<v1::ReportResponse>> answers;
  std::vector<std::string> seen;

  Flusher::ReportFn fn() {
    return
        [this](
            const v1::ReportRequest& r) -> absl::StatusOr<v1::ReportResponse> {
          seen.push_back(r.execution_id());
          if (answers.empty()) return Answer(v1::REPORT_RESULT_ACCEPTED);
          auto a = answers.front();
          answers.pop_front();
          return a;
        };
  }
};

// A batch-reporting aggregator: answers each call from a script (or all
// ACCEPTED), records the ids of each call.
class FakeBatches {
 public:
  std::deque<Flusher::BatchAnswer> answers;
  std::vector<std::vector<std::string>> calls;

  Flusher::BatchReportFn fn() {
    return [this](const std::vector<v1::ReportRequest>& batch)
               -> Flusher::BatchAnswer {
      std::vector<std::string> ids;
      for (const v1::ReportRequest& r : batch) ids.push_back(r.execution_id());
      calls.push_back(ids);
      if (!answers.empty()) {
        Flusher::BatchAnswer a = answers.front();
        answers.pop_front();
        return a;
      }
      return std::vector<absl::StatusOr<v1::ReportResponse>>(
          batch.size(), Answer(v1::REPORT_RESULT_ACCEPTED));
    };
  }
};

class FlusherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Spool::Open(dir_.path(), 1 << 20);
    ASSERT_STATUS_OK(s);
    spool_ = *std::move(s);
  }
  void Add(std::initializer_list<const char*> ids) {
    for (const char* id : ids) ASSERT_STATUS_OK(spool_->Append(Outcome(id)));
  }
  // A flusher that reports in batches through `batches`.
  std::unique_ptr<Flusher> BatchFlusher(FakeBatches& batches) {
    auto flusher =
        std::make_unique<Flusher>(spool_.get(), reports_.fn(), &clock_);
    flusher->SetBatchReport(batches.fn());
    return flusher;
  }

  testing::TempDir dir_;
  std::unique_ptr<Spool> spool_;
  SimulatedClock clock_;
  FakeReports reports_;
};

TEST_F(FlusherTest, AcceptedDuplicateAndStaleAllLeaveTheSpool) {
  Add({"a", "b", "c"});
  reports_.answers = {Answer(v1::REPORT_RESULT_ACCEPTED),
                      Answer(v1::REPORT_RESULT_DUPLICATE),
                      Answer(v1::REPORT_RESULT_STALE)};
  Flusher flusher(spool_.get(), reports_.fn(), &clock_);
  EXPECT_TRUE(flusher.FlushOnce());
  EXPECT_THAT(reports_.seen, ElementsAre("a", "b", "c"));
  EXPECT_EQ(spool_->depth(), 0u);
  EXPECT_EQ(flusher.reported(), 3);
}

TEST_F(FlusherTest, AnUnreachableAggregatorKeepsTheOutcomeAndTheOrder) {
  Add({"a", "b", "c"});
  reports_.answers = {Answer(v1::REPORT_RESULT_ACCEPTED),
                      absl::UnavailableError("connection refused")};
  Flusher flusher(spool_.get(), reports_.fn(), &clock_);
  EXPECT_FALSE(flusher.FlushOnce());
  EXPECT_THAT(reports_.seen, ElementsAre("a", "b"));
  EXPECT_EQ(spool_->depth(), 2u);

  // The next pass starts again from the oldest outcome left.
  EXPECT_TRUE(flusher.FlushOnce());
  EXPECT_THAT(reports_.seen, ElementsAre("a", "b", "b", "c"));
  EXPECT_EQ(spool_->depth(), 0u);
}

TEST_F(FlusherTest, AnAnswerWithoutAResultIsRetriedNotDropped) {
  Add({"a"});
  reports_.answers = {v1::ReportResponse()};
  Flusher flusher(spool_.get(), reports_.fn(), &clock_);
  EXPECT_FALSE(flusher.FlushOnce());
  EXPECT_EQ(spool_->depth(), 1u);
}

TEST_F(FlusherTest, ARejectedOutcomeIsSetAsideAndTheRestGoOn) {
  Add({"a", "b"});
  reports_.answers = {absl::InvalidArgumentError("attempt must be >= 1")};
  Flusher flusher(spool_.get(), reports_.fn(), &clock_);
  EXPECT_TRUE(flusher.FlushOnce());
  EXPECT_THAT(reports_.seen, ElementsAre("a", "b"));
  EXPECT_EQ(spool_->depth(), 0u);
  EXPECT_TRUE(
      std::filesystem::exists(dir_.path() + "/00000000000000000001.rejected"));
}

TEST_F(FlusherTest, InParallelEveryOutcomeIsReportedOnceAndRemoved) {
  for (int i = 0; i < 100; ++i) ASSERT_STATUS_OK(spool_->Append(Outcome("e")));
  std::atomic<int> calls{0};
  Flusher flusher(
      spool_.get(),
      [&](const v1::ReportRequest&) -> absl::StatusOr<v1::ReportResponse> {
        ++calls;
        return Answer(v1::REPORT_RESULT_ACCEPTED);
      },
      &clock_, /*parallel=*/8);
  EXPECT_TRUE(flusher.FlushOnce());
  EXPECT_EQ(calls.load(), 100);
  EXPECT_EQ(spool_->depth(), 0u);
  EXPECT_EQ(flusher.reported(), 100);
}

TEST_F(FlusherTest, InParallelAFailureKeepsWhatWasNotAnswered) {
  for (int i = 0; i < 100; ++i) ASSERT_STATUS_OK(spool_->Append(Outcome("e")));
  std::atomic<int> calls{0};
  Flusher flusher(
      spool_.get(),
      [&](const v1::ReportRequest&) -> absl::StatusOr<v1::ReportResponse> {
        if (++calls > 10) return absl::UnavailableError("gone");
        return Answer(v1::REPORT_RESULT_ACCEPTED);
      },
      &clock_, /*parallel=*/4);
  EXPECT_FALSE(flusher.FlushOnce());
  EXPECT_EQ(spool_->depth(), 90u);
  EXPECT_LT(calls.load(), 20);  // new starts stop at the first failure
}

TEST_F(FlusherTest, ABatchGoesInOneCallAndEachAnswerSettlesItsOutcome) {
  Add({"a", "b", "c"});
  FakeBatches batches;
  batches.answers.push_back(std::vector<absl::StatusOr<v1::ReportResponse>>{
      Answer(v1::REPORT_RESULT_ACCEPTED), Answer(v1::REPORT_RESULT_DUPLICATE),
      absl::InvalidArgumentError("attempt must be >= 1")});
  auto flusher = BatchFlusher(batches);
  EXPECT_TRUE(flusher->FlushOnce());
  EXPECT_THAT(batches.calls,
              ElementsAre(std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(reports_.seen.empty());
  EXPECT_EQ(spool_->depth(), 0u);
  EXPECT_EQ(flusher->reported(), 2);
  EXPECT_TRUE(
      std::filesystem::exists(dir_.path() + "/00000000000000000003.rejected"));
}

TEST_F(FlusherTest, ABatchCallThatFailsKeepsEveryOutcome) {
  Add({"a", "b"});
  FakeBatches batches;
  batches.answers.push_back(absl::UnavailableError("connection refused"));
  auto flusher = BatchFlusher(batches);
  EXPECT_FALSE(flusher->FlushOnce());
  EXPECT_EQ(spool_->depth(), 2u);
  EXPECT_EQ(flusher->reported(), 0);
}

TEST_F(FlusherTest, AnOutcomeRefusedForNowInABatchStaysTheAnsweredLeave) {
  Add({"a", "b", "c"});
  FakeBatches batches;
  batches.answers.push_back(std::vector<absl::StatusOr<v1::ReportResponse>>{
      Answer(v1::REPORT_RESULT_ACCEPTED), absl::InternalError("store failed"),
      Answer(v1::REPORT_RESULT_ACCEPTED)});
  auto flusher = BatchFlusher(batches);
  EXPECT_FALSE(flusher->FlushOnce());
  absl::StatusOr<std::vector<Spool::Entry>> left = spool_->Oldest(10);
  ASSERT_STATUS_OK(left);
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ(left->front().outcome.execution_id(), "b");
  // The next pass sends only what is left.
  EXPECT_TRUE(flusher->FlushOnce());
  EXPECT_THAT(batches.calls.back(), ElementsAre("b"));
}

TEST_F(FlusherTest, MoreThanABatchGoesInSeveralCallsOldestFirst) {
  for (int i = 0; i < 100; ++i) {
    ASSERT_STATUS_OK(spool_->Append(Outcome("e" + std::to_string(i))));
  }
  FakeBatches batches;
  auto flusher = BatchFlusher(batches);
  EXPECT_TRUE(flusher->FlushOnce());
  ASSERT_EQ(batches.calls.size(), 2u);
  EXPECT_EQ(batches.calls[0].size(), 64u);
  EXPECT_EQ(batches.calls[0].front(), "e0");
  EXPECT_EQ(batches.calls[1].size(), 36u);
  EXPECT_EQ(batches.calls[1].back(), "e99");
  EXPECT_EQ(spool_->depth(), 0u);
}

// An aggregator from before ReportBatch answers UNIMPLEMENTED: the flusher
// reports one at a time from then on.
TEST_F(FlusherTest, WithoutReportBatchOutcomesAreReportedOneByOne) {
  Add({"a", "b"});
  FakeBatches batches;
  batches.answers.push_back(absl::UnimplementedError("unknown method"));
  auto flusher = BatchFlusher(batches);
  EXPECT_TRUE(flusher->FlushOnce());
  EXPECT_THAT(reports_.seen, ElementsAre("a", "b"));
  Add({"c"});
  EXPECT_TRUE(flusher->FlushOnce());
  EXPECT_THAT(reports_.seen, ElementsAre("a", "b", "c"));
  EXPECT_EQ(batches.calls.size(), 1u);
  EXPECT_EQ(spool_->depth(), 0u);
}

TEST_F(FlusherTest, RunFlushesWhenWokenAndStops) {
  Flusher flusher(spool_.get(), reports_.fn(), &clock_);
  std::thread loop([&] { flusher.Run(); });
  clock_.BlockUntilWaiters(1);  // idle: the spool is empty
  Add({"a"});
  flusher.Wake();
  // The flusher's thread empties the spool (waited for on the spool's own
  // mutex, at most 10 s of real time).
  ASSERT_TRUE(
      spool_->AwaitEmpty(Clock::Real(), absl::Now() + absl::Seconds(10)));
  flusher.Stop();
  loop.join();
}

TEST_F(FlusherTest, RunRetriesAfterABackoffWithoutBeingWoken) {
  Add({"a"});
  reports_.answers = {absl::UnavailableError("down")};
  Flusher flusher(spool_.get(), reports_.fn(), &clock_, 1,
                  {absl::Seconds(1), 2.0, 0.0, absl::Seconds(10)});
  std::thread loop([&] { flusher.Run(); });
  clock_.BlockUntilWaiters(1);
  EXPECT_EQ(spool_->depth(), 1u);
  EXPECT_EQ(clock_.GetEarliestWakeupTime(),
            clock_.TimeNow() + absl::Seconds(1));
  clock_.AdvanceTime(absl::Seconds(1));
  // The flusher's thread empties the spool (waited for on the spool's own
  // mutex, at most 10 s of real time).
  ASSERT_TRUE(
      spool_->AwaitEmpty(Clock::Real(), absl::Now() + absl::Seconds(10)));
  flusher.Stop();
  flusher.Wake();
  loop.join();
}

}  // namespace
}  // namespace ap
