// The HTTP/JSON routes of the user API, read from the protos' options:
// every RPC has one, paths and verbs match, and requests are built from
// the path, the query string and the body with errors naming what is wrong.

#include "aggregator/service/http_routes.h"

#include "ap/v1/aggregator.grpc.pb.h"
#include "ap/v1/aggregator.pb.h"
#include "common/proto_time.h"
#include "common/url_decode.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ap {
namespace {

using ::ap::testing::IsOk;
using ::ap::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const google::protobuf::ServiceDescriptor* Service() {
  return google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      v1::Aggregator::service_full_name());
}

TEST(HttpRoutesTest, EveryRpcOfTheUserApiHasARoute) {
  EXPECT_THAT(HttpRoutes::Unrouted(Service()), IsEmpty());
  EXPECT_EQ(HttpRoutes::For(Service()).Describe().size(),
            static_cast<size_t>(Service()->method_count()));
}

TEST(HttpRoutesTest, PathsVerbsAndMethodsPickTheRpc) {
  const HttpRoutes routes = HttpRoutes::For(Service());
  absl::StatusOr<HttpRouteMatch> m = routes.Match("POST", "/v1/workflows/01JW:pause");
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->method->name(), "PauseWorkflow");
  EXPECT_EQ(m->path_fields.front().second, "01JW");
  m = routes.Match("GET", "/v1/workflows/01JW");
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->method->name(), "GetWorkflow");
  m = routes.Match("GET", "/v1/workflows/01JW/executions");
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->method->name(), "ListExecutions");
  m = routes.Match("GET", "/v1/executions/01JW-20260601T120000.000Z");
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->path_fields.front().second, "01JW-20260601T120000.000Z");
  EXPECT_THAT(routes.Match("PUT", "/v1/workflows/01JW"),
              StatusIs(absl::StatusCode::kUnimplemented,
                       HasSubstr("it is with PATCH, GET, DELETE")));
  EXPECT_THAT(routes.Match("GET", "/v1/workflows/01JW:explode"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(routes.Match("GET", "/v1/nothing"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(HttpRoutesTest, PathValuesArePercentDecodedAndAPlusStaysInAPath) {
  absl::StatusOr<HttpRouteMatch> m =
      HttpRoutes::For(Service()).Match("GET", "/v1/executions/a%2Db+c%zz");
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->path_fields.front().second, "a-b+c%zz");
  EXPECT_EQ(UrlDecode("team%3Dops+x", /*plus_is_space=*/true), "team=ops x");
}

absl::Status Build(const char* method, const char* path, QueryParams query,
                   const char* body, google::protobuf::Message* request) {
  absl::StatusOr<HttpRouteMatch> m =
      HttpRoutes::For(Service()).Match(method, path);
  if (!m.ok()) return m.status();
  return BuildRequest(*m, query, body, request);
}

TEST(BuildRequestTest, TheQueryStringFillsFieldsByEitherName) {
  v1::ListWorkflowsRequest r;
  ASSERT_THAT(Build("GET", "/v1/workflows",
                    {{"status", "WORKFLOW_STATUS_PAUSED"},
                     {"page_size", "5"},
                     {"namePrefix", "night"},
                     {"labels[team]", "ops"}},
                    "", &r),
              IsOk());
  EXPECT_EQ(r.status(), v1::WORKFLOW_STATUS_PAUSED);
  EXPECT_EQ(r.page_size(), 5);
  EXPECT_EQ(r.name_prefix(), "night");
  EXPECT_EQ(r.labels().at("team"), "ops");

  v1::ExamineWorkflowRequest e;
  ASSERT_THAT(Build("GET", "/v1/workflows/01JW:examine",
                    {{"since", "2026-06-01T12:00:00Z"}}, "", &e),
              IsOk());
  EXPECT_EQ(e.id(), "01JW");
  EXPECT_EQ(FromProto(e.since()), absl::FromUnixSeconds(1780315200));
}

TEST(BuildRequestTest, TheBodyIsTheRequestOrOneFieldAndThePathWins) {
  v1::UpdateWorkflowRequest u;
  ASSERT_THAT(
      Build("PATCH", "/v1/workflows/01JW", {},
            R"({"workflow": {"id": "other", "name": "n"}, "expectedVersion": 3})",
            &u),
      IsOk());
  EXPECT_EQ(u.workflow().id(), "01JW");
  EXPECT_EQ(u.workflow().name(), "n");
  EXPECT_EQ(u.expected_version(), 3);

  v1::CreateWorkflowRequest c;
  ASSERT_THAT(Build("POST", "/v1/workflows", {},
                    R"({"name": "n", "policy": {"jitter": "60s"}})", &c),
              IsOk());
  EXPECT_EQ(c.workflow().name(), "n");
  EXPECT_EQ(c.workflow().policy().jitter().seconds(), 60);
}

TEST(BuildRequestTest, WhatIsWrongIsNamed) {
  v1::CreateWorkflowRequest c;
  EXPECT_THAT(Build("POST", "/v1/workflows", {}, "{\"name\": ", &c),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("body: ")));
  EXPECT_THAT(Build("POST", "/v1/workflows", {}, R"({"nmae": "x"})", &c),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("nmae")));
  EXPECT_THAT(Build("POST", "/v1/workflows", {}, R"({"maxExecutions": "lots"})",
                    &c),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("body: ")));
  v1::ListWorkflowsRequest l;
  EXPECT_THAT(Build("GET", "/v1/workflows", {{"colour", "red"}}, "", &l),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("query parameter \"colour\": "
                                 "ap.v1.ListWorkflowsRequest has no field")));
  EXPECT_THAT(Build("GET", "/v1/workflows", {{"labels", "x"}}, "", &l),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("labels[KEY]=VALUE")));
  EXPECT_THAT(Build("GET", "/v1/workflows", {}, R"({"pageSize": 1})", &l),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("this route takes none")));
  v1::BackfillWorkflowRequest b;
  EXPECT_THAT(Build("POST", "/v1/workflows/01JW:backfill", {},
                    R"({"dryRun": "maybe"})", &b),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("body: ")));
  EXPECT_THAT(Build("POST", "/v1/workflows/01JW:backfill",
                    {{"dryRun", "true"}}, "", &b),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("in the JSON body")));
}

}  // namespace
}  // namespace ap
