#include "operator/spool/spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/log/log.h"
#include "common/status.h"
#include "operator/spool/segment_record.h"

namespace ap {

struct Spool::Segment {
  std::string path;
  int fd = -1;  // read and append
  // Bytes of whole records (the group writer's; read under mu_).
  uint64_t size = 0;
  // Outcomes of it in index_ (under mu_).
  int64_t live = 0;
  // A write failed part way: the next group starts a new segment.
  bool broken = false;
  ~Segment() {
    if (fd >= 0) ::close(fd);
  }
};

namespace {

namespace fs = std::filesystem;

constexpr char kLog[] = ".log";
constexpr char kLegacy[] = ".outcome";  // the earlier format
constexpr char kTmp[] = ".tmp";

absl::Status Errno(const std::string& what, const std::string& path) {
  return absl::InternalError(
      absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status WriteAll(int fd, absl::string_view data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("cannot write", path);
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// Writes `data` to a new file at `path` and fsyncs it.
absl::Status WriteDurably(const std::string& path, absl::string_view data) {
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot create", path);
  absl::Status s = WriteAll(fd, data, path);
  if (s.ok() && ::fsync(fd) != 0) s = Errno("cannot fsync", path);
  ::close(fd);
  return s;
}

absl::StatusOr<std::string> ReadAll(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open", path);
  std::string out;
  char buf[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status s = Errno("cannot read", path);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

absl::Status SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open", dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? absl::OkStatus() : Errno("cannot fsync", dir);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Spool>> Spool::Open(const std::string& dir,
                                                   uint64_t max_bytes) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("spool_dir ", dir, ": ", ec.message()));
  }
  std::unique_ptr<Spool> spool(new Spool(dir, max_bytes));
  if (absl::Status s = spool->Recover(); !s.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("spool_dir ", dir, ": ", s.message()));
  }
  return spool;
}

Spool::~Spool() {
  absl::MutexLock l(&mu_);
  if (active_ != nullptr && active_->live == 0) RemoveSegmentLocked(active_);
}

std::string Spool::PathOf(uint64_t sequence, const char* suffix) const {
  return absl::StrCat(dir_, "/", absl::StrFormat("%020d", sequence), suffix);
}

absl::Status Spool::Recover() {
  std::error_code ec;
  std::vector<std::pair<uint64_t, std::string>> logs, legacy;
  for (const fs::directory_entry& e : fs::directory_iterator(dir_, ec)) {
    const std::string name = e.path().filename().string();
    if (absl::EndsWith(name, kTmp)) {
      fs::remove(e.path(), ec);  // the earlier format's half-written file
      continue;
    }
    uint64_t sequence = 0;
    const size_t dot = name.find('.');
    if (dot == std::string::npos ||
        !absl::SimpleAtoi(name.substr(0, dot), &sequence)) {
      continue;
    }
    const std::string suffix = name.substr(dot);
    if (suffix == kLog) logs.emplace_back(sequence, e.path().string());
    if (suffix == kLegacy) legacy.emplace_back(sequence, e.path().string());
  }
  if (ec) return absl::InternalError(ec.message());
  std::sort(logs.begin(), logs.end());
  std::sort(legacy.begin(), legacy.end());
  for (const auto& [first, path] : logs) {
    AP_RETURN_IF_ERROR(RecoverSegment(path));
  }
  std::vector<std::string> paths;
  for (const auto& [sequence, path] : legacy) paths.push_back(path);
  return AdoptLegacy(paths);
}

absl::Status Spool::RecoverSegment(const std::string& path) {
  AP_ASSIGN_OR_RETURN(std::string data, ReadAll(path));
  auto segment = std::make_shared<Segment>();
  segment->path = path;
  segment->fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (segment->fd < 0) return Errno("cannot open", path);
  std::vector<std::pair<uint64_t, Location>> found;
  const absl::string_view all(data);
  size_t pos = 0;
  while (pos < all.size()) {
    std::optional<SegmentRecord> r = DecodeSegmentRecord(all.substr(pos));
    if (!r.has_value()) break;
    if (r->intact) {
      found.emplace_back(r->sequence,
                         Location{segment, pos + kSegmentHeaderBytes,
                                  static_cast<uint32_t>(r->payload.size())});
    } else {
      // Damaged in place: keep its bytes, read on after it.
      const std::string kept = absl::StrCat(path, ".corrupt-at-", pos);
      AP_RETURN_IF_ERROR(WriteDurably(kept, all.substr(pos, r->size)));
      LogEvent(spdlog::level::err, "spool_entry_corrupt",
               {{"segment", path}, {"offset", pos}, {"kept_in", kept}});
    }
    pos += r->size;
  }
  if (pos < all.size()) {
    // A torn or damaged tail: a crash while a group was written (none of
    // its outcomes was reported: none had been made durable).
    const absl::string_view tail = all.substr(pos);
    if (tail.find_first_not_of('\0') != absl::string_view::npos) {
      const std::string kept = path + ".corrupt-tail";
      AP_RETURN_IF_ERROR(WriteDurably(kept, tail));
      LogEvent(spdlog::level::warn, "spool_tail_set_aside",
               {{"segment", path},
                {"offset", pos},
                {"bytes", tail.size()},
                {"kept_in", kept}});
    }
    if (::ftruncate(segment->fd, static_cast<off_t>(pos)) != 0 ||
        ::fsync(segment->fd) != 0) {
      return Errno("cannot cut the damaged tail of", path);
    }
  }
  segment->size = pos;
  absl::MutexLock l(&mu_);
  ++segments_;
  for (auto& [sequence, where] : found) {
    const uint32_t size = where.size;
    if (!index_.emplace(sequence, std::move(where)).second) continue;
    ++segment->live;
    bytes_ += size;
    next_ = std::max(next_, sequence + 1);
  }
  if (segment->live == 0) RemoveSegmentLocked(segment);
  return absl::OkStatus();
}

absl::Status Spool::AdoptLegacy(const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    AP_ASSIGN_OR_RETURN(std::string data, ReadAll(path));
    v1::ReportRequest check;
    if (!check.ParseFromString(data)) {
      const std::string kept =
          path.substr(0, path.size() - strlen(kLegacy)) + ".corrupt";
      LogEvent(spdlog::level::err, "spool_entry_corrupt",
               {{"file", path}, {"moved_to", kept}});
      if (::rename(path.c_str(), kept.c_str()) != 0) {
        return Errno("cannot rename", path);
      }
      continue;
    }
    AP_RETURN_IF_ERROR(Commit(data).status());
    if (::unlink(path.c_str()) != 0) return Errno("cannot remove", path);
  }
  return paths.empty() ? absl::OkStatus() : SyncDir(dir_);
}

absl::StatusOr<uint64_t> Spool::Append(const v1::ReportRequest& outcome) {
  return Commit(outcome.SerializeAsString());
}

absl::StatusOr<uint64_t> Spool::Commit(const std::string& payload) {
  uint64_t sequence;
  {
    absl::MutexLock l(&mu_);
    if (bytes_ + payload.size() > max_bytes_) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "spool full: ", index_.size(), " outcomes, ", bytes_, " of ",
          max_bytes_,
          " bytes (spool_max_bytes); the aggregator has not accepted "
          "outcomes for a while"));
    }
    sequence = next_++;
    bytes_ += payload.size();
  }
  const Queued q{sequence, EncodeSegmentRecord(sequence, payload),
                 static_cast<uint32_t>(payload.size())};
  const absl::Status written = commits_.Submit(q);
  if (!written.ok()) {
    absl::MutexLock l(&mu_);
    bytes_ -= q.payload_size;
    return written;
  }
  return sequence;
}

void Spool::CommitGroup(std::vector<Commits::Item*>& group) {
  const absl::Status s = WriteGroup(group);
  for (Commits::Item* item : group) item->result = s;
}

absl::Status Spool::WriteGroup(const std::vector<Commits::Item*>& group) {
  std::shared_ptr<Segment> segment;
  {
    absl::MutexLock l(&mu_);
    segment = active_;
  }
  if (segment == nullptr || segment->broken ||
      segment->size >= kSegmentBytes) {
    auto fresh = std::make_shared<Segment>();
    fresh->path = PathOf(group.front()->request->sequence, kLog);
    fresh->fd = ::open(fresh->path.c_str(),
                       O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
    if (fresh->fd < 0) return Errno("cannot create", fresh->path);
    if (absl::Status s = SyncDir(dir_); !s.ok()) {
      ::unlink(fresh->path.c_str());
      return s;
    }
    absl::MutexLock l(&mu_);
    std::shared_ptr<Segment> old = std::move(active_);
    active_ = fresh;
    ++segments_;
    if (old != nullptr && old->live == 0) RemoveSegmentLocked(old);
    segment = std::move(fresh);
  }
  std::string data;
  size_t total = 0;
  for (const Commits::Item* item : group) total += item->request->record.size();
  data.reserve(total);
  for (const Commits::Item* item : group) data += item->request->record;
  const uint64_t base = segment->size;
  absl::Status s = WriteAll(segment->fd, data, segment->path);
  if (s.ok() && ::fdatasync(segment->fd) != 0) {
    s = Errno("cannot fsync", segment->path);
  }
  if (!s.ok()) {
    // Whatever part of the group reached the file is cut off (best effort:
    // at open, a torn tail is found by its checksum anyway).
    (void)::ftruncate(segment->fd, static_cast<off_t>(base));
    absl::MutexLock l(&mu_);
    segment->broken = true;
    return s;
  }
  absl::MutexLock l(&mu_);
  segment->size = base + data.size();
  uint64_t offset = base;
  for (const Commits::Item* item : group) {
    const Queued& q = *item->request;
    index_[q.sequence] =
        Location{segment, offset + kSegmentHeaderBytes, q.payload_size};
    ++segment->live;
    offset += q.record.size();
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Spool::Entry>> Spool::Oldest(size_t max) {
  std::vector<std::pair<uint64_t, Location>> wanted;
  {
    absl::MutexLock l(&mu_);
    for (auto it = index_.begin(); it != index_.end() && wanted.size() < max;
         ++it) {
      wanted.emplace_back(it->first, it->second);
    }
  }
  std::vector<Entry> out;
  std::string buf;
  for (const auto& [sequence, where] : wanted) {
    buf.resize(where.size);
    const ssize_t n = ::pread(where.segment->fd, buf.data(), where.size,
                              static_cast<off_t>(where.offset));
    Entry e{sequence, {}};
    if (n != static_cast<ssize_t>(where.size) ||
        !e.outcome.ParseFromString(buf)) {
      // Keep the bytes for a person to look at; do not replay garbage.
      LogEvent(spdlog::level::err, "spool_entry_corrupt",
               {{"segment", where.segment->path},
                {"sequence", sequence},
                {"moved_to", PathOf(sequence, ".corrupt")}});
      (void)SetAside(sequence, ".corrupt");
      continue;
    }
    out.push_back(std::move(e));
  }
  return out;
}

absl::Status Spool::Remove(uint64_t sequence) {
  absl::MutexLock l(&mu_);
  DropLocked(sequence);
  return absl::OkStatus();
}

absl::Status Spool::SetAside(uint64_t sequence, const char* suffix) {
  Location where;
  {
    absl::MutexLock l(&mu_);
    auto it = index_.find(sequence);
    if (it == index_.end()) return absl::OkStatus();
    where = it->second;
  }
  std::string buf(where.size, '\0');
  const ssize_t n = ::pread(where.segment->fd, buf.data(), where.size,
                            static_cast<off_t>(where.offset));
  if (n < 0) return Errno("cannot read", where.segment->path);
  buf.resize(static_cast<size_t>(n));
  AP_RETURN_IF_ERROR(WriteDurably(PathOf(sequence, suffix), buf));
  absl::MutexLock l(&mu_);
  DropLocked(sequence);
  return absl::OkStatus();
}

void Spool::DropLocked(uint64_t sequence) {
  auto it = index_.find(sequence);
  if (it == index_.end()) return;
  std::shared_ptr<Segment> segment = std::move(it->second.segment);
  bytes_ -= it->second.size;
  index_.erase(it);
  if (--segment->live == 0 && segment != active_) RemoveSegmentLocked(segment);
}

void Spool::RemoveSegmentLocked(const std::shared_ptr<Segment>& segment) {
  // Not fsync'd: if the removal is lost in a crash, its outcomes are
  // reported again and answered DUPLICATE.
  if (::unlink(segment->path.c_str()) != 0 && errno != ENOENT) {
    LogEvent(spdlog::level::warn, "spool_segment_not_removed",
             {{"segment", segment->path}, {"error", std::strerror(errno)}});
  }
  --segments_;
  if (active_ == segment) active_.reset();
}

size_t Spool::depth() const {
  absl::MutexLock l(&mu_);
  return index_.size();
}

bool Spool::AwaitEmpty(Clock* clock, absl::Time deadline) const {
  absl::MutexLock l(&mu_);
  auto empty = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return index_.empty();
  };
  return clock->AwaitWithDeadline(&mu_, absl::Condition(&empty), deadline);
}

uint64_t Spool::bytes() const {
  absl::MutexLock l(&mu_);
  return bytes_;
}

size_t Spool::segments() const {
  absl::MutexLock l(&mu_);
  return segments_;
}

}  // namespace ap
