#include "common/signals.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>

namespace ap {
namespace {

int g_pipe[2] = {-1, -1};

void OnSignal(int sig) {
  const int saved_errno = errno;
  const unsigned char byte = static_cast<unsigned char>(sig);
  // A full pipe means a signal is already pending; dropping this one is fine.
  (void)!write(g_pipe[1], &byte, 1);
  errno = saved_errno;
}

}  // namespace

void InstallTerminationHandlers() {
  if (g_pipe[0] >= 0) return;
  if (pipe2(g_pipe, O_CLOEXEC) != 0) {
    std::perror("pipe2 for signal handling");
    std::abort();
  }
  fcntl(g_pipe[1], F_SETFL, O_NONBLOCK);
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
}

int WaitForTerminationSignal() {
  unsigned char byte = 0;
  while (true) {
    const ssize_t n = read(g_pipe[0], &byte, 1);
    if (n == 1) return byte;
    if (n < 0 && errno == EINTR) continue;
    std::perror("read from signal pipe");
    std::abort();
  }
}

}  // namespace ap
