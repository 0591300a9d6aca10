#include "operator/run/http_runner.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/http_target.h"
#include "tests/testing/stray_body_server.h"

namespace ap {
namespace {

using ::testing::HasSubstr;

v1::Step Http(const std::string& url, const std::string& method = "GET",
              const std::string& body = "") {
  v1::Step s;
  s.mutable_http()->set_url(url);
  s.mutable_http()->set_method(method);
  s.mutable_http()->set_body(body);
  return s;
}

StepContext Within(absl::Duration d, size_t max_output = 1024) {
  return StepContext{absl::Now() + d, nullptr, max_output};
}

// A port on 127.0.0.1 that was just free and has no listener.
int ClosedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class HttpRunnerTest : public ::testing::Test {
 protected:
  testing::HttpTarget target_;
  HttpRunner runner_;
};

TEST_F(HttpRunnerTest, MethodBodyAndHeadersReachTheTarget) {
  v1::Step step = Http(target_.Url("/echo"), "put", "payload");
  (*step.mutable_http()->mutable_headers())["X-Test"] = "yes";
  v1::StepResult r = runner_.Run(step, Within(absl::Seconds(10)));
  EXPECT_EQ(r.status(), v1::STEP_STATUS_SUCCEEDED) << r.error();
  EXPECT_EQ(r.http_status(), 200);
  EXPECT_EQ(r.output(), "PUT payload yes");
}

TEST_F(HttpRunnerTest, StepsToOneHostOneAfterAnotherReuseTheConnection) {
  for (int i = 0; i < 3; ++i) {
    v1::StepResult r = runner_.Run(Http(target_.Url("/echo"), "POST", "x"),
                                   Within(absl::Seconds(10)));
    ASSERT_EQ(r.status(), v1::STEP_STATUS_SUCCEEDED) << r.error();
  }
  EXPECT_EQ(target_.requests.load(), 3);
  EXPECT_EQ(target_.connections(), 1u);
  // A reused handle starts from no options: the last call's method and
  // headers do not leak into the next.
  v1::StepResult r =
      runner_.Run(Http(target_.Url("/echo")), Within(absl::Seconds(10)));
  EXPECT_EQ(r.output(), "GET  ");
}

// A server that sends a body with a 204 leaves bytes on the connection
// that no client reads; a step reusing that connection would take them for
// the start of its own answer and fail with libcurl's "Unsupported
// protocol" (HTTP/0.9). One step's server must not fail the next step: a
// connection is not kept after an answer that has no body.
TEST_F(HttpRunnerTest, AConnectionIsNotReusedAfterAnAnswerWithoutBody) {
  testing::StrayBodyServer server;
  v1::StepResult first =
      runner_.Run(Http(server.Url()), Within(absl::Seconds(10)));
  ASSERT_EQ(first.status(), v1::STEP_STATUS_SUCCEEDED) << first.error();
  EXPECT_EQ(first.http_status(), 204);

  v1::StepResult second =
      runner_.Run(Http(server.Url()), Within(absl::Seconds(10)));
  EXPECT_EQ(second.status(), v1::STEP_STATUS_SUCCEEDED) << second.error();
  EXPECT_EQ(second.output(), "ok");
  EXPECT_EQ(server.connections(), 2);
}

TEST_F(HttpRunnerTest, AnyTwoHundredIsExpectedUnlessStatusesAreGiven) {
  EXPECT_EQ(
      runner_.Run(Http(target_.Url("/status/204")), Within(absl::Seconds(10)))
          .status(),
      v1::STEP_STATUS_SUCCEEDED);
  v1::StepResult r =
      runner_.Run(Http(target_.Url("/status/404")), Within(absl::Seconds(10)));
  EXPECT_EQ(r.status(), v1::STEP_STATUS_FAILED);
  EXPECT_EQ(r.http_status(), 404);
  EXPECT_THAT(r.error(), HasSubstr("unexpected HTTP status 404"));

  v1::Step step = Http(target_.Url("/status/404"));
  step.mutable_http()->add_expect_status(404);
  EXPECT_EQ(runner_.Run(step, Within(absl::Seconds(10))).status(),
            v1::STEP_STATUS_SUCCEEDED);
}

TEST_F(HttpRunnerTest, TheResponseBodyIsCutToTheLimit) {
  v1::StepResult r =
      runner_.Run(Http(target_.Url("/big")), Within(absl::Seconds(10), 16));
  EXPECT_EQ(r.status(), v1::STEP_STATUS_SUCCEEDED);
  EXPECT_EQ(r.output(), std::string(16, 'b'));
  EXPECT_TRUE(r.output_truncated());
}

TEST_F(HttpRunnerTest, ASlowTargetTimesOut) {
  v1::StepResult r =
      runner_.Run(Http(target_.Url("/slow")), Within(absl::Milliseconds(200)));
  EXPECT_EQ(r.status(), v1::STEP_STATUS_TIMED_OUT);
  EXPECT_THAT(r.error(), HasSubstr("no complete response"));
}

TEST_F(HttpRunnerTest, ARefusedConnectionFailsWithCurlsReason) {
  const std::string url =
      "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/";
  v1::StepResult r = runner_.Run(Http(url), Within(absl::Seconds(10)));
  EXPECT_EQ(r.status(), v1::STEP_STATUS_FAILED);
  EXPECT_EQ(r.http_status(), 0);
  EXPECT_THAT(r.error(), HasSubstr(url));
}

TEST_F(HttpRunnerTest, OnlyHttpAndHttpsUrlsAreFetched) {
  v1::StepResult r =
      runner_.Run(Http("file:///etc/passwd"), Within(absl::Seconds(10)));
  EXPECT_EQ(r.status(), v1::STEP_STATUS_FAILED);
  EXPECT_EQ(r.output(), "");
}

TEST_F(HttpRunnerTest, CancelStopsATransferInFlight) {
  std::atomic<bool> canceled{false};
  StepContext ctx = Within(absl::Seconds(30));
  ctx.canceled = &canceled;
  std::thread cancel([&] {
    while (target_.requests.load() == 0) absl::SleepFor(absl::Milliseconds(1));
    canceled = true;
  });
  v1::StepResult r = runner_.Run(Http(target_.Url("/slow")), ctx);
  cancel.join();
  EXPECT_EQ(r.status(), v1::STEP_STATUS_CANCELED);
}

}  // namespace
}  // namespace ap
