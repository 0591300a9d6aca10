#ifndef AP_TESTS_TESTING_TEMP_POSTGRES_H_
#define AP_TESTS_TESTING_TEMP_POSTGRES_H_

// A PostgreSQL server of the test's own: initdb in a fresh temporary
// directory, started with pg_ctl, listening only on a unix socket in that
// directory, stopped (immediate) and removed at the end. PostgreSQL refuses
// to run as root, so as root the server runs as the `postgres` user
// (Debian's postgresql package makes it). When it cannot start, the test
// fails, naming what went wrong and the server's log: it never skips.

#include <glob.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace ap::testing {

class TempPostgres {
 public:
  TempPostgres() : dir_(MakeTempDir("pg")) {
    bin_ = FindBinDir();
    if (bin_.empty()) {
      ADD_FAILURE() << "PostgreSQL: no /usr/lib/postgresql/*/bin/pg_ctl "
                       "(scripts/install-deps.sh installs postgresql-15)";
      return;
    }
    if (geteuid() == 0) {
      passwd* pg = getpwnam("postgres");
      if (pg == nullptr) {
        ADD_FAILURE() << "PostgreSQL: running as root and there is no "
                         "`postgres` user to run the server as";
        return;
      }
      if (chown(dir_.c_str(), pg->pw_uid, pg->pw_gid) != 0) {
        ADD_FAILURE() << "PostgreSQL: cannot chown " << dir_;
        return;
      }
      as_ = "runuser -u postgres -- ";
    }
    if (!Run(absl::StrCat(bin_, "/initdb -D ", data(),
                          " -A trust -U postgres -E UTF8 --no-sync"
                          " > ",
                          dir_, "/initdb.log 2>&1"))) {
      ADD_FAILURE() << "PostgreSQL: initdb failed:\n"
                    << Read(dir_ + "/initdb.log");
      return;
    }
    ok_ = Start();
  }
  ~TempPostgres() {
    Stop();
    std::filesystem::remove_all(dir_);
  }
  TempPostgres(const TempPostgres&) = delete;
  TempPostgres& operator=(const TempPostgres&) = delete;

  bool ok() const { return ok_; }
  // A libpq connection string for database `postgres` as `user`.
  std::string dsn(const std::string& user = "postgres",
                  const std::string& dbname = "postgres") const {
    return absl::StrCat("host=", dir_, " port=5432 user=", user,
                        " dbname=", dbname);
  }

  // Starts the server again after Stop (a database restart). Fails the
  // test when it does not come up.
  bool Start() {
    if (running_) return true;
    running_ = Run(absl::StrCat(
        bin_, "/pg_ctl -D ", data(), " -l ", dir_, "/server.log -w -t 30",
        // No fsync (the OS keeps what was written through a server
        // crash, not a machine's), but every commit is written before it
        // is answered, so an immediate stop loses nothing committed.
        " -o \"-k ", dir_, " -c listen_addresses='' -c fsync=off",
        " -c full_page_writes=off\" start", " > /dev/null 2>&1"));
    if (!running_) {
      ADD_FAILURE() << "PostgreSQL: pg_ctl start failed:\n"
                    << Read(dir_ + "/server.log");
    }
    return running_;
  }
  // Stops the server at once (connections are cut, as a crash would).
  void Stop() {
    if (!running_) return;
    Run(absl::StrCat(bin_, "/pg_ctl -D ", data(),
                     " -m immediate -w stop > /dev/null 2>&1"));
    running_ = false;
  }

 private:
  static std::string FindBinDir() {
    glob_t g;
    std::string found;
    if (glob("/usr/lib/postgresql/*/bin/pg_ctl", 0, nullptr, &g) == 0) {
      found = g.gl_pathv[g.gl_pathc - 1];  // the newest version
      found.resize(found.size() - std::string("/pg_ctl").size());
    }
    globfree(&g);
    return found;
  }
  static std::string Read(const std::string& path) {
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }
  std::string data() const { return dir_ + "/data"; }
  bool Run(const std::string& command) const {
    return std::system((as_ + command).c_str()) == 0;
  }

  const std::string dir_;
  std::string bin_;
  std::string as_;  // the prefix that runs a command as the postgres user
  bool ok_ = false;
  bool running_ = false;
};

}  // namespace ap::testing

#endif  // AP_TESTS_TESTING_TEMP_POSTGRES_H_
