// The user API as HTTP/JSON on a real aggregator (127.0.0.1:0, simulated
// clock), through every route as curl would call it, and the requests it
// must refuse with a clear JSON error while it keeps serving.

#include <httplib.h>

#include <memory>
#include <string>

#include "aggregator/node.h"
#include "common/proto_time.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/testing/aggregator_config.h"
#include "tests/testing/eventually.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace ap {
namespace {

using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromCivil(absl::CivilSecond(2026, 6, 1, 12, 0, 0),
                                       absl::UTCTimeZone());

constexpr char kWorkflow[] = R"({
  "name": "nightly",
  "labels": {"team": "ops"},
  "trigger": {"cron": {"schedules": ["0 * * * *"]}},
  "steps": [{"id": "run", "command": {"argv": ["/bin/true"]}}]
})";

struct Answer {
  int status = 0;
  google::protobuf::Struct json;
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  httplib::Headers headers;
  std::string field(const std::string& name) const {
    auto it = json.fields().find(name);
    return it == json.fields().end() ? "" : it->second.string_value();
  }
  int code() const {
    auto it = json.fields().find("code");
    return it == json.fields().end() ? -1
                                     : static_cast<int>(it->second.number_value());
  }
};

class HttpApiTest : public ::testing::Test {
 protected:
  HttpApiTest() {
    AggregatorConfig config = ap::testing::TestAggregatorConfig(dir_.path());
    config.http_listen = "127.0.0.1:0";
    config.http_allowed_origins = {"https://console.example.com"};
    config.max_message_bytes = 64 * 1024;
    node_ = std::make_unique<AggregatorNode>(config, &clock_);
    EXPECT_STATUS_OK(node_->Start());
    CredentialStore& creds = node_->credentials();
    writer_ = creds.CreateApiKey("alice", Role::kWriter, "", kT0)->secret;
    reader_ = creds.CreateApiKey("alice", Role::kReader, "", kT0)->secret;
    client_ = std::make_unique<httplib::Client>("127.0.0.1", node_->http_port());
  }

  Answer Call(const std::string& method, const std::string& path,
              const std::string& body = "", const std::string& key = "w",
              httplib::Headers headers = {}) {
    const std::string secret = key == "w" ? writer_ : key == "r" ? reader_ : key;
    if (!secret.empty()) headers.emplace("Authorization", "Bearer " + secret);
    httplib::Result r =
        method == "GET"      ? client_->Get(path.c_str(), headers)
        : method == "DELETE" ? client_->Delete(path.c_str(), headers)
        : method == "PATCH"
            ? client_->Patch(path.c_str(), headers, body, "application/json")
        : method == "OPTIONS" ? client_->Options(path.c_str(), headers)
        : method == "PUT"
            ? client_->Put(path.c_str(), headers, body, "application/json")
                              : client_->Post(path.c_str(), headers, body,
                                              "application/json");
    Answer a;
    if (!r) return a;
    a.status = r->status;
    a.body = r->body;
    a.headers = r->headers;
    (void)google::protobuf::util::JsonStringToMessage(r->body, &a.json);
    return a;
  }

  SimulatedClock clock_{kT0};
  ap::testing::TempDir dir_;
  std::unique_ptr<AggregatorNode> node_;
  std::string writer_, reader_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(HttpApiTest, EveryRouteWorksAsCurlWouldCallIt) {
  Answer a = Call("POST", "/v1/workflows", kWorkflow);
  ASSERT_EQ(a.status, 200) << a.body;
  const std::string id = a.field("id");
  EXPECT_EQ(a.field("status"), "WORKFLOW_STATUS_ACTIVE");
  EXPECT_EQ(a.field("nextFireAt"), "2026-06-01T13:00:00Z");

  EXPECT_EQ(Call("GET", "/v1/workflows/" + id).field("name"), "nightly");
  a = Call("GET", "/v1/workflows?labels[team]=ops&status=WORKFLOW_STATUS_ACTIVE",
           "", "r");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_THAT(a.body, HasSubstr(id));
  EXPECT_THAT(Call("GET", "/v1/workflows?labels[team]=dev").body,
              ::testing::Not(HasSubstr(id)));

  a = Call("PATCH", "/v1/workflows/" + id,
           R"({"workflow": {"name": "hourly", "trigger": {"cron": {"schedules": )"
           R"(["0 * * * *"]}}, "steps": [{"id": "run", "command": {"argv": )"
           R"(["/bin/true"]}}]}, "expectedVersion": 1})");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.field("name"), "hourly");
  EXPECT_EQ(Call("POST", "/v1/workflows/" + id + ":pause").field("status"),
            "WORKFLOW_STATUS_PAUSED");
  EXPECT_EQ(Call("POST", "/v1/workflows/" + id + ":resume", "{}").field("status"),
            "WORKFLOW_STATUS_ACTIVE");

  clock_.AdvanceTime(absl::Seconds(1));
  a = Call("POST", "/v1/workflows/" + id + ":trigger");
  ASSERT_EQ(a.status, 200) << a.body;
  const std::string execution = a.field("id");
  EXPECT_EQ(a.field("cause"), "EXECUTION_CAUSE_MANUAL");
  EXPECT_EQ(Call("GET", "/v1/executions/" + execution).field("status"),
            "EXECUTION_STATUS_PENDING");
  EXPECT_THAT(Call("GET", "/v1/workflows/" + id + "/executions?pageSize=10").body,
              HasSubstr(execution));

  a = Call("POST", "/v1/workflows/" + id + ":backfill",
           R"({"from": "2026-06-01T09:00:00Z", "to": "2026-06-01T11:00:00Z",
               "dryRun": true})");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.json.fields().at("recorded").list_value().values_size(), 3);

  a = Call("GET", "/v1/workflows/" + id +
                      ":examine?since=2026-06-01T11:30:00Z&until=2026-06-01T12:30:00Z");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_THAT(a.body, HasSubstr("expectedFires"));

  a = Call("POST", "/v1/schedule:preview",
           R"({"trigger": {"cron": {"schedules": ["30 2 * * *"]}}, "count": 2,
               "from": "2026-06-01T00:00:00Z"})");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_THAT(a.body, HasSubstr("2026-06-01T02:30:00Z"));

  EXPECT_EQ(Call("GET", "/v1/operators").status, 200);
  a = Call("GET", "/v1/workflows/" + id + "/notifications", "", "r");
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(Call("GET", "/v1/workflows/nope/notifications").status, 404);
  a = Call("GET", "/v1/caller", "", "r");
  EXPECT_EQ(a.field("owner"), "alice");
  EXPECT_EQ(a.field("role"), "ROLE_READER");
  EXPECT_EQ(Call("GET", "/v1/caller").field("role"), "ROLE_WRITER");
  a = Call("GET", "/v1/overview", "", "r");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.field("aggregatorId"), node_->aggregator_id());
  EXPECT_EQ(a.field("role"), "leader");
  EXPECT_EQ(a.field("store"), "rocksdb");
  EXPECT_EQ(a.field("leaderAddress"), "");
  EXPECT_EQ(a.json.fields().at("activity").list_value().values_size(), 60);
  a = Call("POST", "/v1/workflows/" + id + ":cancel", R"({"reason": "done"})");
  EXPECT_EQ(a.field("status"), "WORKFLOW_STATUS_CANCELED");
  a = Call("DELETE", "/v1/workflows/" + id);
  EXPECT_EQ(a.status, 200) << a.body;
  a = Call("GET", "/v1/workflows/" + id);
  EXPECT_EQ(a.status, 404);
  EXPECT_EQ(a.code(), 5);  // NOT_FOUND
}

TEST_F(HttpApiTest, TheOverviewCountsThisMinutesFiresAndWhatIsOpen) {
  Answer a = Call("POST", "/v1/workflows",
                  R"({"name": "every-minute", "trigger": {"cron": {"schedules": )"
                  R"(["* * * * *"]}}, "steps": [{"id": "run", "command": )"
                  R"({"argv": ["/bin/true"]}}]})");
  ASSERT_EQ(a.status, 200) << a.body;
  clock_.AdvanceTime(absl::Minutes(1));
  ASSERT_TRUE(ap::testing::Eventually([&] { return node_->fires() >= 1; }));

  a = Call("GET", "/v1/overview", "", "r");
  ASSERT_EQ(a.status, 200) << a.body;
  const auto& o = a.json.fields();
  EXPECT_EQ(o.at("workflowsByStatus").struct_value().fields().at("active")
                .string_value(), "1");  // int64 in JSON is a string
  EXPECT_EQ(o.at("openExecutions").struct_value().fields().at("pending")
                .string_value(), "1");
  const auto& minutes = o.at("activity").list_value().values();
  const auto& now = minutes[minutes.size() - 1].struct_value().fields();
  EXPECT_EQ(now.at("fired").string_value(), "1");
  EXPECT_TRUE(now.contains("latenessMax"));
  EXPECT_EQ(now.at("start").string_value(), "2026-06-01T12:01:00Z");
}

TEST_F(HttpApiTest, BadRequestsGetAClearJsonErrorAndTheServerServesOn) {
  struct Case {
    const char* what;
    Answer answer;
    int status;
    int code;
    const char* message;
  };
  const std::string huge = absl::StrCat(R"({"name": ")",
                                        std::string(200 * 1024, 'x'), "\"}");
  const Case cases[] = {
      {"bad JSON", Call("POST", "/v1/workflows", "{\"name\": "), 400, 3,
       "body: "},
      {"a wrong type", Call("POST", "/v1/workflows", R"({"maxExecutions": [1]})"),
       400, 3, "body: "},
      {"an unknown field", Call("POST", "/v1/workflows", R"({"nmae": "x"})"), 400,
       3, "nmae"},
      {"an invalid workflow", Call("POST", "/v1/workflows", R"({"name": "x"})"),
       400, 3, "trigger"},
      {"an unknown query parameter", Call("GET", "/v1/workflows?colour=red"), 400,
       3, "colour"},
      {"a missing key", Call("GET", "/v1/workflows", "", ""), 401, 16,
       "authorization"},
      {"a wrong key", Call("GET", "/v1/workflows", "", "apk_nonsense"), 401, 16,
       ""},
      {"the wrong role", Call("POST", "/v1/workflows", kWorkflow, "r"), 403, 7,
       ""},
      {"a huge body", Call("POST", "/v1/workflows", huge), 413, 3,
       "larger than 65536 bytes"},
      {"no such route", Call("GET", "/v1/nothing"), 404, 5, "no route"},
      {"the wrong method", Call("PUT", "/v1/workflows"), 405, 12, ""},
      {"a cross-origin page",
       Call("GET", "/v1/workflows", "", "w",
            {{"Origin", "https://evil.example.com"}}),
       403, 7, "cross-origin"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.answer.status, c.status) << c.what << ": " << c.answer.body;
    EXPECT_EQ(c.answer.code(), c.code) << c.what << ": " << c.answer.body;
    EXPECT_THAT(c.answer.field("message"), HasSubstr(c.message)) << c.what;
    EXPECT_TRUE(c.answer.json.fields().contains("details")) << c.what;
  }
  EXPECT_EQ(Call("GET", "/v1/workflows").status, 200);  // still serving
}

TEST_F(HttpApiTest, AnAllowedOriginIsAnsweredWithCorsHeaders) {
  const httplib::Headers origin{{"Origin", "https://console.example.com"}};
  Answer a = Call("OPTIONS", "/v1/workflows", "", "", origin);
  EXPECT_EQ(a.status, 204);
  EXPECT_EQ(a.header("Access-Control-Allow-Origin"),
            "https://console.example.com");
  EXPECT_THAT(a.header("Access-Control-Allow-Headers"),
              HasSubstr("Authorization"));
  a = Call("GET", "/v1/workflows", "", "w", origin);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.header("Access-Control-Allow-Origin"),
            "https://console.example.com");
  // Its errors too, so that the page can read them.
  a = Call("GET", "/v1/nothing", "", "w", origin);
  EXPECT_EQ(a.status, 404);
  EXPECT_EQ(a.header("Access-Control-Allow-Origin"),
            "https://console.example.com");
  // The API's own origin needs no allowing.
  a = Call("GET", "/v1/workflows", "", "w",
           {{"Origin", absl::StrCat("http://127.0.0.1:", node_->http_port())}});
  EXPECT_EQ(a.status, 200) << a.body;
}

}  // namespace
}  // namespace ap
