#include "operator/spool/spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/log/log.h"

namespace ap {
namespace {

namespace fs = std::filesystem;

constexpr char kOutcome[] = ".outcome";
constexpr char kTmp[] = ".tmp";

absl::Status Errno(const std::string& what, const std::string& path) {
  return absl::InternalError(
      absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

// Writes `data` to `path` and fsyncs it.
absl::Status WriteDurably(const std::string& path, const std::string& data) {
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot create", path);
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status s = Errno("cannot write", path);
      ::close(fd);
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    absl::Status s = Errno("cannot fsync", path);
    ::close(fd);
    return s;
  }
  ::close(fd);
  return absl::OkStatus();
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
  absl::MutexLock l(&spool->mu_);
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    uint64_t sequence = 0;
    if (absl::EndsWith(name, kTmp)) {
      fs::remove(e.path(), ec);  // a crash mid-append: never reported
      continue;
    }
    if (!absl::EndsWith(name, kOutcome) ||
        !absl::SimpleAtoi(name.substr(0, name.size() - strlen(kOutcome)),
                          &sequence)) {
      continue;
    }
    spool->sizes_[sequence] = e.file_size(ec);
    spool->bytes_ += spool->sizes_[sequence];
    spool->next_ = std::max(spool->next_, sequence + 1);
  }
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("spool_dir ", dir, ": ", ec.message()));
  }
  return spool;
}

std::string Spool::PathOf(uint64_t sequence, const char* suffix) const {
  return absl::StrCat(dir_, "/", absl::StrFormat("%020d", sequence), suffix);
}

absl::StatusOr<uint64_t> Spool::Append(const v1::ReportRequest& outcome) {
  const std::string data = outcome.SerializeAsString();
  // Reserve a sequence and the bytes, then write without the lock:
  // concurrent appends fsync side by side instead of one after another.
  uint64_t sequence;
  {
    absl::MutexLock l(&mu_);
    if (bytes_ + data.size() > max_bytes_) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "spool full: ", sizes_.size(), " outcomes, ", bytes_, " of ",
          max_bytes_,
          " bytes (spool_max_bytes); the aggregator has not accepted "
          "outcomes for a while"));
    }
    sequence = next_++;
    bytes_ += data.size();
  }
  absl::Status written = WriteAndRename(sequence, data);
  absl::MutexLock l(&mu_);
  if (!written.ok()) {
    bytes_ -= data.size();
    return written;
  }
  sizes_[sequence] = data.size();
  return sequence;
}

absl::Status Spool::WriteAndRename(uint64_t sequence, const std::string& data) {
  const std::string tmp = PathOf(sequence, kTmp);
  const std::string final_path = PathOf(sequence, kOutcome);
  if (absl::Status s = WriteDurably(tmp, data); !s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
    absl::Status s = Errno("cannot rename", tmp);
    ::unlink(tmp.c_str());
    return s;
  }
  return SyncDir(dir_);
}

absl::StatusOr<std::vector<Spool::Entry>> Spool::Oldest(size_t max) {
  std::vector<uint64_t> sequences;
  {
    absl::MutexLock l(&mu_);
    for (auto it = sizes_.begin(); it != sizes_.end() && sequences.size() < max;
         ++it) {
      sequences.push_back(it->first);
    }
  }
  std::vector<Entry> out;
  for (uint64_t sequence : sequences) {
    const std::string path = PathOf(sequence, kOutcome);
    std::ifstream in(path, std::ios::binary);
    if (!in) continue;  // removed meanwhile
    std::stringstream data;
    data << in.rdbuf();
    Entry e{sequence, {}};
    if (!e.outcome.ParseFromString(data.str())) {
      // Keep the bytes for a person to look at; do not replay garbage.
      LogEvent(spdlog::level::err, "spool_entry_corrupt",
               {{"file", path}, {"moved_to", PathOf(sequence, ".corrupt")}});
      (void)SetAside(sequence, ".corrupt");
      continue;
    }
    out.push_back(std::move(e));
  }
  return out;
}

absl::Status Spool::Remove(uint64_t sequence) {
  const std::string path = PathOf(sequence, kOutcome);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Errno("cannot remove", path);
  }
  Forget(sequence);
  return absl::OkStatus();
}

absl::Status Spool::SetAside(uint64_t sequence, const char* suffix) {
  const std::string path = PathOf(sequence, kOutcome);
  if (::rename(path.c_str(), PathOf(sequence, suffix).c_str()) != 0 &&
      errno != ENOENT) {
    return Errno("cannot rename", path);
  }
  Forget(sequence);
  return absl::OkStatus();
}

void Spool::Forget(uint64_t sequence) {
  absl::MutexLock l(&mu_);
  auto it = sizes_.find(sequence);
  if (it != sizes_.end()) {
    bytes_ -= it->second;
    sizes_.erase(it);
  }
}

size_t Spool::depth() const {
  absl::MutexLock l(&mu_);
  return sizes_.size();
}

bool Spool::AwaitEmpty(Clock* clock, absl::Time deadline) const {
  absl::MutexLock l(&mu_);
  auto empty = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return sizes_.empty();
  };
  return clock->AwaitWithDeadline(&mu_, absl::Condition(&empty), deadline);
}

uint64_t Spool::bytes() const {
  absl::MutexLock l(&mu_);
  return bytes_;
}

}  // namespace ap
