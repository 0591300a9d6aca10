#include "aggregator/schedule/timer_queue.h"

#include <map>
#include <random>
#include <set>
#include <string>

#include "gtest/gtest.h"

namespace ap {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

TEST(TimerQueueTest, EarliestIsTheSoonestArmedEntry) {
  TimerQueue<int> q;
  q.Put("a", 1);
  q.Put("b", 2);
  q.Put("c", 3);
  q.Arm("a", kT0 + absl::Seconds(30));
  q.Arm("b", kT0 + absl::Seconds(10));
  EXPECT_EQ(*q.Earliest()->id, "b");
  EXPECT_EQ(q.armed(), 2u);
  EXPECT_EQ(q.size(), 3u);
}

TEST(TimerQueueTest, TiesAreBrokenById) {
  TimerQueue<int> q;
  for (const char* id : {"m", "z", "a"}) {
    q.Put(id, 0);
    q.Arm(id, kT0);
  }
  EXPECT_EQ(*q.Earliest()->id, "a");
}

TEST(TimerQueueTest, ArmedByListsWhatPoppingWouldGiveWithoutPopping) {
  TimerQueue<int> q;
  std::mt19937 rng(7);
  for (int i = 0; i < 500; ++i) {
    const std::string id = "w" + std::to_string(i);
    q.Put(id, 0);
    q.Arm(id, kT0 + absl::Milliseconds(rng() % 2000));
  }
  const absl::Time now = kT0 + absl::Seconds(1);
  const std::vector<TimerQueue<int>::Armed> peeked = q.ArmedBy(now, 100);
  ASSERT_EQ(peeked.size(), 100u);
  EXPECT_EQ(q.armed(), 500u);  // nothing taken
  for (const TimerQueue<int>::Armed& p : peeked) {
    const TimerQueue<int>::Armed top = *q.Earliest();
    EXPECT_EQ(*p.id, *top.id);
    EXPECT_EQ(p.at, top.at);
    q.Disarm(*top.id);
  }
  // Only what is due: fewer than `max` when fewer are due.
  const size_t due = q.ArmedBy(now, 1000).size();
  for (const TimerQueue<int>::Armed& p : q.ArmedBy(now, 1000)) {
    EXPECT_LE(p.at, now);
  }
  EXPECT_LT(due, 400u);
}

TEST(TimerQueueTest, RearmMovesAnEntryBothWays) {
  TimerQueue<int> q;
  q.Put("a", 0);
  q.Put("b", 0);
  q.Arm("a", kT0 + absl::Seconds(1));
  q.Arm("b", kT0 + absl::Seconds(2));
  q.Arm("a", kT0 + absl::Seconds(3));
  EXPECT_EQ(*q.Earliest()->id, "b");
  q.Arm("a", kT0);
  EXPECT_EQ(*q.Earliest()->id, "a");
  EXPECT_EQ(q.armed(), 2u);
}

TEST(TimerQueueTest, DisarmKeepsTheValueEraseDropsIt) {
  TimerQueue<int> q;
  q.Put("a", 7);
  q.Arm("a", kT0);
  EXPECT_TRUE(q.Disarm("a"));
  EXPECT_FALSE(q.Earliest().has_value());
  EXPECT_EQ(*q.Find("a"), 7);
  EXPECT_EQ(q.ArmedAt("a"), std::nullopt);
  EXPECT_TRUE(q.Erase("a"));
  EXPECT_EQ(q.Find("a"), nullptr);
  EXPECT_FALSE(q.Erase("a"));
  EXPECT_FALSE(q.Arm("a", kT0));
}

TEST(TimerQueueTest, PutReplacesTheValueAndKeepsTheArmedTime) {
  TimerQueue<std::string> q;
  q.Put("a", "old");
  q.Arm("a", kT0);
  q.Put("a", "new");
  EXPECT_EQ(*q.Find("a"), "new");
  EXPECT_EQ(q.ArmedAt("a"), kT0);
}

// Random operations against a reference model (std::set of (time, id)).
TEST(TimerQueueTest, MatchesAReferenceModelUnderRandomOperations) {
  std::mt19937 rng(42);
  TimerQueue<int> q;
  std::map<std::string, absl::Time> armed;
  std::set<std::string> known;
  for (int step = 0; step < 20000; ++step) {
    const std::string id = "w" + std::to_string(rng() % 200);
    const absl::Time at = kT0 + absl::Seconds(rng() % 1000);
    switch (rng() % 5) {
      case 0:
      case 1:
        q.Put(id, step);
        known.insert(id);
        q.Arm(id, at);
        armed[id] = at;
        break;
      case 2:
        q.Disarm(id);
        armed.erase(id);
        break;
      case 3:
        q.Erase(id);
        known.erase(id);
        armed.erase(id);
        break;
      case 4: {  // pop the earliest
        auto e = q.Earliest();
        if (!e) {
          ASSERT_TRUE(armed.empty());
          break;
        }
        const std::string popped = *e->id;
        q.Disarm(popped);
        armed.erase(popped);
        break;
      }
    }
    ASSERT_EQ(q.armed(), armed.size()) << step;
    ASSERT_EQ(q.size(), known.size()) << step;
    if (!armed.empty()) {
      std::pair<absl::Time, std::string> best{absl::InfiniteFuture(), ""};
      for (const auto& [k, t] : armed) best = std::min(best, {t, k});
      auto e = q.Earliest();
      ASSERT_TRUE(e.has_value());
      ASSERT_EQ(e->at, best.first) << step;
      ASSERT_EQ(*e->id, best.second) << step;
    }
  }
}

}  // namespace
}  // namespace ap
