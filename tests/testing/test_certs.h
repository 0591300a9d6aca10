#ifndef AP_TESTS_TESTING_TEST_CERTS_H_
#define AP_TESTS_TESTING_TEST_CERTS_H_

// A throwaway CA, a server certificate for localhost/127.0.0.1 and a client
// certificate, made with the openssl command in a temporary directory.

#include <cstdlib>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace ap::testing {

class TestCerts {
 public:
  TestCerts() {
    dir_ = MakeTempDir("certs");
    const std::string key =
        " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    Run("openssl req -x509" + key +
        " -keyout ca.key -out ca.pem -days 2"
        " -subj '/CN=ap test CA'");
    Issue("server", "/CN=localhost",
          "subjectAltName=DNS:localhost,IP:127.0.0.1");
    Issue("client", "/CN=apctl", "extendedKeyUsage=clientAuth");
  }
  ~TestCerts() { std::filesystem::remove_all(dir_); }

  std::string ca() const { return dir_ + "/ca.pem"; }
  std::string server_cert() const { return dir_ + "/server.pem"; }
  std::string server_key() const { return dir_ + "/server.key"; }
  std::string client_cert() const { return dir_ + "/client.pem"; }
  std::string client_key() const { return dir_ + "/client.key"; }

 private:
  void Run(const std::string& cmd) {
    ASSERT_EQ(
        std::system(("cd " + dir_ + " && " + cmd + " 2>/dev/null").c_str()), 0)
        << cmd;
  }
  void Issue(const std::string& name, const std::string& subject,
             const std::string& ext) {
    Run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        " -keyout " +
        name + ".key -out " + name + ".csr -subj '" + subject + "'");
    Run("printf '" + ext + "' > " + name + ".ext");
    Run("openssl x509 -req -in " + name +
        ".csr -CA ca.pem -CAkey ca.key"
        " -CAcreateserial -days 2 -out " +
        name + ".pem -extfile " + name + ".ext");
  }

  std::string dir_;
};

}  // namespace ap::testing

#endif  // AP_TESTS_TESTING_TEST_CERTS_H_
