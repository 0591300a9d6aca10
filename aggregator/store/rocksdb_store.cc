#include "aggregator/store/rocksdb_store.h"

#include <chrono>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/status.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/write_batch.h"

namespace ap {
namespace {

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  const std::string msg = absl::StrCat(what, ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
    return absl::FailedPreconditionError(
        absl::StrCat(msg, " (is another aggregator using this data dir?)"));
  }
  if (s.IsBusy() || s.IsTryAgain() || s.IsTimedOut()) {
    return absl::UnavailableError(msg);
  }
  return absl::InternalError(msg);
}

rocksdb::Slice ToSlice(absl::string_view s) {
  return rocksdb::Slice(s.data(), s.size());
}

}  // namespace

absl::StatusOr<std::unique_ptr<RocksDbStore>> RocksDbStore::Open(
    const RocksDbOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (ec) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot create data dir ", options.path, ": ", ec.message()));
  }
  rocksdb::Options opts;
  opts.create_if_missing = true;
  opts.IncreaseParallelism(2);
  // Half RocksDB's default memtable: every execution is written two or
  // three times, and inserts into a smaller skiplist touch less memory (the
  // dispatch benchmark at 20,000/s offered: 13,300-13,700/s persisted with
  // 64 MiB, 15,200-16,600/s with 16-32 MiB).
  opts.write_buffer_size = 32 << 20;
  // Bloom filters make "does this execution exist" misses cheap; a block
  // cache keeps hot workflow records in memory.
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.block_cache = rocksdb::NewLRUCache(64 << 20);
  opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(opts, options.path, &raw);
  if (!s.ok()) {
    return FromRocks(s, absl::StrCat("cannot open store at ", options.path));
  }
  std::unique_ptr<RocksDbStore> store(
      new RocksDbStore(std::unique_ptr<rocksdb::DB>(raw), options));
  if (absl::Status v = store->CheckSchemaVersion(); !v.ok()) return v;
  return store;
}

RocksDbStore::RocksDbStore(std::unique_ptr<rocksdb::DB> db,
                           RocksDbOptions options)
    : db_(std::move(db)), options_(std::move(options)) {}

RocksDbStore::~RocksDbStore() {
  if (db_) db_->Close().PermitUncheckedError();
}

absl::Status RocksDbStore::CheckSchemaVersion() {
  absl::StatusOr<std::optional<std::string>> v = Get(kSchemaVersionKey);
  if (!v.ok()) return v.status();
  if (!v->has_value()) {
    WriteBatch batch;
    batch.Put(kSchemaVersionKey, absl::StrCat(kSchemaVersion));
    if (absl::Status s = Write(batch); !s.ok()) return s;
    schema_version_ = kSchemaVersion;
    return absl::OkStatus();
  }
  int version = 0;
  if (!absl::SimpleAtoi(**v, &version) || version < 1) {
    return absl::DataLossError(absl::StrCat("store schema version \"", **v,
                                            "\" is not a positive number"));
  }
  if (version > kSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "store has schema version ", version, " but this aggregator knows ",
        kSchemaVersion, "; run a newer aggregator"));
  }
  if (version == 1) {
    if (absl::Status s = MigrateFrom1(); !s.ok()) return s;
    version = 2;
  }
  schema_version_ = version;
  return absl::OkStatus();
}

absl::Status RocksDbStore::MigrateFrom1() {
  // Version 2 no longer keeps the dispatch queue as pend/ keys (it lives in
  // memory, rebuilt from open/). Deleting them is idempotent, so a crash
  // part way only leaves the rest for the next start.
  constexpr char kSchema1PendingPrefix[] = "pend/";
  constexpr size_t kPerBatch = 10000;
  size_t deleted = 0;
  for (;;) {
    WriteBatch batch;
    size_t n = 0;
    absl::Status scanned = Scan(kSchema1PendingPrefix, "",
                                [&](absl::string_view key, absl::string_view) {
                                  batch.Delete(key);
                                  return ++n < kPerBatch;
                                });
    if (!scanned.ok()) return scanned;
    if (n < kPerBatch) batch.Put(kSchemaVersionKey, "2");
    if (absl::Status s = Write(batch); !s.ok()) return s;
    deleted += n;
    if (n < kPerBatch) break;
  }
  LogEvent(spdlog::level::info, "store_migrated",
           {{"from", 1}, {"to", 2}, {"pend_keys_deleted", deleted}});
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> RocksDbStore::Get(
    absl::string_view key) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), ToSlice(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, absl::StrCat("get ", key));
  return std::optional<std::string>(std::move(value));
}

absl::Status RocksDbStore::Write(const WriteBatch& batch) {
  rocksdb::WriteBatch wb;
  for (const WriteBatch::Op& op : batch.ops()) {
    rocksdb::Status s = op.is_delete
                            ? wb.Delete(ToSlice(op.key))
                            : wb.Put(ToSlice(op.key), ToSlice(op.value));
    if (!s.ok()) return FromRocks(s, "build write batch");
  }
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  const auto started = std::chrono::steady_clock::now();
  rocksdb::Status s = db_->Write(wo, &wb);
  if (options_.on_write) {
    options_.on_write(
        absl::FromChrono(std::chrono::steady_clock::now() - started));
  }
  return FromRocks(s, "write batch");
}

absl::Status RocksDbStore::Scan(absl::string_view prefix,
                                absl::string_view start_after,
                                const ScanFn& fn) {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions()));
  if (start_after.empty() || start_after < prefix) {
    it->Seek(ToSlice(prefix));
  } else {
    it->Seek(ToSlice(start_after));
    if (it->Valid() && it->key() == ToSlice(start_after)) it->Next();
  }
  for (; it->Valid(); it->Next()) {
    absl::string_view key(it->key().data(), it->key().size());
    if (!absl::StartsWith(key, prefix)) break;
    if (!fn(key, absl::string_view(it->value().data(), it->value().size()))) {
      break;
    }
  }
  return FromRocks(it->status(), absl::StrCat("scan ", prefix));
}

absl::Status RocksDbStore::ScanReverse(absl::string_view prefix,
                                       absl::string_view start_before,
                                       const ScanFn& fn) {
  // No key under the prefix sorts before one that sorts before it.
  if (!start_before.empty() && start_before <= prefix) {
    return absl::OkStatus();
  }
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions()));
  // Start at the last key below `start_before`, or below the first key
  // past the prefix.
  std::string bound(start_before);
  if (bound.empty() || !absl::StartsWith(bound, prefix)) {
    bound = std::string(prefix);
    while (!bound.empty() && static_cast<unsigned char>(bound.back()) == 0xff) {
      bound.pop_back();
    }
    if (!bound.empty()) bound.back() = static_cast<char>(bound.back() + 1);
  }
  if (bound.empty()) {
    it->SeekToLast();
  } else {
    it->SeekForPrev(ToSlice(bound));
    if (it->Valid() && it->key() == ToSlice(bound)) it->Prev();
  }
  for (; it->Valid(); it->Prev()) {
    absl::string_view key(it->key().data(), it->key().size());
    if (!absl::StartsWith(key, prefix)) break;
    if (!fn(key, absl::string_view(it->value().data(), it->value().size()))) {
      break;
    }
  }
  return FromRocks(it->status(), absl::StrCat("reverse scan ", prefix));
}

absl::Status RocksDbStore::Backup(const std::string& dir) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat(dir, " exists; name a new directory"));
  }
  rocksdb::Checkpoint* raw = nullptr;
  AP_RETURN_IF_ERROR(
      FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw), "checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // A flush first, so the copy holds everything written so far.
  return FromRocks(checkpoint->CreateCheckpoint(dir, /*log_size_for_flush=*/0),
                   absl::StrCat("backup to ", dir));
}

absl::Status RocksDbStore::Compact() {
  return FromRocks(
      db_->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr),
      "compact");
}

std::string RocksDbStore::Stats() {
  std::string out = absl::StrCat("path: ", options_.path, "\n",
                                 "schema_version: ", schema_version_, "\n");
  for (const char* prop :
       {"rocksdb.estimate-num-keys", "rocksdb.total-sst-files-size",
        "rocksdb.cur-size-all-mem-tables", "rocksdb.num-live-versions",
        "rocksdb.estimate-live-data-size"}) {
    std::string value;
    if (db_->GetProperty(prop, &value)) {
      absl::StrAppend(&out, absl::string_view(prop).substr(8), ": ", value,
                      "\n");
    }
  }
  return out;
}

}  // namespace ap
