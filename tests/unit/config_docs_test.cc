// docs/configuration.md lists every key of every binary, with its flag and
// environment variable, so the page cannot fall behind the code.

#include <fstream>
#include <sstream>
#include <string>

#include "aggregator/config.h"
#include "cli/config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "operator/config.h"

namespace ap {
namespace {

using ::testing::HasSubstr;

std::string ReadDoc() {
  std::ifstream in(std::string(AP_SOURCE_DIR) + "/docs/configuration.md");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

template <typename Config>
void ExpectDocumented(void (*bind)(ConfigSchema*, Config*),
                      const std::string& doc) {
  Config config;
  ConfigSchema schema;
  bind(&schema, &config);
  for (const ConfigKey& key : schema.keys()) {
    std::string flag = key.name;
    for (char& c : flag) c = c == '_' ? '-' : c;
    EXPECT_THAT(doc, HasSubstr("`" + key.name + "`")) << key.name;
    EXPECT_THAT(doc, HasSubstr("`--" + flag + "`")) << key.name;
    EXPECT_THAT(doc, HasSubstr("`" + key.env + "`")) << key.name;
    if (!key.default_text.empty()) {
      EXPECT_THAT(doc, HasSubstr("`" + key.default_text + "`"))
          << key.name << " default";
    }
  }
}

TEST(ConfigDocsTest, EveryAggregatorKeyIsDocumented) {
  ExpectDocumented(&BindAggregatorConfig, ReadDoc());
}

TEST(ConfigDocsTest, EveryOperatorKeyIsDocumented) {
  ExpectDocumented(&BindOperatorConfig, ReadDoc());
}

TEST(ConfigDocsTest, EveryApctlKeyIsDocumented) {
  ExpectDocumented(&BindApctlConfig, ReadDoc());
}

}  // namespace
}  // namespace ap
