#ifndef AP_AGGREGATOR_REPL_SERVER_H_
#define AP_AGGREGATOR_REPL_SERVER_H_

// The admin REPL on a unix socket (`socat - UNIX-CONNECT:/tmp/ap.sock`, or
// `nc -U /tmp/ap.sock`). The socket is created with mode 0600; a stale one
// (nobody listening) is replaced, a live one or a file that is not a socket
// is refused. Each session reads lines (at most max_line bytes; longer ones
// are refused, not buffered), runs ReplCommands and writes the output.
// Sessions are bounded in number and closed after idle_timeout, so nothing
// a client does can block or exhaust the server. Stop() ends every session.

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "aggregator/repl/commands.h"

namespace ap {

struct ReplServerOptions {
  std::string path = "/tmp/ap.sock";
  int max_sessions = 8;
  size_t max_line = 4096;
  absl::Duration idle_timeout = absl::Minutes(10);
};

class ReplServer {
 public:
  static absl::StatusOr<std::unique_ptr<ReplServer>> Start(
      const ReplServerOptions& options, ReplCommands* commands);
  ~ReplServer();

  // Closes the socket and every session, and removes the socket file.
  void Stop();

 private:
  ReplServer(const ReplServerOptions& options, ReplCommands* commands,
             int listen_fd, int stop_read, int stop_write);
  void AcceptLoop();
  void Session(int id, int fd);
  // Joins the threads of sessions that have ended.
  void Reap();
  // Waits until `fd` is readable or the server stops; false on stop/timeout.
  bool WaitReadable(int fd, absl::Duration timeout);

  const ReplServerOptions options_;
  ReplCommands* const commands_;
  const int listen_fd_;
  const int stop_read_;
  const int stop_write_;
  absl::Mutex mu_;
  int sessions_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  int next_session_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<int, std::thread> threads_ ABSL_GUARDED_BY(mu_);
  std::vector<int> finished_ ABSL_GUARDED_BY(mu_);  // to join
  std::thread accept_thread_;
};

}  // namespace ap

#endif  // AP_AGGREGATOR_REPL_SERVER_H_
