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
    return "W";
  };
  EXPECT_EQ(*RenderTemplate("a={{steps.fetch.output}}&e={{ execution.id }}"
                            "&t={{execution.scheduled_at}}&w={{workflow.id}}",
                            lookup),
            "a=42&e=E&t=T&w=W");
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
