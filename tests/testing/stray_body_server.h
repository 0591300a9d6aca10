#ifndef AP_TESTS_TESTING_STRAY_BODY_SERVER_H_
#define AP_TESTS_TESTING_STRAY_BODY_SERVER_H_

// A misbehaving HTTP/1.1 server on 127.0.0.1:0, for the client's side of
// connection reuse. The first request it ever gets is answered "204 No
// Content" with "Content-Length: 6" and no body yet: a client must not
// read a body after a 204, so the 6 bytes ("stray!") belong to nobody.
// They are sent only when a next request arrives on that same connection,
// just before its answer, which is where a server with this bug puts them
// on the wire. Every other request is answered "200 OK" with body "ok".
// Requests are GETs without a body. Counts connections; one thread; stopped
// in the destructor.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace ap::testing {

class StrayBodyServer {
 public:
  StrayBodyServer() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(listen_fd_, 16);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~StrayBodyServer() {
    stopping_ = true;
    thread_.join();
    for (auto& [fd, conn] : conns_) ::close(fd);
    ::close(listen_fd_);
  }

  std::string Url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/";
  }
  int connections() const { return connections_.load(); }

 private:
  struct Conn {
    std::string in;
    bool owes_stray = false;
  };

  void Serve() {
    while (!stopping_) {
      std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
      for (auto& [fd, conn] : conns_) fds.push_back({fd, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) {
          conns_[fd] = Conn{};
          ++connections_;
        }
      }
      for (size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents != 0) Read(fds[i].fd);
      }
    }
  }

  void Read(int fd) {
    char buf[4096];
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) {
      ::close(fd);
      conns_.erase(fd);
      return;
    }
    Conn& c = conns_[fd];
    c.in.append(buf, static_cast<size_t>(n));
    for (size_t end; (end = c.in.find("\r\n\r\n")) != std::string::npos;) {
      c.in.erase(0, end + 4);
      std::string out;
      if (!answered_first_) {
        answered_first_ = true;
        c.owes_stray = true;
        out = "HTTP/1.1 204 No Content\r\nContent-Length: 6\r\n\r\n";
      } else {
        if (c.owes_stray) out = "stray!";
        c.owes_stray = false;
        out += "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
      }
      (void)!::write(fd, out.data(), out.size());
    }
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  // Only the serving thread touches these.
  std::map<int, Conn> conns_;
  bool answered_first_ = false;
};

}  // namespace ap::testing

#endif  // AP_TESTS_TESTING_STRAY_BODY_SERVER_H_
