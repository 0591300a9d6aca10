#include "aggregator/repl/commands.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "ap/store/v1/records.pb.h"
#include "ap/v1/workflow.pb.h"
#include "common/redact.h"
#include "google/protobuf/text_format.h"

namespace ap {
namespace {

constexpr char kHelp[] =
    "commands:\n"
    "  list <prefix>*        keys under a prefix, e.g. list wf/*  (list * for "
    "all)\n"
    "  get <key>             one value, decoded\n"
    "  rm <key>              remove one key\n"
    "  rm <prefix>* [--yes]  remove every key under a prefix (rm * needs "
    "--yes)\n"
    "  backup <dir>          consistent copy an aggregator can start from\n"
    "  gc                    compact the store\n"
    "  stats                 store and aggregator figures\n"
    "  help                  this text\n"
    "  exit                  close the session\n"
    "key prefixes: wf/ wfo/ wfs/ ex/ open/ evt/ key/ optok/ meta/ (see "
    "docs/storage.md)\n";

ReplCommands::Result Usage(absl::string_view why) {
  return {absl::StrCat("error: ", why, "\n", kHelp), false};
}

std::string Text(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::TextFormat::PrintToString(m, &out);
  return out;
}

// Decodes a value by its key's prefix; raw (escaped) otherwise.
std::string Decode(absl::string_view key, const std::string& value) {
  if (absl::StartsWith(key, "wf/")) {
    v1::Workflow w;
    if (w.ParseFromString(value)) {
      RedactWorkflow(&w);
      return Text(w);
    }
  } else if (absl::StartsWith(key, "ex/")) {
    v1::Execution e;
    if (e.ParseFromString(value)) return Text(e);
  } else if (absl::StartsWith(key, "key/")) {
    store::v1::ApiKeyRecord r;
    if (r.ParseFromString(value)) return Text(r);
  } else if (absl::StartsWith(key, "optok/")) {
    store::v1::OperatorRecord r;
    if (r.ParseFromString(value)) return Text(r);
  }
  if (value.empty()) return "(empty)\n";
  return absl::StrCat("\"", absl::CHexEscape(value), "\"\n");
}

}  // namespace

ReplCommands::Result ReplCommands::Execute(absl::string_view line) {
  std::vector<absl::string_view> words =
      absl::StrSplit(absl::StripAsciiWhitespace(line), ' ', absl::SkipEmpty());
  if (words.empty()) return {"", false};
  const std::string cmd = absl::AsciiStrToLower(words[0]);
  const size_t n = words.size();
  if (cmd == "help" && n == 1) return {kHelp, false};
  if ((cmd == "exit" || cmd == "quit") && n == 1) return {"bye\n", true};
  if (cmd == "list" && n == 2) return List(words[1]);
  if (cmd == "get" && n == 2) return Get(words[1]);
  if (cmd == "rm" && (n == 2 || (n == 3 && words[2] == "--yes"))) {
    return Remove(words[1], n == 3);
  }
  if (cmd == "backup" && n == 2) {
    const absl::Time start = absl::Now();
    absl::Status s = store_->Backup(std::string(words[1]));
    if (!s.ok()) return {absl::StrCat("error: ", s.message(), "\n"), false};
    return {absl::StrCat(
                "backup written to ", words[1], " in ",
                absl::FormatDuration(absl::Now() - start),
                "; start an aggregator on it with --data-dir=", words[1], "\n"),
            false};
  }
  if (cmd == "gc" && n == 1) {
    const absl::Time start = absl::Now();
    absl::Status s = store_->Compact();
    if (!s.ok()) return {absl::StrCat("error: ", s.message(), "\n"), false};
    return {absl::StrCat("compaction done in ",
                         absl::FormatDuration(absl::Now() - start), "\n"),
            false};
  }
  if (cmd == "stats" && n == 1) {
    return {store_->Stats() + (app_stats_ ? app_stats_() : ""), false};
  }
  if (cmd == "list" || cmd == "get" || cmd == "rm" || cmd == "backup" ||
      cmd == "gc" || cmd == "stats" || cmd == "help" || cmd == "exit") {
    return Usage(absl::StrCat("wrong arguments for ", cmd));
  }
  return Usage(
      absl::StrCat("unknown command \"", absl::CHexEscape(words[0]), "\""));
}

ReplCommands::Result ReplCommands::List(absl::string_view arg) {
  if (!absl::ConsumeSuffix(&arg, "*")) {
    return Usage("list takes a prefix ending in *, e.g. list wf/*");
  }
  std::string out;
  int count = 0;
  absl::Status s =
      store_->Scan(arg, "", [&](absl::string_view key, absl::string_view) {
        if (++count <= kMaxListed)
          absl::StrAppend(&out, absl::CHexEscape(key), "\n");
        return true;
      });
  if (!s.ok()) return {absl::StrCat("error: ", s.message(), "\n"), false};
  if (count > kMaxListed) {
    absl::StrAppend(&out, "... and ", count - kMaxListed,
                    " more; narrow the prefix\n");
  }
  absl::StrAppend(&out, count, " key(s)\n");
  return {out, false};
}

ReplCommands::Result ReplCommands::Get(absl::string_view key) {
  absl::StatusOr<std::optional<std::string>> v = store_->Get(key);
  if (!v.ok())
    return {absl::StrCat("error: ", v.status().message(), "\n"), false};
  if (!v->has_value()) return {"(not found)\n", false};
  return {Decode(key, **v), false};
}

ReplCommands::Result ReplCommands::Remove(absl::string_view arg, bool yes) {
  std::vector<std::string> keys;
  if (absl::ConsumeSuffix(&arg, "*")) {
    if (arg.empty() && !yes) {
      return Usage("rm * removes everything; add --yes if you mean it");
    }
    absl::Status s =
        store_->Scan(arg, "", [&](absl::string_view k, absl::string_view) {
          keys.emplace_back(k);
          return true;
        });
    if (!s.ok()) return {absl::StrCat("error: ", s.message(), "\n"), false};
  } else {
    absl::StatusOr<std::optional<std::string>> v = store_->Get(arg);
    if (!v.ok())
      return {absl::StrCat("error: ", v.status().message(), "\n"), false};
    if (v->has_value()) keys.emplace_back(arg);
  }
  WriteBatch batch;
  std::string out;
  for (size_t i = 0; i < keys.size(); ++i) {
    batch.Delete(keys[i]);
    if (i < static_cast<size_t>(kMaxListed)) {
      absl::StrAppend(&out, "removed ", absl::CHexEscape(keys[i]), "\n");
    }
  }
  absl::Status s = workflows_->WriteRaw(batch);
  if (!s.ok()) return {absl::StrCat("error: ", s.message(), "\n"), false};
  absl::StrAppend(&out, keys.size(), " key(s) removed");
  if (!keys.empty()) {
    absl::StrAppend(&out,
                    "; raw keys: key indexes and the running scheduler were "
                    "not told (restart the aggregator to reload)");
  }
  absl::StrAppend(&out, "\n");
  return {out, false};
}

}  // namespace ap
