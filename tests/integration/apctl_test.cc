// apctl's user commands against an AggregatorNode over gRPC on
// 127.0.0.1:0 (in-process, simulated clock, its leader-only parts stopped
// so that nothing fires unless a test records it): what a person sees,
// what a script gets, and the errors with their hints and exit codes.

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "aggregator/node.h"
#include "cli/admin_commands.h"
#include "cli/apply_command.h"
#include "cli/user_commands.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/testing/aggregator_config.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace ap {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kT0 = absl::FromCivil(absl::CivilSecond(2026, 6, 1, 12, 0, 0),
                                       absl::UTCTimeZone());

constexpr char kWorkflowYaml[] = R"(name: nightly
trigger:
  cron:
    schedules: ["30 2 * * *"]
    timezone: America/New_York
steps:
  - id: call
    http:
      url: http://127.0.0.1:9/hook
)";

struct Result {
  int code;
  std::string out;
  std::string err;
};

class ApctlTest : public ::testing::Test {
 protected:
  ApctlTest() {
    AggregatorConfig config =
        ap::testing::TestAggregatorConfig(dir_.path() + "/data");
    node_ = std::make_unique<AggregatorNode>(config, &clock_);
    EXPECT_STATUS_OK(node_->Start());
    node_->StopLeading();
    key_ = node_->credentials()
               .CreateApiKey("alice", Role::kWriter, "", kT0)
               ->secret;
    (void)node_->credentials().AddOperator("op-1", kT0);
    config_.aggregator = "127.0.0.1:" + std::to_string(node_->grpc_port());
    config_.api_key = key_;
    config_.timeout = absl::Seconds(5);
  }

  Result RunAdmin(std::vector<std::string> args, AdminOptions options = {}) {
    std::ostringstream out, err;
    std::istringstream in;
    const int code = RunAdminCommand(args, config_, options, {&out, &err, &in});
    return {code, out.str(), err.str()};
  }
  Result Run(std::vector<std::string> args, UserCommandOptions options = {},
             const std::string& stdin_text = "") {
    std::ostringstream out, err;
    std::istringstream in(stdin_text);
    const int code = RunUserCommand(args, config_, options, {&out, &err, &in});
    return {code, out.str(), err.str()};
  }
  std::string WriteFile(const std::string& name, const std::string& text) {
    const std::string path = dir_.path() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  // Creates the nightly workflow through apctl; returns its id.
  std::string Create() {
    config_.output = "json";
    Result r =
        Run({"workflow", "create"}, {WriteFile("w.yaml", kWorkflowYaml)});
    config_.output = "table";
    EXPECT_EQ(r.code, 0) << r.err;
    v1::Workflow w;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &w).ok())
        << r.out;
    return w.id();
  }

  // Runs `apctl watch ID --limit=1` while executions finish one after
  // another, until it has printed one (those finished before its first
  // look are not news to it).
  Result WatchOne(const std::string& id) {
    Result watched;
    std::atomic<bool> done{false};
    std::thread watch([&] {
      watched =
          Run({"watch", id}, {.limit = 1, .interval = absl::Milliseconds(20)});
      done = true;
    });
    const absl::Time until = absl::Now() + absl::Seconds(20);
    while (!done && absl::Now() < until) {
      clock_.AdvanceTime(absl::Milliseconds(1));
      const std::string exec =
          node_->workflows().Trigger({"alice", Role::kWriter}, id)->id();
      EXPECT_TRUE(node_->ledger().Assign(exec, "op-1").ok());
      v1::ReportRequest r;
      r.set_execution_id(exec);
      r.set_attempt(1);
      r.set_status(v1::EXECUTION_STATUS_SUCCEEDED);
      EXPECT_TRUE(node_->ledger().Report("op-1", r).ok());
      absl::SleepFor(absl::Milliseconds(50));
    }
    EXPECT_TRUE(done) << "watch printed nothing";
    watch.join();  // (limit 1: returns once it printed one)
    return watched;
  }

  SimulatedClock clock_{kT0};
  testing::TempDir dir_;
  std::unique_ptr<AggregatorNode> node_;
  std::string key_;
  ApctlConfig config_;
};

TEST_F(ApctlTest, CreateFromAFileAndListAsATable) {
  Result r = Run({"workflow", "create"}, {WriteFile("w.yaml", kWorkflowYaml)});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ID "));
  EXPECT_THAT(r.out, HasSubstr("nightly"));
  EXPECT_THAT(r.out, HasSubstr("30 2 * * * (America/New_York)"));
  // The next fire: 02:30 New York time on 2026-06-02 is 06:30 UTC.
  EXPECT_THAT(r.out, HasSubstr("2026-06-02T06:30:00Z"));

  r = Run({"workflow", "list"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ACTIVE"));
  std::istringstream lines(r.out);
  std::string header, row;
  std::getline(lines, header);
  std::getline(lines, row);
  // Columns line up: STATUS starts at the same column in both lines.
  EXPECT_EQ(header.find("STATUS"), row.find("ACTIVE")) << r.out;
}

TEST_F(ApctlTest, CreateReadsStandardInput) {
  Result r = Run({"workflow", "create"}, {"-"}, kWorkflowYaml);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("nightly"));
}

TEST_F(ApctlTest, GetPauseResumeTriggerCancelDelete) {
  const std::string id = Create();
  Result r = Run({"workflow", "get", id});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("name: nightly"));
  EXPECT_THAT(r.out, HasSubstr("timezone: America/New_York"));

  EXPECT_THAT(Run({"workflow", "pause", id}).out, HasSubstr("PAUSED"));
  EXPECT_THAT(Run({"workflow", "resume", id}).out, HasSubstr("ACTIVE"));

  r = Run({"workflow", "trigger", id});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("PENDING"));

  r = Run({"executions", id});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("EXECUTION"));
  EXPECT_THAT(r.out, HasSubstr("PENDING"));
  const std::string exec_id =
      r.out.substr(r.out.find('\n') + 1,
                   r.out.find(' ', r.out.find('\n')) - r.out.find('\n') - 1);
  r = Run({"execution", "get", exec_id});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("status: EXECUTION_STATUS_PENDING"));
  EXPECT_THAT(r.out, HasSubstr("cause: EXECUTION_CAUSE_MANUAL"));

  r = Run({"workflow", "cancel", id}, {.reason = "replaced by v2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("CANCELED"));
  r = Run({"executions", id}, {.status = "canceled"});
  EXPECT_THAT(r.out, HasSubstr("replaced by v2"));

  r = Run({"workflow", "delete", id});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "workflow " + id + " deleted\n");
}

TEST_F(ApctlTest, BackfillRecordsPastFiresOnceAndADryRunNone) {
  const std::string id = Create();
  UserCommandOptions window{.from = "2026-05-29T00:00:00Z",
                            .to = "2026-06-01T00:00:00Z",
                            .dry_run = true};
  Result r = Run({"workflow", "backfill", id}, window);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("would record 3 execution(s)"));
  EXPECT_THAT(r.out, HasSubstr("2026-05-31T06:30:00Z"));
  EXPECT_EQ(Run({"executions", id}).out.find("BACKFILL"), std::string::npos);

  window.dry_run = false;
  r = Run({"workflow", "backfill", id}, window);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("recorded 3 execution(s); 0 fire(s)"));
  r = Run({"workflow", "backfill", id}, window);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("recorded 0 execution(s); 3 fire(s)"));

  r = Run({"workflow", "backfill", id}, {.from = "yesterday", .to = "1h"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--from: \"yesterday\" is neither"));
  r = Run({"workflow", "backfill", id});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--from=T --to=T"));
}

TEST_F(ApctlTest, JsonAndYamlForScripts) {
  const std::string id = Create();
  config_.output = "json";
  Result r = Run({"workflow", "list"});
  v1::ListWorkflowsResponse list;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &list).ok())
      << r.out;
  ASSERT_EQ(list.workflows_size(), 1);
  EXPECT_EQ(list.workflows(0).id(), id);
  config_.output = "yaml";
  r = Run({"workflow", "list"});
  EXPECT_THAT(r.out, HasSubstr("workflows:\n"));
  EXPECT_THAT(r.out, HasSubstr("name: nightly"));
}

TEST_F(ApctlTest, OperatorsAreListed) {
  Result r = Run({"operators"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("CAPACITY"));
  EXPECT_THAT(r.out, HasSubstr("op-1"));
}

TEST_F(ApctlTest, NotFoundSaysSoWithAHint) {
  Result r = Run({"workflow", "get", "01NOSUCHWORKFLOW0000000000"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("apctl: NOT_FOUND"));
  EXPECT_THAT(r.err, HasSubstr("hint: ids are shown by `apctl workflow list`"));
}

TEST_F(ApctlTest, AMissingOrBadKeyIsExplained) {
  config_.api_key = "";
  Result r = Run({"workflow", "list"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("UNAUTHENTICATED"));
  EXPECT_THAT(r.err, HasSubstr("set AP_API_KEY"));
  config_.api_key = "apk_wrong";
  r = Run({"workflow", "list"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("was not accepted"));
}

TEST_F(ApctlTest, AnUnreachableAggregatorIsExplained) {
  config_.aggregator = "127.0.0.1:1";
  config_.timeout = absl::Seconds(2);
  Result r = Run({"workflow", "list"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("UNAVAILABLE"));
  EXPECT_THAT(r.err, HasSubstr("is the aggregator running at 127.0.0.1:1?"));
}

TEST_F(ApctlTest, AnInvalidFileNamesTheFieldAndSendsNothing) {
  Result r = Run({"workflow", "create"},
                 {WriteFile("bad.yaml", "name: x\ntrigger:\n  cronn: {}\n")});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("bad.yaml"));
  EXPECT_THAT(r.err, HasSubstr("cronn"));
  r = Run({"workflow", "create"}, {dir_.path() + "/none.yaml"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("cannot read"));
  EXPECT_THAT(Run({"workflow", "list"}).out, Not(HasSubstr("x ")));
}

TEST_F(ApctlTest, TheServerNamesTheFieldItRefuses) {
  Result r = Run({"workflow", "create"},
                 {WriteFile("w.yaml",
                            "name: x\ntrigger:\n  cron:\n"
                            "    schedules: ['0 0 32 * *']\n"
                            "steps:\n  - id: s\n    http:\n"
                            "      url: http://127.0.0.1:9/\n")});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(r.err, HasSubstr("trigger.cron.schedules[0]"));
}

TEST_F(ApctlTest, ExamineShowsConfigNextFiresAndADiagnosisPerExpectedFire) {
  Result r = Run({"workflow", "create"},
                 {WriteFile("i.yaml",
                            "name: every10\n"
                            "trigger:\n  interval:\n    every: 600s\n"
                            "steps:\n  - id: s\n    http:\n"
                            "      url: http://127.0.0.1:9/\n"
                            "      headers: {Authorization: secret-token}\n")});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string id = r.out.substr(r.out.find('\n') + 1, 26);
  clock_.AdvanceTime(absl::Minutes(35));  // no fire loop runs here
  const std::string report = dir_.path() + "/report.txt";
  r = Run({"examine", id}, {.since = "2026-06-01T12:00:00Z",
                            .until = "2026-06-01T12:35:00Z",
                            .out = report});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Workflow " + id + " \"every10\" ACTIVE"));
  EXPECT_THAT(r.out, HasSubstr("trigger:    every 10m"));
  EXPECT_THAT(r.out, HasSubstr("window:     2026-06-01T12:00:00Z .. "
                               "2026-06-01T12:35:00Z"));
  EXPECT_THAT(r.out, HasSubstr("Expected fires (3):"));
  EXPECT_THAT(r.out, HasSubstr("DIAGNOSIS"));
  EXPECT_THAT(r.out, HasSubstr("2026-06-01T12:10:00Z  MISSING"));
  EXPECT_THAT(r.out, HasSubstr("Next fires:\n  2026-06-01T12:40:00Z"));
  std::ifstream f(report);
  std::stringstream text;
  text << f.rdbuf();
  EXPECT_THAT(text.str(), HasSubstr("secrets redacted"));
  EXPECT_THAT(text.str(), HasSubstr("Expected fires (3):"));
  EXPECT_THAT(text.str(), HasSubstr("\"expectedFires\""));
  EXPECT_THAT(text.str(), Not(HasSubstr("secret-token")));

  r = Run({"examine", id}, {.since = "yesterday"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--since: \"yesterday\" is neither"));
}

// The headline "why did it not fire" command works without flags (the
// last 24 h) and with either bound alone: an unset bound is not sent.
TEST_F(ApctlTest, ExamineWorksWithNoFlagsAndWithEitherBoundAlone) {
  const std::string id = Create();
  clock_.AdvanceTime(absl::Hours(1));
  Result r = Run({"examine", id});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("window:     2026-05-31T13:00:00Z .. "
                               "2026-06-01T13:00:00Z"));
  r = Run({"examine", id}, {.since = "2026-06-01T12:00:00Z"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("window:     2026-06-01T12:00:00Z .. "
                               "2026-06-01T13:00:00Z"));
  r = Run({"examine", id}, {.until = "2026-06-01T12:30:00Z"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("window:     2026-05-31T12:30:00Z .. "
                               "2026-06-01T12:30:00Z"));
}

TEST_F(ApctlTest, WatchPrintsExecutionsAsTheyFinish) {
  const std::string id = Create();
  Result watched = WatchOne(id);
  EXPECT_EQ(watched.code, 0) << watched.err;
  EXPECT_THAT(watched.out, HasSubstr("watching " + id));
  EXPECT_THAT(watched.out, HasSubstr("  SUCCEEDED  attempt 1  op-1\n"));
}

// A script reading -o json gets only JSON on stdout; the human line goes
// to stderr.
TEST_F(ApctlTest, WatchAsJsonKeepsStdoutMachineReadable) {
  const std::string id = Create();
  config_.output = "json";
  Result watched = WatchOne(id);
  EXPECT_EQ(watched.code, 0) << watched.err;
  EXPECT_THAT(watched.err, HasSubstr("watching " + id));
  v1::Execution e;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(watched.out, &e).ok())
      << watched.out;
  EXPECT_EQ(e.status(), v1::EXECUTION_STATUS_SUCCEEDED);
}

TEST_F(ApctlTest, EveryExampleInTheDocsIsAccepted) {
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(
           std::string(AP_SOURCE_DIR) + "/docs/examples")) {
    if (entry.path().extension() != ".yaml") continue;
    ++seen;
    Result r = Run({"workflow", "create"}, {entry.path().string()});
    EXPECT_EQ(r.code, 0) << entry.path() << ": " << r.err;
  }
  EXPECT_GE(seen, 4);
}

TEST_F(ApctlTest, BadUsageExitsTwo) {
  EXPECT_EQ(Run({"workflow", "create"}).code, 2);  // no -f
  EXPECT_EQ(Run({"workflow", "frobnicate", "x"}).code, 2);
  Result r = Run({"executions", "x"}, {.status = "sleeping"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("not one of pending"));
}

// ----------------------------------------------------------- apply, diff --

constexpr char kTwoWorkflows[] = R"(name: alpha
trigger: {cron: {schedules: ["0 * * * *"]}}
steps: [{id: s, http: {url: "http://127.0.0.1:9/a"}}]
---
name: beta
trigger: {interval: {every: 600s}}
steps: [{id: s, http: {url: "http://127.0.0.1:9/b"}}]
)";

std::string IdIn(const std::string& line) {
  return line.substr(line.rfind(' ') + 1, 26);
}

TEST_F(ApctlTest, ApplyCreatesUpdatesAndIsIdempotent) {
  const std::string file = WriteFile("two.yaml", kTwoWorkflows);
  Result r = Run({"apply"}, {file});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(
      r.out, ::testing::MatchesRegex("created alpha [0-9A-Z]{26}\ncreated beta "
                                     "[0-9A-Z]{26}\n"));
  const std::string alpha = IdIn(r.out.substr(0, r.out.find('\n')));

  r = Run({"apply"}, {file});  // again: nothing changes
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("unchanged alpha " + alpha + "\n"));
  EXPECT_THAT(r.out, HasSubstr("unchanged beta "));
  EXPECT_EQ(node_->workflows().Get({"alice", Role::kWriter}, alpha)->version(),
            1);

  std::string changed = kTwoWorkflows;
  changed.replace(changed.find("0 * * * *"), 9, "30 * * * *");
  r = Run({"apply"}, {WriteFile("two.yaml", changed)});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("updated alpha " + alpha + "\n"));
  EXPECT_THAT(r.out, HasSubstr("unchanged beta "));
  const v1::Workflow stored =
      *node_->workflows().Get({"alice", Role::kWriter}, alpha);
  EXPECT_EQ(stored.version(), 2);
  EXPECT_EQ(stored.trigger().cron().schedules(0), "30 * * * *");
  EXPECT_THAT(Run({"workflow", "list"}).out, Not(HasSubstr("alpha-")));
}

TEST_F(ApctlTest, WhatGetPrintsAsYamlAppliesUnchanged) {
  const std::string id = Create();
  config_.output = "yaml";
  Result got = Run({"workflow", "get", id});
  ASSERT_EQ(got.code, 0) << got.err;
  EXPECT_THAT(got.out, HasSubstr("version: 1\n"));
  config_.output = "table";
  Result r = Run({"apply"}, {"-"}, got.out);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "unchanged nightly " + id + "\n");
}

TEST_F(ApctlTest, ApplyReadsADirectoryAndRefusesDuplicateNamesBeforeSending) {
  std::filesystem::create_directory(dir_.path() + "/wf");
  WriteFile("wf/a.yaml", kTwoWorkflows);
  WriteFile("wf/b.yml", kWorkflowYaml);
  WriteFile("wf/notes.txt", "not a workflow");
  Result r = Run({"apply"}, {dir_.path() + "/wf"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("created alpha "));
  EXPECT_THAT(r.out, HasSubstr("created nightly "));

  WriteFile("wf/c.yaml",
            "name: alpha\ntrigger: {manual: {}}\n"
            "steps: [{id: s, http: {url: \"http://x/\"}}]\n");
  r = Run({"apply"}, {dir_.path() + "/wf"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("name \"alpha\" appears more than once"));
  EXPECT_EQ(r.out, "");
}

TEST_F(ApctlTest, CreateWithATakenNameSaysWhichWorkflowHasIt) {
  const std::string id = Create();
  Result r = Run({"workflow", "create"}, {WriteFile("w.yaml", kWorkflowYaml)});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("ALREADY_EXISTS"));
  EXPECT_THAT(r.err, HasSubstr("workflow " + id + " is already named"));
}

TEST_F(ApctlTest, DiffShowsWhatApplyWouldChangeAndStoresNothing) {
  const std::string file = WriteFile("two.yaml", kTwoWorkflows);
  Result r = Run({"diff"}, {file});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("create alpha (" + file + ")\n"));
  EXPECT_THAT(r.out, HasSubstr("+ name: alpha\n"));
  EXPECT_THAT(Run({"workflow", "list"}).out, Not(HasSubstr("alpha")));

  ASSERT_EQ(Run({"apply"}, {file}).code, 0);
  std::string changed = kTwoWorkflows;
  changed.replace(changed.find("9/a"), 3, "9/a2");
  r = Run({"diff"}, {WriteFile("changed.yaml", changed)});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("(version 1 -> 2)"));
  EXPECT_THAT(r.out, HasSubstr("-       url: http://127.0.0.1:9/a\n"));
  EXPECT_THAT(r.out, HasSubstr("+       url: http://127.0.0.1:9/a2\n"));
  EXPECT_THAT(r.out, HasSubstr("unchanged beta "));
  r = Run({"apply"}, {file});
  EXPECT_THAT(r.out, HasSubstr("unchanged alpha "));  // diff stored nothing
}

TEST(DiffLinesTest, MarksRemovedAndAddedLinesAroundCommonOnes) {
  EXPECT_EQ(DiffLines("a\nb\nc\n", "a\nx\nc\n"), "  a\n- b\n+ x\n  c\n");
  EXPECT_EQ(DiffLines("", "a\n"), "+ a\n");
  EXPECT_EQ(DiffLines("a\n", "a\n"), "  a\n");
}

// ------------------------------------------------- online credentials --

// Credentials are managed while the aggregator runs, by an admin key; a
// revoked key is refused on its next call.
TEST_F(ApctlTest, AnAdminManagesKeysOnlineAndRevocationTakesEffectAtOnce) {
  Result r = RunAdmin({"keys", "list"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("PERMISSION_DENIED"));  // a writer key
  config_.api_key =
      node_->credentials().CreateApiKey("root", Role::kAdmin, "", kT0)->secret;

  r = RunAdmin({"keys", "create"}, {.owner = "bob", .role = "reader"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("for owner bob (READER); shown only now"));
  const std::string secret = r.out.substr(r.out.find("secret: ") + 8, 68);
  const std::string id = r.out.substr(8, 12);
  r = RunAdmin({"keys", "list"});
  EXPECT_THAT(r.out, HasSubstr(id + "  bob "));

  config_.api_key = secret;  // bob reads
  EXPECT_EQ(Run({"workflow", "list"}).code, 0);
  config_.api_key = key_;
  EXPECT_EQ(RunAdmin({"keys", "revoke", id}).code, 1);  // not an admin
  config_.api_key =
      node_->credentials().CreateApiKey("root", Role::kAdmin, "", kT0)->secret;
  r = RunAdmin({"keys", "revoke", id});
  ASSERT_EQ(r.code, 0) << r.err;
  config_.api_key = secret;
  r = Run({"workflow", "list"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("UNAUTHENTICATED"));
}

TEST_F(ApctlTest, AnAdminAddsListsAndRemovesOperatorsOnline) {
  config_.api_key =
      node_->credentials().CreateApiKey("root", Role::kAdmin, "", kT0)->secret;
  Result r = RunAdmin({"operators", "add"}, {.id = "op-2"});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string token = r.out.substr(r.out.find("secret: ") + 8, 68);
  EXPECT_EQ(*node_->credentials().AuthenticateOperator("Bearer " + token),
            "op-2");
  r = RunAdmin({"operators", "list"});
  EXPECT_THAT(r.out, HasSubstr("op-2"));
  r = RunAdmin({"operators", "remove", "op-2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(
      node_->credentials().AuthenticateOperator("Bearer " + token).ok());
  r = RunAdmin({"operators", "remove", "op-2"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("NOT_FOUND: no operator op-2"));
  EXPECT_EQ(RunAdmin({"keys", "create"}, {.owner = "x", .role = "boss"}).code,
            2);
}

}  // namespace
}  // namespace ap
