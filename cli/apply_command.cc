#include "cli/apply_command.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cli/client.h"
#include "cli/output.h"
#include "cli/workflow_file.h"
#include "common/status.h"
#include "common/workflow_spec.h"

namespace ap {
namespace {

// A workflow read from a file, and where it came from (for messages).
struct Document {
  v1::Workflow workflow;
  std::string source;
};

// The files -f names: the file, standard input, or a directory's *.yaml,
// *.yml and *.json files in name order.
absl::StatusOr<std::vector<std::string>> FilesOf(const std::string& path) {
  std::error_code ec;
  if (path == "-" || !std::filesystem::is_directory(path, ec)) {
    return std::vector<std::string>{path};
  }
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
    const std::string ext = entry.path().extension().string();
    if (entry.is_regular_file() &&
        (ext == ".yaml" || ext == ".yml" || ext == ".json")) {
      out.push_back(entry.path().string());
    }
  }
  if (ec) return absl::InvalidArgumentError(absl::StrCat("cannot list ", path));
  std::sort(out.begin(), out.end());
  if (out.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": no .yaml, .yml or .json files"));
  }
  return out;
}

// Every document of every file, or the first error; names appear once.
absl::StatusOr<std::vector<Document>> ReadDocuments(const std::string& path,
                                                    std::istream* in) {
  AP_ASSIGN_OR_RETURN(std::vector<std::string> files, FilesOf(path));
  std::vector<Document> out;
  absl::flat_hash_set<std::string> names;
  for (const std::string& file : files) {
    AP_ASSIGN_OR_RETURN(std::string text, ReadSource(file, in));
    const std::string source = file == "-" ? "standard input" : file;
    AP_ASSIGN_OR_RETURN(std::vector<v1::Workflow> workflows,
                        ParseWorkflowDocuments(text, source));
    for (v1::Workflow& w : workflows) {
      if (w.name().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(source, ": name: required (apply finds workflows by "
                                 "name)"));
      }
      if (!names.insert(w.name()).second) {
        return absl::InvalidArgumentError(absl::StrCat(
            source, ": name \"", w.name(), "\" appears more than once"));
      }
      out.push_back({std::move(w), source});
    }
  }
  return out;
}

bool HoldsItsName(const v1::Workflow& w) {
  return w.status() == v1::WORKFLOW_STATUS_ACTIVE ||
         w.status() == v1::WORKFLOW_STATUS_PAUSED;
}

// The stored workflow `doc` means, or nullopt when there is none yet.
absl::StatusOr<std::optional<v1::Workflow>> FindStored(
    AggregatorClient& c, const v1::Workflow& doc) {
  if (!doc.id().empty()) {
    v1::GetWorkflowRequest req;
    req.set_id(doc.id());
    v1::Workflow w;
    AP_RETURN_IF_ERROR(
        FromGrpcStatus(c.stub().GetWorkflow(c.Context().get(), req, &w)));
    return w;
  }
  v1::ListWorkflowsRequest req;
  req.set_name_prefix(doc.name());
  req.set_page_size(1000);
  std::vector<v1::Workflow> found;
  do {
    v1::ListWorkflowsResponse page;
    AP_RETURN_IF_ERROR(FromGrpcStatus(
        c.stub().ListWorkflows(c.Context().get(), req, &page)));
    for (v1::Workflow& w : *page.mutable_workflows()) {
      if (w.name() == doc.name() && HoldsItsName(w)) {
        found.push_back(std::move(w));
      }
    }
    req.set_page_token(page.next_page_token());
  } while (!req.page_token().empty());
  if (found.empty()) return std::nullopt;
  if (found.size() > 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        found.size(), " workflows are named \"", doc.name(), "\" (",
        found[0].id(), ", ", found[1].id(),
        "); give the document the id of the one to update"));
  }
  return std::move(found.front());
}

// What the user writes, without what the aggregator fills in.
v1::Workflow SpecOf(const v1::Workflow& w) {
  v1::Workflow spec;
  CopyWorkflowSpec(w, &spec);
  return spec;
}

absl::StatusOr<v1::Workflow> Update(AggregatorClient& c,
                                    const v1::Workflow& doc,
                                    const v1::Workflow& stored,
                                    bool validate_only) {
  v1::UpdateWorkflowRequest req;
  *req.mutable_workflow() = doc;
  req.mutable_workflow()->set_id(stored.id());
  req.set_expected_version(stored.version());
  req.set_validate_only(validate_only);
  v1::Workflow out;
  AP_RETURN_IF_ERROR(
      FromGrpcStatus(c.stub().UpdateWorkflow(c.Context().get(), req, &out)));
  return out;
}

// Applies one document; returns the line to print.
absl::StatusOr<std::string> ApplyOne(AggregatorClient& c, const Document& d) {
  AP_ASSIGN_OR_RETURN(std::optional<v1::Workflow> stored,
                      FindStored(c, d.workflow));
  if (!stored) {
    v1::CreateWorkflowRequest req;
    *req.mutable_workflow() = d.workflow;
    v1::Workflow created;
    AP_RETURN_IF_ERROR(FromGrpcStatus(
        c.stub().CreateWorkflow(c.Context().get(), req, &created)));
    return absl::StrCat("created ", created.name(), " ", created.id());
  }
  AP_ASSIGN_OR_RETURN(v1::Workflow updated,
                      Update(c, d.workflow, *stored, false));
  return absl::StrCat(
      updated.version() == stored->version() ? "unchanged " : "updated ",
      updated.name(), " ", updated.id());
}

absl::StatusOr<std::string> DiffOne(AggregatorClient& c, const Document& d) {
  AP_ASSIGN_OR_RETURN(std::optional<v1::Workflow> stored,
                      FindStored(c, d.workflow));
  std::string before, header;
  v1::Workflow after = d.workflow;
  if (stored) {
    AP_ASSIGN_OR_RETURN(before, RenderYaml(SpecOf(*stored)));
    AP_ASSIGN_OR_RETURN(after, Update(c, d.workflow, *stored, true));
    if (after.version() == stored->version()) {
      return absl::StrCat("unchanged ", stored->name(), " ", stored->id(),
                          "\n");
    }
    header = absl::StrCat("update ", stored->name(), " ", stored->id(),
                          " (version ", stored->version(), " -> ",
                          after.version(), ")\n");
  } else {
    header = absl::StrCat("create ", d.workflow.name(), " (", d.source, ")\n");
  }
  AP_ASSIGN_OR_RETURN(std::string after_yaml, RenderYaml(SpecOf(after)));
  return absl::StrCat(header, DiffLines(before, after_yaml));
}

int ForEachDocument(
    const ApctlConfig& config, const UserCommandOptions& options,
    const CommandIo& io, const char* verb,
    const std::function<absl::StatusOr<std::string>(AggregatorClient&,
                                                    const Document&)>& one) {
  if (options.file.empty()) {
    return UsageError(
        io, absl::StrCat(verb, " needs -f FILE, DIR or - (standard input)"));
  }
  absl::StatusOr<std::vector<Document>> docs =
      ReadDocuments(options.file, io.in);
  if (!docs.ok()) return UsageError(io, std::string(docs.status().message()));
  CommandSession session(config, io);
  return session.Run([&](AggregatorClient& c) -> absl::Status {
    // Go on past a refused document; report each, fail at the end.
    absl::StatusCode first_error = absl::StatusCode::kOk;
    int failed = 0;
    for (const Document& d : *docs) {
      absl::StatusOr<std::string> line = one(c, d);
      if (line.ok()) {
        session.out() << *line << (absl::EndsWith(*line, "\n") ? "" : "\n");
        continue;
      }
      if (++failed == 1) first_error = line.status().code();
      *io.err << DescribeError(
          absl::Status(line.status().code(),
                       absl::StrCat(d.workflow.name(), " (", d.source,
                                    "): ", line.status().message())),
          config);
    }
    if (failed == 0) return absl::OkStatus();
    return absl::Status(first_error,
                        absl::StrCat(verb, ": ", failed, " of ", docs->size(),
                                     " workflows failed (see above)"));
  });
}

}  // namespace

std::string DiffLines(const std::string& before, const std::string& after) {
  const std::vector<std::string> a =
      before.empty() ? std::vector<std::string>()
                     : absl::StrSplit(absl::StripSuffix(before, "\n"), '\n');
  const std::vector<std::string> b =
      after.empty() ? std::vector<std::string>()
                    : absl::StrSplit(absl::StripSuffix(after, "\n"), '\n');
  // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
  std::vector<std::vector<int>> lcs(a.size() + 1,
                                    std::vector<int>(b.size() + 1, 0));
  for (size_t i = a.size(); i-- > 0;) {
    for (size_t j = b.size(); j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1
                               : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  std::string out;
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      absl::StrAppend(&out, "  ", a[i++], "\n");
      ++j;
    } else if (i < a.size() &&
               (j == b.size() || lcs[i + 1][j] >= lcs[i][j + 1])) {
      absl::StrAppend(&out, "- ", a[i++], "\n");
    } else {
      absl::StrAppend(&out, "+ ", b[j++], "\n");
    }
  }
  return out;
}

int ApplyCommand(const ApctlConfig& config, const UserCommandOptions& options,
                 const CommandIo& io) {
  return ForEachDocument(config, options, io, "apply", &ApplyOne);
}

int DiffCommand(const ApctlConfig& config, const UserCommandOptions& options,
                const CommandIo& io) {
  return ForEachDocument(config, options, io, "diff", &DiffOne);
}

}  // namespace ap
