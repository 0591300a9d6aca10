// FairMutex: turns are given in the order they were asked for.

#include "common/sync/fair_mutex.h"

#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ap {
namespace {

void WaitUntilWaiting(const FairMutex& mu, uint64_t n) {
  while (mu.waiting() < n) std::this_thread::yield();
}

TEST(FairMutexTest, TurnsAreGivenInTheOrderAsked) {
  FairMutex mu;
  std::vector<int> order;  // guarded by mu
  mu.Lock();
  std::vector<std::thread> threads;
  for (int i = 0; i < 5; ++i) {
    threads.emplace_back([&, i] {
      FairMutexLock l(&mu);
      order.push_back(i);
    });
    WaitUntilWaiting(mu, static_cast<uint64_t>(i) + 1);  // i asked first
  }
  mu.Unlock();
  for (std::thread& t : threads) t.join();
  EXPECT_THAT(order, ::testing::ElementsAre(0, 1, 2, 3, 4));
}

TEST(FairMutexTest, AThreadThatLetsGoWaitsBehindThoseAlreadyWaiting) {
  FairMutex mu;
  std::vector<int> order;
  mu.Lock();
  std::thread other([&] {
    FairMutexLock l(&mu);
    order.push_back(1);
  });
  WaitUntilWaiting(mu, 1);
  order.push_back(0);
  mu.Unlock();
  mu.Lock();  // absl::Mutex could barge in here ahead of `other`
  order.push_back(2);
  mu.Unlock();
  other.join();
  EXPECT_THAT(order, ::testing::ElementsAre(0, 1, 2));
}

TEST(FairMutexTest, AssertHeldPassesForTheHolder) {
  FairMutex mu;
  FairMutexLock l(&mu);
  mu.AssertHeld();
  EXPECT_EQ(mu.waiting(), 0u);
}

TEST(FairMutexDeathTest, AssertHeldDiesForAThreadNotHoldingIt) {
  FairMutex mu;
  EXPECT_DEATH(mu.AssertHeld(), "not held");
}

}  // namespace
}  // namespace ap
