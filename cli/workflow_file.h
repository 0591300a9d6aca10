#ifndef AP_CLI_WORKFLOW_FILE_H_
#define AP_CLI_WORKFLOW_FILE_H_

// A workflow file for `apctl workflow create -f`: YAML or JSON, both in the
// proto's JSON mapping (field names in lowerCamelCase or as in the .proto,
// durations as "30s", times in RFC 3339, enums by name). See
// docs/examples/.

#include <iosfwd>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ap/v1/workflow.pb.h"

namespace ap {

// INVALID_ARGUMENT naming `source` and what is wrong: the YAML line and
// column of a syntax error, or the field the JSON mapping refused.
absl::StatusOr<v1::Workflow> ParseWorkflowFile(const std::string& text,
                                               const std::string& source);

// The text of `path`, or of `in` when path is "-"; INVALID_ARGUMENT naming
// a file that cannot be read.
absl::StatusOr<std::string> ReadSource(const std::string& path,
                                       std::istream* in);

// Every workflow in `text`: a JSON object, or one or more YAML documents
// (separated by `---`; empty ones are skipped). Errors name `source` and,
// when there are several, the document ("document 2").
absl::StatusOr<std::vector<v1::Workflow>> ParseWorkflowDocuments(
    const std::string& text, const std::string& source);

// YAML (a document of maps, lists and scalars) as JSON text. Plain scalars
// that read as numbers, true/false or null stay so; quoted ones are
// strings.
absl::StatusOr<std::string> YamlToJson(const std::string& yaml);

}  // namespace ap

#endif  // AP_CLI_WORKFLOW_FILE_H_
