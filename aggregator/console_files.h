#ifndef AP_AGGREGATOR_CONSOLE_FILES_H_
#define AP_AGGREGATOR_CONSOLE_FILES_H_

// The web console (aggregator/console/), built into the binary so that it
// works with no network and no files beside the aggregator. Generated at
// build time by cmake/EmbedFiles.cmake.

#include <vector>

#include "common/http/ops_server.h"

namespace ap {

std::vector<StaticFile> ConsoleFiles();

}  // namespace ap

#endif  // AP_AGGREGATOR_CONSOLE_FILES_H_
