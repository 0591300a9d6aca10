// Every message of proto/ap/v1 survives protobuf's JSON mapping with every
// field set, and every RPC of shared/DESIGN.md section 2 is declared.

#include <string>
#include <vector>

#include "ap/v1/aggregator.grpc.pb.h"
#include "ap/v1/node.grpc.pb.h"
#include "ap/v1/workflow.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace ap {
namespace {

namespace pb = ::google::protobuf;

// Sets every field of `m` (every oneof member is tried in turn by the
// caller through `oneof_choice`), recursing into messages up to `depth`.
void Fill(pb::Message* m, int depth, int oneof_choice);

void FillField(pb::Message* m, const pb::FieldDescriptor* f, int depth,
               int oneof_choice) {
  const pb::Reflection* r = m->GetReflection();
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32:
      rep ? r->AddInt32(m, f, -7) : r->SetInt32(m, f, -7);
      break;
    case pb::FieldDescriptor::CPPTYPE_INT64:
      rep ? r->AddInt64(m, f, 1'234'567'890'123)
          : r->SetInt64(m, f, 1'234'567'890'123);
      break;
    case pb::FieldDescriptor::CPPTYPE_UINT32:
      rep ? r->AddUInt32(m, f, 7) : r->SetUInt32(m, f, 7);
      break;
    case pb::FieldDescriptor::CPPTYPE_UINT64:
      rep ? r->AddUInt64(m, f, 9'876'543'210)
          : r->SetUInt64(m, f, 9'876'543'210);
      break;
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
      rep ? r->AddDouble(m, f, 0.5) : r->SetDouble(m, f, 0.5);
      break;
    case pb::FieldDescriptor::CPPTYPE_FLOAT:
      rep ? r->AddFloat(m, f, 0.25f) : r->SetFloat(m, f, 0.25f);
      break;
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      rep ? r->AddBool(m, f, true) : r->SetBool(m, f, true);
      break;
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
      const pb::EnumDescriptor* e = f->enum_type();
      const pb::EnumValueDescriptor* v = e->value(e->value_count() - 1);
      rep ? r->AddEnum(m, f, v) : r->SetEnum(m, f, v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_STRING: {
      const std::string s = "v-" + f->name() + " \"quoted\" ü";
      rep ? r->AddString(m, f, s) : r->SetString(m, f, s);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_MESSAGE: {
      const std::string& type = f->message_type()->full_name();
      pb::Message* sub = rep ? r->AddMessage(m, f) : r->MutableMessage(m, f);
      // Well-known types need values in their JSON range.
      if (type == "google.protobuf.Timestamp") {
        sub->GetReflection()->SetInt64(
            sub, sub->GetDescriptor()->FindFieldByName("seconds"),
            1'800'000'000);
        sub->GetReflection()->SetInt32(
            sub, sub->GetDescriptor()->FindFieldByName("nanos"), 123'000'000);
      } else if (type == "google.protobuf.Duration") {
        sub->GetReflection()->SetInt64(
            sub, sub->GetDescriptor()->FindFieldByName("seconds"), 90);
        sub->GetReflection()->SetInt32(
            sub, sub->GetDescriptor()->FindFieldByName("nanos"), 500'000'000);
      } else if (depth > 0) {
        Fill(sub, depth - 1, oneof_choice);
      }
      break;
    }
  }
}

void Fill(pb::Message* m, int depth, int oneof_choice) {
  const pb::Descriptor* d = m->GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    if (const pb::OneofDescriptor* o = f->containing_oneof()) {
      if (o->field(oneof_choice % o->field_count()) != f) continue;
    }
    FillField(m, f, depth, oneof_choice);
  }
}

std::vector<const pb::Descriptor*> AllMessages() {
  std::vector<const pb::Descriptor*> out;
  for (const pb::FileDescriptor* file :
       {v1::Workflow::descriptor()->file(),
        v1::CreateWorkflowRequest::descriptor()->file(),
        v1::PingRequest::descriptor()->file()}) {
    for (int i = 0; i < file->message_type_count(); ++i) {
      out.push_back(file->message_type(i));
    }
  }
  return out;
}

int MaxOneofFields(const pb::Descriptor* d) {
  int n = 1;
  for (int i = 0; i < d->oneof_decl_count(); ++i) {
    n = std::max(n, d->oneof_decl(i)->field_count());
  }
  return n;
}

TEST(ProtoJsonTest, EveryMessageRoundTripsThroughJsonWithEveryFieldSet) {
  const std::vector<const pb::Descriptor*> messages = AllMessages();
  ASSERT_GT(messages.size(), 40u);
  for (const pb::Descriptor* d : messages) {
    for (int choice = 0; choice < MaxOneofFields(d); ++choice) {
      const pb::Message* prototype =
          pb::MessageFactory::generated_factory()->GetPrototype(d);
      std::unique_ptr<pb::Message> original(prototype->New());
      Fill(original.get(), /*depth=*/3, choice);

      std::string json;
      ASSERT_TRUE(pb::util::MessageToJsonString(*original, &json).ok())
          << d->full_name();
      std::unique_ptr<pb::Message> parsed(prototype->New());
      ASSERT_TRUE(pb::util::JsonStringToMessage(json, parsed.get()).ok())
          << d->full_name() << ": " << json;
      EXPECT_TRUE(pb::util::MessageDifferencer::Equals(*original, *parsed))
          << d->full_name() << " choice " << choice << "\n"
          << json;
    }
  }
}

TEST(ProtoJsonTest, JsonUsesLowerCamelCaseFieldNamesAndEnumNames) {
  v1::Workflow w;
  w.set_max_executions(3);
  w.mutable_policy()->set_misfire(v1::MISFIRE_POLICY_RUN_ALL);
  std::string json;
  ASSERT_TRUE(pb::util::MessageToJsonString(w, &json).ok());
  EXPECT_THAT(json, ::testing::HasSubstr("\"maxExecutions\":\"3\""));
  EXPECT_THAT(json, ::testing::HasSubstr("\"MISFIRE_POLICY_RUN_ALL\""));
}

TEST(ProtoJsonTest, UnknownFieldInJsonIsRejectedByDefault) {
  v1::Workflow w;
  EXPECT_FALSE(pb::util::JsonStringToMessage(R"({"nmae":"x"})", &w).ok());
}

TEST(ProtoContractTest, EveryEnumStartsWithUnspecifiedZero) {
  for (const pb::FileDescriptor* file :
       {v1::Workflow::descriptor()->file(),
        v1::CreateWorkflowRequest::descriptor()->file(),
        v1::PingRequest::descriptor()->file()}) {
    for (int i = 0; i < file->enum_type_count(); ++i) {
      const pb::EnumDescriptor* e = file->enum_type(i);
      ASSERT_GT(e->value_count(), 1);
      EXPECT_EQ(e->value(0)->number(), 0) << e->full_name();
      EXPECT_THAT(e->value(0)->name(), ::testing::EndsWith("_UNSPECIFIED"))
          << e->full_name();
    }
  }
}

std::vector<std::string> Methods(const pb::ServiceDescriptor* s) {
  std::vector<std::string> out;
  for (int i = 0; i < s->method_count(); ++i)
    out.push_back(s->method(i)->name());
  return out;
}

TEST(ProtoContractTest, AggregatorServiceDeclaresEveryUserRpcOfTheDesign) {
  EXPECT_THAT(
      Methods(
          v1::CreateWorkflowRequest::descriptor()->file()->FindServiceByName(
              "Aggregator")),
      ::testing::UnorderedElementsAre(
          "CreateWorkflow", "UpdateWorkflow", "GetWorkflow", "ListWorkflows",
          "PauseWorkflow",
          "ResumeWorkflow", "CancelWorkflow", "DeleteWorkflow",
          "TriggerWorkflow", "BackfillWorkflow", "ListExecutions", "GetExecution",
          "ExamineWorkflow", "PreviewSchedule", "ListOperators",
          "ListNotifications",
          // For the web console.
          "GetCaller", "GetOverview"));
}

TEST(ProtoContractTest, NodeServiceDeclaresPingSyncReportAndReportBatch) {
  const pb::ServiceDescriptor* node =
      v1::PingRequest::descriptor()->file()->FindServiceByName("Node");
  ASSERT_NE(node, nullptr);
  EXPECT_THAT(Methods(node), ::testing::UnorderedElementsAre(
                                 "Ping", "Sync", "Report", "ReportBatch"));
  EXPECT_TRUE(node->FindMethodByName("Sync")->server_streaming());
  EXPECT_FALSE(node->FindMethodByName("Sync")->client_streaming());
}

TEST(ProtoContractTest, NodeMessageCarriesEveryKindOfTheDesign) {
  const pb::OneofDescriptor* kind =
      v1::NodeMessage::descriptor()->FindOneofByName("kind");
  ASSERT_NE(kind, nullptr);
  std::vector<std::string> names;
  for (int i = 0; i < kind->field_count(); ++i) {
    names.push_back(kind->field(i)->message_type()->name());
  }
  // AssignmentBatch is our addition: only operators that ask for it
  // (SyncRequest.accepts_batches) get it, so the design's four kinds are
  // all an operator has to understand.
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("Assignment", "Cancel",
                                                     "Heartbeat", "Drain",
                                                     "AssignmentBatch"));
}

TEST(ProtoContractTest, ExecutionStatusesMatchTheDesign) {
  std::vector<std::string> names;
  const pb::EnumDescriptor* e = v1::ExecutionStatus_descriptor();
  for (int i = 1; i < e->value_count(); ++i)
    names.push_back(e->value(i)->name());
  EXPECT_THAT(names,
              ::testing::ElementsAre(
                  "EXECUTION_STATUS_PENDING", "EXECUTION_STATUS_DISPATCHED",
                  "EXECUTION_STATUS_RUNNING", "EXECUTION_STATUS_SUCCEEDED",
                  "EXECUTION_STATUS_FAILED", "EXECUTION_STATUS_TIMED_OUT",
                  "EXECUTION_STATUS_SKIPPED", "EXECUTION_STATUS_CANCELED"));
}

}  // namespace
}  // namespace ap
