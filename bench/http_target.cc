// A light HTTP/1.1 target for operator_bench's HTTP-step mode: one thread,
// epoll, keep-alive, every request answered "200 ok" at once. It prints
// "listening <port>" on stdout, serves until SIGTERM or SIGINT, then
// prints how many requests and connections it served.
//
// usage: http_target [PORT]   (0 or none: any free port on 127.0.0.1)

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>

namespace {

volatile sig_atomic_t stop = 0;

constexpr char kAnswer[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
    "\r\nok\n";

// Bytes read from one connection and not answered yet.
struct Conn {
  std::string in;
};

// Answers each whole request in `c.in` (headers, then Content-Length bytes
// of body). Returns false when the connection must be closed.
bool Serve(int fd, Conn& c, long* served) {
  while (true) {
    const size_t end = c.in.find("\r\n\r\n");
    if (end == std::string::npos) return c.in.size() < 65536;
    size_t body = 0;
    const size_t cl = c.in.find("Content-Length:");
    if (cl != std::string::npos && cl < end) {
      body = std::strtoul(c.in.c_str() + cl + 15, nullptr, 10);
    }
    if (c.in.size() < end + 4 + body) return true;
    c.in.erase(0, end + 4 + body);
    const ssize_t n = write(fd, kAnswer, sizeof(kAnswer) - 1);
    if (n != static_cast<ssize_t>(sizeof(kAnswer) - 1)) return false;
    ++*served;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int port = argc > 1 ? std::atoi(argv[1]) : 0;
  signal(SIGTERM, [](int) { stop = 1; });
  signal(SIGINT, [](int) { stop = 1; });
  signal(SIGPIPE, SIG_IGN);
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int yes = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listener, 4096) != 0) {
    std::perror("http_target: bind/listen");
    return 1;
  }
  socklen_t len = sizeof(addr);
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::printf("listening %d\n", ntohs(addr.sin_port));
  std::fflush(stdout);

  const int ep = epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listener;
  epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
  std::unordered_map<int, Conn> conns;
  long served = 0, accepted = 0;
  epoll_event events[256];
  char buf[16384];
  while (!stop) {
    const int n = epoll_wait(ep, events, 256, 200);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listener) {
        int c;
        while ((c = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK)) >= 0) {
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
          epoll_event cev{};
          cev.events = EPOLLIN | EPOLLRDHUP;
          cev.data.fd = c;
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
          conns[c];
          ++accepted;
        }
        continue;
      }
      bool keep = true;
      while (true) {
        const ssize_t r = read(fd, buf, sizeof(buf));
        if (r > 0) {
          conns[fd].in.append(buf, static_cast<size_t>(r));
          continue;
        }
        if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) keep = false;
        break;
      }
      if (keep) keep = Serve(fd, conns[fd], &served);
      if (!keep) {
        epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
        close(fd);
        conns.erase(fd);
      }
    }
  }
  std::printf("served %ld requests on %ld connections\n", served, accepted);
  return 0;
}
