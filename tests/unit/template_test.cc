#include "common/template/template.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ap {
namespace {

using ::ap::testing::StatusIs;
using ::testing::HasSubstr;

TEST(TemplateTest, RendersEveryKnownName) {
  auto lookup = [](absl::string_view name) -> std::string {
    if (name == "steps.fetch.output") return "42";
    if (name == "execution.id") return "E";
    if (name == "execution.scheduled_at") return "T";
    if (name == "execution.attempt") return "2";
    return "W";
  };
  EXPECT_EQ(*RenderTemplate("a={{steps.fetch.output}}&e={{ execution.id }}"
                            "&t={{execution.scheduled_at}}&w={{workflow.id}}"
                            "&n={{execution.attempt}}",
                            lookup),
            "a=42&e=E&t=T&w=W&n=2");
}

TEST(TemplateTest, TextWithoutPlaceholdersIsUnchanged) {
  EXPECT_EQ(
      *RenderTemplate("plain } { text", [](absl::string_view) { return ""; }),
      "plain } { text");
}

TEST(TemplateTest, ReferencedStepOnlyForStepOutputs) {
  EXPECT_EQ(ReferencedStep("steps.fetch-1.output"), "fetch-1");
  EXPECT_EQ(ReferencedStep("steps..output"), "");
  EXPECT_EQ(ReferencedStep("steps.a.b.output"), "");
  EXPECT_EQ(ReferencedStep("workflow.id"), "");
}

TEST(TemplateTest, ErrorsSayWhatIsWrong) {
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(ParseTemplate("x {{workflow.id"),
              StatusIs(kInvalid, HasSubstr("unclosed")));
  EXPECT_THAT(
      ParseTemplate("{{env.HOME}}"),
      StatusIs(kInvalid, HasSubstr("unknown placeholder {{env.HOME}}")));
  EXPECT_THAT(ParseTemplate("{{ {{workflow.id}} }}"), StatusIs(kInvalid));
}

}  // namespace
}  // namespace ap

#include "common/redact.h"

namespace ap {
namespace {

TEST(RedactTest, SecretNamesAreRecognised) {
  for (const char* n : {"Authorization", "COOKIE", "X-Api-Key", "GITHUB_TOKEN",
                        "db_password", "Client-Secret"}) {
    EXPECT_TRUE(IsSecretName(n)) << n;
  }
  for (const char* n : {"Content-Type", "Accept", "HOME", "X-Request-Id"}) {
    EXPECT_FALSE(IsSecretName(n)) << n;
  }
}

TEST(RedactTest, RedactsHeadersAndEnvButKeepsTheRestAndTheStepKind) {
  v1::Workflow w;
  v1::Step* http = w.add_steps();
  (*http->mutable_http()->mutable_headers())["Authorization"] = "Bearer s3cret";
  (*http->mutable_http()->mutable_headers())["Accept"] = "text/plain";
  v1::Step* cmd = w.add_steps();
  cmd->mutable_command()->add_argv("/bin/true");
  (*cmd->mutable_command()->mutable_env())["API_TOKEN"] = "t0k";
  (*cmd->mutable_command()->mutable_env())["LANG"] = "C";
  RedactWorkflow(&w);
  EXPECT_EQ(w.steps(0).http().headers().at("Authorization"), kRedacted);
  EXPECT_EQ(w.steps(0).http().headers().at("Accept"), "text/plain");
  ASSERT_TRUE(w.steps(1).has_command());
  EXPECT_FALSE(w.steps(1).has_http());
  EXPECT_EQ(w.steps(1).command().env().at("API_TOKEN"), kRedacted);
  EXPECT_EQ(w.steps(1).command().env().at("LANG"), "C");
}

TEST(RedactTest, AWebhooksPathAndSecretHeadersAreRedacted) {
  v1::Workflow w;
  v1::WebhookTarget* hook = w.add_notify()->mutable_webhook();
  hook->set_url("https://hooks.slack.com/services/T0/B0/s3cret");
  (*hook->mutable_headers())["X-Api-Key"] = "k3y";
  RedactWorkflow(&w);
  EXPECT_EQ(w.notify(0).webhook().url(),
            absl::StrCat("https://hooks.slack.com/", kRedacted));
  EXPECT_EQ(w.notify(0).webhook().headers().at("X-Api-Key"), kRedacted);
}

}  // namespace
}  // namespace ap
