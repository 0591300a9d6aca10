#include "operator/run/running_reporter.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ap {
namespace {

v1::ReportRequest Running(const std::string& id, int attempt = 1) {
  v1::ReportRequest r;
  r.set_execution_id(id);
  r.set_attempt(attempt);
  r.set_status(v1::EXECUTION_STATUS_RUNNING);
  return r;
}

v1::ReportResponse Answer(v1::ReportResult result, std::string detail = "") {
  v1::ReportResponse a;
  a.set_result(result);
  a.set_detail(std::move(detail));
  return a;
}

struct Recorder {
  std::vector<std::vector<std::string>> batches;
  // What the aggregator answers each report, by execution id.
  std::function<absl::StatusOr<v1::ReportResponse>(const v1::ReportRequest&)>
      answer = [](const v1::ReportRequest&) {
        return Answer(v1::REPORT_RESULT_ACCEPTED);
      };
  absl::Status fail_call = absl::OkStatus();
  std::vector<std::string> stale;

  RunningReporter Make() {
    return RunningReporter(
        [this](const std::vector<v1::ReportRequest>& reports)
            -> RunningReporter::BatchAnswer {
          std::vector<std::string> ids;
          std::vector<absl::StatusOr<v1::ReportResponse>> out;
          for (const v1::ReportRequest& r : reports) {
            ids.push_back(r.execution_id());
            out.push_back(answer(r));
          }
          batches.push_back(ids);
          if (!fail_call.ok()) return fail_call;
          return out;
        },
        [this](const v1::ReportRequest& r, const std::string& detail) {
          stale.push_back(r.execution_id() + ": " + detail);
        });
  }
};

TEST(RunningReporterTest, StartsQueuedMeanwhileGoInOneBatch) {
  Recorder rec;
  RunningReporter reporter = rec.Make();
  reporter.Started(Running("a"));
  reporter.Started(Running("b"));
  reporter.Started(Running("c"));
  EXPECT_TRUE(reporter.SendOnce());
  EXPECT_FALSE(reporter.SendOnce()) << "nothing left";
  EXPECT_THAT(rec.batches, ::testing::ElementsAre(
                               std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(reporter.sent(), 3);
}

TEST(RunningReporterTest, ABatchHoldsAtMostKMaxBatch) {
  Recorder rec;
  RunningReporter reporter = rec.Make();
  for (size_t i = 0; i < RunningReporter::kMaxBatch + 1; ++i) {
    reporter.Started(Running(std::to_string(i)));
  }
  reporter.SendOnce();
  reporter.SendOnce();
  ASSERT_EQ(rec.batches.size(), 2u);
  EXPECT_EQ(rec.batches[0].size(), RunningReporter::kMaxBatch);
  EXPECT_EQ(rec.batches[1].size(), 1u);
}

TEST(RunningReporterTest, AnAttemptThatFinishedFirstIsNotReportedRunning) {
  Recorder rec;
  RunningReporter reporter = rec.Make();
  reporter.Started(Running("fast"));
  reporter.Started(Running("slow"));
  reporter.Started(Running("fast", 2));
  reporter.Finished("fast", 1);
  reporter.SendOnce();
  EXPECT_THAT(rec.batches, ::testing::ElementsAre(
                               std::vector<std::string>{"slow", "fast"}));
  reporter.Finished("gone", 1);  // not queued: nothing happens
}

TEST(RunningReporterTest, AStaleAnswerIsPassedOnWithTheAggregatorsReason) {
  Recorder rec;
  rec.answer = [](const v1::ReportRequest& r)
      -> absl::StatusOr<v1::ReportResponse> {
    if (r.execution_id() == "superseded") {
      return Answer(v1::REPORT_RESULT_STALE, "attempt 1 was superseded by 2");
    }
    if (r.execution_id() == "odd") return absl::InvalidArgumentError("odd");
    return Answer(v1::REPORT_RESULT_ACCEPTED);
  };
  RunningReporter reporter = rec.Make();
  reporter.Started(Running("fine"));
  reporter.Started(Running("superseded"));
  reporter.Started(Running("odd"));
  reporter.SendOnce();
  EXPECT_THAT(rec.stale, ::testing::ElementsAre(
                             "superseded: attempt 1 was superseded by 2"));
}

TEST(RunningReporterTest, ABatchTheAggregatorCouldNotTakeIsDroppedNotRetried) {
  Recorder rec;
  rec.fail_call = absl::UnavailableError("not linked");
  RunningReporter reporter = rec.Make();
  reporter.Started(Running("a"));
  EXPECT_TRUE(reporter.SendOnce());
  EXPECT_FALSE(reporter.SendOnce());
  EXPECT_EQ(rec.batches.size(), 1u);
  EXPECT_EQ(reporter.dropped(), 1);
  EXPECT_EQ(reporter.sent(), 0);
  EXPECT_TRUE(rec.stale.empty());
}

TEST(RunningReporterTest, RunReturnsOnceStopped) {
  Recorder rec;
  RunningReporter reporter = rec.Make();
  reporter.Stop();
  reporter.Run();  // returns at once
  EXPECT_EQ(reporter.sent(), 0);
}

}  // namespace
}  // namespace ap
