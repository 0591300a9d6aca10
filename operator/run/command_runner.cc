#include "operator/run/command_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"

namespace ap {
namespace {

constexpr size_t kStderrKept = 2048;

void CloseBoth(int fds[2]) {
  for (int i = 0; i < 2; ++i) {
    if (fds[i] >= 0) ::close(fds[i]);
    fds[i] = -1;
  }
}

}  // namespace

v1::StepResult CommandRunner::Run(const v1::Step& step,
                                  const StepContext& ctx) {
  const v1::CommandStep& c = step.command();
  v1::StepResult r;
  if (c.argv().empty()) {
    r.set_status(v1::STEP_STATUS_FAILED);
    r.set_error("command.argv is empty");
    return r;
  }
  const std::string& program = c.argv(0);
  if (std::find(allowed_.begin(), allowed_.end(), program) == allowed_.end()) {
    r.set_status(v1::STEP_STATUS_FAILED);
    r.set_error(absl::StrCat(
        "command ", program, " is not in this operator's allowed_commands (",
        allowed_.empty() ? "empty" : absl::StrJoin(allowed_, ", "), ")"));
    return r;
  }
  std::vector<std::string> env = {"PATH=/usr/local/bin:/usr/bin:/bin",
                                  "HOME=/tmp", "LANG=C.UTF-8"};
  for (const auto& [k, v] : c.env()) env.push_back(absl::StrCat(k, "=", v));
  std::vector<char*> argv_p, env_p;
  for (const std::string& a : c.argv())
    argv_p.push_back(const_cast<char*>(a.c_str()));
  argv_p.push_back(nullptr);
  for (std::string& e : env) env_p.push_back(e.data());
  env_p.push_back(nullptr);

  int out[2] = {-1, -1}, err[2] = {-1, -1};
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    CloseBoth(out);
    CloseBoth(err);
    r.set_status(v1::STEP_STATUS_FAILED);
    r.set_error(absl::StrCat("cannot make pipes: ", std::strerror(errno)));
    return r;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, program.c_str(), &actions, &attr,
                                    argv_p.data(), env_p.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(out[1]);
  ::close(err[1]);
  if (spawned != 0) {
    ::close(out[0]);
    ::close(err[0]);
    r.set_status(v1::STEP_STATUS_FAILED);
    r.set_error(
        absl::StrCat("cannot run ", program, ": ", std::strerror(spawned)));
    return r;
  }

  std::string output, errors;
  bool truncated = false, err_truncated = false;
  bool timed_out = false, canceled = false;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[8192];
  while (open_fds > 0) {
    if (ctx.canceled != nullptr && ctx.canceled->load()) {
      canceled = true;
      break;
    }
    const absl::Duration left = ctx.deadline - ctx.clock->TimeNow();
    if (left <= absl::ZeroDuration()) {
      timed_out = true;
      break;
    }
    // Wake at least every 100 ms to notice a cancel.
    const int wait_ms = static_cast<int>(
        std::min<int64_t>(100, absl::ToInt64Milliseconds(left) + 1));
    const int n = ::poll(fds, 2, wait_ms);
    if (n < 0 && errno != EINTR) break;
    for (pollfd& p : fds) {
      if (p.fd < 0 || (p.revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t got = ::read(p.fd, buf, sizeof(buf));
      if (got > 0) {
        if (p.fd == out[0]) {
          AppendBounded(buf, static_cast<size_t>(got), ctx.max_output_bytes,
                        &output, &truncated);
        } else {
          AppendBounded(buf, static_cast<size_t>(got), kStderrKept, &errors,
                        &err_truncated);
        }
      } else if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
        ::close(p.fd);
        p.fd = -1;
        --open_fds;
      }
    }
  }
  if (timed_out || canceled) ::kill(-pid, SIGKILL);
  for (pollfd& p : fds) {
    if (p.fd >= 0) ::close(p.fd);
  }
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  r.set_output(std::move(output));
  r.set_output_truncated(truncated);
  r.set_exit_code(WIFEXITED(wstatus) ? WEXITSTATUS(wstatus)
                                     : -WTERMSIG(wstatus));
  if (canceled) {
    r.set_status(v1::STEP_STATUS_CANCELED);
    r.set_error("canceled; the process group was killed");
  } else if (timed_out) {
    r.set_status(v1::STEP_STATUS_TIMED_OUT);
    r.set_error(absl::StrCat(program, " did not finish in time; killed"));
  } else if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) {
    r.set_status(v1::STEP_STATUS_SUCCEEDED);
  } else {
    r.set_status(v1::STEP_STATUS_FAILED);
    r.set_error(absl::StrCat(
        program,
        WIFEXITED(wstatus)
            ? absl::StrCat(" exited with ", WEXITSTATUS(wstatus))
            : absl::StrCat(" was killed by signal ", WTERMSIG(wstatus)),
        errors.empty() ? "" : ": ", errors));
  }
  return r;
}

}  // namespace ap
