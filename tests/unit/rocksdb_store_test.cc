#include "aggregator/store/rocksdb_store.h"

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ap {
namespace {

using ::ap::testing::IsOk;
using ::ap::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

class RocksDbStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/store-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<RocksDbStore> OpenOrDie() {
    absl::StatusOr<std::unique_ptr<RocksDbStore>> s =
        RocksDbStore::Open({dir_, /*sync_writes=*/false});
    EXPECT_THAT(s, IsOk());
    return s.ok() ? std::move(*s) : nullptr;
  }

  std::vector<std::pair<std::string, std::string>> ScanAll(
      Store& store, absl::string_view prefix, absl::string_view after = "") {
    std::vector<std::pair<std::string, std::string>> out;
    EXPECT_THAT(store.Scan(prefix, after,
                           [&](absl::string_view k, absl::string_view v) {
                             out.emplace_back(k, v);
                             return true;
                           }),
                IsOk());
    return out;
  }

  std::string dir_;
};

TEST_F(RocksDbStoreTest, NewStoreCreatesTheDirectoryAndStampsTheSchema) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(std::filesystem::is_directory(dir_));
  EXPECT_EQ(store->schema_version(), kSchemaVersion);
  EXPECT_EQ(**store->Get(kSchemaVersionKey), "2");
}

TEST_F(RocksDbStoreTest, Schema1StoreIsMigratedByDroppingItsPendKeys) {
  constexpr int kPend = 25001;  // more than one migration batch
  {
    auto store = OpenOrDie();
    WriteBatch b;
    b.Put(kSchemaVersionKey, "1");
    for (int i = 0; i < kPend; ++i) b.Put(absl::StrCat("pend/", i), "");
    b.Put("open/W/E", "");
    b.Put("pendant/kept", "x");
    ASSERT_THAT(store->Write(b), IsOk());
  }
  auto store = OpenOrDie();
  EXPECT_EQ(store->schema_version(), 2);
  EXPECT_EQ(**store->Get(kSchemaVersionKey), "2");
  EXPECT_THAT(ScanAll(*store, "pend/"), ::testing::IsEmpty());
  EXPECT_EQ(**store->Get("open/W/E"), "");
  EXPECT_EQ(**store->Get("pendant/kept"), "x");
}

TEST_F(RocksDbStoreTest, WritesSurviveReopening) {
  {
    auto store = OpenOrDie();
    WriteBatch b;
    b.Put("wf/1", "one");
    ASSERT_THAT(store->Write(b), IsOk());
  }
  auto store = OpenOrDie();
  EXPECT_EQ(**store->Get("wf/1"), "one");
}

TEST_F(RocksDbStoreTest, EachWriteIsTimedForTheMetrics) {
  std::vector<absl::Duration> took;
  absl::StatusOr<std::unique_ptr<RocksDbStore>> store =
      RocksDbStore::Open({dir_, /*sync_writes=*/true,
                          [&](absl::Duration d) { took.push_back(d); }});
  ASSERT_THAT(store, IsOk());
  const size_t at_open = took.size();  // the schema stamp is a write too
  WriteBatch b;
  b.Put("wf/1", "one");
  ASSERT_THAT((*store)->Write(b), IsOk());
  ASSERT_THAT((*store)->Write(b), IsOk());
  ASSERT_EQ(took.size(), at_open + 2);
  EXPECT_GT(took.back(), absl::ZeroDuration());
}

TEST_F(RocksDbStoreTest, MissingKeyIsNulloptNotAnError) {
  auto store = OpenOrDie();
  absl::StatusOr<std::optional<std::string>> v = store->Get("nope");
  ASSERT_THAT(v, IsOk());
  EXPECT_FALSE(v->has_value());
}

TEST_F(RocksDbStoreTest, BatchAppliesPutsAndDeletesTogether) {
  auto store = OpenOrDie();
  WriteBatch first;
  first.Put("a", "1");
  first.Put("b", "2");
  ASSERT_THAT(store->Write(first), IsOk());
  WriteBatch second;
  second.Delete("a");
  second.Put("c", "3");
  second.Put("b", "22");
  ASSERT_THAT(store->Write(second), IsOk());
  EXPECT_FALSE(store->Get("a")->has_value());
  EXPECT_EQ(**store->Get("b"), "22");
  EXPECT_EQ(**store->Get("c"), "3");
}

TEST_F(RocksDbStoreTest, ScanVisitsOnlyThePrefixInKeyOrder) {
  auto store = OpenOrDie();
  WriteBatch b;
  for (const char* k : {"ex/2", "wf/b", "wf/a", "wf/c", "wg/x"}) b.Put(k, k);
  ASSERT_THAT(store->Write(b), IsOk());
  EXPECT_THAT(ScanAll(*store, "wf/"),
              ElementsAre(Pair("wf/a", "wf/a"), Pair("wf/b", "wf/b"),
                          Pair("wf/c", "wf/c")));
}

TEST_F(RocksDbStoreTest, ScanResumesStrictlyAfterAKey) {
  auto store = OpenOrDie();
  WriteBatch b;
  for (const char* k : {"wf/a", "wf/b", "wf/c"}) b.Put(k, "");
  ASSERT_THAT(store->Write(b), IsOk());
  EXPECT_THAT(ScanAll(*store, "wf/", "wf/a"),
              ElementsAre(Pair("wf/b", ""), Pair("wf/c", "")));
  EXPECT_THAT(ScanAll(*store, "wf/", "wf/bb"), ElementsAre(Pair("wf/c", "")));
  EXPECT_THAT(ScanAll(*store, "wf/", "wf/c"), ElementsAre());
}

TEST_F(RocksDbStoreTest, ReverseScanVisitsThePrefixNewestFirst) {
  auto store = OpenOrDie();
  WriteBatch b;
  for (const char* k : {"ex/a/1", "ex/a/2", "ex/a/3", "ex/b/1", "ex/`"}) {
    b.Put(k, "");
  }
  ASSERT_THAT(store->Write(b), IsOk());
  std::vector<std::string> keys;
  auto collect = [&](absl::string_view k, absl::string_view) {
    keys.emplace_back(k);
    return true;
  };
  ASSERT_THAT(store->ScanReverse("ex/a/", "", collect), IsOk());
  EXPECT_THAT(keys, ElementsAre("ex/a/3", "ex/a/2", "ex/a/1"));
  keys.clear();
  ASSERT_THAT(store->ScanReverse("ex/a/", "ex/a/3", collect), IsOk());
  EXPECT_THAT(keys, ElementsAre("ex/a/2", "ex/a/1"));
  keys.clear();
  ASSERT_THAT(store->ScanReverse("ex/a/", "ex/a/1", collect), IsOk());
  EXPECT_THAT(keys, ElementsAre());
}

TEST_F(RocksDbStoreTest, ScanStopsWhenTheCallbackSaysSo) {
  auto store = OpenOrDie();
  WriteBatch b;
  for (const char* k : {"p/1", "p/2", "p/3"}) b.Put(k, "");
  ASSERT_THAT(store->Write(b), IsOk());
  int seen = 0;
  ASSERT_THAT(store->Scan("p/", "",
                          [&](absl::string_view, absl::string_view) {
                            return ++seen < 2;
                          }),
              IsOk());
  EXPECT_EQ(seen, 2);
}

TEST_F(RocksDbStoreTest, StoreWrittenByANewerBuildIsRefused) {
  {
    auto store = OpenOrDie();
    WriteBatch b;
    b.Put(kSchemaVersionKey, "99");
    ASSERT_THAT(store->Write(b), IsOk());
  }
  EXPECT_THAT(RocksDbStore::Open({dir_, false}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("schema version 99")));
}

TEST_F(RocksDbStoreTest, GarbageSchemaVersionIsDataLoss) {
  {
    auto store = OpenOrDie();
    WriteBatch b;
    b.Put(kSchemaVersionKey, "banana");
    ASSERT_THAT(store->Write(b), IsOk());
  }
  EXPECT_THAT(RocksDbStore::Open({dir_, false}),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("banana")));
}

TEST_F(RocksDbStoreTest, SecondOpenOfTheSameDirectoryIsRefusedClearly) {
  auto first = OpenOrDie();
  EXPECT_THAT(RocksDbStore::Open({dir_, false}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("another aggregator")));
}

TEST_F(RocksDbStoreTest, UncreatableDirectoryIsAnError) {
  EXPECT_THAT(RocksDbStore::Open({"/proc/ap-cannot-be-here", false}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("cannot create data dir")));
}

}  // namespace
}  // namespace ap
