#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/config/flags.h"
#include "common/config/loader.h"
#include "common/config/schema.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ap {
namespace {

using ::ap::testing::IsOk;
using ::ap::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

struct TestConfig {
  std::string listen = "0.0.0.0:2206";
  std::string level = "info";
  std::string token;
  int capacity = 4;
  absl::Duration interval = absl::Seconds(5);
  double ratio = 0.5;
  bool reflection = true;
  std::vector<std::string> endpoints = {"a:1"};
};

void Bind(ConfigSchema* s, TestConfig* c) {
  s->AddString("listen", &c->listen, "listen address");
  s->AddEnum("level", &c->level, {"debug", "info"}, "log level");
  s->AddSecret("token", &c->token, "a secret");
  s->AddInt("capacity", &c->capacity, 1, 100, "executions at once");
  s->AddDuration("interval", &c->interval, absl::Seconds(1), absl::Hours(1),
                 "ping interval");
  s->AddDouble("ratio", &c->ratio, 0.0, 1.0, "a fraction");
  s->AddBool("reflection", &c->reflection, "serve reflection");
  s->AddList("endpoints", &c->endpoints, "endpoints");
}

ConfigLookup MapLookup(std::map<std::string, std::string> m) {
  return [m](absl::string_view name) -> std::optional<std::string> {
    auto it = m.find(std::string(name));
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}

class ConfigTest : public ::testing::Test {
 protected:
  ConfigTest() { Bind(&schema_, &config_); }

  absl::Status Yaml(absl::string_view text) {
    return ApplyYamlText(schema_, text, "config file test.yaml");
  }

  TestConfig config_;
  ConfigSchema schema_;
};

TEST_F(ConfigTest, KeysNobodySetsKeepTheirDefaults) {
  EXPECT_THAT(LoadConfig(schema_, {"", MapLookup({}), MapLookup({})}), IsOk());
  EXPECT_EQ(config_.listen, "0.0.0.0:2206");
  EXPECT_EQ(config_.capacity, 4);
  EXPECT_EQ(config_.interval, absl::Seconds(5));
  EXPECT_THAT(config_.endpoints, ElementsAre("a:1"));
}

TEST_F(ConfigTest, YamlSetsEveryKind) {
  EXPECT_THAT(Yaml("listen: 127.0.0.1:9\n"
                   "level: debug\n"
                   "capacity: 12\n"
                   "interval: 1m30s\n"
                   "ratio: 0.25\n"
                   "reflection: false\n"
                   "endpoints: [x:1, y:2]\n"),
              IsOk());
  EXPECT_EQ(config_.listen, "127.0.0.1:9");
  EXPECT_EQ(config_.level, "debug");
  EXPECT_EQ(config_.capacity, 12);
  EXPECT_EQ(config_.interval, absl::Seconds(90));
  EXPECT_EQ(config_.ratio, 0.25);
  EXPECT_FALSE(config_.reflection);
  EXPECT_THAT(config_.endpoints, ElementsAre("x:1", "y:2"));
}

TEST_F(ConfigTest, FlagsOverrideTheEnvironmentWhichOverridesTheFile) {
  const std::string path = ::testing::TempDir() + "/layers.yaml";
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("capacity: 10\ninterval: 10s\nlisten: file:1\n", f);
  std::fclose(f);
  ConfigSources sources{path,
                        MapLookup({{"capacity", "20"}, {"interval", "20s"}}),
                        MapLookup({{"AP_CAPACITY", "30"}, {"AP_LISTEN", "env:1"}})};
  EXPECT_THAT(LoadConfig(schema_, sources), IsOk());
  EXPECT_EQ(config_.listen, "env:1");              // env beats file
  EXPECT_EQ(config_.interval, absl::Seconds(20));  // flag beats file
  EXPECT_EQ(config_.capacity, 20);                 // flag beats env
}

TEST_F(ConfigTest, EnvironmentListsAreCommaSeparated) {
  EXPECT_THAT(
      LoadConfig(schema_, {"", MapLookup({}),
                           MapLookup({{"AP_ENDPOINTS", "h1:1, h2:2,,h3:3"}})}),
      IsOk());
  EXPECT_THAT(config_.endpoints, ElementsAre("h1:1", "h2:2", "h3:3"));
}

TEST_F(ConfigTest, BadDurationNamesKeyOriginAndSyntax) {
  EXPECT_THAT(LoadConfig(schema_, {"", MapLookup({}),
                                   MapLookup({{"AP_INTERVAL", "5x"}})}),
              StatusIs(kInvalid, AllOf(HasSubstr("\"interval\""),
                                       HasSubstr("environment AP_INTERVAL"),
                                       HasSubstr("\"5x\" is not a duration"))));
}

TEST_F(ConfigTest, OutOfRangeValuesAreRejectedWithTheRange) {
  EXPECT_THAT(Yaml("capacity: 0"),
              StatusIs(kInvalid, AllOf(HasSubstr("\"capacity\""),
                                       HasSubstr("out of range 1 to 100"))));
  EXPECT_THAT(Yaml("interval: 500ms"),
              StatusIs(kInvalid, AllOf(HasSubstr("\"interval\""),
                                       HasSubstr("out of range"))));
  EXPECT_THAT(Yaml("ratio: 1.5"), StatusIs(kInvalid, HasSubstr("\"ratio\"")));
  EXPECT_EQ(config_.capacity, 4);  // untouched by the failed attempt
}

TEST_F(ConfigTest, NegativeDurationIsRejected) {
  EXPECT_THAT(Yaml("interval: -5s"),
              StatusIs(kInvalid, HasSubstr("out of range")));
}

TEST_F(ConfigTest, NonNumbersAreRejected) {
  EXPECT_THAT(Yaml("capacity: four"),
              StatusIs(kInvalid, HasSubstr("\"four\" is not a whole number")));
  EXPECT_THAT(Yaml("capacity: 99999999999999999999"),
              StatusIs(kInvalid, HasSubstr("not a whole number")));
  EXPECT_THAT(Yaml("ratio: nan"),
              StatusIs(kInvalid, HasSubstr("not a number")));
}

TEST_F(ConfigTest, BooleansAcceptTheUsualSpellings) {
  for (const char* yes : {"true", "TRUE", "yes", "on", "1"}) {
    config_.reflection = false;
    EXPECT_THAT(Yaml(std::string("reflection: ") + yes), IsOk()) << yes;
    EXPECT_TRUE(config_.reflection) << yes;
  }
  for (const char* no : {"false", "no", "off", "0"}) {
    config_.reflection = true;
    EXPECT_THAT(Yaml(std::string("reflection: ") + no), IsOk()) << no;
    EXPECT_FALSE(config_.reflection) << no;
  }
  EXPECT_THAT(Yaml("reflection: maybe"),
              StatusIs(kInvalid, HasSubstr("not a boolean")));
}

TEST_F(ConfigTest, EnumRejectsValuesOutsideItsSet) {
  EXPECT_THAT(Yaml("level: loud"),
              StatusIs(kInvalid, AllOf(HasSubstr("\"level\""),
                                       HasSubstr("not one of debug, info"))));
}

TEST_F(ConfigTest, UnknownKeyInFileIsAnErrorNamingIt) {
  EXPECT_THAT(
      Yaml("capacty: 3"),
      StatusIs(kInvalid, AllOf(HasSubstr("unknown config key"),
                               HasSubstr("capacty"), HasSubstr("test.yaml"))));
}

TEST_F(ConfigTest, ListGivenForScalarIsAnError) {
  EXPECT_THAT(Yaml("capacity: [1, 2]"),
              StatusIs(kInvalid, AllOf(HasSubstr("\"capacity\""),
                                       HasSubstr("single value"))));
}

TEST_F(ConfigTest, MapValueIsAnError) {
  EXPECT_THAT(Yaml("listen:\n  host: x\n"),
              StatusIs(kInvalid,
                       AllOf(HasSubstr("\"listen\""), HasSubstr("got a map"))));
}

TEST_F(ConfigTest, KeyWithoutValueIsAnError) {
  EXPECT_THAT(Yaml("listen:\n"),
              StatusIs(kInvalid,
                       AllOf(HasSubstr("\"listen\""), HasSubstr("no value"))));
}

TEST_F(ConfigTest, MalformedYamlReportsTheLine) {
  EXPECT_THAT(Yaml("capacity: 3\nlisten: [unclosed\n"),
              StatusIs(kInvalid,
                       AllOf(HasSubstr("not valid YAML"), HasSubstr("line"))));
}

TEST_F(ConfigTest, TopLevelMustBeAMap) {
  EXPECT_THAT(Yaml("- a\n- b\n"), StatusIs(kInvalid, HasSubstr("map")));
}

TEST_F(ConfigTest, EmptyFileChangesNothing) {
  EXPECT_THAT(Yaml(""), IsOk());
  EXPECT_EQ(config_.capacity, 4);
}

TEST_F(ConfigTest, MissingFileIsAnError) {
  EXPECT_THAT(LoadConfig(schema_, {"/nonexistent/ap.yaml", nullptr, nullptr}),
              StatusIs(kInvalid, HasSubstr("/nonexistent/ap.yaml")));
}

TEST_F(ConfigTest, EnvironmentNameCanBeOverridden) {
  schema_.SetEnvName("token", "AP_OPERATOR_TOKEN");
  EXPECT_THAT(LoadConfig(schema_, {"", nullptr,
                                   MapLookup({{"AP_TOKEN", "ignored"},
                                              {"AP_OPERATOR_TOKEN", "t0k"}})}),
              IsOk());
  EXPECT_EQ(config_.token, "t0k");
}

TEST_F(ConfigTest, PrintedValuesRedactSecrets) {
  config_.token = "hunter2";
  config_.capacity = 7;
  ConfigSchema bound;
  Bind(&bound, &config_);
  const std::string yaml = bound.ValuesAsYaml();
  EXPECT_THAT(yaml, HasSubstr("capacity: \"7\""));
  EXPECT_THAT(yaml, HasSubstr("token: \"<redacted>\""));
  EXPECT_THAT(yaml, ::testing::Not(HasSubstr("hunter2")));
}

TEST_F(ConfigTest, PrintedValuesLoadBackToTheSameConfig) {
  config_.endpoints = {"p:1", "q:2"};
  config_.interval = absl::Seconds(42);
  ConfigSchema bound;
  Bind(&bound, &config_);
  const std::string yaml = bound.ValuesAsYaml();

  TestConfig reloaded;
  ConfigSchema schema;
  Bind(&schema, &reloaded);
  ASSERT_THAT(ApplyYamlText(schema, yaml, "printed"), IsOk());
  EXPECT_THAT(reloaded.endpoints, ElementsAre("p:1", "q:2"));
  EXPECT_EQ(reloaded.interval, absl::Seconds(42));
}

TEST_F(ConfigTest, MarkdownTableListsEveryKeyWithFlagAndVariable) {
  const std::string table = schema_.MarkdownTable();
  for (const ConfigKey& key : schema_.keys()) {
    EXPECT_THAT(table, HasSubstr("`" + key.name + "`"));
    EXPECT_THAT(table, HasSubstr(key.env));
  }
  EXPECT_THAT(table, HasSubstr("`--listen`"));
}

TEST(EnvVarNameTest, UpperCasesWithPrefix) {
  EXPECT_EQ(EnvVarName("grpc_listen"), "AP_GRPC_LISTEN");
}

TEST(NormalizeFlagDashesTest, TurnsDashesIntoUnderscoresInNamesOnly) {
  const char* in[] = {"prog",        "--data-dir=/a-b", "-log-level",
                      "debug",       "pos-arg",         "--",
                      "--not-a-flag"};
  std::vector<std::string> storage;
  std::vector<char*> out =
      NormalizeFlagDashes(7, const_cast<char**>(in), &storage);
  std::vector<std::string> got(out.begin(), out.end());
  EXPECT_THAT(got, ElementsAre("prog", "--data_dir=/a-b", "-log_level", "debug",
                               "pos-arg", "--", "--not-a-flag"));
}

}  // namespace
}  // namespace ap

ABSL_FLAG(int, syntax_test_count, 1, "for CheckFlagSyntaxTest");
ABSL_FLAG(bool, syntax_test_switch, false, "for CheckFlagSyntaxTest");

namespace ap {
namespace {

absl::Status Check(std::vector<std::string> argv, bool* help) {
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  return CheckFlagSyntax(args, help);
}

TEST(CheckFlagSyntaxTest, AcceptsKnownFlagsInEveryForm) {
  bool help = true;
  EXPECT_THAT(Check({"p", "--syntax_test_count=3", "-syntax_test_count", "4",
                     "--syntax_test_switch", "--nosyntax_test_switch",
                     "positional", "--", "--whatever"},
                    &help),
              ::ap::testing::IsOk());
  EXPECT_FALSE(help);
}

TEST(CheckFlagSyntaxTest, UnknownFlagIsNamed) {
  bool help = false;
  EXPECT_THAT(
      Check({"p", "--syntax_test_cuont=3"}, &help),
      ::ap::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                              HasSubstr("unknown flag --syntax_test_cuont")));
}

TEST(CheckFlagSyntaxTest, UnparsableValueIsNamed) {
  bool help = false;
  EXPECT_THAT(Check({"p", "--syntax_test_count=many"}, &help),
              ::ap::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                      HasSubstr("flag --syntax_test_count")));
}

TEST(CheckFlagSyntaxTest, MissingValueIsNamed) {
  bool help = false;
  EXPECT_THAT(Check({"p", "--syntax_test_count"}, &help),
              ::ap::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                      HasSubstr("needs a value")));
}

// `-f -` and `--limit 5`: a value given apart is joined to its flag, so
// that absl reads "-" as the value it is (it warned it might be a flag).
TEST(JoinFlagValuesTest, JoinsSeparateValuesButNotSwitchesOrPositionals) {
  std::vector<std::string> argv = {"p", "-syntax_test_count", "-", "pos",
                                   "--syntax_test_switch", "next",
                                   "--syntax_test_count=2", "--", "-x", "y"};
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  EXPECT_THAT(JoinFlagValues(args),
              ElementsAre("p", "--syntax_test_count=-", "pos",
                          "--syntax_test_switch", "next",
                          "--syntax_test_count=2", "--", "-x", "y"));
}

TEST(CheckFlagSyntaxTest, HelpIsDetected) {
  bool help = false;
  EXPECT_THAT(Check({"p", "-h"}, &help), ::ap::testing::IsOk());
  EXPECT_TRUE(help);
}

}  // namespace
}  // namespace ap
