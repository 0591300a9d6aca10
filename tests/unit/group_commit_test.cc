// GroupCommit: concurrent submits share one commit; each caller gets its
// own result.

#include "common/sync/group_commit.h"

#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ap {
namespace {

TEST(GroupCommitTest, ALoneCallerCommitsAtOnce) {
  std::vector<size_t> sizes;
  absl::Mutex serialize;
  GroupCommit<int, int> commit(
      &serialize,
      [&](std::vector<GroupCommit<int, int>::Item*>& batch) {
        sizes.push_back(batch.size());
        for (auto* item : batch) item->result = *item->request * 10;
      },
      -1);
  EXPECT_EQ(commit.Submit(1), 10);
  EXPECT_EQ(commit.Submit(2), 20);
  EXPECT_THAT(sizes, ::testing::ElementsAre(1u, 1u));
  EXPECT_EQ(commit.batches(), 2u);
}

TEST(GroupCommitTest, SubmitAllCommitsACallersRequestsTogetherInOrder) {
  std::vector<std::vector<int>> batches;
  absl::Mutex serialize;
  GroupCommit<int, int> commit(
      &serialize,
      [&](std::vector<GroupCommit<int, int>::Item*>& batch) {
        std::vector<int> requests;
        for (auto* item : batch) {
          requests.push_back(*item->request);
          item->result = *item->request * 10;
        }
        batches.push_back(requests);
      },
      -1);
  EXPECT_THAT(commit.SubmitAll({3, 1, 2}), ::testing::ElementsAre(30, 10, 20));
  EXPECT_THAT(batches, ::testing::ElementsAre(::testing::ElementsAre(3, 1, 2)));
}

TEST(GroupCommitTest, CallersArrivingDuringACommitShareTheNextOne) {
  using Commit = GroupCommit<int, int>;
  absl::Notification first_inside, release_first;
  absl::Mutex mu;
  std::vector<std::vector<int>> batches;
  absl::Mutex serialize;
  Commit commit(
      &serialize,
      [&](std::vector<Commit::Item*>& batch) {
        std::vector<int> requests;
        for (auto* item : batch) {
          requests.push_back(*item->request);
          item->result = *item->request * 10;
        }
        {
          absl::MutexLock l(&mu);
          batches.push_back(requests);
        }
        if (requests == std::vector<int>{0}) {
          first_inside.Notify();
          release_first.WaitForNotification();
        }
      },
      -1);
  int first_result = 0;
  std::thread leader([&] { first_result = commit.Submit(0); });
  first_inside.WaitForNotification();
  // Five callers queue behind the commit in progress.
  constexpr int kFollowers = 5;
  std::vector<int> results(kFollowers);
  std::vector<std::thread> followers;
  for (int i = 0; i < kFollowers; ++i) {
    followers.emplace_back([&, i] { results[i] = commit.Submit(i + 1); });
  }
  // Wait until all five are queued (each queues before it can block).
  while (commit.waiting() < kFollowers) std::this_thread::yield();
  release_first.Notify();
  leader.join();
  for (auto& t : followers) t.join();
  EXPECT_EQ(first_result, 0);
  EXPECT_THAT(results, ::testing::ElementsAre(10, 20, 30, 40, 50));
  absl::MutexLock l(&mu);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_THAT(batches[1], ::testing::UnorderedElementsAre(1, 2, 3, 4, 5));
}

}  // namespace
}  // namespace ap
