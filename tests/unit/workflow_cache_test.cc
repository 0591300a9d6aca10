// WorkflowCache: parsed workflows kept coherent with committed writes.

#include "aggregator/records/workflow_cache.h"

#include "gtest/gtest.h"

namespace ap {
namespace {

std::shared_ptr<const v1::Workflow> Wf(const std::string& id,
                                       const std::string& name = "") {
  auto w = std::make_shared<v1::Workflow>();
  w->set_id(id);
  w->set_name(name);
  return w;
}

TEST(WorkflowCacheTest, AFillIsKeptWhenNothingChangedSinceTheRead) {
  WorkflowCache cache(10);
  EXPECT_EQ(cache.Find("a"), nullptr);
  const uint64_t v = cache.Version();
  cache.Fill(Wf("a", "read"), v);
  ASSERT_NE(cache.Find("a"), nullptr);
  EXPECT_EQ(cache.Find("a")->name(), "read");
}

TEST(WorkflowCacheTest, ARecordReadBeforeAWriteIsNeverKeptAfterIt) {
  WorkflowCache cache(10);
  const uint64_t v = cache.Version();  // a reader misses, reads "old"...
  cache.Put(Wf("a", "new"));           // ...a write commits...
  cache.Fill(Wf("a", "old"), v);       // ...the reader offers "old"
  EXPECT_EQ(cache.Find("a")->name(), "new");

  const uint64_t v2 = cache.Version();
  cache.Erase("a");
  cache.Fill(Wf("a", "old"), v2);
  EXPECT_EQ(cache.Find("a"), nullptr);
}

TEST(WorkflowCacheTest, PutReplacesWhatWasCached) {
  WorkflowCache cache(10);
  cache.Put(Wf("a", "one"));
  cache.Put(Wf("a", "two"));
  EXPECT_EQ(cache.Find("a")->name(), "two");
  EXPECT_EQ(cache.size(), 1u);
}

TEST(WorkflowCacheTest, PastCapacityTheOldestFilledGoes) {
  WorkflowCache cache(3);
  for (const char* id : {"a", "b", "c", "d"}) cache.Put(Wf(id));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.Find("a"), nullptr);
  EXPECT_NE(cache.Find("d"), nullptr);
}

TEST(WorkflowCacheTest, AnErasedIdDoesNotCountAgainstCapacity) {
  WorkflowCache cache(2);
  cache.Put(Wf("a"));
  cache.Put(Wf("b"));
  cache.Erase("a");
  cache.Put(Wf("c"));  // room: only b is cached
  EXPECT_NE(cache.Find("b"), nullptr);
  cache.Put(Wf("d"));  // full: b, the oldest still cached, goes
  EXPECT_EQ(cache.Find("b"), nullptr);
  EXPECT_NE(cache.Find("c"), nullptr);
  EXPECT_NE(cache.Find("d"), nullptr);
}

TEST(WorkflowCacheTest, LongChurnOfErasedIdsKeepsEvictionOrder) {
  WorkflowCache cache(2);
  cache.Put(Wf("first"));
  for (int i = 0; i < 1000; ++i) {  // compacts the order many times
    cache.Put(Wf("x" + std::to_string(i)));
    cache.Erase("x" + std::to_string(i));
  }
  cache.Put(Wf("second"));
  cache.Put(Wf("third"));  // evicts the oldest: first
  EXPECT_EQ(cache.Find("first"), nullptr);
  EXPECT_NE(cache.Find("second"), nullptr);
  EXPECT_NE(cache.Find("third"), nullptr);
}

TEST(WorkflowCacheTest, CapacityZeroKeepsNothing) {
  WorkflowCache cache(0);
  cache.Put(Wf("a"));
  cache.Fill(Wf("b"), cache.Version());
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.Find("a"), nullptr);
}

}  // namespace
}  // namespace ap
