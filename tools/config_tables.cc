// Prints the Markdown tables of every binary's configuration keys, for
// docs/configuration.md (tests/unit/config_docs_test.cc checks the page).

#include <cstdio>

#include "aggregator/config.h"
#include "cli/config.h"
#include "operator/config.h"

namespace {

template <typename Config>
void Print(const char* title, void (*bind)(ap::ConfigSchema*, Config*)) {
  Config config;
  ap::ConfigSchema schema;
  bind(&schema, &config);
  std::printf("### %s\n\n%s\n", title, schema.MarkdownTable().c_str());
}

}  // namespace

int main() {
  Print("aggregator", &ap::BindAggregatorConfig);
  Print("operator", &ap::BindOperatorConfig);
  Print("apctl", &ap::BindApctlConfig);
  return 0;
}
