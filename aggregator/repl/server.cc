#include "aggregator/repl/server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"

namespace ap {
namespace {

absl::Status Errno(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

bool WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    const ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

absl::StatusOr<sockaddr_un> Address(const std::string& path) {
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("repl socket path \"", path, "\" must be 1-",
                     sizeof(addr.sun_path) - 1, " bytes"));
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

// Removes a socket file nobody listens on; refuses anything else.
absl::Status ClearStaleSocket(const std::string& path,
                              const sockaddr_un& addr) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return absl::OkStatus();  // absent
  if (!S_ISSOCK(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " exists and is not a socket; not touching it"));
  }
  const int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const bool live = connect(probe, reinterpret_cast<const sockaddr*>(&addr),
                            sizeof(addr)) == 0;
  close(probe);
  if (live) {
    return absl::FailedPreconditionError(absl::StrCat(
        "another process serves the REPL at ", path, " (another aggregator?)"));
  }
  unlink(path.c_str());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<ReplServer>> ReplServer::Start(
    const ReplServerOptions& options, ReplCommands* commands) {
  absl::StatusOr<sockaddr_un> addr = Address(options.path);
  if (!addr.ok()) return addr.status();
  if (absl::Status s = ClearStaleSocket(options.path, *addr); !s.ok()) return s;
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  // Bound but not yet listening, nobody can connect before the chmod.
  if (bind(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr)) != 0 ||
      chmod(options.path.c_str(), 0600) != 0 || listen(fd, 16) != 0) {
    absl::Status s = Errno(absl::StrCat("repl socket ", options.path));
    close(fd);
    return s;
  }
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    close(fd);
    return Errno("pipe2");
  }
  std::unique_ptr<ReplServer> server(
      new ReplServer(options, commands, fd, pipe_fds[0], pipe_fds[1]));
  server->accept_thread_ = std::thread([s = server.get()] { s->AcceptLoop(); });
  return server;
}

ReplServer::ReplServer(const ReplServerOptions& options, ReplCommands* commands,
                       int listen_fd, int stop_read, int stop_write)
    : options_(options),
      commands_(commands),
      listen_fd_(listen_fd),
      stop_read_(stop_read),
      stop_write_(stop_write) {}

ReplServer::~ReplServer() {
  Stop();
  close(stop_read_);
  close(stop_write_);
}

void ReplServer::Stop() {
  {
    absl::MutexLock l(&mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  (void)!write(stop_write_, "x", 1);  // wakes every poll
  if (accept_thread_.joinable()) accept_thread_.join();
  absl::flat_hash_map<int, std::thread> threads;
  {
    absl::MutexLock l(&mu_);
    threads.swap(threads_);
    finished_.clear();
  }
  for (auto& [id, t] : threads) t.join();
  close(listen_fd_);
  unlink(options_.path.c_str());
}

bool ReplServer::WaitReadable(int fd, absl::Duration timeout) {
  pollfd fds[2] = {{fd, POLLIN, 0}, {stop_read_, POLLIN, 0}};
  const int ms = static_cast<int>(absl::ToInt64Milliseconds(timeout));
  while (true) {
    const int n = poll(fds, 2, ms);
    if (n < 0 && errno == EINTR) continue;
    return n > 0 && (fds[1].revents & POLLIN) == 0 &&
           (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
  }
}

void ReplServer::Reap() {
  std::vector<std::thread> done;
  {
    absl::MutexLock l(&mu_);
    for (int id : finished_) {
      auto it = threads_.find(id);
      if (it == threads_.end()) continue;
      done.push_back(std::move(it->second));
      threads_.erase(it);
    }
    finished_.clear();
  }
  for (std::thread& t : done) t.join();  // they have returned, or nearly
}

void ReplServer::AcceptLoop() {
  while (WaitReadable(listen_fd_, absl::InfiniteDuration())) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    Reap();
    if (fd < 0) continue;
    absl::MutexLock l(&mu_);
    if (sessions_ >= options_.max_sessions) {
      WriteAll(fd, "busy: too many REPL sessions; try again later\n");
      close(fd);
      continue;
    }
    ++sessions_;
    const int id = next_session_++;
    threads_.emplace(id, std::thread([this, id, fd] { Session(id, fd); }));
  }
}

void ReplServer::Session(int id, int fd) {
  LogEvent(spdlog::level::info, "repl_session_opened");
  std::string line;
  bool overlong = false;  // dropping the rest of a too-long line
  bool open = WriteAll(fd, "ap aggregator REPL; type help\n> ");
  char buf[1024];
  while (open && WaitReadable(fd, options_.idle_timeout)) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    for (ssize_t i = 0; i < n && open; ++i) {
      if (buf[i] != '\n') {
        if (line.size() < options_.max_line) {
          line.push_back(buf[i]);
        } else {
          overlong = true;
        }
        continue;
      }
      if (!line.empty() && line.back() == '\r') line.pop_back();
      ReplCommands::Result r;
      if (overlong) {
        r.output = absl::StrCat("error: line longer than ", options_.max_line,
                                " bytes; ignored\n");
      } else {
        r = commands_->Execute(line);
      }
      open = WriteAll(fd, r.output) && !r.exit && WriteAll(fd, "> ");
      line.clear();
      overlong = false;
    }
  }
  close(fd);
  LogEvent(spdlog::level::info, "repl_session_closed");
  absl::MutexLock l(&mu_);
  --sessions_;
  finished_.push_back(id);
}

}  // namespace ap
