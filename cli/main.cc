// apctl: the command-line client of the aggregator.

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "cli/admin_commands.h"
#include "cli/config.h"
#include "cli/cron_next.h"
#include "cli/health.h"
#include "cli/user_commands.h"
#include "common/config/flags.h"
#include "common/config/flags_help.h"
#include "common/tls.h"
#include "common/version.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

ABSL_FLAG(std::string, config, "", "YAML config file [env AP_CONFIG]");
AP_CONFIG_FLAG(ap::ApctlConfig, ap::BindApctlConfig, std::string, aggregator);
AP_CONFIG_FLAG(ap::ApctlConfig, ap::BindApctlConfig, std::string, api_key);
AP_CONFIG_FLAG(ap::ApctlConfig, ap::BindApctlConfig, std::string, output);
AP_CONFIG_FLAG(ap::ApctlConfig, ap::BindApctlConfig, absl::Duration, timeout);
AP_CONFIG_FLAG(ap::ApctlConfig, ap::BindApctlConfig, bool, tls);
AP_CONFIG_FLAG(ap::ApctlConfig, ap::BindApctlConfig, std::string, tls_ca);
AP_CONFIG_FLAG(ap::ApctlConfig, ap::BindApctlConfig, std::string, tls_cert);
AP_CONFIG_FLAG(ap::ApctlConfig, ap::BindApctlConfig, std::string, tls_key);
ABSL_FLAG(std::string, service, "",
          "health: the service to check (empty: the server as a whole)");
ABSL_FLAG(std::string, tz, "",
          "cron next: IANA time zone of the expression (default UTC)");
ABSL_FLAG(std::string, from, "",
          "cron next: list fires strictly after this RFC 3339 time "
          "(default now)");
ABSL_FLAG(int, n, 5, "cron next: how many fire times to print");
ABSL_FLAG(absl::Duration, jitter, absl::ZeroDuration(),
          "cron next: the workflow's policy.jitter (with --workflow)");
ABSL_FLAG(std::string, workflow, "",
          "cron next: the workflow id the jitter offset is derived from");
ABSL_FLAG(std::string, to, "",
          "workflow backfill: window end, RFC 3339 or a duration ago (the "
          "start is --from, the same way)");
ABSL_FLAG(bool, dry_run, false,
          "workflow backfill: show what would be recorded, record nothing");
ABSL_FLAG(std::string, f, "",
          "workflow create, apply, diff: the workflow file (YAML, several "
          "documents for apply and diff, or JSON), a directory of them, or - "
          "for standard input");
ABSL_FLAG(std::string, o, "", "short for --output: table, json or yaml");
ABSL_FLAG(std::string, status, "",
          "workflow list, executions: only this status (e.g. failed)");
ABSL_FLAG(int, limit, 0,
          "workflow list, executions, watch: at most this many");
ABSL_FLAG(std::string, reason, "", "workflow cancel: why, kept with it");
ABSL_FLAG(std::string, since, "",
          "examine: window start, RFC 3339 or a duration ago (default 24h)");
ABSL_FLAG(std::string, until, "",
          "examine: window end, RFC 3339 or a duration ago (default now)");
ABSL_FLAG(std::string, out, "",
          "examine: also write the report (secrets redacted) to this file");
ABSL_FLAG(std::string, owner, "", "keys create: the owner the key acts for");
ABSL_FLAG(std::string, role, "",
          "keys create: reader, writer or admin");
ABSL_FLAG(std::string, name, "", "keys create: a note on who holds the key");
ABSL_FLAG(std::string, id, "", "operators add: the operator id");
ABSL_FLAG(absl::Duration, interval, absl::Seconds(1),
          "watch: how often to look for finished executions");

namespace {

// One command: how it is written, what it does, and the word its flags'
// help starts with ("examine: ...").
struct Command {
  const char* synopsis;
  const char* summary;
  const char* flags_of;
};

constexpr Command kCommands[] = {
    {"apply -f FILE|DIR|-",
     "create or update workflows by name; prints created|updated|unchanged",
     "apply"},
    {"diff -f FILE|DIR|-", "what apply would change, storing nothing", "diff"},
    {"workflow create -f FILE|-", "create from YAML or JSON (docs/examples/)",
     "workflow create"},
    {"workflow list [--status=S] [--limit=N]", "your workflows",
     "workflow list"},
    {"workflow get ID", "the whole workflow (-o yaml feeds apply)", nullptr},
    {"workflow pause|resume|trigger|delete ID",
     "stop or restart firing, run now, remove with its executions", nullptr},
    {"workflow cancel ID [--reason=WHY]",
     "stop for good; running executions are stopped", "workflow cancel"},
    {"workflow backfill ID --from=T --to=T [--dry-run]",
     "record the schedule's past fires in a window (those recorded already "
     "are left alone)",
     "workflow backfill"},
    {"executions WORKFLOW_ID [--status=S] [--limit=N]",
     "a workflow's executions, newest first", "executions"},
    {"execution get EXECUTION_ID", "one execution with its steps", nullptr},
    {"operators", "operators the aggregator knows, with their load", nullptr},
    {"examine ID [--since=T] [--until=T] [--out=FILE]",
     "expected fires beside what happened, with a diagnosis each (default: "
     "the last 24 h)",
     "examine"},
    {"watch ID [--interval=D] [--limit=N]",
     "print executions as they finish, until Ctrl-C", "watch"},
    {"health [--service=NAME]",
     "gRPC health check; exit 0 when SERVING, 1 otherwise", "health"},
    {"cron next 'EXPR' [--tz=ZONE] [--from=RFC3339] [-n N] [--jitter=D "
     "--workflow=ID]",
     "the next N fire times of a cron expression (moved by a workflow's "
     "jitter)",
     "cron next"},
    {"keys create --owner=NAME --role=reader|writer|admin [--name=TEXT]",
     "make an API key (admin key; the secret is shown once)", "keys create"},
    {"keys list | keys revoke ID",
     "API keys; a revoked key is refused on its next call", nullptr},
    {"operators add --id=ID",
     "allow an operator; its token is shown once (an older one stops "
     "working)",
     "operators add"},
    {"operators list | operators remove ID",
     "allowed operators; removing one closes its stream", nullptr},
    {"help [COMMAND]", "this text, or one command's", nullptr},
    {"version", "print apctl's version", nullptr},
};

constexpr char kUsageHead[] =
    "apctl: the command-line client of an ap aggregator.\n\n"
    "usage: apctl [--aggregator=HOST:PORT] [--api-key=KEY] [--tls ...] "
    "[-o table|json|yaml] COMMAND [ARGS]\n\n"
    "Commands:\n";
constexpr char kUsageTail[] =
    "\nExit codes: 0 ok, 1 the aggregator said no or did not answer, 2 bad "
    "usage or file.\n"
    "`apctl help COMMAND` or `apctl COMMAND --help` shows one command. Flags "
    "may be written with - or _ and take their value after = or a space.";

std::string CommandLine(const Command& c) {
  return absl::StrCat("  apctl ", c.synopsis, "\n      ", c.summary, "\n");
}

const std::string& Usage() {
  static const std::string* const usage = [] {
    std::string out = kUsageHead;
    for (const Command& c : kCommands) absl::StrAppend(&out, CommandLine(c));
    return new std::string(absl::StrCat(out, kUsageTail));
  }();
  return *usage;
}

// `apctl help workflow`, `apctl examine --help`: the commands that start
// with these words, and their flags; "" when none does.
std::string CommandHelp(const std::vector<std::string>& args) {
  std::vector<std::string> words = args;
  if (!words.empty() && words[0] == "help") words.erase(words.begin());
  if (words.empty()) return "";
  const std::string asked = absl::StrJoin(words, " ");
  std::string lines;
  std::vector<std::string> flag_words;
  for (const Command& c : kCommands) {
    if (!absl::StartsWith(c.synopsis, asked) &&
        !absl::StartsWith(asked, absl::StrCat(c.synopsis, " "))) {
      continue;
    }
    absl::StrAppend(&lines, CommandLine(c));
    if (c.flags_of != nullptr) flag_words.push_back(c.flags_of);
  }
  if (lines.empty()) return "";
  std::string flags = ap::FlagsHelpText(
      [&](absl::string_view, absl::string_view help) {
        const absl::string_view scope = help.substr(0, help.find(':'));
        for (const std::string& w : flag_words) {
          for (absl::string_view part :
               absl::StrSplit(scope, ", ", absl::SkipEmpty())) {
            if (absl::StartsWith(part, w) || absl::StartsWith(w, part)) {
              return true;
            }
          }
        }
        return false;
      });
  return absl::StrCat("usage:\n", lines,
                      flags.empty() ? "" : absl::StrCat("\nFlags:\n", flags),
                      "\nGlobal flags (--aggregator, --api-key, -o, ...): "
                      "apctl --help\n");
}

int Health(const ap::ApctlConfig& config) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds =
      ap::MakeChannelCredentials(
          {config.tls, config.tls_ca, config.tls_cert, config.tls_key});
  if (!creds.ok()) {
    std::fprintf(stderr, "apctl: %s\n",
                 std::string(creds.status().message()).c_str());
    return 2;
  }
  auto channel = grpc::CreateChannel(config.aggregator, *creds);
  absl::StatusOr<std::string> status =
      ap::CheckHealth(channel, absl::GetFlag(FLAGS_service), config.timeout);
  if (!status.ok()) {
    std::fprintf(stderr, "apctl: health check of %s failed: %s: %s\n",
                 config.aggregator.c_str(),
                 absl::StatusCodeToString(status.status().code()).c_str(),
                 std::string(status.status().message()).c_str());
    return 1;
  }
  std::printf("%s\n", status->c_str());
  return *status == "SERVING" ? 0 : 1;
}

int CronNextCommand(const std::vector<std::string>& args) {
  if (args.size() != 3) {
    std::fprintf(stderr,
                 "apctl: usage: apctl cron next 'EXPR' [--tz=ZONE] "
                 "[--from=RFC3339] [-n=N] (quote the expression)\n");
    return 2;
  }
  absl::StatusOr<std::vector<std::string>> times =
      ap::CronNext(args[2], absl::GetFlag(FLAGS_tz), absl::GetFlag(FLAGS_from),
                   absl::GetFlag(FLAGS_n), absl::Now(),
                   absl::GetFlag(FLAGS_jitter), absl::GetFlag(FLAGS_workflow));
  if (!times.ok()) {
    std::fprintf(stderr, "apctl: %s\n",
                 std::string(times.status().message()).c_str());
    return 2;
  }
  for (const std::string& t : *times) std::printf("%s\n", t.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ap::SetUpUsage("apctl", Usage().c_str(), &CommandHelp);
  ap::ApctlConfig config;
  ap::ConfigSchema schema;
  ap::BindApctlConfig(&schema, &config);
  absl::StatusOr<std::vector<std::string>> args =
      ap::ParseFlagsAndLoadConfig(argc, argv, schema, FLAGS_config);
  absl::Status status = args.status();
  if (status.ok()) status = config.Validate();
  if (!status.ok()) {
    std::fprintf(stderr, "apctl: %s\n", std::string(status.message()).c_str());
    return 2;
  }
  if (args->empty()) {
    std::fprintf(stderr, "%s\n", Usage().c_str());
    return 2;
  }
  if (args->front() == "help") {
    const std::string text = CommandHelp(*args);
    if (args->size() > 1 && text.empty()) {
      std::fprintf(stderr, "apctl: no command \"%s\" (see apctl help)\n",
                   absl::StrJoin(args->begin() + 1, args->end(), " ").c_str());
      return 2;
    }
    std::printf("%s", text.empty() ? ap::UsageText().c_str() : text.c_str());
    return 0;
  }
  if (const std::string o = absl::GetFlag(FLAGS_o); !o.empty()) {
    if (o != "table" && o != "json" && o != "yaml") {
      std::fprintf(stderr,
                   "apctl: -o: \"%s\" is not one of table, json, yaml\n",
                   o.c_str());
      return 2;
    }
    config.output = o;
  }
  if (ap::IsAdminCommand(*args)) {
    return ap::RunAdminCommand(
        *args, config,
        {absl::GetFlag(FLAGS_owner), absl::GetFlag(FLAGS_role),
         absl::GetFlag(FLAGS_name), absl::GetFlag(FLAGS_id)},
        {&std::cout, &std::cerr, &std::cin});
  }
  if (ap::IsUserCommand(*args)) {
    ap::UserCommandOptions options;
    options.file = absl::GetFlag(FLAGS_f);
    options.status = absl::GetFlag(FLAGS_status);
    options.limit = absl::GetFlag(FLAGS_limit);
    options.reason = absl::GetFlag(FLAGS_reason);
    options.since = absl::GetFlag(FLAGS_since);
    options.until = absl::GetFlag(FLAGS_until);
    options.out = absl::GetFlag(FLAGS_out);
    options.interval = absl::GetFlag(FLAGS_interval);
    options.from = absl::GetFlag(FLAGS_from);
    options.to = absl::GetFlag(FLAGS_to);
    options.dry_run = absl::GetFlag(FLAGS_dry_run);
    return ap::RunUserCommand(*args, config, options,
                              {&std::cout, &std::cerr, &std::cin});
  }
  const std::string& command = args->front();
  if (command == "health" && args->size() == 1) return Health(config);
  if (command == "cron" && args->size() >= 2 && (*args)[1] == "next") {
    return CronNextCommand(*args);
  }
  if (command == "version" && args->size() == 1) {
    std::printf("apctl %s\n", ap::kVersion);
    return 0;
  }
  std::fprintf(stderr, "apctl: unknown command \"%s\"\n%s\n",
               absl::StrJoin(*args, " ").c_str(), Usage().c_str());
  return 2;
}
