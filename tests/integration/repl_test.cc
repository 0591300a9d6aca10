// The admin REPL: its commands on a real store, and its unix socket server
// against hostile or careless clients.

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "aggregator/repl/commands.h"
#include "aggregator/repl/server.h"
#include "aggregator/schedule/firing.h"
#include "aggregator/workflows/service.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_store.h"

namespace ap {
namespace {

using ::ap::testing::IsOk;
using ::ap::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

class ReplCommandsTest : public ::testing::Test {
 protected:
  ReplCommandsTest() {
    WriteBatch b;
    for (const char* k : {"wf/A", "wf/B", "ex/A/1", "x/raw"}) b.Put(k, "");
    b.Put("x/raw", std::string("\x01\x02zz", 4));
    EXPECT_THAT(temp_.get()->Write(b), IsOk());
  }
  std::string Run(const std::string& line) {
    return repl_.Execute(line).output;
  }

  ap::testing::TempStore temp_;
  WorkflowStore workflows_{temp_.get()};
  ReplCommands repl_{temp_.get(), &workflows_, [] { return std::string("workflows: 2\n"); }};
};

TEST_F(ReplCommandsTest, ListShowsKeysUnderAPrefix) {
  const std::string out = Run("list wf/*");
  EXPECT_THAT(out, HasSubstr("wf/A\nwf/B\n2 key(s)"));
  EXPECT_THAT(out, Not(HasSubstr("ex/A")));
}

TEST_F(ReplCommandsTest, GetDecodesOrEscapes) {
  EXPECT_THAT(Run("get x/raw"), HasSubstr("\\x01\\x02zz"));
  EXPECT_THAT(Run("get nope"), HasSubstr("(not found)"));
  EXPECT_THAT(Run("get meta/schema_version"), HasSubstr("\"2\""));
}

TEST_F(ReplCommandsTest, RmRemovesAndSaysWhat) {
  const std::string out = Run("rm wf/*");
  EXPECT_THAT(out, HasSubstr("removed wf/A\nremoved wf/B\n2 key(s) removed"));
  EXPECT_THAT(out, HasSubstr("scheduler were not told"));
  EXPECT_EQ(temp_.Count("wf/"), 0);
  EXPECT_THAT(Run("rm ex/A/1"), HasSubstr("1 key(s) removed"));
  EXPECT_THAT(Run("rm ex/A/1"), HasSubstr("0 key(s) removed"));
}

TEST_F(ReplCommandsTest, RmOfEverythingNeedsYes) {
  EXPECT_THAT(Run("rm *"), HasSubstr("add --yes"));
  EXPECT_THAT(Run("rm"), HasSubstr("error: wrong arguments for rm"));
  EXPECT_GT(temp_.Count(""), 0);
  EXPECT_THAT(Run("rm * --yes"), HasSubstr("key(s) removed"));
  EXPECT_EQ(temp_.Count(""), 0);
}

TEST_F(ReplCommandsTest, MalformedLinesGetTheUsage) {
  for (const char* bad : {"lst", "list", "list wf/", "get", "get a b", "gc now",
                          "\x01\x02\xff", "backup"}) {
    const std::string out = Run(bad);
    EXPECT_THAT(out, HasSubstr("error:")) << bad;
    EXPECT_THAT(out, HasSubstr("commands:")) << bad;
  }
  EXPECT_EQ(Run("   "), "");
}

TEST_F(ReplCommandsTest, StatsGcHelpExit) {
  EXPECT_THAT(Run("stats"), HasSubstr("estimate-num-keys"));
  EXPECT_THAT(Run("stats"), HasSubstr("workflows: 2"));
  EXPECT_THAT(Run("gc"), HasSubstr("compaction done"));
  EXPECT_THAT(Run("help"), HasSubstr("backup <dir>"));
  EXPECT_TRUE(repl_.Execute("exit").exit);
}

TEST(ReplBackupTest, AnAggregatorStartsFromABackup) {
  ap::testing::TempStore temp;
  SimulatedClock clock(absl::FromUnixSeconds(1'800'000'000));
  WorkflowStore store(temp.get());
  Scheduler scheduler;
  FiringEngine engine(&store, &scheduler, &clock);
  WorkflowService service(&store, &scheduler, &engine, &clock, {});
  v1::Workflow w;
  w.set_name("backed up");
  w.mutable_trigger()->mutable_cron()->add_schedules("*/5 * * * *");
  w.add_steps()->set_id("s");
  w.mutable_steps(0)->mutable_http()->set_url("http://127.0.0.1:9/");
  ASSERT_THAT(service.Create({"alice", Role::kWriter}, w), IsOk());

  const std::string dir = temp.dir() + "-backup";
  std::filesystem::remove_all(dir);
  ReplCommands repl(temp.get(), &store, nullptr);
  EXPECT_THAT(repl.Execute("backup " + dir).output,
              HasSubstr("backup written"));
  EXPECT_THAT(repl.Execute("backup " + dir).output, HasSubstr("exists"));

  // Restore: start on the copy while the original keeps running.
  absl::StatusOr<std::unique_ptr<RocksDbStore>> copy =
      RocksDbStore::Open({dir, false});
  ASSERT_THAT(copy, IsOk());
  WorkflowStore restored((*copy).get());
  Scheduler restored_scheduler;
  FiringEngine restored_engine(&restored, &restored_scheduler, &clock);
  EXPECT_EQ(*restored_engine.Recover(), 1u);
  EXPECT_EQ(restored_scheduler.armed(), 1u);
  copy->reset();
  std::filesystem::remove_all(dir);
}

class ReplServerTest : public ::testing::Test {
 protected:
  ReplServerTest() {
    path_ = temp_.dir() + ".sock";
    unlink(path_.c_str());
    options_.path = path_;
    options_.max_sessions = 2;
    options_.max_line = 64;
  }
  ~ReplServerTest() override { unlink(path_.c_str()); }

  int Connect() {
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd);
      return -1;
    }
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
  }
  // Reads until the prompt "> " ends the output (or the peer closes).
  static std::string ReadReply(int fd) {
    std::string out;
    char buf[4096];
    while (!absl::EndsWith(out, "> ")) {
      const ssize_t n = read(fd, buf, sizeof(buf));
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  static std::string Ask(int fd, const std::string& line) {
    EXPECT_EQ(write(fd, line.data(), line.size()),
              static_cast<ssize_t>(line.size()));
    return ReadReply(fd);
  }

  ap::testing::TempStore temp_;
  WorkflowStore workflows_{temp_.get()};
  ReplCommands commands_{temp_.get(), &workflows_, nullptr};
  std::string path_;
  ReplServerOptions options_;
};

TEST_F(ReplServerTest, ServesCommandsOnASocketOnlyItsUserCanUse) {
  auto server = ReplServer::Start(options_, &commands_);
  ASSERT_THAT(server, IsOk());
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const int fd = Connect();
  ASSERT_GE(fd, 0);
  EXPECT_THAT(ReadReply(fd), HasSubstr("type help"));
  EXPECT_THAT(Ask(fd, "list meta/*\n"), HasSubstr("meta/schema_version"));
  EXPECT_THAT(Ask(fd, "get meta/schema_version\r\n"), HasSubstr("\"2\""));
  EXPECT_THAT(Ask(fd, "exit\n"), HasSubstr("bye"));
  close(fd);
}

TEST_F(ReplServerTest, GarbageAndOverlongLinesAreAnsweredNotFatal) {
  auto server = ReplServer::Start(options_, &commands_);
  ASSERT_THAT(server, IsOk());
  const int fd = Connect();
  ReadReply(fd);
  EXPECT_THAT(Ask(fd, std::string("\x00\xff\xfe garbage\n", 12)),
              HasSubstr("error:"));
  EXPECT_THAT(Ask(fd, std::string(10000, 'a') + "\n"),
              HasSubstr("longer than 64"));
  EXPECT_THAT(Ask(fd, "help\n"), HasSubstr("commands:"));  // still serving
  close(fd);
}

TEST_F(ReplServerTest, SessionsAreBounded) {
  auto server = ReplServer::Start(options_, &commands_);
  ASSERT_THAT(server, IsOk());
  const int a = Connect();
  const int b = Connect();
  ReadReply(a);
  ReadReply(b);
  const int c = Connect();
  EXPECT_THAT(ReadReply(c), HasSubstr("busy"));
  close(c);
  close(a);
  close(b);
}

TEST_F(ReplServerTest, StopEndsIdleSessionsPromptly) {
  auto server = ReplServer::Start(options_, &commands_);
  ASSERT_THAT(server, IsOk());
  const int fd = Connect();  // half-open: connected, never writes
  ReadReply(fd);
  const absl::Time start = absl::Now();
  (*server)->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_NE(access(path_.c_str(), F_OK), 0);  // socket file removed
  close(fd);
}

TEST_F(ReplServerTest, StaleSocketIsReplacedLiveOneAndFilesAreNot) {
  {
    auto first = ReplServer::Start(options_, &commands_);
    ASSERT_THAT(first, IsOk());
    EXPECT_THAT(ReplServer::Start(options_, &commands_),
                StatusIs(absl::StatusCode::kFailedPrecondition,
                         HasSubstr("another process")));
  }
  // A socket file left behind by a crash: bind one and never listen.
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  close(fd);
  EXPECT_THAT(ReplServer::Start(options_, &commands_), IsOk());

  std::ofstream(path_ + ".txt") << "precious";
  options_.path = path_ + ".txt";
  EXPECT_THAT(ReplServer::Start(options_, &commands_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("not a socket")));
  std::filesystem::remove(path_ + ".txt");
}

}  // namespace
}  // namespace ap
